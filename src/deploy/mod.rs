//! Stage 3a: deploying one CloudFormation stack through a change set, emitting events. The
//! CloudFormation calls themselves are in `crate::cloudformation`.

pub mod artifacts;
pub mod compare;
pub mod poll;
pub mod settle;
pub mod stack;
pub mod watch;

pub use stack::{DeployOptions, StackDeploy, StackInput, StackResult};
