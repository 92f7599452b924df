//! Request authentication: choosing the auth scheme of a call (model `auth`/`authtype` traits,
//! then the endpoint's `authSchemes`) and signing with AWS Signature Version 4 (`aws-sigv4`).
//!
//! The signer returns the headers to add; the caller applies them. Schemes gapfill cannot sign
//! (sigv4a, bearer tokens, S3 Express sessions) are a clear error, never a wrong signature.

use std::fmt;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign as sigv4_sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
    SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use serde_json::Value;

use crate::aws::endpoint::Endpoint;
use crate::aws::http::HttpRequest;
use crate::aws::model::{Metadata, Operation};

/// Header value shown in place of secrets.
pub const REDACTED: &str = "<redacted>";

/// How one call is authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthPlan {
    /// Sent without credentials (`authtype: none`, `smithy.api#noAuth`).
    Anonymous,
    SigV4(SigV4Params),
}

/// What a SigV4 signature is computed over, besides the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigV4Params {
    pub signing_name: String,
    pub signing_region: String,
    /// Percent-encode the path once rather than twice (S3 and S3-like services).
    pub disable_double_encoding: bool,
    /// Sign `UNSIGNED-PAYLOAD` instead of the body hash (`authtype: v4-unsigned-body`).
    pub unsigned_payload: bool,
    /// Send the `x-amz-content-sha256` header (S3 requires it).
    pub content_sha256_header: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("unsupported auth scheme `{scheme}` for {operation}: gapfill signs with sigv4 only")]
    UnsupportedAuth { scheme: String, operation: String },
    #[error("no region to sign {operation} with: set AWS_REGION or a profile region")]
    NoRegion { operation: String },
    #[error("cannot sign the request for {url}: {reason}")]
    Signing { url: String, reason: String },
}

/// Model auth trait names.
const SIGV4_TRAIT: &str = "aws.auth#sigv4";
const NO_AUTH_TRAIT: &str = "smithy.api#noAuth";

/// Picks the auth scheme for `op`: the operation's `auth` list (first supported entry), else
/// its legacy `authtype`, else the service's `auth` list / `signatureVersion`; then lets the
/// endpoint's `authSchemes` refine the signing name, region and encoding.
pub fn plan_auth(
    metadata: &Metadata,
    op: &Operation,
    endpoint: &Endpoint,
    region: Option<&str>,
) -> Result<AuthPlan, SignError> {
    let unsupported = |scheme: &str| SignError::UnsupportedAuth {
        scheme: scheme.to_string(),
        operation: op.name.clone(),
    };
    let unsigned_payload = match model_scheme(metadata, op) {
        ModelScheme::Anonymous => return Ok(AuthPlan::Anonymous),
        ModelScheme::Unsupported(scheme) => return Err(unsupported(&scheme)),
        ModelScheme::SigV4 { unsigned_payload } => unsigned_payload,
    };
    let endpoint_scheme = endpoint_sigv4_scheme(endpoint).map_err(|scheme| unsupported(&scheme))?;
    let default_name = metadata
        .signing_name
        .clone()
        .or_else(|| metadata.endpoint_prefix.clone())
        .unwrap_or_default();
    let signing_name = endpoint_scheme
        .and_then(|scheme| scheme.get("signingName")?.as_str().map(str::to_string))
        .unwrap_or(default_name);
    let signing_region = endpoint_scheme
        .and_then(|scheme| scheme.get("signingRegion")?.as_str().map(str::to_string))
        .or_else(|| region.map(str::to_string))
        .ok_or_else(|| SignError::NoRegion {
            operation: op.name.clone(),
        })?;
    let is_s3 =
        signing_name.starts_with("s3") || metadata.signature_version.as_deref() == Some("s3v4");
    let disable_double_encoding = endpoint_scheme
        .and_then(|scheme| scheme.get("disableDoubleEncoding")?.as_bool())
        .unwrap_or(is_s3);
    Ok(AuthPlan::SigV4(SigV4Params {
        signing_name,
        signing_region,
        disable_double_encoding,
        unsigned_payload,
        content_sha256_header: is_s3 || unsigned_payload,
    }))
}

