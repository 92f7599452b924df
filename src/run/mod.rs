//! Stage 3: the scheduler over the plan's graph. Runs every node whose dependencies are done,
//! up to a concurrency limit; a failure stops its dependents, never unrelated nodes.

pub mod stacks;

pub use stacks::{deploy_stacks, DeployRun};
