//! Post-deploy step files: the globs of `post-deploy:` expanded, each file read and parsed
//! into typed steps, with positions kept for every later check.
//!
//! A step file is `steps: [...]`. `input`, `check` and `when` stay YAML values here: their
//! meaning (operations, shapes, references, derivations) is checked by `plan`, which knows the
//! models and can point at each value.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::diagnostic::{display_path, Diagnostic, Diagnostics};
use super::load::Project;
use super::source::{read_text, NotText, Source};
use super::template::yaml_diagnostic;
use super::yaml_rules::{self, Dialect};

/// One step file, parsed.
#[derive(Debug)]
pub struct StepFile {
    pub source: Source,
    pub steps: Vec<StepSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepsDocument {
    steps: Vec<StepSpec>,
}

/// One post-deploy step, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// Unique across the project; other steps and stacks reference it as `${steps.<id>.<path>}`.
    pub id: String,
    /// The apply operation, `service:Operation`.
    pub call: String,
    /// The apply operation's input (references allowed in any string).
    #[serde(default)]
    pub input: Option<serde_yaml::Value>,
    /// `auto`, or `{call, input, expect}` (each part may be derived): how to tell the step is
    /// in sync. Without it the step is an action.
    #[serde(default)]
    pub check: Option<serde_yaml::Value>,
    /// Stacks and steps that must finish first, beyond those references imply.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// When the step runs at all: `{created: STACK}`, `{updated: ...}`, `{changed: ...}`,
    /// `{unchanged: ...}`, `{if: VALUE}`.
    #[serde(default)]
    pub when: Option<serde_yaml::Value>,
    /// How long the step may take to converge after applying (`30s`, `5m`).
    #[serde(default)]
    pub timeout: Option<String>,
    /// Extra attempts of the whole step after an AWS error (throttling and transient errors
    /// are already retried per call).
    #[serde(default)]
    pub retries: Option<u32>,
    /// Every value the step sets or reads is secret.
    #[serde(default)]
    pub secret: bool,
}

/// Expands the project's `post-deploy:` globs and reads every file they match, once each,
/// in glob order and then by file name.
pub fn load_all(project: &Project) -> Result<Vec<StepFile>, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let mut files = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for (index, pattern) in project.spec.post_deploy.iter().enumerate() {
        let position = index.to_string();
        let path = ["post-deploy", position.as_str()];
        let matched = match expand(&project.dir, pattern) {
            Ok(matched) if matched.is_empty() => {
                let diagnostic = project
                    .diagnostic(&path, false, format!("`{pattern}` matches no file"))
                    .hint("paths and globs are relative to the project file, e.g. `post-deploy/*.yaml`");
                diagnostics.push(diagnostic);
                continue;
            }
            Ok(matched) => matched,
            Err(message) => {
                let diagnostic = project.diagnostic(&path, false, message).hint(
                    "paths and globs are relative to the project file, e.g. `post-deploy/*.yaml`",
                );
                diagnostics.push(diagnostic);
                continue;
            }
        };
        for file in matched {
            if seen.contains(&file) {
                continue;
            }
            seen.push(file.clone());
            match read(&file) {
                Ok(step_file) => files.push(step_file),
                Err(found) => diagnostics.0.extend(found),
            }
        }
    }
    diagnostics.into_result(files)
}

fn read(path: &Path) -> Result<StepFile, Vec<Diagnostic>> {
    let shown = display_path(path);
    let text = read_text(path, &shown, "step file").map_err(|error| match error {
        NotText::Unreadable(error) => vec![Diagnostic::file(
            &shown,
            format!("cannot read the step file: {error}"),
        )],
        NotText::Bytes(diagnostic) => vec![diagnostic],
    })?;
    let source = Source::new(shown, text);
    let rules = yaml_rules::check(&source, Dialect::Gapfill);
    let document: StepsDocument = serde_yaml::from_str(&source.text).map_err(|error| {
        // With a merge key, serde's error is about the `<<` it read as a key: say only why.
        if !rules.is_empty() {
            return rules.clone();
        }
        vec![
            yaml_diagnostic(&source.file, &source.text, &error, "invalid step file").hint(
                "a step file is `steps:` followed by a list of steps, each with `id` and `call`",
            ),
        ]
    })?;
    if !rules.is_empty() {
        // The steps parsed, but not as written (a key twice, a tag dropped): never run them.
        return Err(rules);
    }
    Ok(StepFile {
        source,
        steps: document.steps,
    })
}

/// The files `pattern` names below `dir`: a path, or a path whose last part has `*` or `?`
/// wildcards (sorted by name).
fn expand(dir: &Path, pattern: &str) -> Result<Vec<PathBuf>, String> {
    let full = dir.join(pattern);
    let name = full
        .file_name()
        .map(|name| name.to_string_lossy().to_string())
        .unwrap_or_default();
    let parent = full.parent().map(Path::to_path_buf).unwrap_or_default();
    if parent.to_string_lossy().contains(['*', '?']) {
        return Err(format!(
            "`{pattern}`: wildcards are supported in the file name only"
        ));
    }
    if !name.contains(['*', '?']) {
        return Ok(if full.is_file() {
            vec![full]
        } else {
            Vec::new()
        });
    }
    if !parent.is_dir() {
        let folder = Path::new(pattern).parent().unwrap_or(Path::new(""));
        return Err(format!(
            "`{pattern}` matches no file: there is no directory `{}`",
            folder.display()
        ));
    }
    let entries = std::fs::read_dir(&parent)
        .map_err(|error| format!("cannot list `{}`: {error}", parent.display()))?;
    let mut matched: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .filter(|path| {
            path.file_name()
                .is_some_and(|file| wildcard_match(&name, &file.to_string_lossy()))
        })
        .collect();
    matched.sort();
    Ok(matched)
}

/// Shell-style matching of `*` (any run of characters) and `?` (one character).
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    // Classic two-pointer match with backtracking to the last `*`.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_a_shell() {
        assert!(wildcard_match("*.yaml", "concurrency.yaml"));
        assert!(!wildcard_match("*.yaml", "concurrency.yml"));
        assert!(wildcard_match("a?c*", "abc"));
        assert!(wildcard_match("*a*b", "xxaxxb"));
        assert!(!wildcard_match("*a*b", "xxaxxbc"));
    }

    #[test]
    fn expands_a_glob_sorted_and_a_plain_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("steps")).unwrap();
        for name in ["b.yaml", "a.yaml", "notes.txt"] {
            std::fs::write(dir.path().join("steps").join(name), "steps: []\n").unwrap();
        }
        let found = expand(dir.path(), "steps/*.yaml").unwrap();
        let names: Vec<String> = found
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
            .collect();
        assert_eq!(names, ["a.yaml", "b.yaml"]);
        assert_eq!(expand(dir.path(), "steps/b.yaml").unwrap().len(), 1);
        assert!(expand(dir.path(), "steps/none.yaml").unwrap().is_empty());
        assert!(expand(dir.path(), "*/a.yaml").is_err());
    }
}
