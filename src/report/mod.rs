//! Stage 5: reporters, the consumers of run events. They render; they never call AWS.
//!
//! ```text
//! engines --RunEvent--> channel --> drive() --> FanOut --> Live (terminal) | Lines (CI) | Json
//!                                                     |    | Markdown (writes at the end)
//!                                                     +--> Junit (aggregates, writes at the end)
//!                                                     \--> Markdown to $GITHUB_STEP_SUMMARY
//! ```
//! In GitHub Actions, `Lines` also writes annotations and groups ([`github`]).
//! Every reporter writes through the run's [`Redactor`](crate::redact::Redactor).

pub mod display;
pub mod github;
pub mod json;
pub mod junit;
pub mod lines;
pub mod live;
pub mod markdown;
pub mod outputs;

use std::io;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::events::{ResourceDrift, ResourceEvent, RunEvent, RunStats};

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
/// (a run without steps reads exactly as it did before steps existed). A `drift` run counts
/// what it found instead.
pub fn summary_text(command: &str, stats: &RunStats, elapsed: Duration) -> String {
    if command == "drift" {
        return drift_summary_text(stats, elapsed);
    }
    if command == "plan" {
        return plan_summary_text(stats, elapsed);
    }
    format!("done in {}: {}", seconds(elapsed), counts_text(stats))
}

/// What a run came to, in a few words for a title: a `drift` run's verdict (`drift found`,
/// `no drift`), a `plan` run's (`changes pending`, `no changes`), otherwise the counts of
/// its closing line.
pub fn headline_text(command: &str, stats: &RunStats) -> String {
    match command {
        "drift" => drift_verdict(stats).to_string(),
        "plan" => plan_verdict(stats).to_string(),
        _ => counts_text(stats),
    }
}

/// The stack counts, then the step counts when the run has steps.
fn counts_text(stats: &RunStats) -> String {
    let stacks = &stats.stacks;
    let mut text = format!(
        "{} created, {} updated, {} unchanged, {} failed, {} skipped",
        stacks.created, stacks.updated, stacks.unchanged, stacks.failed, stacks.skipped
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

fn plan_verdict(stats: &RunStats) -> &'static str {
    if stats.changes_pending() {
        "changes pending"
    } else {
        "no changes"
    }
}

fn plan_summary_text(stats: &RunStats, elapsed: Duration) -> String {
    let (stacks, steps) = (&stats.stacks, &stats.steps);
    let verdict = plan_verdict(stats);
    format!(
        "done in {}: {verdict}: stacks {} would create, {} would update, {} unchanged, {} failed; steps {} would apply, {} would run, {} decided at deploy, {} in sync, {} not run, {} failed",
        seconds(elapsed),
        stacks.would_create,
        stacks.would_update,
        stacks.unchanged,
        stacks.failed,
        steps.would_apply,
        steps.would_run,
        steps.decided_at_deploy,
        steps.in_sync,
        steps.not_run,
        steps.failed
    )
}

fn drift_verdict(stats: &RunStats) -> &'static str {
    if stats.drift_found() {
        "drift found"
    } else {
        "no drift"
    }
}

fn drift_summary_text(stats: &RunStats, elapsed: Duration) -> String {
    let (stacks, steps) = (&stats.stacks, &stats.steps);
    format!(
        "done in {}: {}: stacks {} drifted, {} in sync, {} not checked, {} failed; steps {} drifted, {} in sync, {} not checkable, {} failed",
        seconds(elapsed),
        drift_verdict(stats),
        stacks.drifted,
        stacks.in_sync,
        stacks.not_checked,
        stacks.failed,
        steps.drifted,
        steps.in_sync,
        steps.not_checkable,
        steps.failed
    )
}

