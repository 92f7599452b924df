//! Secret values and their redaction.
//!
//! Every value that must never print (env vars listed under `secrets:`, values fed to `NoEcho`
//! parameters) is registered here; every output path (reporters, error messages, logs) passes
//! its text through [`Redactor::redact`]. One shared registry, so a secret learned while
//! deploying (a NoEcho value resolved from another stack's output) is hidden from then on.
//!
//! Observers ([`Redactor::observe`]) learn every value as it is registered: in GitHub Actions,
//! each becomes an `::add-mask::` line before anything can print it.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, RwLock};

use crate::escape;

/// What a secret prints as.
pub const MASK: &str = "****";

/// The shortest value treated as a secret.
pub const MIN_SECRET_LEN: usize = 4;

/// `value` as written, and as each output path may escape it.
fn escaped_forms(value: &str) -> Vec<String> {
    let quoted = |text: String| text[1..text.len() - 1].to_string();
    let mut forms = vec![
        value.to_string(),
        quoted(serde_json::Value::String(value.to_string()).to_string()),
        quoted(format!("{value:?}")),
        escape::xml(value),
        escape::shell_single_quoted(value),
        escape::dotenv_double_quoted(value),
        escape::markdown(value),
        escape::github_data(value),
        escape::github_property(value),
        percent_encoding::utf8_percent_encode(value, URL_RESERVED).to_string(),
    ];
    forms.sort();
    forms.dedup();
    forms
}

/// Everything but RFC 3986's unreserved characters, as AWS's query encoding does.
const URL_RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Called with each string the redactor learns to mask.
type Observer = Arc<dyn Fn(&str) + Send + Sync>;

/// The registry: what to mask, and who wants to know.
#[derive(Default)]
struct Registry {
    /// Every value and escaped form, longest first.
    secrets: Vec<String>,
    observers: Vec<Observer>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the values: a debug print of the redactor must not be the leak.
        f.debug_struct("Registry")
            .field("secrets", &self.secrets.len())
            .field("observers", &self.observers.len())
            .finish()
    }
}

/// A shared, growing set of secret values.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    registry: Arc<RwLock<Registry>>,
}

impl Redactor {
    /// Registers a secret value, and the forms it takes once escaped for JSON, Rust debug
    /// output, XML, shell and dotenv quoting, Markdown, GitHub workflow commands and URL
    /// encoding, so masking still finds it after a reporter or a log line has escaped it.
    /// Returns `false` for a value shorter than [`MIN_SECRET_LEN`]: masking every occurrence of
    /// one or two characters would mangle all output (and reveal the secret by what it hides),
    /// so such a value is not registered. Observers hear of each form not known before, before
    /// this returns.
    pub fn add(&self, value: &str) -> bool {
        if value.chars().count() < MIN_SECRET_LEN {
            return false;
        }
        let (new, observers) = {
            let Ok(mut registry) = self.registry.write() else {
                return true;
            };
            let mut forms = escaped_forms(value);
            // The value as written first: observers hear of it before its escaped forms.
            forms.sort_by_key(|form| form != value);
            let new: Vec<String> = forms
                .into_iter()
                .filter(|form| !registry.secrets.contains(form))
                .collect();
            registry.secrets.extend(new.iter().cloned());
            // Longest first, so a secret that contains another is masked whole.
            registry
                .secrets
                .sort_by_key(|known| std::cmp::Reverse(known.len()));
            (new, registry.observers.clone())
        };
        // Outside the lock: an observer may print, and printing redacts.
        for form in &new {
            for observer in &observers {
                observer(form);
            }
        }
        true
    }

    /// Calls `observer` with every string this redactor masks: those registered so far at
    /// once, then each new one as [`Redactor::add`] registers it (a value and each of its
    /// escaped forms).
    pub fn observe(&self, observer: impl Fn(&str) + Send + Sync + 'static) {
        let observer: Observer = Arc::new(observer);
        let known = {
            let Ok(mut registry) = self.registry.write() else {
                return;
            };
            registry.observers.push(Arc::clone(&observer));
            registry.secrets.clone()
        };
        for form in &known {
            observer(form);
        }
    }

    /// `text` with every registered secret replaced by [`MASK`].
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let Ok(registry) = self.registry.read() else {
            return Cow::Borrowed(MASK);
        };
        let mut result = Cow::Borrowed(text);
        for secret in registry.secrets.iter() {
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
        assert!(!redactor.add(""));
        assert_eq!(
            redactor.redact("a hunter2-extra b hunter2"),
            "a **** b ****"
        );
        assert_eq!(redactor.redact("nothing secret"), "nothing secret");
    }

    #[test]
    fn masks_a_secret_after_json_dotenv_shell_xml_markdown_or_url_escaping() {
        let redactor = Redactor::default();
        assert!(redactor.add(r#"p@ss"w+rd/x='&"#));
        for escaped in [
            r#"{"v":"p@ss\"w+rd/x='&"}"#,
            r#"V="p@ss\"w+rd/x='&""#,
            r#"export V='p@ss"w+rd/x='\''&'"#,
            "<V>p@ss&quot;w+rd/x=&apos;&amp;</V>",
            "V=p%40ss%22w%2Brd%2Fx%3D%27%26",
            r#"| V | p@ss"w+rd/x='\& |"#,
        ] {
            let masked = redactor.redact(escaped);
            assert!(masked.contains(MASK), "{escaped} -> {masked}");
            assert!(
                !masked.contains("w+rd") && !masked.contains("w%2Brd"),
                "{escaped} -> {masked}"
            );
        }
    }

    #[test]
    fn refuses_values_too_short_to_mask_without_mangling_output() {
        let redactor = Redactor::default();
        assert!(!redactor.add("1"));
        assert!(!redactor.add("abc"));
        assert_eq!(
            redactor.redact(r#"{"elapsed_ms":1203}"#),
            r#"{"elapsed_ms":1203}"#
        );
    }

    #[test]
    fn observers_hear_of_known_and_new_secrets_once_each_form() {
        let redactor = Redactor::default();
        redactor.add("first-secret");
        let heard = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let sink = Arc::clone(&heard);
        redactor.observe(move |form| sink.lock().unwrap().push(form.to_string()));
        assert_eq!(*heard.lock().unwrap(), ["first-secret"]);
        redactor.add("100%,sure");
        redactor.add("100%,sure");
        redactor.add("abc");
        let heard = heard.lock().unwrap().clone();
        assert!(heard.contains(&"100%,sure".to_string()), "{heard:?}");
        assert!(heard.contains(&"100%25%2Csure".to_string()), "{heard:?}");
        let mut unique = heard.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), heard.len(), "each form once: {heard:?}");
        assert!(!format!("{redactor:?}").contains("first-secret"));
    }

    #[test]
    fn clones_share_one_registry() {
        let redactor = Redactor::default();
        let reporter_side = redactor.clone();
        redactor.add("s3cr3t");
        assert_eq!(reporter_side.redact("token=s3cr3t"), "token=****");
    }
}
