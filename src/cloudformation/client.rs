//! The CloudFormation client: [`Cfn`], one thin wrapper per call returning gapfill's own
//! types, and [`CfnError`]. SDK types stop in this module. This file holds the stack calls
//! (describe, template, delete, continue a rollback); change sets are in
//! [`super::changeset`], stack events in [`super::stack_events`]. No wrapper decides
//! anything: when to delete or roll back is the caller's call.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::types::TemplateStage;
use aws_sdk_cloudformation::Client;
use indexmap::IndexMap;
use tracing::debug;

use crate::aws::error_chain::error_chain;

/// A failed CloudFormation call: the operation, and AWS's code and message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{operation} failed: {code}: {message}")]
pub struct CfnError {
    pub operation: &'static str,
    pub code: String,
    pub message: String,
}

/// Turns an SDK error into a [`CfnError`] naming `operation`.
pub(super) fn api_error<E, R>(operation: &'static str, error: SdkError<E, R>) -> CfnError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
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
}

impl Cfn {
    pub fn new(client: Client) -> Cfn {
        Cfn { client }
    }

    /// The stack, or `None` when it does not exist.
    pub async fn describe(&self, stack: &str) -> Result<Option<DeployedStack>, CfnError> {
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

fn is_missing_stack<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    error.code() == Some("ValidationError")
        && error
            .message()
            .is_some_and(|m| m.contains("does not exist"))
}

fn deployed_stack(stack: &aws_sdk_cloudformation::types::Stack) -> DeployedStack {
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
