//! The CloudFormation client: [`Cfn`], one thin wrapper per call returning gapfill's own
//! types, and [`CfnError`]. SDK types stop in this module. This file holds the stack calls
//! (describe, template, delete, continue a rollback); change sets are in
//! [`super::changeset`], stack events in [`super::stack_events`]. No wrapper decides
//! anything: when to delete or roll back is the caller's call.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::types::TemplateStage;
use aws_sdk_cloudformation::Client;
use indexmap::IndexMap;
use tracing::debug;

use crate::aws::diagnose::{AuthProblem, Unreachable};
use crate::aws::error_chain::error_chain;
use crate::cloudformation::retries::BudgetSpent;

/// A failed CloudFormation call: the operation, and AWS's code and message. A call that got
/// no answer has an empty code and says why in plain words.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", describe_cfn_error(self))]
pub struct CfnError {
    pub operation: &'static str,
    pub code: String,
    pub message: String,
}

impl CfnError {
    /// The credential or permission problem the answer reports, if it is one.
    pub fn auth_problem(&self) -> Option<AuthProblem> {
        AuthProblem::of(&self.code, &self.message)
    }

    /// What to do about a credential or permission problem: for an access denied, the
    /// action to allow and to whom (and for change sets, the stack's service role).
    pub fn hint(&self) -> Option<String> {
        let hint = match self.auth_problem()? {
            AuthProblem::Expired => {
                "the credentials expired during the run: with SSO, run `aws sso login`; otherwise get fresh credentials, then run again".to_string()
            }
            AuthProblem::Denied(denial) => {
                let advice = denial.advice(&format!("cloudformation:{}", self.operation));
                let passing_a_role = denial.action.as_deref() == Some("iam:PassRole");
                if !passing_a_role
                    && matches!(self.operation, "CreateChangeSet" | "ExecuteChangeSet")
                {
                    format!("{advice}; a stack with a service role (RoleARN, as `--role-arn` sets it) also needs iam:PassRole on that role, and its resources are created with that role's permissions")
                } else if passing_a_role {
                    format!("{advice}: CloudFormation is handed the stack's service role (RoleARN), which takes iam:PassRole on it")
                } else {
                    advice
                }
            }
            problem @ (AuthProblem::UnknownKey
            | AuthProblem::BadSignature
            | AuthProblem::WrongScope
            | AuthProblem::ClockSkew
            | AuthProblem::Unsigned
            | AuthProblem::OptInRequired) => format!("{}: check the credentials and region, then run again", problem.summary()),
        };
        Some(hint)
    }
}

fn describe_cfn_error(error: &CfnError) -> String {
    let operation = error.operation;
    if error.code.is_empty() {
        return format!("{operation} failed: {}", error.message);
    }
    if let Some(AuthProblem::Denied(denial)) = error.auth_problem() {
        if denial.is_detailed() {
            return format!("{operation} was denied: {denial}");
        }
    }
    format!("{operation} failed: {}: {}", error.code, error.message)
}

/// The first error of type `T` in `error`'s chain of sources.
fn find_source<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<T>() {
            return Some(found);
        }
        current = error.source();
    }
    None
}

/// Turns an SDK error into a [`CfnError`] naming `operation`.
pub(super) fn api_error<E, R>(operation: &'static str, error: SdkError<E, R>) -> CfnError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let budget_spent = match &error {
        SdkError::DispatchFailure(failure) => failure
            .as_connector_error()
            .and_then(|connector| find_source::<BudgetSpent>(connector)),
        _ => None,
    };
    if let Some(spent) = budget_spent {
        return CfnError {
            operation,
            code: String::new(),
            message: spent.to_string(),
        };
    }
    let unreachable = match &error {
        SdkError::DispatchFailure(failure) => Some(
            failure
                .as_connector_error()
                .map(|connector| Unreachable::of(connector))
                .unwrap_or_else(|| Unreachable::classify(&error_chain(&error), &[])),
        ),
        SdkError::TimeoutError(_) => Some(Unreachable::NoAnswer),
        _ => None,
    };
    if let Some(cause) = unreachable {
        return CfnError {
            operation,
            code: String::new(),
            message: format!("cannot reach CloudFormation: {cause}"),
        };
    }
    let code = error.code().unwrap_or("Error").to_string();
    let message = match error.message() {
        Some(message) => message.to_string(),
        None => error_chain(&error),
    };
    CfnError {
        operation,
        code,
        message,
    }
}

