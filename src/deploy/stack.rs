//! Deploying one stack, read straight down: settle the stack's current state (wait out an
//! operation in progress, recover a stack that cannot be updated), skip when nothing differs,
//! create a change set, execute it, watch its events, and report the outcome.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use indexmap::IndexMap;

use super::artifacts::ArtifactStore;
use super::cfn::{Cfn, CfnError, ChangeSetRequest, ChangeSetState, DeployedStack};
use super::poll::PollPolicy;
use super::status::{self, Category};
use crate::events::{EventSink, ResourceEvent, RunEventKind, StackOutcome};
use crate::plan::INLINE_TEMPLATE_LIMIT;

/// Settings of a deploy that apply to every stack.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    /// How long one stack may take, recovery included.
    pub timeout: Duration,
    pub poll: PollPolicy,
    /// How long without news before a heartbeat event.
    pub heartbeat: Duration,
    /// Run ContinueUpdateRollback on a stack in UPDATE_ROLLBACK_FAILED instead of stopping.
    pub continue_update_rollback: bool,
}

impl Default for DeployOptions {
    fn default() -> Self {
        DeployOptions {
            timeout: Duration::from_secs(60 * 60),
            poll: PollPolicy::default(),
            heartbeat: Duration::from_secs(30),
            continue_update_rollback: false,
        }
    }
}

/// Everything needed to deploy one stack, resolved.
#[derive(Debug, Clone, Default)]
pub struct StackInput {
    pub name: String,
    pub template_body: String,
    pub parameters: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    pub capabilities: Vec<String>,
    /// Template defaults of parameters the project leaves unset, for the no-op comparison.
    pub defaults: BTreeMap<String, String>,
    /// Whether the template has NoEcho parameters (their deployed values cannot be compared).
    pub has_no_echo: bool,
}

/// How a stack ended, and its outputs when it has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackResult {
    pub outcome: StackOutcome,
    pub outputs: IndexMap<String, String>,
}

/// Why a stack did not reach its declared state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub reason: String,
    pub hint: Option<String>,
}

impl Failure {
    fn new(reason: impl Into<String>, hint: Option<String>) -> Failure {
        Failure {
            reason: reason.into(),
            hint,
        }
    }
}

impl From<CfnError> for Failure {
    fn from(error: CfnError) -> Failure {
        let hint = match error.code.as_str() {
            "InsufficientCapabilitiesException" => Some(
                "add the capability under `capabilities:` of this stack in gapfill.yaml"
                    .to_string(),
            ),
            "ExpiredToken" | "ExpiredTokenException" => {
                Some("refresh your AWS credentials".to_string())
            }
            _ => None,
        };
        Failure::new(error.to_string(), hint)
    }
}

