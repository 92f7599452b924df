//! One stack's preview, read straight down: a stack not deployed would be created (its
//! template's resources, no change set unless the plan is saved); a stack whose template,
//! parameters, tags and capabilities equal what is deployed has no changes, without a change
//! set; otherwise a change set is created, described, and deleted unless the plan keeps it.
//! Every change set made and not kept is in the [`ChangeSetLedger`] until it is deleted, so an
//! interrupted plan can delete what it left.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::cloudformation::retries::reporting_retries;
use crate::cloudformation::{
    is_empty_change_set, Cfn, CfnError, ChangeSetRequest, ChangeSetState, DeployedStack,
};
use crate::deploy::compare::matches_deployed;
use crate::deploy::{StackInput, StackResult};
use crate::events::{EventSink, NodeId, ResourceChange, RunEventKind, StackOutcome};

/// Change sets a plan made and has not deleted yet: (stack, change set id).
#[derive(Debug, Clone, Default)]
pub struct ChangeSetLedger(Arc<Mutex<Vec<(String, String)>>>);

impl ChangeSetLedger {
    fn add(&self, stack: &str, id: &str) {
        self.lock().push((stack.to_string(), id.to_string()));
    }

    /// Forgets every change set: they are kept (a saved plan was written).
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn remove(&self, id: &str) {
        self.lock().retain(|(_, kept)| kept != id);
    }

    /// Every change set still to delete.
    pub fn pending(&self) -> Vec<(String, String)> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, String)>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Previews stacks; the scheduler runs clones of it in parallel.
#[derive(Clone)]
pub struct StackPreview {
    pub cfn: Cfn,
    pub sink: EventSink,
    /// Keep the change sets (`plan --save`): a deploy executes exactly them.
    pub keep: bool,
    pub ledger: ChangeSetLedger,
    /// How long a change set may take to be ready.
    pub timeout: Duration,
    /// The stacks as deployed when the plan started (read once, for every stack).
    pub deployed: Arc<HashMap<String, DeployedStack>>,
}

impl StackPreview {
    /// The stack's preview; every failure becomes an outcome.
    pub async fn run(&self, input: &StackInput) -> StackResult {
        let node = NodeId::Stack(input.name.clone());
        match reporting_retries(&self.sink, node, self.preview(input)).await {
            Ok(result) => result,
            Err(error) => StackResult {
                outcome: StackOutcome::Failed {
                    reason: error.to_string(),
                    hint: error.hint(),
                },
                outputs: Default::default(),
            },
        }
    }

    async fn preview(&self, input: &StackInput) -> Result<StackResult, CfnError> {
        let deployed = self.deployed.get(&input.name).cloned();
        let outputs = deployed
            .as_ref()
            .map(|stack| stack.outputs.clone())
            .unwrap_or_default();
        let unchanged = |fast| StackResult {
            outcome: StackOutcome::Unchanged { fast },
            outputs: outputs.clone(),
        };
        if let Some(stack) = &deployed {
            if matches_deployed(&self.cfn, stack, input).await? {
                return Ok(unchanged(true));
            }
        }
        let create = deployed.is_none();
        if create && !self.keep {
            // A change set would leave a new, empty stack behind: the template says it all.
            self.sink.emit(RunEventKind::ChangeSetCreated {
                stack: input.name.clone(),
                change_set: "(none: a new stack, its template's resources)".into(),
                changes: template_changes(input),
            });
            return Ok(StackResult {
                outcome: StackOutcome::WouldChange { create, kept: None },
                outputs,
            });
        }
        let name = format!("gapfill-plan-{}", Utc::now().format("%Y%m%d-%H%M%S-%3f"));
        let request = ChangeSetRequest {
            stack: &input.name,
            name: &name,
            create,
            template_body: Some(&input.template_body),
            template_url: None,
            parameters: &input.parameters,
            tags: &input.tags,
            capabilities: &input.capabilities,
        };
        let id = match self.cfn.create_change_set(&request).await {
            Ok(created) => created.id,
            Err(error)
                if error.code == "ValidationError" && is_empty_change_set(&error.message) =>
            {
                return Ok(unchanged(false));
            }
            Err(error) => return Err(error),
        };
        // Kept ones too: a saved plan that is not written in the end leaves none behind.
        self.ledger.add(&input.name, &id);
        let state = self.wait_for(&input.name, &id).await;
        let outcome = match state {
            Ok(ChangeSetState::Ready(changes)) => {
                self.sink.emit(RunEventKind::ChangeSetCreated {
                    stack: input.name.clone(),
                    change_set: name.clone(),
                    changes,
                });
                Ok(StackOutcome::WouldChange {
                    create,
                    kept: self.keep.then(|| id.clone()),
                })
            }
            Ok(ChangeSetState::Failed(reason)) if is_empty_change_set(&reason) => {
                Ok(StackOutcome::Unchanged { fast: false })
            }
            Ok(ChangeSetState::Failed(reason)) => Ok(StackOutcome::Failed {
                reason: format!("change set failed: {reason}"),
                hint: Some(
                    "fix the template or parameters: a deploy would fail the same way".into(),
                ),
            }),
            Ok(ChangeSetState::Pending) => Ok(StackOutcome::Failed {
                reason: format!(
                    "change set {name} was not ready within {}s",
                    self.timeout.as_secs()
                ),
                hint: None,
            }),
            Err(error) => Err(error),
        };
        let keep = self.keep && matches!(outcome, Ok(StackOutcome::WouldChange { .. }));
        if !keep {
            self.cfn.delete_change_set(&input.name, &id).await?;
            self.ledger.remove(&id);
        }
        Ok(StackResult {
            outcome: outcome?,
            outputs,
        })
    }

    /// Describes the change set until it is ready or failed, backing off, within the timeout.
    async fn wait_for(&self, stack: &str, id: &str) -> Result<ChangeSetState, CfnError> {
        let started = Instant::now();
        let mut interval = Duration::from_millis(500);
        loop {
            let state = self.cfn.change_set(stack, id).await?;
            if state != ChangeSetState::Pending || started.elapsed() + interval > self.timeout {
                return Ok(state);
            }
            tokio::time::sleep(interval).await;
            interval = interval.mul_f64(1.5).min(Duration::from_secs(5));
        }
    }
}

/// A new stack's changes: every resource of its template, added.
fn template_changes(input: &StackInput) -> Vec<ResourceChange> {
    input
        .template_resources
        .iter()
        .map(|(logical_id, resource_type)| ResourceChange {
            action: "Add".into(),
            logical_id: logical_id.clone(),
            resource_type: resource_type.clone(),
            replacement: None,
            details: Vec::new(),
        })
        .collect()
}
