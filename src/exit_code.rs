//! gapfill's exit codes: three, each with one meaning, documented in `--help` and the README.

/// Success: deployed, in sync, or nothing to change.
pub const SUCCESS: i32 = 0;
/// An error: bad input or usage, a failed stack or step, an AWS error.
pub const ERROR: i32 = 1;
/// `drift`: drift was found. `plan`: changes are pending. Never used for errors.
pub const DIFFERENCES: i32 = 2;
