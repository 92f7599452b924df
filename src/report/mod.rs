//! Stage 5: reporters, the consumers of run events. They render; they never call AWS.
//!
//! ```text
//! engines --RunEvent--> channel --> drive() --> FanOut --> Live (terminal) | Lines (CI) | Json
//!                                                     \--> Junit (aggregates, writes at the end)
//! ```
//! Every reporter writes through the run's [`Redactor`](crate::redact::Redactor).

pub mod display;
pub mod json;
pub mod junit;
pub mod lines;
pub mod live;
pub mod outputs;

use std::io;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::events::{ResourceEvent, RunEvent, RunStats};

pub use display::{resolve, Display};

/// Something that renders run events.
pub trait Reporter: Send {
    /// Renders one event.
    fn event(&mut self, event: &RunEvent) -> io::Result<()>;

    /// Called periodically between events, for reporters that animate; most do nothing.
    fn tick(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Called once when the run is over, for reporters that write at the end.
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Several reporters fed the same events. One that fails to write is dropped from the fan-out
/// (a closed terminal must not stop the JUnit file), and its error kept for the end.
pub struct FanOut {
    reporters: Vec<Box<dyn Reporter>>,
    failure: Option<io::Error>,
}

impl FanOut {
    pub fn new(reporters: Vec<Box<dyn Reporter>>) -> FanOut {
        FanOut {
            reporters,
            failure: None,
        }
    }

    fn each(&mut self, mut call: impl FnMut(&mut dyn Reporter) -> io::Result<()>) {
        let mut kept = Vec::with_capacity(self.reporters.len());
        for mut reporter in self.reporters.drain(..) {
            match call(reporter.as_mut()) {
                Ok(()) => kept.push(reporter),
                Err(error) => {
                    self.failure.get_or_insert(error);
                }
            }
        }
        self.reporters = kept;
    }
}

impl Reporter for FanOut {
    fn event(&mut self, event: &RunEvent) -> io::Result<()> {
        self.each(|reporter| reporter.event(event));
        Ok(())
    }

    fn tick(&mut self) -> io::Result<()> {
        self.each(|reporter| reporter.tick());
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.each(|reporter| reporter.finish());
        self.failure.take().map_or(Ok(()), Err)
    }
}

/// Feeds every event to `reporter` until the channel closes, then finishes it. A reporter that
/// cannot write (a closed pipe) stops reporting but never stops the run; its error comes back.
pub async fn drive(
    mut receiver: mpsc::UnboundedReceiver<RunEvent>,
    mut reporter: Box<dyn Reporter>,
    tick: Option<Duration>,
) -> io::Result<()> {
    let mut failure = None;
    let mut ticker = tokio::time::interval(tick.unwrap_or(Duration::from_secs(3600)));
    loop {
        tokio::select! {
            event = receiver.recv() => {
                let Some(event) = event else { break };
                if failure.is_none() {
                    failure = reporter.event(&event).err();
                }
            }
            _ = ticker.tick(), if tick.is_some() && failure.is_none() => {
                failure = reporter.tick().err();
            }
        }
    }
    match failure {
        Some(error) => Err(error),
        None => reporter.finish(),
    }
}

/// Seconds with one decimal, the way durations show in every reporter.
pub fn seconds(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}

/// How a CloudFormation event reads: `STATUS LogicalId (Type): reason`.
pub fn resource_event_text(event: &ResourceEvent) -> String {
    let reason = event
        .reason
        .as_deref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    format!(
        "{} {} ({}){reason}",
        event.status, event.logical_id, event.resource_type
    )
}

/// The closing line of a run: the stack counts, then the step counts when the run has steps
/// (a run without steps reads exactly as it did before steps existed).
pub fn summary_text(stats: &RunStats, elapsed: Duration) -> String {
    let stacks = &stats.stacks;
    let mut text = format!(
        "done in {}: {} created, {} updated, {} unchanged, {} failed, {} skipped",
        seconds(elapsed),
        stacks.created,
        stacks.updated,
        stacks.unchanged,
        stacks.failed,
        stacks.skipped
    );
    let steps = &stats.steps;
    if steps.total() > 0 {
        text.push_str(&format!(
            "; steps: {} applied, {} in sync, {} action(s) run, {} not run, {} failed, {} skipped",
            steps.applied, steps.in_sync, steps.actions, steps.not_run, steps.failed, steps.skipped
        ));
    }
    text
}

/// What a run visits, as its first line says: `2 stack(s): a, b`, then `; 1 step(s): c` when it
/// has steps (a run of steps only names its steps alone).
pub fn plan_text(stacks: &[String], steps: &[String]) -> String {
    let stacks_text = format!("{} stack(s): {}", stacks.len(), stacks.join(", "));
    let steps_text = format!("{} step(s): {}", steps.len(), steps.join(", "));
    match (stacks.is_empty(), steps.is_empty()) {
        (_, true) => stacks_text,
        (true, false) => steps_text,
        (false, false) => format!("{stacks_text}; {steps_text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{StackStats, StepStats};

    #[test]
    fn summary_of_a_run_without_steps_is_unchanged() {
        let stats = RunStats {
            stacks: StackStats {
                created: 1,
                failed: 1,
                ..StackStats::default()
            },
            steps: StepStats::default(),
        };
        assert_eq!(
            summary_text(&stats, Duration::from_millis(2500)),
            "done in 2.5s: 1 created, 0 updated, 0 unchanged, 1 failed, 0 skipped"
        );
    }

    #[test]
    fn summary_of_a_run_with_steps_adds_the_step_counts() {
        let stats = RunStats {
            stacks: StackStats {
                unchanged: 2,
                ..StackStats::default()
            },
            steps: StepStats {
                applied: 1,
                in_sync: 2,
                actions: 3,
                not_run: 4,
                failed: 5,
                skipped: 6,
            },
        };
        assert_eq!(
            summary_text(&stats, Duration::from_millis(12_340)),
            "done in 12.3s: 0 created, 0 updated, 2 unchanged, 0 failed, 0 skipped; \
             steps: 1 applied, 2 in sync, 3 action(s) run, 4 not run, 5 failed, 6 skipped"
        );
    }

    #[test]
    fn plan_text_names_steps_only_when_there_are_some() {
        let stacks = vec!["data".to_string(), "api".to_string()];
        assert_eq!(plan_text(&stacks, &[]), "2 stack(s): data, api");
        assert_eq!(plan_text(&[], &["warm".to_string()]), "1 step(s): warm");
        assert_eq!(
            plan_text(&stacks, &["warm".to_string()]),
            "2 stack(s): data, api; 1 step(s): warm"
        );
    }
}
