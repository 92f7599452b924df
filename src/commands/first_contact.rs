//! The first contact with AWS, once per command before its work, and what its failures say:
//! one line naming the service, the endpoint and the cause in plain words, and hints that name
//! where the setting at fault came from (`AWS_ENDPOINT_URL`, `--region`, the environment's
//! credentials, a proxy variable) and what to do.
//!
//! The contact is one cheap call, made once without retries and with short timeouts:
//! CloudFormation DescribeStacks of the project's first stack (its answer serves that stack's
//! first look, so no call is added), or STS GetCallerIdentity for a project without stacks.
//! Anything it meets that the command's own calls could get past (throttling, a server error)
//! is left to them.

use std::sync::Arc;

use aws_config::SdkConfig;
use serde_json::json;
use tracing::debug;

use crate::aws::catalog::{suggest, Catalog};
use crate::aws::diagnose::{origin, proxy_for, AuthProblem, CredentialsProblem, Unreachable};
use crate::aws::error::CallError;
use crate::aws::invoke::{service_endpoint_env, Client};
use crate::aws::retry::RetryPolicy;
use crate::aws::transport::Timeouts;
use crate::cloudformation::contact::{ANSWER_TIMEOUT, CONNECT_TIMEOUT};
use crate::cloudformation::{Cfn, ContactError};
use crate::commands::call::CallCommandError;
use crate::error::Error;

const IGNORE_ENDPOINTS_ENV: &str = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";

/// The hint for missing credentials: where credentials can come from.
pub const CREDENTIALS_HINT: &str = "use a profile (--profile or AWS_PROFILE; `aws sso login` for SSO), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; in CI, assume a role with OIDC";

/// Where the settings of this run came from, for hints.
pub struct Origins<'a> {
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub sdk: &'a SdkConfig,
    /// The region and where it came from (`--region`, `AWS_REGION`, ...).
    pub region: Option<(String, String)>,
    /// The profile in use: `--profile`, `AWS_PROFILE`, or none (the default one).
    pub profile: Option<String>,
    /// Where the credentials came from, once resolved and when it is known: a hint.
    pub credentials_origin: Option<String>,
    /// The endpoint given on the command line, if any.
    pub explicit_endpoint: Option<String>,
}

impl Origins<'_> {
    /// Where the endpoint of a service came from, when it is not AWS's own: the
    /// variable or setting that names it.
    fn endpoint_origin(&self, service_id: &str) -> Option<String> {
        if self.explicit_endpoint.is_some() {
            return Some("--endpoint-url".to_string());
        }
        let set = |name: &str| (self.env)(name).filter(|value| !value.is_empty());
        if set(IGNORE_ENDPOINTS_ENV).is_some_and(|value| value.eq_ignore_ascii_case("true")) {
            return None;
        }
        let service_env = service_endpoint_env(service_id);
        if set(&service_env).is_some() {
            return Some(service_env);
        }
        if set("AWS_ENDPOINT_URL").is_some() {
            return Some("AWS_ENDPOINT_URL".to_string());
        }
        self.sdk
            .endpoint_url()
            .map(|_| "the profile's `endpoint_url` (~/.aws/config)".to_string())
    }

    /// ` --profile NAME` when a profile other than the default is in use.
    fn profile_flag(&self) -> String {
        self.profile
            .as_deref()
            .map(|profile| format!(" --profile {profile}"))
            .unwrap_or_default()
    }

    /// `the region `X` (from SOURCE)`.
    fn region_text(&self) -> String {
        match &self.region {
            Some((region, source)) => format!("the region `{region}` (from {source})"),
            None => "the region".to_string(),
        }
    }
}

