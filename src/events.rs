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
    /// The run begins: the command and every stack and step it will visit, each kind in
    /// dependency order.
    RunStarted {
        command: String,
        project: String,
        stacks: Vec<String>,
        steps: Vec<String>,
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
    /// A step's turn has come: `call` is its apply operation (`service:Operation`).
    StepStarted { step: String, call: String },
    /// The step's check ran: what differs from the declared state (nothing: in sync).
    StepChecked {
        step: String,
        differences: Vec<Difference>,
    },
    /// The step's apply operation is being sent (a check differed, or it is an action).
    StepApplying { step: String, call: String },
    /// The step reached its end state for this run.
    StepFinished { step: String, outcome: StepOutcome },
    /// A call of a stack or step keeps failing (throttling, server errors, dropped
    /// connections) and is retried: told from the second retry in a row, at most every few
    /// seconds per call, so a run is never silent while it waits.
    Retrying {
        node: NodeId,
        /// `service:Operation`.
        operation: String,
        /// The attempt about to be made.
        attempt: u32,
        max_attempts: u32,
        /// Why the last attempt failed, in plain words.
        reason: String,
    },
    /// The run is over: the counts, and every stack's and step's outcome in plan order.
    RunFinished {
        stats: RunStats,
        stacks: Vec<(String, StackOutcome)>,
        steps: Vec<(String, StepOutcome)>,
    },
}

/// A stack or a step (their names may coincide).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NodeId {
    Stack(String),
    Step(String),
}

impl NodeId {
    pub fn name(&self) -> &str {
        match self {
            NodeId::Stack(name) | NodeId::Step(name) => name,
        }
    }
}

/// One expectation of a step's check that does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The JMESPath expression on the check's result.
    pub path: String,
    /// The expected value, as JSON text.
    pub expected: String,
    /// The value found, as JSON text; `None` when the path found nothing.
    pub actual: Option<String>,
    /// Whether either value is secret: reports then say only that it differs.
    pub secret: bool,
}

impl Difference {
    /// `path: expected X, found Y`, or `path: differs (secret)`.
    pub fn text(&self) -> String {
        if self.secret {
            return format!("{}: differs (secret value, not shown)", self.path);
        }
        let found = self.actual.as_deref().unwrap_or("nothing");
        format!("{}: expected {}, found {found}", self.path, self.expected)
    }
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// The check held: nothing was sent but the check.
    InSync,
    /// The check differed; the apply was sent and the re-check then held.
    Applied,
    /// A step without a check: its operation ran.
    ActionRun,
    /// `when:` was false for this run.
    NotRun { because: String },
    /// The step failed: an AWS error, or applied but never converged (`differences`).
    Failed {
        reason: String,
        hint: Option<String>,
        differences: Vec<Difference>,
    },
    /// Not attempted, because something it depends on did not succeed.
    Skipped { because: String },
    /// `drift`: the check does not hold any more.
    Drifted { differences: Vec<Difference> },
    /// `drift`: an action has no check, so nothing can tell whether it still holds.
    NotCheckable,
    /// `plan`: the check differs; a deploy would apply.
    WouldApply { differences: Vec<Difference> },
    /// `plan`: an action; a deploy would run it.
    WouldRun,
    /// `plan`: an input reads what only the deploy will tell (an output of a stack it would
    /// create, a result of a step decided at deploy).
    DecidedAtDeploy { because: String },
}

impl StepOutcome {
    /// A short word for tables and summaries.
    pub fn label(&self) -> &'static str {
        match self {
            StepOutcome::InSync => "in sync",
            StepOutcome::Applied => "applied",
            StepOutcome::ActionRun => "action run",
            StepOutcome::NotRun { .. } => "not run",
            StepOutcome::Failed { .. } => "failed",
            StepOutcome::Skipped { .. } => "skipped",
            StepOutcome::Drifted { .. } => "drifted",
            StepOutcome::NotCheckable => "not checkable",
            StepOutcome::WouldApply { .. } => "would apply",
            StepOutcome::WouldRun => "would run",
            StepOutcome::DecidedAtDeploy { .. } => "decided at deploy",
        }
    }

    /// Whether the step's work succeeded (a drift found is a successful check).
    pub fn is_success(&self) -> bool {
        !matches!(
            self,
            StepOutcome::Failed { .. } | StepOutcome::Skipped { .. }
        )
    }
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
    /// Property-level changes, when CloudFormation gives them: `Properties.X: before -> after`.
    pub details: Vec<String>,
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
    /// `drift`: CloudFormation found every checked resource as the template declares.
    InSync,
    /// `drift`: resources differ from the template (ignored ones are listed, marked).
    Drifted {
        resources: Vec<ResourceDrift>,
    },
    /// `drift`: CloudFormation could not check the stack (why), so nothing is known.
    NotChecked {
        because: String,
    },
    /// `plan`: a deploy would create or update the stack; `kept` names the change set a saved
    /// plan keeps for `deploy --plan`.
    WouldChange {
        create: bool,
        kept: Option<String>,
    },
}

/// One resource of a stack drift report: not IN_SYNC, or ignored by the project's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceDrift {
    pub logical_id: String,
    pub resource_type: String,
    /// CloudFormation's status: `MODIFIED`, `DELETED` or `NOT_CHECKED`.
    pub status: String,
    pub properties: Vec<PropertyDrift>,
}

/// One property that differs from the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyDrift {
    /// The property path, as CloudFormation gives it (`/Properties/VisibilityTimeout`).
    pub path: String,
    pub expected: Option<String>,
    pub actual: Option<String>,
    /// `ADD`, `REMOVE` or `NOT_EQUAL`.
    pub difference: String,
    /// Matched by an ignore rule of the project: reported, not counted as drift.
    pub ignored: bool,
}

