//! CloudFormation through the AWS SDK: one thin wrapper per call ([`Cfn`]), change sets, stack
//! events, drift detection, and what each stack status means. Shared by `deploy` (settle,
//! execute, watch), `drift`, the `outputs` command, and the `plan` command to come.
//!
//! This module decides nothing: it never deletes, executes or rolls back on its own
//! initiative. Recovery logic lives in `deploy`, so side-effect-free previews can use this
//! module without sitting beside code that deletes stacks.

pub mod changeset;
pub mod client;
pub mod contact;
pub mod drift;
pub mod retries;
pub mod stack_events;
pub mod status;

pub use changeset::{
    is_empty_change_set, ChangeSetRequest, ChangeSetState, ChangeSetSummary, CreatedChangeSet,
};
pub use client::{Cfn, CfnError, DeployedStack};
pub use contact::ContactError;
pub use drift::Detection;
pub use status::Category;
