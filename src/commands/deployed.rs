//! What is deployed, for commands that run steps without deploying their stacks
//! (`deploy --only-steps`, `drift`, `plan`): the outputs of the stacks of the project, read
//! concurrently (a few DescribeStacks at a time, within CloudFormation's rate limits).

use std::collections::HashMap;

use tokio::task::JoinSet;

use crate::cloudformation::{Cfn, DeployedStack};
use crate::error::Error;
use crate::plan::{Plan, ValueStore};

/// DescribeStacks calls in flight at once.
const CONCURRENT_READS: usize = 4;

/// The outputs of every stack as deployed; a stack that is not deployed is an error naming
/// it. Outputs that feed secrets are registered as secrets as they are read.
pub async fn deployed_values(plan: &Plan, cfn: &Cfn) -> Result<ValueStore, Error> {
    let mut known = ValueStore::default();
    for (name, found) in read_all(plan, cfn).await? {
        let deployed = found.ok_or_else(|| {
            Error::new(format!("stack `{name}` is not deployed"))
                .hint("steps run against deployed stacks: run `gapfill deploy` first")
        })?;
        plan.register_secret_outputs(&name, &deployed.outputs);
        known.outputs.insert(name, deployed.outputs);
    }
    Ok(known)
}

/// The stacks that are deployed, by name, and their outputs; a stack not deployed yet is left
/// out (a plan shows it as created).
pub async fn existing_stacks(
    plan: &Plan,
    cfn: &Cfn,
) -> Result<(ValueStore, HashMap<String, DeployedStack>), Error> {
    let mut known = ValueStore::default();
    let mut deployed = HashMap::new();
    for (name, found) in read_all(plan, cfn).await? {
        if let Some(found) = found.filter(|found| found.status != "REVIEW_IN_PROGRESS") {
            plan.register_secret_outputs(&name, &found.outputs);
            known.outputs.insert(name.clone(), found.outputs.clone());
            deployed.insert(name, found);
        }
    }
    Ok((known, deployed))
}

/// Every stack of the plan as deployed (`None`: not deployed), in plan order.
async fn read_all(plan: &Plan, cfn: &Cfn) -> Result<Vec<(String, Option<DeployedStack>)>, Error> {
    let names: Vec<String> = plan.stacks.iter().map(|stack| stack.name.clone()).collect();
    let mut found: Vec<Option<Option<DeployedStack>>> = vec![None; names.len()];
    let mut reads = JoinSet::new();
    let mut next = 0;
    loop {
        while next < names.len() && reads.len() < CONCURRENT_READS {
            let (cfn, name, index) = (cfn.clone(), names[next].clone(), next);
            reads.spawn(async move { (index, cfn.describe(&name).await) });
            next += 1;
        }
        let Some(joined) = reads.join_next().await else {
            break;
        };
        let (index, result) = joined
            .map_err(|error| Error::new(format!("internal error reading stacks: {error}")))?;
        let stack = result.map_err(|error| {
            Error::new(format!("cannot read stack `{}`: {error}", names[index]))
        })?;
        found[index] = Some(stack);
    }
    Ok(names
        .into_iter()
        .zip(found)
        .map(|(name, stack)| (name, stack.flatten()))
        .collect())
}
