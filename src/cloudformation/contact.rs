//! The first contact with CloudFormation: one DescribeStacks of a stack of the project, with a
//! short connect timeout, a bound on the wait for an answer, and no retries of what says the
//! endpoint is wrong (refused, unresolvable, silent), so an endpoint that cannot be reached or
//! credentials that are refused are known within seconds. What a working endpoint does now and
//! then (a reset connection, an answer cut short, throttling, a server error) is tried again,
//! a few times, quickly. Its answer is
//! kept for the command's first look at that stack ([`Cfn::describe`]), so a run makes no
//! call it did not make before.
//!
//! This module reports what happened ([`ContactError`]); whether that stops the command, and
//! what the user should check, is for the caller to say.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_cloudformation::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_cloudformation::config::retry::RetryConfig;
use aws_sdk_cloudformation::config::timeout::TimeoutConfig;
use aws_sdk_cloudformation::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_cloudformation::error::SdkError;
use aws_smithy_runtime_api::box_error::BoxError;

use super::client::{api_error, deployed_stack, is_missing_stack, CfnError};
use super::Cfn;
use crate::aws::diagnose::Unreachable;
use crate::aws::error_chain::error_chain;
use crate::aws::retry::{classify, Failure, RetryAction, RetryKind};

/// How long the first contact may take to connect.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// How long the first contact waits for an answer, once connected.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// What went wrong at first contact.
#[derive(Debug, Clone)]
pub enum ContactError {
    /// No answer came from `endpoint` (the URL the request was sent to, when it got that far).
    Unreachable {
        endpoint: Option<String>,
        cause: Unreachable,
    },
    /// CloudFormation answered with an error (other than "the stack does not exist").
    Answered {
        endpoint: Option<String>,
        /// The HTTP status of the answer.
        status: u16,
        error: CfnError,
    },
    /// The request could not be made (an endpoint that cannot be resolved, for one).
    Request(String),
}

impl Cfn {
    /// Describes `stack` once, as the run's first contact. A stack that does not exist is a
    /// successful contact.
    pub async fn first_contact(&self, stack: &str) -> Result<(), ContactError> {
        let mut attempt = 1;
        loop {
            match self.contact_once(stack).await {
                Err(error) if attempt < CONTACT_ATTEMPTS && is_passing(&error) => {
                    tracing::debug!(attempt, ?error, "first contact: trying again");
                    tokio::time::sleep(CONTACT_RETRY_DELAY * attempt).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn contact_once(&self, stack: &str) -> Result<(), ContactError> {
        let endpoint = Arc::new(Mutex::new(None));
        let once = aws_sdk_cloudformation::config::Builder::default()
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .operation_attempt_timeout(ANSWER_TIMEOUT)
                    .build(),
            );
        let result = self
            .client
            .describe_stacks()
            .stack_name(stack)
            .customize()
            .config_override(once)
            .interceptor(RecordEndpoint(Arc::clone(&endpoint)))
            .send()
            .await;
        let endpoint = endpoint
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        match result {
            Ok(output) => {
                self.keep_first_look(stack, output.stacks().first().map(deployed_stack));
                Ok(())
            }
            Err(error) if is_missing_stack(&error) => {
                self.keep_first_look(stack, None);
                Ok(())
            }
            Err(error) => Err(contact_error(error, endpoint)),
        }
    }
}

/// How many times the first contact tries a failure that passes on its own.
const CONTACT_ATTEMPTS: u32 = 3;
const CONTACT_RETRY_DELAY: Duration = Duration::from_millis(200);

/// Whether a failure is one a working endpoint has now and then: a connection reset, an
/// answer cut short or unreadable, throttling, a server error.
fn is_passing(error: &ContactError) -> bool {
    match error {
        ContactError::Unreachable { cause, .. } => matches!(cause, Unreachable::Closed),
        ContactError::Answered { status, error, .. } => {
            let code = error.code.as_str();
            let unreadable = code.is_empty() || code == "Error";
            *status >= 500
                || unreadable
                || matches!(
                    classify(Failure::Service {
                        status: *status,
                        code
                    }),
                    RetryAction::Retry(RetryKind::Throttling)
                )
        }
        ContactError::Request(_) => false,
    }
}

fn contact_error<E>(
    error: SdkError<E, aws_smithy_runtime_api::http::Response>,
    endpoint: Option<String>,
) -> ContactError
where
    E: aws_sdk_cloudformation::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match &error {
        SdkError::DispatchFailure(failure) => ContactError::Unreachable {
            endpoint,
            cause: failure
                .as_connector_error()
                .map(|connector| Unreachable::of(connector))
                .unwrap_or_else(|| Unreachable::classify(&error_chain(&error), &[])),
        },
        SdkError::TimeoutError(_) => ContactError::Unreachable {
            endpoint,
            cause: Unreachable::NoAnswer,
        },
        SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
            let status = error.raw_response().map_or(0, |r| r.status().as_u16());
            ContactError::Answered {
                endpoint,
                status,
                error: api_error("DescribeStacks", error),
            }
        }
        _ => ContactError::Request(error_chain(&error)),
    }
}

/// Notes the URL the request goes to: a failure to connect says where it tried.
#[derive(Debug)]
struct RecordEndpoint(Arc<Mutex<Option<String>>>);

impl Intercept for RecordEndpoint {
    fn name(&self) -> &'static str {
        "gapfill::RecordEndpoint"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let uri = context.request().uri().to_string();
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(uri);
        Ok(())
    }
}