enum ModelScheme {
    Anonymous,
    SigV4 { unsigned_payload: bool },
    Unsupported(String),
}

fn model_scheme(metadata: &Metadata, op: &Operation) -> ModelScheme {
    let unsigned_payload = op.authtype.as_deref() == Some("v4-unsigned-body");
    if !op.auth.is_empty() {
        return scheme_from_traits(&op.auth, unsigned_payload);
    }
    match op.authtype.as_deref() {
        Some("none") => return ModelScheme::Anonymous,
        Some("v4" | "v4-unsigned-body") => return ModelScheme::SigV4 { unsigned_payload },
        Some(other) => return ModelScheme::Unsupported(other.to_string()),
        None => {}
    }
    if !metadata.auth.is_empty() {
        return scheme_from_traits(&metadata.auth, unsigned_payload);
    }
    match metadata.signature_version.as_deref() {
        None | Some("v4" | "s3v4" | "s3") => ModelScheme::SigV4 { unsigned_payload },
        Some(other) => ModelScheme::Unsupported(other.to_string()),
    }
}

/// The first auth trait gapfill supports, in the model's order of preference.
fn scheme_from_traits(traits: &[String], unsigned_payload: bool) -> ModelScheme {
    for name in traits {
        match name.as_str() {
            SIGV4_TRAIT => return ModelScheme::SigV4 { unsigned_payload },
            NO_AUTH_TRAIT => return ModelScheme::Anonymous,
            _ => {}
        }
    }
    ModelScheme::Unsupported(traits.join(", "))
}

/// The endpoint's first `sigv4` auth scheme; `Err(names)` when it lists only schemes gapfill
/// cannot sign (such as `sigv4a` for multi-region access points).
fn endpoint_sigv4_scheme(endpoint: &Endpoint) -> Result<Option<&Value>, String> {
    let schemes = endpoint.auth_schemes();
    if schemes.is_empty() {
        return Ok(None);
    }
    let name_of = |scheme: &Value| {
        scheme
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    match schemes.iter().find(|scheme| name_of(scheme) == "sigv4") {
        Some(scheme) => Ok(Some(scheme)),
        None if schemes.iter().any(|scheme| name_of(scheme) == "none") => Ok(None),
        None => Err(schemes.iter().map(name_of).collect::<Vec<_>>().join(", ")),
    }
}

/// Headers produced by signing. Debug output redacts the secret ones.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedHeaders(pub Vec<(String, String)>);

impl fmt::Debug for SignedHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: Vec<(&str, &str)> = self
            .0
            .iter()
            .map(|(name, value)| (name.as_str(), redact_header(name, value)))
            .collect();
        f.debug_tuple("SignedHeaders").field(&shown).finish()
    }
}

/// True for headers carrying credentials or signatures.
pub fn is_secret_header(name: &str) -> bool {
    ["authorization", "x-amz-security-token", "x-amz-signature"]
        .iter()
        .any(|secret| name.eq_ignore_ascii_case(secret))
}

/// The value to show for a header: secrets replaced by [`REDACTED`].
pub fn redact_header<'a>(name: &str, value: &'a str) -> &'a str {
    if is_secret_header(name) {
        REDACTED
    } else {
        value
    }
}

/// Signs `request`, to be sent to `url` (scheme, host, path and query), with SigV4 at `time`.
/// Returns the headers to add (`Authorization`, `X-Amz-Date`, maybe `X-Amz-Security-Token` and
/// `x-amz-content-sha256`).
pub fn sign(
    request: &HttpRequest,
    url: &str,
    params: &SigV4Params,
    credentials: &Credentials,
    time: SystemTime,
) -> Result<SignedHeaders, SignError> {
    let failed = |reason: String| SignError::Signing {
        url: url.to_string(),
        reason,
    };
    let identity = credentials.clone().into();
    let signing_params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&params.signing_region)
        .name(&params.signing_name)
        .time(time)
        .settings(settings(params))
        .build()
        .map_err(|err| failed(err.to_string()))?
        .into();
    let body = if params.unsigned_payload {
        SignableBody::UnsignedPayload
    } else {
        SignableBody::Bytes(&request.body)
    };
    let headers = request
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()));
    let signable = SignableRequest::new(&request.method, url, headers, body)
        .map_err(|err| failed(err.to_string()))?;
    let output = sigv4_sign(signable, &signing_params).map_err(|err| failed(err.to_string()))?;
    let (instructions, _signature) = output.into_parts();
    let added = instructions
        .headers()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    Ok(SignedHeaders(added))
}

