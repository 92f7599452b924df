//! Which reporter a run uses, decided once, from facts passed in rather than queried, so the
//! decision is testable.
//!
//! | `--format` | terminal | CI env | reporter |
//! |------------|----------|--------|----------|
//! | `auto`     | yes      | no     | Live     |
//! | `auto`     | yes      | yes    | Lines    |
//! | `auto`     | no       | any    | Lines    |
//! | `live`     | any      | any    | Live     |
//! | `plain`    | any      | any    | Lines    |
//! | `json`     | any      | any    | Json     |
//! | `markdown` | any      | any    | Markdown |

/// The reporter to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// One row per stack and per step, updated in place; events scroll above.
    Live,
    /// Plain timestamped lines, one per event; no control codes.
    Lines,
    /// JSON Lines.
    Json,
    /// One Markdown document, written when the run is over.
    Markdown,
}

/// What the user asked for with `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    Auto,
    Live,
    Plain,
    Json,
    Markdown,
}

/// Applies the table above.
pub fn resolve(requested: Requested, is_terminal: bool, is_ci: bool) -> Display {
    match requested {
        Requested::Auto if is_terminal && !is_ci => Display::Live,
        Requested::Auto | Requested::Plain => Display::Lines,
        Requested::Live => Display::Live,
        Requested::Json => Display::Json,
        Requested::Markdown => Display::Markdown,
    }
}

/// Whether the environment says this is a CI job (CircleCI, GitHub Actions and most others
/// set `CI`).
pub fn is_ci(env: &dyn Fn(&str) -> Option<String>) -> bool {
    [
        "CI",
        "CIRCLECI",
        "GITHUB_ACTIONS",
        "BUILDKITE",
        "GITLAB_CI",
        "JENKINS_URL",
    ]
    .iter()
    .any(|name| env(name).is_some_and(|value| !value.is_empty() && value != "false"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_is_live_only_on_a_terminal_outside_ci() {
        assert_eq!(resolve(Requested::Auto, true, false), Display::Live);
        assert_eq!(resolve(Requested::Auto, true, true), Display::Lines);
        assert_eq!(resolve(Requested::Auto, false, false), Display::Lines);
        assert_eq!(resolve(Requested::Json, true, false), Display::Json);
        assert_eq!(resolve(Requested::Plain, true, false), Display::Lines);
        assert_eq!(resolve(Requested::Markdown, true, false), Display::Markdown);
        assert_eq!(resolve(Requested::Markdown, false, true), Display::Markdown);
    }

    #[test]
    fn recognises_ci_from_the_environment() {
        assert!(is_ci(
            &|name| (name == "CIRCLECI").then(|| "true".to_string())
        ));
        assert!(!is_ci(&|name| (name == "CI").then(|| "false".to_string())));
        assert!(!is_ci(&|_| None));
    }
}
