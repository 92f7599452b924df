//! The terminal view: one row per stack at the bottom, updated in place, with events
//! scrolling above it. Only used on a terminal; CI gets [`super::lines::Lines`].

use std::io::{self, Write};
use std::time::{Duration, Instant};

use indexmap::IndexMap;

use crate::events::{RunEvent, RunEventKind, StackOutcome};
use crate::redact::Redactor;

use super::lines::{outcome_text, symbol};
use super::{resource_event_text, seconds, summary_text, Reporter};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

struct Row {
    state: String,
    started: Option<Instant>,
    finished: Option<(StackOutcome, Duration)>,
}

/// The live reporter.
pub struct Live<W: Write + Send> {
    out: W,
    redactor: Redactor,
    rows: IndexMap<String, Row>,
    drawn: usize,
    frame: usize,
}

impl<W: Write + Send> Live<W> {
    pub fn new(out: W, redactor: Redactor) -> Live<W> {
        Live {
            out,
            redactor,
            rows: IndexMap::new(),
            drawn: 0,
            frame: 0,
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
                (None, Some(started)) => (spinner, row.state.clone(), Some(started.elapsed())),
                (None, None) => ("·", "waiting".to_string(), None),
            };
            let elapsed = elapsed
                .map(|e| format!("  {}", seconds(e)))
                .unwrap_or_default();
            block.push_str(&format!("{icon} {name:<width$}  {text}{elapsed}\n"));
        }
        self.drawn = self.rows.len();
        write!(self.out, "{}", self.redactor.redact(&block))
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
                            started: None,
                            finished: None,
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
                self.set_state(stack, "change set ready");
            }
            RunEventKind::StackExecuting { stack } => self.set_state(stack, "executing"),
            RunEventKind::StackResourceEvent {
                stack,
                event: resource,
            } => {
                self.log(stack, &resource_event_text(resource))?;
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
