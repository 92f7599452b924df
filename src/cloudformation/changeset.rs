//! Change sets: create, describe (every page of changes), execute, delete, each one thin
//! wrapper; and [`is_empty_change_set`], which recognises a change set that has nothing to
//! change from CloudFormation's own reason strings.

use aws_sdk_cloudformation::types::{Capability, ChangeSetType, Parameter, Tag};
use tracing::debug;

use super::client::{api_error, Cfn, CfnError};
use crate::events::ResourceChange;

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
    /// Unique per request: a retried request whose first answer was lost is recognised by it.
    pub name: &'a str,
    pub create: bool,
    pub template_body: Option<&'a str>,
    pub template_url: Option<&'a str>,
    pub parameters: &'a [(String, String)],
    pub tags: &'a [(String, String)],
    pub capabilities: &'a [String],
}

/// Whether CloudFormation refused a request because what it creates exists already.
fn is_already_exists(error: &CfnError) -> bool {
    matches!(
        error.code.as_str(),
        "AlreadyExistsException" | "AlreadyExists"
    )
}

/// Whether a change set's failure reason (or a refused CreateChangeSet's message) means there
/// was nothing to change: CloudFormation says so in one of two ways.
pub fn is_empty_change_set(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

/// A change set CloudFormation has accepted, and the stack it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedChangeSet {
    /// The change set's ARN.
    pub id: String,
    /// The stack's ARN: a new stack's is known only from here, and only it names this stack
    /// for sure (a name can be reused once a stack is deleted).
    pub stack_id: String,
}

/// A token for CreateChangeSet's `ClientToken` (a letter first, then letters, digits, `-`).
fn client_token(change_set_name: &str) -> String {
    let mut token: String = change_set_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(128)
        .collect();
    if !token.starts_with(|c: char| c.is_ascii_alphabetic()) {
        token.insert(0, 't');
        token.truncate(128);
    }
    token
}

impl Cfn {
    /// Creates a change set. The request carries a client token, so a retry of a request
    /// whose answer was lost is the same request; an endpoint that answers the retry with
    /// AlreadyExists for this (unique) name has created it, and is asked which it is.
    pub async fn create_change_set(
        &self,
        request: &ChangeSetRequest<'_>,
    ) -> Result<CreatedChangeSet, CfnError> {
        match self.send_create_change_set(request).await {
            Err(error) if is_already_exists(&error) => {
                debug!(
                    stack = request.stack,
                    "CreateChangeSet: created by an earlier attempt"
                );
                self.change_set_ids(request.stack, request.name).await
            }
            result => result,
        }
    }

    async fn send_create_change_set(
        &self,
        request: &ChangeSetRequest<'_>,
    ) -> Result<CreatedChangeSet, CfnError> {
        debug!(stack = request.stack, "CreateChangeSet");
        self.forget_first_look();
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
            .client_token(client_token(request.name))
            .send()
            .await
            .map_err(|error| api_error("CreateChangeSet", error))?;
        match (output.id(), output.stack_id()) {
            (Some(id), Some(stack_id)) => Ok(CreatedChangeSet {
                id: id.to_string(),
                stack_id: stack_id.to_string(),
            }),
            _ => self.change_set_ids(request.stack, request.name).await,
        }
    }

