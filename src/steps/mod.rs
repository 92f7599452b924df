//! Stage 3b: post-deploy steps, one at a time: run the check, apply only what differs, then
//! re-check until the declared state shows (AWS is eventually consistent), emitting events.
//! Also the bridge from the AWS models to what `plan` asks of them ([`models`]).

pub mod compare;
pub mod models;
pub mod runner;

pub use models::CatalogModels;
pub use runner::{ResolvedCheck, StepInput, StepResult, StepRunner};
