//! `gapfill drift` against a scripted CloudFormation endpoint with AWS-shaped answers, since
//! the emulator has no drift detection: a stack drifted with property differences (one
//! ignored by the project's rules), in sync with a resource CloudFormation cannot check, a
//! failed detection, a detection outliving the timeout, and throttling. Each scenario asserts
//! the printed lines, the exit code and the calls made.

mod support;

use serde_json::Value;
use support::cfn_xml as xml;
use support::project::TempProject;
use support::run::{Gapfill, Output};
use support::scripted::{Responder, Script};

const ID: &str = "6b1f5a30-5c2f-11ee-8c99-0242ac120002";

fn drift(project: &TempProject, responder: &Responder, args: &[&str]) -> Output {
    let mut all = vec!["drift", "--format", "plain"];
    all.extend_from_slice(args);
    Gapfill::new(project.path(), responder.url(), &all).run()
}

/// The `app` fixture, with `extra` appended to its project file.
fn project(extra: &str) -> TempProject {
    let project = TempProject::from_fixture("scripted-one");
    let text = project.read("gapfill.yaml");
    project.write("gapfill.yaml", &format!("{text}{extra}"));
    project
}

/// The lines of `output` for `app`, without timestamps.
fn app_lines(output: &Output) -> Vec<String> {
    output
        .plain_lines(&["app"])
        .into_iter()
        .filter_map(|line| line.strip_prefix("app: ").map(str::to_string))
        .collect()
}

fn detected(status: Vec<xml::Reply>, drifts: xml::Reply) -> Script {
    Script::new()
        .on("DetectStackDrift", vec![xml::detect_stack_drift(ID)])
        .on("DescribeStackDriftDetectionStatus", status)
        .on("DescribeStackResourceDrifts", vec![drifts])
}

#[test]
fn a_drifted_stack_names_each_property_difference_marks_ignored_ones_and_exits_2() {
    let project =
        project("drift:\n  ignore:\n    - { stack: app, resource: Queue, property: Tags }\n");
    let responder = Responder::start(detected(
        vec![
            xml::drift_detection_status("app", ID, "DETECTION_IN_PROGRESS", None, None),
            xml::drift_detection_status("app", ID, "DETECTION_COMPLETE", Some("DRIFTED"), None),
        ],
        xml::resource_drifts(
            "app",
            &[
                (
                    "Queue",
                    "AWS::SQS::Queue",
                    "MODIFIED",
                    vec![
                        ("/VisibilityTimeout", "30", "120", "NOT_EQUAL"),
                        ("/Tags/0/Value", "team-a", "team-b", "NOT_EQUAL"),
                    ],
                ),
                ("Table", "AWS::DynamoDB::Table", "DELETED", vec![]),
                ("Hook", "Custom::Hook", "NOT_CHECKED", vec![]),
            ],
        ),
    ));
    let output = drift(&project, &responder, &[]);
    output.assert_code(2);
    assert_eq!(
        app_lines(&output),
        [
            "started",
            "drifted: 2 resource(s) differ from the template; 1 resource(s) CloudFormation cannot check",
            // (indentation is trimmed by plain_lines)
            "MODIFIED AWS::SQS::Queue Queue",
            "/VisibilityTimeout: expected 30, found 120",
            "/Tags/0/Value: expected team-a, found team-b (ignored)",
            "DELETED AWS::DynamoDB::Table Table",
            "NOT_CHECKED Custom::Hook Hook",
            "result: drifted",
        ],
        "{output}"
    );
    let actions = responder.actions();
    assert_eq!(
        actions,
        [
            "DescribeStacks",
            "DetectStackDrift",
            "DescribeStackDriftDetectionStatus",
            "DescribeStackDriftDetectionStatus",
            "DescribeStackResourceDrifts",
        ],
        "no write, and no DescribeStacks but the first contact: a project without steps needs no outputs"
    );
    let filters: Vec<String> = responder.requests()[4]
        .params
        .iter()
        .filter(|(key, _)| key.starts_with("StackResourceDriftStatusFilters"))
        .map(|(_, value)| value.clone())
        .collect();
    assert_eq!(filters, ["MODIFIED", "DELETED", "NOT_CHECKED"]);
}

#[test]
fn markdown_prints_one_document_and_nothing_else() {
    let project =
        project("drift:\n  ignore:\n    - { stack: app, resource: Queue, property: Tags }\n");
    let responder = Responder::start(detected(
        vec![xml::drift_detection_status(
            "app",
            ID,
            "DETECTION_COMPLETE",
            Some("DRIFTED"),
            None,
        )],
        xml::resource_drifts(
            "app",
            &[(
                "Queue",
                "AWS::SQS::Queue",
                "MODIFIED",
                vec![
                    ("/VisibilityTimeout", "30", "120", "NOT_EQUAL"),
                    ("/Tags/0/Value", "team-a", "team-b", "NOT_EQUAL"),
                ],
            )],
        ),
    ));
    let output = Gapfill::new(
        project.path(),
        responder.url(),
        &["drift", "--format", "markdown"],
    )
    .run();
    output.assert_code(2);
    let (document, summary) = output
        .stdout
        .rsplit_once("\ndone in ")
        .expect("the summary line closes the document");
    assert_eq!(
        document,
        "## gapfill drift scripted: drift found

### Stacks

| stack | result | details |
|---|---|---|
| app | drifted | 1 resource(s) differ from the template |

#### Stack drift

- **app**
  - MODIFIED `AWS::SQS::Queue` `Queue`
    - `/VisibilityTimeout`: expected `30`, found `120`
    - `/Tags/0/Value`: expected `team-a`, found `team-b` (ignored)
",
        "{output}"
    );
    assert!(
        summary.ends_with(": drift found: stacks 1 drifted, 0 in sync, 0 not checked, 0 failed; steps 0 drifted, 0 in sync, 0 not checkable, 0 failed\n"),
        "{output}"
    );
}

