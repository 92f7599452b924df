//! The client: calls any operation of any service, layer by layer:
//! load model -> validate -> serialize -> endpoint -> sign -> send -> classify/retry -> parse.
//!
//! Endpoint overrides come from, in order: an explicit URL ([`Client::endpoint_url`]),
//! `AWS_ENDPOINT_URL_<SERVICE_ID>`, then the SDK config / `AWS_ENDPOINT_URL`. With an override,
//! S3 is addressed path-style and host prefixes are not injected, so emulators on one host work.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use serde_json::{json, Map, Value};
use tracing::{debug, debug_span, Instrument};

use crate::aws::catalog::{suggest, Catalog, ServiceDocuments};
use crate::aws::customize;
use crate::aws::diagnose::CredentialsProblem;
use crate::aws::endpoint::{self, bind_params, params as builtin, BuiltIns, Endpoint};
use crate::aws::error::CallError;
use crate::aws::http::HttpRequest;
use crate::aws::model::{Operation, ServiceModel};
use crate::aws::protocol::{parse_response, serialize_request, ApiError};
use crate::aws::retry::{
    self, Failure, RetryAction, RetryNotice, RetryPolicy, RetryProgress, RetryQuota,
};
use crate::aws::sigv4::{self, redact_header, AuthPlan};
use crate::aws::transport::{ReqwestTransport, Timeouts, Transport, TransportError};
use crate::aws::validate::validate_input;

/// The `User-Agent` of every request.
const USER_AGENT: &str = concat!("gapfill/", env!("CARGO_PKG_VERSION"));
const GLOBAL_ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL";
const IGNORE_ENDPOINTS_ENV: &str = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";

/// A service's documents with its parsed model.
pub struct LoadedService {
    pub documents: Arc<ServiceDocuments>,
    pub model: Arc<ServiceModel>,
}

/// A request as it would be sent, for a dry run: secrets redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy for binary bodies).
    pub body: String,
    /// False when no credentials were available, so the request is shown unsigned.
    pub signed: bool,
}

/// The model-driven AWS client. Cheap to share; one per run.
pub struct Client {
    catalog: Arc<Catalog>,
    loaded: Mutex<HashMap<String, Arc<LoadedService>>>,
    region: Option<String>,
    use_fips: bool,
    use_dual_stack: bool,
    credentials: Option<SharedCredentialsProvider>,
    sdk_endpoint_url: Option<String>,
    explicit_endpoint_url: Option<String>,
    read_endpoint_env: bool,
    transport: Arc<dyn Transport>,
    retry: RetryPolicy,
    quota: Arc<RetryQuota>,
    clock: Arc<dyn Fn() -> SystemTime + Send + Sync>,
}

/// A request ready to sign and send, with what signing and parsing need.
struct Planned {
    loaded: Arc<LoadedService>,
    operation: Operation,
    url: String,
    request: HttpRequest,
    auth: AuthPlan,
}

impl Client {
    /// A client for the product: region, credentials, FIPS/dual-stack and endpoint URL from the
    /// SDK config, the catalog from `GAPFILL_MODELS_DIR`, the reqwest transport.
    pub fn new(sdk: &SdkConfig) -> Result<Client, CallError> {
        Client::with_timeouts(sdk, Timeouts::default())
    }

    /// Like [`Client::new`] with other timeouts (a first contact waits less).
    pub fn with_timeouts(sdk: &SdkConfig, timeouts: Timeouts) -> Result<Client, CallError> {
        let transport = ReqwestTransport::new(timeouts).map_err(CallError::HttpClient)?;
        Ok(Client::with_transport(sdk, Arc::new(transport)))
    }

