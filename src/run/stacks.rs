//! Deploys the plan's stacks in dependency order, independent ones in parallel, feeding each
//! stack the outputs of the stacks it references.

use std::collections::{BTreeMap, HashMap};

use indexmap::IndexMap;
use tokio::task::JoinSet;

use crate::deploy::{StackDeploy, StackInput, StackResult};
use crate::events::{EventSink, RunEventKind, RunStats, StackOutcome};
use crate::plan::{MissingOutput, Plan, PlannedValue, StackOutputs, StackPlan};
use crate::redact::{Redactor, MIN_SECRET_LEN};

/// What a deploy of all stacks ended with.
#[derive(Debug, Default)]
pub struct DeployRun {
    /// Each stack's result, in the order they finished; every stack gets one.
    pub results: IndexMap<String, StackResult>,
    pub stats: RunStats,
    /// Outputs of every stack that deployed.
    pub outputs: StackOutputs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeState {
    Waiting,
    Running,
    Succeeded,
    NotDeployed,
}

/// Deploys every stack of `plan`.
pub async fn deploy_stacks(
    plan: &Plan,
    deployer: &StackDeploy,
    max_concurrency: usize,
) -> DeployRun {
    let mut scheduler = Scheduler {
        plan,
        sink: &deployer.sink,
        states: vec![NodeState::Waiting; plan.stacks.len()],
        run: DeployRun::default(),
    };
    let mut running: JoinSet<StackResult> = JoinSet::new();
    let mut tasks: HashMap<tokio::task::Id, usize> = HashMap::new();
    loop {
        scheduler.skip_blocked();
        let mut started_any = false;
        for index in scheduler.ready() {
            if running.len() >= max_concurrency.max(1) {
                break;
            }
            started_any = true;
            if let Some(input) = scheduler.start(index) {
                let deployer = deployer.clone();
                let task = running.spawn(async move { deployer.run(&input).await });
                tasks.insert(task.id(), index);
            }
        }
        let Some(joined) = running.join_next_with_id().await else {
            // Nothing runs; a stack that failed as it started may have blocked others, so
            // look again before deciding the run is over.
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
            Err(error) => {
                if let Some(index) = tasks.remove(&error.id()) {
                    scheduler.fail(
                        index,
                        format!("internal error while deploying: {error}"),
                        None,
                    );
                }
            }
        }
    }
    scheduler.run
}

/// The sole owner of the run's state: which stacks wait, run, succeeded or did not deploy.
struct Scheduler<'a> {
    plan: &'a Plan,
    sink: &'a EventSink,
    states: Vec<NodeState>,
    run: DeployRun,
}

impl Scheduler<'_> {
    fn in_state(&self, state: NodeState) -> Vec<usize> {
        (0..self.states.len())
            .filter(|&index| self.states[index] == state)
            .collect()
    }

    fn state_of(&self, name: &str) -> Option<NodeState> {
        self.plan
            .stacks
            .iter()
            .position(|stack| stack.name == name)
            .map(|index| self.states[index])
    }

    /// Waiting stacks whose dependencies are all deployed, in plan order.
    fn ready(&self) -> Vec<usize> {
        self.in_state(NodeState::Waiting)
            .into_iter()
            .filter(|&index| {
                self.plan.stacks[index]
                    .depends_on
                    .iter()
                    .all(|dependency| self.state_of(dependency) == Some(NodeState::Succeeded))
            })
            .collect()
    }

    /// Marks waiting stacks whose dependencies did not deploy as skipped, transitively.
    fn skip_blocked(&mut self) {
        loop {
            let blocked = self
                .in_state(NodeState::Waiting)
                .into_iter()
                .find_map(|index| {
                    self.plan.stacks[index]
                        .depends_on
                        .iter()
                        .find(|dependency| {
                            self.state_of(dependency) == Some(NodeState::NotDeployed)
                        })
                        .map(|dependency| (index, dependency.clone()))
                });
            let Some((index, dependency)) = blocked else {
                return;
            };
            let outcome = StackOutcome::Skipped {
                because: format!("`{dependency}` did not deploy"),
            };
            self.finish(
                index,
                StackResult {
                    outcome,
                    outputs: IndexMap::new(),
                },
            );
        }
    }

    /// Marks the stack running and resolves its input; a missing output fails it at once.
    fn start(&mut self, index: usize) -> Option<StackInput> {
        let stack = &self.plan.stacks[index];
        self.sink.emit(RunEventKind::StackStarted {
            stack: stack.name.clone(),
        });
        self.states[index] = NodeState::Running;
        match stack_input(stack, &self.run.outputs, &self.plan.redactor) {
            Ok(input) => Some(input),
            Err(missing) => {
                let hint = "the output is declared in the template but absent: check its Condition";
                self.fail(index, missing.to_string(), Some(hint.into()));
                None
            }
        }
    }

    fn fail(&mut self, index: usize, reason: String, hint: Option<String>) {
        let outcome = StackOutcome::Failed { reason, hint };
        self.finish(
            index,
            StackResult {
                outcome,
                outputs: IndexMap::new(),
            },
        );
    }

    fn finish(&mut self, index: usize, result: StackResult) {
        let name = self.plan.stacks[index].name.clone();
        let succeeded = result.outcome.is_success();
        self.states[index] = if succeeded {
            NodeState::Succeeded
        } else {
            NodeState::NotDeployed
        };
        self.run.stats.record(&result.outcome);
        if succeeded {
            self.run
                .outputs
                .insert(name.clone(), result.outputs.clone());
        }
        self.sink.emit(RunEventKind::StackFinished {
            stack: name.clone(),
            outcome: result.outcome.clone(),
            outputs: result.outputs.clone(),
        });
        self.run.results.insert(name, result);
    }
}

/// The stack's request with its dependencies' outputs filled in; secrets registered.
pub fn stack_input(
    stack: &StackPlan,
    outputs: &StackOutputs,
    redactor: &Redactor,
) -> Result<StackInput, MissingOutput> {
    let resolve =
        |values: &[(String, PlannedValue)]| -> Result<Vec<(String, String)>, MissingOutput> {
            values
                .iter()
                .map(|(key, value)| {
                    let text = value.resolve(outputs)?;
                    if value.secret && !redactor.add(&text) {
                        tracing::warn!("the secret value of {} for stack {} is shorter than {MIN_SECRET_LEN} characters: too short to mask, it may print", key, stack.name);
                    }
                    Ok((key.clone(), text))
                })
                .collect()
        };
    let parameters = resolve(&stack.parameters)?;
    let tags = resolve(&stack.tags)?;
    let defaults: BTreeMap<String, String> = stack
        .template_parameters
        .iter()
        .filter(|(key, _)| !parameters.iter().any(|(set, _)| set == *key))
        .filter_map(|(key, declared)| declared.default.clone().map(|value| (key.clone(), value)))
        .collect();
    Ok(StackInput {
        name: stack.name.clone(),
        template_body: stack.template_body.clone(),
        parameters,
        tags,
        capabilities: stack
            .capabilities
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        defaults,
        has_no_echo: stack
            .template_parameters
            .values()
            .any(|declared| declared.no_echo),
    })
}
