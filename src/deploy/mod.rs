//! Stage 3a: deploying one CloudFormation stack through a change set, emitting events.

pub mod artifacts;
pub mod cfn;
pub mod poll;
pub mod stack;
pub mod status;

pub use cfn::Cfn;
pub use stack::{DeployOptions, StackDeploy, StackInput, StackResult};
