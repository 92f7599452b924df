//! Stage 2: what gapfill will do. The project resolved and validated into a graph of stacks
//! (and, later, steps), with every reference checked, before any AWS call.

mod build;
pub mod graph;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use indexmap::IndexMap;

pub use build::{build, INLINE_TEMPLATE_LIMIT, TEMPLATE_URL_LIMIT};

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
    /// Stacks that must be deployed first (explicit and implied by references), by name.
    pub depends_on: Vec<String>,
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
    Output { stack: String, output: String },
}

/// A referenced output that the deployed stack does not have (an output behind a condition,
/// or a template changed outside gapfill).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stack `{stack}` has no output `{output}` after deploying")]
pub struct MissingOutput {
    pub stack: String,
    pub output: String,
}

impl PlannedValue {
    /// The final text, with outputs filled in.
    pub fn resolve(&self, outputs: &StackOutputs) -> Result<String, MissingOutput> {
        let mut text = String::new();
        for part in &self.parts {
            match part {
                Part::Text(literal) => text.push_str(literal),
                Part::Output { stack, output } => {
                    let value = outputs
                        .get(stack)
                        .and_then(|values| values.get(output))
                        .ok_or_else(|| MissingOutput {
                            stack: stack.clone(),
                            output: output.clone(),
                        })?;
                    text.push_str(value);
                }
            }
        }
        Ok(text)
    }
}
