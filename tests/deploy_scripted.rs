//! `gapfill deploy` against a scripted CloudFormation endpoint: the paths the emulator cannot
//! produce (operations IN_PROGRESS over several polls, resource events, rollbacks, stuck
//! states, throttling, empty change sets). Each scenario asserts the printed lines, the exit
//! code and the exact sequence of AWS calls.

mod support;

use support::cfn_xml::{self as xml, EventLog, Stack};
use support::project::TempProject;
use support::recorded::Request;
use support::run::{Gapfill, Output};
use support::scripted::{Responder, Script};

const APP_TEMPLATE: &str = "app.yaml";

/// `gapfill deploy --format plain ARGS` in `project`, against `responder`.
fn deploy(project: &TempProject, responder: &Responder, args: &[&str]) -> Output {
    let mut all = vec!["deploy", "--format", "plain"];
    all.extend_from_slice(args);
    Gapfill::new(project.path(), responder.url(), &all).run()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The only request with `action`.
fn only(requests: &[Request], action: &str) -> Request {
    let found: Vec<&Request> = requests.iter().filter(|r| r.action == action).collect();
    assert_eq!(found.len(), 1, "one {action} expected");
    found[0].clone()
}

/// `app` as deployed by the fixture, with its outputs.
fn app_stack(status: &str) -> Stack {
    Stack::new("app", status)
        .parameter("Env", "test")
        .output(
            "QueueUrl",
            "https://sqs.us-east-1.amazonaws.com/123456789012/app-Queue-XYZ",
        )
        .output("TableName", "app-Table-XYZ")
}

fn app_changes() -> Vec<xml::Change<'static>> {
    vec![
        ("Add", "Queue", "AWS::SQS::Queue", None),
        ("Add", "Table", "AWS::DynamoDB::Table", None),
    ]
}

#[test]
fn a_create_polled_over_several_ticks_prints_every_event_once_in_order() {
    let project = TempProject::from_fixture("scripted-one");
    let mut log = EventLog::new("app");
    log.stack("REVIEW_IN_PROGRESS", Some("User Initiated"));
    let baseline = log.page();
    log.stack("CREATE_IN_PROGRESS", Some("User Initiated"))
        .resource("Queue", "AWS::SQS::Queue", "CREATE_IN_PROGRESS", None)
        .resource("Table", "AWS::DynamoDB::Table", "CREATE_IN_PROGRESS", None);
    let first = log.page();
    log.resource(
        "Queue",
        "AWS::SQS::Queue",
        "CREATE_IN_PROGRESS",
        Some("Resource creation Initiated"),
    )
    .resource("Queue", "AWS::SQS::Queue", "CREATE_COMPLETE", None);
    let second = log.page();
    log.resource("Table", "AWS::DynamoDB::Table", "CREATE_COMPLETE", None)
        .stack("CREATE_COMPLETE", None);
    let last = log.page();
    let responder = Responder::start(
        Script::new()
            .on(
                "DescribeStacks",
                vec![
                    xml::missing_stack("app"),
                    xml::describe_stacks(&[app_stack("CREATE_COMPLETE")]),
                ],
            )
            .on("CreateChangeSet", vec![xml::create_change_set("app", "cs")])
            .on(
                "DescribeChangeSet",
                vec![
                    xml::describe_change_set("app", "CREATE_PENDING", None, &[]),
                    xml::describe_change_set("app", "CREATE_COMPLETE", None, &app_changes()),
                ],
            )
            .on("ExecuteChangeSet", vec![xml::execute_change_set()])
            // The baseline, then a quiet tick between two with news.
            .on(
                "DescribeStackEvents",
                vec![baseline, first.clone(), first, second, last],
            ),
    );

    let output = deploy(&project, &responder, &["--outputs-file", "outputs.json"]);

    output.assert_code(0);
    assert_eq!(
        output.plain_lines(&["app"]),
        strings(&[
            "deploy scripted: 1 stack(s): app",
            "app: started",
            "app: change set <change-set>: 2 change(s)",
            "app: + AWS::SQS::Queue Queue",
            "app: + AWS::DynamoDB::Table Table",
            "app: executing change set",
            "app: CREATE_IN_PROGRESS app (AWS::CloudFormation::Stack): User Initiated",
            "app: CREATE_IN_PROGRESS Queue (AWS::SQS::Queue)",
            "app: CREATE_IN_PROGRESS Table (AWS::DynamoDB::Table)",
            "app: CREATE_IN_PROGRESS Queue (AWS::SQS::Queue): Resource creation Initiated",
            "app: CREATE_COMPLETE Queue (AWS::SQS::Queue)",
            "app: CREATE_COMPLETE Table (AWS::DynamoDB::Table)",
            "app: CREATE_COMPLETE app (AWS::CloudFormation::Stack)",
            "app: created",
            "app: result: created",
            "done in <duration>: 1 created, 0 updated, 0 unchanged, 0 failed, 0 skipped",
        ]),
        "{output}"
    );
    assert_eq!(
        responder.actions(),
        strings(&[
            "DescribeStacks",
            "CreateChangeSet",
            "DescribeChangeSet",
            "DescribeChangeSet",
            "DescribeStackEvents",
            "ExecuteChangeSet",
            "DescribeStackEvents",
            "DescribeStackEvents",
            "DescribeStackEvents",
            "DescribeStackEvents",
            "DescribeStacks",
        ])
    );
    let requests = responder.requests();
    let create = only(&requests, "CreateChangeSet");
    assert_eq!(create.param("StackName"), Some("app"));
    assert_eq!(create.param("ChangeSetType"), Some("CREATE"));
    assert_eq!(
        create.param("Parameters.member.1.ParameterKey"),
        Some("Env")
    );
    assert_eq!(
        create.param("Parameters.member.1.ParameterValue"),
        Some("test")
    );
    assert_eq!(
        create.param("TemplateBody"),
        Some(project.read(APP_TEMPLATE).as_str())
    );
    let execute = only(&requests, "ExecuteChangeSet");
    assert_eq!(
        execute.param("ChangeSetName"),
        Some(xml::change_set_arn("cs").as_str()),
        "the change set is executed by the id CreateChangeSet returned"
    );
    let outputs: serde_json::Value =
        serde_json::from_str(&project.read("outputs.json")).expect("outputs file is JSON");
    assert_eq!(
        outputs,
        serde_json::json!({"app": {
            "QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/app-Queue-XYZ",
            "TableName": "app-Table-XYZ",
        }})
    );
}

