//! Stage 2: what gapfill will do. The project resolved and validated into one graph of
//! stacks and post-deploy steps, with every reference, operation and input checked, before
//! any AWS call.

mod build;
pub mod graph;
pub mod ignore;
pub mod models;
pub mod saved;
mod steps;
pub mod values;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;

pub use build::{build, INLINE_TEMPLATE_LIMIT, TEMPLATE_URL_LIMIT};
pub use ignore::IgnoreRule;
pub use models::Models;
pub use values::{MissingValue, ValueStore, ValueTemplate};

use crate::project::file::{ArtifactSpec, Capability};
use crate::project::template::TemplateParameter;
use crate::redact::Redactor;

/// Outputs of deployed stacks: stack name -> output name -> value.
pub type StackOutputs = HashMap<String, IndexMap<String, String>>;

/// The whole plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The project's name, for reports.
    pub project: String,
    /// The project's default region.
    pub region: Option<String>,
    /// Stacks in a dependency order (every stack after those it depends on).
    pub stacks: Vec<StackPlan>,
    /// Post-deploy steps in a dependency order.
    pub steps: Vec<StepPlan>,
    /// Every node, stacks and steps, in one dependency order.
    pub order: Vec<NodeKey>,
    /// Drift `drift` reports as ignored rather than counted.
    pub drift_ignore: Vec<IgnoreRule>,
    /// Where large templates go.
    pub artifacts: Option<ArtifactSpec>,
    /// The project's own botocore-format models, overriding the built-in ones.
    pub models_dir: Option<PathBuf>,
    /// The run's secrets.
    pub redactor: Redactor,
    /// Stack outputs that feed secret values (NoEcho parameters, secret env interpolations):
    /// masked as soon as they are read.
    pub secret_outputs: BTreeSet<(String, String)>,
}

impl Plan {
    /// Registers the secret outputs among `outputs` of `stack` with the redactor.
    pub fn register_secret_outputs(&self, stack: &str, outputs: &IndexMap<String, String>) {
        for (source, output) in &self.secret_outputs {
            if source == stack {
                if let Some(value) = outputs.get(output) {
                    self.redactor.add(value);
                }
            }
        }
    }

    /// The stack with this name.
    pub fn stack(&self, name: &str) -> Option<&StackPlan> {
        self.stacks.iter().find(|stack| stack.name == name)
    }

    /// The plan with its stacks only, for `deploy --skip-steps`; refused when a stack reads a
    /// step's result.
    pub fn without_steps(mut self) -> Result<Plan, String> {
        if let Some(stack) = self.stacks.iter().find(|stack| {
            stack
                .depends_on
                .iter()
                .any(|n| matches!(n, NodeKey::Step(_)))
        }) {
            return Err(format!("stack `{}` depends on a step", stack.name));
        }
        self.steps.clear();
        self.order.retain(|node| matches!(node, NodeKey::Stack(_)));
        Ok(self)
    }

    /// The plan with its steps only, for `deploy --only-steps`: the steps named (all when
    /// none is) and the steps they depend on; stacks are read, not deployed, so edges to them
    /// are already satisfied.
    pub fn only_steps(mut self, ids: &[String]) -> Result<Plan, String> {
        let mut wanted: BTreeSet<String> = BTreeSet::new();
        let mut queue: Vec<String> = if ids.is_empty() {
            self.steps.iter().map(|step| step.id.clone()).collect()
        } else {
            ids.to_vec()
        };
        while let Some(id) = queue.pop() {
            let Some(step) = self.step(&id) else {
                let known: Vec<&str> = self.steps.iter().map(|s| s.id.as_str()).collect();
                return Err(format!(
                    "no step with id `{id}`; steps: {}",
                    known.join(", ")
                ));
            };
            for dependency in &step.depends_on {
                if let NodeKey::Step(needed) = dependency {
                    queue.push(needed.clone());
                }
            }
            wanted.insert(id);
        }
        self.steps.retain(|step| wanted.contains(&step.id));
        for step in &mut self.steps {
            step.depends_on
                .retain(|node| matches!(node, NodeKey::Step(_)));
            // A step named to run runs: its stack conditions speak of what a deploy did to
            // stacks, and this run deploys none (the way to run a `when: {created: ...}` seed
            // whose deploy died before it ran).
            if ids.contains(&step.id) {
                step.when
                    .retain(|condition| !matches!(condition, Condition::Stack { .. }));
            }
        }
        self.stacks.clear();
        self.order
            .retain(|node| matches!(node, NodeKey::Step(id) if wanted.contains(id)));
        Ok(self)
    }

    /// The plan `drift` checks: the stacks named (all when none is), the steps named (all
    /// when none is) and the steps they read; only one side when only that side is named.
    /// Nothing is deployed, so stacks need no inputs and steps read the deployed outputs:
    /// the only edges left are between steps.
    pub fn for_drift(self, stacks: &[String], steps: &[String]) -> Result<Plan, String> {
        let (check_stacks, check_steps) = match (stacks.is_empty(), steps.is_empty()) {
            (true, true) => (true, true),
            (false, true) => (true, false),
            (true, false) => (false, true),
            (false, false) => (true, true),
        };
        for name in stacks {
            if self.stack(name).is_none() {
                let known: Vec<&str> = self.stacks.iter().map(|s| s.name.as_str()).collect();
                return Err(format!(
                    "no stack named `{name}`; stacks: {}",
                    known.join(", ")
                ));
            }
        }
        let mut kept_stacks: Vec<StackPlan> = self.stacks.clone();
        kept_stacks
            .retain(|stack| check_stacks && (stacks.is_empty() || stacks.contains(&stack.name)));
        for stack in &mut kept_stacks {
            stack.depends_on.clear();
            stack.parameters.clear();
            stack.tags.clear();
        }
        let mut plan = if check_steps {
            let mut plan = self.only_steps(steps)?;
            // Drift checks what a step declares whatever this run did: `when:` does not apply.
            for step in &mut plan.steps {
                step.when.clear();
            }
            plan
        } else {
            let mut plan = self;
            plan.steps.clear();
            plan.order.clear();
            plan
        };
        let mut order: Vec<NodeKey> = kept_stacks
            .iter()
            .map(|stack| NodeKey::Stack(stack.name.clone()))
            .collect();
        order.append(&mut plan.order);
        plan.order = order;
        plan.stacks = kept_stacks;
        Ok(plan)
    }

    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&StepPlan> {
        self.steps.iter().find(|step| step.id == id)
    }

