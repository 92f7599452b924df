//! [`error_chain`]: an error and its causes as one line, for messages that must say why
//! (a transport failure, a credentials provider, the SDK). Its own module so the error types
//! that use it and the code that raises them import it without importing each other.

/// An error and its sources joined with ": ", each cause once (many errors repeat their
/// source in their own message; reqwest's top level is often just "error sending request").
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{message}")]
    struct Layer {
        message: &'static str,
        #[source]
        source: Option<Box<Layer>>,
    }

    #[test]
    fn joins_each_cause_once() {
        let inner = Layer {
            message: "connection refused",
            source: None,
        };
        let middle = Layer {
            message: "error sending request: connection refused",
            source: Some(Box::new(inner)),
        };
        let outer = Layer {
            message: "dispatch failure",
            source: Some(Box::new(middle)),
        };
        assert_eq!(
            error_chain(&outer),
            "dispatch failure: error sending request: connection refused"
        );
    }
}
