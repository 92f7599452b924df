//! One step, read straight down: run the check; when every expectation holds the step is in
//! sync and nothing else is sent. Otherwise apply, then re-check with backoff until the
//! expectations hold (applied) or the step's timeout passes (failed: applied but did not
//! converge, with expected vs actual). A step without a check is an action: it runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::aws::diagnose::AuthProblem;
use crate::aws::error::CallError;
use crate::aws::invoke::Client;
use crate::aws::operation::{call_with, CallOptions, OperationError};
use crate::aws::retry::{observe_retries, RetryNotice, RetryObserver};
use crate::events::{Difference, EventSink, NodeId, RunEventKind, StepOutcome};
use crate::plan::StepPlan;

use super::compare::holds;

/// The step's operations' inputs and expectations, with every reference filled in.
#[derive(Debug, Clone)]
pub struct StepInput {
    pub input: Value,
    pub check: Option<ResolvedCheck>,
}

/// A check, resolved.
#[derive(Debug, Clone)]
pub struct ResolvedCheck {
    pub input: Value,
    /// JMESPath on the check's result -> expected value.
    pub expect: Vec<(String, Value)>,
}

/// How a step ended, and its result for steps that reference it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepResult {
    pub outcome: StepOutcome,
    /// The check's result once in sync or applied; an action's own result.
    pub result: Option<Value>,
}

/// How quickly a re-check follows an apply, and how it backs off.
#[derive(Debug, Clone, Copy)]
pub struct RecheckPolicy {
    pub first: Duration,
    pub max: Duration,
}

impl Default for RecheckPolicy {
    fn default() -> Self {
        RecheckPolicy {
            first: Duration::from_millis(250),
            max: Duration::from_secs(5),
        }
    }
}

/// Runs steps; the scheduler runs clones of it in parallel.
#[derive(Clone)]
pub struct StepRunner {
    pub client: Arc<Client>,
    pub sink: EventSink,
    pub recheck: RecheckPolicy,
}

/// Why an attempt of a step failed.
struct Failure {
    reason: String,
    hint: Option<String>,
    differences: Vec<Difference>,
    /// An AWS error a later attempt may not meet again.
    retryable: bool,
}

impl StepRunner {
    /// Runs `step`; every failure becomes an outcome.
    pub async fn run(&self, step: &StepPlan, input: &StepInput) -> StepResult {
        let mut attempt = 0;
        loop {
            match self.attempt(step, input).await {
                Ok(result) => return result,
                Err(failure) if failure.retryable && attempt < step.retries => {
                    attempt += 1;
                    tokio::time::sleep(self.recheck.first * 2u32.saturating_pow(attempt)).await;
                }
                Err(failure) => {
                    return StepResult {
                        outcome: StepOutcome::Failed {
                            reason: failure.reason,
                            hint: failure.hint,
                            differences: failure.differences,
                        },
                        result: None,
                    }
                }
            }
        }
    }

    /// Runs the step's check only, for `drift`: in sync, drifted (what differs), or not
    /// checkable for an action. Nothing is applied.
    pub async fn check_only(&self, step: &StepPlan, input: &StepInput) -> StepResult {
        let Some(check) = &input.check else {
            return StepResult {
                outcome: StepOutcome::NotCheckable,
                result: None,
            };
        };
        // The outcome carries the differences: no separate "checked" event.
        match self.check(step, check).await {
            Ok((result, differences)) => {
                let outcome = if differences.is_empty() {
                    StepOutcome::InSync
                } else {
                    StepOutcome::Drifted { differences }
                };
                StepResult {
                    outcome,
                    result: Some(result),
                }
            }
            Err(failure) => StepResult {
                outcome: StepOutcome::Failed {
                    reason: failure.reason,
                    hint: failure.hint,
                    differences: Vec::new(),
                },
                result: None,
            },
        }
    }

