//! Plain lines for CI logs and pipes: one timestamped line per event, no control codes,
//! never a prompt. Heartbeats arrive as events, so CI's no-output timers never fire.

use std::io::{self, Write};

use crate::events::{RunEvent, RunEventKind, StackOutcome};
use crate::redact::Redactor;

use super::{resource_event_text, seconds, summary_text, Reporter};

/// The CI reporter.
pub struct Lines<W: Write + Send> {
    out: W,
    redactor: Redactor,
    width: usize,
}

impl<W: Write + Send> Lines<W> {
    pub fn new(out: W, redactor: Redactor) -> Lines<W> {
        Lines {
            out,
            redactor,
            width: 0,
        }
    }

    fn line(&mut self, event: &RunEvent, stack: &str, text: &str) -> io::Result<()> {
        let at = event.at.format("%Y-%m-%dT%H:%M:%SZ");
        let line = format!("{at} {stack:<width$}  {text}", width = self.width);
        writeln!(self.out, "{}", self.redactor.redact(line.trim_end()))
    }
}

impl<W: Write + Send> Reporter for Lines<W> {
    fn event(&mut self, event: &RunEvent) -> io::Result<()> {
        match &event.kind {
            RunEventKind::RunStarted {
                command,
                project,
                stacks,
            } => {
                self.width = stacks.iter().map(String::len).max().unwrap_or(0);
                let text = format!(
                    "{command} {project}: {} stack(s): {}",
                    stacks.len(),
                    stacks.join(", ")
                );
                let at = event.at.format("%Y-%m-%dT%H:%M:%SZ");
                writeln!(self.out, "{at} {}", self.redactor.redact(&text))?;
            }
            RunEventKind::StackStarted { stack } => self.line(event, stack, "started")?,
            RunEventKind::StackRecovering {
                stack,
                status,
                action,
            } => self.line(event, stack, &format!("is {status}: {action}"))?,
            RunEventKind::ChangeSetCreated {
                stack,
                change_set,
                changes,
            } => {
                self.line(
                    event,
                    stack,
                    &format!("change set {change_set}: {} change(s)", changes.len()),
                )?;
                for change in changes {
                    let replace = match change.replacement.as_deref() {
                        Some("True") => " (replacement)",
                        Some("Conditional") => " (may replace)",
                        _ => "",
                    };
                    let text = format!(
                        "  {} {} {}{replace}",
                        symbol(&change.action),
                        change.resource_type,
                        change.logical_id
                    );
                    self.line(event, stack, &text)?;
                }
            }
            RunEventKind::StackExecuting { stack } => {
                self.line(event, stack, "executing change set")?
            }
            RunEventKind::StackResourceEvent {
                stack,
                event: resource,
            } => self.line(event, stack, &resource_event_text(resource))?,
            RunEventKind::StackHeartbeat {
                stack,
                status,
                waited,
            } => self.line(
                event,
                stack,
                &format!("still {status} after {}", seconds(*waited)),
            )?,
            RunEventKind::StackFinished {
                stack,
                outcome,
                outputs: _,
            } => {
                self.line(event, stack, &outcome_text(outcome))?;
                if let StackOutcome::Failed {
                    hint: Some(hint), ..
                } = outcome
                {
                    self.line(event, stack, &format!("hint: {hint}"))?;
                }
            }
            RunEventKind::RunFinished { stats, stacks } => {
                for (stack, outcome) in stacks {
                    self.line(event, stack, &format!("result: {}", outcome.label()))?;
                }
                let at = event.at.format("%Y-%m-%dT%H:%M:%SZ");
                writeln!(self.out, "{at} {}", summary_text(stats, event.elapsed))?;
            }
        }
        self.out.flush()
    }
}

/// The sign of a change set action, as `plan` and `deploy` show it.
pub fn symbol(action: &str) -> &'static str {
    match action {
        "Add" => "+",
        "Remove" => "-",
        "Modify" => "~",
        "Import" => "<",
        _ => "?",
    }
}

/// How a stack's outcome reads in a line.
pub fn outcome_text(outcome: &StackOutcome) -> String {
    match outcome {
        StackOutcome::Created => "created".into(),
        StackOutcome::Updated => "updated".into(),
        StackOutcome::Unchanged { fast: true } => {
            "no changes (template, parameters and tags match what is deployed)".into()
        }
        StackOutcome::Unchanged { fast: false } => "no changes (empty change set)".into(),
        StackOutcome::Failed { reason, .. } => format!("failed: {reason}"),
        StackOutcome::Skipped { because } => format!("skipped: {because}"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;
    use indexmap::IndexMap;

    use super::*;
    use crate::events::{ResourceChange, RunStats};

    fn at(kind: RunEventKind) -> RunEvent {
        RunEvent {
            at: chrono::Utc.with_ymd_and_hms(2026, 11, 24, 8, 0, 0).unwrap(),
            elapsed: Duration::from_millis(2500),
            kind,
        }
    }

    #[test]
    fn renders_one_plain_line_per_event_with_secrets_masked() {
        let redactor = Redactor::default();
        redactor.add("s3cr3t");
        let mut out = Vec::new();
        let mut lines = Lines::new(&mut out, redactor);
        let events = [
            RunEventKind::RunStarted {
                command: "deploy".into(),
                project: "demo".into(),
                stacks: vec!["data".into(), "ingest".into()],
            },
            RunEventKind::ChangeSetCreated {
                stack: "data".into(),
                change_set: "cs1".into(),
                changes: vec![ResourceChange {
                    action: "Add".into(),
                    logical_id: "Q".into(),
                    resource_type: "AWS::SQS::Queue".into(),
                    replacement: None,
                }],
            },
            RunEventKind::StackFinished {
                stack: "ingest".into(),
                outcome: StackOutcome::Failed {
                    reason: "bad token s3cr3t".into(),
                    hint: Some("fix it".into()),
                },
                outputs: IndexMap::new(),
            },
            RunEventKind::RunFinished {
                stats: RunStats {
                    failed: 1,
                    created: 1,
                    ..RunStats::default()
                },
                stacks: vec![
                    ("data".into(), StackOutcome::Created),
                    (
                        "ingest".into(),
                        StackOutcome::Failed {
                            reason: "x".into(),
                            hint: None,
                        },
                    ),
                ],
            },
        ];
        for kind in events {
            lines.event(&at(kind)).unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "2026-11-24T08:00:00Z deploy demo: 2 stack(s): data, ingest\n\
             2026-11-24T08:00:00Z data    change set cs1: 1 change(s)\n\
             2026-11-24T08:00:00Z data      + AWS::SQS::Queue Q\n\
             2026-11-24T08:00:00Z ingest  failed: bad token ****\n\
             2026-11-24T08:00:00Z ingest  hint: fix it\n\
             2026-11-24T08:00:00Z data    result: created\n\
             2026-11-24T08:00:00Z ingest  result: failed\n\
             2026-11-24T08:00:00Z done in 2.5s: 1 created, 0 updated, 0 unchanged, 1 failed, 0 skipped\n"
        );
        assert!(!text.contains('\u{1b}'));
    }
}
