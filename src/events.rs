//! The run's events: the only contract between the engines (deploy, steps, drift) and the
//! reporters. Engines emit events and never print; reporters render events and never call AWS.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use tokio::sync::mpsc;

/// One thing that happened, stamped when it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEvent {
    /// Wall-clock time of the event.
    pub at: DateTime<Utc>,
    /// Time since the run started.
    pub elapsed: Duration,
    pub kind: RunEventKind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEventKind {
    /// The run begins: the command and every stack it will visit, in dependency order.
    RunStarted {
        command: String,
        project: String,
        stacks: Vec<String>,
    },
    /// A stack's turn has come (its dependencies are deployed).
    StackStarted { stack: String },
    /// The stack was found in a state that needs handling first; `action` says what gapfill does.
    StackRecovering {
        stack: String,
        status: String,
        action: String,
    },
    /// A change set is ready; its changes, as CloudFormation computed them.
    ChangeSetCreated {
        stack: String,
        change_set: String,
        changes: Vec<ResourceChange>,
    },
    /// The change set is executing.
    StackExecuting { stack: String },
    /// A stack event from CloudFormation, in the order CloudFormation recorded them.
    StackResourceEvent { stack: String, event: ResourceEvent },
    /// Still waiting, with nothing new to report (CI's no-output timers need a line).
    StackHeartbeat {
        stack: String,
        status: String,
        waited: Duration,
    },
    /// The stack reached its end state for this run, with its outputs when it has them.
    StackFinished {
        stack: String,
        outcome: StackOutcome,
        outputs: IndexMap<String, String>,
    },
    /// The run is over: the counts, and every stack's outcome in plan order.
    RunFinished {
        stats: RunStats,
        stacks: Vec<(String, StackOutcome)>,
    },
}

/// One resource change of a change set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceChange {
    /// `Add`, `Modify`, `Remove`, `Import`, `Dynamic`.
    pub action: String,
    pub logical_id: String,
    pub resource_type: String,
    /// `True`, `False`, `Conditional`, when CloudFormation says.
    pub replacement: Option<String>,
}

/// One CloudFormation stack event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceEvent {
    pub timestamp: Option<DateTime<Utc>>,
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
}

/// How a stack ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StackOutcome {
    Created,
    Updated,
    /// Nothing to change. `fast`: known from what is deployed, without a change set.
    Unchanged {
        fast: bool,
    },
    /// The stack could not be brought to the declared state.
    Failed {
        reason: String,
        hint: Option<String>,
    },
    /// Not attempted, because a stack it depends on did not deploy.
    Skipped {
        because: String,
    },
}

impl StackOutcome {
    /// A short word for tables and summaries.
    pub fn label(&self) -> &'static str {
        match self {
            StackOutcome::Created => "created",
            StackOutcome::Updated => "updated",
            StackOutcome::Unchanged { .. } => "no changes",
            StackOutcome::Failed { .. } => "failed",
            StackOutcome::Skipped { .. } => "skipped",
        }
    }

    pub fn is_success(&self) -> bool {
        matches!(
            self,
            StackOutcome::Created | StackOutcome::Updated | StackOutcome::Unchanged { .. }
        )
    }
}

/// Counts of stack outcomes, carried by `RunFinished` so reporters keep no counts of their own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunStats {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl RunStats {
    pub fn record(&mut self, outcome: &StackOutcome) {
        match outcome {
            StackOutcome::Created => self.created += 1,
            StackOutcome::Updated => self.updated += 1,
            StackOutcome::Unchanged { .. } => self.unchanged += 1,
            StackOutcome::Failed { .. } => self.failed += 1,
            StackOutcome::Skipped { .. } => self.skipped += 1,
        }
    }

    /// Whether every stack reached its declared state.
    pub fn succeeded(&self) -> bool {
        self.failed == 0 && self.skipped == 0
    }
}

/// Where engines send events: stamps each with the time and passes it to the reporters.
#[derive(Debug, Clone)]
pub struct EventSink {
    started: Instant,
    sender: mpsc::UnboundedSender<RunEvent>,
}

impl EventSink {
    /// A sink and the receiving end the reporters read.
    pub fn channel() -> (EventSink, mpsc::UnboundedReceiver<RunEvent>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        let sink = EventSink {
            started: Instant::now(),
            sender,
        };
        (sink, receiver)
    }

    pub fn emit(&self, kind: RunEventKind) {
        let event = RunEvent {
            at: Utc::now(),
            elapsed: self.started.elapsed(),
            kind,
        };
        // The receiver only goes away when the run is being torn down; nothing to tell then.
        let _ = self.sender.send(event);
    }
}
