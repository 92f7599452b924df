//! A saved plan (`gapfill plan --save FILE`): per stack, what the reviewed plan would do and
//! the change set it kept, with a fingerprint of what the project declared for the stack, so
//! `gapfill deploy --plan FILE` executes exactly those change sets and refuses a stack whose
//! template, parameters, tags or capabilities changed since.
//!
//! The fingerprint covers the template body, capabilities, and every parameter and tag as
//! written (references as references, env values as read) except secret values, which never
//! reach the file in any form: a secret changed since the plan is not detected, and the kept
//! change set carries the value it was created with.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Part, PlannedValue, StackPlan};

/// The file's format version.
pub const FORMAT_VERSION: u32 = 1;

/// A reviewed plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format_version: u32,
    pub project: String,
    pub created_at: String,
    pub stacks: Vec<SavedStack>,
}

/// One stack of a reviewed plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedStack {
    pub stack: String,
    pub action: SavedAction,
    /// The kept change set's id (its ARN), for a create or an update.
    pub change_set: Option<String>,
    pub fingerprint: String,
}

/// What the reviewed plan would do to a stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SavedAction {
    Create,
    Update,
    /// Nothing: the stack equals what the project declares.
    None,
    /// Its parameters read outputs of a stack not deployed yet: no change set could be made.
    Undecided,
}

impl SavedPlan {
    pub fn stack(&self, name: &str) -> Option<&SavedStack> {
        self.stacks.iter().find(|stack| stack.stack == name)
    }
}

/// What the project declares for `stack`, as a digest (see the module doc for what it covers).
pub fn fingerprint(stack: &StackPlan) -> String {
    let mut hasher = Sha256::new();
    let mut field = |label: &str, text: &str| {
        hasher.update(label.as_bytes());
        hasher.update((text.len() as u64).to_be_bytes());
        hasher.update(text.as_bytes());
    };
    field("template", &stack.template_body);
    for capability in &stack.capabilities {
        field("capability", capability.as_str());
    }
    for (kind, values) in [("parameter", &stack.parameters), ("tag", &stack.tags)] {
        for (key, value) in values {
            field(kind, key);
            field("value", &declared(value));
        }
    }
    hex::encode(hasher.finalize())
}

/// A value as declared: references as references, a secret as a marker.
fn declared(value: &PlannedValue) -> String {
    if value.secret {
        return "<secret>".to_string();
    }
    value
        .parts
        .iter()
        .map(|part| match part {
            Part::Text(text) => text.clone(),
            Part::Output { stack, output } => format!("${{{stack}.{output}}}"),
            Part::Step { id, path } => format!("${{steps.{id}.{path}}}"),
        })
        .collect()
}
