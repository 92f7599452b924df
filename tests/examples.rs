//! The CI examples under `examples/` are real: each parses as YAML in its CI's shape (a GitHub
//! Actions workflow, a CircleCI 2.1 config whose workflows name jobs and commands it defines),
//! and every `gapfill` command in a `run:` step, with every flag it gives, parses with the real
//! command line (`Cli`): an unknown flag, a removed option or a misspelt subcommand fails here
//! before it fails someone's pipeline.

use std::path::{Path, PathBuf};

use clap::Parser;
use gapfill::cli::Cli;
use serde_yaml::Value;

/// Every YAML file under `examples/`.
fn examples() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, found);
            } else if path
                .extension()
                .is_some_and(|ext| ext == "yml" || ext == "yaml")
            {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"),
        &mut found,
    );
    found.sort();
    found
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()))
}

/// The shell scripts of every `run:` step anywhere in `value`: GitHub's `run: SCRIPT`,
/// CircleCI's `run: SCRIPT` and `run: {command: SCRIPT}`.
fn scripts(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    match value {
        Value::Mapping(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    (Some("run"), Value::String(script)) => found.push(script.clone()),
                    (Some("run"), Value::Mapping(run)) => {
                        if let Some(Value::String(script)) = run.get("command") {
                            found.push(script.clone());
                        }
                    }
                    _ => found.extend(scripts(value)),
                }
            }
        }
        Value::Sequence(items) => items.iter().for_each(|item| found.extend(scripts(item))),
        Value::Tagged(tagged) => found.extend(scripts(&tagged.value)),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
    found
}

/// A shell word or the end of a simple command (`;`, `|`, `&`, a newline, a parenthesis).
#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    End,
}

/// Splits a script into words as a POSIX shell would for our purposes: quotes, backslashes,
/// line continuations and comments; operators end a command.
fn lex(script: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = script.chars().peekable();
    let finish = |word: &mut Option<String>, tokens: &mut Vec<Token>| {
        if let Some(word) = word.take() {
            tokens.push(Token::Word(word));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(next) => word.get_or_insert_with(String::new).push(next),
            },
            '\'' => {
                let text = word.get_or_insert_with(String::new);
                for next in chars.by_ref() {
                    if next == '\'' {
                        break;
                    }
                    text.push(next);
                }
            }
            '"' => {
                let text = word.get_or_insert_with(String::new);
                while let Some(next) = chars.next() {
                    match next {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some(escaped @ ('"' | '\\' | '$' | '`')) => text.push(escaped),
                            Some('\n') | None => {}
                            Some(other) => {
                                text.push('\\');
                                text.push(other);
                            }
                        },
                        other => text.push(other),
                    }
                }
            }
            '#' if word.is_none() => {
                for next in chars.by_ref() {
                    if next == '\n' {
                        break;
                    }
                }
                tokens.push(Token::End);
            }
            ' ' | '\t' => finish(&mut word, &mut tokens),
            '\n' | ';' | '|' | '&' | '(' | ')' => {
                finish(&mut word, &mut tokens);
                tokens.push(Token::End);
            }
            other => word.get_or_insert_with(String::new).push(other),
        }
    }
    finish(&mut word, &mut tokens);
    tokens
}

/// `script` with each `$( ... )` replaced by a placeholder word, and the scripts inside them.
fn substitutions(script: &str) -> (String, Vec<String>) {
    let mut outer = String::new();
    let mut inner = Vec::new();
    let mut rest = script;
    while let Some(start) = rest.find("$(") {
        outer.push_str(&rest[..start]);
        let body = &rest[start + 2..];
        let mut depth = 1;
        let end = body
            .char_indices()
            .find_map(|(index, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                (depth == 0).then_some(index)
            })
            .unwrap_or(body.len());
        inner.push(body[..end].to_string());
        outer.push_str("SUBSTITUTION");
        rest = body.get(end + 1..).unwrap_or("");
    }
    outer.push_str(rest);
    (outer, inner)
}

