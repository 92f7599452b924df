//! Deploys the plan's stacks in dependency order, independent ones in parallel, feeding each
//! stack the outputs of the stacks it references.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use tokio::task::JoinSet;

use crate::deploy::{StackDeploy, StackInput, StackResult};
use crate::events::{EventSink, RunEventKind, RunStats, StackOutcome};
use crate::plan::{MissingOutput, Plan, PlannedValue, StackOutputs, StackPlan};
use crate::redact::Redactor;

/// What a deploy of all stacks ended with.
#[derive(Debug, Default)]
pub struct DeployRun {
    /// Each stack's result, in plan order (absent for none: every stack gets one).
    pub results: IndexMap<String, StackResult>,
    pub stats: RunStats,
    /// Outputs of every stack that has them.
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
    let sink = &deployer.sink;
    let mut states = vec![NodeState::Waiting; plan.stacks.len()];
    let mut run = DeployRun::default();
    let mut running: JoinSet<(usize, StackResult)> = JoinSet::new();
    loop {
        skip_blocked(plan, &mut states, &mut run, sink);
        for index in ready(plan, &states) {
            if running.len() >= max_concurrency.max(1) {
                break;
            }
            let stack = &plan.stacks[index];
            sink.emit(RunEventKind::StackStarted {
                stack: stack.name.clone(),
            });
            states[index] = NodeState::Running;
            match stack_input(stack, &run.outputs, &plan.redactor) {
                Ok(input) => {
                    let deployer = deployer.clone();
                    running.spawn(async move { (index, deployer.run(&input).await) });
                }
                Err(missing) => {
                    let outcome = StackOutcome::Failed {
                        reason: missing.to_string(),
                        hint: Some("the output is declared in the template but absent: check its Condition".into()),
                    };
                    finish(
                        plan,
                        index,
                        StackResult {
                            outcome,
                            outputs: IndexMap::new(),
                        },
                        &mut states,
                        &mut run,
                        sink,
                    );
                }
            }
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        match joined {
            Ok((index, result)) => finish(plan, index, result, &mut states, &mut run, sink),
            Err(error) => {
                // A panicking task loses its index; mark every running stack as failed so the
                // run still ends with a complete account.
                let reason = format!("internal error while deploying: {error}");
                let stuck: Vec<usize> = (0..states.len())
                    .filter(|&i| states[i] == NodeState::Running)
                    .collect();
                for index in stuck {
                    let outcome = StackOutcome::Failed {
                        reason: reason.clone(),
                        hint: None,
                    };
                    finish(
                        plan,
                        index,
                        StackResult {
                            outcome,
                            outputs: IndexMap::new(),
                        },
                        &mut states,
                        &mut run,
                        sink,
                    );
                }
            }
        }
    }
    run
}

/// Waiting stacks whose dependencies are all deployed, in plan order.
fn ready(plan: &Plan, states: &[NodeState]) -> Vec<usize> {
    (0..plan.stacks.len())
        .filter(|&index| states[index] == NodeState::Waiting)
        .filter(|&index| {
            plan.stacks[index]
                .depends_on
                .iter()
                .all(|dependency| state_of(plan, states, dependency) == Some(NodeState::Succeeded))
        })
        .collect()
}

/// Marks waiting stacks whose dependencies did not deploy as skipped, transitively.
fn skip_blocked(plan: &Plan, states: &mut [NodeState], run: &mut DeployRun, sink: &EventSink) {
    loop {
        let blocked = (0..plan.stacks.len()).find_map(|index| {
            if states[index] != NodeState::Waiting {
                return None;
            }
            plan.stacks[index]
                .depends_on
                .iter()
                .find(|dependency| {
                    state_of(plan, states, dependency) == Some(NodeState::NotDeployed)
                })
                .map(|dependency| (index, dependency.clone()))
        });
        let Some((index, dependency)) = blocked else {
            return;
        };
        let outcome = StackOutcome::Skipped {
            because: format!("`{dependency}` did not deploy"),
        };
        finish(
            plan,
            index,
            StackResult {
                outcome,
                outputs: IndexMap::new(),
            },
            states,
            run,
            sink,
        );
    }
}

fn state_of(plan: &Plan, states: &[NodeState], name: &str) -> Option<NodeState> {
    plan.stacks
        .iter()
        .position(|stack| stack.name == name)
        .map(|index| states[index])
}

fn finish(
    plan: &Plan,
    index: usize,
    result: StackResult,
    states: &mut [NodeState],
    run: &mut DeployRun,
    sink: &EventSink,
) {
    let name = plan.stacks[index].name.clone();
    states[index] = if result.outcome.is_success() {
        NodeState::Succeeded
    } else {
        NodeState::NotDeployed
    };
    run.stats.record(&result.outcome);
    if result.outcome.is_success() {
        run.outputs.insert(name.clone(), result.outputs.clone());
    }
    sink.emit(RunEventKind::StackFinished {
        stack: name.clone(),
        outcome: result.outcome.clone(),
        outputs: result.outputs.clone(),
    });
    run.results.insert(name, result);
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
                    if value.secret {
                        redactor.add(&text);
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
