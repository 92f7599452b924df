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
        // Outside GitHub Actions even when the tests run in it (no annotations).
        .env_remove("GITHUB_ACTIONS")
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

error: no stack or step named `dta`
  --> gapfill.yaml:13:18
   |
13 |     depends_on: [dta]
   |                  ^^^
   = hint: did you mean `data`?
   = hint: stacks and steps: data, api, loop-a, loop-b

error: template parameter `Stage` of stack `loop-a` has no Default and is not set
  --> gapfill.yaml:14:3
   |
14 |   loop-a:
   |   ^^^^^^
   = hint: set it under `stacks.loop-a.parameters`, e.g. `Stage: ...`

error: dependency cycle: stack `loop-a` -> stack `loop-b` -> stack `loop-a`
  --> gapfill.yaml:14:3
   |
14 |   loop-a:
   |   ^^^^^^
   = hint: each arrow is a `${stack.Output}` or `${steps.id.path}` reference, a `when:` on a stack, or a depends_on entry; break one of them

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
        r#"error: template is not valid YAML: did not find expected ',' or ']', while parsing a flow sequence
 --> stacks/broken.yaml:4:26
  |
4 |     Properties: [unclosed
  |                          ^

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
        .env("CATALOG_API_TOKEN", "a-token-for-the-example")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: no AWS credentials found\n  = hint: use a profile (--profile or AWS_PROFILE; `aws sso login` for SSO), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; in CI, assume a role with OIDC\n"
    );
    assert!(
        output.stdout.is_empty(),
        "no stack may start: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// Every kind of step problem, all at once, before any AWS call: unknown operations with a
/// did-you-mean over the models, inputs checked against the operation's shape, references,
/// depends_on targets, malformed JMESPath, expectations that cannot exist, a check that cannot
/// be derived, a step reference to a path its result cannot have, duplicate ids, a cycle
/// across a stack and a step, and drift ignore rules naming what does not exist.
const BAD_STEPS: &str = r#"error: no resource `Queu` in the template of stack `app`
 --> gapfill.yaml:9:31
  |
9 |     - { stack: app, resource: Queu, property: Tags }
  |                               ^^^^
  = hint: did you mean `Queue`?
  = hint: a resource is named by its logical id in the template

error: no stack named `ap` in the project
  --> gapfill.yaml:10:16
   |
10 |     - { stack: ap }
   |                ^^
   = hint: did you mean `app`?
   = hint: stacks: app

error: an ignore rule must name a stack, a resource or a property
  --> gapfill.yaml:11:7
   |
11 |     - {}
   |       ^
   = hint: e.g. `- { stack: catalog-data, resource: ImportQueue, property: /Properties/Tags }`

error: unknown operation `PutFunctionConcurency` of lambda
 --> post-deploy/a.yaml:6:11
  |
6 |     call: lambda:PutFunctionConcurency
  |           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  = hint: did you mean `PutFunctionConcurrency`?

error: sqs:SetQueueAttributes: invalid type for Attributes.VisibilityTimeout: expected string, found number
  --> post-deploy/a.yaml:12:40
   |
12 |       Attributes: { VisibilityTimeout: 30 }
   |                                        ^^
   = hint: `gapfill call sqs:SetQueueAttributes --skeleton` shows every member of its input

error: sqs:SetQueueAttributes: unknown member "Colour" in input
  --> post-deploy/a.yaml:13:7
   |
13 |       Colour: blue
   |       ^^^^^^
   = hint: `gapfill call sqs:SetQueueAttributes --skeleton` shows every member of its input

error: `Attributes.[VisibilityTimeout` is not a valid JMESPath expression: Parse error: Unexpected nud token -- found Eof (line 0, column 29)
  --> post-deploy/a.yaml:17:9
   |
17 |         "Attributes.[VisibilityTimeout": "30"
   |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

error: `Attributes.Visibility.Timeout` cannot exist in the result of sqs:GetQueueAttributes
  --> post-deploy/a.yaml:18:9
   |
18 |         Attributes.Visibility.Timeout: "30"
   |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   = hint: `gapfill call sqs:GetQueueAttributes` shows the result; member names are case-sensitive

error: stack `app` has no output `QueueArn` (template `app.yaml`)
  --> post-deploy/a.yaml:21:35
   |
21 |     input: { logGroupName: "/logs/${app.QueueArn}", retentionInDays: 7 }
   |                                   ^^^^^^^^^^^^^^^
   = hint: did you mean `QueueUrl`?
   = hint: outputs of app: QueueUrl

error: no stack or step named `visibilty`
  --> post-deploy/a.yaml:22:18
   |
22 |     depends_on: [visibilty]
   |                  ^^^^^^^^^
   = hint: did you mean `visibility`?
   = hint: stacks and steps: app, name-source, concurrency, visibility, retention, versioning, lifecycle, retention-auto, reads-a-result

error: `5 minutes`: unknown unit ` minutes`; use s, m or h
  --> post-deploy/a.yaml:23:14
   |
23 |     timeout: 5 minutes
   |              ^^^^^^^^^

error: unknown condition `creatd` in `when`
  --> post-deploy/a.yaml:28:13
   |
28 |     when: { creatd: app }
   |             ^^^^^^
   = hint: did you mean `created`?
   = hint: conditions: `created`, `updated`, `changed` or `unchanged` (a stack name or list: what this run did to it), `if` (a value: false, 0, empty or null skip the step)

error: no step with id `nowhere`
  --> post-deploy/a.yaml:31:29
   |
31 |     input: { logGroupName: "${steps.nowhere.QueueUrl}", retentionInDays: 7 }
   |                             ^^^^^^^^^^^^^^^^^^^^^^^^^
   = hint: steps: name-source, concurrency, visibility, retention, versioning, lifecycle, retention-auto, reads-a-result

error: duplicate step id `visibility`
  --> post-deploy/a.yaml:33:9
   |
33 |   - id: visibility
   |         ^^^^^^^^^^
   = hint: the first step `visibility` is at post-deploy/a.yaml:8; step ids are unique across the project

error: cannot derive the check's call: logs has no GetRetentionPolicy or DescribeRetentionPolicy operation
  --> post-deploy/a.yaml:39:12
   |
39 |     check: auto
   |            ^^^^
   = hint: name it: `check: { call: service:Operation }`

error: `Parameter.Valeu` cannot exist in the result of step `name-source`
  --> post-deploy/a.yaml:42:25
   |
42 |     input: { QueueUrl: "${steps.name-source.Parameter.Valeu}" }
   |                         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   = hint: the step's result is what ssm:GetParameter answers; `gapfill call ssm:GetParameter` shows it

error: dependency cycle: stack `app` -> step `name-source` -> stack `app`
 --> gapfill.yaml:2:3
  |
2 |   app:
  |   ^^^
  = hint: each arrow is a `${stack.Output}` or `${steps.id.path}` reference, a `when:` on a stack, or a depends_on entry; break one of them

17 errors in the project; nothing was deployed
"#;

#[test]
fn step_problems_are_all_reported_with_positions_before_any_aws_call() {
    for command in [&["validate"][..], &["deploy", "--format", "plain"][..]] {
        let output = gapfill("bad-steps", command);
        assert_eq!(output.status.code(), Some(1), "{command:?}");
        assert_eq!(stderr(&output), BAD_STEPS, "{command:?}");
        assert!(output.stdout.is_empty(), "{command:?}: nothing may run");
    }
}

#[test]
fn step_files_that_do_not_parse_or_do_not_exist_are_named() {
    let output = gapfill("bad-step-files", &["validate"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        r#"error: invalid step file: steps[0]: unknown field `chek`, expected one of `id`, `call`, `input`, `check`, `depends_on`, `when`, `timeout`, `retries`, `secret`
 --> post-deploy/b.yaml:4:5
  |
4 |     chek: auto
  |     ^^^^
  = hint: did you mean `check`?
  = hint: a step file is `steps:` followed by a list of steps, each with `id` and `call`

error: `post-deploy/missing.yaml` matches no file
 --> gapfill.yaml:2:35
  |
2 | post-deploy: [post-deploy/*.yaml, post-deploy/missing.yaml]
  |                                   ^^^^^^^^^^^^^^^^^^^^^^^^
  = hint: paths and globs are relative to the project file, e.g. `post-deploy/*.yaml`

2 errors in the project; nothing was deployed
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

/// What CloudFormation would refuse, found in several files and reported at once.
const BAD_LIMITS: &str = r#"error: key `team` is written twice in the same mapping (first at line 6)
 --> gapfill.yaml:7:7
  |
7 |       team: web
  |       ^^^^
  = hint: YAML would keep only the last value: remove or rename one

error: `steps/*.yaml` matches no file: there is no directory `steps`
  --> gapfill.yaml:10:15
   |
10 | post-deploy: [steps/*.yaml]
   |               ^^^^^^^^^^^^
   = hint: paths and globs are relative to the project file, e.g. `post-deploy/*.yaml`

error: CloudFormation does not support YAML aliases (`*name`)
 --> stacks/app.yaml:3:11
  |
3 |   Backup: *queue
  |           ^
  = hint: write the value out where it is used, or keep shared values in Mappings and read them with !FindInMap

error: unknown tag `!GetAttr`: not a CloudFormation intrinsic function
 --> stacks/app.yaml:5:16
  |
5 |   Arn: {Value: !GetAttr Queue.Arn}
  |                ^^^^^^^^
  = hint: did you mean `!GetAtt`?
  = hint: short forms: !Ref, !GetAtt, !Sub, !Join, !Select, !Split, !If, !Equals, !FindInMap, !ImportValue, !Base64, !Cidr, !GetAZs, ...

error: the template is not UTF-8 text: byte 0xFC at byte offset 15
 --> stacks/web.yaml:1:16
  |
1 | Description: Gr��e
  |                ^
  = hint: save the file as UTF-8, e.g. `iconv -f LATIN1 -t UTF-8`

error: `my_app` is not a valid stack name
 --> gapfill.yaml:2:3
  |
2 |   my_app:
  |   ^^^^^^
  = hint: a stack name starts with a letter and has only letters, digits and hyphens, e.g. `my-app`

error: tag key `aws:owner` starts with `aws:`, which AWS reserves for its own tags
 --> gapfill.yaml:5:7
  |
5 |       aws:owner: platform
  |       ^^^^^^^^^
  = hint: choose another prefix, e.g. your team's or company's name

7 errors in the project; nothing was deployed
"#;

#[test]
fn limits_yaml_features_and_encodings_are_reported_together() {
    let output = gapfill("bad-limits", &["validate"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stderr(&output), BAD_LIMITS);
}
