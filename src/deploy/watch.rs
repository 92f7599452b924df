//! Waiting on CloudFormation: following a stack's events until its operation ends (one
//! DescribeStackEvents page per tick, from the last event seen, emitting each new event and a
//! heartbeat when quiet), polling a change set until it is ready, and the deadline both obey.

use std::time::{Duration, Instant};

use super::poll::PollPolicy;
use super::stack::{Failure, StackDeploy};
use crate::cloudformation::status::{self, Category};
use crate::cloudformation::ChangeSetState;
use crate::events::{ResourceEvent, RunEventKind};

/// How a watched operation ended.
pub(super) struct WatchEnd {
    pub(super) status: String,
    pub(super) first_failure: Option<ResourceEvent>,
}

impl StackDeploy {
    /// Polls the change set until CloudFormation has computed it (or failed to).
    pub(super) async fn wait_for_change_set(
        &self,
        stack: &str,
        id: &str,
        started: Instant,
    ) -> Result<ChangeSetState, Failure> {
        // Change sets take seconds, not minutes: poll faster than stack operations.
        let policy = PollPolicy {
            initial: Duration::from_millis(300),
            max: Duration::from_secs(5),
            ..self.options.poll
        };
        let mut interval = None;
        loop {
            let state = self.cfn.change_set(stack, id).await?;
            if state != ChangeSetState::Pending {
                return Ok(state);
            }
            self.check_deadline(stack, started, "the change set")?;
            let waited = started.elapsed();
            let (base, sleep) = policy.next(interval, false, waited, fastrand::f64());
            interval = Some(base);
            tokio::time::sleep(sleep).await;
        }
    }

    /// Follows the stack's events until the operation ends; emits each new event.
    pub(super) async fn watch(
        &self,
        name: &str,
        stack_id: &str,
        mut since: Option<String>,
        started: Instant,
    ) -> Result<WatchEnd, Failure> {
        let mut interval = None;
        let watching = Instant::now();
        let mut last_news = watching;
        let mut last_status = String::from("IN_PROGRESS");
        let mut first_failure = None;
        loop {
            let (fresh, newest) = self.cfn.events_since(stack_id, since.as_deref()).await?;
            let had_news = !fresh.is_empty();
            let mut ended = None;
            for (_, event) in fresh {
                let stack_level =
                    event.logical_id == name && event.resource_type == "AWS::CloudFormation::Stack";
                if stack_level {
                    last_status = event.status.clone();
                    if status::ends_operation(&event.status) {
                        ended = Some(event.status.clone());
                    }
                } else if first_failure.is_none() && is_root_cause(&event) {
                    first_failure = Some(event.clone());
                }
                self.sink.emit(RunEventKind::StackResourceEvent {
                    stack: name.to_string(),
                    event,
                });
            }
            since = newest.or(since);
            if let Some(status) = ended {
                return Ok(WatchEnd {
                    status,
                    first_failure,
                });
            }
            if had_news {
                last_news = Instant::now();
            } else if last_news.elapsed() >= self.options.heartbeat {
                last_news = Instant::now();
                self.sink.emit(RunEventKind::StackHeartbeat {
                    stack: name.to_string(),
                    status: last_status.clone(),
                    waited: started.elapsed(),
                });
                // A quiet stack may have ended without an event we could see: ask once.
                if let Some(stack) = self.cfn.describe(stack_id).await? {
                    if status::ends_operation(&stack.status) {
                        return Ok(WatchEnd {
                            status: stack.status,
                            first_failure,
                        });
                    }
                    if status::category(&stack.status) == Category::Review {
                        return Err(not_running(&stack.status));
                    }
                }
            }
            self.check_deadline(name, started, &format!("the stack (still {last_status})"))?;
            let waited = watching.elapsed();
            let (base, sleep) = self
                .options
                .poll
                .next(interval, had_news, waited, fastrand::f64());
            interval = Some(base);
            tokio::time::sleep(sleep).await;
        }
    }

    /// Fails once the stack's time is up; `what` names what was being waited for.
    fn check_deadline(&self, stack: &str, started: Instant, what: &str) -> Result<(), Failure> {
        if started.elapsed() < self.options.timeout {
            return Ok(());
        }
        Err(Failure::new(
            format!(
                "timed out after {}s waiting for {what}",
                self.options.timeout.as_secs()
            ),
            Some(format!(
                "raise --timeout; running gapfill again waits for `{stack}` where it is"
            )),
        ))
    }
}

/// A stack in review runs no operation: waiting on it would wait forever.
fn not_running(status: &str) -> Failure {
    Failure::new(
        format!("the stack is in {status}: no operation is running on it (its change set was not executed)"),
        Some("deploy again: gapfill deletes a stack left in review and creates it".into()),
    )
}

/// A failed resource that caused the failure, not the noise that follows it.
fn is_root_cause(event: &ResourceEvent) -> bool {
    status::is_failure(&event.status)
        && !event.reason.as_deref().is_some_and(|reason| {
            reason.contains("Resource creation cancelled")
                || reason.contains("Resource update cancelled")
        })
}
