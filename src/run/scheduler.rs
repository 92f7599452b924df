//! The one scheduler: every node of the plan (stacks and steps alike) starts when what it
//! depends on is done, up to `max_concurrency` at once, and gets exactly one outcome. The
//! scheduler is the sole owner of the run's state; engines only turn inputs into results.
//! Interrupted, it starts nothing more, abandons the nodes in flight (what AWS already started
//! goes on there; a rerun picks it up) and still gives every node its outcome.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use indexmap::IndexMap;
use tokio::task::JoinSet;

use crate::deploy::StackResult;
use crate::events::{EventSink, RunEventKind, RunStats, StackOutcome, StepOutcome};
use crate::plan::{MissingValue, NodeKey, Plan, StackChange, ValueStore};
use crate::steps::StepResult;

use super::engine::{Engine, NodeResult, NodeWork};
use super::inputs::{not_running_because, stack_input, step_input};

/// What a run ended with.
#[derive(Debug, Default)]
pub struct RunResult {
    /// Each stack's result, in the order they finished; every stack gets one.
    pub stacks: IndexMap<String, StackResult>,
    /// Each step's result, in the order they finished; every step gets one.
    pub steps: IndexMap<String, StepResult>,
    pub stats: RunStats,
    /// Stack outputs and step results, for the outputs file and later commands.
    pub values: ValueStore,
    /// The run was interrupted: nodes in flight were abandoned, the rest not started.
    pub interrupted: bool,
}

/// Why a node in flight when the run was interrupted did not finish.
const INTERRUPTED: &str =
    "interrupted before it finished: what AWS had already started goes on there";
const INTERRUPTED_HINT: &str = "run the command again: it picks up where this run stopped";
/// Why a node that had not started when the run was interrupted did not run.
const NOT_STARTED: &str = "the run was interrupted before it started";

#[derive(Debug, Clone, PartialEq, Eq)]
enum NodeState {
    Waiting,
    Running,
    /// Reached its declared state; dependents may start.
    Succeeded,
    /// A step whose `when:` was false: dependents may start, but it has no result.
    NotRun,
    /// Failed or skipped: dependents are skipped, with this as the cause.
    Blocked(String),
}

/// Runs every node of `plan` with `engine`, emitting the run's start and finish around it.
/// `known` holds what is known before the run (the outputs of stacks not in the plan); the run
/// is interrupted when `interrupt` completes.
pub async fn execute(
    command: &str,
    plan: &Plan,
    engine: Arc<dyn Engine>,
    sink: &EventSink,
    max_concurrency: usize,
    known: ValueStore,
    interrupt: impl Future<Output = ()>,
) -> RunResult {
    sink.emit(RunEventKind::RunStarted {
        command: command.to_string(),
        project: plan.project.clone(),
        stacks: plan.stacks.iter().map(|s| s.name.clone()).collect(),
        steps: plan.steps.iter().map(|s| s.id.clone()).collect(),
    });
    let mut scheduler = Scheduler {
        plan,
        engine: engine.as_ref(),
        sink,
        states: vec![NodeState::Waiting; plan.order.len()],
        changes: HashMap::new(),
        run: RunResult {
            values: known,
            ..RunResult::default()
        },
    };
    let mut running: JoinSet<NodeResult> = JoinSet::new();
    let mut tasks: HashMap<tokio::task::Id, usize> = HashMap::new();
    let mut interrupt = std::pin::pin!(interrupt);
    loop {
        if scheduler.run.interrupted {
            scheduler.skip_waiting(NOT_STARTED);
        }
        scheduler.skip_blocked();
        let mut started_any = false;
        for index in scheduler.ready() {
            if scheduler.run.interrupted || running.len() >= max_concurrency.max(1) {
                break;
            }
            started_any = true;
            if let Some(work) = scheduler.start(index) {
                let task = running.spawn(engine.run(work));
                tasks.insert(task.id(), index);
            }
        }
        let joined = tokio::select! {
            () = &mut interrupt, if !scheduler.run.interrupted => {
                scheduler.run.interrupted = true;
                running.abort_all();
                continue;
            }
            joined = running.join_next_with_id() => joined,
        };
        let Some(joined) = joined else {
            // Nothing runs; a node that finished as it started may have unblocked or
            // blocked others, so look again before deciding the run is over.
            if started_any {
                continue;
            }
            break;
        };
        match joined {
            Ok((id, result)) => {
                if let Some(index) = tasks.remove(&id) {
                    scheduler.finish(index, result);
                }
            }
            Err(error) if error.is_cancelled() => {
                if let Some(index) = tasks.remove(&error.id()) {
                    scheduler.fail(index, INTERRUPTED.into(), Some(INTERRUPTED_HINT.into()));
                }
            }
            Err(error) => {
                if let Some(index) = tasks.remove(&error.id()) {
                    scheduler.fail(index, format!("internal error: {error}"), None);
                }
            }
        }
    }
    let run = scheduler.run;
    sink.emit(RunEventKind::RunFinished {
        stats: run.stats,
        stacks: plan
            .stacks
            .iter()
            .filter_map(|s| {
                run.stacks
                    .get(&s.name)
                    .map(|r| (s.name.clone(), r.outcome.clone()))
            })
            .collect(),
        steps: plan
            .steps
            .iter()
            .filter_map(|s| {
                run.steps
                    .get(&s.id)
                    .map(|r| (s.id.clone(), r.outcome.clone()))
            })
            .collect(),
    });
    run
}