    /// What the node must wait for.
    pub fn depends_on(&self, node: &NodeKey) -> &[NodeKey] {
        match node {
            NodeKey::Stack(name) => self.stack(name).map_or(&[], |s| &s.depends_on),
            NodeKey::Step(id) => self.step(id).map_or(&[], |s| &s.depends_on),
        }
    }
}

/// A node of the plan's graph: a stack by name or a step by id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeKey {
    Stack(String),
    Step(String),
}

impl NodeKey {
    /// The stack's name or the step's id.
    pub fn name(&self) -> &str {
        match self {
            NodeKey::Stack(name) | NodeKey::Step(name) => name,
        }
    }
}

impl fmt::Display for NodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeKey::Stack(name) => write!(f, "stack `{name}`"),
            NodeKey::Step(id) => write!(f, "step `{id}`"),
        }
    }
}

/// One stack, ready to deploy once its dependencies have outputs.
#[derive(Debug, Clone)]
pub struct StackPlan {
    pub name: String,
    /// The template file, as the user should see it.
    pub template_file: PathBuf,
    /// The template text, sent as written.
    pub template_body: String,
    pub parameters: Vec<(String, PlannedValue)>,
    pub tags: Vec<(String, PlannedValue)>,
    pub capabilities: Vec<Capability>,
    /// The parameters the template declares, for comparing with what is deployed.
    pub template_parameters: IndexMap<String, TemplateParameter>,
    /// The resources the template declares (logical id, type), for a plan of a new stack.
    pub template_resources: Vec<(String, String)>,
    /// Nodes that must finish first (explicit and implied by references).
    pub depends_on: Vec<NodeKey>,
}

/// One post-deploy step, validated against the models, with its derivations made.
#[derive(Debug, Clone)]
pub struct StepPlan {
    pub id: String,
    /// The step file, as the user should see it.
    pub file: PathBuf,
    pub service: String,
    pub operation: String,
    /// The apply operation's input.
    pub input: ValueTemplate,
    /// How to tell the step is in sync; `None` makes it an action.
    pub check: Option<CheckPlan>,
    pub when: Vec<Condition>,
    pub depends_on: Vec<NodeKey>,
    /// How long the re-check may take to see the applied state.
    pub timeout: Duration,
    /// Extra attempts of the whole step after an AWS error.
    pub retries: u32,
    /// Whether its values must never print: `secret: true`, a secret input, or a read with
    /// decryption.
    pub secret: bool,
    /// What was derived from the models rather than written, one line each, for
    /// `validate --explain`.
    pub derived: Vec<String>,
}

impl StepPlan {
    /// `service:Operation` of the apply call.
    pub fn call(&self) -> String {
        format!("{}:{}", self.service, self.operation)
    }
}

/// A step's check: a read operation and what its result must hold.
#[derive(Debug, Clone)]
pub struct CheckPlan {
    pub service: String,
    pub operation: String,
    pub input: ValueTemplate,
    /// JMESPath on the check's result -> the expected value.
    pub expect: Vec<(String, ValueTemplate)>,
}

impl CheckPlan {
    /// `service:Operation` of the check call.
    pub fn call(&self) -> String {
        format!("{}:{}", self.service, self.operation)
    }
}

/// One condition of a step's `when:`; the step runs when all hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// This run left the stack in one of these outcomes (`created`, `updated`, `unchanged`).
    Stack {
        stack: String,
        outcomes: Vec<StackChange>,
    },
    /// The value is truthy: not empty, `false`, `0` or null.
    Truthy(ValueTemplate),
}

/// What a run did to a stack, as `when:` reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackChange {
    Created,
    Updated,
    Unchanged,
}

impl StackChange {
    pub fn label(self) -> &'static str {
        match self {
            StackChange::Created => "created",
            StackChange::Updated => "updated",
            StackChange::Unchanged => "unchanged",
        }
    }
}

/// A value that may still need other stacks' outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedValue {
    pub parts: Vec<Part>,
    /// Whether the value must never print (a secret env var, or a NoEcho parameter).
    pub secret: bool,
}

/// A piece of a planned value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Output {
        stack: String,
        output: String,
    },
    /// A JMESPath expression on a step's result.
    Step {
        id: String,
        path: String,
    },
}

impl Part {
    /// The node this part reads from, if any.
    pub fn source(&self) -> Option<NodeKey> {
        match self {
            Part::Text(_) => None,
            Part::Output { stack, .. } => Some(NodeKey::Stack(stack.clone())),
            Part::Step { id, .. } => Some(NodeKey::Step(id.clone())),
        }
    }
}

impl PlannedValue {
    /// The final text, with outputs and step results filled in.
    pub fn resolve(&self, store: &ValueStore) -> Result<String, MissingValue> {
        let mut text = String::new();
        for part in &self.parts {
            text.push_str(&store.text(part)?);
        }
        Ok(text)
    }
}
