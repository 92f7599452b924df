//! Stage 3d: what a deploy would do to one stack, changing nothing that stays: a change set
//! created, described with its property-level details, and deleted (or kept for
//! `deploy --plan`). Step previews are the step's own check (`steps`).

pub mod stack;

pub use stack::{ChangeSetLedger, StackPreview};
