//! The architecture's one-way flow, checked: `cli -> project -> plan -> run/deploy -> events
//! -> report`, with `aws` a leaf. A module may name only the modules this table allows;
//! `commands` and the crate root wire everything together and may name anything.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each top-level module and the crate modules it may use (itself always allowed).
const ALLOWED: &[(&str, &[&str])] = &[
    ("aws", &[]),
    ("escape", &[]),
    ("redact", &["escape"]),
    ("events", &[]),
    ("exit_code", &[]),
    ("project", &[]),
    ("plan", &["project", "redact", "duration"]),
    ("cloudformation", &["aws", "events"]),
    ("deploy", &["aws", "cloudformation", "events", "plan"]),
    ("steps", &["aws", "events", "plan"]),
    ("run", &["deploy", "steps", "events", "plan", "redact"]),
    ("report", &["escape", "events", "redact"]),
    ("cli", &["duration"]),
    ("duration", &[]),
    ("error", &["project"]),
    ("logging", &["redact"]),
];

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// `crate::<name>` references in `text`.
fn crate_references(text: &str) -> BTreeSet<String> {
    text.match_indices("crate::")
        .map(|(at, _)| {
            text[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn every_module_only_uses_modules_to_its_left() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    let mut checked = 0;
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let module = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let Some((_, allowed)) = ALLOWED.iter().find(|(name, _)| *name == module) else {
            continue;
        };
        checked += 1;
        let text = std::fs::read_to_string(&file).unwrap();
        for used in crate_references(&text) {
            if used != module && !allowed.contains(&used.as_str()) {
                violations.push(format!("{} uses crate::{used}", relative.display()));
            }
        }
    }
    assert!(
        checked > 40,
        "the scan found only {checked} files under the layered modules"
    );
    assert!(
        violations.is_empty(),
        "back-edges in the module graph:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_reference_scan_sees_nested_and_grouped_uses() {
    let text = "use crate::events::{A, B};\nfn f() { crate::aws::invoke::call(); }\n";
    assert_eq!(
        crate_references(text),
        BTreeSet::from(["aws".to_string(), "events".to_string()])
    );
}
