//! [`CallError`]: everything that can go wrong calling an AWS operation through the client, from
//! an unknown service name to the service's own error, each variant carrying what a good message
//! needs (suggestions, paths, the AWS code and request id). The client's errors only: how the
//! caller got its input or writes its output is the caller's to report, and no message here
//! names a command-line flag.

use serde_json::{Map, Value};

use crate::aws::catalog::CatalogError;
use crate::aws::diagnose::{AuthProblem, CredentialsProblem};
use crate::aws::endpoint::EndpointError;
use crate::aws::model::ModelError;
use crate::aws::protocol::{ApiError, SerializeError};
use crate::aws::sigv4::SignError;
use crate::aws::transport::TransportError;
use crate::aws::validate::ValidationError;

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("unknown service `{name}`{}", did_you_mean(suggestions))]
    UnknownService {
        name: String,
        suggestions: Vec<String>,
    },
    #[error(transparent)]
    Catalog(CatalogError),
    #[error("cannot use the model of {service}: {source}")]
    Model { service: String, source: ModelError },
    #[error(
        "unknown operation `{operation}` of {service}{}",
        did_you_mean(suggestions)
    )]
    UnknownOperation {
        service: String,
        operation: String,
        suggestions: Vec<String>,
    },
    #[error("invalid input for {service}:{operation}: {}", join_errors(errors))]
    Validation {
        service: String,
        operation: String,
        errors: Vec<ValidationError>,
    },
    #[error("cannot build the request for {service}:{operation}: {source}")]
    Serialize {
        service: String,
        operation: String,
        source: SerializeError,
    },
    #[error("cannot resolve the endpoint of {service}: {source}")]
    Endpoint {
        service: String,
        source: EndpointError,
    },
    #[error("no aws region for {service}: set AWS_REGION or a region in your aws profile")]
    NoRegion { service: String },
    /// The caller can give an endpoint URL instead; how is the caller's to say.
    #[error("the model of {service} has no endpoint rules: an endpoint URL must be given")]
    NoEndpointRules { service: String },
    #[error("no aws credentials for {service}:{operation}: {problem}")]
    Credentials {
        service: String,
        operation: String,
        problem: CredentialsProblem,
    },
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error("{service}:{operation} failed after {attempts} attempt(s): {source}")]
    Transport {
        service: String,
        operation: String,
        attempts: u32,
        source: TransportError,
    },
    #[error("cannot create the http client: {0}")]
    HttpClient(TransportError),
    /// The service answered with an error.
    #[error("{}", describe_api_failure(.0))]
    Api(Box<ApiFailure>),
    /// The operation streams events (`eventstream` in the model), which the client cannot
    /// read or write: refused before anything is sent.
    #[error("{service}:{operation} {direction} an event stream (member `{member}`): event streams are not supported by gapfill call yet")]
    EventStream {
        service: String,
        operation: String,
        /// "answers with" or "sends".
        direction: &'static str,
        member: String,
    },
    #[error("{service}:{operation} cannot be paginated: {reason}")]
    Paginate {
        service: String,
        operation: String,
        reason: String,
    },
}

/// An error the service answered with, for one operation.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiFailure {
    pub service: String,
    pub operation: String,
    pub status: u16,
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    /// Members of the modelled error shape.
    pub fields: Map<String, Value>,
}

impl CallError {
    /// The AWS error code, for errors the service answered with.
    pub fn code(&self) -> Option<&str> {
        match self {
            CallError::Api(failure) => Some(&failure.code),
            _ => None,
        }
    }

    /// Builds the `Api` variant from the protocol layer's error.
    pub fn from_api(service: &str, operation: &str, error: ApiError) -> CallError {
        CallError::Api(Box::new(ApiFailure {
            service: service.to_string(),
            operation: operation.to_string(),
            status: error.status,
            code: error.code,
            message: error.message,
            request_id: error.request_id,
            fields: error.fields,
        }))
    }

    /// Maps a catalog error, lifting unknown services to [`CallError::UnknownService`].
    pub fn from_catalog(error: CatalogError) -> CallError {
        match error {
            CatalogError::UnknownService { name, suggestions } => {
                CallError::UnknownService { name, suggestions }
            }
            other => CallError::Catalog(other),
        }
    }
}

fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", suggestions.join(", "))
    }
}

fn join_errors(errors: &[ValidationError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn describe_api_failure(failure: &ApiFailure) -> String {
    let request_id = failure
        .request_id
        .as_ref()
        .map(|id| format!(" (request id {id})"))
        .unwrap_or_default();
    if let Some(AuthProblem::Denied(denial)) = AuthProblem::of(&failure.code, &failure.message) {
        if denial.is_detailed() {
            return format!(
                "{}:{} was denied: {denial}{request_id}",
                failure.service, failure.operation
            );
        }
    }
    format!(
        "{}:{} failed: {}: {}{request_id}",
        failure.service, failure.operation, failure.code, failure.message
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_error_message_names_code_and_request_id() {
        let err = CallError::from_api(
            "sqs",
            "GetQueueUrl",
            ApiError {
                status: 400,
                code: "QueueDoesNotExist".to_string(),
                message: "The specified queue does not exist.".to_string(),
                request_id: Some("req-1".to_string()),
                fields: Map::new(),
            },
        );
        assert_eq!(err.code(), Some("QueueDoesNotExist"));
        assert_eq!(
            err.to_string(),
            "sqs:GetQueueUrl failed: QueueDoesNotExist: The specified queue does not exist. (request id req-1)"
        );
    }

    #[test]
    fn a_denial_names_the_call_the_principal_the_action_and_the_resource() {
        let err = CallError::from_api(
            "ssm",
            "PutParameter",
            ApiError {
                status: 400,
                code: "AccessDeniedException".to_string(),
                message: "User: arn:aws:sts::123456789012:assumed-role/deploy/ci is not authorized to perform: ssm:PutParameter on resource: arn:aws:ssm:us-east-1:123456789012:parameter/app/token because no identity-based policy allows the ssm:PutParameter action".to_string(),
                request_id: Some("req-2".to_string()),
                fields: Map::new(),
            },
        );
        assert_eq!(
            err.to_string(),
            "ssm:PutParameter was denied: arn:aws:sts::123456789012:assumed-role/deploy/ci may not perform ssm:PutParameter on arn:aws:ssm:us-east-1:123456789012:parameter/app/token (no identity-based policy allows the ssm:PutParameter action) (request id req-2)"
        );
    }

    #[test]
    fn unknown_operation_lists_suggestions() {
        let err = CallError::UnknownOperation {
            service: "sqs".to_string(),
            operation: "GetQueueUrll".to_string(),
            suggestions: vec!["GetQueueUrl".to_string()],
        };
        assert_eq!(
            err.to_string(),
            "unknown operation `GetQueueUrll` of sqs (did you mean GetQueueUrl?)"
        );
        assert_eq!(err.code(), None);
    }
}