    /// The ARNs of the change set `name` of `stack` and of its stack.
    async fn change_set_ids(&self, stack: &str, name: &str) -> Result<CreatedChangeSet, CfnError> {
        debug!(stack = stack, "DescribeChangeSet (ids)");
        let output = self
            .client
            .describe_change_set()
            .stack_name(stack)
            .change_set_name(name)
            .send()
            .await
            .map_err(|error| api_error("DescribeChangeSet", error))?;
        let missing = |what: &str| CfnError {
            operation: "DescribeChangeSet",
            code: String::new(),
            message: format!("the answer about change set {name} has no {what}"),
        };
        Ok(CreatedChangeSet {
            id: output
                .change_set_id()
                .ok_or_else(|| missing("ChangeSetId"))?
                .to_string(),
            stack_id: output
                .stack_id()
                .ok_or_else(|| missing("StackId"))?
                .to_string(),
        })
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
                .include_property_values(true)
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
                        details: change.details().iter().filter_map(detail_text).collect(),
                    }),
            );
            next_token = output.next_token().map(str::to_string);
            if next_token.is_none() {
                return Ok(ChangeSetState::Ready(changes));
            }
        }
    }

    /// Why the change set cannot be executed now (`None` when it can): it is gone, not ready,
    /// or obsolete because the stack changed after it was made.
    pub async fn change_set_unavailable(
        &self,
        stack: &str,
        id: &str,
    ) -> Result<Option<String>, CfnError> {
        let output = match self
            .client
            .describe_change_set()
            .stack_name(stack)
            .change_set_name(id)
            .send()
            .await
        {
            Ok(output) => output,
            Err(error) => {
                let error = api_error("DescribeChangeSet", error);
                if error.code == "ChangeSetNotFound" || error.code == "ChangeSetNotFoundException" {
                    return Ok(Some("the change set no longer exists".into()));
                }
                return Err(error);
            }
        };
        let status = output.status().map(|s| s.as_str()).unwrap_or_default();
        let execution = output
            .execution_status()
            .map(|s| s.as_str())
            .unwrap_or_default();
        Ok(match (status, execution) {
            ("CREATE_COMPLETE", "AVAILABLE") => None,
            (_, "OBSOLETE") => {
                Some("the change set is obsolete: the stack changed after the plan".into())
            }
            (_, "EXECUTE_COMPLETE" | "EXECUTE_IN_PROGRESS") => {
                Some("the change set was executed already".into())
            }
            (status, execution) => {
                Some(format!("the change set is {status}, execution {execution}"))
            }
        })
    }

    /// Executes the change set; `token` makes a retried request the same request.
    pub async fn execute_change_set(
        &self,
        stack: &str,
        id: &str,
        token: &str,
    ) -> Result<(), CfnError> {
        debug!(stack = stack, "ExecuteChangeSet");
        self.forget_first_look();
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

    /// Deletes the change set (not the stack).
    pub async fn delete_change_set(&self, stack: &str, id: &str) -> Result<(), CfnError> {
        debug!(stack = stack, "DeleteChangeSet");
        self.forget_first_look();
        self.client
            .delete_change_set()
            .stack_name(stack)
            .change_set_name(id)
            .send()
            .await
            .map_err(|error| api_error("DeleteChangeSet", error))?;
        Ok(())
    }
}

/// A change set as ListChangeSets shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSetSummary {
    pub name: String,
    pub id: String,
    pub stack_id: String,
    pub execution_status: String,
}

impl Cfn {
    /// The change sets of `stack` (a name or an ARN), every page.
    pub async fn change_sets(&self, stack: &str) -> Result<Vec<ChangeSetSummary>, CfnError> {
        debug!(stack = stack, "ListChangeSets");
        let mut pages = self
            .client
            .list_change_sets()
            .stack_name(stack)
            .into_paginator()
            .send();
        let mut found = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| api_error("ListChangeSets", error))?;
            found.extend(page.summaries().iter().map(|summary| {
                ChangeSetSummary {
                    name: summary.change_set_name().unwrap_or_default().to_string(),
                    id: summary.change_set_id().unwrap_or_default().to_string(),
                    stack_id: summary.stack_id().unwrap_or_default().to_string(),
                    execution_status: summary
                        .execution_status()
                        .map(|status| status.as_str().to_string())
                        .unwrap_or_default(),
                }
            }));
        }
        Ok(found)
    }
}

/// One property-level change: `Properties.VisibilityTimeout: 30 -> 120 (replacement: Never)`;
/// `None` for details that are not about a property.
fn detail_text(detail: &aws_sdk_cloudformation::types::ResourceChangeDetail) -> Option<String> {
    let target = detail.target()?;
    let name = target
        .path()
        .map(|path| path.trim_start_matches('/').replace('/', "."))
        .or_else(|| target.name().map(|name| format!("Properties.{name}")))
        .or_else(|| {
            target
                .attribute()
                .map(|attribute| attribute.as_str().to_string())
        })?;
    let mut text = name;
    match (target.before_value(), target.after_value()) {
        (Some(before), Some(after)) => text.push_str(&format!(": {before} -> {after}")),
        (None, Some(after)) => text.push_str(&format!(": (none) -> {after}")),
        (Some(before), None) => text.push_str(&format!(": {before} -> (none)")),
        (None, None) => {}
    }
    if let Some(recreation) = target.requires_recreation() {
        text.push_str(&format!(" (replacement: {})", recreation.as_str()));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_tokens_are_valid_for_any_change_set_name() {
        assert_eq!(
            client_token("gapfill-20261202-051500-123"),
            "gapfill-20261202-051500-123"
        );
        assert_eq!(client_token("1st_set"), "t1st-set");
        assert_eq!(client_token(&"x".repeat(200)).len(), 128);
    }

    #[test]
    fn recognises_both_ways_of_saying_nothing_changes() {
        assert!(is_empty_change_set(
            "The submitted information didn't contain changes. Submit different information to create a change set."
        ));
        assert!(is_empty_change_set("No updates are to be performed."));
        assert!(!is_empty_change_set(
            "Template format error: unresolved resource"
        ));
    }
}
