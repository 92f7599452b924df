//! Plain lines for CI logs and pipes: one timestamped line per event, no control codes,
//! never a prompt. Heartbeats arrive as events, so CI's no-output timers never fire.
//!
//! ```text
//! 2026-11-24T08:00:00Z deploy demo: 1 stack(s): data; 1 step(s): warm
//! 2026-11-24T08:00:00Z data  created
//! 2026-11-24T08:00:00Z warm  started (lambda:PutFunctionConcurrency)
//! 2026-11-24T08:00:01Z warm  differs:
//! 2026-11-24T08:00:01Z warm    ReservedConcurrentExecutions: expected 5, found nothing
//! 2026-11-24T08:00:01Z warm  applying lambda:PutFunctionConcurrency
//! 2026-11-24T08:00:02Z warm  applied
//! ```
//!
//! In GitHub Actions (told, never detected here: [`Lines::github`]), also:
//! - an annotation under each stack or step that failed (`::error`) or drifted (`::warning`),
//!   and a `::notice` when a plan has changes pending;
//! - the recap at the end as one collapsed group per stack and per step, titled with its
//!   result line and holding every line it printed during the run. Stacks and steps run in
//!   parallel, so their lines interleave while the run goes on: only the recap, written once
//!   everything is over, can show each one's lines together.

use std::collections::HashMap;
use std::io::{self, Write};

use crate::events::{Difference, RunEvent, RunEventKind, RunStats, StackOutcome, StepOutcome};
use crate::redact::Redactor;

use super::github::{self, Annotation, Level};
use super::{
    drift_notes, plan_text, resource_drift_lines, resource_event_text, seconds, summary_text,
    Reporter,
};

/// The CI reporter.
pub struct Lines<W: Write + Send> {
    out: W,
    redactor: Redactor,
    width: usize,
    /// The run's command, from `RunStarted`: `drift` runs close with their own summary.
    command: String,
    /// Whether the run is a GitHub Actions job: annotations and groups.
    github: bool,
    /// In GitHub Actions, every line each stack and step printed, masked, for its group.
    history: HashMap<String, Vec<String>>,
}

impl<W: Write + Send> Lines<W> {
    pub fn new(out: W, redactor: Redactor) -> Lines<W> {
        Lines {
            out,
            redactor,
            width: 0,
            command: String::new(),
            github: false,
            history: HashMap::new(),
        }
    }

    /// Writes for a GitHub Actions job: annotations for what failed or drifted, the recap as
    /// groups.
    pub fn github(mut self, github: bool) -> Lines<W> {
        self.github = github;
        self
    }

    /// A line about one stack or step: its name in a column as wide as the longest name.
    fn line(&mut self, event: &RunEvent, name: &str, text: &str) -> io::Result<()> {
        let at = event.at.format("%Y-%m-%dT%H:%M:%SZ");
        let line = format!("{at} {name:<width$}  {text}", width = self.width);
        let line = self.redactor.redact(line.trim_end()).into_owned();
        writeln!(self.out, "{line}")?;
        if self.github {
            self.history.entry(name.to_string()).or_default().push(line);
        }
        Ok(())
    }

    /// An annotation, in GitHub Actions only; title and message masked before encoding.
    fn annotate(&mut self, annotation: Option<Annotation>) -> io::Result<()> {
        let Some(mut annotation) = annotation.filter(|_| self.github) else {
            return Ok(());
        };
        annotation.message = self.redactor.redact(&annotation.message).into_owned();
        annotation.title = annotation
            .title
            .map(|title| self.redactor.redact(&title).into_owned());
        writeln!(self.out, "{}", self.redactor.redact(&annotation.render()))
    }

    /// The recap's line for one stack or step; in GitHub Actions, a group titled with it that
    /// holds the lines it printed.
    fn recap(&mut self, event: &RunEvent, name: &str, label: &str) -> io::Result<()> {
        let lines = match self.history.remove(name) {
            Some(lines) if self.github => lines,
            _ => return self.line(event, name, &format!("result: {label}")),
        };
        let at = event.at.format("%Y-%m-%dT%H:%M:%SZ");
        let title = format!("{at} {name:<width$}  result: {label}", width = self.width);
        writeln!(self.out, "{}", github::group(&self.redactor.redact(&title)))?;
        for line in lines {
            // Masked when printed; again, for secrets learned since.
            writeln!(self.out, "{}", self.redactor.redact(&line))?;
        }
        writeln!(self.out, "{}", github::END_GROUP)
    }