    /// Like [`Client::new`] with another transport (tests use fakes).
    pub fn with_transport(sdk: &SdkConfig, transport: Arc<dyn Transport>) -> Client {
        let time_source = sdk.time_source();
        Client {
            catalog: Arc::new(Catalog::from_env()),
            loaded: Mutex::new(HashMap::new()),
            region: sdk.region().map(|region| region.to_string()),
            use_fips: sdk.use_fips().unwrap_or(false),
            use_dual_stack: sdk.use_dual_stack().unwrap_or(false),
            credentials: sdk.credentials_provider(),
            sdk_endpoint_url: sdk.endpoint_url().map(str::to_string),
            explicit_endpoint_url: None,
            read_endpoint_env: true,
            transport,
            retry: RetryPolicy {
                // AWS_MAX_ATTEMPTS and the profile's max_attempts, as every SDK reads them.
                max_attempts: sdk
                    .retry_config()
                    .map_or(RetryPolicy::default().max_attempts, |retry| {
                        retry.max_attempts()
                    }),
                ..RetryPolicy::default()
            },
            quota: Arc::new(RetryQuota::default()),
            clock: match time_source {
                Some(source) => Arc::new(move || source.now()),
                None => Arc::new(SystemTime::now),
            },
        }
    }

    /// Uses `catalog` instead of the default one.
    pub fn catalog(mut self, catalog: Arc<Catalog>) -> Client {
        self.catalog = catalog;
        self
    }

    /// Sends every call to `url`, overriding any configured endpoint.
    pub fn endpoint_url(mut self, url: Option<String>) -> Client {
        self.explicit_endpoint_url = url.filter(|url| !url.is_empty());
        self
    }

    /// Ignores `AWS_ENDPOINT_URL*` environment variables (tests that must reach the fake).
    pub fn ignore_endpoint_env(mut self) -> Client {
        self.read_endpoint_env = false;
        self
    }

    pub fn retry_policy(mut self, policy: RetryPolicy) -> Client {
        self.retry = policy;
        self
    }

    /// Shares a retry quota with other clients of the same run.
    pub fn retry_quota(mut self, quota: Arc<RetryQuota>) -> Client {
        self.quota = quota;
        self
    }

    /// The service's documents and parsed model, loaded once.
    pub fn service(&self, service: &str) -> Result<Arc<LoadedService>, CallError> {
        if let Some(hit) = self.lock_loaded().get(service) {
            return Ok(Arc::clone(hit));
        }
        let documents = self
            .catalog
            .load(service)
            .map_err(CallError::from_catalog)?;
        let model = self
            .catalog
            .parsed(&documents)
            .map_err(|source| CallError::Model {
                service: service.to_string(),
                source,
            })?;
        let loaded = Arc::new(LoadedService { documents, model });
        self.lock_loaded()
            .insert(service.to_string(), Arc::clone(&loaded));
        Ok(loaded)
    }

    /// Calls `service:operation` with `input` and returns its output.
    pub async fn call(
        &self,
        service: &str,
        operation: &str,
        input: &Value,
    ) -> Result<Value, CallError> {
        let span = debug_span!("aws_call", service, operation);
        async {
            let planned = self.plan(service, operation, input)?;
            let credentials = self.credentials_for(&planned).await?;
            self.send_with_retries(service, &planned, credentials.as_ref())
                .await
        }
        .instrument(span)
        .await
    }

    /// The request `call` would send first, signed when credentials are available, with
    /// secrets redacted.
    pub async fn prepare(
        &self,
        service: &str,
        operation: &str,
        input: &Value,
    ) -> Result<PreparedRequest, CallError> {
        let planned = self.plan(service, operation, input)?;
        let credentials = self.credentials_for(&planned).await.ok().flatten();
        let signed = credentials.is_some() || planned.auth == AuthPlan::Anonymous;
        let request = self.signed_request(&planned, credentials.as_ref())?;
        Ok(PreparedRequest {
            method: request.method.clone(),
            url: planned.url.clone(),
            headers: request
                .headers
                .iter()
                .map(|(name, value)| (name.clone(), redact_header(name, value).to_string()))
                .collect(),
            body: String::from_utf8_lossy(&request.body).into_owned(),
            signed,
        })
    }

