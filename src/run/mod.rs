//! Stage 3: the scheduler over the plan's one graph of stacks and steps. Runs every node whose
//! dependencies are done, up to a concurrency limit, through an [`Engine`] that does the work
//! of each kind; a failure stops its dependents, never unrelated nodes. The run's start and
//! finish events and its counts live here.

pub mod engine;
pub mod inputs;
pub mod scheduler;

pub use engine::{DeployEngine, DriftEngine, Engine, NodeResult, NodeWork, PlanEngine};
pub use scheduler::{execute, RunResult};