    /// A line about the whole run, with no name column.
    fn run_line(&mut self, event: &RunEvent, text: &str) -> io::Result<()> {
        let at = event.at.format("%Y-%m-%dT%H:%M:%SZ");
        let line = format!("{at} {text}");
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
                steps,
            } => {
                self.command = command.clone();
                self.width = stacks
                    .iter()
                    .chain(steps)
                    .map(|name| name.chars().count())
                    .max()
                    .unwrap_or(0);
                let text = format!("{command} {project}: {}", plan_text(stacks, steps));
                self.run_line(event, &text)?;
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
                    for detail in &change.details {
                        self.line(event, stack, &format!("      {detail}"))?;
                    }
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
                if let StackOutcome::Drifted { resources } = outcome {
                    for line in resource_drift_lines(resources) {
                        self.line(event, stack, &line)?;
                    }
                }
                if let StackOutcome::Failed {
                    hint: Some(hint), ..
                } = outcome
                {
                    self.line(event, stack, &format!("hint: {hint}"))?;
                }
                self.annotate(stack_annotation(stack, outcome))?;
            }
            RunEventKind::StepStarted { step, call } => {
                self.line(event, step, &format!("started ({call})"))?
            }
            RunEventKind::StepChecked { step, differences } => {
                // An empty difference list says "in sync", which the finish line says too.
                if !differences.is_empty() {
                    self.line(event, step, checked_text(differences))?;
                }
                for difference in differences {
                    self.line(event, step, &format!("  {}", difference.text()))?;
                }
            }
            RunEventKind::StepApplying { step, call } => {
                self.line(event, step, &format!("applying {call}"))?
            }
            RunEventKind::StepFinished { step, outcome } => {
                self.line(event, step, &step_outcome_text(outcome))?;
                for detail in step_outcome_details(outcome) {
                    self.line(event, step, &detail)?;
                }
                self.annotate(step_annotation(step, outcome))?;
            }
            RunEventKind::Retrying {
                node,
                operation,
                attempt,
                max_attempts,
                reason,
            } => self.line(
                event,
                node.name(),
                &retrying_text(operation, *attempt, *max_attempts, reason),
            )?,
            RunEventKind::RunFinished {
                stats,
                stacks,
                steps,
            } => {
                for (stack, outcome) in stacks {
                    self.recap(event, stack, outcome.label())?;
                }
                for (step, outcome) in steps {
                    self.recap(event, step, outcome.label())?;
                }
                let summary = summary_text(&self.command, stats, event.elapsed);
                self.run_line(event, &summary)?;
                self.annotate(run_annotation(&self.command, stats, &summary))?;
            }
        }
        self.out.flush()
    }
}

/// The annotation a stack's outcome deserves in GitHub Actions: an error when it failed, a
/// warning when it drifted (differences that count only).
fn stack_annotation(stack: &str, outcome: &StackOutcome) -> Option<Annotation> {
    match outcome {
        StackOutcome::Failed { reason, hint } => {
            let message = match hint {
                Some(hint) => format!("{reason}\nhint: {hint}"),
                None => reason.clone(),
            };
            Some(Annotation::new(
                Level::Error,
                format!("stack {stack} failed"),
                message,
            ))
        }
        StackOutcome::Drifted { resources } if resources.iter().any(|r| r.counts()) => {
            let message = std::iter::once(outcome_text(outcome))
                .chain(resource_drift_lines(resources))
                .collect::<Vec<_>>()
                .join("\n");
            Some(Annotation::new(
                Level::Warning,
                format!("stack {stack} drifted"),
                message,
            ))
        }
        StackOutcome::Created
        | StackOutcome::Updated
        | StackOutcome::Unchanged { .. }
        | StackOutcome::Skipped { .. }
        | StackOutcome::InSync
        | StackOutcome::Drifted { .. }
        | StackOutcome::NotChecked { .. }
        | StackOutcome::WouldChange { .. } => None,
    }
}