#[test]
fn a_failed_create_names_the_first_real_failure_and_skips_dependents() {
    let project = TempProject::from_fixture("scripted-two");
    let mut log = EventLog::new("app");
    log.stack("REVIEW_IN_PROGRESS", Some("User Initiated"));
    let baseline = log.page();
    log.stack("CREATE_IN_PROGRESS", Some("User Initiated"))
        .resource("Queue", "AWS::SQS::Queue", "CREATE_IN_PROGRESS", None)
        .resource("Table", "AWS::DynamoDB::Table", "CREATE_IN_PROGRESS", None);
    let first = log.page();
    // The cancellation is recorded before the cause within one tick: the cause must still win.
    log.resource(
        "Queue",
        "AWS::SQS::Queue",
        "CREATE_FAILED",
        Some("Resource creation cancelled"),
    )
    .resource(
        "Table",
        "AWS::DynamoDB::Table",
        "CREATE_FAILED",
        Some("One or more parameter values were invalid: Missing the key id in the item"),
    )
    .stack(
        "ROLLBACK_IN_PROGRESS",
        Some("The following resource(s) failed to create: [Queue, Table]. Rollback requested by user."),
    )
    .resource("Queue", "AWS::SQS::Queue", "DELETE_COMPLETE", None)
    .resource("Table", "AWS::DynamoDB::Table", "DELETE_COMPLETE", None)
    .stack("ROLLBACK_COMPLETE", None);
    let last = log.page();
    let rolled_back = Stack::new("app", "ROLLBACK_COMPLETE")
        .parameter("Env", "test")
        .reason("The following resource(s) failed to create: [Queue, Table]. Rollback requested by user.");
    let responder = Responder::start(
        Script::new()
            .on(
                "DescribeStacks",
                vec![
                    xml::missing_stack("app"),
                    xml::describe_stacks(&[rolled_back]),
                ],
            )
            .on("CreateChangeSet", vec![xml::create_change_set("app", "cs")])
            .on(
                "DescribeChangeSet",
                vec![xml::describe_change_set(
                    "app",
                    "CREATE_COMPLETE",
                    None,
                    &app_changes(),
                )],
            )
            .on("ExecuteChangeSet", vec![xml::execute_change_set()])
            .on("DescribeStackEvents", vec![baseline, first, last]),
    );

    let output = deploy(&project, &responder, &[]);

    output.assert_code(1);
    let lines = output.plain_lines(&["app", "web"]);
    let finished: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains(": failed:") || l.contains(": skipped:") || l.contains(": hint:"))
        .collect();
    assert_eq!(
        finished,
        [
            "app: failed: ROLLBACK_COMPLETE: Table (AWS::DynamoDB::Table) CREATE_FAILED: One or more parameter values were invalid: Missing the key id in the item",
            "app: hint: the create failed and was rolled back; fix the cause and deploy again (gapfill deletes and recreates the stack)",
            "web: skipped: stack `app` did not deploy",
        ],
        "{output}"
    );
    assert!(
        lines.contains(
            &"app: CREATE_FAILED Queue (AWS::SQS::Queue): Resource creation cancelled".to_string()
        ),
        "every event is still printed; {output}"
    );
    assert!(
        !lines.iter().any(|l| l.starts_with("web: started")),
        "{output}"
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("done in <duration>: 0 created, 0 updated, 0 unchanged, 1 failed, 1 skipped")
    );
    assert_eq!(
        responder.actions_for("web"),
        Vec::<String>::new(),
        "a skipped stack makes no call"
    );
    assert_eq!(
        responder.actions(),
        strings(&[
            "DescribeStacks",
            "CreateChangeSet",
            "DescribeChangeSet",
            "DescribeStackEvents",
            "ExecuteChangeSet",
            "DescribeStackEvents",
            "DescribeStackEvents",
            "DescribeStacks",
        ])
    );
}

#[test]
fn a_stack_left_in_rollback_complete_is_deleted_then_created() {
    let project = TempProject::from_fixture("scripted-one");
    let old_id = xml::stack_arn("app", 1);
    let mut old = EventLog::generation("app", 1);
    old.stack("CREATE_IN_PROGRESS", Some("User Initiated"))
        .stack(
            "ROLLBACK_IN_PROGRESS",
            Some("The following resource(s) failed to create: [Table]."),
        )
        .stack("ROLLBACK_COMPLETE", None);
    let old_baseline = old.page();
    old.stack("DELETE_IN_PROGRESS", Some("User Initiated"))
        .stack("DELETE_COMPLETE", None);
    let old_deleted = old.page();
    let mut new = EventLog::generation("app", 2);
    new.stack("REVIEW_IN_PROGRESS", Some("User Initiated"));
    let new_baseline = new.page();
    new.stack("CREATE_IN_PROGRESS", Some("User Initiated"))
        .resource("Queue", "AWS::SQS::Queue", "CREATE_COMPLETE", None)
        .resource("Table", "AWS::DynamoDB::Table", "CREATE_COMPLETE", None)
        .stack("CREATE_COMPLETE", None);
    let new_created = new.page();
    let responder = Responder::start(
        Script::new()
            .on(
                "DescribeStacks",
                vec![
                    xml::describe_stacks(&[Stack::new("app", "ROLLBACK_COMPLETE").id(&old_id)]),
                    xml::missing_stack("app"),
                    xml::describe_stacks(&[
                        app_stack("CREATE_COMPLETE").id(&xml::stack_arn("app", 2))
                    ]),
                ],
            )
            .on_stack(
                "DescribeStackEvents",
                &old_id,
                vec![old_baseline, old_deleted],
            )
            .on_stack(
                "DescribeStackEvents",
                &xml::stack_arn("app", 2),
                vec![new_baseline, new_created],
            )
            .on_stack("DeleteStack", &old_id, vec![xml::delete_stack()])
            .on(
                "CreateChangeSet",
                vec![xml::create_change_set_of(&xml::stack_arn("app", 2), "cs")],
            )
            .on(
                "DescribeChangeSet",
                vec![xml::describe_change_set(
                    "app",
                    "CREATE_COMPLETE",
                    None,
                    &app_changes(),
                )],
            )
            .on("ExecuteChangeSet", vec![xml::execute_change_set()]),
    );

    let output = deploy(&project, &responder, &[]);

    output.assert_code(0);
    let lines = output.plain_lines(&["app"]);
    assert_eq!(
        lines[..6],
        strings(&[
            "deploy scripted: 1 stack(s): app",
            "app: started",
            "app: is ROLLBACK_COMPLETE: deleting it (a failed create left it in ROLLBACK_COMPLETE); it will be created again",
            "app: DELETE_IN_PROGRESS app (AWS::CloudFormation::Stack): User Initiated",
            "app: DELETE_COMPLETE app (AWS::CloudFormation::Stack)",
            "app: change set <change-set>: 2 change(s)",
        ]),
        "{output}"
    );
    assert!(lines.contains(&"app: created".to_string()), "{output}");
    assert_eq!(
        responder.actions(),
        strings(&[
            "DescribeStacks",
            "DescribeStackEvents",
            "DeleteStack",
            "DescribeStackEvents",
            "DescribeStacks",
            "CreateChangeSet",
            "DescribeChangeSet",
            "DescribeStackEvents",
            "ExecuteChangeSet",
            "DescribeStackEvents",
            "DescribeStacks",
        ])
    );
    let requests = responder.requests();
    assert_eq!(
        only(&requests, "DeleteStack").param("StackName"),
        Some(old_id.as_str()),
        "the failed stack is deleted by its id, so a new stack of the name is never hit"
    );
    assert_eq!(
        only(&requests, "CreateChangeSet").param("ChangeSetType"),
        Some("CREATE")
    );
}

