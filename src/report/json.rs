//! `--format json`: JSON Lines, one object per event, for machines.
//!
//! Each line is `{"type": "<event>", "at": "<RFC 3339>", "elapsed_ms": <n>, "data": {...}}`.
//! The first line (`run_started`) carries `"format_version": 1`; the last (`run_finished`)
//! carries the counts and `"success"`. Types, and their `data`:
//!
//! - `run_started`: `format_version`, `command`, `project`, `stacks`, `steps` (names, each in
//!   plan order)
//! - `stack_started`: `stack`
//! - `stack_recovering`: `stack`, `status`, `action`
//! - `change_set_created`: `stack`, `change_set`, `changes` (each `action`, `logical_id`,
//!   `resource_type`, `replacement`)
//! - `stack_executing`: `stack`
//! - `stack_event`: `stack`, `timestamp`, `logical_id`, `resource_type`, `status`, `reason`
//! - `stack_heartbeat`: `stack`, `status`, `waited_ms`
//! - `stack_finished`: `stack`, `outcome` (created | updated | no changes | failed | skipped;
//!   for `drift`: in sync | drifted | not checked; for `plan`: would create | would update |
//!   no changes, with `kept_change_set`), `reason`, `hint`, `outputs`; for a drifted
//!   stack `resources` (each `logical_id`, `resource_type`, `status`, `counts`, `properties`:
//!   each `path`, `expected`, `actual`, `difference`, `ignored`)
//! - `step_started`: `step`, `call` (the apply operation, `service:Operation`)
//! - `step_checked`: `step`, `in_sync`, `differences`
//! - `step_applying`: `step`, `call`
//! - `step_finished`: `step`, `outcome` (applied | in sync | action run | not run | failed |
//!   skipped; for `drift`: in sync | drifted | not checkable; for `plan`: in sync | would apply |
//!   would run | decided at deploy | not run), `reason` (why it failed, was not
//!   run or was skipped), `hint`, `differences` (those that never converged, for a failure;
//!   those found, for a drift)
//! - `retrying`: `stack` or `step`, `operation` (`service:Operation`), `attempt` (the one
//!   about to be made), `max_attempts`, `reason`: a call that keeps failing (throttling,
//!   server errors, dropped connections), told from its second retry in a row, at most every
//!   few seconds per call
//! - `run_finished`: `success`, the stack counts `created`, `updated`, `unchanged`, `failed`,
//!   `skipped`, `stacks` and `steps` (each `{stack|step, outcome}` in plan order), and
//!   `step_counts` (`applied`, `in_sync`, `actions`, `not_run`, `failed`, `skipped`), and
//!   `plan` (`changes_pending`, `stacks_would_create`, `stacks_would_update`,
//!   `steps_would_apply`, `steps_would_run`, `steps_decided_at_deploy`), and
//!   `drift` (`found`, `stacks_drifted`, `stacks_in_sync`, `stacks_not_checked`,
//!   `steps_drifted`, `steps_not_checkable`)
//!
//! A difference is `{path, expected, actual, secret}`: `expected` and `actual` are JSON text
//! (`actual` is null when the path found nothing); when `secret` is true both are null, so a
//! secret value never appears. Every other secret is masked as `****`.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::events::{
    Difference, NodeId, ResourceDrift, RunEvent, RunEventKind, StackOutcome, StepOutcome,
};
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

