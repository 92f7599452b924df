//! Post-deploy steps end to end on the moto emulator: the example project's steps applied,
//! then in sync with no write sent, a setting changed by hand re-applied alone, a failing
//! step, a step that never converges, a stack fed by a step, and secrets that never print.
//!
//! The example project has fixed resource names and an account-level setting, so its tests
//! each start an emulator of their own; the other tests use the shared one (`AWS_ENDPOINT_URL`,
//! started by scripts/test.sh) with unique names.

mod support;

use serde_json::Value;
use support::emulator::PrivateEmulator;
use support::example::{
    call, events, example_project, outcome_of, run, step_outcomes, EXAMPLE_STEPS, TOKEN,
};
use support::project::TempProject;
use support::proxy::Proxy;
use support::run::Gapfill;

/// The shared emulator's endpoint.
fn emulator() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "AWS_ENDPOINT_URL is not set: the end-to-end tests need the moto emulator. \
             Run scripts/test.sh, or `eval \"$(scripts/emulator.sh start)\"` before cargo test."
        ),
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{:08x}", fastrand::u32(..))
}

#[test]
fn the_example_applies_every_step_then_redeploys_in_sync_without_one_write() {
    let emulator = PrivateEmulator::start();
    let project = example_project();
    let endpoint = emulator.url.as_str();

    let first = run(&project, endpoint, &["deploy", "--format", "json"]);
    first.assert_code(0);
    let outcomes = step_outcomes(&first);
    assert_eq!(outcomes.len(), EXAMPLE_STEPS.len(), "{outcomes:?}");
    for step in EXAMPLE_STEPS {
        let expected = if step == "seed-categories" {
            "action run"
        } else {
            "applied"
        };
        assert_eq!(outcome_of(&outcomes, step), expected, "{step}");
    }

    // Each setting reads back as declared.
    let outputs = run(&project, endpoint, &["outputs", "--format", "json"]);
    let outputs: Value = serde_json::from_str(&outputs.stdout).expect("outputs JSON");
    let data = &outputs["catalog-data"];
    let importer = outputs["catalog-ingest"]["ImporterName"]
        .as_str()
        .expect("importer");
    let table = data["TableName"].as_str().expect("table");
    let read = |operation: &str, input: Value| call(&project, endpoint, operation, input);
    assert_eq!(
        read(
            "lambda:GetFunctionConcurrency",
            serde_json::json!({"FunctionName": importer})
        )["ReservedConcurrentExecutions"],
        5
    );
    assert_eq!(
        read(
            "s3:GetBucketVersioning",
            serde_json::json!({"Bucket": data["FeedBucketName"]})
        )["Status"],
        "Enabled"
    );
    assert_eq!(
        read(
            "dynamodb:DescribeTimeToLive",
            serde_json::json!({"TableName": table})
        )["TimeToLiveDescription"]["TimeToLiveStatus"],
        "ENABLED"
    );
    assert_eq!(
        read(
            "sqs:GetQueueAttributes",
            serde_json::json!({"QueueUrl": data["QueueUrl"], "AttributeNames": ["All"]})
        )["Attributes"]["ReceiveMessageWaitTimeSeconds"],
        "20"
    );
    let log_groups = read(
        "logs:DescribeLogGroups",
        serde_json::json!({"logGroupNamePrefix": format!("/aws/lambda/{importer}")}),
    );
    assert_eq!(log_groups["logGroups"][0]["retentionInDays"], 30);
    assert_eq!(
        read("ec2:GetEbsEncryptionByDefault", serde_json::json!({}))["EbsEncryptionByDefault"],
        true
    );
    let item = read(
        "dynamodb:GetItem",
        serde_json::json!({"TableName": table, "Key": {"sku": {"S": "category#root"}}}),
    );
    assert_eq!(item["Item"]["name"]["S"], "All products");
    // The SecureString holds the secret; `gapfill call` masks nothing it was not told about,
    // so compare without printing.
    let parameter = read(
        "ssm:GetParameter",
        serde_json::json!({"Name": "/catalog/demo/api-token", "WithDecryption": true}),
    );
    assert!(
        parameter["Parameter"]["Value"] == TOKEN,
        "the SecureString does not hold the token"
    );
    assert_eq!(parameter["Parameter"]["Type"], "SecureString");

    // Redeploy through a recording proxy: every step in sync, the seed not run, no write.
    let proxy = Proxy::forward_to(endpoint);
    let second = run(&project, proxy.url(), &["deploy", "--format", "json"]);
    second.assert_code(0);
    let outcomes = step_outcomes(&second);
    for step in EXAMPLE_STEPS {
        let expected = if step == "seed-categories" {
            "not run"
        } else {
            "in sync"
        };
        assert_eq!(outcome_of(&outcomes, step), expected, "{step}");
    }
    let writes: Vec<String> = proxy
        .requests()
        .iter()
        .filter(|request| request.is_write())
        .map(|request| request.label())
        .collect();
    assert!(
        writes.is_empty(),
        "an in-sync redeploy sent writes: {writes:?}"
    );
    assert!(
        proxy.requests().len() >= 8,
        "the checks ran through the proxy"
    );
}

