//! Bad input gets a clear error before anything changes in AWS: every diagnostic names file,
//! line and column, shows the source with a caret, and gives a hint. The outputs are pinned
//! exactly, and every command is pointed at an endpoint that would fail any AWS call.

use std::path::Path;
use std::process::{Command, Output};

fn gapfill(fixture: &str, args: &[&str]) -> Output {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    Command::new(env!("CARGO_BIN_EXE_gapfill"))
        .args(args)
        .current_dir(dir)
        .env_remove("GAPFILL_DIAGNOSTICS_UNSET_TOKEN")
        .env_remove("GAPFILL_PROJECT")
        // Port 9 (discard) refuses connections: an AWS call would surface as a different error.
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .output()
        .expect("run gapfill")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const INVALID: &str = r#"error: parameter `Colour` is not declared by template `stacks/data.yaml`
 --> gapfill.yaml:7:7
  |
7 |       Colour: blue
  |       ^^^^^^
  = hint: template parameters: Env

error: stack `data` has no output `TableNam` (template `stacks/data.yaml`)
  --> gapfill.yaml:11:18
   |
11 |       TableName: ${data.TableNam}
   |                  ^^^^^^^^^^^^^^^^
   = hint: did you mean `TableName`?
   = hint: outputs of data: TableName, Url

error: environment variable `GAPFILL_DIAGNOSTICS_UNSET_TOKEN` is not set
  --> gapfill.yaml:12:14
   |
12 |       Token: ${env.GAPFILL_DIAGNOSTICS_UNSET_TOKEN}
   |              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   = hint: export it before running gapfill; in CI, add it to the job's environment or secrets

error: template parameter `Stage` of stack `api` has no Default and is not set
 --> gapfill.yaml:8:3
  |
8 |   api:
  |   ^^^
  = hint: set it under `stacks.api.parameters`, e.g. `Stage: ...`

error: no stack named `dta` in the project
  --> gapfill.yaml:13:18
   |
13 |     depends_on: [dta]
   |                  ^^^
   = hint: did you mean `data`?
   = hint: stacks: data, api, loop-a, loop-b

error: template parameter `Stage` of stack `loop-a` has no Default and is not set
  --> gapfill.yaml:14:3
   |
14 |   loop-a:
   |   ^^^^^^
   = hint: set it under `stacks.loop-a.parameters`, e.g. `Stage: ...`

error: dependency cycle: loop-a -> loop-b -> loop-a
  --> gapfill.yaml:14:3
   |
14 |   loop-a:
   |   ^^^^^^
   = hint: each arrow is a `${stack.Output}` reference or a depends_on entry; break one of them

7 errors in the project; nothing was deployed
"#;

#[test]
fn validate_reports_every_semantic_error_with_position_and_hint() {
    let output = gapfill("invalid", &["validate"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stderr(&output), INVALID);
    assert!(output.stdout.is_empty());
}

#[test]
fn deploy_reports_the_same_errors_and_deploys_nothing() {
    let output = gapfill("invalid", &["deploy", "--format", "plain"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stderr(&output), INVALID);
    assert!(
        output.stdout.is_empty(),
        "no run may start: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn an_unknown_key_points_at_the_key_and_suggests_the_right_one() {
    let output = gapfill("unknown-key", &["validate"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        r#"error: invalid project file: stacks.data: unknown field `templat`, expected one of `template`, `parameters`, `tags`, `capabilities`, `depends_on`
 --> gapfill.yaml:4:5
  |
4 |     templat: stacks/data.yaml
  |     ^^^^^^^
  = hint: did you mean `template`?

1 error in the project; nothing was deployed
"#
    );
}

#[test]
fn an_unknown_capability_is_an_error_with_a_suggestion() {
    let output = gapfill("bad-capability", &["deploy"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        r#"error: invalid project file: stacks.data.capabilities[0]: unknown variant `CAPABILITY_IAMM`, expected one of `CAPABILITY_IAM`, `CAPABILITY_NAMED_IAM`, `CAPABILITY_AUTO_EXPAND`
 --> gapfill.yaml:4:20
  |
4 |     capabilities: [CAPABILITY_IAMM]
  |                    ^^^^^^^^^^^^^^^
  = hint: did you mean `CAPABILITY_IAM`?

1 error in the project; nothing was deployed
"#
    );
}

#[test]
fn broken_and_missing_templates_are_both_reported() {
    let output = gapfill("bad-template", &["validate"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        r#"error: template is not valid YAML: did not find expected ',' or ']' at line 5 column 1, while parsing a flow sequence
 --> stacks/broken.yaml:5:1

error: cannot read template `stacks/missing.yaml`: No such file or directory (os error 2)
 --> gapfill.yaml:5:15
  |
5 |     template: stacks/missing.yaml
  |               ^^^^^^^^^^^^^^^^^^^
  = hint: template paths are relative to the project file

2 errors in the project; nothing was deployed
"#
    );
}

#[test]
fn a_missing_project_file_says_how_to_point_at_one() {
    let output = gapfill("invalid", &["--project", "nowhere.yaml", "validate"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.starts_with("error: cannot read the project file: "),
        "{text}"
    );
    assert!(text.contains(" --> nowhere.yaml\n"), "{text}");
    assert!(
        text.contains("hint: run gapfill in the project directory, or pass --project PATH"),
        "{text}"
    );
}

#[test]
fn usage_errors_exit_1_not_clap_s_2() {
    let output = gapfill("invalid", &["deploy", "--bogus"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("unexpected argument '--bogus'"));
    let help = gapfill("invalid", &["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout)
        .contains("2  drift found (drift) or changes pending (plan)"));
}

#[test]
fn deploy_without_credentials_stops_before_the_first_stack_with_one_message() {
    let home = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_gapfill"))
        .args(["deploy", "--format", "plain"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .env("HOME", home.path())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.starts_with("error: no AWS credentials: "), "{text}");
    assert!(text.contains("= hint: use a profile"), "{text}");
    assert!(
        output.stdout.is_empty(),
        "no stack may start: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn post_deploy_steps_are_refused_until_they_exist_rather_than_silently_skipped() {
    let output = gapfill("post-deploy", &["deploy", "--format", "plain"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        r#"error: post-deploy steps are not available yet
 --> gapfill.yaml:2:1
  |
2 | post-deploy: [post-deploy/*.yaml]
  | ^^^^^^^^^^^
  = hint: remove `post-deploy:` for now; `gapfill call service:Operation` runs single operations today

1 error in the project; nothing was deployed
"#
    );
}

#[test]
fn columns_and_carets_count_characters_not_bytes() {
    let output = gapfill("unicode", &["validate"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        r#"error: no stack named `nope` in the project
 --> gapfill.yaml:5:17
  |
5 |       T: "ééééé ${nope.X}"
  |                 ^^^^^^^^^
  = hint: stacks: a

1 error in the project; nothing was deployed
"#
    );
}
