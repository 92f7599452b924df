//! The CloudFormation SDK client's retries, under the run's rules: [`RunRetryRules`], an SDK
//! interceptor, spends each retry from the run's [`RetryQuota`] (shared with the model-driven
//! client: one budget for the run) and refuses the retry when it is spent, and tells a call
//! that keeps failing through [`crate::aws::retry`] (the same observer as the model-driven
//! client's). [`reporting_retries`] runs a stack's work with an observer that turns them into
//! `Retrying` events of that stack (steps have their own, in `steps`, which may not use this
//! module).

use std::future::Future;
use std::sync::Arc;

use aws_sdk_cloudformation::config::interceptors::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_cloudformation::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use aws_smithy_types::retry::RetryConfig;

use crate::aws::diagnose::Unreachable;
use crate::aws::error_chain::error_chain;
use crate::aws::retry::{
    classify, observe_retries, report_retry, service_reason, Failure, RetryAction, RetryKind,
    RetryNotice, RetryObserver, RetryProgress, RetryQuota,
};
use crate::events::{EventSink, NodeId};

/// Runs `work` (a stack's, or a step's) with the retries of its calls told as `Retrying`
/// events of `node`.
pub async fn reporting_retries<F: Future>(sink: &EventSink, node: NodeId, work: F) -> F::Output {
    let sink = sink.clone();
    let observer: RetryObserver = Arc::new(move |notice: &RetryNotice| {
        let RetryNotice {
            operation,
            attempt,
            max_attempts,
            reason,
        } = notice;
        sink.retrying(&node, operation, *attempt, *max_attempts, reason)
    });
    observe_retries(observer, work).await
}

/// The budget's name for CloudFormation calls.
const SERVICE: &str = "cloudformation";

/// The interceptor: records why each attempt failed; before a retry, takes its cost from the
/// run's budget (or ends the call) and asks whether it is worth telling; refunds the budget
/// when the call succeeds.
#[derive(Debug, Default)]
pub struct RunRetryRules {
    quota: Arc<RetryQuota>,
}

impl RunRetryRules {
    /// Retries spend from `quota`, the run's budget.
    pub fn new(quota: Arc<RetryQuota>) -> RunRetryRules {
        RunRetryRules { quota }
    }
}

/// A retry refused because the run's retry budget is spent: the call ends with its last
/// failure.
#[derive(Debug, thiserror::Error)]
#[error("{last_failure}; not retried: the run's retry budget is spent (too many failures across the run)")]
pub struct BudgetSpent {
    pub last_failure: String,
}

/// One call's state, kept in the call's config bag across its attempts.
#[derive(Debug, Clone, Default)]
struct CallRetries {
    progress: RetryProgress,
    last_failure: Option<String>,
    last_kind: Option<RetryKind>,
    /// Tokens this call's retries took from the budget.
    spent: u32,
}

impl Storable for CallRetries {
    type Storer = StoreReplace<CallRetries>;
}

impl Intercept for RunRetryRules {
    fn name(&self) -> &'static str {
        "gapfill::RunRetryRules"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let mut state = cfg.load::<CallRetries>().cloned().unwrap_or_default();
        let (reason, kind) = failure(context).unzip();
        state.last_failure = reason;
        state.last_kind = kind.flatten();
        cfg.interceptor_state().store_put(state);
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if context
            .output_or_error()
            .is_some_and(|result| result.is_ok())
        {
            let spent = cfg.load::<CallRetries>().map_or(0, |state| state.spent);
            self.quota.on_success(SERVICE, spent);
        }
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let attempt = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        if attempt < 2 {
            return Ok(());
        }
        let mut state = cfg.load::<CallRetries>().cloned().unwrap_or_default();
        let kind = state.last_kind.unwrap_or(RetryKind::Transient);
        let Some(cost) = self.quota.acquire(SERVICE, kind) else {
            return Err(Box::new(BudgetSpent {
                last_failure: state
                    .last_failure
                    .unwrap_or_else(|| "the last attempt failed".to_string()),
            }));
        };
        state.spent += cost;
        let tell = state.progress.should_tell(attempt);
        cfg.interceptor_state().store_put(state.clone());
        if !tell {
            return Ok(());
        }
        let operation = cfg.load::<Metadata>().map_or_else(
            || "cloudformation".to_string(),
            |metadata| format!("cloudformation:{}", metadata.name()),
        );
        let max_attempts = cfg
            .load::<RetryConfig>()
            .map_or(attempt, RetryConfig::max_attempts);
        let notice = RetryNotice {
            operation,
            attempt,
            max_attempts,
            reason: state
                .last_failure
                .clone()
                .unwrap_or_else(|| "the last attempt failed".to_string()),
        };
        report_retry(&notice, state.progress.waited());
        Ok(())
    }
}

/// Why an attempt failed, in plain words, and what kind of retry it calls for (`None` inside:
/// not one the rules retry); `None` when it did not fail.
fn failure(context: &FinalizerInterceptorContextRef<'_>) -> Option<(String, Option<RetryKind>)> {
    let error = context.output_or_error()?.err()?;
    if let Some(connector) = error.as_connector_error() {
        let kind = if connector.is_timeout() {
            RetryKind::Timeout
        } else {
            RetryKind::Transient
        };
        return Some((Unreachable::of(connector).to_string(), Some(kind)));
    }
    if error.is_timeout_error() {
        return Some((Unreachable::NoAnswer.to_string(), Some(RetryKind::Timeout)));
    }
    let Some(response) = context.response() else {
        return Some((error_chain(error), None));
    };
    let status = response.status().as_u16();
    let (code, message) = response.body().bytes().map(query_error).unwrap_or_default();
    let kind = match classify(Failure::Service {
        status,
        code: &code,
    }) {
        RetryAction::Retry(kind) => Some(kind),
        RetryAction::DontRetry => None,
    };
    Some((service_reason(status, &code, &message), kind))
}

/// The `Code` and `Message` of a query-protocol error document.
fn query_error(body: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(body);
    let Ok(document) = roxmltree::Document::parse(&text) else {
        return Default::default();
    };
    let element = |name: &str| {
        document
            .descendants()
            .find(|node| node.has_tag_name(name))
            .and_then(|node| node.text())
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    (element("Code"), element("Message"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_code_and_message_of_an_error_document() {
        let body = br#"<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>"#;
        assert_eq!(
            query_error(body),
            ("Throttling".to_string(), "Rate exceeded".to_string())
        );
        assert_eq!(query_error(b"<html>"), Default::default());
    }
}
