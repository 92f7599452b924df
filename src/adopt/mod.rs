//! Adopting what a team already has: deployed stacks written out as a gapfill project
//! ([`stacks`]). Pure: it turns what AWS answered into files; the command reads and writes.

pub mod stacks;

pub use stacks::{project_files, ImportedStack, ProjectFiles};