/// How long the first contact's answer about a stack stands in for the command's first look
/// at it (unless gapfill changes something first: then it is dropped).
const FIRST_LOOK_FRESH: Duration = Duration::from_secs(30);

/// The first contact's answer about a stack, kept for the command's first look at it.
#[derive(Debug)]
pub(super) struct FirstLook {
    pub(super) stack: String,
    pub(super) found: Option<DeployedStack>,
    pub(super) at: Instant,
}

/// Where [`Cfn`] keeps the first contact's answer until it is used (once).
pub(super) type FirstLookSlot = Arc<Mutex<Option<FirstLook>>>;

/// A deployed stack as DescribeStacks shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeployedStack {
    /// The stack's ARN: it still names the stack after a delete, unlike the name.
    pub stack_id: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub parameters: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub capabilities: Vec<String>,
    pub outputs: IndexMap<String, String>,
}

/// The CloudFormation calls gapfill makes. Cheap to clone: the SDK client is shared.
#[derive(Debug, Clone)]
pub struct Cfn {
    pub(super) client: Client,
    pub(super) first_look: FirstLookSlot,
}

impl Cfn {
    pub fn new(client: Client) -> Cfn {
        Cfn {
            client,
            first_look: FirstLookSlot::default(),
        }
    }

    /// The stack, or `None` when it does not exist. The first look at the stack the first
    /// contact described is its answer, when fresh: the run's first call is not made twice.
    pub async fn describe(&self, stack: &str) -> Result<Option<DeployedStack>, CfnError> {
        if let Some(found) = self.take_first_look(stack) {
            debug!(stack = stack, "DescribeStacks (answered at first contact)");
            return Ok(found);
        }
        debug!(stack = stack, "DescribeStacks");
        let result = self.client.describe_stacks().stack_name(stack).send().await;
        let output = match result {
            Ok(output) => output,
            Err(error) if is_missing_stack(&error) => return Ok(None),
            Err(error) => return Err(api_error("DescribeStacks", error)),
        };
        Ok(output.stacks().first().map(deployed_stack))
    }

    /// The template body as deployed.
    pub async fn template(&self, stack: &str) -> Result<Option<String>, CfnError> {
        debug!(stack = stack, "GetTemplate");
        let output = self
            .client
            .get_template()
            .stack_name(stack)
            .template_stage(TemplateStage::Original)
            .send()
            .await
            .map_err(|error| api_error("GetTemplate", error))?;
        Ok(output.template_body().map(str::to_string))
    }

    /// The names of every live stack of the account and region (deleted ones left out), in
    /// the order CloudFormation lists them.
    pub async fn stack_names(&self) -> Result<Vec<String>, CfnError> {
        debug!("DescribeStacks (all)");
        let mut pages = self.client.describe_stacks().into_paginator().send();
        let mut names = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| api_error("DescribeStacks", error))?;
            for stack in page.stacks() {
                let deleted = stack
                    .stack_status()
                    .is_some_and(|status| status.as_str() == "DELETE_COMPLETE");
                if let (Some(name), false) = (stack.stack_name(), deleted) {
                    names.push(name.to_string());
                }
            }
        }
        Ok(names)
    }

    /// Deletes the stack; `token` makes a retried request the same request.
    pub async fn delete_stack(&self, stack: &str, token: &str) -> Result<(), CfnError> {
        debug!(stack = stack, "DeleteStack");
        self.forget_first_look();
        self.client
            .delete_stack()
            .stack_name(stack)
            .client_request_token(token)
            .send()
            .await
            .map_err(|error| api_error("DeleteStack", error))?;
        Ok(())
    }

    /// Resumes a rollback that failed (UPDATE_ROLLBACK_FAILED).
    pub async fn continue_update_rollback(&self, stack: &str, token: &str) -> Result<(), CfnError> {
        debug!(stack = stack, "ContinueUpdateRollback");
        self.forget_first_look();
        self.client
            .continue_update_rollback()
            .stack_name(stack)
            .client_request_token(token)
            .send()
            .await
            .map_err(|error| api_error("ContinueUpdateRollback", error))?;
        Ok(())
    }
}

impl Cfn {
    /// Keeps the first contact's answer about `stack`.
    pub(super) fn keep_first_look(&self, stack: &str, found: Option<DeployedStack>) {
        *self.lock_first_look() = Some(FirstLook {
            stack: stack.to_string(),
            found,
            at: Instant::now(),
        });
    }

    /// Drops the first contact's answer: gapfill is about to change something, after which
    /// only a new look tells what is deployed.
    pub(super) fn forget_first_look(&self) {
        *self.lock_first_look() = None;
    }

