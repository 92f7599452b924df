//! Deploying one stack, read straight down: settle the stack's current state
//! ([`super::settle`]), skip when nothing differs, create a change set, wait for it, execute
//! it, follow its events ([`super::watch`]), and report the outcome.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use indexmap::IndexMap;

use super::artifacts::ArtifactStore;
use super::compare::matches_deployed;
use super::poll::PollPolicy;
use super::settle::{rollback_hint, DEPLOY_CHANGE_SET_PREFIX};
use super::watch::WatchEnd;
use crate::cloudformation::retries::reporting_retries;
use crate::cloudformation::status::{self, Category};
use crate::cloudformation::{
    is_empty_change_set, Cfn, CfnError, ChangeSetRequest, ChangeSetState, CreatedChangeSet,
};
use crate::events::{EventSink, NodeId, RunEventKind, StackOutcome};
use crate::plan::saved::{SavedAction, SavedPlan, SavedStack};
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
    /// The resources the template declares (logical id, type).
    pub template_resources: Vec<(String, String)>,
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
    pub(super) fn new(reason: impl Into<String>, hint: Option<String>) -> Failure {
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
            _ => error.hint(),
        };
        Failure::new(error.to_string(), hint)
    }
}

/// Deploys one stack at a time; the scheduler runs clones of it in parallel.
#[derive(Debug, Clone)]
pub struct StackDeploy {
    pub cfn: Cfn,
    pub sink: EventSink,
    pub options: DeployOptions,
    /// Where templates over the inline limit go; the plan guarantees it is set when needed.
    pub artifacts: Option<Arc<ArtifactStore>>,
    /// A reviewed plan (`deploy --plan`): its change sets are executed instead of new ones.
    pub saved: Option<Arc<SavedPlan>>,
}

impl StackDeploy {
    /// Deploys `input`; every failure becomes an outcome, nothing is lost.
    pub async fn run(&self, input: &StackInput) -> StackResult {
        let node = NodeId::Stack(input.name.clone());
        match reporting_retries(&self.sink, node, self.deploy(input)).await {
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
        if let Some(saved) = self.saved.as_ref().and_then(|plan| plan.stack(&input.name)) {
            return self.deploy_saved(input, saved).await;
        }
        let started = Instant::now();
        let existing = self.settle(input, started).await?;
        if let Some(stack) = &existing {
            if matches_deployed(&self.cfn, stack, input).await? {
                return Ok(StackResult {
                    outcome: StackOutcome::Unchanged { fast: true },
                    outputs: stack.outputs.clone(),
                });
            }
        }
        let create = existing.is_none();
        let template_url = self.template_url(input).await?;
        let change_set_name = format!(
            "{DEPLOY_CHANGE_SET_PREFIX}{}",
            Utc::now().format("%Y%m%d-%H%M%S-%3f")
        );
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
        self.clean_up_change_sets(&input.name, existing.as_ref())
            .await;
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
            .wait_for_change_set(&input.name, &change_set.id, started)
            .await?
        {
            ChangeSetState::Ready(changes) => changes,
            ChangeSetState::Failed(reason) if is_empty_change_set(&reason) => {
                self.cfn
                    .delete_change_set(&change_set.stack_id, &change_set.id)
                    .await?;
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
                    Some("fix the template or parameters and deploy again; the failed change set is kept for inspection until the next deploy".into()),
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
        self.execute(input, &change_set, create, started).await
    }

    /// Executes a ready change set, watches the stack to its end and reports the outcome.
    /// The stack is followed by its id from here on: its name could name another stack.
    async fn execute(
        &self,
        input: &StackInput,
        change_set: &CreatedChangeSet,
        create: bool,
        started: Instant,
    ) -> Result<StackResult, Failure> {
        let stack_id = change_set.stack_id.as_str();
        // Events before this point (REVIEW_IN_PROGRESS of a new stack, an old stack's history)
        // are not this deploy's.
        let baseline = self.cfn.newest_event(stack_id).await?;
        let token = uuid::Uuid::new_v4().to_string();
        if let Err(error) = self
            .cfn
            .execute_change_set(stack_id, &change_set.id, &token)
            .await
        {
            return Err(self.not_executed(&input.name, stack_id, error).await);
        }
        self.sink.emit(RunEventKind::StackExecuting {
            stack: input.name.clone(),
        });
        let end = self.watch(&input.name, stack_id, baseline, started).await?;
        self.finish(input, stack_id, create, end).await
    }

    /// Why a change set could not be executed: most often another operation on the stack
    /// (another deploy of the same project) started after it was made.
    async fn not_executed(&self, name: &str, stack_id: &str, error: CfnError) -> Failure {
        let busy = match self.cfn.describe(stack_id).await {
            Ok(Some(stack)) if status::category(&stack.status) == Category::InProgress => {
                Some(stack.status)
            }
            _ => None,
        };
        match busy {
            Some(status) => Failure::new(
                format!("another operation is changing the stack ({status}), started after this deploy's change set was made: {error}"),
                Some(format!("another deploy of `{name}` is probably running; run `gapfill deploy` again: it waits for the operation in progress, then deploys")),
            ),
            None => error.into(),
        }
    }

    /// Executes the change set a reviewed plan kept (checked before the run started: it
    /// exists and can still be executed), or leaves a stack the plan found unchanged alone.
    async fn deploy_saved(
        &self,
        input: &StackInput,
        saved: &SavedStack,
    ) -> Result<StackResult, Failure> {
        let Some(change_set) = &saved.change_set else {
            let outputs = self
                .cfn
                .describe(&input.name)
                .await?
                .map(|stack| stack.outputs)
                .unwrap_or_default();
            return Ok(StackResult {
                outcome: StackOutcome::Unchanged { fast: true },
                outputs,
            });
        };
        let started = Instant::now();
        let create = saved.action == SavedAction::Create;
        let Some(stack) = self.cfn.describe(&input.name).await? else {
            return Err(Failure::new(
                "the stack of the reviewed change set no longer exists",
                Some(
                    "plan again (`gapfill plan --save FILE`), review, then deploy that plan".into(),
                ),
            ));
        };
        let change_set = CreatedChangeSet {
            id: change_set.clone(),
            stack_id: stack.stack_id,
        };
        if let ChangeSetState::Ready(changes) =
            self.cfn.change_set(&input.name, &change_set.id).await?
        {
            // The ARN reads `...:changeSet/NAME/ID`: its name is what people reviewed.
            let name = change_set.id.split('/').nth(1).unwrap_or(&change_set.id);
            self.sink.emit(RunEventKind::ChangeSetCreated {
                stack: input.name.clone(),
                change_set: name.to_string(),
                changes,
            });
        }
        self.execute(input, &change_set, create, started).await
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
        stack_id: &str,
        create: bool,
        end: WatchEnd,
    ) -> Result<StackResult, Failure> {
        let deployed = self
            .cfn
            .describe(stack_id)
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
}