    /// Everything up to signing: model, validation, serialization, endpoint and auth plan.
    fn plan(&self, service: &str, operation: &str, input: &Value) -> Result<Planned, CallError> {
        let loaded = self.service(service)?;
        let op = find_operation(&loaded, service, operation)?;
        if self.region.is_none() {
            // Endpoint rules and signatures both need one; say so before either fails obscurely.
            return Err(CallError::NoRegion {
                service: service.to_string(),
            });
        }
        debug_span!("validate")
            .in_scope(|| validate_input(&loaded.model, &op, input))
            .map_err(|errors| CallError::Validation {
                service: service.to_string(),
                operation: operation.to_string(),
                errors,
            })?;
        let wire_op = customize::wire_operation(service, &op);
        let wire_input = customize::wire_input(service, &loaded.model, &op, input);
        let mut request = debug_span!("serialize")
            .in_scope(|| serialize_request(&loaded.model, &wire_op, &wire_input))
            .map_err(|source| CallError::Serialize {
                service: service.to_string(),
                operation: operation.to_string(),
                source,
            })?;
        for (name, value) in customize::wire_headers(service) {
            if request.header(name).is_none() {
                request.headers.push((name.to_string(), value.to_string()));
            }
        }
        let override_url = self.endpoint_override(&loaded);
        let endpoint = debug_span!("endpoint").in_scope(|| {
            self.resolve_endpoint(&loaded, operation, input, override_url.as_deref())
        })?;
        debug!(url = %endpoint.url, "endpoint resolved");
        let host_prefix = if override_url.is_some() {
            None
        } else {
            request.host_prefix.as_deref()
        };
        let url = join_url(&endpoint.url, &request.path, host_prefix);
        for (name, values) in &endpoint.headers {
            request.headers.push((name.clone(), values.join(",")));
        }
        request
            .headers
            .push(("User-Agent".to_string(), USER_AGENT.to_string()));
        let auth = sigv4::plan_auth(
            loaded.model.metadata(),
            &op,
            &endpoint,
            self.region.as_deref(),
        )?;
        Ok(Planned {
            loaded,
            operation: op,
            url,
            request,
            auth,
        })
    }

    fn resolve_endpoint(
        &self,
        loaded: &LoadedService,
        operation: &str,
        input: &Value,
        override_url: Option<&str>,
    ) -> Result<Endpoint, CallError> {
        let service = loaded.documents.name.as_str();
        let endpoint_error = |source| CallError::Endpoint {
            service: service.to_string(),
            source,
        };
        let Some(rules) = &loaded.documents.endpoint_rules else {
            return match override_url {
                Some(url) => Ok(Endpoint {
                    url: url.to_string(),
                    headers: Default::default(),
                    properties: Map::new(),
                }),
                None => Err(CallError::NoEndpointRules {
                    service: service.to_string(),
                }),
            };
        };
        let partitions = self.catalog.partitions().map_err(CallError::from_catalog)?;
        let built_ins = self.built_ins(override_url);
        let params = bind_params(
            rules,
            &loaded.documents.service,
            operation,
            input,
            &built_ins,
            &Map::new(),
        )
        .map_err(endpoint_error)?;
        endpoint::resolve(rules, partitions, &params).map_err(endpoint_error)
    }

    fn built_ins(&self, override_url: Option<&str>) -> BuiltIns {
        BuiltIns::new()
            .with(
                builtin::REGION,
                self.region.clone().map_or(Value::Null, Value::String),
            )
            .with(builtin::USE_FIPS, json!(self.use_fips))
            .with(builtin::USE_DUAL_STACK, json!(self.use_dual_stack))
            .with(
                builtin::ENDPOINT,
                override_url.map_or(Value::Null, |url| json!(url)),
            )
            .with(builtin::S3_FORCE_PATH_STYLE, json!(override_url.is_some()))
    }

    /// The endpoint override for this service, if any (see the module docs for the order).
    fn endpoint_override(&self, loaded: &LoadedService) -> Option<String> {
        if let Some(url) = &self.explicit_endpoint_url {
            return Some(url.clone());
        }
        if !self.read_endpoint_env || env_flag(IGNORE_ENDPOINTS_ENV) {
            return None;
        }
        let service_id = loaded
            .model
            .metadata()
            .service_id
            .as_deref()
            .unwrap_or(&loaded.documents.name);
        non_empty_env(&service_endpoint_env(service_id))
            .or_else(|| self.sdk_endpoint_url.clone())
            .or_else(|| non_empty_env(GLOBAL_ENDPOINT_ENV))
    }

