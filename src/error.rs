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
}

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error::Message {
            message: message.into(),
            hints: Vec::new(),
        }
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
