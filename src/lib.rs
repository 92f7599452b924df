//! gapfill: deploy CloudFormation stacks, then fill the gap.

pub mod aws;
pub mod plan;
pub mod project;
pub mod redact;