/// A stack drift report: resources with their property differences.
fn encode_resources(resources: &[ResourceDrift]) -> Value {
    resources
        .iter()
        .map(|resource| {
            json!({
                "logical_id": resource.logical_id,
                "resource_type": resource.resource_type,
                "status": resource.status,
                "counts": resource.counts(),
                "properties": resource.properties.iter().map(|p| json!({
                    "path": p.path,
                    "expected": p.expected,
                    "actual": p.actual,
                    "difference": p.difference,
                    "ignored": p.ignored,
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// The event's type name and data.
fn encode(kind: &RunEventKind) -> (&'static str, Value) {
    match kind {
        RunEventKind::RunStarted {
            command,
            project,
            stacks,
            steps,
        } => (
            "run_started",
            json!({"format_version": 1, "command": command, "project": project, "stacks": stacks, "steps": steps}),
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
                StackOutcome::Skipped { because } | StackOutcome::NotChecked { because } => {
                    (Some(because.clone()), None)
                }
                StackOutcome::Created
                | StackOutcome::Updated
                | StackOutcome::Unchanged { .. }
                | StackOutcome::InSync
                | StackOutcome::Drifted { .. }
                | StackOutcome::WouldChange { .. } => (None, None),
            };
            let mut data = json!({"stack": stack, "outcome": outcome.label(), "reason": reason, "hint": hint, "outputs": outputs});
            if let StackOutcome::Drifted { resources } = outcome {
                data["resources"] = encode_resources(resources);
            }
            if let StackOutcome::WouldChange { kept, .. } = outcome {
                data["kept_change_set"] = json!(kept);
            }
            ("stack_finished", data)
        }
        RunEventKind::StepStarted { step, call } => {
            ("step_started", json!({"step": step, "call": call}))
        }
        RunEventKind::StepChecked { step, differences } => (
            "step_checked",
            json!({"step": step, "in_sync": differences.is_empty(), "differences": encode_differences(differences)}),
        ),
        RunEventKind::StepApplying { step, call } => {
            ("step_applying", json!({"step": step, "call": call}))
        }
        RunEventKind::StepFinished { step, outcome } => {
            let (reason, hint, differences): (Option<&String>, Option<&String>, &[Difference]) =
                match outcome {
                    StepOutcome::Failed {
                        reason,
                        hint,
                        differences,
                    } => (Some(reason), hint.as_ref(), differences),
                    StepOutcome::NotRun { because } | StepOutcome::Skipped { because } => {
                        (Some(because), None, &[])
                    }
                    StepOutcome::Drifted { differences }
                    | StepOutcome::WouldApply { differences } => (None, None, differences),
                    StepOutcome::DecidedAtDeploy { because } => (Some(because), None, &[]),
                    StepOutcome::InSync
                    | StepOutcome::Applied
                    | StepOutcome::ActionRun
                    | StepOutcome::NotCheckable
                    | StepOutcome::WouldRun => (None, None, &[]),
                };
            (
                "step_finished",
                json!({
                    "step": step,
                    "outcome": outcome.label(),
                    "reason": reason,
                    "hint": hint,
                    "differences": encode_differences(differences),
                }),
            )
        }
        RunEventKind::Retrying {
            node,
            operation,
            attempt,
            max_attempts,
            reason,
        } => {
            let mut data = node_data(node);
            data["operation"] = json!(operation);
            data["attempt"] = json!(attempt);
            data["max_attempts"] = json!(max_attempts);
            data["reason"] = json!(reason);
            ("retrying", data)
        }
        RunEventKind::RunFinished {
            stats,
            stacks,
            steps,
        } => (
            "run_finished",
            json!({
                "stacks": stacks.iter().map(|(stack, outcome)| json!({"stack": stack, "outcome": outcome.label()})).collect::<Vec<_>>(),
                "steps": steps.iter().map(|(step, outcome)| json!({"step": step, "outcome": outcome.label()})).collect::<Vec<_>>(),
                "success": stats.succeeded(),
                "created": stats.stacks.created,
                "updated": stats.stacks.updated,
                "unchanged": stats.stacks.unchanged,
                "failed": stats.stacks.failed,
                "skipped": stats.stacks.skipped,
                "step_counts": {
                    "applied": stats.steps.applied,
                    "in_sync": stats.steps.in_sync,
                    "actions": stats.steps.actions,
                    "not_run": stats.steps.not_run,
                    "failed": stats.steps.failed,
                    "skipped": stats.steps.skipped,
                },
                "plan": {
                    "changes_pending": stats.changes_pending(),
                    "stacks_would_create": stats.stacks.would_create,
                    "stacks_would_update": stats.stacks.would_update,
                    "steps_would_apply": stats.steps.would_apply,
                    "steps_would_run": stats.steps.would_run,
                    "steps_decided_at_deploy": stats.steps.decided_at_deploy,
                },
                "drift": {
                    "found": stats.drift_found(),
                    "stacks_drifted": stats.stacks.drifted,
                    "stacks_in_sync": stats.stacks.in_sync,
                    "stacks_not_checked": stats.stacks.not_checked,
                    "steps_drifted": stats.steps.drifted,
                    "steps_not_checkable": stats.steps.not_checkable,
                },
            }),
        ),
    }
}

/// `{"stack": name}` or `{"step": name}`, as every other event names its node.
fn node_data(node: &NodeId) -> Value {
    match node {
        NodeId::Stack(stack) => json!({"stack": stack}),
        NodeId::Step(step) => json!({"step": step}),
    }
}

/// Differences as `{path, expected, actual, secret}`; a secret one keeps only its path.
fn encode_differences(differences: &[Difference]) -> Vec<Value> {
    differences
        .iter()
        .map(|difference| {
            let (expected, actual) = if difference.secret {
                (None, None)
            } else {
                (Some(&difference.expected), difference.actual.as_ref())
            };
            json!({
                "path": difference.path,
                "expected": expected,
                "actual": actual,
                "secret": difference.secret,
            })
        })
        .collect()
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
    use crate::events::{RunStats, StackStats, StepStats};

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

    fn difference(path: &str, expected: &str, actual: Option<&str>, secret: bool) -> Difference {
        Difference {
            path: path.into(),
            expected: expected.into(),
            actual: actual.map(Into::into),
            secret,
        }
    }

    /// Each event as the parsed line it writes.
    fn lines(redactor: Redactor, kinds: Vec<RunEventKind>) -> (String, Vec<Value>) {
        let mut out = Vec::new();
        let mut reporter = Json::new(&mut out, redactor);
        for kind in kinds {
            let event = RunEvent {
                at: chrono::Utc::now(),
                elapsed: Duration::from_millis(7),
                kind,
            };
            reporter.event(&event).unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        let values = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        (text, values)
    }

    #[test]
    fn step_events_carry_their_differences_and_never_a_secret_value() {
        let redactor = Redactor::default();
        redactor.add("tok3n");
        let kinds = vec![
            RunEventKind::RunStarted {
                command: "deploy".into(),
                project: "demo".into(),
                stacks: vec!["data".into()],
                steps: vec!["concurrency".into(), "token".into()],
            },
            RunEventKind::StepStarted {
                step: "concurrency".into(),
                call: "lambda:PutFunctionConcurrency".into(),
            },
            RunEventKind::StepChecked {
                step: "concurrency".into(),
                differences: vec![
                    difference("ReservedConcurrentExecutions", "5", None, false),
                    difference("Tags.owner", "\"team-a\"", Some("\"team-b\""), false),
                    difference("Environment.KEY", "\"hunter22-x\"", Some("\"old-9\""), true),
                ],
            },
            RunEventKind::StepApplying {
                step: "concurrency".into(),
                call: "lambda:PutFunctionConcurrency".into(),
            },
            RunEventKind::StepChecked {
                step: "concurrency".into(),
                differences: vec![],
            },
            RunEventKind::StepFinished {
                step: "concurrency".into(),
                outcome: StepOutcome::Applied,
            },
            RunEventKind::StepFinished {
                step: "token".into(),
                outcome: StepOutcome::Failed {
                    reason: "AccessDenied for tok3n".into(),
                    hint: Some("grant ssm:PutParameter".into()),
                    differences: vec![difference("Parameter.Value", "\"hunter22-x\"", None, true)],
                },
            },
            RunEventKind::StepFinished {
                step: "audit".into(),
                outcome: StepOutcome::NotRun {
                    because: "`when:` is false".into(),
                },
            },
        ];
        let (text, values) = lines(redactor, kinds);
        assert!(!text.contains("hunter22"), "{text}");
        assert!(!text.contains("old-9"), "{text}");
        assert!(!text.contains("tok3n"), "{text}");
        let types: Vec<&str> = values.iter().map(|v| v["type"].as_str().unwrap()).collect();
        assert_eq!(
            types,
            [
                "run_started",
                "step_started",
                "step_checked",
                "step_applying",
                "step_checked",
                "step_finished",
                "step_finished",
                "step_finished"
            ]
        );
        assert_eq!(values[0]["data"]["format_version"], 1);
        assert_eq!(values[0]["data"]["steps"], json!(["concurrency", "token"]));
        assert_eq!(
            values[1]["data"],
            json!({"step": "concurrency", "call": "lambda:PutFunctionConcurrency"})
        );
        assert_eq!(
            values[2]["data"],
            json!({
                "step": "concurrency",
                "in_sync": false,
                "differences": [
                    {"path": "ReservedConcurrentExecutions", "expected": "5", "actual": null, "secret": false},
                    {"path": "Tags.owner", "expected": "\"team-a\"", "actual": "\"team-b\"", "secret": false},
                    {"path": "Environment.KEY", "expected": null, "actual": null, "secret": true},
                ],
            })
        );
        assert_eq!(
            values[3]["data"],
            json!({"step": "concurrency", "call": "lambda:PutFunctionConcurrency"})
        );
        assert_eq!(
            values[4]["data"],
            json!({"step": "concurrency", "in_sync": true, "differences": []})
        );
        assert_eq!(
            values[5]["data"],
            json!({"step": "concurrency", "outcome": "applied", "reason": null, "hint": null, "differences": []})
        );
        assert_eq!(
            values[6]["data"],
            json!({
                "step": "token",
                "outcome": "failed",
                "reason": "AccessDenied for ****",
                "hint": "grant ssm:PutParameter",
                "differences": [
                    {"path": "Parameter.Value", "expected": null, "actual": null, "secret": true},
                ],
            })
        );
        assert_eq!(values[7]["data"]["outcome"], "not run");
        assert_eq!(values[7]["data"]["reason"], "`when:` is false");
    }

    #[test]
    fn run_finished_keeps_the_stack_counts_and_adds_the_steps() {
        let finished =
            |steps: Vec<(String, StepOutcome)>, stats: RunStats| RunEventKind::RunFinished {
                stats,
                stacks: vec![("data".into(), StackOutcome::Unchanged { fast: true })],
                steps,
            };
        let stacks = StackStats {
            unchanged: 1,
            ..StackStats::default()
        };
        let (_, values) = lines(
            Redactor::default(),
            vec![
                finished(
                    vec![],
                    RunStats {
                        stacks,
                        steps: StepStats::default(),
                    },
                ),
                finished(
                    vec![
                        ("concurrency".into(), StepOutcome::Applied),
                        (
                            "seed".into(),
                            StepOutcome::Skipped {
                                because: "x".into(),
                            },
                        ),
                    ],
                    RunStats {
                        stacks,
                        steps: StepStats {
                            applied: 1,
                            skipped: 1,
                            ..StepStats::default()
                        },
                    },
                ),
            ],
        );
        let counts = |value: &Value| {
            ["created", "updated", "unchanged", "failed", "skipped"]
                .map(|key| value["data"][key].as_u64().unwrap())
        };
        assert_eq!(values[0]["type"], "run_finished");
        assert_eq!(counts(&values[0]), [0, 0, 1, 0, 0]);
        assert_eq!(values[0]["data"]["success"], true);
        assert_eq!(
            values[0]["data"]["stacks"],
            json!([{"stack": "data", "outcome": "no changes"}])
        );
        assert_eq!(values[0]["data"]["steps"], json!([]));
        assert_eq!(
            values[0]["data"]["step_counts"],
            json!({"applied": 0, "in_sync": 0, "actions": 0, "not_run": 0, "failed": 0, "skipped": 0})
        );
        assert_eq!(counts(&values[1]), [0, 0, 1, 0, 0]);
        assert_eq!(values[1]["data"]["success"], false);
        assert_eq!(
            values[1]["data"]["steps"],
            json!([{"step": "concurrency", "outcome": "applied"}, {"step": "seed", "outcome": "skipped"}])
        );
        assert_eq!(
            values[1]["data"]["step_counts"],
            json!({"applied": 1, "in_sync": 0, "actions": 0, "not_run": 0, "failed": 0, "skipped": 1})
        );
    }

    #[test]
    fn a_retry_names_its_stack_or_step_the_call_the_attempt_and_why() {
        let mut out = Vec::new();
        let mut reporter = Json::new(&mut out, Redactor::default());
        for node in [NodeId::Stack("app".into()), NodeId::Step("warm".into())] {
            let event = RunEvent {
                at: chrono::Utc::now(),
                elapsed: Duration::from_millis(7),
                kind: RunEventKind::Retrying {
                    node,
                    operation: "cloudformation:DescribeStacks".into(),
                    attempt: 3,
                    max_attempts: 10,
                    reason: "throttled (Throttling: Rate exceeded)".into(),
                },
            };
            reporter.event(&event).unwrap();
        }
        let values: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(values[0]["type"], "retrying");
        assert_eq!(
            values[0]["data"],
            json!({
                "stack": "app",
                "operation": "cloudformation:DescribeStacks",
                "attempt": 3,
                "max_attempts": 10,
                "reason": "throttled (Throttling: Rate exceeded)",
            })
        );
        assert_eq!(values[1]["data"]["step"], "warm");
        assert!(values[1]["data"].get("stack").is_none());
    }
}
