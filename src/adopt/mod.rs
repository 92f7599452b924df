//! Adopting what a team already has: deployed stacks written out as a gapfill project
//! ([`stacks`]), and a shell script of AWS CLI calls as a post-deploy step file ([`script`]).
//! Pure: it turns what AWS answered (or a script) into files; the command reads and writes.

pub mod script;
pub mod stacks;

pub use stacks::{project_files, ImportedStack, ProjectFiles};
