//! Stage 3c: drift of one stack, as CloudFormation's drift detection sees it, with the
//! project's ignore rules applied. Step drift is the step's own check (`steps`); both run as
//! nodes of the same scheduler (`run`).

pub mod stack;

pub use stack::StackDrift;
