//! `gapfill deploy` end to end on the emulator's asynchronous CloudFormation mode
//! (scripts/moto_async.py): stacks take time, resources are provisioned in dependency order
//! with their events, and failures really roll back. The failure and recovery paths of
//! `deploy_scripted`, run against an emulator instead of scripted answers: each test starts
//! its own emulator, checks what gapfill printed and what the emulator holds afterwards.

mod support;

use aws_sdk_cloudformation::types::StackEvent;
use serde_json::{json, Value};
use support::emulator::PrivateEmulator;
use support::project::TempProject;
use support::run::{Gapfill, Output};

/// Resource durations are the emulator's defaults times this: a stack takes about a second.
const TIME_SCALE: f64 = 0.25;

/// A queue and a topic, and a parameter that needs both (so it starts after them).
const APP: &str = r#"Resources:
  Queue:
    Type: AWS::SQS::Queue
  Topic:
    Type: AWS::SNS::Topic
  Setting:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub "/${AWS::StackName}/setting"
      Type: String
      Value: !Sub "${Queue.Arn} ${Topic}"
Outputs:
  QueueUrl:
    Value: !Ref Queue
  TopicArn:
    Value: !Ref Topic
"#;

/// Reads `app`'s queue URL through a parameter.
const WEB: &str = r#"Parameters:
  QueueUrl:
    Type: String
Resources:
  Reader:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub "/${AWS::StackName}/reader"
      Type: String
      Value: !Ref QueueUrl
Outputs:
  ReadQueueUrl:
    Value: !Ref QueueUrl
"#;

/// A stack related to no other, slower than `app`.
const SOLO: &str = r#"Resources:
  Slow:
    Type: AWS::SQS::Queue
    Metadata: {Emulator: {Duration: 6}}
"#;

/// `APP` with `metadata` on the topic (e.g. `{Emulator: {Fail: reason}}`).
fn app_with_topic_metadata(metadata: &str) -> String {
    APP.replace(
        "    Type: AWS::SNS::Topic\n",
        &format!("    Type: AWS::SNS::Topic\n    Metadata: {metadata}\n"),
    )
}

/// `APP` with the queue's visibility timeout set and `metadata` on the queue.
fn app_with_queue(visibility: u32, metadata: &str) -> String {
    APP.replace(
        "    Type: AWS::SQS::Queue\n",
        &format!("    Type: AWS::SQS::Queue\n    Metadata: {metadata}\n    Properties: {{VisibilityTimeout: {visibility}}}\n"),
    )
}

/// A project of `stacks` (name, template text, extra YAML of the stack's entry).
fn project(stacks: &[(&str, &str, &str)]) -> TempProject {
    let project = TempProject::new();
    let mut yaml = String::from("project: async\nregion: us-east-1\nstacks:\n");
    for (name, template, extra) in stacks {
        yaml.push_str(&format!("  {name}:\n    template: {name}.yaml\n{extra}"));
        project.write(&format!("{name}.yaml"), template);
    }
    project.write("gapfill.yaml", &yaml);
    project
}

fn deploy(project: &TempProject, emulator: &PrivateEmulator, args: &[&str]) -> Output {
    let mut all = vec!["deploy", "--format", "plain"];
    all.extend_from_slice(args);
    Gapfill::new(project.path(), &emulator.url, &all).run()
}

/// Runs `future` to its end (the SDK is async, the tests are not).
fn aws<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

/// The stack's events, oldest first.
fn events(emulator: &PrivateEmulator, stack: &str) -> Vec<StackEvent> {
    aws(async {
        let cfn = support::sdk::cloudformation(&emulator.url).await;
        let mut events = cfn
            .describe_stack_events()
            .stack_name(stack)
            .send()
            .await
            .expect("DescribeStackEvents")
            .stack_events()
            .to_vec();
        events.reverse();
        events
    })
}

/// The stack's status and outputs; `None` when there is no such stack.
fn describe(emulator: &PrivateEmulator, stack: &str) -> Option<(String, Value)> {
    aws(async {
        let cfn = support::sdk::cloudformation(&emulator.url).await;
        let found = cfn.describe_stacks().stack_name(stack).send().await.ok()?;
        let stack = found.stacks().first()?;
        let outputs: serde_json::Map<String, Value> = stack
            .outputs()
            .iter()
            .map(|o| {
                (
                    o.output_key().unwrap_or_default().to_string(),
                    json!(o.output_value().unwrap_or_default()),
                )
            })
            .collect();
        let status = stack.stack_status().map(|s| s.as_str().to_string());
        Some((status.unwrap_or_default(), Value::Object(outputs)))
    })
}