const ROLLBACK_FAILED_REASON: &str =
    "The following resource(s) failed to update: [Table]. Resource Table failed to roll back.";

fn rollback_failed() -> Stack {
    app_stack("UPDATE_ROLLBACK_FAILED").reason(ROLLBACK_FAILED_REASON)
}

#[test]
fn update_rollback_failed_stops_with_the_remedy_and_changes_nothing() {
    let project = TempProject::from_fixture("scripted-one");
    let responder = Responder::start(Script::new().on(
        "DescribeStacks",
        vec![xml::describe_stacks(&[rollback_failed()])],
    ));

    let output = deploy(&project, &responder, &[]);

    output.assert_code(1);
    assert_eq!(
        output.plain_lines(&["app"]),
        strings(&[
            "deploy scripted: 1 stack(s): app",
            "app: started",
            &format!("app: failed: stack is in UPDATE_ROLLBACK_FAILED: {ROLLBACK_FAILED_REASON}"),
            "app: hint: run `gapfill deploy --continue-update-rollback`, or `aws cloudformation continue-update-rollback --stack-name app` (add --resources-to-skip for resources that cannot roll back)",
            "app: result: failed",
            "done in <duration>: 0 created, 0 updated, 0 unchanged, 1 failed, 0 skipped",
        ]),
        "{output}"
    );
    assert_eq!(responder.actions(), strings(&["DescribeStacks"]));
}