    async fn credentials_for(&self, planned: &Planned) -> Result<Option<Credentials>, CallError> {
        if planned.auth == AuthPlan::Anonymous {
            return Ok(None);
        }
        let missing = |problem: CredentialsProblem| CallError::Credentials {
            service: planned.loaded.documents.name.clone(),
            operation: planned.operation.name.clone(),
            problem,
        };
        let provider = self
            .credentials
            .as_ref()
            .ok_or_else(|| missing(CredentialsProblem::NotFound))?;
        let credentials = provider
            .provide_credentials()
            .instrument(debug_span!("credentials"))
            .await
            .map_err(|err| missing(CredentialsProblem::of(&err)))?;
        Ok(Some(credentials))
    }

    /// The planned request with signing headers added (at the current time).
    fn signed_request(
        &self,
        planned: &Planned,
        credentials: Option<&Credentials>,
    ) -> Result<HttpRequest, CallError> {
        let mut request = planned.request.clone();
        if let (AuthPlan::SigV4(params), Some(credentials)) = (&planned.auth, credentials) {
            let signed = debug_span!("sign").in_scope(|| {
                sigv4::sign(&request, &planned.url, params, credentials, (self.clock)())
            })?;
            request.headers.extend(signed.0);
        }
        Ok(request)
    }

    /// Sends, retrying what the retry policy and quota allow, and parses the final response.
    async fn send_with_retries(
        &self,
        service: &str,
        planned: &Planned,
        credentials: Option<&Credentials>,
    ) -> Result<Value, CallError> {
        let operation = planned.operation.name.as_str();
        let mut spent = 0;
        let mut attempt = 1;
        let mut progress = RetryProgress::default();
        let last_error = loop {
            let request = self.signed_request(planned, credentials)?;
            let error = match self.attempt(planned, &request).await {
                Ok(output) => {
                    self.quota.on_success(service, spent);
                    return Ok(output);
                }
                Err(error) => error,
            };
            let (failure, hint) = match &error {
                AttemptError::Transport(err) => (Failure::Transport(err), None),
                AttemptError::Api(err, headers) => (
                    Failure::Service {
                        status: err.status,
                        code: &err.code,
                    },
                    retry::retry_after_hint(headers),
                ),
            };
            let action = retry::classify(failure);
            let cost = match action {
                RetryAction::Retry(kind) if attempt < self.retry.max_attempts => {
                    self.quota.acquire(service, kind)
                }
                _ => None,
            };
            let Some(cost) = cost else {
                debug!(attempt, ?action, "not retrying");
                break error;
            };
            spent += cost;
            let delay = self.retry.delay(attempt - 1, hint, fastrand::f64());
            debug!(attempt, ?action, ?delay, "retrying");
            attempt += 1;
            if progress.should_tell(attempt) {
                let notice = RetryNotice {
                    operation: format!("{service}:{operation}"),
                    attempt,
                    max_attempts: self.retry.max_attempts,
                    reason: error.reason(),
                };
                retry::report_retry(&notice, progress.waited());
            }
            tokio::time::sleep(delay).await;
        };
        Err(match last_error {
            AttemptError::Transport(source) => CallError::Transport {
                service: service.to_string(),
                operation: operation.to_string(),
                attempts: attempt,
                source,
            },
            AttemptError::Api(error, _) => CallError::from_api(service, operation, *error),
        })
    }

    async fn attempt(
        &self,
        planned: &Planned,
        request: &HttpRequest,
    ) -> Result<Value, AttemptError> {
        let response = self
            .transport
            .send(&planned.url, request)
            .instrument(debug_span!("send", url = %planned.url))
            .await
            .map_err(AttemptError::Transport)?;
        debug!(status = response.status, "response received");
        let parsed = {
            let _span = debug_span!("parse").entered();
            parse_response(&planned.loaded.model, &planned.operation, &response)
        };
        parsed.map_err(|err| AttemptError::Api(Box::new(err), response.headers))
    }