    /// What a deploy would do with the step, for `plan`: in sync, would apply (what
    /// differs), or would run for an action. Nothing is applied.
    pub async fn preview(&self, step: &StepPlan, input: &StepInput) -> StepResult {
        if input.check.is_none() {
            return StepResult {
                outcome: StepOutcome::WouldRun,
                result: None,
            };
        }
        let checked = self.check_only(step, input).await;
        let outcome = match checked.outcome {
            StepOutcome::Drifted { differences } => StepOutcome::WouldApply { differences },
            other => other,
        };
        StepResult {
            outcome,
            result: checked.result,
        }
    }

    async fn attempt(&self, step: &StepPlan, input: &StepInput) -> Result<StepResult, Failure> {
        let Some(check) = &input.check else {
            let result = self.apply(step, &input.input).await?;
            return Ok(StepResult {
                outcome: StepOutcome::ActionRun,
                result: Some(result),
            });
        };
        let (result, differences) = self.check(step, check).await?;
        self.sink.emit(RunEventKind::StepChecked {
            step: step.id.clone(),
            differences: differences.clone(),
        });
        if differences.is_empty() {
            return Ok(StepResult {
                outcome: StepOutcome::InSync,
                result: Some(result),
            });
        }
        if let Err(failure) = self.apply(step, &input.input).await {
            return self.landed_anyway(step, check, failure).await;
        }
        self.converge(step, check).await
    }

    /// An apply that failed may still have landed: its answer lost after AWS applied it, then
    /// the retry refused as a duplicate (AlreadyExists, a conflict). One read tells: when the
    /// check holds, the step is applied; otherwise the apply's failure stands.
    async fn landed_anyway(
        &self,
        step: &StepPlan,
        check: &ResolvedCheck,
        failure: Failure,
    ) -> Result<StepResult, Failure> {
        match self.check(step, check).await {
            Ok((result, differences)) if differences.is_empty() => Ok(StepResult {
                outcome: StepOutcome::Applied,
                result: Some(result),
            }),
            _ => Err(failure),
        }
    }

