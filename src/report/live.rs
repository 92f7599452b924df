//! The terminal view: one row per stack and per step at the bottom, updated in place, with
//! events scrolling above it. Only used on a terminal; CI gets [`super::lines::Lines`].

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::time::{Duration, Instant};

use indexmap::IndexMap;

use crate::events::{RunEvent, RunEventKind, StackOutcome, StepOutcome};
use crate::redact::Redactor;

use super::lines::{
    checked_text, outcome_text, retrying_text, step_outcome_details, step_outcome_text, symbol,
};
use super::{resource_drift_lines, resource_event_text, seconds, summary_text, Reporter};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Whether a row is a stack's or a step's: their names may coincide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Node {
    Stack,
    Step,
}

/// How a row's stack or step ended.
enum Finished {
    Stack(StackOutcome),
    Step(StepOutcome),
}

impl Finished {
    fn icon(&self) -> &'static str {
        match self {
            Finished::Stack(outcome) => match outcome {
                StackOutcome::Created | StackOutcome::Updated => "✓",
                StackOutcome::Unchanged { .. } | StackOutcome::InSync => "=",
                StackOutcome::Failed { .. } => "✗",
                StackOutcome::Drifted { .. } | StackOutcome::WouldChange { .. } => "≠",
                StackOutcome::Skipped { .. } | StackOutcome::NotChecked { .. } => "-",
            },
            Finished::Step(outcome) => match outcome {
                StepOutcome::Applied | StepOutcome::ActionRun => "✓",
                StepOutcome::InSync => "=",
                StepOutcome::Failed { .. } => "✗",
                StepOutcome::Drifted { .. }
                | StepOutcome::WouldApply { .. }
                | StepOutcome::WouldRun => "≠",
                StepOutcome::NotRun { .. }
                | StepOutcome::Skipped { .. }
                | StepOutcome::NotCheckable
                | StepOutcome::DecidedAtDeploy { .. } => "-",
            },
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Finished::Stack(outcome) => outcome.label(),
            Finished::Step(outcome) => outcome.label(),
        }
    }
}

#[derive(Default)]
struct Row {
    state: String,
    started: Option<Instant>,
    finished: Option<(Finished, Duration)>,
    /// Resources the change set touches, once known.
    changes: Option<usize>,
    /// Resources that reached a *_COMPLETE status during this run.
    completed: BTreeSet<String>,
}

impl Row {
    fn waiting() -> Row {
        Row {
            state: "waiting".into(),
            ..Row::default()
        }
    }

    /// `2/5 ` while a change set executes, for a sense of progress.
    fn progress(&self) -> String {
        match self.changes {
            Some(total) if total > 0 => format!("{}/{total} ", self.completed.len().min(total)),
            _ => String::new(),
        }
    }

    fn start(&mut self) {
        self.started = Some(Instant::now());
        self.state = "checking".into();
    }

    fn finish(&mut self, finished: Finished) {
        let took = self.started.map(|s| s.elapsed()).unwrap_or_default();
        self.finished = Some((finished, took));
    }
}

/// The live reporter.
pub struct Live<W: Write + Send> {
    out: W,
    redactor: Redactor,
    /// Stacks' rows, then steps', each in plan order.
    rows: IndexMap<(Node, String), Row>,
    drawn: usize,
    frame: usize,
    /// The terminal's width: rows are cut to fit, since a wrapped row would break the redraw.
    columns: usize,
    /// The run's command, from `RunStarted`: `drift` runs close with their own summary.
    command: String,
}

impl<W: Write + Send> Live<W> {
    pub fn new(out: W, redactor: Redactor, columns: usize) -> Live<W> {
        Live {
            out,
            redactor,
            rows: IndexMap::new(),
            drawn: 0,
            frame: 0,
            columns: columns.max(20),
            command: String::new(),
        }
    }

    fn erase(&mut self) -> io::Result<()> {
        if self.drawn > 0 {
            // Up to the first row, then clear to the end of the screen.
            write!(self.out, "\x1b[{}F\x1b[J", self.drawn)?;
            self.drawn = 0;
        }
        Ok(())
    }

