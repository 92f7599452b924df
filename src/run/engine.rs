//! What the scheduler runs a node with: an [`Engine`] turns a stack's or a step's resolved
//! input into its result. `deploy` deploys stacks and applies steps; `drift` checks both and
//! changes nothing; `plan` brings an engine of its own to the same scheduler.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::events::{StackOutcome, StepOutcome};

use crate::deploy::{StackDeploy, StackInput, StackResult};
use crate::drift::StackDrift;
use crate::plan::{MissingValue, NodeKey, StepPlan};
use crate::preview::StackPreview;
use crate::steps::{StepInput, StepResult, StepRunner};

/// One node's work, its inputs resolved.
#[derive(Debug, Clone)]
pub enum NodeWork {
    Stack(StackInput),
    Step(Arc<StepPlan>, StepInput),
}

/// One node's result.
#[derive(Debug, Clone)]
pub enum NodeResult {
    Stack(StackResult),
    Step(StepResult),
}

/// The future of one node's work.
pub type NodeFuture = Pin<Box<dyn Future<Output = NodeResult> + Send>>;

/// Does the work of a node. Cheap to clone into each task.
pub trait Engine: Send + Sync {
    fn run(&self, work: NodeWork) -> NodeFuture;

    /// The result of a node whose input reads a value the run does not have; `None` fails
    /// the node (a deploy needs every value), an engine that previews says what it can.
    fn without_value(&self, _node: &NodeKey, _missing: &MissingValue) -> Option<NodeResult> {
        None
    }
}

/// `gapfill deploy`: stacks through change sets, steps checked and applied.
#[derive(Clone)]
pub struct DeployEngine {
    pub stacks: StackDeploy,
    pub steps: StepRunner,
}

impl Engine for DeployEngine {
    fn run(&self, work: NodeWork) -> NodeFuture {
        let engine = self.clone();
        Box::pin(async move {
            match work {
                NodeWork::Stack(input) => NodeResult::Stack(engine.stacks.run(&input).await),
                NodeWork::Step(step, input) => {
                    NodeResult::Step(engine.steps.run(&step, &input).await)
                }
            }
        })
    }
}

/// `gapfill drift`: CloudFormation's drift detection for stacks, the check alone for steps.
#[derive(Clone)]
pub struct DriftEngine {
    pub stacks: StackDrift,
    pub steps: StepRunner,
}

impl Engine for DriftEngine {
    fn run(&self, work: NodeWork) -> NodeFuture {
        let engine = self.clone();
        Box::pin(async move {
            match work {
                NodeWork::Stack(input) => NodeResult::Stack(StackResult {
                    outcome: engine.stacks.check(&input.name).await,
                    outputs: IndexMap::new(),
                }),
                NodeWork::Step(step, input) => {
                    NodeResult::Step(engine.steps.check_only(&step, &input).await)
                }
            }
        })
    }
}

/// `gapfill plan`: what a deploy would do, changing nothing that stays: stacks through change
/// sets created, described and deleted (or kept), steps through their checks.
#[derive(Clone)]
pub struct PlanEngine {
    pub stacks: StackPreview,
    pub steps: StepRunner,
    /// Stacks that exist now, so a stack whose parameters cannot be known yet is still
    /// told apart as a create or an update.
    pub deployed: Arc<std::collections::HashMap<String, crate::cloudformation::DeployedStack>>,
}

impl Engine for PlanEngine {
    fn run(&self, work: NodeWork) -> NodeFuture {
        let engine = self.clone();
        Box::pin(async move {
            match work {
                NodeWork::Stack(input) => NodeResult::Stack(engine.stacks.run(&input).await),
                NodeWork::Step(step, input) => {
                    NodeResult::Step(engine.steps.preview(&step, &input).await)
                }
            }
        })
    }

    fn without_value(&self, node: &NodeKey, missing: &MissingValue) -> Option<NodeResult> {
        Some(match node {
            NodeKey::Stack(name) => NodeResult::Stack(StackResult {
                outcome: StackOutcome::WouldChange {
                    create: !self.deployed.contains_key(name),
                    kept: None,
                },
                outputs: IndexMap::new(),
            }),
            NodeKey::Step(_) => NodeResult::Step(StepResult {
                outcome: StepOutcome::DecidedAtDeploy {
                    because: match missing {
                        MissingValue::Output { stack, output } => {
                            format!("it reads `{stack}.{output}`, known once `{stack}` is deployed")
                        }
                        MissingValue::Step { id } | MissingValue::StepPath { id, .. } => {
                            format!("it reads the result of step `{id}`, known at deploy")
                        }
                    },
                },
                result: None,
            }),
        })
    }
}