#[test]
fn settings_changed_by_hand_are_reapplied_and_nothing_else_is() {
    let emulator = PrivateEmulator::start();
    let project = example_project();
    let endpoint = emulator.url.as_str();
    run(&project, endpoint, &["deploy", "--format", "json"]).assert_code(0);

    let outputs = run(&project, endpoint, &["outputs", "--format", "json"]);
    let outputs: Value = serde_json::from_str(&outputs.stdout).expect("outputs JSON");
    let importer = outputs["catalog-ingest"]["ImporterName"].clone();
    let bucket = outputs["catalog-data"]["FeedBucketName"].clone();
    call(
        &project,
        endpoint,
        "lambda:PutFunctionConcurrency",
        serde_json::json!({"FunctionName": importer, "ReservedConcurrentExecutions": 50}),
    );
    call(
        &project,
        endpoint,
        "s3:PutBucketVersioning",
        serde_json::json!({"Bucket": bucket, "VersioningConfiguration": {"Status": "Suspended"}}),
    );

    let proxy = Proxy::forward_to(endpoint);
    let again = run(&project, proxy.url(), &["deploy", "--format", "json"]);
    again.assert_code(0);
    let outcomes = step_outcomes(&again);
    for step in EXAMPLE_STEPS {
        let expected = match step {
            "ingest-concurrency" | "feed-versioning" => "applied",
            "seed-categories" => "not run",
            _ => "in sync",
        };
        assert_eq!(outcome_of(&outcomes, step), expected, "{step}");
    }
    let checked: Vec<Value> = events(&again)
        .into_iter()
        .filter(|e| e["type"] == "step_checked" && e["data"]["step"] == "ingest-concurrency")
        .collect();
    assert_eq!(checked[0]["data"]["differences"][0]["expected"], "5");
    assert_eq!(checked[0]["data"]["differences"][0]["actual"], "50");
    let writes: Vec<String> = proxy
        .requests()
        .iter()
        .filter(|r| r.is_write())
        .map(|r| r.label())
        .collect();
    assert_eq!(
        writes.len(),
        2,
        "exactly the two changed settings are written again: {writes:?}"
    );
}

/// A project on the shared emulator: one queue stack and `steps` as post-deploy/steps.yaml.
fn queue_project(stack: &str, steps: &str) -> TempProject {
    let project = TempProject::new();
    project.write(
        "gapfill.yaml",
        &format!("secrets: [CATALOG_API_TOKEN]\nstacks:\n  {stack}:\n    template: queue.yaml\npost-deploy: [post-deploy/*.yaml]\n"),
    );
    project.write(
        "queue.yaml",
        "Resources:\n  Queue: {Type: AWS::SQS::Queue}\nOutputs:\n  QueueUrl: {Value: !Ref Queue}\n  QueueArn: {Value: !GetAtt Queue.Arn}\n",
    );
    project.write("post-deploy/steps.yaml", steps);
    project
}

#[test]
fn a_failing_step_fails_the_run_names_its_error_and_skips_only_its_dependents() {
    let endpoint = emulator();
    let stack = unique("stepfail");
    let steps = format!(
        "steps:\n  - id: broken\n    call: sqs:SetQueueAttributes\n    input: {{ QueueUrl: \"${{{stack}.QueueUrl}}-gone\", Attributes: {{ DelaySeconds: \"5\" }} }}\n    check: {{ input: {{ QueueUrl: \"${{{stack}.QueueUrl}}-gone\", AttributeNames: [All] }} }}\n  - id: after-broken\n    call: sqs:SetQueueAttributes\n    input: {{ QueueUrl: \"${{{stack}.QueueUrl}}\", Attributes: {{ DelaySeconds: \"3\" }} }}\n    depends_on: [broken]\n  - id: independent\n    call: sqs:SetQueueAttributes\n    input: {{ QueueUrl: \"${{{stack}.QueueUrl}}\", Attributes: {{ MaximumMessageSize: \"2048\" }} }}\n    check: {{ input: {{ QueueUrl: \"${{{stack}.QueueUrl}}\", AttributeNames: [All] }} }}\n"
    );
    let project = queue_project(&stack, &steps);
    let output = run(&project, &endpoint, &["deploy", "--format", "plain"]);
    output.assert_code(1);
    let line = |step: &str, text: &str| {
        output
            .stdout
            .lines()
            .any(|line| line.contains(&format!("{step} ")) && line.contains(text))
    };
    assert!(
        line(
            "broken",
            "failed: sqs:GetQueueAttributes failed: AWS.SimpleQueueService.NonExistentQueue"
        ) || line(
            "broken",
            "failed: sqs:GetQueueAttributes failed: QueueDoesNotExist"
        ),
        "{output}"
    );
    assert!(
        line("after-broken", "skipped: step `broken` failed"),
        "{output}"
    );
    assert!(line("independent", "applied"), "{output}");
    assert!(
        output.stdout.contains(
            "steps: 1 applied, 0 in sync, 0 action(s) run, 0 not run, 1 failed, 1 skipped"
        ),
        "{output}"
    );
}