    fn draw(&mut self) -> io::Result<()> {
        let width = self
            .rows
            .keys()
            .map(|(_, name)| name.chars().count())
            .max()
            .unwrap_or(0);
        let spinner = SPINNER[self.frame % SPINNER.len()];
        let mut block = String::new();
        for ((_, name), row) in &self.rows {
            let (icon, text, elapsed) = match (&row.finished, row.started) {
                (Some((finished, took)), _) => {
                    (finished.icon(), finished.label().to_string(), Some(*took))
                }
                (None, Some(started)) => (
                    spinner,
                    format!("{}{}", row.progress(), row.state),
                    Some(started.elapsed()),
                ),
                (None, None) => ("·", "waiting".to_string(), None),
            };
            let elapsed = elapsed
                .map(|e| format!("  {}", seconds(e)))
                .unwrap_or_default();
            let line = format!("{icon} {name:<width$}  {text}{elapsed}");
            let masked = self.redactor.redact(&line);
            block.extend(masked.chars().take(self.columns - 1));
            block.push('\n');
        }
        self.drawn = self.rows.len();
        write!(self.out, "{block}")
    }

    /// A line above the rows about one stack or step.
    fn log(&mut self, name: &str, text: &str) -> io::Result<()> {
        let line = format!("  {name}: {text}");
        writeln!(self.out, "{}", self.redactor.redact(&line))
    }

    fn row(&mut self, node: Node, name: &str) -> Option<&mut Row> {
        self.rows.get_mut(&(node, name.to_string()))
    }

    fn set_state(&mut self, node: Node, name: &str, state: impl Into<String>) {
        if let Some(row) = self.row(node, name) {
            row.state = state.into();
        }
    }

    fn apply(&mut self, event: &RunEvent) -> io::Result<()> {
        match &event.kind {
            RunEventKind::RunStarted {
                command,
                project,
                stacks,
                steps,
            } => {
                let steps_text = if steps.is_empty() {
                    String::new()
                } else {
                    format!(", {} step(s)", steps.len())
                };
                self.command = command.clone();
                let header = format!("{command} {project}: {} stack(s){steps_text}", stacks.len());
                writeln!(self.out, "{}", self.redactor.redact(&header))?;
                for stack in stacks {
                    self.rows
                        .insert((Node::Stack, stack.clone()), Row::waiting());
                }
                for step in steps {
                    self.rows.insert((Node::Step, step.clone()), Row::waiting());
                }
            }
            RunEventKind::StackStarted { stack } => {
                if let Some(row) = self.row(Node::Stack, stack) {
                    row.start();
                }
            }
            RunEventKind::StackRecovering {
                stack,
                status,
                action,
            } => {
                self.log(stack, &format!("is {status}: {action}"))?;
                self.set_state(Node::Stack, stack, format!("recovering from {status}"));
            }
            RunEventKind::ChangeSetCreated {
                stack,
                changes,
                change_set: _,
            } => {
                self.log(stack, &format!("{} change(s)", changes.len()))?;
                for change in changes {
                    self.log(
                        stack,
                        &format!(
                            "  {} {} {}",
                            symbol(&change.action),
                            change.resource_type,
                            change.logical_id
                        ),
                    )?;
                }
                if let Some(row) = self.row(Node::Stack, stack) {
                    row.changes = Some(changes.len());
                }
                self.set_state(Node::Stack, stack, "change set ready");
            }
            RunEventKind::StackExecuting { stack } => {
                self.set_state(Node::Stack, stack, "executing")
            }
            RunEventKind::StackResourceEvent {
                stack,
                event: resource,
            } => {
                self.log(stack, &resource_event_text(resource))?;
                if let Some(row) = self.row(Node::Stack, stack) {
                    if resource.logical_id != *stack && resource.status.ends_with("_COMPLETE") {
                        row.completed.insert(resource.logical_id.clone());
                    }
                }
                self.set_state(
                    Node::Stack,
                    stack,
                    format!("{} {}", resource.status, resource.logical_id),
                );
            }
            RunEventKind::StackHeartbeat {
                stack,
                status,
                waited: _,
            } => self.set_state(Node::Stack, stack, status.clone()),
            RunEventKind::StackFinished {
                stack,
                outcome,
                outputs: _,
            } => {
                if matches!(
                    outcome,
                    StackOutcome::Failed { .. }
                        | StackOutcome::Skipped { .. }
                        | StackOutcome::Drifted { .. }
                        | StackOutcome::NotChecked { .. }
                ) {
                    self.log(stack, &outcome_text(outcome))?;
                }
                if let StackOutcome::Drifted { resources } = outcome {
                    for line in resource_drift_lines(resources) {
                        self.log(stack, &line)?;
                    }
                }
                if let StackOutcome::Failed {
                    hint: Some(hint), ..
                } = outcome
                {
                    self.log(stack, &format!("hint: {hint}"))?;
                }
                if let Some(row) = self.row(Node::Stack, stack) {
                    row.finish(Finished::Stack(outcome.clone()));
                }
            }
            RunEventKind::StepStarted { step, call: _ } => {
                if let Some(row) = self.row(Node::Step, step) {
                    row.start();
                }
            }
            RunEventKind::StepChecked { step, differences } => {
                if !differences.is_empty() {
                    self.log(step, checked_text(differences))?;
                    for difference in differences {
                        self.log(step, &format!("  {}", difference.text()))?;
                    }
                }
                let state = match differences.len() {
                    0 => "in sync".to_string(),
                    n => format!("{n} difference(s)"),
                };
                self.set_state(Node::Step, step, state);
            }
            RunEventKind::StepApplying { step, call } => {
                self.set_state(Node::Step, step, format!("applying {call}"))
            }
            RunEventKind::StepFinished { step, outcome } => {
                match outcome {
                    StepOutcome::Failed { .. }
                    | StepOutcome::Skipped { .. }
                    | StepOutcome::NotRun { .. }
                    | StepOutcome::Drifted { .. }
                    | StepOutcome::NotCheckable
                    | StepOutcome::WouldApply { .. }
                    | StepOutcome::WouldRun
                    | StepOutcome::DecidedAtDeploy { .. } => {
                        self.log(step, &step_outcome_text(outcome))?;
                        for detail in step_outcome_details(outcome) {
                            self.log(step, &detail)?;
                        }
                    }
                    StepOutcome::InSync | StepOutcome::Applied | StepOutcome::ActionRun => {}
                }
                if let Some(row) = self.row(Node::Step, step) {
                    row.finish(Finished::Step(outcome.clone()));
                }
            }
            RunEventKind::Retrying {
                node,
                operation,
                attempt,
                max_attempts,
                reason,
            } => {
                // Above the rows only: a row's state would stay "retrying" after the retry
                // succeeded, until its next event.
                self.log(
                    node.name(),
                    &retrying_text(operation, *attempt, *max_attempts, reason),
                )?;
            }
            RunEventKind::RunFinished {
                stats,
                stacks: _,
                steps: _,
            } => {
                self.draw()?;
                self.drawn = 0;
                let summary = summary_text(&self.command, stats, event.elapsed);
                writeln!(self.out, "{}", self.redactor.redact(&summary))?;
                return Ok(());
            }
        }
        self.draw()
    }
}

