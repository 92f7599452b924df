//! gapfill: deploy CloudFormation stacks, then fill the gap.

pub mod aws;
pub mod deploy;
pub mod events;
pub mod plan;
pub mod project;
pub mod redact;