/// The first contact: CloudFormation when the project has stacks (`first_stack`), STS
/// otherwise. Fails with one clear error when the endpoint cannot be reached or AWS refuses
/// the credentials.
pub async fn check(
    cfn: &Cfn,
    catalog: &Arc<Catalog>,
    first_stack: Option<&str>,
    origins: &Origins<'_>,
) -> Result<(), Error> {
    match first_stack {
        Some(stack) => match cfn.first_contact(stack).await {
            Ok(()) => Ok(()),
            Err(error) => contact_failure(error, catalog, origins),
        },
        None => sts_contact(catalog, origins).await,
    }
}

fn contact_failure(
    error: ContactError,
    catalog: &Catalog,
    origins: &Origins<'_>,
) -> Result<(), Error> {
    const SERVICE: Service = Service {
        label: "CloudFormation",
        id: "CloudFormation",
    };
    match error {
        ContactError::Unreachable { endpoint, cause } => {
            let endpoint = endpoint.unwrap_or_else(|| "its endpoint".to_string());
            Err(unreachable(SERVICE, &endpoint, &cause, catalog, origins))
        }
        ContactError::Answered {
            endpoint,
            status,
            error,
        } => answered(
            SERVICE,
            error.operation,
            endpoint.as_deref(),
            status,
            &error.code,
            &error.message,
            origins,
        ),
        ContactError::Request(why) => Err(Error::new(format!(
            "cannot make a CloudFormation request: {why}"
        ))
        .hint(format!("check {}", origins.region_text()))),
    }
}

/// The first contact of a project without stacks: STS GetCallerIdentity, which any
/// credentials may call.
async fn sts_contact(catalog: &Arc<Catalog>, origins: &Origins<'_>) -> Result<(), Error> {
    const SERVICE: Service = Service {
        label: "STS",
        id: "STS",
    };
    let timeouts = Timeouts {
        connect: CONNECT_TIMEOUT,
        request: ANSWER_TIMEOUT,
    };
    let client = match Client::with_timeouts(origins.sdk, timeouts) {
        Ok(client) => client
            .catalog(Arc::clone(catalog))
            .retry_policy(RetryPolicy {
                max_attempts: 1,
                ..RetryPolicy::default()
            }),
        Err(error) => return Err(Error::new(error.to_string())),
    };
    match client.call("sts", "GetCallerIdentity", &json!({})).await {
        Ok(identity) => {
            debug!(arn = %identity["Arn"], account = %identity["Account"], "AWS identity");
            Ok(())
        }
        Err(CallError::Transport { source, .. }) => Err(unreachable(
            SERVICE,
            &source.url,
            &source.cause,
            catalog,
            origins,
        )),
        Err(CallError::Api(failure)) => answered(
            SERVICE,
            "GetCallerIdentity",
            None,
            failure.status,
            &failure.code,
            &failure.message,
            origins,
        ),
        Err(other) => {
            // The contact is a check, not the command's work: what it cannot do for its own
            // reasons is left to the command's calls.
            debug!(error = %other, "first contact skipped");
            Ok(())
        }
    }
}

/// A service as messages name it, and as its endpoint variable does.
#[derive(Debug, Clone, Copy)]
pub struct Service<'a> {
    /// `CloudFormation`, `STS`, `sqs`.
    pub label: &'a str,
    /// The service id, for `AWS_ENDPOINT_URL_<ID>`.
    pub id: &'a str,
}

