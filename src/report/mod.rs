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

/// The closing line of a run.
pub fn summary_text(stats: &RunStats, elapsed: Duration) -> String {
    format!(
        "done in {}: {} created, {} updated, {} unchanged, {} failed, {} skipped",
        seconds(elapsed),
        stats.created,
        stats.updated,
        stats.unchanged,
        stats.failed,
        stats.skipped
    )
}
