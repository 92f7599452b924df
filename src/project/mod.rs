//! Stage 1: what the user wrote. Reads `gapfill.yaml` and the templates it names, keeping
//! positions so that every later error can name file, line and column.

pub mod diagnostic;
pub mod file;
pub mod load;
pub mod refs;
pub mod spans;
pub mod template;

pub use diagnostic::{Diagnostic, Diagnostics};
pub use load::{load, Project};
