//! `--format json`: JSON Lines, one object per event, for machines.
//!
//! Each line is `{"type": "<event>", "at": "<RFC 3339>", "elapsed_ms": <n>, "data": {...}}`.
//! The first line (`run_started`) carries `"format_version": 1`; the last (`run_finished`)
//! carries the counts and `"success"`. Types: `run_started`, `stack_started`,
//! `stack_recovering`, `change_set_created`, `stack_executing`, `stack_event`,
//! `stack_heartbeat`, `stack_finished` (with `outcome`, `reason`, `hint`, `outputs`),
//! `run_finished`. Secrets are masked as `****`.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::events::{RunEvent, RunEventKind, StackOutcome};
use crate::redact::Redactor;

use super::Reporter;

/// The JSON Lines reporter.
pub struct Json<W: Write + Send> {
    out: W,
    redactor: Redactor,
}

impl<W: Write + Send> Json<W> {
    pub fn new(out: W, redactor: Redactor) -> Json<W> {
        Json { out, redactor }
    }
}

/// The event's type name and data.
fn encode(kind: &RunEventKind) -> (&'static str, Value) {
    match kind {
        RunEventKind::RunStarted {
            command,
            project,
            stacks,
        } => (
            "run_started",
            json!({"format_version": 1, "command": command, "project": project, "stacks": stacks}),
        ),
        RunEventKind::StackStarted { stack } => ("stack_started", json!({"stack": stack})),
        RunEventKind::StackRecovering {
            stack,
            status,
            action,
        } => (
            "stack_recovering",
            json!({"stack": stack, "status": status, "action": action}),
        ),
        RunEventKind::ChangeSetCreated {
            stack,
            change_set,
            changes,
        } => {
            let changes: Vec<Value> = changes
                .iter()
                .map(|c| json!({"action": c.action, "logical_id": c.logical_id, "resource_type": c.resource_type, "replacement": c.replacement}))
                .collect();
            (
                "change_set_created",
                json!({"stack": stack, "change_set": change_set, "changes": changes}),
            )
        }
        RunEventKind::StackExecuting { stack } => ("stack_executing", json!({"stack": stack})),
        RunEventKind::StackResourceEvent { stack, event } => (
            "stack_event",
            json!({
                "stack": stack,
                "timestamp": event.timestamp.map(|t| t.to_rfc3339()),
                "logical_id": event.logical_id,
                "resource_type": event.resource_type,
                "status": event.status,
                "reason": event.reason,
            }),
        ),
        RunEventKind::StackHeartbeat {
            stack,
            status,
            waited,
        } => (
            "stack_heartbeat",
            json!({"stack": stack, "status": status, "waited_ms": waited.as_millis() as u64}),
        ),
        RunEventKind::StackFinished {
            stack,
            outcome,
            outputs,
        } => {
            let (reason, hint) = match outcome {
                StackOutcome::Failed { reason, hint } => (Some(reason.clone()), hint.clone()),
                StackOutcome::Skipped { because } => (Some(because.clone()), None),
                _ => (None, None),
            };
            (
                "stack_finished",
                json!({"stack": stack, "outcome": outcome.label(), "reason": reason, "hint": hint, "outputs": outputs}),
            )
        }
        RunEventKind::RunFinished { stats, stacks } => (
            "run_finished",
            json!({
                "stacks": stacks.iter().map(|(stack, outcome)| json!({"stack": stack, "outcome": outcome.label()})).collect::<Vec<_>>(),
                "success": stats.succeeded(),
                "created": stats.created,
                "updated": stats.updated,
                "unchanged": stats.unchanged,
                "failed": stats.failed,
                "skipped": stats.skipped,
            }),
        ),
    }
}

impl<W: Write + Send> Reporter for Json<W> {
    fn event(&mut self, event: &RunEvent) -> io::Result<()> {
        let (kind, data) = encode(&event.kind);
        let line = json!({
            "type": kind,
            "at": event.at.to_rfc3339(),
            "elapsed_ms": event.elapsed.as_millis() as u64,
            "data": data,
        });
        writeln!(self.out, "{}", self.redactor.redact(&line.to_string()))?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use indexmap::IndexMap;

    use super::*;

    #[test]
    fn writes_one_json_object_per_line_with_type_and_masked_data() {
        let redactor = Redactor::default();
        redactor.add("tok3n");
        let mut out = Vec::new();
        let mut reporter = Json::new(&mut out, redactor);
        let mut outputs = IndexMap::new();
        outputs.insert("Url".to_string(), "https://x/tok3n".to_string());
        let event = RunEvent {
            at: chrono::Utc::now(),
            elapsed: Duration::from_millis(42),
            kind: RunEventKind::StackFinished {
                stack: "api".into(),
                outcome: StackOutcome::Created,
                outputs,
            },
        };
        reporter.event(&event).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["type"], "stack_finished");
        assert_eq!(value["elapsed_ms"], 42);
        assert_eq!(value["data"]["outcome"], "created");
        assert_eq!(value["data"]["outputs"]["Url"], "https://x/****");
    }
}
