//! One thin wrapper per CloudFormation call, returning gapfill's own types. The deploy
//! sequence reads in terms of these; SDK types stop here.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::types::{
    Capability, ChangeSetType, Parameter, StackEvent, Tag, TemplateStage,
};
use aws_sdk_cloudformation::Client;
use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use tracing::debug;

use crate::aws::error::error_chain;
use crate::events::{ResourceChange, ResourceEvent};

/// A failed CloudFormation call: the operation, and AWS's code and message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{operation} failed: {code}: {message}")]
pub struct CfnError {
    pub operation: &'static str,
    pub code: String,
    pub message: String,
}

fn api_error<E, R>(operation: &'static str, error: SdkError<E, R>) -> CfnError
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

/// What a change set turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeSetState {
    Pending,
    Ready(Vec<ResourceChange>),
    /// FAILED, with CloudFormation's reason.
    Failed(String),
}

/// The request for a change set.
#[derive(Debug, Clone)]
pub struct ChangeSetRequest<'a> {
    pub stack: &'a str,
    pub name: &'a str,
    pub create: bool,
    pub template_body: Option<&'a str>,
    pub template_url: Option<&'a str>,
    pub parameters: &'a [(String, String)],
    pub tags: &'a [(String, String)],
    pub capabilities: &'a [String],
}

/// The CloudFormation calls a deploy makes.
#[derive(Debug, Clone)]
pub struct Cfn {
    client: Client,
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

    /// Creates a change set; returns its id.
    pub async fn create_change_set(
        &self,
        request: &ChangeSetRequest<'_>,
    ) -> Result<String, CfnError> {
        debug!(stack = request.stack, "CreateChangeSet");
        let kind = if request.create {
            ChangeSetType::Create
        } else {
            ChangeSetType::Update
        };
        let parameters = request
            .parameters
            .iter()
            .map(|(key, value)| {
                Parameter::builder()
                    .parameter_key(key)
                    .parameter_value(value)
                    .build()
            })
            .collect();
        let tags = request
            .tags
            .iter()
            .map(|(key, value)| Tag::builder().key(key).value(value).build())
            .collect();
        let capabilities = request
            .capabilities
            .iter()
            .map(|name| Capability::from(name.as_str()))
            .collect();
        let output = self
            .client
            .create_change_set()
            .stack_name(request.stack)
            .change_set_name(request.name)
            .change_set_type(kind)
            .set_template_body(request.template_body.map(str::to_string))
            .set_template_url(request.template_url.map(str::to_string))
            .set_parameters(Some(parameters))
            .set_tags(Some(tags))
            .set_capabilities(Some(capabilities))
            .description("gapfill deploy")
            .send()
            .await
            .map_err(|error| api_error("CreateChangeSet", error))?;
        Ok(output.id().unwrap_or(request.name).to_string())
    }

    /// The change set's state (all pages of changes once it is ready).
    pub async fn change_set(&self, stack: &str, id: &str) -> Result<ChangeSetState, CfnError> {
        debug!(stack = stack, "DescribeChangeSet");
        let mut changes = Vec::new();
        let mut next_token = None;
        loop {
            let output = self
                .client
                .describe_change_set()
                .stack_name(stack)
                .change_set_name(id)
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|error| api_error("DescribeChangeSet", error))?;
            let status = output
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default();
            match status.as_str() {
                "CREATE_COMPLETE" => {}
                "FAILED" => {
                    return Ok(ChangeSetState::Failed(
                        output.status_reason().unwrap_or_default().to_string(),
                    ))
                }
                _ => return Ok(ChangeSetState::Pending),
            }
            changes.extend(
                output
                    .changes()
                    .iter()
                    .filter_map(|change| change.resource_change())
                    .map(|change| ResourceChange {
                        action: change
                            .action()
                            .map(|a| a.as_str().to_string())
                            .unwrap_or_default(),
                        logical_id: change.logical_resource_id().unwrap_or_default().to_string(),
                        resource_type: change.resource_type().unwrap_or_default().to_string(),
                        replacement: change.replacement().map(|r| r.as_str().to_string()),
                    }),
            );
            next_token = output.next_token().map(str::to_string);
            if next_token.is_none() {
                return Ok(ChangeSetState::Ready(changes));
            }
        }
    }

    pub async fn execute_change_set(
        &self,
        stack: &str,
        id: &str,
        token: &str,
    ) -> Result<(), CfnError> {
        debug!(stack = stack, "ExecuteChangeSet");
        self.client
            .execute_change_set()
            .stack_name(stack)
            .change_set_name(id)
            .client_request_token(token)
            .send()
            .await
            .map_err(|error| api_error("ExecuteChangeSet", error))?;
        Ok(())
    }

    pub async fn delete_change_set(&self, stack: &str, id: &str) -> Result<(), CfnError> {
        debug!(stack = stack, "DeleteChangeSet");
        self.client
            .delete_change_set()
            .stack_name(stack)
            .change_set_name(id)
            .send()
            .await
            .map_err(|error| api_error("DeleteChangeSet", error))?;
        Ok(())
    }

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

    /// Stack events newer than `since` (an event id), oldest first, and the newest event id.
    /// Reads only the first page unless `since` is further back.
    pub async fn events_since(
        &self,
        stack: &str,
        since: Option<&str>,
    ) -> Result<(Vec<(String, ResourceEvent)>, Option<String>), CfnError> {
        debug!(stack = stack, "DescribeStackEvents");
        let mut fresh = Vec::new();
        let mut next_token = None;
        let mut newest = None;
        // A page holds 100 events; ten pages cover any realistic gap between two ticks.
        for _ in 0..10 {
            let output = self
                .client
                .describe_stack_events()
                .stack_name(stack)
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|error| api_error("DescribeStackEvents", error))?;
            for event in output.stack_events() {
                let id = event.event_id().unwrap_or_default();
                if newest.is_none() {
                    newest = Some(id.to_string());
                }
                if Some(id) == since {
                    fresh.reverse();
                    return Ok((fresh, newest));
                }
                fresh.push((id.to_string(), resource_event(event)));
            }
            next_token = output.next_token().map(str::to_string);
            if next_token.is_none() || since.is_none() {
                break;
            }
        }
        fresh.reverse();
        Ok((fresh, newest))
    }

    /// The id of the newest event, to watch from.
    pub async fn newest_event(&self, stack: &str) -> Result<Option<String>, CfnError> {
        debug!(stack = stack, "DescribeStackEvents");
        let output = self
            .client
            .describe_stack_events()
            .stack_name(stack)
            .send()
            .await
            .map_err(|error| api_error("DescribeStackEvents", error))?;
        Ok(output
            .stack_events()
            .first()
            .and_then(|event| event.event_id())
            .map(str::to_string))
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

fn resource_event(event: &StackEvent) -> ResourceEvent {
    ResourceEvent {
        timestamp: event
            .timestamp()
            .and_then(|t| DateTime::<Utc>::from_timestamp(t.secs(), t.subsec_nanos())),
        logical_id: event.logical_resource_id().unwrap_or_default().to_string(),
        resource_type: event.resource_type().unwrap_or_default().to_string(),
        status: event
            .resource_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        reason: event.resource_status_reason().map(str::to_string),
    }
}