#[test]
fn continue_update_rollback_recovers_the_stack_then_deploys() {
    let project = TempProject::from_fixture("scripted-one");
    let id = xml::stack_arn("app", 1);
    let mut log = EventLog::new("app");
    log.stack("UPDATE_ROLLBACK_IN_PROGRESS", None)
        .resource(
            "Table",
            "AWS::DynamoDB::Table",
            "UPDATE_FAILED",
            Some("Table is being deleted"),
        )
        .stack("UPDATE_ROLLBACK_FAILED", Some(ROLLBACK_FAILED_REASON));
    let stuck = log.page();
    log.stack("UPDATE_ROLLBACK_IN_PROGRESS", Some("User Initiated"))
        .stack("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", None)
        .stack("UPDATE_ROLLBACK_COMPLETE", None);
    let recovered = log.page();
    log.stack("UPDATE_IN_PROGRESS", Some("User Initiated"))
        .resource("Table", "AWS::DynamoDB::Table", "UPDATE_COMPLETE", None)
        .stack("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None)
        .stack("UPDATE_COMPLETE", None);
    let updated = log.page();
    let responder = Responder::start(
        Script::new()
            .on(
                "DescribeStacks",
                vec![
                    xml::describe_stacks(&[rollback_failed()]),
                    xml::describe_stacks(&[app_stack("UPDATE_ROLLBACK_COMPLETE")]),
                    xml::describe_stacks(&[app_stack("UPDATE_COMPLETE")]),
                ],
            )
            // Recovering, then the deploy: one stack, followed by its id throughout.
            .on_stack(
                "DescribeStackEvents",
                &id,
                vec![stuck, recovered.clone(), recovered, updated],
            )
            .on(
                "ContinueUpdateRollback",
                vec![xml::continue_update_rollback()],
            )
            // The deployed template is an older one: the deploy goes on to a change set.
            .on("GetTemplate", vec![xml::get_template("Resources: {}\n")])
            .on("CreateChangeSet", vec![xml::create_change_set("app", "cs")])
            .on(
                "DescribeChangeSet",
                vec![xml::describe_change_set(
                    "app",
                    "CREATE_COMPLETE",
                    None,
                    &[("Modify", "Table", "AWS::DynamoDB::Table", Some("False"))],
                )],
            )
            .on("ExecuteChangeSet", vec![xml::execute_change_set()]),
    );

    let output = deploy(&project, &responder, &["--continue-update-rollback"]);

    output.assert_code(0);
    let lines = output.plain_lines(&["app"]);
    assert_eq!(
        lines[2],
        "app: is UPDATE_ROLLBACK_FAILED: continuing the update rollback (--continue-update-rollback)",
        "{output}"
    );
    assert!(
        lines.contains(&"app: ~ AWS::DynamoDB::Table Table".to_string()),
        "{output}"
    );
    assert!(lines.contains(&"app: updated".to_string()), "{output}");
    assert_eq!(
        responder.actions(),
        strings(&[
            "DescribeStacks",
            "DescribeStackEvents",
            "ContinueUpdateRollback",
            "DescribeStackEvents",
            "DescribeStacks",
            "GetTemplate",
            "ListChangeSets",
            "CreateChangeSet",
            "DescribeChangeSet",
            "DescribeStackEvents",
            "ExecuteChangeSet",
            "DescribeStackEvents",
            "DescribeStacks",
        ])
    );
    let requests = responder.requests();
    assert_eq!(
        only(&requests, "CreateChangeSet").param("ChangeSetType"),
        Some("UPDATE")
    );
    assert!(
        only(&requests, "ContinueUpdateRollback")
            .param("ClientRequestToken")
            .is_some_and(|t| !t.is_empty()),
        "a retried ContinueUpdateRollback must be idempotent"
    );
}

#[test]
fn throttled_calls_are_retried_without_surfacing_an_error() {
    let project = TempProject::from_fixture("scripted-one");
    let mut log = EventLog::new("app");
    log.stack("REVIEW_IN_PROGRESS", Some("User Initiated"));
    let baseline = log.page();
    log.stack("CREATE_IN_PROGRESS", Some("User Initiated"))
        .stack("CREATE_COMPLETE", None);
    let done = log.page();
    let responder = Responder::start(
        Script::new()
            .on(
                "DescribeStacks",
                vec![
                    xml::throttling(),
                    xml::throttling(),
                    xml::missing_stack("app"),
                    xml::describe_stacks(&[app_stack("CREATE_COMPLETE")]),
                ],
            )
            .on("CreateChangeSet", vec![xml::create_change_set("app", "cs")])
            .on(
                "DescribeChangeSet",
                vec![xml::describe_change_set(
                    "app",
                    "CREATE_COMPLETE",
                    None,
                    &app_changes(),
                )],
            )
            .on("ExecuteChangeSet", vec![xml::execute_change_set()])
            .on("DescribeStackEvents", vec![baseline, done]),
    );

    // The SDK's adaptive retry mode rate-limits the client once throttled: the two retries
    // wait about 8 s and 18 s, so this test takes about 30 s.
    let output = deploy(&project, &responder, &[]);

    output.assert_code(0);
    let lines = output.plain_lines(&["app"]);
    assert!(lines.contains(&"app: created".to_string()), "{output}");
    for text in [&output.stdout, &output.stderr] {
        assert!(
            !text.contains("Throttling") && !text.contains("Rate exceeded"),
            "a retried throttle is not an error; {output}"
        );
    }
    assert_eq!(
        responder.actions()[..4],
        strings(&[
            "DescribeStacks",
            "DescribeStacks",
            "DescribeStacks",
            "CreateChangeSet"
        ])
    );
}

#[test]
fn an_empty_change_set_is_no_changes_and_is_deleted() {
    let project = TempProject::from_fixture("scripted-one");
    let responder = Responder::start(
        Script::new()
            .on(
                "DescribeStacks",
                vec![xml::describe_stacks(&[app_stack("UPDATE_COMPLETE")])],
            )
            // Same resources, different formatting: only CloudFormation can tell it is no change.
            .on(
                "GetTemplate",
                vec![xml::get_template(
                    &project.read(APP_TEMPLATE).replace("  ", "    "),
                )],
            )
            // A deploy killed before it executed its change set left one behind; a plan and
            // a person left theirs.
            .on(
                "ListChangeSets",
                vec![xml::list_change_sets(
                    "app",
                    &[
                        ("gapfill-20261201-101010-123", "AVAILABLE"),
                        ("gapfill-plan-20261201-101010-123", "AVAILABLE"),
                        ("by-hand", "AVAILABLE"),
                    ],
                )],
            )
            .on("CreateChangeSet", vec![xml::create_change_set("app", "cs")])
            .on(
                "DescribeChangeSet",
                vec![xml::describe_change_set(
                    "app",
                    "FAILED",
                    Some(xml::EMPTY_CHANGE_SET_REASON),
                    &[],
                )],
            )
            .on("DeleteChangeSet", vec![xml::delete_change_set()]),
    );

    let output = deploy(&project, &responder, &["--outputs-file", "outputs.json"]);

    output.assert_code(0);
    assert_eq!(
        output.plain_lines(&["app"]),
        strings(&[
            "deploy scripted: 1 stack(s): app",
            "app: started",
            "app: no changes (empty change set)",
            "app: result: no changes",
            "done in <duration>: 0 created, 0 updated, 1 unchanged, 0 failed, 0 skipped",
        ]),
        "{output}"
    );
    assert_eq!(
        responder.actions(),
        strings(&[
            "DescribeStacks",
            "GetTemplate",
            "ListChangeSets",
            "DeleteChangeSet",
            "CreateChangeSet",
            "DescribeChangeSet",
            "DeleteChangeSet",
        ])
    );
    let deleted: Vec<String> = responder
        .requests()
        .iter()
        .filter(|request| request.action == "DeleteChangeSet")
        .filter_map(|request| request.param("ChangeSetName").map(str::to_string))
        .collect();
    assert_eq!(
        deleted,
        [
            xml::change_set_arn("gapfill-20261201-101010-123"),
            xml::change_set_arn("cs")
        ],
        "the deploy's leftover and its own empty change set; not the plan's, not the person's"
    );
    let outputs: serde_json::Value =
        serde_json::from_str(&project.read("outputs.json")).expect("outputs file is JSON");
    assert_eq!(
        outputs["app"]["TableName"], "app-Table-XYZ",
        "an unchanged stack still reports its outputs"
    );
}

#[test]
fn a_stack_already_in_progress_is_waited_out_then_deployed() {
    let project = TempProject::from_fixture("scripted-one");
    let id = xml::stack_arn("app", 1);
    let mut log = EventLog::new("app");
    log.stack("CREATE_COMPLETE", None)
        .stack("UPDATE_IN_PROGRESS", Some("User Initiated"));
    let busy = log.page();
    log.resource("Queue", "AWS::SQS::Queue", "UPDATE_IN_PROGRESS", None);
    let still_busy = log.page();
    log.resource("Queue", "AWS::SQS::Queue", "UPDATE_COMPLETE", None)
        .stack("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None)
        .stack("UPDATE_COMPLETE", None);
    let settled = log.page();
    log.stack("UPDATE_IN_PROGRESS", Some("User Initiated"))
        .resource("Table", "AWS::DynamoDB::Table", "UPDATE_COMPLETE", None)
        .stack("UPDATE_COMPLETE", None);
    let deployed = log.page();
    // Someone else's update set Env=other; this deploy sets it back to test.
    let other = Stack::new("app", "UPDATE_COMPLETE").parameter("Env", "other");
    let responder = Responder::start(
        Script::new()
            .on(
                "DescribeStacks",
                vec![
                    xml::describe_stacks(&[
                        Stack::new("app", "UPDATE_IN_PROGRESS").parameter("Env", "other")
                    ]),
                    xml::describe_stacks(&[other]),
                    xml::describe_stacks(&[app_stack("UPDATE_COMPLETE")]),
                ],
            )
            // Waiting, then the deploy: one stack, followed by its id throughout.
            .on_stack(
                "DescribeStackEvents",
                &id,
                vec![busy, still_busy, settled.clone(), settled, deployed],
            )
            .on("CreateChangeSet", vec![xml::create_change_set("app", "cs")])
            .on(
                "DescribeChangeSet",
                vec![xml::describe_change_set(
                    "app",
                    "CREATE_COMPLETE",
                    None,
                    &[("Modify", "Table", "AWS::DynamoDB::Table", Some("False"))],
                )],
            )
            .on("ExecuteChangeSet", vec![xml::execute_change_set()]),
    );

    let output = deploy(&project, &responder, &[]);

    output.assert_code(0);
    let lines = output.plain_lines(&["app"]);
    assert_eq!(
        lines[2..7],
        strings(&[
            "app: is UPDATE_IN_PROGRESS: waiting for the operation in progress to finish",
            "app: UPDATE_IN_PROGRESS Queue (AWS::SQS::Queue)",
            "app: UPDATE_COMPLETE Queue (AWS::SQS::Queue)",
            "app: UPDATE_COMPLETE_CLEANUP_IN_PROGRESS app (AWS::CloudFormation::Stack)",
            "app: UPDATE_COMPLETE app (AWS::CloudFormation::Stack)",
        ]),
        "{output}"
    );
    assert!(lines.contains(&"app: updated".to_string()), "{output}");
    assert_eq!(
        responder.actions(),
        strings(&[
            "DescribeStacks",
            "DescribeStackEvents",
            "DescribeStackEvents",
            "DescribeStackEvents",
            "DescribeStacks",
            "ListChangeSets",
            "CreateChangeSet",
            "DescribeChangeSet",
            "DescribeStackEvents",
            "ExecuteChangeSet",
            "DescribeStackEvents",
            "DescribeStacks",
        ])
    );
    let requests = responder.requests();
    let create = only(&requests, "CreateChangeSet");
    assert_eq!(create.param("ChangeSetType"), Some("UPDATE"));
    assert_eq!(
        create.param("Parameters.member.1.ParameterValue"),
        Some("test")
    );
}

#[test]
fn a_failed_update_that_rolls_back_reports_its_cause() {
    let project = TempProject::from_fixture("scripted-one");
    let mut log = EventLog::new("app");
    log.stack("CREATE_COMPLETE", None);
    let baseline = log.page();
    let cause = "Resource handler returned message: \"One or more parameter values were invalid\" (Service: DynamoDb, Status Code: 400)";
    log.stack("UPDATE_IN_PROGRESS", Some("User Initiated"))
        .resource("Table", "AWS::DynamoDB::Table", "UPDATE_IN_PROGRESS", None)
        .resource(
            "Table",
            "AWS::DynamoDB::Table",
            "UPDATE_FAILED",
            Some(cause),
        )
        .stack(
            "UPDATE_ROLLBACK_IN_PROGRESS",
            Some("The following resource(s) failed to update: [Table]."),
        )
        .resource("Table", "AWS::DynamoDB::Table", "UPDATE_COMPLETE", None)
        .stack("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", None)
        .stack("UPDATE_ROLLBACK_COMPLETE", None);
    let rolled_back = log.page();
    let responder = Responder::start(
        Script::new()
            .on(
                "DescribeStacks",
                vec![
                    xml::describe_stacks(&[
                        Stack::new("app", "CREATE_COMPLETE").parameter("Env", "other")
                    ]),
                    xml::describe_stacks(&[
                        Stack::new("app", "UPDATE_ROLLBACK_COMPLETE").parameter("Env", "other")
                    ]),
                ],
            )
            .on("CreateChangeSet", vec![xml::create_change_set("app", "cs")])
            .on(
                "DescribeChangeSet",
                vec![xml::describe_change_set(
                    "app",
                    "CREATE_COMPLETE",
                    None,
                    &[(
                        "Modify",
                        "Table",
                        "AWS::DynamoDB::Table",
                        Some("Conditional"),
                    )],
                )],
            )
            .on("ExecuteChangeSet", vec![xml::execute_change_set()])
            .on("DescribeStackEvents", vec![baseline, rolled_back]),
    );

    let output = deploy(&project, &responder, &[]);

    output.assert_code(1);
    let lines = output.plain_lines(&["app"]);
    assert!(
        lines.contains(&"app: ~ AWS::DynamoDB::Table Table (may replace)".to_string()),
        "{output}"
    );
    assert_eq!(
        lines[lines.len() - 4..],
        strings(&[
            &format!("app: failed: UPDATE_ROLLBACK_COMPLETE: Table (AWS::DynamoDB::Table) UPDATE_FAILED: {cause}"),
            "app: hint: the update was rolled back; the stack is as it was before this deploy",
            "app: result: failed",
            "done in <duration>: 0 created, 0 updated, 0 unchanged, 1 failed, 0 skipped",
        ]),
        "{output}"
    );
}

#[test]
fn a_stack_that_never_finishes_times_out_with_a_hint() {
    let project = TempProject::from_fixture("scripted-one");
    let mut log = EventLog::new("app");
    log.stack("REVIEW_IN_PROGRESS", Some("User Initiated"));
    let baseline = log.page();
    log.stack("CREATE_IN_PROGRESS", Some("User Initiated"))
        .resource("Table", "AWS::DynamoDB::Table", "CREATE_IN_PROGRESS", None);
    let stuck = log.page();
    let responder = Responder::start(
        Script::new()
            .on("DescribeStacks", vec![xml::missing_stack("app")])
            .on("CreateChangeSet", vec![xml::create_change_set("app", "cs")])
            .on(
                "DescribeChangeSet",
                vec![xml::describe_change_set(
                    "app",
                    "CREATE_COMPLETE",
                    None,
                    &app_changes(),
                )],
            )
            .on("ExecuteChangeSet", vec![xml::execute_change_set()])
            .on("DescribeStackEvents", vec![baseline, stuck]),
    );

    let output = deploy(&project, &responder, &["--timeout", "2s"]);

    output.assert_code(1);
    let lines = output.plain_lines(&["app"]);
    assert_eq!(
        lines[lines.len() - 4..],
        strings(&[
            "app: failed: timed out after 2s waiting for the stack (still CREATE_IN_PROGRESS)",
            "app: hint: raise --timeout; running gapfill again waits for `app` where it is",
            "app: result: failed",
            "done in <duration>: 0 created, 0 updated, 0 unchanged, 1 failed, 0 skipped",
        ]),
        "{output}"
    );
    assert!(
        !responder.actions().iter().any(|a| a == "DeleteStack"),
        "a timeout leaves the stack alone"
    );
}

#[test]
fn an_output_missing_from_the_deployed_stack_fails_the_stack_that_reads_it() {
    let project = TempProject::from_fixture("scripted-two");
    let mut log = EventLog::new("app");
    log.stack("REVIEW_IN_PROGRESS", Some("User Initiated"));
    let baseline = log.page();
    log.stack("CREATE_IN_PROGRESS", Some("User Initiated"))
        .stack("CREATE_COMPLETE", None);
    let created = log.page();
    // The template declares QueueUrl, the deployed stack lacks it (a false Condition).
    let without_queue_url = Stack::new("app", "CREATE_COMPLETE")
        .parameter("Env", "test")
        .output("TableName", "app-Table-XYZ");
    let responder = Responder::start(
        Script::new()
            .on(
                "DescribeStacks",
                vec![
                    xml::missing_stack("app"),
                    xml::describe_stacks(&[without_queue_url]),
                ],
            )
            .on("CreateChangeSet", vec![xml::create_change_set("app", "cs")])
            .on(
                "DescribeChangeSet",
                vec![xml::describe_change_set(
                    "app",
                    "CREATE_COMPLETE",
                    None,
                    &app_changes(),
                )],
            )
            .on("ExecuteChangeSet", vec![xml::execute_change_set()])
            .on("DescribeStackEvents", vec![baseline, created]),
    );

    let output = deploy(&project, &responder, &[]);

    output.assert_code(1);
    let lines = output.plain_lines(&["app", "web"]);
    assert!(lines.contains(&"app: created".to_string()), "{output}");
    let web_failed = lines
        .iter()
        .find(|l| l.starts_with("web: failed: "))
        .unwrap_or_else(|| panic!("web did not fail; {output}"));
    assert!(
        web_failed.contains("QueueUrl"),
        "the reason names the output: {web_failed}"
    );
    assert!(
        lines.contains(
            &"web: hint: the output is declared in the template but absent: check its Condition"
                .to_string()
        ),
        "{output}"
    );
    assert_eq!(responder.actions_for("web"), Vec::<String>::new());
}

#[test]
fn a_stack_failing_as_it_starts_still_skips_its_dependents() {
    let project = TempProject::from_fixture("scripted-two");
    let yaml = project.read("gapfill.yaml");
    project.write(
        "gapfill.yaml",
        &format!("{yaml}  edge:\n    template: app.yaml\n    parameters: {{ Env: test }}\n    depends_on: [web]\n"),
    );
    let mut log = EventLog::new("app");
    log.stack("REVIEW_IN_PROGRESS", Some("User Initiated"));
    let baseline = log.page();
    log.stack("CREATE_IN_PROGRESS", Some("User Initiated"))
        .stack("CREATE_COMPLETE", None);
    let created = log.page();
    // The template declares QueueUrl, the deployed stack lacks it (a false Condition).
    let without_queue_url = Stack::new("app", "CREATE_COMPLETE")
        .parameter("Env", "test")
        .output("TableName", "app-Table-XYZ");
    let responder = Responder::start(
        Script::new()
            .on(
                "DescribeStacks",
                vec![
                    xml::missing_stack("app"),
                    xml::describe_stacks(&[without_queue_url]),
                ],
            )
            .on("CreateChangeSet", vec![xml::create_change_set("app", "cs")])
            .on(
                "DescribeChangeSet",
                vec![xml::describe_change_set(
                    "app",
                    "CREATE_COMPLETE",
                    None,
                    &app_changes(),
                )],
            )
            .on("ExecuteChangeSet", vec![xml::execute_change_set()])
            .on("DescribeStackEvents", vec![baseline, created]),
    );

    let output = deploy(&project, &responder, &[]);

    output.assert_code(1);
    let lines = output.plain_lines(&["app", "web", "edge"]);
    assert!(
        lines.iter().any(|l| l.starts_with("web: failed: ")),
        "{output}"
    );
    assert!(
        lines.contains(&"edge: skipped: stack `web` did not deploy".to_string()),
        "{output}"
    );
    assert!(
        lines.contains(&"edge: result: skipped".to_string()),
        "every stack gets an outcome; {output}"
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("done in <duration>: 1 created, 0 updated, 0 unchanged, 1 failed, 1 skipped")
    );
}

const SECRET: &str = "tok-s3cr3t-42";

#[test]
fn a_secret_never_prints_even_inside_an_aws_message() {
    let project = TempProject::from_fixture("scripted-secret");
    let reason = format!("Parameter 'Token' value '{SECRET}' failed to satisfy constraint: Member must have length less than or equal to 8");
    let script = || {
        Script::new()
            .on("DescribeStacks", vec![xml::missing_stack("app")])
            .on("CreateChangeSet", vec![xml::create_change_set("app", "cs")])
            .on(
                "DescribeChangeSet",
                vec![xml::describe_change_set(
                    "app",
                    "FAILED",
                    Some(&reason),
                    &[],
                )],
            )
    };

    // Markdown escapes the mask's asterisks, so they read as written.
    for (format, mask) in [
        ("plain", "****"),
        ("json", "****"),
        ("markdown", r"\*\*\*\*"),
    ] {
        let responder = Responder::start(script());
        let output = Gapfill::new(
            project.path(),
            responder.url(),
            &["deploy", "--format", format],
        )
        .env("APP_TOKEN", SECRET)
        .run();

        output.assert_code(1);
        assert!(
            !output.stdout.contains(SECRET) && !output.stderr.contains(SECRET),
            "the secret printed with --format {format}; {output}"
        );
        assert!(
            output.stdout.contains(&format!(
                "Parameter 'Token' value '{mask}' failed to satisfy constraint"
            )),
            "the reason is printed, masked; {output}"
        );
        let requests = responder.requests();
        let create = only(&requests, "CreateChangeSet");
        assert_eq!(
            create.param("Parameters.member.2.ParameterKey"),
            Some("Token")
        );
        assert_eq!(
            create.param("Parameters.member.2.ParameterValue"),
            Some(SECRET),
            "AWS gets the real value"
        );
    }
}

#[test]
fn a_no_echo_parameter_always_gets_a_change_set() {
    let project = TempProject::from_fixture("scripted-secret");
    // DescribeStacks masks NoEcho values, so the fast path cannot know they are unchanged.
    let deployed = Stack::new("app", "UPDATE_COMPLETE")
        .parameter("Env", "test")
        .parameter("Token", "****")
        .output(
            "QueueUrl",
            "https://sqs.us-east-1.amazonaws.com/123456789012/app-Queue-XYZ",
        );
    let responder = Responder::start(
        Script::new()
            .on("DescribeStacks", vec![xml::describe_stacks(&[deployed])])
            .on(
                "GetTemplate",
                vec![xml::get_template(&project.read(APP_TEMPLATE))],
            )
            .on("CreateChangeSet", vec![xml::create_change_set("app", "cs")])
            .on(
                "DescribeChangeSet",
                vec![xml::describe_change_set(
                    "app",
                    "FAILED",
                    Some(xml::EMPTY_CHANGE_SET_REASON),
                    &[],
                )],
            )
            .on("DeleteChangeSet", vec![xml::delete_change_set()]),
    );

    let output = Gapfill::new(
        project.path(),
        responder.url(),
        &["deploy", "--format", "plain"],
    )
    .env("APP_TOKEN", SECRET)
    .run();

    output.assert_code(0);
    assert!(
        output
            .plain_lines(&["app"])
            .contains(&"app: no changes (empty change set)".to_string()),
        "{output}"
    );
    assert_eq!(
        responder.actions(),
        strings(&[
            "DescribeStacks",
            "ListChangeSets",
            "CreateChangeSet",
            "DescribeChangeSet",
            "DeleteChangeSet",
        ])
    );
}

/// Deploys `scripted-one` against a script that answers DescribeStacks with `describe` and
/// CreateChangeSet with `create`, and returns the run and its calls.
fn deploy_with(describe: Vec<xml::Reply>, create: Vec<xml::Reply>) -> (Output, Vec<String>) {
    let project = TempProject::from_fixture("scripted-one");
    let responder = Responder::start(
        Script::new()
            .on("DescribeStacks", describe)
            .on("CreateChangeSet", create),
    );
    let output = deploy(&project, &responder, &[]);
    (output, responder.actions())
}

/// The `failed:` and `hint:` lines of `app`.
fn failure_lines(output: &Output) -> Vec<String> {
    output
        .plain_lines(&["app"])
        .into_iter()
        .filter(|l| l.starts_with("app: failed: ") || l.starts_with("app: hint: "))
        .collect()
}

#[test]
fn missing_capabilities_fail_with_a_hint_to_declare_them() {
    let (output, actions) = deploy_with(
        vec![xml::missing_stack("app")],
        vec![xml::error(
            "InsufficientCapabilitiesException",
            "Requires capabilities : [CAPABILITY_IAM]",
        )],
    );

    output.assert_code(1);
    assert_eq!(
        failure_lines(&output),
        strings(&[
            "app: failed: CreateChangeSet failed: InsufficientCapabilitiesException: Requires capabilities : [CAPABILITY_IAM]",
            "app: hint: add the capability under `capabilities:` of this stack in gapfill.yaml",
        ]),
        "{output}"
    );
    assert_eq!(actions, strings(&["DescribeStacks", "CreateChangeSet"]));
}

#[test]
fn credentials_expiring_during_the_run_fail_the_stack_with_a_hint_to_refresh_them() {
    // Expired at the start, the first contact stops the run (tests/first_contact.rs).
    let (output, actions) = deploy_with(
        vec![xml::missing_stack("app")],
        vec![xml::error(
            "ExpiredToken",
            "The security token included in the request is expired",
        )],
    );

    output.assert_code(1);
    assert_eq!(
        failure_lines(&output),
        strings(&[
            "app: failed: CreateChangeSet failed: ExpiredToken: The security token included in the request is expired",
            "app: hint: the credentials expired during the run: with SSO, run `aws sso login`; otherwise get fresh credentials, then run again",
        ]),
        "{output}"
    );
    assert_eq!(
        actions,
        strings(&["DescribeStacks", "CreateChangeSet"]),
        "an expired token is not retried"
    );
}

#[test]
fn a_stack_in_delete_failed_stops_with_the_remedy() {
    let reason = "The following resource(s) failed to delete: [Bucket].";
    let (output, actions) = deploy_with(
        vec![xml::describe_stacks(&[
            Stack::new("app", "DELETE_FAILED").reason(reason)
        ])],
        vec![xml::create_change_set("app", "cs")],
    );

    output.assert_code(1);
    assert_eq!(
        failure_lines(&output),
        strings(&[
            &format!("app: failed: stack is in DELETE_FAILED: {reason}"),
            "app: hint: delete it with `aws cloudformation delete-stack --stack-name app` (--retain-resources for resources that cannot be deleted), then deploy again",
        ]),
        "{output}"
    );
    assert_eq!(actions, strings(&["DescribeStacks"]));
}

#[test]
fn a_stack_left_in_review_gets_a_new_create_change_set_and_is_never_deleted() {
    let project = TempProject::from_fixture("scripted-one");
    let id = xml::stack_arn("app", 1);
    let mut log = EventLog::generation("app", 1);
    log.stack("REVIEW_IN_PROGRESS", Some("User Initiated"));
    let baseline = log.page();
    log.stack("CREATE_IN_PROGRESS", Some("User Initiated"))
        .stack("CREATE_COMPLETE", None);
    let created = log.page();
    let responder = Responder::start(
        Script::new()
            .on(
                "DescribeStacks",
                vec![
                    xml::describe_stacks(&[Stack::new("app", "REVIEW_IN_PROGRESS").id(&id)]),
                    xml::describe_stacks(&[app_stack("CREATE_COMPLETE").id(&id)]),
                ],
            )
            .on_stack("DescribeStackEvents", &id, vec![baseline, created])
            .on(
                "CreateChangeSet",
                vec![xml::create_change_set_of(&id, "cs")],
            )
            .on(
                "DescribeChangeSet",
                vec![xml::describe_change_set(
                    "app",
                    "CREATE_COMPLETE",
                    None,
                    &app_changes(),
                )],
            )
            .on("ExecuteChangeSet", vec![xml::execute_change_set()]),
    );

    let output = deploy(&project, &responder, &[]);

    output.assert_code(0);
    let lines = output.plain_lines(&["app"]);
    assert_eq!(
        lines[2],
        "app: is REVIEW_IN_PROGRESS: no change set of it was executed; creating it with a new one",
        "{output}"
    );
    assert!(lines.contains(&"app: created".to_string()), "{output}");
    assert_eq!(
        responder.actions(),
        strings(&[
            "DescribeStacks",
            "CreateChangeSet",
            "DescribeChangeSet",
            "DescribeStackEvents",
            "ExecuteChangeSet",
            "DescribeStackEvents",
            "DescribeStacks",
        ])
    );
    let requests = responder.requests();
    assert_eq!(
        only(&requests, "CreateChangeSet").param("ChangeSetType"),
        Some("CREATE")
    );
}

#[test]
fn a_quiet_stack_gets_heartbeat_lines_and_still_finishes() {
    let project = TempProject::from_fixture("scripted-one");
    let mut log = EventLog::new("app");
    log.stack("REVIEW_IN_PROGRESS", Some("User Initiated"));
    let baseline = log.page();
    log.stack("CREATE_IN_PROGRESS", Some("User Initiated"));
    let quiet = log.page();
    log.stack("CREATE_COMPLETE", None);
    let done = log.page();
    let responder = Responder::start(
        Script::new()
            .on(
                "DescribeStacks",
                vec![
                    xml::missing_stack("app"),
                    xml::describe_stacks(&[app_stack("CREATE_IN_PROGRESS")]),
                    xml::describe_stacks(&[app_stack("CREATE_COMPLETE")]),
                ],
            )
            .on("CreateChangeSet", vec![xml::create_change_set("app", "cs")])
            .on(
                "DescribeChangeSet",
                vec![xml::describe_change_set(
                    "app",
                    "CREATE_COMPLETE",
                    None,
                    &app_changes(),
                )],
            )
            .on("ExecuteChangeSet", vec![xml::execute_change_set()])
            .on(
                "DescribeStackEvents",
                vec![baseline, quiet.clone(), quiet.clone(), quiet, done],
            ),
    );

    let output = deploy(&project, &responder, &["--heartbeat", "1s"]);

    output.assert_code(0);
    let lines = output.plain_lines(&["app"]);
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("app: still CREATE_IN_PROGRESS after ")),
        "a heartbeat line while nothing happens; {output}"
    );
    assert!(
        lines.contains(&"app: result: created".to_string()),
        "{output}"
    );
}

