//! Secret values and their redaction.
//!
//! Every value that must never print (env vars listed under `secrets:`, values fed to `NoEcho`
//! parameters) is registered here; every output path (reporters, error messages, logs) passes
//! its text through [`Redactor::redact`]. One shared registry, so a secret learned while
//! deploying (a NoEcho value resolved from another stack's output) is hidden from then on.

use std::borrow::Cow;
use std::sync::{Arc, RwLock};

/// What a secret prints as.
pub const MASK: &str = "****";

/// A shared, growing set of secret values.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<String>>>,
}

impl Redactor {
    /// Registers a secret value; empty values are ignored (they would mask everything).
    pub fn add(&self, value: &str) {
        if value.is_empty() {
            return;
        }
        let Ok(mut secrets) = self.secrets.write() else {
            return;
        };
        if !secrets.iter().any(|known| known == value) {
            secrets.push(value.to_string());
            // Longest first, so a secret that contains another is masked whole.
            secrets.sort_by_key(|known| std::cmp::Reverse(known.len()));
        }
    }

    /// `text` with every registered secret replaced by [`MASK`].
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let Ok(secrets) = self.secrets.read() else {
            return Cow::Borrowed(MASK);
        };
        let mut result = Cow::Borrowed(text);
        for secret in secrets.iter() {
            if result.contains(secret.as_str()) {
                result = Cow::Owned(result.replace(secret.as_str(), MASK));
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_occurrence_of_every_secret_longest_first() {
        let redactor = Redactor::default();
        redactor.add("hunter2");
        redactor.add("hunter2-extra");
        redactor.add("");
        assert_eq!(
            redactor.redact("a hunter2-extra b hunter2"),
            "a **** b ****"
        );
        assert_eq!(redactor.redact("nothing secret"), "nothing secret");
    }

    #[test]
    fn clones_share_one_registry() {
        let redactor = Redactor::default();
        let reporter_side = redactor.clone();
        redactor.add("s3cr3t");
        assert_eq!(reporter_side.redact("token=s3cr3t"), "token=****");
    }
}
