//! Waiters (`waiters-2.json`): poll an operation every `delay` seconds, up to `maxAttempts`,
//! until an acceptor (`path`, `pathAll`, `pathAny`, `status`, `error`) says success or failure,
//! with botocore's semantics. The sleep is injected so tests run instantly.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::Value;

use crate::aws::catalog::suggest;
use crate::aws::error::CallError;
use crate::aws::jmespath::search;

#[derive(Debug, thiserror::Error)]
pub enum WaiterError {
    #[error(
        "unknown waiter `{name}` of {service}{}",
        list_suggestions(suggestions)
    )]
    Unknown {
        service: String,
        name: String,
        suggestions: Vec<String>,
    },
    #[error("waiter {waiter} is malformed: {reason}")]
    BadDefinition { waiter: String, reason: String },
    #[error("waiter {waiter} reached a failure state: {reason}")]
    Failure { waiter: String, reason: String },
    #[error("waiter {waiter} gave up after {attempts} attempts")]
    MaxAttempts { waiter: String, attempts: u32 },
    #[error("waiter {waiter} got an unexpected error: {source}")]
    Unexpected {
        waiter: String,
        source: Box<CallError>,
    },
}

fn list_suggestions(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", suggestions.join(", "))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptorState {
    Success,
    Failure,
    Retry,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher {
    Path(String),
    PathAll(String),
    PathAny(String),
    Status,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Acceptor {
    pub state: AcceptorState,
    pub matcher: Matcher,
    pub expected: Value,
}

/// One waiter of `waiters-2.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct WaiterConfig {
    pub name: String,
    pub operation: String,
    pub delay: Duration,
    pub max_attempts: u32,
    pub acceptors: Vec<Acceptor>,
}

impl WaiterConfig {
    /// The waiter `name` of `service` from its `waiters-2.json` document.
    pub fn find(
        service: &str,
        waiters: Option<&Value>,
        name: &str,
    ) -> Result<WaiterConfig, WaiterError> {
        let all = waiters
            .and_then(|doc| doc.get("waiters"))
            .and_then(Value::as_object);
        let Some(entry) = all.and_then(|all| all.get(name)) else {
            let known: Vec<String> = all
                .map(|all| all.keys().cloned().collect())
                .unwrap_or_default();
            return Err(WaiterError::Unknown {
                service: service.to_string(),
                name: name.to_string(),
                suggestions: suggest(name, &known),
            });
        };
        let bad = |reason: &str| WaiterError::BadDefinition {
            waiter: name.to_string(),
            reason: reason.to_string(),
        };
        let operation = entry
            .get("operation")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("no operation"))?;
        let delay = entry
            .get("delay")
            .and_then(Value::as_f64)
            .ok_or_else(|| bad("no delay"))?;
        let max_attempts = entry
            .get("maxAttempts")
            .and_then(Value::as_u64)
            .ok_or_else(|| bad("no maxAttempts"))?;
        let acceptors = entry
            .get("acceptors")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no acceptors"))?
            .iter()
            .map(|acceptor| parse_acceptor(acceptor).map_err(|reason| bad(&reason)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(WaiterConfig {
            name: name.to_string(),
            operation: operation.to_string(),
            delay: Duration::from_secs_f64(delay.max(0.0)),
            max_attempts: u32::try_from(max_attempts).unwrap_or(u32::MAX),
            acceptors,
        })
    }
}

fn parse_acceptor(acceptor: &Value) -> Result<Acceptor, String> {
    let state = match acceptor.get("state").and_then(Value::as_str) {
        Some("success") => AcceptorState::Success,
        Some("failure") => AcceptorState::Failure,
        Some("retry") => AcceptorState::Retry,
        other => return Err(format!("unknown acceptor state {other:?}")),
    };
    let argument = || {
        acceptor
            .get("argument")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| "path acceptor without argument".to_string())
    };
    let matcher = match acceptor.get("matcher").and_then(Value::as_str) {
        Some("path") => Matcher::Path(argument()?),
        Some("pathAll") => Matcher::PathAll(argument()?),
        Some("pathAny") => Matcher::PathAny(argument()?),
        Some("status") => Matcher::Status,
        Some("error") => Matcher::Error,
        other => return Err(format!("unknown matcher {other:?}")),
    };
    Ok(Acceptor {
        state,
        matcher,
        expected: acceptor.get("expected").cloned().unwrap_or(Value::Null),
    })
}

/// The future a [`Sleeper`] returns.
pub type SleepFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Waits between attempts; the product uses [`TokioSleeper`], tests a recording fake.
pub trait Sleeper: Send + Sync {
    fn sleep(&self, duration: Duration) -> SleepFuture<'_>;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> SleepFuture<'_> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// HTTP status assumed for a successful call: the client's output carries no status, and every
/// waiter in botocore's models that matches a success status expects 200.
const SUCCESS_STATUS: u64 = 200;

/// Polls `call(input)` until an acceptor decides. Returns the last output on success (an empty
/// object when success was an expected error, such as a 404 for `BucketNotExists`).
pub async fn wait<F, Fut>(
    config: &WaiterConfig,
    input: &Value,
    sleeper: &dyn Sleeper,
    mut call: F,
) -> Result<Value, WaiterError>
where
    F: FnMut(Value) -> Fut,
    Fut: Future<Output = Result<Value, CallError>>,
{
    for attempt in 1..=config.max_attempts {
        let outcome = call(input.clone()).await;
        let matched = config
            .acceptors
            .iter()
            .find(|acceptor| matches(acceptor, &outcome));
        match (matched.map(|acceptor| acceptor.state), outcome) {
            (Some(AcceptorState::Success), Ok(output)) => return Ok(output),
            (Some(AcceptorState::Success), Err(_)) => return Ok(Value::Object(Default::default())),
            (Some(AcceptorState::Failure), outcome) => {
                return Err(WaiterError::Failure {
                    waiter: config.name.clone(),
                    reason: describe_failure(matched, &outcome),
                })
            }
            (None, Err(error)) => {
                return Err(WaiterError::Unexpected {
                    waiter: config.name.clone(),
                    source: Box::new(error),
                })
            }
            (Some(AcceptorState::Retry) | None, _) => {}
        }
        if attempt < config.max_attempts {
            tracing::debug!(waiter = %config.name, attempt, "waiting");
            sleeper.sleep(config.delay).await;
        }
    }
    Err(WaiterError::MaxAttempts {
        waiter: config.name.clone(),
        attempts: config.max_attempts,
    })
}

fn describe_failure(acceptor: Option<&Acceptor>, outcome: &Result<Value, CallError>) -> String {
    match (acceptor.map(|a| &a.matcher), outcome) {
        (_, Err(error)) => error.to_string(),
        (Some(Matcher::Path(path) | Matcher::PathAll(path) | Matcher::PathAny(path)), Ok(_)) => {
            let expected = acceptor.map(|a| a.expected.to_string()).unwrap_or_default();
            format!("`{path}` matched {expected}")
        }
        _ => "a failure acceptor matched".to_string(),
    }
}

fn matches(acceptor: &Acceptor, outcome: &Result<Value, CallError>) -> bool {
    let expected = &acceptor.expected;
    match (&acceptor.matcher, outcome) {
        (Matcher::Status, Ok(_)) => expected.as_u64() == Some(SUCCESS_STATUS),
        (Matcher::Status, Err(CallError::Api(failure))) => {
            expected.as_u64() == Some(u64::from(failure.status))
        }
        (Matcher::Error, Ok(_)) => expected == &Value::Bool(false),
        (Matcher::Error, Err(error)) => match expected {
            Value::Bool(any_error) => *any_error && error.code().is_some(),
            Value::String(code) => error.code() == Some(code.as_str()),
            _ => false,
        },
        (Matcher::Path(path), Ok(output)) => {
            search(path, output).is_ok_and(|found| &found == expected)
        }
        (Matcher::PathAll(path), Ok(output)) => search(path, output).is_ok_and(|found| {
            found
                .as_array()
                .is_some_and(|items| !items.is_empty() && items.iter().all(|item| item == expected))
        }),
        (Matcher::PathAny(path), Ok(output)) => search(path, output).is_ok_and(|found| {
            found
                .as_array()
                .is_some_and(|items| items.iter().any(|item| item == expected))
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};
    use std::sync::Mutex;

    #[derive(Default)]
    struct RecordingSleeper(Mutex<Vec<Duration>>);

    impl Sleeper for RecordingSleeper {
        fn sleep(&self, duration: Duration) -> SleepFuture<'_> {
            self.0.lock().unwrap().push(duration);
            Box::pin(async {})
        }
    }

    fn api_error(status: u16, code: &str) -> CallError {
        CallError::from_api(
            "svc",
            "Op",
            crate::aws::protocol::ApiError {
                status,
                code: code.to_string(),
                message: "m".to_string(),
                request_id: None,
                fields: Map::new(),
            },
        )
    }

    fn waiter(acceptors: Value) -> WaiterConfig {
        let doc = json!({"version": 2, "waiters": {"Ready": {
            "operation": "Describe", "delay": 15, "maxAttempts": 4, "acceptors": acceptors}}});
        WaiterConfig::find("svc", Some(&doc), "Ready").unwrap()
    }

    async fn run(
        config: &WaiterConfig,
        outcomes: Vec<Result<Value, CallError>>,
    ) -> (Result<Value, WaiterError>, Vec<Duration>, usize) {
        let sleeper = RecordingSleeper::default();
        let outcomes = Mutex::new(outcomes.into_iter());
        let calls = Mutex::new(0);
        let result = wait(config, &json!({"Id": "x"}), &sleeper, |input| {
            assert_eq!(input, json!({"Id": "x"}));
            *calls.lock().unwrap() += 1;
            let next = outcomes
                .lock()
                .unwrap()
                .next()
                .expect("more calls than outcomes");
            async move { next }
        })
        .await;
        let slept = sleeper.0.into_inner().unwrap();
        (result, slept, calls.into_inner().unwrap())
    }

    #[tokio::test]
    async fn path_all_success_after_retries_sleeping_the_delay() {
        let config = waiter(json!([
            {"state": "success", "matcher": "pathAll", "argument": "Items[].State", "expected": "ready"},
            {"state": "failure", "matcher": "pathAny", "argument": "Items[].State", "expected": "failed"}
        ]));
        let (result, slept, calls) = run(
            &config,
            vec![
                Ok(json!({"Items": [{"State": "ready"}, {"State": "pending"}]})),
                Ok(json!({"Items": []})),
                Ok(json!({"Items": [{"State": "ready"}, {"State": "ready"}]})),
            ],
        )
        .await;
        assert_eq!(result.unwrap()["Items"][1]["State"], "ready");
        assert_eq!(calls, 3);
        assert_eq!(slept, vec![Duration::from_secs(15); 2]);
    }

    #[tokio::test]
    async fn path_any_failure_stops_waiting() {
        let config = waiter(json!([
            {"state": "failure", "matcher": "pathAny", "argument": "Items[].State", "expected": "failed"}
        ]));
        let (result, _, calls) =
            run(&config, vec![Ok(json!({"Items": [{"State": "failed"}]}))]).await;
        assert!(
            matches!(result, Err(WaiterError::Failure { .. })),
            "{result:?}"
        );
        assert_eq!(calls, 1);
    }

    #[tokio::test]
    async fn error_and_status_acceptors() {
        let config = waiter(json!([
            {"state": "success", "matcher": "status", "expected": 404},
            {"state": "retry", "matcher": "error", "expected": "Throttled"},
            {"state": "success", "matcher": "path", "argument": "Gone", "expected": true}
        ]));
        let (result, _, calls) = run(
            &config,
            vec![
                Err(api_error(400, "Throttled")),
                Err(api_error(404, "NotFound")),
            ],
        )
        .await;
        assert_eq!(result.unwrap(), json!({}));
        assert_eq!(calls, 2);
    }

    #[tokio::test]
    async fn unmatched_error_is_unexpected_and_attempts_are_bounded() {
        let config = waiter(
            json!([{"state": "success", "matcher": "path", "argument": "Done", "expected": true}]),
        );
        let (result, _, _) = run(&config, vec![Err(api_error(400, "AccessDenied"))]).await;
        assert!(
            matches!(result, Err(WaiterError::Unexpected { .. })),
            "{result:?}"
        );
        let (result, slept, calls) = run(
            &config,
            (0..4).map(|_| Ok(json!({"Done": false}))).collect(),
        )
        .await;
        assert!(
            matches!(result, Err(WaiterError::MaxAttempts { attempts: 4, .. })),
            "{result:?}"
        );
        assert_eq!((calls, slept.len()), (4, 3));
    }

    #[test]
    fn real_waiters_load_and_unknown_names_get_suggestions() {
        let docs = crate::aws::catalog::Catalog::new(None)
            .load("dynamodb")
            .unwrap();
        let config = WaiterConfig::find("dynamodb", docs.waiters.as_ref(), "TableExists").unwrap();
        assert_eq!(config.operation, "DescribeTable");
        assert!(config
            .acceptors
            .iter()
            .any(|a| a.state == AcceptorState::Success));
        let err = WaiterConfig::find("dynamodb", docs.waiters.as_ref(), "TableExist").unwrap_err();
        assert!(
            err.to_string().contains("did you mean TableExists"),
            "{err}"
        );
    }
}
