//! The terminal view: one row per stack at the bottom, updated in place, with events
//! scrolling above it. Only used on a terminal; CI gets [`super::lines::Lines`].

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::time::{Duration, Instant};

use indexmap::IndexMap;

use crate::events::{RunEvent, RunEventKind, StackOutcome};
use crate::redact::Redactor;

use super::lines::{outcome_text, symbol};
use super::{resource_event_text, seconds, summary_text, Reporter};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

#[derive(Default)]
struct Row {
    state: String,
    started: Option<Instant>,
    finished: Option<(StackOutcome, Duration)>,
    /// Resources the change set touches, once known.
    changes: Option<usize>,
    /// Resources that reached a *_COMPLETE status during this run.
    completed: BTreeSet<String>,
}

impl Row {
    /// `2/5 ` while a change set executes, for a sense of progress.
    fn progress(&self) -> String {
        match self.changes {
            Some(total) if total > 0 => format!("{}/{total} ", self.completed.len().min(total)),
            _ => String::new(),
        }
    }
}

/// The live reporter.
pub struct Live<W: Write + Send> {
    out: W,
    redactor: Redactor,
    rows: IndexMap<String, Row>,
    drawn: usize,
    frame: usize,
    /// The terminal's width: rows are cut to fit, since a wrapped row would break the redraw.
    columns: usize,
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
        let width = self.rows.keys().map(String::len).max().unwrap_or(0);
        let spinner = SPINNER[self.frame % SPINNER.len()];
        let mut block = String::new();
        for (name, row) in &self.rows {
            let (icon, text, elapsed) = match (&row.finished, row.started) {
                (Some((outcome, took)), _) => (
                    outcome_icon(outcome),
                    outcome.label().to_string(),
                    Some(*took),
                ),
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

    fn log(&mut self, stack: &str, text: &str) -> io::Result<()> {
        let line = format!("  {stack}: {text}");
        writeln!(self.out, "{}", self.redactor.redact(&line))
    }

    fn set_state(&mut self, stack: &str, state: impl Into<String>) {
        if let Some(row) = self.rows.get_mut(stack) {
            row.state = state.into();
        }
    }

    fn apply(&mut self, event: &RunEvent) -> io::Result<()> {
        match &event.kind {
            RunEventKind::RunStarted {
                command,
                project,
                stacks,
            } => {
                writeln!(self.out, "{command} {project}: {} stack(s)", stacks.len())?;
                for stack in stacks {
                    self.rows.insert(
                        stack.clone(),
                        Row {
                            state: "waiting".into(),
                            ..Row::default()
                        },
                    );
                }
            }
            RunEventKind::StackStarted { stack } => {
                if let Some(row) = self.rows.get_mut(stack) {
                    row.started = Some(Instant::now());
                    row.state = "checking".into();
                }
            }
            RunEventKind::StackRecovering {
                stack,
                status,
                action,
            } => {
                self.log(stack, &format!("is {status}: {action}"))?;
                self.set_state(stack, format!("recovering from {status}"));
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
                if let Some(row) = self.rows.get_mut(stack) {
                    row.changes = Some(changes.len());
                }
                self.set_state(stack, "change set ready");
            }
            RunEventKind::StackExecuting { stack } => self.set_state(stack, "executing"),
            RunEventKind::StackResourceEvent {
                stack,
                event: resource,
            } => {
                self.log(stack, &resource_event_text(resource))?;
                if let Some(row) = self.rows.get_mut(stack) {
                    if resource.logical_id != *stack && resource.status.ends_with("_COMPLETE") {
                        row.completed.insert(resource.logical_id.clone());
                    }
                }
                self.set_state(
                    stack,
                    format!("{} {}", resource.status, resource.logical_id),
                );
            }
            RunEventKind::StackHeartbeat {
                stack,
                status,
                waited: _,
            } => self.set_state(stack, status.clone()),
            RunEventKind::StackFinished {
                stack,
                outcome,
                outputs: _,
            } => {
                if matches!(
                    outcome,
                    StackOutcome::Failed { .. } | StackOutcome::Skipped { .. }
                ) {
                    self.log(stack, &outcome_text(outcome))?;
                }
                if let StackOutcome::Failed {
                    hint: Some(hint), ..
                } = outcome
                {
                    self.log(stack, &format!("hint: {hint}"))?;
                }
                if let Some(row) = self.rows.get_mut(stack) {
                    let took = row.started.map(|s| s.elapsed()).unwrap_or_default();
                    row.finished = Some((outcome.clone(), took));
                }
            }
            RunEventKind::RunFinished { stats, stacks: _ } => {
                self.draw()?;
                self.drawn = 0;
                writeln!(self.out, "{}", summary_text(stats, event.elapsed))?;
                return Ok(());
            }
        }
        self.draw()
    }
}

fn outcome_icon(outcome: &StackOutcome) -> &'static str {
    match outcome {
        StackOutcome::Created | StackOutcome::Updated => "✓",
        StackOutcome::Unchanged { .. } => "=",
        StackOutcome::Failed { .. } => "✗",
        StackOutcome::Skipped { .. } => "-",
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
    use crate::events::{ResourceChange, ResourceEvent, RunStats};

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
                created: 1,
                ..RunStats::default()
            },
            stacks: vec![],
        }))
        .unwrap();
        let text = String::from_utf8_lossy(&out).into_owned();
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
}
