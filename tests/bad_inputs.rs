//! The bad-input figure: every kind of project gapfill refuses is refused by `validate` and
//! by `deploy` before any AWS call, with an error that names file, line and column.
//!
//! The corpus is `tests/fixtures/bad-inputs/` (one directory per refusal, its `expect.txt`
//! holding a fragment the error must contain), the older bad fixtures of the diagnostics
//! tests, and two cases made here because their files are large (templates over 51,200 bytes
//! and over 1 MB). Every run talks to a recorder that answers 500 to anything: a single
//! recorded request fails the case. The test ends with one line on stderr that
//! `scripts/reliability.sh` reads: `bad inputs: N tried, M refused before any AWS call`.

mod support;

use std::path::Path;

use support::project::TempProject;
use support::proxy::Proxy;
use support::run::Gapfill;

/// One bad project and a fragment its error must contain.
struct Case {
    name: String,
    project: TempProject,
    expect: String,
}

/// The older bad fixtures, with a fragment of one of their errors.
const EARLIER_FIXTURES: &[(&str, &str)] = &[
    ("invalid", "is not declared by template"),
    ("unknown-key", "unknown field `templat`"),
    ("bad-capability", "unknown variant `CAPABILITY_IAMM`"),
    ("bad-template", "template is not valid YAML"),
    ("unknown-stack", "no stack named"),
    ("bad-steps", "error: "),
    ("bad-step-files", "invalid step file"),
];

fn corpus() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad-inputs");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .expect("the bad-inputs fixtures")
        .map(|entry| {
            entry
                .expect("a fixture")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    let mut cases: Vec<Case> = names
        .into_iter()
        .map(|name| {
            let expect = std::fs::read_to_string(root.join(&name).join("expect.txt"))
                .unwrap_or_else(|error| panic!("{name}/expect.txt: {error}"));
            Case {
                project: TempProject::from_fixture(&format!("bad-inputs/{name}")),
                expect: expect.trim_end().to_string(),
                name,
            }
        })
        .collect();
    for (name, expect) in EARLIER_FIXTURES {
        cases.push(Case {
            name: name.to_string(),
            project: TempProject::from_fixture(name),
            expect: expect.to_string(),
        });
    }
    cases.extend(large_templates());
    cases
}

/// A template over the inline limit without `artifacts:`, and one over CloudFormation's 1 MB
/// limit even with `artifacts:`.
fn large_templates() -> Vec<Case> {
    let template = |bytes: usize| {
        let padding = format!("# {}\n", "x".repeat(bytes));
        format!("{padding}Resources:\n  Queue: {{Type: AWS::SQS::Queue}}\n")
    };
    let inline = TempProject::new();
    inline
        .write("gapfill.yaml", "stacks:\n  app:\n    template: app.yaml\n")
        .write("app.yaml", &template(51_200));
    let huge = TempProject::new();
    huge.write(
        "gapfill.yaml",
        "artifacts: {bucket: my-artifacts}\nstacks:\n  app:\n    template: app.yaml\n",
    )
    .write("app.yaml", &template(1_048_576));
    vec![
        Case {
            name: "template-over-inline-limit".into(),
            project: inline,
            expect: "CloudFormation takes at most 51200 inline".into(),
        },
        Case {
            name: "template-over-1mb".into(),
            project: huge,
            expect: "CloudFormation accepts at most 1048576".into(),
        },
    ]
}

/// Why `stderr` is not a refusal with positions and `expect`, if it is not.
fn refusal_problem(stderr: &str, expect: &str) -> Option<String> {
    if !stderr.contains(expect) {
        return Some(format!("no `{expect}` in the error"));
    }
    let lines: Vec<&str> = stderr.lines().collect();
    let errors: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("error: "))
        .collect();
    if errors.is_empty() {
        return Some("no `error:` line".into());
    }
    for index in errors {
        let location = lines.get(index + 1).copied().unwrap_or_default();
        if !has_line_and_column(location) {
            return Some(format!("`{}` has no file:line:col", lines[index]));
        }
    }
    None
}

/// ` --> file:12:5`
fn has_line_and_column(location: &str) -> bool {
    let Some(place) = location.trim_start().strip_prefix("--> ") else {
        return false;
    };
    let mut parts = place.rsplitn(3, ':');
    let column = parts.next().unwrap_or_default();
    let line = parts.next().unwrap_or_default();
    let numeric = |text: &str| !text.is_empty() && text.chars().all(|c| c.is_ascii_digit());
    numeric(column) && numeric(line) && parts.next().is_some_and(|file| !file.is_empty())
}

#[test]
fn every_bad_input_is_refused_with_a_position_before_any_aws_call() {
    let cases = corpus();
    let mut refused = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let mut problems = Vec::new();
        for command in [&["validate"][..], &["deploy", "--format", "plain"][..]] {
            let recorder = Proxy::recorder();
            let output = Gapfill::new(case.project.path(), recorder.url(), command).run();
            let shown = command.join(" ");
            if output.code == 0 {
                problems.push(format!("`{shown}` exited 0"));
            }
            if let Some(problem) = refusal_problem(&output.stderr, &case.expect) {
                problems.push(format!("`{shown}`: {problem}\n{}", output.stderr));
            }
            let requests = recorder.actions();
            if !requests.is_empty() {
                problems.push(format!("`{shown}` called AWS: {requests:?}"));
            }
        }
        if problems.is_empty() {
            refused += 1;
        } else {
            failures.push(format!("{}: {}", case.name, problems.join("; ")));
        }
    }
    eprintln!(
        "bad inputs: {} tried, {refused} refused before any AWS call",
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(cases.len() >= 40, "the corpus shrank to {}", cases.len());
}

#[test]
fn a_location_line_needs_a_file_a_line_and_a_column() {
    assert!(has_line_and_column(" --> gapfill.yaml:3:5"));
    assert!(has_line_and_column("  --> C:/x/gapfill.yaml:13:18"));
    assert!(!has_line_and_column(" --> gapfill.yaml"));
    assert!(!has_line_and_column(" --> gapfill.yaml:3"));
    assert_eq!(
        refusal_problem("error: x\n --> a.yaml\n", "x"),
        Some("`error: x` has no file:line:col".into())
    );
}

#[test]
fn an_event_stream_operation_is_refused_by_gapfill_call_before_any_aws_call() {
    let recorder = Proxy::recorder();
    let dir = TempProject::new();
    let input = r#"{"FunctionName": "my-function"}"#;
    let args = ["call", "lambda:InvokeWithResponseStream", "--input", input];
    let output = Gapfill::new(dir.path(), recorder.url(), &args).run();
    assert_ne!(output.code, 0, "{output}");
    assert!(
        output
            .stderr
            .contains("event streams are not supported by gapfill call yet"),
        "{output}"
    );
    assert!(
        !output.stderr.contains("parse"),
        "a clear refusal, not a parse error: {output}"
    );
    assert_eq!(recorder.actions(), Vec::<String>::new());
}