/// What a drift report did not count, in words: resources CloudFormation cannot check, and
/// resources whose every difference is ignored; with how many resources do count.
pub fn drift_notes(resources: &[ResourceDrift]) -> (usize, Vec<String>) {
    let counted = resources.iter().filter(|r| r.counts()).count();
    let not_checked = resources
        .iter()
        .filter(|r| r.status == "NOT_CHECKED")
        .count();
    let ignored = resources.len() - counted - not_checked;
    let mut notes = Vec::new();
    if not_checked > 0 {
        notes.push(format!(
            "{not_checked} resource(s) CloudFormation cannot check"
        ));
    }
    if ignored > 0 {
        notes.push(format!(
            "{ignored} resource(s) with ignored differences only"
        ));
    }
    (counted, notes)
}

/// A stack drift report as lines: a line per resource, then a line per property difference
/// (indented), ignored ones marked.
pub fn resource_drift_lines(resources: &[ResourceDrift]) -> Vec<String> {
    let mut lines = Vec::new();
    for resource in resources {
        let ignored = if resource.status != "NOT_CHECKED" && !resource.counts() {
            " (ignored)"
        } else {
            ""
        };
        lines.push(format!(
            "  {} {} {}{ignored}",
            resource.status, resource.resource_type, resource.logical_id
        ));
        for property in &resource.properties {
            let expected = property.expected.as_deref().unwrap_or("nothing");
            let actual = property.actual.as_deref().unwrap_or("nothing");
            let ignored = if property.ignored { " (ignored)" } else { "" };
            lines.push(format!(
                "    {}: expected {expected}, found {actual}{ignored}",
                property.path
            ));
        }
    }
    lines
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
    use crate::events::{PropertyDrift, StackOutcome, StackStats, StepOutcome, StepStats};

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
            summary_text("deploy", &stats, Duration::from_millis(2500)),
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
                ..StepStats::default()
            },
        };
        assert_eq!(
            summary_text("deploy", &stats, Duration::from_millis(12_340)),
            "done in 12.3s: 0 created, 0 updated, 2 unchanged, 0 failed, 0 skipped; \
             steps: 1 applied, 2 in sync, 3 action(s) run, 4 not run, 5 failed, 6 skipped"
        );
    }

    #[test]
    fn a_drift_run_closes_with_what_it_found() {
        let mut stats = RunStats::default();
        stats.record_stack(&StackOutcome::NotChecked {
            because: "no drift API".into(),
        });
        stats.record_step(&StepOutcome::InSync);
        stats.record_step(&StepOutcome::NotCheckable);
        assert_eq!(
            summary_text("drift", &stats, Duration::from_millis(1_200)),
            "done in 1.2s: no drift: stacks 0 drifted, 0 in sync, 1 not checked, 0 failed; \
             steps 0 drifted, 1 in sync, 1 not checkable, 0 failed"
        );
        stats.record_step(&StepOutcome::Drifted {
            differences: Vec::new(),
        });
        assert!(summary_text("drift", &stats, Duration::ZERO).contains(": drift found: "));
    }

    #[test]
    fn resource_drift_reads_as_lines_with_ignored_ones_marked() {
        let property = |path: &str, ignored: bool| PropertyDrift {
            path: path.into(),
            expected: Some("30".into()),
            actual: Some("60".into()),
            difference: "NOT_EQUAL".into(),
            ignored,
        };
        let resources = vec![
            ResourceDrift {
                logical_id: "Queue".into(),
                resource_type: "AWS::SQS::Queue".into(),
                status: "MODIFIED".into(),
                properties: vec![property("/Properties/VisibilityTimeout", false)],
            },
            ResourceDrift {
                logical_id: "Topic".into(),
                resource_type: "AWS::SNS::Topic".into(),
                status: "MODIFIED".into(),
                properties: vec![property("/Properties/DisplayName", true)],
            },
        ];
        assert_eq!(
            resource_drift_lines(&resources),
            [
                "  MODIFIED AWS::SQS::Queue Queue",
                "    /Properties/VisibilityTimeout: expected 30, found 60",
                "  MODIFIED AWS::SNS::Topic Topic (ignored)",
                "    /Properties/DisplayName: expected 30, found 60 (ignored)",
            ]
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
