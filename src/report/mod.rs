//! Stage 5: reporters, the consumers of run events. They render; they never call AWS.
//!
//! ```text
//! engines --RunEvent--> channel --> drive() --> Live (terminal) | Lines (CI) | Json (machines)
//! ```
//! Every reporter writes through the run's [`Redactor`](crate::redact::Redactor).

pub mod display;
pub mod json;
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
}

/// Feeds every event to `reporter` until the channel closes. A reporter that cannot write
/// (a closed pipe) stops reporting but never stops the run.
pub async fn drive(
    mut receiver: mpsc::UnboundedReceiver<RunEvent>,
    mut reporter: Box<dyn Reporter>,
    tick: Option<Duration>,
) {
    let mut healthy = true;
    let mut ticker = tokio::time::interval(tick.unwrap_or(Duration::from_secs(3600)));
    loop {
        tokio::select! {
            event = receiver.recv() => {
                let Some(event) = event else { break };
                if healthy {
                    healthy = reporter.event(&event).is_ok();
                }
            }
            _ = ticker.tick(), if tick.is_some() && healthy => {
                healthy = reporter.tick().is_ok();
            }
        }
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
