//! Stack events (DescribeStackEvents): the events newer than the last one seen, oldest first,
//! and the newest event's id to watch from. Reading only; following an operation until it
//! ends is the deploy's job.

use aws_sdk_cloudformation::types::StackEvent;
use chrono::{DateTime, Utc};
use tracing::debug;

use super::client::{api_error, Cfn, CfnError};
use crate::events::ResourceEvent;

impl Cfn {
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
