//! Whether a stack as deployed already equals what the project declares (template body,
//! parameters with template defaults, tags, capabilities): when it does, neither a deploy nor
//! a plan needs a change set. Reads only.

use std::collections::BTreeMap;

use crate::cloudformation::{Cfn, CfnError, DeployedStack};

use super::stack::StackInput;

/// Whether `stack` as deployed equals `input`. NoEcho parameters cannot be compared (AWS
/// answers `****`), so a template with one always takes a change set.
pub async fn matches_deployed(
    cfn: &Cfn,
    stack: &DeployedStack,
    input: &StackInput,
) -> Result<bool, CfnError> {
    if input.has_no_echo {
        return Ok(false);
    }
    let mut desired: BTreeMap<String, String> = input.defaults.clone();
    desired.extend(input.parameters.iter().cloned());
    let tags: BTreeMap<String, String> = input.tags.iter().cloned().collect();
    let mut capabilities = input.capabilities.clone();
    let mut deployed_capabilities = stack.capabilities.clone();
    capabilities.sort();
    deployed_capabilities.sort();
    if desired != stack.parameters || tags != stack.tags || capabilities != deployed_capabilities {
        return Ok(false);
    }
    let template = cfn.template(&input.name).await?;
    Ok(template.as_deref() == Some(input.template_body.as_str()))
}
