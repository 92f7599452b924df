//! The architecture's one-way flow, checked: `cli -> project -> plan -> run/deploy -> events
//! -> report`, with `aws` a leaf and `cloudformation` just above it. A module may name only the
//! modules this table allows; `commands` and the crate root wire everything together and may
//! name anything. Every top-level module must be in the table: a new one fails the check until
//! its place in the flow is decided.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What a top-level module may use besides itself.
enum May {
    Use(&'static [&'static str]),
    UseAnything,
}

/// Each top-level module (a directory or a file under `src/`; the crate root files by file
/// name) and the crate modules it may use.
const LAYERS: &[(&str, May)] = &[
    // The crate root and the commands connect the stages; they are above every layer.
    ("lib.rs", May::UseAnything),
    ("main.rs", May::UseAnything),
    ("commands", May::UseAnything),
    ("aws", May::Use(&[])),
    ("adopt", May::Use(&["project"])),
    ("cloudformation", May::Use(&["aws", "events"])),
    ("escape", May::Use(&[])),
    ("redact", May::Use(&["escape"])),
    ("events", May::Use(&[])),
    ("exit_code", May::Use(&[])),
    ("project", May::Use(&[])),
    ("plan", May::Use(&["project", "redact", "duration"])),
    (
        "deploy",
        May::Use(&["aws", "cloudformation", "events", "plan"]),
    ),
    ("steps", May::Use(&["aws", "events", "plan"])),
    ("drift", May::Use(&["cloudformation", "events", "plan"])),
    ("preview", May::Use(&["cloudformation", "deploy", "events"])),
    (
        "run",
        May::Use(&[
            "cloudformation",
            "deploy",
            "drift",
            "preview",
            "steps",
            "events",
            "plan",
            "redact",
        ]),
    ),
    ("report", May::Use(&["escape", "events", "redact"])),
    ("cli", May::Use(&["duration"])),
    ("duration", May::Use(&[])),
    ("error", May::Use(&["project"])),
    ("logging", May::Use(&["redact"])),
];

/// The crate root files, named by file name in the table.
const ROOT_FILES: &[&str] = &["lib.rs", "main.rs"];

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

/// The table's name for the top-level module a file (relative to `src/`) belongs to.
fn top_level_module(relative: &Path) -> String {
    let first = relative
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy()
        .to_string();
    if ROOT_FILES.contains(&first.as_str()) {
        first
    } else {
        first.trim_end_matches(".rs").to_string()
    }
}

/// The identifier `text` starts with (empty when it starts with something else).
fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The top-level modules `text` names through `crate::`: `crate::a::x`, and every item of a
/// group, `use crate::{a, b::x, c::{y, z}}`, across lines and around `//` comments.
fn crate_references(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        match rest.strip_prefix('{') {
            Some(group) => group_heads(group, &mut found),
            None => {
                found.insert(identifier(rest).to_string());
            }
        }
    }
    found.retain(|name| !name.is_empty() && name != "self");
    found
}

/// The first name of each item of a `use` group, given the text after its `{`.
fn group_heads(group: &str, found: &mut BTreeSet<String>) {
    let mut depth = 0usize;
    let mut item_start = true;
    let mut rest = group;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("//") {
            rest = rest.find('\n').map_or("", |end| &rest[end..]);
            continue;
        }
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return,
            '}' => depth -= 1,
            ',' if depth == 0 => item_start = true,
            c if c.is_whitespace() => {}
            _ if item_start && depth == 0 => {
                let name = identifier(rest);
                found.insert(name.to_string());
                item_start = false;
                if !name.is_empty() {
                    rest = &rest[name.len()..];
                    continue;
                }
            }
            _ => {}
        }
        rest = &rest[c.len_utf8()..];
    }
}

#[test]
fn every_module_only_uses_modules_to_its_left() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    let mut unlisted = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let module = top_level_module(relative);
        seen.insert(module.clone());
        let Some((_, may)) = LAYERS.iter().find(|(name, _)| *name == module) else {
            unlisted.insert(format!("`{module}` ({})", relative.display()));
            continue;
        };
        let May::Use(allowed) = may else {
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for used in crate_references(&text) {
            if used != module && !allowed.contains(&used.as_str()) {
                violations.push(format!("{} uses crate::{used}", relative.display()));
            }
        }
    }
    assert!(
        unlisted.is_empty(),
        "top-level modules missing from the LAYERS table in tests/layers.rs (decide which \
         modules each may use):\n{}",
        unlisted.into_iter().collect::<Vec<_>>().join("\n")
    );
    let stale: Vec<&str> = LAYERS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !seen.contains(*name))
        .collect();
    assert!(
        stale.is_empty(),
        "the LAYERS table names modules that do not exist: {stale:?}"
    );
    assert!(
        files.len() > 40,
        "the scan found only {} files under src/",
        files.len()
    );
    assert!(
        violations.is_empty(),
        "back-edges in the module graph:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_table_allows_only_modules_it_lists() {
    let names: BTreeSet<&str> = LAYERS.iter().map(|(name, _)| *name).collect();
    for (module, may) in LAYERS {
        if let May::Use(allowed) = may {
            for used in *allowed {
                assert!(
                    names.contains(used),
                    "`{module}` may use `{used}`, which the table does not list"
                );
            }
        }
    }
}

#[test]
fn the_reference_scan_sees_nested_and_grouped_uses() {
    let text = "use crate::events::{A, B};\nfn f() { crate::aws::invoke::call(); }\n";
    assert_eq!(
        crate_references(text),
        BTreeSet::from(["aws".to_string(), "events".to_string()])
    );
}

#[test]
fn the_reference_scan_sees_every_item_of_a_crate_group() {
    let names = |text: &str| -> Vec<String> { crate_references(text).into_iter().collect() };
    assert_eq!(names("use crate::{a, b};"), ["a", "b"]);
    assert_eq!(names("use crate::{a::x, b};"), ["a", "b"]);
    assert_eq!(
        names("use crate::{a::{x, y::{z}}, b::w, c};"),
        ["a", "b", "c"]
    );
    assert_eq!(
        names("use crate::{\n    // not d, e\n    plan::{Plan, StepPlan},\n    report,\n};"),
        ["plan", "report"]
    );
    assert_eq!(names("use crate::{self, a};"), ["a"]);
    assert!(names("pub(crate) fn f() {}").is_empty());
}