fn status(emulator: &PrivateEmulator, stack: &str) -> String {
    describe(emulator, stack)
        .map(|(status, _)| status)
        .unwrap_or_else(|| "absent".into())
}

/// An event as a `--format plain` line reads it.
fn event_line(stack: &str, event: &StackEvent) -> String {
    let reason = event
        .resource_status_reason()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    format!(
        "{stack}: {} {} ({}){reason}",
        event
            .resource_status()
            .map(|s| s.as_str())
            .unwrap_or_default(),
        event.logical_resource_id().unwrap_or_default(),
        event.resource_type().unwrap_or_default(),
    )
}

/// The emulator's events of `stack` from the last stack-level event with `status` on, as lines.
fn event_lines_since(emulator: &PrivateEmulator, stack: &str, status: &str) -> Vec<String> {
    let all = events(emulator, stack);
    let start = all
        .iter()
        .rposition(|e| {
            e.logical_resource_id() == Some(stack)
                && e.resource_status().map(|s| s.as_str()) == Some(status)
        })
        .unwrap_or_else(|| panic!("no {status} event of {stack}: {all:#?}"));
    all[start..].iter().map(|e| event_line(stack, e)).collect()
}

/// The lines of `stack` that report a CloudFormation event (status words in capitals).
fn printed_events(lines: &[String], stack: &str) -> Vec<String> {
    let prefix = format!("{stack}: ");
    lines
        .iter()
        .filter(|line| {
            line.strip_prefix(&prefix)
                .and_then(|rest| rest.split(' ').next())
                .is_some_and(|word| {
                    word.contains('_') && word.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                })
        })
        .cloned()
        .collect()
}

fn position(lines: &[String], line: &str) -> usize {
    lines
        .iter()
        .position(|l| l == line)
        .unwrap_or_else(|| panic!("no line {line:?} in {lines:#?}"))
}