/// `cannot reach SERVICE at ENDPOINT[ through the proxy P]: CAUSE`, with where the endpoint
/// (or the proxy) came from and what to check.
pub fn unreachable(
    service: Service<'_>,
    endpoint: &str,
    cause: &Unreachable,
    catalog: &Catalog,
    origins: &Origins<'_>,
) -> Error {
    let proxy = proxy_for(endpoint, origins.env);
    let through = proxy
        .as_ref()
        .map(|(variable, proxy)| format!(" through the proxy {proxy} (from {variable})"))
        .unwrap_or_default();
    let mut error = Error::new(format!(
        "cannot reach {} at {}{through}: {cause}",
        service.label,
        origin(endpoint)
    ));
    let configured = origins.endpoint_origin(service.id);
    error = match &configured {
        Some(source) if source == "--endpoint-url" => error.hint(
            "the endpoint comes from --endpoint-url: check it, and that the service it points at is running",
        ),
        Some(source) => error.hint(format!(
            "the endpoint comes from {source}: check it, and that the service it points at is running; unset it to reach AWS itself"
        )),
        None if *cause == Unreachable::Dns => error.hint(region_hint(catalog, origins)),
        None if proxy.is_some() => error,
        None => error.hint("check this machine's network connection (VPN, firewall)"),
    };
    if let (Unreachable::Tls(_), Some(_)) = (cause, &configured) {
        if endpoint.starts_with("https://") {
            error = error.hint("an emulator on this machine usually speaks plain http://");
        }
    }
    match proxy {
        Some(_) => error.hint("check the proxy, or list the host in NO_PROXY to bypass it"),
        None if configured.is_none()
            && matches!(cause, Unreachable::ConnectTimeout | Unreachable::NoAnswer) =>
        {
            error
                .hint("behind a proxy? set HTTPS_PROXY (and NO_PROXY for hosts it must not handle)")
        }
        None => error,
    }
}

/// What to say about the region when an AWS host name does not resolve.
fn region_hint(catalog: &Catalog, origins: &Origins<'_>) -> String {
    let Some((region, source)) = &origins.region else {
        return "check this machine's network and DNS".to_string();
    };
    let known = known_regions(catalog);
    if known.is_empty() || known.contains(region) {
        return "check this machine's network and DNS".to_string();
    }
    let did_you_mean = suggest(region, &known)
        .first()
        .map(|region| format!("; did you mean `{region}`?"))
        .unwrap_or_default();
    format!("`{region}` (from {source}) is not a region AWS lists{did_you_mean}")
}