#[test]
fn a_step_that_never_converges_fails_with_expected_and_actual_within_its_timeout() {
    let endpoint = emulator();
    let stack = unique("stepconv");
    let name = format!("/gapfill-tests/{stack}/mode");
    let steps = format!(
        "steps:\n  - id: mode\n    call: ssm:PutParameter\n    input: {{ Name: \"{name}\", Value: written, Type: String, Overwrite: true }}\n    check:\n      expect: {{ Parameter.Value: expected }}\n    timeout: 2s\n"
    );
    let project = queue_project(&stack, &steps);
    let started = std::time::Instant::now();
    let output = run(&project, &endpoint, &["deploy", "--format", "plain"]);
    output.assert_code(1);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "bounded by the step's timeout"
    );
    assert!(
        output
            .stdout
            .contains("mode  failed: applied, but the check did not hold within 2s")
            || output
                .stdout
                .lines()
                .any(|l| l.contains("failed: applied, but the check did not hold within 2s")),
        "{output}"
    );
    assert!(
        output
            .stdout
            .lines()
            .any(|l| l.ends_with("Parameter.Value: expected \"expected\", found \"written\"")),
        "{output}"
    );
}

#[test]
fn a_stack_parameter_reads_a_step_result_and_deploys_after_the_step() {
    let endpoint = emulator();
    let (source, consumer) = (unique("stepsrc"), unique("stepuse"));
    let name = format!("/gapfill-tests/{source}/queue-name");
    let project = TempProject::new();
    project.write(
        "gapfill.yaml",
        &format!("stacks:\n  {source}:\n    template: queue.yaml\n  {consumer}:\n    template: named.yaml\n    parameters:\n      Name: ${{steps.queue-name.Parameter.Value}}\npost-deploy: [steps.yaml]\n"),
    );
    project.write("queue.yaml", "Resources:\n  Queue: {Type: AWS::SQS::Queue}\nOutputs:\n  QueueArn: {Value: !GetAtt Queue.Arn}\n");
    project.write("named.yaml", "Parameters:\n  Name: {Type: String}\nResources:\n  Queue: {Type: AWS::SQS::Queue, Properties: {QueueName: !Ref Name}}\nOutputs:\n  Name: {Value: !GetAtt Queue.QueueName}\n");
    project.write(
        "steps.yaml",
        &format!("steps:\n  - id: queue-name\n    call: ssm:PutParameter\n    input: {{ Name: \"{name}\", Value: \"{consumer}-q\", Type: String, Overwrite: true }}\n    check: auto\n    depends_on: [{source}]\n"),
    );
    let validate = Gapfill::new(project.path(), &endpoint, &["validate"]).run();
    validate.assert_code(0);
    let order: Vec<&str> = validate
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().nth(1).unwrap_or_default())
        .collect();
    assert_eq!(
        order,
        [source.as_str(), "queue-name", consumer.as_str()],
        "{validate}"
    );

    let output = Gapfill::new(project.path(), &endpoint, &["deploy", "--format", "plain"]).run();
    output.assert_code(0);
    let outputs = Gapfill::new(project.path(), &endpoint, &["outputs", "--format", "json"]).run();
    let outputs: Value = serde_json::from_str(&outputs.stdout).expect("outputs JSON");
    assert_eq!(outputs[&consumer]["Name"], format!("{consumer}-q"));
}