fn settings(params: &SigV4Params) -> SigningSettings {
    let mut settings = SigningSettings::default();
    if params.content_sha256_header {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    if params.disable_double_encoding {
        // S3 object keys are signed exactly as sent: no second encoding, no `..` folding.
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    settings
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};
    use std::time::{Duration, UNIX_EPOCH};

    fn credentials(token: Option<&str>) -> Credentials {
        Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            token.map(str::to_string),
            None,
            "test",
        )
    }

    fn params(name: &str) -> SigV4Params {
        SigV4Params {
            signing_name: name.to_string(),
            signing_region: "us-east-1".to_string(),
            disable_double_encoding: false,
            unsigned_payload: false,
            content_sha256_header: false,
        }
    }

    /// 2015-08-30T12:36:00Z, the time of the AWS SigV4 test suite.
    fn suite_time() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_440_938_160)
    }

    fn header<'a>(signed: &'a SignedHeaders, name: &str) -> Option<&'a str> {
        signed
            .0
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    #[test]
    fn matches_the_sigv4_test_suite_get_vanilla() {
        let request = HttpRequest {
            method: "GET".to_string(),
            path: "/".to_string(),
            headers: vec![("X-Amz-Date".to_string(), "20150830T123600Z".to_string())],
            ..HttpRequest::default()
        };
        let signed = sign(
            &request,
            "https://example.amazonaws.com/",
            &params("service"),
            &credentials(None),
            suite_time(),
        )
        .unwrap();
        // Expected value from the AWS SigV4 test suite (get-vanilla).
        assert_eq!(
            header(&signed, "authorization"),
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                 SignedHeaders=host;x-amz-date, \
                 Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
            )
        );
    }

    #[test]
    fn session_token_and_content_sha256_are_added() {
        let request = HttpRequest {
            method: "PUT".to_string(),
            path: "/key".to_string(),
            body: b"hello".to_vec(),
            ..HttpRequest::default()
        };
        let mut s3 = params("s3");
        s3.content_sha256_header = true;
        s3.disable_double_encoding = true;
        let signed = sign(
            &request,
            "https://bucket.s3.amazonaws.com/key",
            &s3,
            &credentials(Some("TOKEN")),
            suite_time(),
        )
        .unwrap();
        assert_eq!(header(&signed, "x-amz-security-token"), Some("TOKEN"));
        assert_eq!(
            header(&signed, "x-amz-content-sha256"),
            Some("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        );
    }

    #[test]
    fn unsigned_payload_is_declared() {
        let request = HttpRequest {
            method: "POST".to_string(),
            path: "/".to_string(),
            body: b"data".to_vec(),
            ..HttpRequest::default()
        };
        let mut unsigned = params("glacier");
        unsigned.unsigned_payload = true;
        unsigned.content_sha256_header = true;
        let signed = sign(
            &request,
            "https://x.amazonaws.com/",
            &unsigned,
            &credentials(None),
            suite_time(),
        )
        .unwrap();
        assert_eq!(
            header(&signed, "x-amz-content-sha256"),
            Some("UNSIGNED-PAYLOAD")
        );
    }

    #[test]
    fn debug_redacts_signatures_and_tokens() {
        let request = HttpRequest {
            method: "GET".to_string(),
            path: "/".to_string(),
            ..HttpRequest::default()
        };
        let signed = sign(
            &request,
            "https://example.amazonaws.com/",
            &params("service"),
            &credentials(Some("SECRET-TOKEN")),
            suite_time(),
        )
        .unwrap();
        let debug = format!("{signed:?}");
        assert!(!debug.contains("SECRET-TOKEN"), "{debug}");
        assert!(!debug.contains("Signature="), "{debug}");
        assert!(debug.contains(REDACTED));
    }

    fn metadata(signing_name: &str) -> Metadata {
        Metadata {
            signing_name: Some(signing_name.to_string()),
            signature_version: Some("v4".to_string()),
            ..Metadata::default()
        }
    }

    fn operation(auth: &[&str], authtype: Option<&str>) -> Operation {
        let mut op = json!({"name": "Op", "http": {"method": "POST", "requestUri": "/"}});
        if !auth.is_empty() {
            op["auth"] = json!(auth);
        }
        if let Some(authtype) = authtype {
            op["authtype"] = json!(authtype);
        }
        let doc = json!({"metadata": {"protocol": "json", "apiVersion": "2020-01-01"},
                         "operations": {"Op": op}, "shapes": {}});
        let model = crate::aws::model::ServiceModel::from_json(&doc).unwrap();
        model.operation("Op").unwrap().clone()
    }

    fn endpoint(schemes: Value) -> Endpoint {
        let mut properties = Map::new();
        if !schemes.is_null() {
            properties.insert("authSchemes".to_string(), schemes);
        }
        Endpoint {
            url: "https://x".to_string(),
            headers: Default::default(),
            properties,
        }
    }

    #[test]
    fn plan_uses_endpoint_signing_name_and_region() {
        let plan = plan_auth(
            &metadata("s3"),
            &operation(&[], None),
            &endpoint(json!([{"name": "sigv4a", "signingRegionSet": ["*"]},
                             {"name": "sigv4", "signingName": "s3-outposts", "signingRegion": "eu-west-1",
                              "disableDoubleEncoding": true}])),
            Some("us-east-1"),
        )
        .unwrap();
        let AuthPlan::SigV4(params) = plan else {
            panic!("expected sigv4, got {plan:?}")
        };
        assert_eq!(params.signing_name, "s3-outposts");
        assert_eq!(params.signing_region, "eu-west-1");
        assert!(params.disable_double_encoding);
        assert!(params.content_sha256_header);
    }

    #[test]
    fn plan_honours_no_auth_and_unsigned_body() {
        let none = plan_auth(
            &metadata("sts"),
            &operation(&[], Some("none")),
            &endpoint(Value::Null),
            None,
        );
        assert_eq!(none, Ok(AuthPlan::Anonymous));
        let no_auth = plan_auth(
            &metadata("cognito-identity"),
            &operation(&["smithy.api#noAuth"], None),
            &endpoint(Value::Null),
            None,
        );
        assert_eq!(no_auth, Ok(AuthPlan::Anonymous));
        let unsigned = plan_auth(
            &metadata("glacier"),
            &operation(&[], Some("v4-unsigned-body")),
            &endpoint(Value::Null),
            Some("us-west-2"),
        )
        .unwrap();
        assert!(matches!(
            unsigned,
            AuthPlan::SigV4(SigV4Params {
                unsigned_payload: true,
                ..
            })
        ));
    }

    #[test]
    fn plan_rejects_sigv4a_only_and_bearer() {
        let sigv4a = plan_auth(
            &metadata("s3"),
            &operation(&[], None),
            &endpoint(json!([{"name": "sigv4a", "signingRegionSet": ["*"]}])),
            Some("us-east-1"),
        );
        assert!(
            matches!(sigv4a, Err(SignError::UnsupportedAuth { ref scheme, .. }) if scheme == "sigv4a"),
            "{sigv4a:?}"
        );
        let bearer = plan_auth(
            &metadata("codecatalyst"),
            &operation(&["smithy.api#httpBearerAuth"], None),
            &endpoint(Value::Null),
            Some("us-east-1"),
        );
        assert!(matches!(bearer, Err(SignError::UnsupportedAuth { .. })));
    }

    #[test]
    fn plan_without_region_is_an_error() {
        let err = plan_auth(
            &metadata("sqs"),
            &operation(&[], None),
            &endpoint(Value::Null),
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("AWS_REGION"), "{err}");
    }
}