/// The regions of every partition the endpoint rules know.
fn known_regions(catalog: &Catalog) -> Vec<String> {
    let Ok(partitions) = catalog.partitions() else {
        return Vec::new();
    };
    partitions["partitions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|partition| partition["regions"].as_object())
        .flat_map(|regions| regions.keys())
        .filter(|region| !region.ends_with("-global"))
        .cloned()
        .collect()
}

/// An error answer at first contact: an error when it is about the credentials or the
/// permissions, or when the endpoint does not answer like AWS; anything else (throttling, a
/// server error) is left to the command's calls, which retry.
fn answered(
    service: Service<'_>,
    operation: &str,
    endpoint: Option<&str>,
    status: u16,
    code: &str,
    message: &str,
    origins: &Origins<'_>,
) -> Result<(), Error> {
    if let Some(problem) = AuthProblem::of(code, message) {
        return Err(auth_error(
            &problem, service, operation, code, message, endpoint, origins,
        ));
    }
    let no_code = code.is_empty() || code == "Error" || code == status.to_string();
    if no_code && (400..500).contains(&status) && status != 429 {
        let at = endpoint
            .map(|url| format!(" at {}", origin(url)))
            .unwrap_or_default();
        let error = Error::new(format!(
            "{}{at} answered HTTP {status} without an AWS error: is that its endpoint?",
            service.label
        ));
        return Err(match origins.endpoint_origin(service.id) {
            Some(source) => error.hint(format!("the endpoint comes from {source}")),
            None => error,
        });
    }
    debug!(
        code,
        status, "first contact answered with an error the command may get past"
    );
    Ok(())
}

/// The error for a credential or permission problem AWS answered `operation` with.
pub fn auth_error(
    problem: &AuthProblem,
    service: Service<'_>,
    operation: &str,
    code: &str,
    message: &str,
    endpoint: Option<&str>,
    origins: &Origins<'_>,
) -> Error {
    let answer = format!("{} answered {code}: {message}", service.label);
    let mut error = match problem {
        AuthProblem::Denied(denial) if denial.is_detailed() => {
            Error::new(format!("{} denied {operation}: {denial}", service.label))
        }
        AuthProblem::Denied(_) => Error::new(format!(
            "{} denied {operation} ({code}: {message})",
            service.label
        )),
        AuthProblem::Expired
        | AuthProblem::UnknownKey
        | AuthProblem::BadSignature
        | AuthProblem::WrongScope
        | AuthProblem::ClockSkew
        | AuthProblem::Unsigned
        | AuthProblem::OptInRequired => Error::new(format!("{} ({answer})", problem.summary())),
    };
    let credentials = origins.credentials_origin.clone();
    match problem {
        AuthProblem::Expired => {
            if let Some(credentials) = credentials {
                error = error.hint(credentials);
            }
            error = error.hint(format!(
                "for an SSO profile, run `aws sso login{}`, then try again; other temporary credentials: get new ones (assume the role again)",
                origins.profile_flag()
            ));
        }
        AuthProblem::UnknownKey => {
            if let Some(credentials) = credentials {
                error = error.hint(credentials);
            }
            error = error
                .hint("check the access key id: deleted, deactivated or mistyped? a temporary key needs its session token too")
                .hint(format!(
                    "or {} is an opt-in region the account has not enabled",
                    origins.region_text()
                ));
        }
        AuthProblem::BadSignature => {
            if let Some(credentials) = credentials {
                error = error.hint(credentials);
            }
            error = error.hint(
                "check the secret access key: a character missing or added when it was copied?",
            );
        }
        AuthProblem::WrongScope => {
            let at = endpoint
                .map(|url| format!("the endpoint {}", origin(url)))
                .unwrap_or_else(|| "the endpoint".to_string());
            error = error.hint(format!(
                "requests are signed for {}: {at} may belong to another one",
                origins.region_text()
            ));
        }
        AuthProblem::ClockSkew => {
            error = error
                .hint("set this computer's clock right (NTP): AWS allows 5 minutes of difference");
        }
        AuthProblem::Unsigned => {
            if let Some(source) = origins.endpoint_origin(service.id) {
                error = error.hint(format!(
                    "the endpoint comes from {source}: is it {}'s?",
                    service.label
                ));
            }
        }
        AuthProblem::OptInRequired => {
            error = error.hint(format!(
                "enable {} for the account, or use another",
                origins.region_text()
            ));
        }
        AuthProblem::Denied(denial) => {
            let likely = format!("{}:{operation}", service.id.to_ascii_lowercase());
            error = error.hint(denial.advice(&likely));
        }
    }
    error
}

/// The error for credentials the chain could not provide.
pub fn credentials_error(problem: &CredentialsProblem, origins: &Origins<'_>) -> Error {
    match problem {
        CredentialsProblem::NotFound => {
            let error = Error::new("no AWS credentials found");
            match &origins.profile {
                Some(profile) => error.hint(format!(
                    "profile `{profile}` gave none: is it in ~/.aws/config or ~/.aws/credentials (or AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE)? `aws configure list-profiles` lists them"
                )),
                None => error.hint(CREDENTIALS_HINT),
            }
        }
        CredentialsProblem::Config(detail) => Error::new(format!(
            "the AWS configuration cannot be used: {detail}"
        ))
        .hint("profiles live in ~/.aws/config and ~/.aws/credentials (or AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE); `aws configure list-profiles` lists them"),
        CredentialsProblem::Expired(detail) => {
            Error::new(format!("the AWS credentials have expired: {detail}")).hint(format!(
                "for an SSO profile, run `aws sso login{}`, then try again",
                origins.profile_flag()
            ))
        }
        CredentialsProblem::TimedOut(detail) => {
            Error::new(format!("loading the AWS credentials timed out: {detail}"))
                .hint(CREDENTIALS_HINT)
        }
        CredentialsProblem::Failed(detail) => {
            Error::new(format!("cannot load the AWS credentials: {detail}")).hint(CREDENTIALS_HINT)
        }
    }
}

/// The error when no region is set anywhere: where one can come from.
pub fn no_region_error(project_file: &str) -> Error {
    Error::new(format!(
        "no AWS region: pass --region, export AWS_REGION, set `region:` in {project_file}, or give the AWS profile one"
    ))
}

/// `gapfill call`'s error for a failed call: first-contact problems (no region, no
/// credentials, an endpoint out of reach, credentials refused) said as the project commands
/// say them; anything else as the client says it.
pub fn call_failure(error: CallError, catalog: &Catalog, origins: &Origins<'_>) -> Error {
    match &error {
        CallError::NoRegion { .. } => no_region_error("gapfill.yaml"),
        CallError::Credentials { problem, .. } => credentials_error(problem, origins),
        CallError::Transport {
            service, source, ..
        } => {
            let service_id = service_id_of(catalog, service);
            unreachable(
                Service {
                    label: service,
                    id: &service_id,
                },
                &source.url,
                &source.cause,
                catalog,
                origins,
            )
        }
        CallError::Api(failure) => match AuthProblem::of(&failure.code, &failure.message) {
            Some(problem) => {
                let service_id = service_id_of(catalog, &failure.service);
                auth_error(
                    &problem,
                    Service {
                        label: &failure.service,
                        id: &service_id,
                    },
                    &failure.operation,
                    &failure.code,
                    &failure.message,
                    None,
                    origins,
                )
            }
            None => Error::from(CallCommandError::Call(error)),
        },
        _ => Error::from(CallCommandError::Call(error)),
    }
}

/// The service id of a service (for `AWS_ENDPOINT_URL_<ID>`), its name when unknown.
fn service_id_of(catalog: &Catalog, service: &str) -> String {
    catalog
        .load(service)
        .ok()
        .and_then(|documents| {
            documents.service["metadata"]["serviceId"]
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_else(|| service.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins<'a>(env: &'a dyn Fn(&str) -> Option<String>, sdk: &'a SdkConfig) -> Origins<'a> {
        Origins {
            env,
            sdk,
            region: Some(("us-eats-1".to_string(), "--region".to_string())),
            profile: None,
            credentials_origin: None,
            explicit_endpoint: None,
        }
    }

    #[test]
    fn an_unresolvable_aws_host_points_at_a_mistyped_region() {
        let sdk = SdkConfig::builder().build();
        let env = |_: &str| None;
        let error = unreachable(
            Service {
                label: "CloudFormation",
                id: "CloudFormation",
            },
            "https://cloudformation.us-eats-1.amazonaws.com/",
            &Unreachable::Dns,
            &Catalog::new(None),
            &origins(&env, &sdk),
        );
        assert_eq!(
            error.to_string(),
            "error: cannot reach CloudFormation at https://cloudformation.us-eats-1.amazonaws.com: the host name does not resolve (DNS lookup failed)\n  = hint: `us-eats-1` (from --region) is not a region AWS lists; did you mean `us-east-1`?"
        );
    }

    #[test]
    fn a_proxy_in_the_way_is_named() {
        let sdk = SdkConfig::builder().build();
        let env = |name: &str| (name == "HTTPS_PROXY").then(|| "http://proxy:3128".to_string());
        let error = unreachable(
            Service {
                label: "CloudFormation",
                id: "CloudFormation",
            },
            "https://cloudformation.us-east-1.amazonaws.com/",
            &Unreachable::ConnectTimeout,
            &Catalog::new(None),
            &origins(&env, &sdk),
        );
        assert_eq!(
            error.to_string(),
            "error: cannot reach CloudFormation at https://cloudformation.us-east-1.amazonaws.com through the proxy http://proxy:3128 (from HTTPS_PROXY): connecting timed out\n  = hint: check the proxy, or list the host in NO_PROXY to bypass it"
        );
    }
}
