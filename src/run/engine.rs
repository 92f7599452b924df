//! What the scheduler runs a node with: an [`Engine`] turns a stack's or a step's resolved
//! input into its result. `deploy` deploys stacks and applies steps; `drift` checks both and
//! changes nothing; `plan` brings an engine of its own to the same scheduler.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::deploy::{StackDeploy, StackInput, StackResult};
use crate::drift::StackDrift;
use crate::plan::StepPlan;
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