struct Scheduler<'a> {
    plan: &'a Plan,
    engine: &'a dyn Engine,
    sink: &'a EventSink,
    /// One state per node of `plan.order`.
    states: Vec<NodeState>,
    /// What this run did to each stack, for `when:`.
    changes: HashMap<String, StackChange>,
    run: RunResult,
}

impl Scheduler<'_> {
    fn node(&self, index: usize) -> &NodeKey {
        &self.plan.order[index]
    }

    fn state_of(&self, node: &NodeKey) -> Option<&NodeState> {
        let index = self.plan.order.iter().position(|n| n == node)?;
        Some(&self.states[index])
    }

    /// Waiting nodes whose dependencies are all done, in plan order.
    fn ready(&self) -> Vec<usize> {
        (0..self.states.len())
            .filter(|&index| self.states[index] == NodeState::Waiting)
            .filter(|&index| {
                self.plan
                    .depends_on(self.node(index))
                    .iter()
                    .all(|dependency| {
                        matches!(
                            self.state_of(dependency),
                            Some(NodeState::Succeeded | NodeState::NotRun)
                        )
                    })
            })
            .collect()
    }

    /// Skips waiting nodes whose dependencies failed or were skipped, transitively.
    fn skip_blocked(&mut self) {
        loop {
            let blocked = (0..self.states.len())
                .filter(|&index| self.states[index] == NodeState::Waiting)
                .find_map(|index| {
                    self.plan
                        .depends_on(self.node(index))
                        .iter()
                        .find_map(|dependency| match self.state_of(dependency) {
                            Some(NodeState::Blocked(cause)) => Some(cause.clone()),
                            _ => None,
                        })
                        .map(|cause| (index, cause))
                });
            let Some((index, because)) = blocked else {
                return;
            };
            self.skip(index, because);
        }
    }

    fn skip(&mut self, index: usize, because: String) {
        let result = match self.node(index) {
            NodeKey::Stack(_) => NodeResult::Stack(StackResult {
                outcome: StackOutcome::Skipped { because },
                outputs: IndexMap::new(),
            }),
            NodeKey::Step(_) => NodeResult::Step(StepResult {
                outcome: StepOutcome::Skipped { because },
                result: None,
            }),
        };
        self.finish(index, result);
    }

    /// Skips every node still waiting, `because`.
    fn skip_waiting(&mut self, because: &str) {
        let waiting: Vec<usize> = (0..self.states.len())
            .filter(|&index| self.states[index] == NodeState::Waiting)
            .collect();
        for index in waiting {
            self.skip(index, because.to_string());
        }
    }

    /// Marks the node running and resolves its input; a node that cannot start (a missing
    /// value, a `when:` that is false) finishes at once.
    fn start(&mut self, index: usize) -> Option<NodeWork> {
        self.states[index] = NodeState::Running;
        let node = self.node(index).clone();
        match node {
            NodeKey::Stack(name) => {
                let stack = self.plan.stack(&name)?;
                self.sink.emit(RunEventKind::StackStarted { stack: name });
                match stack_input(stack, &self.run.values, &self.plan.redactor) {
                    Ok(input) => Some(NodeWork::Stack(input)),
                    Err(missing) => {
                        self.cannot_start(index, missing);
                        None
                    }
                }
            }
            NodeKey::Step(id) => {
                let step = self.plan.step(&id)?;
                self.sink.emit(RunEventKind::StepStarted {
                    step: id,
                    call: step.call(),
                });
                let store = &self.run.values;
                let decided =
                    not_running_because(step, store, &self.changes).and_then(|skip| match skip {
                        Some(because) => Ok(Err(because)),
                        None => step_input(self.plan, step, store, &self.plan.redactor).map(Ok),
                    });
                match decided {
                    Ok(Ok(input)) => Some(NodeWork::Step(Arc::new(step.clone()), input)),
                    Ok(Err(because)) => {
                        self.not_run(index, because);
                        None
                    }
                    Err(missing) => {
                        self.cannot_start(index, missing);
                        None
                    }
                }
            }
        }
    }

    /// A value the node reads is missing: from a step that did not run, the node does not
    /// run either; otherwise it fails.
    fn cannot_start(&mut self, index: usize, missing: MissingValue) {
        if let Some(result) = self.engine.without_value(self.node(index), &missing) {
            self.finish(index, result);
            return;
        }
        if let MissingValue::Step { id } | MissingValue::StepPath { id, .. } = &missing {
            let source = NodeKey::Step(id.clone());
            if self.state_of(&source) == Some(&NodeState::NotRun) {
                if let NodeKey::Step(_) = self.node(index) {
                    self.not_run(
                        index,
                        format!("it reads the result of step `{id}`, which did not run"),
                    );
                    return;
                }
            }
        }
        let hint = match missing {
            MissingValue::Output { .. } => {
                "the output is declared in the template but absent: check its Condition"
            }
            MissingValue::Step { .. } | MissingValue::StepPath { .. } => {
                "check the path against the step's result: `gapfill call` on its check shows it"
            }
        };
        self.fail(index, missing.to_string(), Some(hint.into()));
    }

    fn not_run(&mut self, index: usize, because: String) {
        let result = StepResult {
            outcome: StepOutcome::NotRun { because },
            result: None,
        };
        self.finish(index, NodeResult::Step(result));
    }

    fn fail(&mut self, index: usize, reason: String, hint: Option<String>) {
        let result = match self.node(index) {
            NodeKey::Stack(_) => NodeResult::Stack(StackResult {
                outcome: StackOutcome::Failed { reason, hint },
                outputs: IndexMap::new(),
            }),
            NodeKey::Step(_) => NodeResult::Step(StepResult {
                outcome: StepOutcome::Failed {
                    reason,
                    hint,
                    differences: Vec::new(),
                },
                result: None,
            }),
        };
        self.finish(index, result);
    }

    fn finish(&mut self, index: usize, result: NodeResult) {
        let name = self.node(index).name().to_string();
        match result {
            NodeResult::Stack(result) => self.finish_stack(index, name, result),
            NodeResult::Step(result) => self.finish_step(index, name, result),
        }
    }

    fn finish_stack(&mut self, index: usize, name: String, result: StackResult) {
        self.states[index] = if result.outcome.is_success() {
            NodeState::Succeeded
        } else {
            NodeState::Blocked(format!("stack `{name}` did not deploy"))
        };
        let change = match result.outcome {
            StackOutcome::Created => Some(StackChange::Created),
            StackOutcome::Updated => Some(StackChange::Updated),
            StackOutcome::Unchanged { .. } => Some(StackChange::Unchanged),
            StackOutcome::Failed { .. }
            | StackOutcome::Skipped { .. }
            | StackOutcome::InSync
            | StackOutcome::Drifted { .. }
            | StackOutcome::NotChecked { .. } => None,
            // What a deploy would do, as `when:` reads it in a plan.
            StackOutcome::WouldChange { create: true, .. } => Some(StackChange::Created),
            StackOutcome::WouldChange { create: false, .. } => Some(StackChange::Updated),
        };
        if let Some(change) = change {
            self.changes.insert(name.clone(), change);
        }
        // A stack a plan would create has no outputs yet: what is known stays.
        if change.is_some() && !result.outputs.is_empty() {
            self.plan.register_secret_outputs(&name, &result.outputs);
            self.run
                .values
                .outputs
                .insert(name.clone(), result.outputs.clone());
        }
        self.run.stats.record_stack(&result.outcome);
        self.sink.emit(RunEventKind::StackFinished {
            stack: name.clone(),
            outcome: result.outcome.clone(),
            outputs: result.outputs.clone(),
        });
        self.run.stacks.insert(name, result);
    }

    fn finish_step(&mut self, index: usize, id: String, result: StepResult) {
        self.states[index] = match &result.outcome {
            StepOutcome::NotRun { .. } => NodeState::NotRun,
            outcome if outcome.is_success() => NodeState::Succeeded,
            StepOutcome::Failed { .. } => NodeState::Blocked(format!("step `{id}` failed")),
            _ => NodeState::Blocked(format!("step `{id}` was skipped")),
        };
        if let Some(value) = &result.result {
            self.run.values.steps.insert(id.clone(), value.clone());
        }
        self.run.stats.record_step(&result.outcome);
        self.sink.emit(RunEventKind::StepFinished {
            step: id.clone(),
            outcome: result.outcome.clone(),
        });
        self.run.steps.insert(id, result);
    }
}