/// The annotation a step's outcome deserves in GitHub Actions: an error when it failed, a
/// warning when it drifted; the differences under the message (secret ones say only that
/// they differ).
fn step_annotation(step: &str, outcome: &StepOutcome) -> Option<Annotation> {
    let (level, title, first) = match outcome {
        StepOutcome::Failed { reason, .. } => {
            (Level::Error, format!("step {step} failed"), reason.clone())
        }
        StepOutcome::Drifted { differences } => (
            Level::Warning,
            format!("step {step} drifted"),
            format!("{} difference(s)", differences.len()),
        ),
        StepOutcome::InSync
        | StepOutcome::Applied
        | StepOutcome::ActionRun
        | StepOutcome::NotRun { .. }
        | StepOutcome::Skipped { .. }
        | StepOutcome::NotCheckable
        | StepOutcome::WouldApply { .. }
        | StepOutcome::WouldRun
        | StepOutcome::DecidedAtDeploy { .. } => return None,
    };
    let message = std::iter::once(first)
        .chain(step_outcome_details(outcome))
        .collect::<Vec<_>>()
        .join("\n");
    Some(Annotation::new(level, title, message))
}

/// The annotation a whole run deserves in GitHub Actions: a notice when a plan has changes
/// pending (failures and drift are annotated where they happen).
fn run_annotation(command: &str, stats: &RunStats, summary: &str) -> Option<Annotation> {
    (command == "plan" && stats.changes_pending()).then(|| {
        Annotation::new(
            Level::Notice,
            "gapfill plan: changes pending",
            summary.to_string(),
        )
    })
}

/// How a retry reads: `retrying cloudformation:DescribeStacks (attempt 3 of 10): throttled (...)`.
pub fn retrying_text(operation: &str, attempt: u32, max_attempts: u32, reason: &str) -> String {
    format!("retrying {operation} (attempt {attempt} of {max_attempts}): {reason}")
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
        StackOutcome::InSync => "in sync (CloudFormation drift detection)".into(),
        StackOutcome::Drifted { resources } => {
            let (counted, notes) = drift_notes(resources);
            let notes = notes.join(", ");
            match (counted, notes.is_empty()) {
                (0, _) => format!("in sync, except what was not counted: {notes}"),
                (_, true) => format!("drifted: {counted} resource(s) differ from the template"),
                (_, false) => {
                    format!("drifted: {counted} resource(s) differ from the template; {notes}")
                }
            }
        }
        StackOutcome::NotChecked { because } => format!("stack drift not checked: {because}"),
        StackOutcome::WouldChange { create, kept } => {
            let what = if *create {
                "would create"
            } else {
                "would update"
            };
            match kept {
                Some(change_set) => {
                    format!("{what} (change set {change_set} kept for deploy --plan)")
                }
                None => what.to_string(),
            }
        }
    }
}

/// How a step's check reads: `in sync`, or `differs:` with one line per difference after it.
pub fn checked_text(differences: &[Difference]) -> &'static str {
    if differences.is_empty() {
        "in sync"
    } else {
        "differs:"
    }
}

/// How a step's outcome reads in a line.
pub fn step_outcome_text(outcome: &StepOutcome) -> String {
    match outcome {
        StepOutcome::InSync => "in sync".into(),
        StepOutcome::Applied => "applied".into(),
        StepOutcome::ActionRun => "action run".into(),
        StepOutcome::NotRun { because } => format!("not run: {because}"),
        StepOutcome::Failed { reason, .. } => format!("failed: {reason}"),
        StepOutcome::Skipped { because } => format!("skipped: {because}"),
        StepOutcome::Drifted { .. } => "drifted:".into(),
        StepOutcome::NotCheckable => "not checkable: an action has no check".into(),
        StepOutcome::WouldApply { .. } => "would apply:".into(),
        StepOutcome::WouldRun => "would run (an action)".into(),
        StepOutcome::DecidedAtDeploy { because } => format!("decided at deploy: {because}"),
    }
}

