//! Property tests over what reads user input: the project loader and planner on mutated
//! project, step and template files, the `${...}` reference parser, JMESPath handling, and
//! diagnostic rendering. None may panic, and every error the loader or planner reports
//! points at a line and column inside the file it names.
//!
//! Case counts are small so CI takes seconds; `PROPTEST_CASES=5000 cargo test --test
//! properties` searches longer.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use gapfill::aws::catalog::Catalog;
use gapfill::aws::jmespath;
use gapfill::plan::values::check_jmespath;
use gapfill::project::refs::{self, Reference, Segment};
use gapfill::project::spans::Position;
use gapfill::project::{Diagnostic, Diagnostics, Source};
use gapfill::redact::Redactor;
use gapfill::steps::models::CatalogModels;
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::Value;

/// The cases each property runs: `PROPTEST_CASES`, or `default`.
fn config(default: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(default);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

// ---- the loader and the planner on mutated files ----

const PROJECT: &str = r#"project: demo
region: us-east-1
parameters:
  Env: prod
stacks:
  data:
    template: stacks/data.yaml
    parameters:
      Env: ${param.Env}
    tags: { team: data, "cost-centre": "42" }
  api:
    template: stacks/api.yaml
    parameters:
      Table: ${data.TableName}
      Token: ${env.API_TOKEN}
    capabilities: [CAPABILITY_IAM]
    depends_on: [data]
secrets: [API_TOKEN]
post-deploy: [post-deploy/*.yaml]
drift:
  ignore:
    - { stack: data, resource: Table, property: /Properties/Tags }
"#;

const DATA_TEMPLATE: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env: {Type: String, AllowedValues: [prod, dev]}
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "t-${Env}"
      KeySchema: [{AttributeName: id, KeyType: HASH}]
Outputs:
  TableName: {Value: !Ref Table}
  TableArn: {Value: !GetAtt Table.Arn}
"#;

const API_TEMPLATE: &str = r#"{
  "Parameters": {"Table": {"Type": "String"}, "Token": {"Type": "String", "NoEcho": true}},
  "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
  "Outputs": {"QueueUrl": {"Value": {"Ref": "Queue"}}}
}
"#;

const STEPS: &str = r#"steps:
  - id: retention
    call: s3:PutBucketVersioning
    input: { Bucket: "b-${data.TableName}", VersioningConfiguration: { Status: Enabled } }
    check: auto
  - id: queue-attrs
    call: sqs:SetQueueAttributes
    input:
      QueueUrl: ${api.QueueUrl}
      Attributes: { VisibilityTimeout: "30" }
    check:
      call: sqs:GetQueueAttributes
      input: { QueueUrl: "${api.QueueUrl}", AttributeNames: [All] }
      expect: { Attributes.VisibilityTimeout: "30" }
    depends_on: [retention]
    when: { changed: api }
    timeout: 2m
    retries: 2
  - id: read-back
    call: sqs:GetQueueUrl
    input: { QueueName: "${steps.queue-attrs.Attributes.QueueArn}" }
"#;

/// What mutations insert: YAML's syntax, gapfill's references, and awkward characters.
const TOKENS: &[&str] = &[
    ":",
    ": ",
    "- ",
    "\n",
    "\n  ",
    "  ",
    "\t",
    "{",
    "}",
    "[",
    "]",
    ",",
    "\"",
    "'",
    "#",
    "|",
    ">",
    "&a ",
    "*a",
    "<<: ",
    "!Ref ",
    "!!str ",
    "!Foo ",
    "---\n",
    "...\n",
    "${",
    "$${",
    "}",
    "${data.TableName}",
    "${steps.retention.",
    "${env.",
    "${param.Env}",
    "é",
    "\u{1F600}",
    "\u{0}",
    "\r",
    "stacks",
    "template",
    "parameters",
    "steps",
    "id",
    "call",
    "input",
    "check",
    "expect",
    "when",
    "depends_on",
    "~",
    "null",
    "true",
    "1e999",
    "-1",
    "0x10",
    "?",
    "%",
    "@",
    "`",
];

/// One edit of a text: delete a range, insert a token, or repeat a line.
#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, token: usize },
    RepeatLine { line: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..12).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        any::<usize>().prop_map(|line| Mutation::RepeatLine { line }),
    ]
}

/// `text` with `mutations` applied (positions taken modulo the text, on char boundaries).
fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut text = text.to_string();
    for mutation in mutations {
        let boundary = |text: &str, at: usize| {
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            at
        };
        match mutation {
            Mutation::Delete { at, len } => {
                let start = boundary(&text, *at);
                let end = boundary(&text, (start + len).min(text.len()));
                text.replace_range(start..end, "");
            }
            Mutation::Insert { at, token } => {
                let at = boundary(&text, *at);
                text.insert_str(at, TOKENS[*token]);
            }
            Mutation::RepeatLine { line } => {
                let lines: Vec<&str> = text.split_inclusive('\n').collect();
                if !lines.is_empty() {
                    let index = line % lines.len();
                    let mut repeated: Vec<&str> = lines.clone();
                    repeated.insert(index, lines[index]);
                    text = repeated.concat();
                }
            }
        }
    }
    text
}

fn models() -> &'static CatalogModels {
    static MODELS: OnceLock<CatalogModels> = OnceLock::new();
    MODELS.get_or_init(|| CatalogModels::new(Arc::new(Catalog::new(None))))
}

/// Writes the project (`project`, the two templates and the step file), loads and plans it;
/// returns the diagnostics, with the texts they are about, when it is refused.
fn load_and_plan(
    project: &str,
    data: &str,
    steps: &str,
) -> Option<(Diagnostics, tempfile::TempDir)> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create a directory");
        std::fs::write(path, text).expect("write a file");
    };
    write("gapfill.yaml", project);
    write("stacks/data.yaml", data);
    write("stacks/api.yaml", API_TEMPLATE);
    write("post-deploy/steps.yaml", steps);
    let env = |name: &str| (name == "API_TOKEN").then(|| "token-1234567890".to_string());
    let result = gapfill::project::load(&dir.path().join("gapfill.yaml"))
        .and_then(|project| gapfill::plan::build(&project, &env, Redactor::default(), models()));
    match result {
        Ok(_) => None,
        Err(diagnostics) => Some((diagnostics, dir)),
    }
}

/// Every diagnostic names a line and column inside its file, and renders.
fn assert_positioned(diagnostics: &Diagnostics, dir: &Path) -> Result<(), TestCaseError> {
    prop_assert!(!diagnostics.is_empty());
    for diagnostic in &diagnostics.0 {
        let shown = diagnostic.to_string();
        let Some(at) = diagnostic.at else {
            return Err(TestCaseError::fail(format!("no position:\n{shown}")));
        };
        let path = if diagnostic.file.is_absolute() {
            diagnostic.file.clone()
        } else {
            dir.join(&diagnostic.file)
        };
        let bytes = std::fs::read(&path)
            .map_err(|e| TestCaseError::fail(format!("{}: {e}\n{shown}", path.display())))?;
        let text = String::from_utf8_lossy(&bytes);
        // Lines end at `\r\n`, `\n` or a lone `\r`, as YAML ends them.
        let lines: Vec<String> = text
            .replace("\r\n", "\n")
            .replace('\r', "\n")
            .split('\n')
            .map(str::to_string)
            .collect();
        prop_assert!(
            at.line >= 1 && at.line <= lines.len(),
            "line {} of {}:\n{shown}",
            at.line,
            lines.len()
        );
        let line_chars = lines[at.line - 1].chars().count();
        prop_assert!(
            at.column >= 1 && at.column <= line_chars + 1,
            "column {} of a {line_chars}-character line:\n{shown}",
            at.column
        );
        prop_assert!(
            shown.contains(&format!(":{}:{}", at.line, at.column)),
            "{shown}"
        );
    }
    Ok(())
}

#[test]
fn the_unmutated_project_plans() {
    if let Some((diagnostics, _dir)) = load_and_plan(PROJECT, DATA_TEMPLATE, STEPS) {
        panic!("{diagnostics}");
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn a_mutated_project_file_is_planned_or_refused_with_positions(
        mutations in prop::collection::vec(mutation(), 1..6)
    ) {
        let project = mutate(PROJECT, &mutations);
        if let Some((diagnostics, dir)) = load_and_plan(&project, DATA_TEMPLATE, STEPS) {
            assert_positioned(&diagnostics, dir.path())?;
        }
    }

    #[test]
    fn a_mutated_step_file_is_planned_or_refused_with_positions(
        mutations in prop::collection::vec(mutation(), 1..6)
    ) {
        let steps = mutate(STEPS, &mutations);
        if let Some((diagnostics, dir)) = load_and_plan(PROJECT, DATA_TEMPLATE, &steps) {
            assert_positioned(&diagnostics, dir.path())?;
        }
    }

    #[test]
    fn a_mutated_template_is_planned_or_refused_with_positions(
        mutations in prop::collection::vec(mutation(), 1..6)
    ) {
        let data = mutate(DATA_TEMPLATE, &mutations);
        if let Some((diagnostics, dir)) = load_and_plan(PROJECT, &data, STEPS) {
            assert_positioned(&diagnostics, dir.path())?;
        }
    }

    #[test]
    fn arbitrary_text_as_a_project_file_is_refused_with_positions(text in ".{0,200}") {
        if let Some((diagnostics, dir)) = load_and_plan(&text, DATA_TEMPLATE, STEPS) {
            assert_positioned(&diagnostics, dir.path())?;
        }
    }
}

// ---- references ----

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{1,12}"
}

fn reference() -> impl Strategy<Value = Reference> {
    prop_oneof![
        (name(), name())
            .prop_filter("env and param are not stacks", |(stack, _)| {
                stack != "env" && stack != "param" && stack != "steps"
            })
            .prop_map(|(stack, output)| Reference::StackOutput { stack, output }),
        name().prop_map(|name| Reference::Env { name }),
        name().prop_map(|name| Reference::Param { name }),
        (name(), "[A-Za-z0-9_.\\[\\]]{1,20}").prop_map(|(id, path)| Reference::Step { id, path }),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn the_reference_parser_never_panics_and_keeps_offsets_inside_the_text(text in "\\PC{0,80}") {
        match refs::parse(&text) {
            Ok(segments) => {
                for segment in segments {
                    if let Segment::Ref { offset, len, .. } = segment {
                        let written = text.get(offset..offset + len);
                        prop_assert!(written.is_some_and(|w| w.starts_with("${") && w.ends_with('}')), "{text:?}");
                    }
                }
            }
            Err(error) => {
                prop_assert!(error.offset + error.len <= text.len(), "{error:?} in {text:?}");
                prop_assert!(text.is_char_boundary(error.offset), "{error:?} in {text:?}");
            }
        }
    }

    #[test]
    fn a_written_reference_reads_back_between_literal_text(
        before in "[^$]{0,10}", reference in reference(), after in "[^$]{0,10}"
    ) {
        let text = format!("{before}{reference}{after}");
        let segments = refs::parse(&text).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let found: Vec<&Reference> = segments
            .iter()
            .filter_map(|s| match s { Segment::Ref { reference, .. } => Some(reference), _ => None })
            .collect();
        prop_assert_eq!(found, vec![&reference]);
    }
}

// ---- JMESPath ----

/// Expressions from JMESPath's own pieces, so many of them are valid.
fn expression() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "a",
        "b",
        "Attributes",
        ".",
        "[",
        "]",
        "[0]",
        "[-1]",
        "[*]",
        "[]",
        "[?",
        "==",
        "!=",
        "<",
        "`1`",
        "`\"x\"`",
        "'x'",
        "@",
        "|",
        "||",
        "&&",
        "!",
        "(",
        ")",
        "{",
        "}",
        ":",
        ",",
        "length(",
        "keys(",
        "contains(",
        "sort_by(",
        "&",
        "max_by(",
        "to_number(",
        "join(",
        "*",
        "\"q\"",
        "[1:2]",
        "[::-1]",
        "[:",
        "\\u",
        " ",
    ]);
    prop::collection::vec(piece, 1..10).prop_map(|pieces| pieces.concat())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        "[a-z]{0,4}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-bA]{1,2}|Attributes", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn jmespath_never_panics_and_agrees_with_the_plan_check(
        expression in prop_oneof![expression(), "\\PC{0,30}"], data in json_value()
    ) {
        let checked = check_jmespath(&expression);
        let searched = jmespath::search(&expression, &data);
        if checked.is_err() {
            prop_assert!(searched.is_err(), "the plan refuses `{expression}` but search accepts it");
        }
        if let Err(message) = &searched {
            prop_assert!(!message.is_empty());
        }
        if let Ok(found) = searched {
            let _ = jmespath::is_truthy(&found);
        }
    }
}

// ---- diagnostics rendering ----

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn a_diagnostic_renders_its_location_for_any_text_and_position(
        text in "(\\PC|\t|\n){0,80}", line in 1usize..12, column in 1usize..90, width in 0usize..30,
        message in "\\PC{0,20}", hint in "\\PC{0,20}"
    ) {
        let at = Position { line, column, offset: 0 };
        let diagnostic = Diagnostic::at("f.yaml", &text, at, width, message.clone()).hint(hint.clone());
        let shown = diagnostic.to_string();
        let shown_at = diagnostic.at.expect("a position");
        let location = format!("--> f.yaml:{}:{}", shown_at.line, shown_at.column);
        prop_assert!(shown.contains(&location), "{shown}");
        // A position outside the text is moved to its end; one inside is kept.
        let lines: Vec<&str> = text.lines().collect();
        let inside = lines.get(line - 1).is_some_and(|l| column <= l.chars().count() + 1)
            && !text.contains('\r');
        if inside {
            prop_assert_eq!((shown_at.line, shown_at.column), (line, column));
        } else {
            prop_assert!(shown_at.line <= lines.len().max(1), "{shown}");
        }
        prop_assert!(shown.contains(&message), "{shown}");
        prop_assert!(shown.contains(&format!("= hint: {hint}")), "{shown}");
        if diagnostic.source_line.is_some() {
            prop_assert!(shown.contains(&"^".repeat(width.max(1))), "{shown}");
        }
        let all = Diagnostics(vec![diagnostic.clone(), diagnostic]).to_string();
        prop_assert!(all.ends_with("2 errors in the project; nothing was deployed"), "{all}");
    }

    #[test]
    fn a_caret_inside_a_value_stays_on_its_line(
        value in "[^\n\r\"\\\\\u{0}]{0,30}", offset in 0usize..40, len in 0usize..40
    ) {
        let text = format!("stacks:\n  app:\n    template: \"{value}\"\n");
        let source = Source::new("gapfill.yaml".into(), text.clone());
        let diagnostic = source.diagnostic_inside(&["stacks", "app", "template"], offset, len, "x");
        let at = diagnostic.at.expect("a position");
        prop_assert_eq!(at.line, 3);
        let line_chars = text.lines().nth(2).map_or(0, |l| l.chars().count());
        prop_assert!(at.column >= 1 && at.column <= line_chars + 1, "column {} of {line_chars}", at.column);
        let _ = diagnostic.to_string();
    }
}