/// The change-set reasons CloudFormation gives when there is nothing to change.
fn is_empty_change_set(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

/// Deploys one stack at a time; the scheduler runs clones of it in parallel.
#[derive(Debug, Clone)]
pub struct StackDeploy {
    pub cfn: Cfn,
    pub sink: EventSink,
    pub options: DeployOptions,
    /// Where templates over the inline limit go; the plan guarantees it is set when needed.
    pub artifacts: Option<Arc<ArtifactStore>>,
}

/// How a watched operation ended.
struct WatchEnd {
    status: String,
    first_failure: Option<ResourceEvent>,
}

impl StackDeploy {
    /// Deploys `input`; every failure becomes an outcome, nothing is lost.
    pub async fn run(&self, input: &StackInput) -> StackResult {
        match self.deploy(input).await {
            Ok(result) => result,
            Err(failure) => StackResult {
                outcome: StackOutcome::Failed {
                    reason: failure.reason,
                    hint: failure.hint,
                },
                outputs: IndexMap::new(),
            },
        }
    }

    async fn deploy(&self, input: &StackInput) -> Result<StackResult, Failure> {
        let started = Instant::now();
        let existing = self.settle(input, started).await?;
        if let Some(stack) = &existing {
            if self.matches_deployed(stack, input).await? {
                return Ok(StackResult {
                    outcome: StackOutcome::Unchanged { fast: true },
                    outputs: stack.outputs.clone(),
                });
            }
        }
        let create = existing.is_none();
        let template_url = self.template_url(input).await?;
        let change_set_name = format!("gapfill-{}", Utc::now().format("%Y%m%d-%H%M%S-%3f"));
        let request = ChangeSetRequest {
            stack: &input.name,
            name: &change_set_name,
            create,
            template_body: template_url
                .is_none()
                .then_some(input.template_body.as_str()),
            template_url: template_url.as_deref(),
            parameters: &input.parameters,
            tags: &input.tags,
            capabilities: &input.capabilities,
        };
        let change_set = match self.cfn.create_change_set(&request).await {
            Ok(change_set) => change_set,
            // Some endpoints refuse an unchanged request at once instead of failing the change
            // set later; either way it means the same thing.
            Err(error)
                if error.code == "ValidationError" && is_empty_change_set(&error.message) =>
            {
                let outputs = existing.map(|stack| stack.outputs).unwrap_or_default();
                return Ok(StackResult {
                    outcome: StackOutcome::Unchanged { fast: false },
                    outputs,
                });
            }
            Err(error) => return Err(error.into()),
        };
        let changes = match self
            .wait_for_change_set(&input.name, &change_set, started)
            .await?
        {
            ChangeSetState::Ready(changes) => changes,
            ChangeSetState::Failed(reason) if is_empty_change_set(&reason) => {
                self.cfn.delete_change_set(&input.name, &change_set).await?;
                let outputs = existing.map(|stack| stack.outputs).unwrap_or_default();
                return Ok(StackResult {
                    outcome: StackOutcome::Unchanged { fast: false },
                    outputs,
                });
            }
            ChangeSetState::Failed(reason) => {
                let reason = if reason.trim().is_empty() {
                    "no reason given"
                } else {
                    reason.as_str()
                };
                return Err(Failure::new(
                    format!("change set failed: {reason}"),
                    Some("fix the template or parameters and deploy again; the failed change set is kept for inspection".into()),
                ));
            }
            ChangeSetState::Pending => {
                return Err(Failure::new("the change set never finished", None))
            }
        };
        self.sink.emit(RunEventKind::ChangeSetCreated {
            stack: input.name.clone(),
            change_set: change_set_name.clone(),
            changes,
        });
        // Events before this point (REVIEW_IN_PROGRESS of a new stack, an old stack's history)
        // are not this deploy's.
        let baseline = self.cfn.newest_event(&input.name).await?;
        let token = uuid::Uuid::new_v4().to_string();
        self.cfn
            .execute_change_set(&input.name, &change_set, &token)
            .await?;
        self.sink.emit(RunEventKind::StackExecuting {
            stack: input.name.clone(),
        });
        let end = self
            .watch(&input.name, &input.name, baseline, started)
            .await?;
        self.finish(input, create, end).await
    }

    /// Uploads a template over the inline limit; `None` when it can be sent inline.
    async fn template_url(&self, input: &StackInput) -> Result<Option<String>, Failure> {
        if input.template_body.len() <= INLINE_TEMPLATE_LIMIT {
            return Ok(None);
        }
        let Some(store) = &self.artifacts else {
            return Err(Failure::new(
                format!("template is {} bytes, over the {INLINE_TEMPLATE_LIMIT} bytes CloudFormation takes inline", input.template_body.len()),
                Some("set `artifacts: { bucket: NAME }` in the project file".into()),
            ));
        };
        let url = store
            .upload(&input.name, &input.template_body)
            .await
            .map_err(|reason| Failure::new(reason, None))?;
        Ok(Some(url))
    }

    /// The outcome once the operation has ended, with the stack's outputs.
    async fn finish(
        &self,
        input: &StackInput,
        create: bool,
        end: WatchEnd,
    ) -> Result<StackResult, Failure> {
        let deployed = self
            .cfn
            .describe(&input.name)
            .await?
            .ok_or_else(|| Failure::new("the stack disappeared while deploying", None))?;
        let outcome = match (deployed.status.as_str(), create) {
            ("CREATE_COMPLETE", true) => StackOutcome::Created,
            ("UPDATE_COMPLETE", false) => StackOutcome::Updated,
            (status, _) => {
                let cause = end
                    .first_failure
                    .map(|event| {
                        let reason = event.reason.unwrap_or_else(|| "no reason given".into());
                        format!(
                            "{} ({}) {}: {reason}",
                            event.logical_id, event.resource_type, event.status
                        )
                    })
                    .or(deployed.status_reason.clone())
                    .unwrap_or_else(|| format!("ended in {}", end.status));
                return Err(Failure::new(
                    format!("{status}: {cause}"),
                    rollback_hint(status, &input.name),
                ));
            }
        };
        Ok(StackResult {
            outcome,
            outputs: deployed.outputs,
        })
    }

    /// Brings the stack to a state a change set can start from: absent, or stable.
    async fn settle(
        &self,
        input: &StackInput,
        started: Instant,
    ) -> Result<Option<DeployedStack>, Failure> {
        let name = &input.name;
        // Each pass resolves one state; a stack needs at most wait -> delete -> absent.
        for _ in 0..4 {
            let Some(stack) = self.cfn.describe(name).await? else {
                return Ok(None);
            };
            let action = match status::category(&stack.status) {
                Category::Stable => return Ok(Some(stack)),
                Category::Deleted => return Ok(None),
                Category::InProgress => "waiting for the operation in progress to finish",
                Category::FailedCreate => "deleting it (a failed create left it in ROLLBACK_COMPLETE); it will be created again",
                Category::Review => "deleting it (an earlier change set was never executed); it will be created again",
                Category::UpdateRollbackFailed if self.options.continue_update_rollback => {
                    "continuing the update rollback (--continue-update-rollback)"
                }
                Category::UpdateRollbackFailed | Category::Broken | Category::Unknown => {
                    let reason = stack.status_reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
                    return Err(Failure::new(format!("stack is in {}{reason}", stack.status), rollback_hint(&stack.status, name)));
                }
            };
            self.sink.emit(RunEventKind::StackRecovering {
                stack: name.clone(),
                status: stack.status.clone(),
                action: action.to_string(),
            });
            let baseline = self.cfn.newest_event(&stack.stack_id).await?;
            let token = uuid::Uuid::new_v4().to_string();
            match status::category(&stack.status) {
                Category::FailedCreate | Category::Review => {
                    self.cfn.delete_stack(&stack.stack_id, &token).await?
                }
                Category::UpdateRollbackFailed => {
                    self.cfn.continue_update_rollback(name, &token).await?
                }
                _ => {}
            }
            self.watch(name, &stack.stack_id, baseline, started).await?;
        }
        Err(Failure::new(
            "the stack kept changing state; gave up waiting for a stable one",
            None,
        ))
    }

    /// Whether what is deployed already equals the request, so no change set is needed.
    async fn matches_deployed(
        &self,
        stack: &DeployedStack,
        input: &StackInput,
    ) -> Result<bool, Failure> {
        if input.has_no_echo {
            return Ok(false);
        }
        let mut desired: BTreeMap<String, String> = input.defaults.clone();
        desired.extend(input.parameters.iter().cloned());
        let tags: BTreeMap<String, String> = input.tags.iter().cloned().collect();
        let mut capabilities = input.capabilities.clone();
        let mut deployed_capabilities = stack.capabilities.clone();
        capabilities.sort();
        deployed_capabilities.sort();
        if desired != stack.parameters
            || tags != stack.tags
            || capabilities != deployed_capabilities
        {
            return Ok(false);
        }
        let template = self.cfn.template(&input.name).await?;
        Ok(template.as_deref() == Some(input.template_body.as_str()))
    }

    async fn wait_for_change_set(
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
            let (base, sleep) = policy.next(interval, false, fastrand::f64());
            interval = Some(base);
            tokio::time::sleep(sleep).await;
        }
    }

    /// Follows the stack's events until the operation ends; emits each new event.
    async fn watch(
        &self,
        name: &str,
        stack_id: &str,
        mut since: Option<String>,
        started: Instant,
    ) -> Result<WatchEnd, Failure> {
        let mut interval = None;
        let mut last_news = Instant::now();
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
                }
            }
            self.check_deadline(name, started, &format!("the stack (still {last_status})"))?;
            let (base, sleep) = self.options.poll.next(interval, had_news, fastrand::f64());
            interval = Some(base);
            tokio::time::sleep(sleep).await;
        }
    }

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

/// A failed resource that caused the failure, not the noise that follows it.
fn is_root_cause(event: &ResourceEvent) -> bool {
    status::is_failure(&event.status)
        && !event.reason.as_deref().is_some_and(|reason| {
            reason.contains("Resource creation cancelled")
                || reason.contains("Resource update cancelled")
        })
}

/// What to run when a stack is stuck in a state gapfill will not fix on its own.
fn rollback_hint(status: &str, stack: &str) -> Option<String> {
    match status {
        "UPDATE_ROLLBACK_FAILED" => Some(format!(
            "run `gapfill deploy --continue-update-rollback`, or `aws cloudformation continue-update-rollback --stack-name {stack}` (add --resources-to-skip for resources that cannot roll back)"
        )),
        "DELETE_FAILED" => Some(format!(
            "delete it with `aws cloudformation delete-stack --stack-name {stack}` (--retain-resources for resources that cannot be deleted), then deploy again"
        )),
        "ROLLBACK_COMPLETE" => Some("the create failed and was rolled back; fix the cause and deploy again (gapfill deletes and recreates the stack)".to_string()),
        "UPDATE_ROLLBACK_COMPLETE" => Some("the update was rolled back; the stack is as it was before this deploy".to_string()),
        _ => None,
    }
}