#[test]
fn a_stack_in_sync_but_for_a_resource_cloudformation_cannot_check_is_never_called_in_sync_alone() {
    let project = project("");
    let script = || {
        detected(
            vec![xml::drift_detection_status(
                "app",
                ID,
                "DETECTION_COMPLETE",
                Some("IN_SYNC"),
                None,
            )],
            xml::resource_drifts("app", &[("Hook", "Custom::Hook", "NOT_CHECKED", vec![])]),
        )
    };
    let responder = Responder::start(script());
    let output = drift(&project, &responder, &[]);
    output.assert_code(0);
    assert_eq!(
        app_lines(&output)[1],
        "in sync, except what was not counted: 1 resource(s) CloudFormation cannot check"
    );
    let strict = drift(&project, &Responder::start(script()), &["--strict"]);
    strict.assert_code(1);
    assert!(
        strict
            .stderr
            .contains("error: --strict: 1 stack(s) or step(s) could not be checked"),
        "{strict}"
    );
}

#[test]
fn a_stack_in_sync_exits_0_and_says_so_in_json() {
    let project = project("");
    let responder = Responder::start(detected(
        vec![xml::drift_detection_status(
            "app",
            ID,
            "DETECTION_COMPLETE",
            Some("IN_SYNC"),
            None,
        )],
        xml::resource_drifts("app", &[]),
    ));
    let output = Gapfill::new(
        project.path(),
        responder.url(),
        &["drift", "--format", "json"],
    )
    .run();
    output.assert_code(0);
    let last: Value =
        serde_json::from_str(output.stdout.lines().last().unwrap_or_default()).expect("JSON lines");
    assert_eq!(last["type"], "run_finished");
    assert_eq!(last["data"]["drift"]["found"], false);
    assert_eq!(last["data"]["drift"]["stacks_in_sync"], 1);
    assert_eq!(last["data"]["stacks"][0]["outcome"], "in sync");
}

#[test]
fn a_failed_detection_without_results_is_not_checked_with_its_reason() {
    let project = project("");
    let responder = Responder::start(detected(
        vec![xml::drift_detection_status(
            "app",
            ID,
            "DETECTION_FAILED",
            None,
            Some("Failed to detect drift on resource [Hook]: access denied"),
        )],
        xml::resource_drifts("app", &[]),
    ));
    let output = drift(&project, &responder, &[]);
    output.assert_code(0);
    assert_eq!(
        app_lines(&output)[1],
        "stack drift not checked: drift detection failed: Failed to detect drift on resource [Hook]: access denied"
    );
}

#[test]
fn a_detection_outliving_the_timeout_is_not_checked_and_the_run_ends() {
    let project = project("");
    let responder = Responder::start(detected(
        vec![xml::drift_detection_status(
            "app",
            ID,
            "DETECTION_IN_PROGRESS",
            None,
            None,
        )],
        xml::resource_drifts("app", &[]),
    ));
    let started = std::time::Instant::now();
    let output = drift(&project, &responder, &["--timeout", "3s"]);
    output.assert_code(0);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "bounded by --timeout"
    );
    assert_eq!(
        app_lines(&output)[1],
        format!(
            "stack drift not checked: drift detection {ID} was still running after 3s (--timeout)"
        )
    );
    let polls = responder
        .actions()
        .iter()
        .filter(|a| *a == "DescribeStackDriftDetectionStatus")
        .count();
    assert!(
        (2..=4).contains(&polls),
        "backs off between polls: {polls} in 3s"
    );
}

#[test]
fn throttled_drift_calls_are_retried() {
    let project = project("");
    let responder = Responder::start(
        Script::new()
            .on(
                "DetectStackDrift",
                vec![
                    xml::throttling(),
                    xml::throttling(),
                    xml::detect_stack_drift(ID),
                ],
            )
            .on(
                "DescribeStackDriftDetectionStatus",
                vec![
                    xml::throttling(),
                    xml::drift_detection_status(
                        "app",
                        ID,
                        "DETECTION_COMPLETE",
                        Some("IN_SYNC"),
                        None,
                    ),
                ],
            )
            .on(
                "DescribeStackResourceDrifts",
                vec![xml::resource_drifts("app", &[])],
            ),
    );
    let output = drift(&project, &responder, &[]);
    output.assert_code(0);
    assert_eq!(
        app_lines(&output)[1..3],
        [
            "retrying cloudformation:DetectStackDrift (attempt 3 of 10): throttled (Throttling: Rate exceeded)",
            "in sync (CloudFormation drift detection)",
        ],
        "the second retry in a row is told; {output}"
    );
    assert_eq!(
        responder
            .actions()
            .iter()
            .filter(|a| *a == "DetectStackDrift")
            .count(),
        3
    );
}

#[test]
fn a_stack_that_is_not_deployed_fails_the_run_with_a_hint() {
    let project = project("");
    let responder = Responder::start(Script::new().on(
        "DetectStackDrift",
        vec![xml::error(
            "ValidationError",
            "Stack with id app does not exist",
        )],
    ));
    let output = drift(&project, &responder, &[]);
    output.assert_code(1);
    let lines = app_lines(&output);
    assert_eq!(
        lines[1],
        "failed: DetectStackDrift failed: ValidationError: Stack with id app does not exist"
    );
    assert_eq!(
        lines[2],
        "hint: the stack is not deployed: run `gapfill deploy` first"
    );
}