#[test]
fn a_secret_never_prints_in_any_format_even_when_its_check_differs() {
    let endpoint = emulator();
    let stack = unique("stepsecret");
    let name = format!("/gapfill-tests/{stack}/token");
    // The check compares against the secret and can never hold: the report must say only
    // that it differs.
    let steps = format!(
        "steps:\n  - id: token\n    call: ssm:PutParameter\n    input: {{ Name: \"{name}\", Value: \"${{env.CATALOG_API_TOKEN}}\", Type: SecureString, Overwrite: true }}\n    check:\n      input: {{ Name: \"{name}\", WithDecryption: true }}\n      expect: {{ Parameter.Value: \"${{env.CATALOG_API_TOKEN}}-never\" }}\n    timeout: 1s\n"
    );
    let project = queue_project(&stack, &steps);
    let mut texts = Vec::new();
    for format in ["plain", "json", "live"] {
        let output = run(
            &project,
            &endpoint,
            &[
                "deploy",
                "--format",
                format,
                "--junit",
                "report.xml",
                "--debug",
            ],
        );
        output.assert_code(1);
        texts.push((format!("{format} stdout"), output.stdout.clone()));
        texts.push((format!("{format} stderr"), output.stderr.clone()));
        texts.push((format!("{format} junit"), project.read("report.xml")));
    }
    let explain = run(&project, &endpoint, &["validate", "--explain"]);
    texts.push(("validate --explain".into(), explain.stdout.clone()));
    for (what, text) in &texts {
        assert!(
            !text.contains("Q7x!demo"),
            "{what} shows the secret:\n{text}"
        );
    }
    let plain = &texts[0].1;
    assert!(
        plain.contains("Parameter.Value: differs (secret value, not shown)"),
        "{plain}"
    );
}

#[test]
fn skip_steps_then_only_steps_runs_the_named_steps_and_what_they_need_without_touching_stacks() {
    let endpoint = emulator();
    let stack = unique("steponly");
    let step = |id: &str, extra: &str| {
        format!("  - id: {id}\n    call: ssm:PutParameter\n    input: {{ Name: \"/gapfill-tests/{stack}/{id}\", Value: \"${{{stack}.QueueUrl}}\", Type: String, Overwrite: true }}\n    check: auto\n{extra}")
    };
    let steps = format!(
        "steps:\n{}{}{}",
        step("first", ""),
        step("second", "    depends_on: [first]\n"),
        step("unrelated", "")
    );
    let project = queue_project(&stack, &steps);

    let stacks_only = run(
        &project,
        &endpoint,
        &["deploy", "--format", "json", "--skip-steps"],
    );
    stacks_only.assert_code(0);
    assert!(step_outcomes(&stacks_only).is_empty(), "{stacks_only}");

    let proxy = Proxy::forward_to(&endpoint);
    let steps_only = run(
        &project,
        proxy.url(),
        &["deploy", "--format", "json", "--only-steps", "second"],
    );
    steps_only.assert_code(0);
    assert_eq!(
        step_outcomes(&steps_only),
        [
            ("first".to_string(), "applied".to_string()),
            ("second".to_string(), "applied".to_string())
        ]
    );
    let stack_writes: Vec<String> = proxy
        .actions()
        .into_iter()
        .filter(|action| action.contains("ChangeSet") || action.ends_with("Stack"))
        .collect();
    assert!(
        stack_writes.is_empty(),
        "--only-steps touched a stack: {stack_writes:?}"
    );
    assert!(
        proxy.actions().contains(&"DescribeStacks".to_string()),
        "the outputs are read"
    );
}

#[test]
fn a_created_seed_whose_deploy_died_before_it_ran_runs_when_named_with_only_steps() {
    let endpoint = emulator();
    let stack = unique("stepseed");
    let steps = format!(
        "steps:\n  - id: seed\n    call: ssm:PutParameter\n    input: {{ Name: \"/gapfill-tests/{stack}/seed\", Value: seeded, Type: String, Overwrite: true }}\n    when: {{ created: {stack} }}\n"
    );
    let project = queue_project(&stack, &steps);
    // The deploy that creates the stack never gets to its steps (as if killed there).
    let created = run(
        &project,
        &endpoint,
        &["deploy", "--format", "json", "--skip-steps"],
    );
    created.assert_code(0);

    let again = run(&project, &endpoint, &["deploy", "--format", "json"]);
    again.assert_code(0);
    assert_eq!(
        step_outcomes(&again),
        [("seed".to_string(), "not run".to_string())],
        "this run did not create the stack: {again}"
    );

    let named = run(
        &project,
        &endpoint,
        &["deploy", "--format", "json", "--only-steps", "seed"],
    );
    named.assert_code(0);
    assert_eq!(
        step_outcomes(&named),
        [("seed".to_string(), "action run".to_string())],
        "{named}"
    );
}