impl ResourceDrift {
    /// Whether anything about the resource counts as drift (some property not ignored, or
    /// the resource itself deleted or changed without property details).
    pub fn counts(&self) -> bool {
        match self.status.as_str() {
            "NOT_CHECKED" => false,
            _ if self.properties.is_empty() => true,
            _ => self.properties.iter().any(|property| !property.ignored),
        }
    }
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
            StackOutcome::InSync => "in sync",
            StackOutcome::Drifted { .. } => "drifted",
            StackOutcome::NotChecked { .. } => "not checked",
            StackOutcome::WouldChange { create: true, .. } => "would create",
            StackOutcome::WouldChange { create: false, .. } => "would update",
        }
    }

    /// Whether the stack's work succeeded (a drift found is a successful check).
    pub fn is_success(&self) -> bool {
        !matches!(
            self,
            StackOutcome::Failed { .. } | StackOutcome::Skipped { .. }
        )
    }
}

/// Counts of outcomes per node kind, carried by `RunFinished` so reporters keep no counts of
/// their own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunStats {
    pub stacks: StackStats,
    pub steps: StepStats,
}

/// Counts of stack outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StackStats {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub skipped: usize,
    pub in_sync: usize,
    pub drifted: usize,
    pub not_checked: usize,
    /// In sync as far as CloudFormation could check, with resources it could not.
    pub partly_checked: usize,
    pub would_create: usize,
    pub would_update: usize,
}

/// Counts of step outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepStats {
    pub in_sync: usize,
    pub applied: usize,
    pub actions: usize,
    pub not_run: usize,
    pub failed: usize,
    pub skipped: usize,
    pub drifted: usize,
    pub not_checkable: usize,
    pub would_apply: usize,
    pub would_run: usize,
    pub decided_at_deploy: usize,
}

impl StepStats {
    pub fn total(&self) -> usize {
        self.in_sync
            + self.applied
            + self.actions
            + self.not_run
            + self.failed
            + self.skipped
            + self.drifted
            + self.not_checkable
            + self.would_apply
            + self.would_run
            + self.decided_at_deploy
    }
}

impl RunStats {
    pub fn record_stack(&mut self, outcome: &StackOutcome) {
        let stacks = &mut self.stacks;
        match outcome {
            StackOutcome::Created => stacks.created += 1,
            StackOutcome::Updated => stacks.updated += 1,
            StackOutcome::Unchanged { .. } => stacks.unchanged += 1,
            StackOutcome::Failed { .. } => stacks.failed += 1,
            StackOutcome::Skipped { .. } => stacks.skipped += 1,
            StackOutcome::InSync => stacks.in_sync += 1,
            StackOutcome::Drifted { resources } if resources.iter().any(ResourceDrift::counts) => {
                stacks.drifted += 1
            }
            // Every difference is ignored by the project's rules, or a resource not checked.
            StackOutcome::Drifted { resources } => {
                stacks.in_sync += 1;
                if resources.iter().any(|r| r.status == "NOT_CHECKED") {
                    stacks.partly_checked += 1;
                }
            }
            StackOutcome::NotChecked { .. } => stacks.not_checked += 1,
            StackOutcome::WouldChange { create: true, .. } => stacks.would_create += 1,
            StackOutcome::WouldChange { create: false, .. } => stacks.would_update += 1,
        }
    }

    pub fn record_step(&mut self, outcome: &StepOutcome) {
        let steps = &mut self.steps;
        match outcome {
            StepOutcome::InSync => steps.in_sync += 1,
            StepOutcome::Applied => steps.applied += 1,
            StepOutcome::ActionRun => steps.actions += 1,
            StepOutcome::NotRun { .. } => steps.not_run += 1,
            StepOutcome::Failed { .. } => steps.failed += 1,
            StepOutcome::Skipped { .. } => steps.skipped += 1,
            StepOutcome::Drifted { .. } => steps.drifted += 1,
            StepOutcome::NotCheckable => steps.not_checkable += 1,
            StepOutcome::WouldApply { .. } => steps.would_apply += 1,
            StepOutcome::WouldRun => steps.would_run += 1,
            StepOutcome::DecidedAtDeploy { .. } => steps.decided_at_deploy += 1,
        }
    }

    /// Whether a plan found anything a deploy would change (stacks or steps).
    pub fn changes_pending(&self) -> bool {
        self.stacks.would_create
            + self.stacks.would_update
            + self.steps.would_apply
            + self.steps.would_run
            + self.steps.decided_at_deploy
            > 0
    }

    /// Whether a check found drift (stacks or steps).
    pub fn drift_found(&self) -> bool {
        self.stacks.drifted + self.steps.drifted > 0
    }

    /// How many nodes could not be checked, wholly or in part (stacks or resources
    /// CloudFormation could not check, actions).
    pub fn not_checked(&self) -> usize {
        self.stacks.not_checked + self.stacks.partly_checked + self.steps.not_checkable
    }

    /// Whether every stack and step reached its declared state.
    pub fn succeeded(&self) -> bool {
        self.stacks.failed == 0
            && self.stacks.skipped == 0
            && self.steps.failed == 0
            && self.steps.skipped == 0
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

    /// A call of `node` is being retried (see [`RunEventKind::Retrying`]).
    pub fn retrying(
        &self,
        node: &NodeId,
        operation: &str,
        attempt: u32,
        max_attempts: u32,
        reason: &str,
    ) {
        self.emit(RunEventKind::Retrying {
            node: node.clone(),
            operation: operation.to_string(),
            attempt,
            max_attempts,
            reason: reason.to_string(),
        });
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
