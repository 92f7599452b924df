//! The errors a command ends with, each with what a good message needs.

use std::fmt;

use crate::project::Diagnostics;

/// Why a command could not do its job.
#[derive(Debug)]
pub enum Error {
    /// Problems in what the user wrote; nothing was done.
    Project(Diagnostics),
    /// Anything else: a lowercase message that fits after "error: ", and hints.
    Message { message: String, hints: Vec<String> },
    /// Whoever read our output went away (`gapfill outputs | head -1`): not an error.
    BrokenPipe,
}

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error::Message {
            message: message.into(),
            hints: Vec::new(),
        }
    }

    /// An error writing the command's output.
    pub fn output(error: std::io::Error) -> Error {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            return Error::BrokenPipe;
        }
        Error::new(format!("cannot write output: {error}"))
    }

    pub fn hint(self, hint: impl Into<String>) -> Error {
        match self {
            Error::Message { message, mut hints } => {
                hints.push(hint.into());
                Error::Message { message, hints }
            }
            other => other,
        }
    }
}

impl From<Diagnostics> for Error {
    fn from(diagnostics: Diagnostics) -> Error {
        Error::Project(diagnostics)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Project(diagnostics) => write!(f, "{diagnostics}"),
            Error::BrokenPipe => write!(f, "error: the output was closed"),
            Error::Message { message, hints } => {
                write!(f, "error: {message}")?;
                for hint in hints {
                    write!(f, "\n  = hint: {hint}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_pipe_is_not_an_error_but_other_write_failures_are() {
        let closed = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(matches!(Error::output(closed), Error::BrokenPipe));
        let full = std::io::Error::other("disk full");
        assert_eq!(
            Error::output(full).to_string(),
            "error: cannot write output: disk full"
        );
    }
}