/// Queue names the emulator's SQS holds.
fn queue_names(emulator: &PrivateEmulator) -> Vec<String> {
    let output = Gapfill::new(
        TempProject::new().path(),
        &emulator.url,
        &["call", "sqs:ListQueues", "--input", "{}"],
    )
    .run();
    output.assert_code(0);
    let listed: Value = serde_json::from_str(&output.stdout).expect("ListQueues prints JSON");
    listed["QueueUrls"]
        .as_array()
        .map(|urls| {
            urls.iter()
                .filter_map(|u| u.as_str()?.rsplit('/').next().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The physical id the emulator gave `logical` in `stack`, from its events.
fn physical_id(emulator: &PrivateEmulator, stack: &str, logical: &str) -> String {
    events(emulator, stack)
        .iter()
        .filter(|e| e.logical_resource_id() == Some(logical))
        .filter_map(|e| e.physical_resource_id())
        .find(|id| !id.is_empty())
        .unwrap_or_else(|| panic!("no physical id for {logical}"))
        .to_string()
}

#[test]
fn a_create_prints_every_resource_event_once_in_order_as_cloudformation_records_them() {
    let emulator = PrivateEmulator::start_async(TIME_SCALE);
    let project = project(&[("app", APP, "")]);

    let output = deploy(&project, &emulator, &["--outputs-file", "outputs.json"]);

    output.assert_code(0);
    let lines = output.plain_lines(&["app"]);
    let recorded = event_lines_since(&emulator, "app", "CREATE_IN_PROGRESS");
    assert_eq!(
        printed_events(&lines, "app"),
        recorded,
        "every event the emulator recorded, once, in its order; {output}"
    );
    assert_eq!(
        recorded.len(),
        11,
        "stack start, 3 resources x (start, initiated, complete), stack end: {recorded:#?}"
    );
    let setting_started = position(
        &lines,
        "app: CREATE_IN_PROGRESS Setting (AWS::SSM::Parameter)",
    );
    assert!(setting_started > position(&lines, "app: CREATE_COMPLETE Queue (AWS::SQS::Queue)"));
    assert!(setting_started > position(&lines, "app: CREATE_COMPLETE Topic (AWS::SNS::Topic)"));
    assert!(
        position(&lines, "app: executing change set")
            < position(
                &lines,
                "app: CREATE_IN_PROGRESS app (AWS::CloudFormation::Stack): User Initiated"
            )
    );
    assert!(
        lines.contains(&"app: result: created".to_string()),
        "{output}"
    );
    let (created, outputs) = describe(&emulator, "app").expect("the stack exists");
    assert_eq!(created, "CREATE_COMPLETE");
    let file: Value = serde_json::from_str(&project.read("outputs.json")).expect("JSON");
    assert_eq!(
        file["app"], outputs,
        "the outputs as the completed stack has them"
    );
    assert!(
        outputs["QueueUrl"]
            .as_str()
            .is_some_and(|u| u.contains("app-Queue-")),
        "{outputs}"
    );
}

#[test]
fn a_failed_create_names_its_cause_skips_dependents_finishes_the_rest_and_recovers_next_time() {
    let emulator = PrivateEmulator::start_async(TIME_SCALE);
    let cause = "Resource handler returned message: \"Topic limit exceeded\"";
    let failing =
        app_with_topic_metadata(&format!("{{Emulator: {{Fail: '{cause}', Duration: 4}}}}"));
    let stacks = |app: &str| -> Vec<(&str, String, &str)> {
        vec![
            ("app", app.to_string(), ""),
            (
                "web",
                WEB.to_string(),
                "    parameters:\n      QueueUrl: ${app.QueueUrl}\n",
            ),
            ("solo", SOLO.to_string(), ""),
        ]
    };
    let owned = stacks(&failing);
    let borrowed: Vec<(&str, &str, &str)> =
        owned.iter().map(|(n, t, e)| (*n, t.as_str(), *e)).collect();
    let project = project(&borrowed);
    let names = ["app", "web", "solo"];

    let output = deploy(&project, &emulator, &[]);

    output.assert_code(1);
    let lines = output.plain_lines(&names);
    let finished: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains(": failed:") || l.contains(": skipped:") || l.contains(": hint:"))
        .collect();
    assert_eq!(
        finished,
        [
            &format!("app: failed: ROLLBACK_COMPLETE: Topic (AWS::SNS::Topic) CREATE_FAILED: {cause}"),
            "app: hint: the create failed and was rolled back; fix the cause and deploy again (gapfill deletes and recreates the stack)",
            "web: skipped: stack `app` did not deploy",
        ],
        "{output}"
    );
    assert_eq!(
        printed_events(&lines, "app"),
        event_lines_since(&emulator, "app", "CREATE_IN_PROGRESS"),
        "the rollback's events too, once each, in order; {output}"
    );
    assert!(
        position(&lines, "app: CREATE_COMPLETE Queue (AWS::SQS::Queue)")
            < position(&lines, "app: DELETE_COMPLETE Queue (AWS::SQS::Queue)"),
        "the queue made before the failure is deleted by the rollback; {output}"
    );
    assert!(
        lines.contains(&"solo: result: created".to_string()),
        "{output}"
    );
    assert!(
        !lines.iter().any(|l| l.starts_with("web: started")),
        "{output}"
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("done in <duration>: 1 created, 0 updated, 0 unchanged, 1 failed, 1 skipped")
    );
    assert_eq!(status(&emulator, "app"), "ROLLBACK_COMPLETE");
    assert_eq!(
        status(&emulator, "web"),
        "absent",
        "a skipped stack is never started"
    );
    assert_eq!(status(&emulator, "solo"), "CREATE_COMPLETE");
    let failed_queue = physical_id(&emulator, "app", "Queue");
    let failed_queue = failed_queue
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(
        !queue_names(&emulator).contains(&failed_queue),
        "the rollback deleted the queue {failed_queue}"
    );

    project.write("app.yaml", APP);
    let again = deploy(&project, &emulator, &[]);

    again.assert_code(0);
    let lines = again.plain_lines(&names);
    assert!(
        lines.contains(&"app: is ROLLBACK_COMPLETE: deleting it (a failed create left it in ROLLBACK_COMPLETE); it will be created again".to_string()),
        "{again}"
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("done in <duration>: 2 created, 0 updated, 1 unchanged, 0 failed, 0 skipped"),
        "{again}"
    );
    let (_, app_outputs) = describe(&emulator, "app").expect("app");
    let (web_status, web_outputs) = describe(&emulator, "web").expect("web");
    assert_eq!(web_status, "CREATE_COMPLETE");
    assert_eq!(web_outputs["ReadQueueUrl"], app_outputs["QueueUrl"]);
}

#[test]
fn a_failed_update_is_rolled_back_reported_with_its_cause_and_leaves_the_stack_as_it_was() {
    let emulator = PrivateEmulator::start_async(TIME_SCALE);
    let project = project(&[("app", APP, "")]);
    deploy(&project, &emulator, &[]).assert_code(0);
    let (_, before) = describe(&emulator, "app").expect("app");
    let cause = "Invalid parameter: DisplayName (Service: Sns, Status Code: 400)";
    let failing = app_with_queue(30, "{}").replace(
        "    Type: AWS::SNS::Topic\n",
        &format!("    Type: AWS::SNS::Topic\n    Metadata: {{Emulator: {{Fail: '{cause}'}}}}\n"),
    );
    project.write("app.yaml", &failing);

    let output = deploy(&project, &emulator, &[]);

    output.assert_code(1);
    let lines = output.plain_lines(&["app"]);
    assert_eq!(
        lines[lines.len() - 4..],
        [
            format!("app: failed: UPDATE_ROLLBACK_COMPLETE: Topic (AWS::SNS::Topic) UPDATE_FAILED: {cause}"),
            "app: hint: the update was rolled back; the stack is as it was before this deploy".to_string(),
            "app: result: failed".to_string(),
            "done in <duration>: 0 created, 0 updated, 0 unchanged, 1 failed, 0 skipped".to_string(),
        ],
        "{output}"
    );
    assert_eq!(
        printed_events(&lines, "app"),
        event_lines_since(&emulator, "app", "UPDATE_IN_PROGRESS"),
        "{output}"
    );
    assert!(
        lines.contains(
            &"app: UPDATE_ROLLBACK_COMPLETE app (AWS::CloudFormation::Stack)".to_string()
        ),
        "{output}"
    );
    let (rolled_back, after) = describe(&emulator, "app").expect("app");
    assert_eq!(rolled_back, "UPDATE_ROLLBACK_COMPLETE");
    assert_eq!(after, before, "the outputs are the old ones");
    let template = aws(async {
        let cfn = support::sdk::cloudformation(&emulator.url).await;
        let template = cfn.get_template().stack_name("app").send().await;
        template
            .expect("GetTemplate")
            .template_body()
            .unwrap_or_default()
            .to_string()
    });
    assert_eq!(template, APP, "the stack keeps its previous template");

    project.write("app.yaml", &app_with_queue(30, "{}"));
    let fixed = deploy(&project, &emulator, &[]);

    fixed.assert_code(0);
    assert!(
        fixed
            .plain_lines(&["app"])
            .contains(&"app: result: updated".to_string()),
        "{fixed}"
    );
    assert_eq!(status(&emulator, "app"), "UPDATE_COMPLETE");
}

#[test]
fn a_failed_update_rollback_needs_continue_update_rollback_then_deploys() {
    let emulator = PrivateEmulator::start_async(TIME_SCALE);
    let project = project(&[("app", APP, "")]);
    deploy(&project, &emulator, &[]).assert_code(0);
    let cause = "Topic policy is invalid";
    let stuck = "Queue is being deleted by someone else";
    let failing = app_with_queue(30, &format!("{{Emulator: {{RollbackFail: '{stuck}'}}}}")).replace(
        "    Type: AWS::SNS::Topic\n",
        &format!("    Type: AWS::SNS::Topic\n    Metadata: {{Emulator: {{Fail: '{cause}', Duration: 12}}}}\n"),
    );
    project.write("app.yaml", &failing);

    let output = deploy(&project, &emulator, &[]);

    output.assert_code(1);
    let lines = output.plain_lines(&["app"]);
    assert!(
        lines.contains(&format!(
            "app: failed: UPDATE_ROLLBACK_FAILED: Topic (AWS::SNS::Topic) UPDATE_FAILED: {cause}"
        )),
        "{output}"
    );
    assert!(
        lines.contains(&format!(
            "app: UPDATE_FAILED Queue (AWS::SQS::Queue): {stuck}"
        )),
        "{output}"
    );
    assert_eq!(status(&emulator, "app"), "UPDATE_ROLLBACK_FAILED");

    project.write("app.yaml", &app_with_queue(30, "{}"));
    let refused = deploy(&project, &emulator, &[]);

    refused.assert_code(1);
    assert!(
        refused.plain_lines(&["app"]).contains(&"app: failed: stack is in UPDATE_ROLLBACK_FAILED: The following resource(s) failed to update: [Queue].".to_string()),
        "{refused}"
    );
    assert_eq!(
        status(&emulator, "app"),
        "UPDATE_ROLLBACK_FAILED",
        "nothing touched"
    );

    let recovered = deploy(&project, &emulator, &["--continue-update-rollback"]);

    recovered.assert_code(0);
    let lines = recovered.plain_lines(&["app"]);
    assert!(
        lines.contains(&"app: is UPDATE_ROLLBACK_FAILED: continuing the update rollback (--continue-update-rollback)".to_string()),
        "{recovered}"
    );
    assert!(
        position(
            &lines,
            "app: UPDATE_ROLLBACK_COMPLETE app (AWS::CloudFormation::Stack)"
        ) < position(&lines, "app: result: updated"),
        "{recovered}"
    );
    assert_eq!(status(&emulator, "app"), "UPDATE_COMPLETE");
}

#[test]
fn ctrl_c_while_a_stack_is_in_progress_leaves_it_running_and_the_next_deploy_waits_for_it() {
    let emulator = PrivateEmulator::start_async(1.0);
    let slow = app_with_topic_metadata("{Emulator: {Duration: 6}}");
    let project = project(&[("app", &slow, "")]);
    let running = Gapfill::new(
        project.path(),
        &emulator.url,
        &["deploy", "--format", "plain"],
    )
    .spawn();
    let started = std::time::Instant::now();
    while status(&emulator, "app") != "CREATE_IN_PROGRESS" {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the stack never started: {}",
            status(&emulator, "app")
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let signal = std::process::Command::new("kill")
        .args(["-INT", &running.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(signal.success());
    let interrupted = running.wait(std::time::Duration::from_secs(10));

    interrupted.assert_code(1);
    assert!(
        interrupted.stderr.starts_with("error: interrupted\n"),
        "{interrupted}"
    );
    assert!(
        interrupted
            .stderr
            .contains("run `gapfill deploy` again to wait for them"),
        "{interrupted}"
    );
    assert_eq!(
        status(&emulator, "app"),
        "CREATE_IN_PROGRESS",
        "CloudFormation goes on without gapfill"
    );

    let again = deploy(&project, &emulator, &[]);

    again.assert_code(0);
    let lines = again.plain_lines(&["app"]);
    assert!(
        lines.contains(
            &"app: is CREATE_IN_PROGRESS: waiting for the operation in progress to finish"
                .to_string()
        ),
        "{again}"
    );
    assert!(
        lines.contains(&"app: CREATE_COMPLETE app (AWS::CloudFormation::Stack)".to_string()),
        "the rest of the create is followed; {again}"
    );
    assert!(
        lines.contains(&"app: result: no changes".to_string()),
        "{again}"
    );
    assert_eq!(status(&emulator, "app"), "CREATE_COMPLETE");
}

/// `text` without ANSI escape sequences (the live view redraws its rows with them).
fn without_ansi(text: &str) -> String {
    let mut plain = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for next in chars.by_ref() {
                    if ('@'..='~').contains(&next) {
                        break;
                    }
                }
            }
        } else if c != '\r' {
            plain.push(c);
        }
    }
    plain
}

#[test]
fn the_live_view_logs_every_resource_event_once_in_order() {
    let emulator = PrivateEmulator::start_async(TIME_SCALE);
    let project = project(&[("app", APP, "")]);

    let output = Gapfill::new(
        project.path(),
        &emulator.url,
        &["deploy", "--format", "live"],
    )
    .run();

    output.assert_code(0);
    let logged: Vec<String> = without_ansi(&output.stdout)
        .lines()
        .filter_map(|line| line.strip_prefix("  "))
        .map(str::to_string)
        .collect();
    let recorded = event_lines_since(&emulator, "app", "CREATE_IN_PROGRESS");
    assert_eq!(recorded.len(), 11, "{recorded:#?}");
    assert_eq!(
        printed_events(&logged, "app"),
        recorded,
        "every event above the rows, once, in order; {output}"
    );
}
