//! What is deployed, for commands that run steps without deploying their stacks
//! (`deploy --only-steps`, `drift`, `plan`): the outputs of the stacks of the project.

use std::collections::BTreeSet;

use crate::cloudformation::Cfn;
use crate::error::Error;
use crate::plan::{Plan, ValueStore};

/// The outputs of every stack as deployed; a stack that is not deployed is an error naming
/// it. Outputs that feed secrets are registered as secrets as they are read.
pub async fn deployed_values(plan: &Plan, cfn: &Cfn) -> Result<ValueStore, Error> {
    let mut known = ValueStore::default();
    for stack in &plan.stacks {
        let deployed = cfn
            .describe(&stack.name)
            .await
            .map_err(|error| Error::new(format!("cannot read stack `{}`: {error}", stack.name)))?
            .ok_or_else(|| {
                Error::new(format!("stack `{}` is not deployed", stack.name))
                    .hint("steps run against deployed stacks: run `gapfill deploy` first")
            })?;
        plan.register_secret_outputs(&stack.name, &deployed.outputs);
        known.outputs.insert(stack.name.clone(), deployed.outputs);
    }
    Ok(known)
}

/// The outputs of the stacks that are deployed, and their names; a stack not deployed yet is
/// left out (a plan shows it as created).
pub async fn existing_values(
    plan: &Plan,
    cfn: &Cfn,
) -> Result<(ValueStore, BTreeSet<String>), Error> {
    let mut known = ValueStore::default();
    let mut deployed = BTreeSet::new();
    for stack in &plan.stacks {
        let found = cfn
            .describe(&stack.name)
            .await
            .map_err(|error| Error::new(format!("cannot read stack `{}`: {error}", stack.name)))?;
        if let Some(found) = found.filter(|found| found.status != "REVIEW_IN_PROGRESS") {
            plan.register_secret_outputs(&stack.name, &found.outputs);
            known.outputs.insert(stack.name.clone(), found.outputs);
            deployed.insert(stack.name.clone());
        }
    }
    Ok((known, deployed))
}