/// `text` with each `open ... close` whose inside `is_expression` replaced by `placeholder`
/// (CI expressions hold spaces but stand for one value).
fn replace_between(
    text: &str,
    open: &str,
    close: &str,
    placeholder: &str,
    is_expression: fn(&str) -> bool,
) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        let after = &rest[start + open.len()..];
        match after.find(close) {
            Some(end) if is_expression(after[..end].trim()) => {
                out.push_str(&rest[..start]);
                out.push_str(placeholder);
                rest = &after[end + close.len()..];
            }
            _ => {
                out.push_str(&rest[..start + open.len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Each `gapfill` command in `script`, as its words (`gapfill` first), redirections and
/// leading variable assignments left out; commands inside `$(...)` included.
fn gapfill_commands(script: &str) -> Vec<Vec<String>> {
    let script = replace_between(script, "${{", "}}", "GITHUB_EXPRESSION", |_| true);
    // CircleCI's `<< pipeline.x >>`, `<< parameters.x >>`; not a heredoc.
    let script = replace_between(&script, "<<", ">>", "PIPELINE_VALUE", |inside| {
        inside.starts_with("pipeline.") || inside.starts_with("parameters.")
    });
    let (outer, inner) = substitutions(&script);
    let mut found: Vec<Vec<String>> = inner.iter().flat_map(|s| gapfill_commands(s)).collect();
    let mut command: Vec<String> = Vec::new();
    let mut take = |command: &mut Vec<String>| {
        let words = std::mem::take(command);
        let mut words = words.into_iter().skip_while(|word| {
            [
                "if", "then", "else", "do", "while", "until", "!", "time", "exec",
            ]
            .contains(&word.as_str())
                || is_assignment(word)
        });
        if let Some(first) = words.next().filter(|first| first == "gapfill") {
            let mut kept = vec![first];
            let mut skip_target = false;
            for word in words {
                if std::mem::take(&mut skip_target) {
                    continue;
                }
                match redirection(&word) {
                    Some(with_target) => skip_target = !with_target,
                    None => kept.push(word),
                }
            }
            found.push(kept);
        }
    };
    for token in lex(&outer) {
        match token {
            Token::Word(word) => command.push(word),
            Token::End => take(&mut command),
        }
    }
    take(&mut command);
    found
}

/// `NAME=value`.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.starts_with('-')
            && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
    })
}

/// Whether `word` is a redirection (`>`, `>>`, `2>`, `<`), and if so whether its target is
/// in the same word (`>file`).
fn redirection(word: &str) -> Option<bool> {
    let operator = word.trim_start_matches(|c: char| c.is_ascii_digit());
    let target = operator
        .strip_prefix(">>")
        .or_else(|| operator.strip_prefix('>'))
        .or_else(|| operator.strip_prefix('<'))?;
    Some(!target.is_empty())
}

/// Parses `words` with the real command line; the error as clap renders it.
fn check(words: &[String]) -> Result<Cli, String> {
    Cli::try_parse_from(words).map_err(|error| error.render().to_string())
}

/// What a CI file must be: a GitHub workflow, or a CircleCI config.
fn check_shape(path: &Path, document: &Value) {
    let name = path.display();
    if path.components().any(|c| c.as_os_str() == "github-actions") {
        assert!(document.get("on").is_some(), "{name}: no `on:`");
        let jobs = document
            .get("jobs")
            .and_then(Value::as_mapping)
            .unwrap_or_else(|| panic!("{name}: no jobs"));
        for (job, spec) in jobs {
            let job = job.as_str().unwrap_or("?");
            assert!(
                spec.get("runs-on").is_some(),
                "{name}: {job} has no runs-on"
            );
            let steps = spec
                .get("steps")
                .and_then(Value::as_sequence)
                .unwrap_or_else(|| panic!("{name}: {job} has no steps"));
            for step in steps {
                assert!(
                    step.get("uses").is_some() != step.get("run").is_some(),
                    "{name}: a step of {job} needs exactly one of uses and run: {step:?}"
                );
            }
            if let Some(needs) = spec.get("needs").and_then(Value::as_str) {
                assert!(jobs.contains_key(needs), "{name}: {job} needs {needs}");
            }
        }
    } else {
        assert_eq!(
            document.get("version").and_then(Value::as_f64),
            Some(2.1),
            "{name}: version 2.1"
        );
        let jobs = document
            .get("jobs")
            .and_then(Value::as_mapping)
            .unwrap_or_else(|| panic!("{name}: no jobs"));
        let commands = document.get("commands").and_then(Value::as_mapping);
        let executors = document.get("executors").and_then(Value::as_mapping);
        const BUILT_IN: &[&str] = &[
            "checkout",
            "run",
            "attach_workspace",
            "persist_to_workspace",
            "store_test_results",
            "store_artifacts",
            "save_cache",
            "restore_cache",
        ];
        for (job, spec) in jobs {
            let job = job.as_str().unwrap_or("?");
            if let Some(executor) = spec.get("executor").and_then(Value::as_str) {
                assert!(
                    executors.is_some_and(|e| e.contains_key(executor)),
                    "{name}: {job} uses executor {executor}"
                );
            }
            let steps = spec
                .get("steps")
                .and_then(Value::as_sequence)
                .unwrap_or_else(|| panic!("{name}: {job} has no steps"));
            for step in steps {
                let step_name = match step {
                    Value::String(text) => text.clone(),
                    Value::Mapping(map) if map.len() == 1 => map
                        .keys()
                        .next()
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .to_string(),
                    other => panic!("{name}: a step of {job} is {other:?}"),
                };
                assert!(
                    BUILT_IN.contains(&step_name.as_str())
                        || commands.is_some_and(|c| c.contains_key(step_name.as_str())),
                    "{name}: {job} runs an unknown step {step_name}"
                );
            }
        }
        let workflows = document
            .get("workflows")
            .and_then(Value::as_mapping)
            .unwrap_or_else(|| panic!("{name}: no workflows"));
        for (workflow, spec) in workflows {
            let workflow = workflow.as_str().unwrap_or("?");
            let listed: Vec<&Value> = spec
                .get("jobs")
                .and_then(Value::as_sequence)
                .unwrap_or_else(|| panic!("{name}: workflow {workflow} has no jobs"))
                .iter()
                .collect();
            let job_name = |entry: &Value| -> String {
                match entry {
                    Value::String(job) => job.clone(),
                    Value::Mapping(map) => map
                        .keys()
                        .next()
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .to_string(),
                    other => panic!("{name}: {workflow} lists {other:?}"),
                }
            };
            let names: Vec<String> = listed.iter().map(|entry| job_name(entry)).collect();
            for entry in &listed {
                let job = job_name(entry);
                assert!(
                    jobs.contains_key(job.as_str()),
                    "{name}: workflow {workflow} runs an undefined job {job}"
                );
                let requires = entry
                    .get(job.as_str())
                    .and_then(|spec| spec.get("requires"))
                    .and_then(Value::as_sequence);
                for required in requires.into_iter().flatten() {
                    let required = required.as_str().unwrap_or("?");
                    assert!(
                        names.iter().any(|n| n == required),
                        "{name}: {job} requires {required}, not in workflow {workflow}"
                    );
                }
            }
        }
    }
}

#[test]
fn every_example_is_a_ci_file_whose_gapfill_commands_parse_with_the_real_cli() {
    let examples = examples();
    let names: Vec<String> = examples
        .iter()
        .map(|path| {
            path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap_or(path)
                .display()
                .to_string()
        })
        .collect();
    // What the README points at; a new example joins the check by being there.
    for expected in [
        "examples/circleci/config.yml",
        "examples/github-actions/deploy.yml",
        "examples/github-actions/drift.yml",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    let mut failures = Vec::new();
    for (path, name) in examples.iter().zip(&names) {
        let document = load(path);
        check_shape(path, &document);
        let commands: Vec<Vec<String>> = scripts(&document)
            .iter()
            .flat_map(|script| gapfill_commands(script))
            .collect();
        assert!(!commands.is_empty(), "{name} runs no gapfill command");
        let mut subcommands: Vec<String> = Vec::new();
        for words in &commands {
            subcommands.push(words.get(1).cloned().unwrap_or_default());
            if let Err(error) = check(words) {
                failures.push(format!("{name}: `{}`:\n{error}", words.join(" ")));
            }
        }
        let wanted: &[&str] = match name.as_str() {
            "examples/circleci/config.yml" => &["plan", "deploy", "drift"],
            "examples/github-actions/deploy.yml" => &["plan", "deploy"],
            "examples/github-actions/drift.yml" => &["drift"],
            _ => &[],
        };
        for subcommand in wanted {
            assert!(
                subcommands.iter().any(|s| s == subcommand),
                "{name} runs no `gapfill {subcommand}`: {commands:?}"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn commands_are_found_in_scripts_as_a_shell_reads_them() {
    let script = r#"
        set -euo pipefail
        status=0
        # gapfill validate --in-a-comment
        gapfill plan --junit reports/plan.xml || status=$?
        echo "gapfill deploy is not a command here"
        AWS_REGION=eu-west-1 gapfill deploy \
          --outputs-file "out put.env" --region ${{ vars.AWS_REGION }} >> "$GITHUB_STEP_SUMMARY" 2>&1
        eval "$(gapfill outputs --format env)"
        if gapfill drift --stack 'a b'; then echo ok; fi
        gapfill validate < /dev/null | tee log
        gapfill outputs --region << parameters.region >> > outputs.txt
    "#;
    let commands = gapfill_commands(script);
    let expected: Vec<Vec<&str>> = vec![
        vec!["gapfill", "outputs", "--format", "env"],
        vec!["gapfill", "plan", "--junit", "reports/plan.xml"],
        vec![
            "gapfill",
            "deploy",
            "--outputs-file",
            "out put.env",
            "--region",
            "GITHUB_EXPRESSION",
        ],
        vec!["gapfill", "drift", "--stack", "a b"],
        vec!["gapfill", "validate"],
        vec!["gapfill", "outputs", "--region", "PIPELINE_VALUE"],
    ];
    assert_eq!(commands, expected);
}

#[test]
fn the_check_is_the_real_command_line() {
    let words = |line: &str| -> Vec<String> { line.split(' ').map(String::from).collect() };
    assert!(check(&words(
        "gapfill deploy --outputs-file o.env --heartbeat 60s"
    ))
    .is_ok());
    assert!(check(&words("gapfill completions zsh")).is_ok());
    let unknown = check(&words("gapfill deploy --no-such-flag")).unwrap_err();
    assert!(unknown.contains("--no-such-flag"), "{unknown}");
    assert!(check(&words("gapfill deploi")).is_err());
    assert!(check(&words("gapfill drift --timeout soon")).is_err());
}