    /// Re-checks until the expectations hold or the step's timeout passes.
    async fn converge(
        &self,
        step: &StepPlan,
        check: &ResolvedCheck,
    ) -> Result<StepResult, Failure> {
        let started = Instant::now();
        let mut delay = self.recheck.first;
        loop {
            let (result, differences) = self.check(step, check).await?;
            if differences.is_empty() {
                return Ok(StepResult {
                    outcome: StepOutcome::Applied,
                    result: Some(result),
                });
            }
            let waited = started.elapsed();
            if waited + delay > step.timeout {
                return Err(Failure {
                    reason: format!(
                        "applied, but the check did not hold within {}s",
                        step.timeout.as_secs()
                    ),
                    hint: Some(format!(
                        "AWS accepted {}, yet {} still reads differently: the input may not set what `expect` checks, or something else changes it back; `timeout:` gives it longer",
                        step.call(),
                        step.check.as_ref().map_or_else(String::new, |c| c.call())
                    )),
                    differences,
                    retryable: false,
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(self.recheck.max);
        }
    }

    async fn apply(&self, step: &StepPlan, input: &Value) -> Result<Value, Failure> {
        self.sink.emit(RunEventKind::StepApplying {
            step: step.id.clone(),
            call: step.call(),
        });
        self.call(step, &step.service, &step.operation, input)
            .await
            .map_err(call_failure)
    }

    /// One call of `step`, down the same path as `gapfill call`, its retries told as the
    /// step's.
    async fn call(
        &self,
        step: &StepPlan,
        service: &str,
        operation: &str,
        input: &Value,
    ) -> Result<Value, OperationError> {
        let sink = self.sink.clone();
        let node = NodeId::Step(step.id.clone());
        let observer: RetryObserver = Arc::new(move |notice: &RetryNotice| {
            let RetryNotice {
                operation,
                attempt,
                max_attempts,
                reason,
            } = notice;
            sink.retrying(&node, operation, *attempt, *max_attempts, reason)
        });
        let options = CallOptions::default();
        let call = call_with(&self.client, service, operation, input, &options);
        observe_retries(observer, call).await
    }

    /// Runs the check and lists the expectations that do not hold.
    async fn check(
        &self,
        step: &StepPlan,
        check: &ResolvedCheck,
    ) -> Result<(Value, Vec<Difference>), Failure> {
        let Some(plan) = &step.check else {
            return Ok((Value::Null, Vec::new()));
        };
        let result = match self
            .call(step, &plan.service, &plan.operation, &check.input)
            .await
        {
            Ok(result) => result,
            // What the check reads does not exist yet (a parameter, a log group): nothing
            // holds, so the step applies.
            Err(error) if error.code().is_some_and(is_not_found) => {
                Value::Object(Default::default())
            }
            Err(error) => return Err(call_failure(error)),
        };
        let differences = differences(&result, &check.expect, step.secret);
        Ok((result, differences))
    }
}

/// The expectations that `result` does not hold.
pub fn differences(result: &Value, expect: &[(String, Value)], secret: bool) -> Vec<Difference> {
    expect
        .iter()
        .filter_map(|(path, expected)| {
            let actual = search(path, result);
            let found = actual.as_ref().filter(|value| !value.is_null());
            (!holds(expected, found)).then(|| Difference {
                path: path.clone(),
                expected: expected.to_string(),
                actual: found.map(Value::to_string),
                secret,
            })
        })
        .collect()
}

/// Error codes that mean "there is no such thing": `ParameterNotFound`,
/// `ResourceNotFoundException`, `NoSuchBucketPolicy`, ...
fn is_not_found(code: &str) -> bool {
    code.contains("NotFound") || code.starts_with("NoSuch")
}

fn search(expression: &str, data: &Value) -> Option<Value> {
    crate::aws::jmespath::search(expression, data).ok()
}

fn call_failure(error: OperationError) -> Failure {
    let retryable = matches!(
        error,
        OperationError::Call(CallError::Api(_) | CallError::Transport { .. })
    );
    let hint = auth_hint(&error);
    Failure {
        reason: error.to_string(),
        hint,
        differences: Vec::new(),
        retryable,
    }
}

/// What to do about a credential or permission problem AWS answered with.
fn auth_hint(error: &OperationError) -> Option<String> {
    let OperationError::Call(CallError::Api(failure)) = error else {
        return None;
    };
    let hint = match AuthProblem::of(&failure.code, &failure.message)? {
        AuthProblem::Denied(denial) => {
            denial.advice(&format!("{}:{}", failure.service, failure.operation))
        }
        AuthProblem::Expired => "the credentials expired during the run: with SSO, run `aws sso login`; otherwise get fresh credentials, then run again".to_string(),
        problem @ (AuthProblem::UnknownKey
        | AuthProblem::BadSignature
        | AuthProblem::WrongScope
        | AuthProblem::ClockSkew
        | AuthProblem::Unsigned
        | AuthProblem::OptInRequired) => {
            format!("{}: check the credentials and region, then run again", problem.summary())
        }
    };
    Some(hint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_each_expectation_that_does_not_hold() {
        let result = json!({"Attributes": {"VisibilityTimeout": "30", "DelaySeconds": "0"}});
        let expect = vec![
            ("Attributes.VisibilityTimeout".to_string(), json!(30)),
            ("Attributes.DelaySeconds".to_string(), json!(5)),
            ("Attributes.Missing".to_string(), json!("x")),
        ];
        let found = differences(&result, &expect, false);
        let texts: Vec<String> = found.iter().map(Difference::text).collect();
        assert_eq!(
            texts,
            [
                "Attributes.DelaySeconds: expected 5, found \"0\"",
                "Attributes.Missing: expected \"x\", found nothing",
            ]
        );
        let secret = differences(&result, &expect, true);
        assert!(secret
            .iter()
            .all(|d| d.text().ends_with("differs (secret value, not shown)")));
    }
}
