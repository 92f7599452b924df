//! gapfill: deploy CloudFormation stacks, then fill the gap.

pub mod aws;