    /// The first contact's answer about `stack`, once, while fresh.
    fn take_first_look(&self, stack: &str) -> Option<Option<DeployedStack>> {
        let mut slot = self.lock_first_look();
        if slot.as_ref().is_some_and(|look| look.stack == stack) {
            let look = slot.take()?;
            return (look.at.elapsed() < FIRST_LOOK_FRESH).then_some(look.found);
        }
        None
    }

    fn lock_first_look(&self) -> std::sync::MutexGuard<'_, Option<FirstLook>> {
        // A value replaced whole: a poisoned lock still holds a consistent one.
        self.first_look
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub(super) fn is_missing_stack<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    error.code() == Some("ValidationError")
        && error
            .message()
            .is_some_and(|m| m.contains("does not exist"))
}

pub(super) fn deployed_stack(stack: &aws_sdk_cloudformation::types::Stack) -> DeployedStack {
    DeployedStack {
        stack_id: stack.stack_id().unwrap_or_default().to_string(),
        status: stack
            .stack_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        status_reason: stack.stack_status_reason().map(str::to_string),
        parameters: stack
            .parameters()
            .iter()
            .filter_map(|p| {
                Some((
                    p.parameter_key()?.to_string(),
                    p.parameter_value().unwrap_or_default().to_string(),
                ))
            })
            .collect(),
        tags: stack
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect(),
        capabilities: stack
            .capabilities()
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        outputs: stack
            .outputs()
            .iter()
            .filter_map(|o| {
                Some((
                    o.output_key()?.to_string(),
                    o.output_value().unwrap_or_default().to_string(),
                ))
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfn() -> Cfn {
        let config = aws_sdk_cloudformation::Config::builder()
            .behavior_version(aws_sdk_cloudformation::config::BehaviorVersion::latest())
            .region(aws_sdk_cloudformation::config::Region::new("us-east-1"))
            .build();
        Cfn::new(Client::from_conf(config))
    }

    #[test]
    fn the_first_contact_answers_the_first_look_at_its_stack_once() {
        let cfn = cfn();
        let deployed = DeployedStack {
            status: "CREATE_COMPLETE".into(),
            ..DeployedStack::default()
        };
        cfn.keep_first_look("app", Some(deployed.clone()));
        assert_eq!(cfn.take_first_look("web"), None, "another stack");
        assert_eq!(cfn.clone().take_first_look("app"), Some(Some(deployed)));
        assert_eq!(cfn.take_first_look("app"), None, "once, across clones");
    }

    #[test]
    fn a_change_made_since_drops_the_first_contact_s_answer() {
        let cfn = cfn();
        cfn.keep_first_look("app", None);
        cfn.forget_first_look();
        assert_eq!(cfn.take_first_look("app"), None);
    }

    #[test]
    fn an_access_denied_names_the_action_and_principal_and_the_service_role() {
        let error = CfnError {
            operation: "ExecuteChangeSet",
            code: "AccessDenied".into(),
            message: "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: cloudformation:ExecuteChangeSet on resource: arn:aws:cloudformation:us-east-1:123456789012:stack/app/*".into(),
        };
        assert_eq!(
            error.to_string(),
            "ExecuteChangeSet was denied: arn:aws:iam::123456789012:user/dev may not perform cloudformation:ExecuteChangeSet on arn:aws:cloudformation:us-east-1:123456789012:stack/app/*"
        );
        assert_eq!(
            error.hint().as_deref(),
            Some("allow cloudformation:ExecuteChangeSet to user `dev` in its IAM policy; a stack with a service role (RoleARN, as `--role-arn` sets it) also needs iam:PassRole on that role, and its resources are created with that role's permissions")
        );
        let pass_role = CfnError {
            operation: "CreateChangeSet",
            code: "AccessDenied".into(),
            message: "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role/cfn-exec".into(),
        };
        assert_eq!(
            pass_role.hint().as_deref(),
            Some("allow iam:PassRole to user `dev` in its IAM policy: CloudFormation is handed the stack's service role (RoleARN), which takes iam:PassRole on it")
        );
        let unreached = CfnError {
            operation: "DescribeStackEvents",
            code: String::new(),
            message: "cannot reach CloudFormation: the connection was closed before an answer came"
                .into(),
        };
        assert_eq!(
            unreached.to_string(),
            "DescribeStackEvents failed: cannot reach CloudFormation: the connection was closed before an answer came"
        );
        assert_eq!(unreached.hint(), None);
    }
}
