//! What building a plan needs to know of the AWS API models, as a trait the caller injects:
//! `plan` checks operations and inputs and derives checks without importing the AWS client.

use serde_json::Value;

/// Read access to the service models.
pub trait Models {
    /// Whether `service:operation` exists; when not, why and the names to suggest from.
    fn operation(&self, service: &str, operation: &str) -> Result<(), UnknownOperation>;

    /// Problems of `input` against the operation's input shape. Paths in `open` hold values
    /// not known before the run (step results): their type is not checked.
    fn validate_input(
        &self,
        service: &str,
        operation: &str,
        input: &Value,
        open: &[String],
    ) -> Vec<InputProblem>;

    /// The top-level members of the operation's input shape.
    fn input_members(&self, service: &str, operation: &str) -> Vec<String>;

    /// Where a value set at `input_path` of another operation's input comes back in this
    /// operation's output, as a JMESPath expression; `None` when the output does not hold it.
    fn output_path(&self, service: &str, operation: &str, input_path: &[String]) -> Option<String>;

    /// Whether a plain member path (`A.B.C`) can exist in the operation's output; `None`
    /// when the expression is more than a member path and cannot be told.
    fn output_has(&self, service: &str, operation: &str, path: &str) -> Option<bool>;

    /// The one read operation that shows what `operation` sets (PutX -> GetX), or why there
    /// is none.
    fn read_operation(&self, service: &str, operation: &str) -> Result<String, String>;
}

/// An operation or service the models do not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownOperation {
    pub message: String,
    /// Names close to what was written, for a did-you-mean.
    pub known: Vec<String>,
}

/// One problem with an input, at a member path such as `Attributes.Policy` or `Items[2].Name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    pub path: String,
    /// The member the problem is about, when it is one (an unknown member): the diagnostic
    /// then points at its key.
    pub member: Option<String>,
    pub message: String,
}
