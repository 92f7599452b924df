//! Settling a stack before a deploy: bring it to a state a change set can start from. An
//! operation in progress is waited out; a failed create is deleted so the stack can be created
//! again; a stack in review (a CREATE change set never executed) is created with a new CREATE
//! change set, as CloudFormation allows, never deleted: another deploy may be about to execute
//! its own; a failed update rollback is continued when the user asked for it. Anything else stops with a hint saying what a human must run.
//! This is the only code of a deploy that deletes a stack. Change sets an earlier deploy made
//! and never executed (it was killed, or they failed) are deleted before a new one is made.

use std::time::Instant;

use super::stack::{Failure, StackDeploy, StackInput};
use crate::cloudformation::status::{self, Category};
use crate::cloudformation::{ChangeSetSummary, DeployedStack};
use crate::events::RunEventKind;

impl StackDeploy {
    /// Brings the stack to a state a change set can start from: absent, or stable.
    pub(super) async fn settle(
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
                Category::Review => {
                    self.sink.emit(RunEventKind::StackRecovering {
                        stack: name.clone(),
                        status: stack.status.clone(),
                        action: "no change set of it was executed; creating it with a new one"
                            .to_string(),
                    });
                    return Ok(None);
                }
                Category::InProgress => "waiting for the operation in progress to finish",
                Category::FailedCreate => "deleting it (a failed create left it in ROLLBACK_COMPLETE); it will be created again",
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
                Category::FailedCreate => self.cfn.delete_stack(&stack.stack_id, &token).await?,
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
}

/// The prefix of the change sets `deploy` makes (`plan` makes `gapfill-plan-...`, which a
/// reviewer may still want).
pub(super) const DEPLOY_CHANGE_SET_PREFIX: &str = "gapfill-";

impl StackDeploy {
    /// Deletes the change sets earlier deploys made on `stack` and left behind. Best effort:
    /// a leftover is litter, not a reason to fail the deploy.
    pub(super) async fn clean_up_change_sets(&self, name: &str, stack: Option<&DeployedStack>) {
        let Some(stack) = stack else { return };
        let leftovers = match self.cfn.change_sets(&stack.stack_id).await {
            Ok(found) => found,
            Err(error) => {
                tracing::debug!(stack = name, %error, "cannot list change sets");
                return;
            }
        };
        for change_set in leftovers.iter().filter(|c| is_leftover(c, &stack.stack_id)) {
            if let Err(error) = self
                .cfn
                .delete_change_set(&stack.stack_id, &change_set.id)
                .await
            {
                tracing::debug!(stack = name, change_set = %change_set.name, %error, "cannot delete a leftover change set");
            }
        }
    }
}

/// Whether a change set is one a deploy made and left: of this stack, deploy's name, and
/// not being executed.
fn is_leftover(change_set: &ChangeSetSummary, stack_id: &str) -> bool {
    change_set.stack_id == stack_id
        && change_set.name.starts_with(DEPLOY_CHANGE_SET_PREFIX)
        && !change_set.name.starts_with("gapfill-plan-")
        && change_set.execution_status != "EXECUTE_IN_PROGRESS"
}

/// What to run when a stack is stuck in a state gapfill will not fix on its own.
pub(super) fn rollback_hint(status: &str, stack: &str) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_deploy_change_sets_of_this_stack_not_executing_are_leftovers() {
        let summary = |name: &str, stack_id: &str, execution: &str| ChangeSetSummary {
            name: name.into(),
            id: format!("arn:cs/{name}"),
            stack_id: stack_id.into(),
            execution_status: execution.into(),
        };
        assert!(is_leftover(
            &summary("gapfill-20261202-1", "s1", "AVAILABLE"),
            "s1"
        ));
        assert!(is_leftover(
            &summary("gapfill-20261202-1", "s1", "UNAVAILABLE"),
            "s1"
        ));
        assert!(!is_leftover(
            &summary("gapfill-20261202-1", "s2", "AVAILABLE"),
            "s1"
        ));
        assert!(!is_leftover(
            &summary("gapfill-plan-1", "s1", "AVAILABLE"),
            "s1"
        ));
        assert!(!is_leftover(&summary("hand-made", "s1", "AVAILABLE"), "s1"));
        assert!(!is_leftover(
            &summary("gapfill-2", "s1", "EXECUTE_IN_PROGRESS"),
            "s1"
        ));
    }
}