impl<W: Write + Send> Reporter for Live<W> {
    fn event(&mut self, event: &RunEvent) -> io::Result<()> {
        self.erase()?;
        self.apply(event)?;
        self.out.flush()
    }

    fn tick(&mut self) -> io::Result<()> {
        if self.drawn == 0 {
            return Ok(());
        }
        self.frame += 1;
        self.erase()?;
        self.draw()?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::events::{
        Difference, NodeId, ResourceChange, ResourceEvent, RunStats, StackStats, StepStats,
    };

    fn event(kind: RunEventKind) -> RunEvent {
        RunEvent {
            at: chrono::Utc::now(),
            elapsed: Duration::from_millis(1500),
            kind,
        }
    }

    fn change(id: &str) -> ResourceChange {
        ResourceChange {
            action: "Add".into(),
            logical_id: id.into(),
            resource_type: "AWS::SQS::Queue".into(),
            replacement: None,
            details: Vec::new(),
        }
    }

    fn resource(id: &str, status: &str) -> RunEventKind {
        RunEventKind::StackResourceEvent {
            stack: "data".into(),
            event: ResourceEvent {
                timestamp: None,
                logical_id: id.into(),
                resource_type: "AWS::SQS::Queue".into(),
                status: status.into(),
                reason: None,
            },
        }
    }

    /// The last drawn block: the text after the last "clear to end of screen".
    fn last_block(out: &[u8]) -> String {
        let text = String::from_utf8_lossy(out);
        text.rsplit("\x1b[J").next().unwrap_or_default().to_string()
    }

    #[test]
    fn rows_show_progress_while_executing_and_outcomes_at_the_end() {
        let mut out = Vec::new();
        let mut live = Live::new(&mut out, Redactor::default(), 80);
        let kinds = [
            RunEventKind::RunStarted {
                command: "deploy".into(),
                project: "p".into(),
                stacks: vec!["data".into(), "api".into()],
                steps: vec![],
            },
            RunEventKind::StackStarted {
                stack: "data".into(),
            },
            RunEventKind::ChangeSetCreated {
                stack: "data".into(),
                change_set: "cs".into(),
                changes: vec![change("A"), change("B")],
            },
            RunEventKind::StackExecuting {
                stack: "data".into(),
            },
            resource("A", "CREATE_IN_PROGRESS"),
            resource("A", "CREATE_COMPLETE"),
        ];
        for kind in kinds {
            live.event(&event(kind)).unwrap();
        }
        let block = last_block(live.out);
        assert!(block.contains(" data  1/2 CREATE_COMPLETE A  "), "{block}");
        assert!(block.contains("· api   waiting"), "{block}");

        live.event(&event(RunEventKind::StackFinished {
            stack: "data".into(),
            outcome: StackOutcome::Created,
            outputs: Default::default(),
        }))
        .unwrap();
        live.event(&event(RunEventKind::RunFinished {
            stats: RunStats {
                stacks: StackStats {
                    created: 1,
                    ..StackStats::default()
                },
                steps: StepStats::default(),
            },
            stacks: vec![],
            steps: vec![],
        }))
        .unwrap();
        let text = String::from_utf8_lossy(&out).into_owned();
        assert!(text.starts_with("deploy p: 2 stack(s)\n"), "{text}");
        assert!(text.contains("✓ data  created"), "{text}");
        assert!(
            text.ends_with(
                "done in 1.5s: 1 created, 0 updated, 0 unchanged, 0 failed, 0 skipped\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn rows_are_cut_to_the_terminal_width_so_the_redraw_stays_in_place() {
        let mut out = Vec::new();
        let mut live = Live::new(&mut out, Redactor::default(), 30);
        let kinds = [
            RunEventKind::RunStarted {
                command: "deploy".into(),
                project: "p".into(),
                stacks: vec!["data".into()],
                steps: vec![],
            },
            RunEventKind::StackStarted {
                stack: "data".into(),
            },
            resource("AVeryLongLogicalResourceIdIndeed", "CREATE_IN_PROGRESS"),
        ];
        for kind in kinds {
            live.event(&event(kind)).unwrap();
        }
        let block = last_block(live.out);
        assert!(block.contains("data"), "{block}");
        // Event lines scroll above the rows (indented) and may wrap; the rows may not.
        let rows: Vec<&str> = block
            .lines()
            .filter(|line| !line.starts_with("  "))
            .collect();
        assert_eq!(rows.len(), 1, "{block}");
        assert!(rows.iter().all(|row| row.chars().count() <= 29), "{block}");
    }

    /// The rows of the last drawn block: the lines that are not indented event lines.
    fn rows(out: &[u8]) -> Vec<String> {
        last_block(out)
            .lines()
            .filter(|line| !line.starts_with("  "))
            .map(|line| {
                // The elapsed time changes from run to run: keep the row up to it.
                let timed = |end: usize| {
                    line[end + 2..]
                        .strip_suffix('s')
                        .is_some_and(|n| n.parse::<f64>().is_ok())
                };
                match line.rfind("  ") {
                    Some(end) if timed(end) => line[..end].to_string(),
                    _ => line.to_string(),
                }
            })
            .collect()
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
    fn a_row_per_step_shows_its_state_and_differences_and_failures_print_above() {
        let mut out = Vec::new();
        let redactor = Redactor::default();
        redactor.add("s3cr3t");
        let mut live = Live::new(&mut out, redactor, 100);
        live.event(&event(RunEventKind::RunStarted {
            command: "deploy".into(),
            project: "p".into(),
            stacks: vec!["data".into()],
            steps: vec!["data".into(), "concurrency".into(), "token".into()],
        }))
        .unwrap();
        // Nothing was erased yet: the run's first line comes before the rows.
        assert_eq!(
            rows(live.out)[1..],
            [
                "· data         waiting",
                "· data         waiting",
                "· concurrency  waiting",
                "· token        waiting",
            ]
        );

        let mut step = |kind: RunEventKind| {
            live.event(&event(kind)).unwrap();
            rows(live.out)
        };
        step(RunEventKind::StackFinished {
            stack: "data".into(),
            outcome: StackOutcome::Unchanged { fast: true },
            outputs: Default::default(),
        });
        let now = step(RunEventKind::StepStarted {
            step: "concurrency".into(),
            call: "lambda:PutFunctionConcurrency".into(),
        });
        assert_eq!(now[0], "= data         no changes");
        assert_eq!(
            now[1], "· data         waiting",
            "the step named like a stack"
        );
        assert_eq!(now[2], "⠋ concurrency  checking");
        let now = step(RunEventKind::StepChecked {
            step: "concurrency".into(),
            differences: vec![
                difference("ReservedConcurrentExecutions", "5", None, false),
                difference("Environment.KEY", "\"hunter22-x\"", Some("\"old-9\""), true),
            ],
        });
        assert_eq!(now[2], "⠋ concurrency  2 difference(s)");
        let now = step(RunEventKind::StepApplying {
            step: "concurrency".into(),
            call: "lambda:PutFunctionConcurrency".into(),
        });
        let retrying = step(RunEventKind::Retrying {
            node: NodeId::Step("concurrency".into()),
            operation: "lambda:PutFunctionConcurrency".into(),
            attempt: 3,
            max_attempts: 3,
            reason: "throttled (TooManyRequestsException: Rate exceeded)".into(),
        });
        assert_eq!(
            retrying, now,
            "a retry is told above the rows, never in one"
        );
        assert_eq!(
            now[2],
            "⠋ concurrency  applying lambda:PutFunctionConcurrency"
        );
        let now = step(RunEventKind::StepChecked {
            step: "concurrency".into(),
            differences: vec![],
        });
        assert_eq!(now[2], "⠋ concurrency  in sync");
        let now = step(RunEventKind::StepFinished {
            step: "concurrency".into(),
            outcome: StepOutcome::Applied,
        });
        assert_eq!(now[2], "✓ concurrency  applied");
        step(RunEventKind::StepStarted {
            step: "token".into(),
            call: "ssm:PutParameter".into(),
        });
        let now = step(RunEventKind::StepFinished {
            step: "token".into(),
            outcome: StepOutcome::Failed {
                reason: "AccessDenied (s3cr3t)".into(),
                hint: Some("grant ssm:PutParameter".into()),
                differences: vec![difference(
                    "Parameter.Type",
                    "\"SecureString\"",
                    Some("\"String\""),
                    false,
                )],
            },
        });
        assert_eq!(now[3], "✗ token        failed");
        let now = step(RunEventKind::StepFinished {
            step: "data".into(),
            outcome: StepOutcome::NotRun {
                because: "`when:` is false".into(),
            },
        });
        assert_eq!(now[1], "- data         not run");
        live.event(&event(RunEventKind::RunFinished {
            stats: RunStats {
                stacks: StackStats {
                    unchanged: 1,
                    ..StackStats::default()
                },
                steps: StepStats {
                    applied: 1,
                    failed: 1,
                    not_run: 1,
                    ..StepStats::default()
                },
            },
            stacks: vec![],
            steps: vec![],
        }))
        .unwrap();

        let text = String::from_utf8_lossy(&out).into_owned();
        assert!(
            text.starts_with("deploy p: 1 stack(s), 3 step(s)\n"),
            "{text}"
        );
        // Event lines: indented, after any cursor movement that erased the rows.
        let above: Vec<&str> = text
            .lines()
            .filter_map(|line| line.rsplit("\x1b[J").next())
            .filter(|line| line.starts_with("  "))
            .collect();
        assert_eq!(
            above,
            [
                "  concurrency: differs:",
                "  concurrency:   ReservedConcurrentExecutions: expected 5, found nothing",
                "  concurrency:   Environment.KEY: differs (secret value, not shown)",
                "  concurrency: retrying lambda:PutFunctionConcurrency (attempt 3 of 3): throttled (TooManyRequestsException: Rate exceeded)",
                "  token: failed: AccessDenied (****)",
                "  token:   Parameter.Type: expected \"SecureString\", found \"String\"",
                "  token: hint: grant ssm:PutParameter",
                "  data: not run: `when:` is false",
            ]
        );
        assert!(!text.contains("hunter22"), "{text}");
        assert!(!text.contains("old-9"), "{text}");
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(
            text.ends_with(
                "done in 1.5s: 0 created, 0 updated, 1 unchanged, 0 failed, 0 skipped; \
                 steps: 1 applied, 0 in sync, 0 action(s) run, 1 not run, 1 failed, 0 skipped\n"
            ),
            "{text}"
        );
    }
}