    fn lock_loaded(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<LoadedService>>> {
        // The map is only ever inserted into: a poisoned lock still holds consistent entries.
        self.loaded
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One attempt's failure: no response, or the service's error with the response headers
/// (which may carry a retry-after hint).
enum AttemptError {
    Transport(TransportError),
    Api(Box<ApiError>, Vec<(String, String)>),
}

impl AttemptError {
    /// Why the attempt failed, in plain words, for retry notices.
    fn reason(&self) -> String {
        match self {
            AttemptError::Transport(error) => error.cause.to_string(),
            AttemptError::Api(error, _) => {
                retry::service_reason(error.status, &error.code, &error.message)
            }
        }
    }
}

/// The operation `operation` of the loaded service; an unknown name is an error with
/// suggestions.
pub fn find_operation(
    loaded: &LoadedService,
    service: &str,
    operation: &str,
) -> Result<Operation, CallError> {
    loaded.model.operation(operation).cloned().ok_or_else(|| {
        let names: Vec<String> = loaded.model.operation_names().map(str::to_string).collect();
        CallError::UnknownOperation {
            service: service.to_string(),
            operation: operation.to_string(),
            suggestions: suggest(operation, &names),
        }
    })
}

/// The endpoint URL plus the request's path and query, as botocore's `_urljoin` does: a bare
/// `/` path keeps the endpoint's own path; a host prefix goes in front of the host.
fn join_url(endpoint_url: &str, request_path: &str, host_prefix: Option<&str>) -> String {
    let (scheme, rest) = endpoint_url
        .split_once("://")
        .unwrap_or(("https", endpoint_url));
    let (authority, base_path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, ""),
    };
    let (path, query) = match request_path.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (request_path, None),
    };
    let joined_path = if path.is_empty() || path == "/" {
        if base_path.is_empty() {
            "/".to_string()
        } else {
            base_path.to_string()
        }
    } else {
        format!("{}{path}", base_path.trim_end_matches('/'))
    };
    let mut url = format!(
        "{scheme}://{}{authority}{joined_path}",
        host_prefix.unwrap_or("")
    );
    if let Some(query) = query.filter(|query| !query.is_empty()) {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// `AWS_ENDPOINT_URL_<SERVICE_ID>`: the service id upper-cased, spaces to underscores.
pub fn service_endpoint_env(service_id: &str) -> String {
    format!(
        "{GLOBAL_ENDPOINT_ENV}_{}",
        service_id.to_ascii_uppercase().replace([' ', '-'], "_")
    )
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

fn env_flag(name: &str) -> bool {
    non_empty_env(name).is_some_and(|value| value.eq_ignore_ascii_case("true"))
}

/// Test doubles shared by the client's unit tests and the paginator's and waiter's.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    pub use crate::aws::http::HttpResponse;
    use crate::aws::transport::SendFuture;
    use aws_config::{BehaviorVersion, Region};

    /// A transport answering from a queue of canned responses and recording what it was sent.
    #[derive(Default)]
    pub struct FakeTransport {
        pub responses: Mutex<Vec<Result<HttpResponse, TransportError>>>,
        pub sent: Mutex<Vec<(String, HttpRequest)>>,
    }

    impl FakeTransport {
        pub fn answering(
            responses: Vec<Result<HttpResponse, TransportError>>,
        ) -> Arc<FakeTransport> {
            let mut responses = responses;
            responses.reverse();
            Arc::new(FakeTransport {
                responses: Mutex::new(responses),
                sent: Mutex::new(Vec::new()),
            })
        }

        pub fn sent(&self) -> Vec<(String, HttpRequest)> {
            self.sent.lock().unwrap().clone()
        }
    }

    impl Transport for FakeTransport {
        fn send<'a>(&'a self, url: &'a str, req: &'a HttpRequest) -> SendFuture<'a> {
            self.sent
                .lock()
                .unwrap()
                .push((url.to_string(), req.clone()));
            let next = self.responses.lock().unwrap().pop();
            Box::pin(async move { next.expect("the fake transport ran out of responses") })
        }
    }

    pub fn response(
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        })
    }

    pub fn sdk_config(with_credentials: bool) -> SdkConfig {
        let builder = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-west-2"));
        let builder = if with_credentials {
            builder.credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKIDEXAMPLE",
                "SECRETKEY",
                Some("SESSIONTOKEN".to_string()),
                None,
                "test",
            )))
        } else {
            builder
        };
        builder.build()
    }

    pub fn client(transport: Arc<FakeTransport>) -> Client {
        Client::with_transport(&sdk_config(true), transport)
            .catalog(Arc::new(Catalog::new(None)))
            .ignore_endpoint_env()
            .retry_policy(RetryPolicy {
                max_attempts: 3,
                base_delay: std::time::Duration::from_millis(1),
                max_delay: std::time::Duration::from_millis(5),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use crate::aws::transport::TransportErrorKind;

    fn sqs_error(code: &str) -> Result<HttpResponse, TransportError> {
        response(
            400,
            &[
                ("x-amzn-RequestId", "req-9"),
                ("x-amzn-query-error", &format!("{code};Sender")),
            ],
            &format!("{{\"__type\":\"com.amazonaws.sqs#{code}\",\"message\":\"nope\"}}"),
        )
    }

    #[tokio::test]
    async fn json_call_round_trip_is_signed_and_parsed() {
        let transport = FakeTransport::answering(vec![response(
            200,
            &[("x-amzn-RequestId", "r1")],
            r#"{"QueueUrl":"https://sqs.us-west-2.amazonaws.com/1/q"}"#,
        )]);
        let output = client(transport.clone())
            .call("sqs", "GetQueueUrl", &json!({"QueueName": "q"}))
            .await
            .unwrap();
        assert_eq!(
            output["QueueUrl"],
            "https://sqs.us-west-2.amazonaws.com/1/q"
        );
        let sent = transport.sent();
        assert_eq!(sent.len(), 1);
        let (url, request) = &sent[0];
        assert_eq!(url, "https://sqs.us-west-2.amazonaws.com/");
        assert_eq!(
            request.header("X-Amz-Target"),
            Some("AmazonSQS.GetQueueUrl")
        );
        let authorization = request.header("authorization").unwrap();
        assert!(
            authorization.contains("/us-west-2/sqs/aws4_request"),
            "{authorization}"
        );
        assert_eq!(request.header("x-amz-security-token"), Some("SESSIONTOKEN"));
        assert_eq!(request.header("user-agent"), Some(USER_AGENT));
    }

    #[tokio::test]
    async fn api_errors_carry_code_and_request_id_without_retry() {
        let transport = FakeTransport::answering(vec![sqs_error("QueueDoesNotExist")]);
        let err = client(transport.clone())
            .call("sqs", "GetQueueUrl", &json!({"QueueName": "missing"}))
            .await
            .unwrap_err();
        match &err {
            CallError::Api(failure) => {
                assert_eq!(failure.code, "QueueDoesNotExist");
                assert_eq!(failure.request_id.as_deref(), Some("req-9"));
                assert_eq!(failure.status, 400);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(transport.sent().len(), 1);
    }

    #[tokio::test]
    async fn throttling_and_connection_errors_are_retried_until_success() {
        let transport = FakeTransport::answering(vec![
            sqs_error("ThrottlingException"),
            Err(TransportError::new(
                TransportErrorKind::Connect,
                "u",
                "Connection refused",
            )),
            response(200, &[], r#"{"QueueUrl":"u"}"#),
        ]);
        let client = client(transport.clone());
        let output = client
            .call("sqs", "GetQueueUrl", &json!({"QueueName": "q"}))
            .await
            .unwrap();
        assert_eq!(output["QueueUrl"], "u");
        assert_eq!(transport.sent().len(), 3);
        assert_eq!(
            client.quota.available(),
            500,
            "a success refunds the retries"
        );
    }

    #[tokio::test]
    async fn retries_stop_at_max_attempts() {
        let transport = FakeTransport::answering(vec![
            response(503, &[], "{}"),
            response(503, &[], "{}"),
            response(503, &[], "{}"),
        ]);
        let err = client(transport.clone())
            .call("sqs", "GetQueueUrl", &json!({"QueueName": "q"}))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, CallError::Api(failure) if failure.status == 503),
            "{err:?}"
        );
        assert_eq!(transport.sent().len(), 3);
    }

    #[tokio::test]
    async fn a_call_failing_again_and_again_tells_its_retries_to_the_observer() {
        let transport = FakeTransport::answering(vec![
            sqs_error("ThrottlingException"),
            response(503, &[], "{}"),
            response(200, &[], r#"{"QueueUrl":"u"}"#),
        ]);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let observer: retry::RetryObserver = {
            let seen = Arc::clone(&seen);
            Arc::new(move |notice: &RetryNotice| seen.lock().unwrap().push(notice.clone()))
        };
        let client = client(transport.clone());
        let input = json!({"QueueName": "q"});
        let call = client.call("sqs", "GetQueueUrl", &input);
        retry::observe_retries(observer, call).await.unwrap();
        assert_eq!(
            *seen.lock().unwrap(),
            vec![RetryNotice {
                operation: "sqs:GetQueueUrl".into(),
                attempt: 3,
                max_attempts: 3,
                reason: "server error (HTTP 503: Service Unavailable)".into(),
            }],
            "the first retry is routine; the second is told"
        );
    }

    #[tokio::test]
    async fn validation_errors_name_paths_and_send_nothing() {
        let transport = FakeTransport::answering(vec![]);
        let err = client(transport.clone())
            .call("sqs", "GetQueueUrl", &json!({"QueueNam": "q"}))
            .await
            .unwrap_err();
        let CallError::Validation { errors, .. } = &err else {
            panic!("unexpected {err:?}")
        };
        assert!(
            errors.iter().any(|e| e.to_string().contains("QueueName")),
            "{err}"
        );
        assert!(transport.sent().is_empty());
    }

    #[tokio::test]
    async fn unknown_service_and_operation_suggest_names() {
        let client = client(FakeTransport::answering(vec![]));
        let err = client
            .call("sqss", "GetQueueUrl", &json!({}))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, CallError::UnknownService { suggestions, .. } if suggestions.contains(&"sqs".to_string())),
            "{err:?}"
        );
        let err = client
            .call("sqs", "GetQueueURL", &json!({}))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, CallError::UnknownOperation { suggestions, .. } if suggestions.contains(&"GetQueueUrl".to_string())),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn s3_override_uses_path_style_without_the_bucket_twice() {
        let transport = FakeTransport::answering(vec![response(200, &[], "")]);
        let client =
            client(transport.clone()).endpoint_url(Some("http://localhost:5000".to_string()));
        client
            .call(
                "s3",
                "PutObject",
                &json!({"Bucket": "my-bucket", "Key": "a/b.txt", "Body": "hi"}),
            )
            .await
            .unwrap();
        let (url, request) = &transport.sent()[0];
        assert_eq!(url, "http://localhost:5000/my-bucket/a/b.txt");
        assert!(request.header("x-amz-content-sha256").is_some());
        assert!(request
            .header("authorization")
            .unwrap()
            .contains("/us-west-2/s3/aws4_request"));
    }

    #[tokio::test]
    async fn s3_without_override_is_virtual_hosted() {
        let transport = FakeTransport::answering(vec![response(200, &[], "<ListBucketResult/>")]);
        client(transport.clone())
            .call("s3", "ListObjectsV2", &json!({"Bucket": "my-bucket"}))
            .await
            .unwrap();
        assert_eq!(
            transport.sent()[0].0,
            "https://my-bucket.s3.us-west-2.amazonaws.com/?list-type=2"
        );
    }

    #[tokio::test]
    async fn apigateway_requests_ask_for_plain_json_not_hal() {
        // Without the header API Gateway answers in HAL, a document shape the model does not
        // describe.
        let transport =
            FakeTransport::answering(vec![response(200, &[], r#"{"item":[{"id":"a1"}]}"#)]);
        let output = client(transport.clone())
            .call("apigateway", "GetRestApis", &json!({}))
            .await
            .unwrap();
        assert_eq!(output["items"][0]["id"], "a1");
        let sent = transport.sent();
        assert_eq!(sent[0].1.header("accept"), Some("application/json"));
    }

    #[tokio::test]
    async fn prepare_redacts_secrets() {
        let client = client(FakeTransport::answering(vec![]));
        let prepared = client
            .prepare("sqs", "ListQueues", &json!({}))
            .await
            .unwrap();
        assert!(prepared.signed);
        assert_eq!(prepared.method, "POST");
        let authorization = prepared
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"));
        assert_eq!(
            authorization.map(|(_, v)| v.as_str()),
            Some(sigv4::REDACTED)
        );
        let token = prepared
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-security-token"));
        assert_eq!(token.map(|(_, v)| v.as_str()), Some(sigv4::REDACTED));
        assert!(!format!("{prepared:?}").contains("SESSIONTOKEN"));
    }

    #[tokio::test]
    async fn prepare_without_credentials_shows_the_unsigned_request() {
        let client = Client::with_transport(&sdk_config(false), FakeTransport::answering(vec![]))
            .catalog(Arc::new(Catalog::new(None)))
            .ignore_endpoint_env();
        let prepared = client
            .prepare("sqs", "ListQueues", &json!({}))
            .await
            .unwrap();
        assert!(!prepared.signed);
        assert!(!prepared
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization")));
    }

    #[tokio::test]
    async fn missing_region_is_a_clear_error() {
        let sdk = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let client = Client::with_transport(&sdk, FakeTransport::answering(vec![]))
            .catalog(Arc::new(Catalog::new(None)))
            .ignore_endpoint_env();
        let err = client
            .call("sqs", "ListQueues", &json!({}))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("AWS_REGION"), "{err}");
    }

    #[tokio::test]
    async fn missing_credentials_is_a_clear_error() {
        let client = Client::with_transport(&sdk_config(false), FakeTransport::answering(vec![]))
            .catalog(Arc::new(Catalog::new(None)))
            .ignore_endpoint_env();
        let err = client
            .call("sqs", "ListQueues", &json!({}))
            .await
            .unwrap_err();
        assert!(matches!(err, CallError::Credentials { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn service_customizations_shape_the_url() {
        let client = client(FakeTransport::answering(vec![]));
        let s3control = client
            .prepare(
                "s3control",
                "GetPublicAccessBlock",
                &json!({"AccountId": "123456789012"}),
            )
            .await
            .unwrap();
        assert_eq!(
            s3control.url,
            "https://123456789012.s3-control.us-west-2.amazonaws.com/v20180820/configuration/publicAccessBlock"
        );
        let route53 = client
            .prepare(
                "route53",
                "GetHostedZone",
                &json!({"Id": "/hostedzone/Z123"}),
            )
            .await
            .unwrap();
        assert_eq!(
            route53.url,
            "https://route53.amazonaws.com/2013-04-01/hostedzone/Z123"
        );
    }

    #[test]
    fn join_url_keeps_endpoint_paths_and_host_prefixes() {
        assert_eq!(join_url("https://h", "/", None), "https://h/");
        assert_eq!(join_url("https://h/base", "/", None), "https://h/base");
        assert_eq!(
            join_url("https://h/base/", "/k?x=1", None),
            "https://h/base/k?x=1"
        );
        assert_eq!(
            join_url("https://h", "/?list-type=2", None),
            "https://h/?list-type=2"
        );
        assert_eq!(
            join_url("https://h:443", "/p", Some("data-")),
            "https://data-h:443/p"
        );
    }

    #[test]
    fn service_endpoint_env_names() {
        assert_eq!(
            service_endpoint_env("CloudWatch Logs"),
            "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"
        );
        assert_eq!(
            service_endpoint_env("DynamoDB"),
            "AWS_ENDPOINT_URL_DYNAMODB"
        );
    }
}
