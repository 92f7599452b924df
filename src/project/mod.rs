//! Stage 1: what the user wrote. Reads `gapfill.yaml`, the templates and the post-deploy step
//! files it names, keeping positions so that every later error can name file, line and column.

pub mod diagnostic;
pub mod file;
pub mod limits;
pub mod load;
pub mod refs;
pub mod source;
pub mod spans;
pub mod steps;
pub mod template;
pub mod yaml_rules;

pub use diagnostic::{Diagnostic, Diagnostics};
pub use load::{load, Project};
pub use source::Source;
