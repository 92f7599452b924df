//! The subcommands: each connects the stages (project -> plan -> run -> report) for one job.

pub mod call;
pub mod deploy;
pub mod deployed;
pub mod drift;
pub mod first_contact;
pub mod generate;
pub mod github;
pub mod import;
pub mod import_script;
pub mod interrupt;
pub mod outputs;
pub mod plan;
pub mod reporting;
pub mod session;
pub mod validate;