/// The lines under a step's outcome: for a failure, each difference that never converged
/// (indented) and the hint. Secret values show only that they differ.
pub fn step_outcome_details(outcome: &StepOutcome) -> Vec<String> {
    match outcome {
        StepOutcome::Failed {
            reason: _,
            hint,
            differences,
        } => differences
            .iter()
            .map(|difference| format!("  {}", difference.text()))
            .chain(hint.iter().map(|hint| format!("hint: {hint}")))
            .collect(),
        StepOutcome::Drifted { differences } | StepOutcome::WouldApply { differences } => {
            differences
                .iter()
                .map(|difference| format!("  {}", difference.text()))
                .collect()
        }
        StepOutcome::InSync
        | StepOutcome::Applied
        | StepOutcome::ActionRun
        | StepOutcome::NotRun { .. }
        | StepOutcome::Skipped { .. }
        | StepOutcome::NotCheckable
        | StepOutcome::WouldRun
        | StepOutcome::DecidedAtDeploy { .. } => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;
    use indexmap::IndexMap;

    use super::*;
    use crate::events::{NodeId, ResourceChange, RunStats, StackStats, StepStats};

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
                steps: vec![],
            },
            RunEventKind::ChangeSetCreated {
                stack: "data".into(),
                change_set: "cs1".into(),
                changes: vec![ResourceChange {
                    action: "Add".into(),
                    logical_id: "Q".into(),
                    resource_type: "AWS::SQS::Queue".into(),
                    replacement: None,
                    details: Vec::new(),
                }],
            },
            RunEventKind::Retrying {
                node: NodeId::Stack("ingest".into()),
                operation: "cloudformation:DescribeStacks".into(),
                attempt: 3,
                max_attempts: 10,
                reason: "throttled (Throttling: Rate exceeded)".into(),
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
                    stacks: StackStats {
                        failed: 1,
                        created: 1,
                        ..StackStats::default()
                    },
                    steps: StepStats::default(),
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
                steps: vec![],
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
             2026-11-24T08:00:00Z ingest  retrying cloudformation:DescribeStacks (attempt 3 of 10): throttled (Throttling: Rate exceeded)\n\
             2026-11-24T08:00:00Z ingest  failed: bad token ****\n\
             2026-11-24T08:00:00Z ingest  hint: fix it\n\
             2026-11-24T08:00:00Z data    result: created\n\
             2026-11-24T08:00:00Z ingest  result: failed\n\
             2026-11-24T08:00:00Z done in 2.5s: 1 created, 0 updated, 0 unchanged, 1 failed, 0 skipped\n"
        );
        assert!(!text.contains('\u{1b}'));
    }

    fn difference(path: &str, expected: &str, actual: Option<&str>, secret: bool) -> Difference {
        Difference {
            path: path.into(),
            expected: expected.into(),
            actual: actual.map(Into::into),
            secret,
        }
    }

    #[test]
    fn renders_step_events_as_lines_and_never_a_secret_difference() {
        let redactor = Redactor::default();
        redactor.add("s3cr3t");
        let mut out = Vec::new();
        let mut lines = Lines::new(&mut out, redactor);
        let events = [
            RunEventKind::RunStarted {
                command: "deploy".into(),
                project: "demo".into(),
                stacks: vec!["data".into()],
                steps: vec!["concurrency".into(), "token".into(), "seed".into()],
            },
            RunEventKind::StackFinished {
                stack: "data".into(),
                outcome: StackOutcome::Created,
                outputs: IndexMap::new(),
            },
            RunEventKind::StepStarted {
                step: "concurrency".into(),
                call: "lambda:PutFunctionConcurrency".into(),
            },
            RunEventKind::StepChecked {
                step: "concurrency".into(),
                differences: vec![difference("ReservedConcurrentExecutions", "5", None, false)],
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
            RunEventKind::StepStarted {
                step: "token".into(),
                call: "ssm:PutParameter".into(),
            },
            RunEventKind::StepChecked {
                step: "token".into(),
                differences: vec![difference(
                    "Parameter.Value",
                    "\"hunter22-not-registered\"",
                    Some("\"old-value-9\""),
                    true,
                )],
            },
            RunEventKind::StepFinished {
                step: "token".into(),
                outcome: StepOutcome::Failed {
                    reason: "applied, but the check still differs (s3cr3t)".into(),
                    hint: Some("check the parameter's policy".into()),
                    differences: vec![
                        difference("Parameter.Value", "\"hunter22-not-registered\"", None, true),
                        difference(
                            "Parameter.Type",
                            "\"SecureString\"",
                            Some("\"String\""),
                            false,
                        ),
                    ],
                },
            },
            RunEventKind::StepFinished {
                step: "seed".into(),
                outcome: StepOutcome::Skipped {
                    because: "`token` did not succeed".into(),
                },
            },
            RunEventKind::StepFinished {
                step: "audit".into(),
                outcome: StepOutcome::NotRun {
                    because: "`when:` is false".into(),
                },
            },
            RunEventKind::StepFinished {
                step: "warm".into(),
                outcome: StepOutcome::InSync,
            },
            RunEventKind::StepFinished {
                step: "purge".into(),
                outcome: StepOutcome::ActionRun,
            },
            RunEventKind::RunFinished {
                stats: RunStats {
                    stacks: StackStats {
                        created: 1,
                        ..StackStats::default()
                    },
                    steps: StepStats {
                        applied: 1,
                        failed: 1,
                        skipped: 1,
                        ..StepStats::default()
                    },
                },
                stacks: vec![("data".into(), StackOutcome::Created)],
                steps: vec![
                    ("concurrency".into(), StepOutcome::Applied),
                    (
                        "token".into(),
                        StepOutcome::Failed {
                            reason: "x".into(),
                            hint: None,
                            differences: vec![],
                        },
                    ),
                    (
                        "seed".into(),
                        StepOutcome::Skipped {
                            because: "y".into(),
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
            "2026-11-24T08:00:00Z deploy demo: 1 stack(s): data; 3 step(s): concurrency, token, seed\n\
             2026-11-24T08:00:00Z data         created\n\
             2026-11-24T08:00:00Z concurrency  started (lambda:PutFunctionConcurrency)\n\
             2026-11-24T08:00:00Z concurrency  differs:\n\
             2026-11-24T08:00:00Z concurrency    ReservedConcurrentExecutions: expected 5, found nothing\n\
             2026-11-24T08:00:00Z concurrency  applying lambda:PutFunctionConcurrency\n\
             2026-11-24T08:00:00Z concurrency  applied\n\
             2026-11-24T08:00:00Z token        started (ssm:PutParameter)\n\
             2026-11-24T08:00:00Z token        differs:\n\
             2026-11-24T08:00:00Z token          Parameter.Value: differs (secret value, not shown)\n\
             2026-11-24T08:00:00Z token        failed: applied, but the check still differs (****)\n\
             2026-11-24T08:00:00Z token          Parameter.Value: differs (secret value, not shown)\n\
             2026-11-24T08:00:00Z token          Parameter.Type: expected \"SecureString\", found \"String\"\n\
             2026-11-24T08:00:00Z token        hint: check the parameter's policy\n\
             2026-11-24T08:00:00Z seed         skipped: `token` did not succeed\n\
             2026-11-24T08:00:00Z audit        not run: `when:` is false\n\
             2026-11-24T08:00:00Z warm         in sync\n\
             2026-11-24T08:00:00Z purge        action run\n\
             2026-11-24T08:00:00Z data         result: created\n\
             2026-11-24T08:00:00Z concurrency  result: applied\n\
             2026-11-24T08:00:00Z token        result: failed\n\
             2026-11-24T08:00:00Z seed         result: skipped\n\
             2026-11-24T08:00:00Z done in 2.5s: 1 created, 0 updated, 0 unchanged, 0 failed, 0 skipped; \
             steps: 1 applied, 0 in sync, 0 action(s) run, 0 not run, 1 failed, 1 skipped\n"
        );
        assert!(!text.contains("hunter22"), "{text}");
        assert!(!text.contains("old-value-9"), "{text}");
        assert!(!text.contains("s3cr3t"), "{text}");
    }

    #[test]
    fn in_github_actions_failures_are_annotated_and_the_recap_groups_each_node_s_lines() {
        let redactor = Redactor::default();
        redactor.add("s3cr3t");
        let mut out = Vec::new();
        let mut lines = Lines::new(&mut out, redactor).github(true);
        let events = [
            RunEventKind::RunStarted {
                command: "deploy".into(),
                project: "demo".into(),
                stacks: vec!["data".into(), "api".into()],
                steps: vec!["token".into()],
            },
            RunEventKind::StackStarted {
                stack: "data".into(),
            },
            RunEventKind::StackStarted {
                stack: "api".into(),
            },
            RunEventKind::StackFinished {
                stack: "api".into(),
                outcome: StackOutcome::Failed {
                    reason: "CREATE_FAILED Fn (AWS::Lambda::Function): 100% bad, token s3cr3t"
                        .into(),
                    hint: Some("fix: it".into()),
                },
                outputs: IndexMap::new(),
            },
            RunEventKind::StackFinished {
                stack: "data".into(),
                outcome: StackOutcome::Created,
                outputs: IndexMap::new(),
            },
            RunEventKind::StepFinished {
                step: "token".into(),
                outcome: StepOutcome::Failed {
                    reason: "AccessDenied".into(),
                    hint: None,
                    differences: vec![difference("Parameter.Value", "\"s3cr3t\"", None, true)],
                },
            },
            RunEventKind::RunFinished {
                stats: RunStats {
                    stacks: StackStats {
                        created: 1,
                        failed: 1,
                        ..StackStats::default()
                    },
                    steps: StepStats {
                        failed: 1,
                        ..StepStats::default()
                    },
                },
                stacks: vec![
                    ("data".into(), StackOutcome::Created),
                    (
                        "api".into(),
                        StackOutcome::Failed {
                            reason: "x".into(),
                            hint: None,
                        },
                    ),
                ],
                steps: vec![(
                    "token".into(),
                    StepOutcome::Failed {
                        reason: "x".into(),
                        hint: None,
                        differences: vec![],
                    },
                )],
            },
        ];
        for kind in events {
            lines.event(&at(kind)).unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "2026-11-24T08:00:00Z deploy demo: 2 stack(s): data, api; 1 step(s): token\n\
             2026-11-24T08:00:00Z data   started\n\
             2026-11-24T08:00:00Z api    started\n\
             2026-11-24T08:00:00Z api    failed: CREATE_FAILED Fn (AWS::Lambda::Function): 100% bad, token ****\n\
             2026-11-24T08:00:00Z api    hint: fix: it\n\
             ::error title=stack api failed::CREATE_FAILED Fn (AWS::Lambda::Function): 100%25 bad, token ****%0Ahint: fix: it\n\
             2026-11-24T08:00:00Z data   created\n\
             2026-11-24T08:00:00Z token  failed: AccessDenied\n\
             2026-11-24T08:00:00Z token    Parameter.Value: differs (secret value, not shown)\n\
             ::error title=step token failed::AccessDenied%0A  Parameter.Value: differs (secret value, not shown)\n\
             ::group::2026-11-24T08:00:00Z data   result: created\n\
             2026-11-24T08:00:00Z data   started\n\
             2026-11-24T08:00:00Z data   created\n\
             ::endgroup::\n\
             ::group::2026-11-24T08:00:00Z api    result: failed\n\
             2026-11-24T08:00:00Z api    started\n\
             2026-11-24T08:00:00Z api    failed: CREATE_FAILED Fn (AWS::Lambda::Function): 100% bad, token ****\n\
             2026-11-24T08:00:00Z api    hint: fix: it\n\
             ::endgroup::\n\
             ::group::2026-11-24T08:00:00Z token  result: failed\n\
             2026-11-24T08:00:00Z token  failed: AccessDenied\n\
             2026-11-24T08:00:00Z token    Parameter.Value: differs (secret value, not shown)\n\
             ::endgroup::\n\
             2026-11-24T08:00:00Z done in 2.5s: 1 created, 0 updated, 0 unchanged, 1 failed, 0 skipped; \
             steps: 0 applied, 0 in sync, 0 action(s) run, 0 not run, 1 failed, 0 skipped\n"
        );
        assert!(!text.contains("s3cr3t"), "{text}");
    }

    #[test]
    fn in_github_actions_drift_warns_and_a_plan_with_changes_gives_notice() {
        let mut out = Vec::new();
        let mut lines = Lines::new(&mut out, Redactor::default()).github(true);
        let mut stats = RunStats::default();
        stats.record_stack(&StackOutcome::WouldChange {
            create: true,
            kept: None,
        });
        let events = [
            RunEventKind::RunStarted {
                command: "plan".into(),
                project: "demo".into(),
                stacks: vec!["data".into()],
                steps: vec!["warm".into()],
            },
            RunEventKind::StepFinished {
                step: "warm".into(),
                outcome: StepOutcome::Drifted {
                    differences: vec![difference("Timeout", "30", Some("60"), false)],
                },
            },
            RunEventKind::RunFinished {
                stats,
                stacks: vec![],
                steps: vec![],
            },
        ];
        for kind in events {
            lines.event(&at(kind)).unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(
                "::warning title=step warm drifted::1 difference(s)%0A  Timeout: expected 30, found 60\n"
            ),
            "{text}"
        );
        assert!(
            text.ends_with(
                "::notice title=gapfill plan%3A changes pending::done in 2.5s: changes pending: stacks 1 would create, 0 would update, 0 unchanged, 0 failed; steps 0 would apply, 0 would run, 0 decided at deploy, 0 in sync, 0 not run, 0 failed\n"
            ),
            "{text}"
        );
    }
}
