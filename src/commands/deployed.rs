//! What is deployed, for commands that run steps without deploying their stacks
//! (`deploy --only-steps`, `drift`): the outputs of every stack of the project.

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