/// Deploys `scripted-two` (`web` reads an output of `app`), sends `signal` once `app` is
/// executing, and checks the run stops as a cancelled CI job must: no call after the watch,
/// a summary saying what was and was not done, exit 1.
fn interrupted_by(signal: &str) {
    let project = TempProject::from_fixture("scripted-two");
    let mut log = EventLog::new("app");
    log.stack("REVIEW_IN_PROGRESS", Some("User Initiated"));
    let baseline = log.page();
    log.stack("CREATE_IN_PROGRESS", Some("User Initiated"));
    let stuck = log.page();
    let responder = Responder::start(
        Script::new()
            .on("DescribeStacks", vec![xml::missing_stack("app")])
            .on("CreateChangeSet", vec![xml::create_change_set("app", "cs")])
            .on(
                "DescribeChangeSet",
                vec![xml::describe_change_set(
                    "app",
                    "CREATE_COMPLETE",
                    None,
                    &app_changes(),
                )],
            )
            .on("ExecuteChangeSet", vec![xml::execute_change_set()])
            .on("DescribeStackEvents", vec![baseline, stuck]),
    );
    let running = Gapfill::new(
        project.path(),
        responder.url(),
        &["deploy", "--format", "plain"],
    )
    .spawn();
    let started = std::time::Instant::now();
    while !responder
        .actions()
        .iter()
        .any(|action| action == "ExecuteChangeSet")
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "never executed: {:?}",
            responder.actions()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let sent = std::process::Command::new("kill")
        .args([signal, &running.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let output = running.wait(std::time::Duration::from_secs(10));

    output.assert_code(1);
    assert!(
        output.stderr.starts_with("error: interrupted\n"),
        "{output}"
    );
    assert!(
        output
            .stderr
            .contains("run `gapfill deploy` again to wait for them"),
        "{output}"
    );
    let lines = output.plain_lines(&["app", "web"]);
    for expected in [
        "app: failed: interrupted before it finished: what AWS had already started goes on there",
        "web: skipped: the run was interrupted before it started",
        "done in <duration>: 0 created, 0 updated, 0 unchanged, 1 failed, 1 skipped",
    ] {
        assert!(
            lines.contains(&expected.to_string()),
            "{expected}\n{output}"
        );
    }
    let after: Vec<String> = responder
        .actions()
        .into_iter()
        .skip_while(|a| a != "ExecuteChangeSet")
        .collect();
    assert!(
        after
            .iter()
            .all(|a| a == "ExecuteChangeSet" || a == "DescribeStackEvents"),
        "only watching after execute: {after:?}"
    );
}

#[test]
fn ctrl_c_stops_the_run_says_what_was_and_was_not_done_and_touches_nothing() {
    interrupted_by("-INT");
}

#[test]
fn a_ci_cancel_sigterm_stops_the_run_like_ctrl_c() {
    interrupted_by("-TERM");
}

#[test]
fn a_change_set_overtaken_by_another_deploy_fails_naming_the_operation_in_progress() {
    let project = TempProject::from_fixture("scripted-one");
    let mut log = EventLog::new("app");
    log.stack("CREATE_COMPLETE", None);
    let baseline = log.page();
    let responder = Responder::start(
        Script::new()
            .on(
                "DescribeStacks",
                vec![
                    xml::describe_stacks(&[
                        Stack::new("app", "CREATE_COMPLETE").parameter("Env", "other")
                    ]),
                    // Another deploy executed its change set meanwhile.
                    xml::describe_stacks(&[
                        Stack::new("app", "UPDATE_IN_PROGRESS").parameter("Env", "other")
                    ]),
                ],
            )
            .on("CreateChangeSet", vec![xml::create_change_set("app", "cs")])
            .on(
                "DescribeChangeSet",
                vec![xml::describe_change_set(
                    "app",
                    "CREATE_COMPLETE",
                    None,
                    &[("Modify", "Table", "AWS::DynamoDB::Table", Some("False"))],
                )],
            )
            .on("DescribeStackEvents", vec![baseline])
            .on(
                "ExecuteChangeSet",
                vec![xml::error(
                    "InvalidChangeSetStatus",
                    "ChangeSet [cs] cannot be executed in its current status of [OBSOLETE]",
                )],
            ),
    );

    let output = deploy(&project, &responder, &[]);

    output.assert_code(1);
    let lines = output.plain_lines(&["app"]);
    assert!(
        lines.contains(&"app: failed: another operation is changing the stack (UPDATE_IN_PROGRESS), started after this deploy's change set was made: ExecuteChangeSet failed: InvalidChangeSetStatus: ChangeSet [cs] cannot be executed in its current status of [OBSOLETE]".to_string()),
        "{output}"
    );
    assert!(
        lines.contains(&"app: hint: another deploy of `app` is probably running; run `gapfill deploy` again: it waits for the operation in progress, then deploys".to_string()),
        "{output}"
    );
    let requests = responder.requests();
    let last = requests.last().expect("requests");
    assert_eq!(
        (last.action.as_str(), last.param("StackName")),
        ("DescribeStacks", Some(xml::stack_arn("app", 1).as_str())),
        "the stack is asked about by its id, and nothing is changed after"
    );
}
