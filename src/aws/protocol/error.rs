//! The errors of the protocol layer: why a request could not be serialized, and the error a
//! service answered with (or a response that could not be read), in one shape for all protocols.

use std::fmt;

use serde_json::{Map, Value};

use crate::aws::model::ModelError;

/// Why an input could not be turned into a request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SerializeError {
    #[error("invalid value at {path}: {message}")]
    InvalidValue { path: String, message: String },
    #[error("unknown member {name:?} at {path}")]
    UnknownMember { path: String, name: String },
    #[error("missing value for uri label {label:?} of {uri}")]
    MissingUriLabel { label: String, uri: String },
    #[error(
        "invalid host label {member}: {value:?} must contain only alphanumeric characters, \
         hyphens or periods"
    )]
    InvalidHostLabel { member: String, value: String },
    #[error("protocol {0} is not supported by gapfill's client")]
    UnsupportedProtocol(&'static str),
    #[error(transparent)]
    Model(#[from] ModelError),
}

impl SerializeError {
    pub(crate) fn invalid(path: &str, message: impl Into<String>) -> SerializeError {
        SerializeError::InvalidValue {
            path: display_path(path),
            message: message.into(),
        }
    }
}

/// A path as shown to users: the root is `input`.
pub(crate) fn display_path(path: &str) -> String {
    if path.is_empty() {
        "input".to_string()
    } else {
        path.to_string()
    }
}

/// An error answered by the service, or a response the client could not read (then `code` is
/// `InvalidResponse` and `message` says why).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    /// The members of the modelled error shape, in the client's output conventions.
    pub fields: Map<String, Value>,
}

/// The code of an [`ApiError`] for a response that could not be parsed.
pub const INVALID_RESPONSE: &str = "InvalidResponse";

impl ApiError {
    /// A response whose body could not be read as the protocol requires.
    pub(crate) fn invalid_response(
        status: u16,
        request_id: Option<String>,
        why: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            code: INVALID_RESPONSE.to_string(),
            message: why.into(),
            request_id,
            fields: Map::new(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (http {})", self.code, self.status)?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(request_id) = &self.request_id {
            write!(f, " [request id {request_id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// An error code as botocore normalizes it: `ns#Code:http://uri` becomes `Code`.
pub(crate) fn normalize_error_code(raw: &str) -> String {
    let without_suffix = raw.split(':').next().unwrap_or(raw);
    let code = without_suffix.rsplit('#').next().unwrap_or(without_suffix);
    code.trim().to_string()
}

/// The reason phrase of an HTTP status, for errors without a body.
pub(crate) fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_lose_namespace_and_uri() {
        assert_eq!(normalize_error_code("FooError"), "FooError");
        assert_eq!(
            normalize_error_code("aws.protocoltests.restjson#FooError:http://internal.amazon.com/"),
            "FooError"
        );
        assert_eq!(normalize_error_code("FooError:http://x/"), "FooError");
    }

    #[test]
    fn display_names_code_status_message_and_request_id() {
        let error = ApiError {
            status: 400,
            code: "ValidationException".into(),
            message: "bad input".into(),
            request_id: Some("abc".into()),
            fields: Map::new(),
        };
        assert_eq!(
            error.to_string(),
            "ValidationException (http 400): bad input [request id abc]"
        );
    }
}
