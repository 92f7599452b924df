//! `gapfill deploy` and `gapfill outputs` end to end on the moto emulator. Needs
//! `AWS_ENDPOINT_URL` (scripts/test.sh starts moto and exports it); fails, never skips,
//! without it. Every test deploys its own stacks under unique names from a temporary project,
//! so the tests can share one emulator and run in parallel.

mod support;

use serde_json::Value;
use support::project::{fixture, TempProject};
use support::proxy::Proxy;
use support::run::{Gapfill, Output};

/// The emulator's endpoint.
fn emulator() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "AWS_ENDPOINT_URL is not set: the end-to-end tests need the moto emulator. \
             Run scripts/test.sh, or `eval \"$(scripts/emulator.sh start)\"` before cargo test."
        ),
    }
}

/// A stack name unique to this run: `prefix` and a random suffix.
fn unique(prefix: &str) -> String {
    format!("{prefix}-{:08x}", fastrand::u32(..))
}

/// A temporary project with `gapfill.yaml` = `yaml` and the named moto fixture templates.
fn project(yaml: &str, templates: &[&str]) -> TempProject {
    let project = TempProject::new();
    project.write("gapfill.yaml", yaml);
    for template in templates {
        let text = std::fs::read_to_string(fixture("moto").join(template))
            .unwrap_or_else(|e| panic!("fixture {template}: {e}"));
        project.write(template, &text);
    }
    project
}

/// `gapfill ARGS` in `project`, against `endpoint`.
fn gapfill(project: &TempProject, endpoint: &str, args: &[&str]) -> Output {
    Gapfill::new(project.path(), endpoint, args).run()
}

fn deploy(project: &TempProject, endpoint: &str, args: &[&str]) -> Output {
    let mut all = vec!["deploy", "--format", "plain"];
    all.extend_from_slice(args);
    gapfill(project, endpoint, &all)
}

/// `gapfill outputs --format json`, parsed.
fn outputs_json(project: &TempProject, endpoint: &str) -> Value {
    let output = gapfill(project, endpoint, &["outputs", "--format", "json"]);
    output.assert_code(0);
    serde_json::from_str(&output.stdout).unwrap_or_else(|e| panic!("not JSON ({e}); {output}"))
}

fn position(lines: &[String], line: &str) -> usize {
    lines
        .iter()
        .position(|l| l == line)
        .unwrap_or_else(|| panic!("no line {line:?} in {lines:#?}"))
}

/// Names of the three stacks of the flow project.
struct Flow {
    queue: String,
    topic: String,
    consumer: String,
}

impl Flow {
    fn new(prefix: &str) -> Flow {
        Flow {
            queue: unique(&format!("{prefix}q")),
            topic: unique(&format!("{prefix}t")),
            consumer: unique(&format!("{prefix}c")),
        }
    }

    fn names(&self) -> [&str; 3] {
        [&self.queue, &self.topic, &self.consumer]
    }

    /// Two producers whose outputs become the consumer's parameters.
    fn project(&self) -> TempProject {
        let (queue, topic, consumer) = (&self.queue, &self.topic, &self.consumer);
        let yaml = format!(
            "project: flow\nstacks:\n  {queue}:\n    template: queue.yaml\n  {topic}:\n    template: topic.yaml\n  {consumer}:\n    template: consumer.yaml\n    parameters:\n      QueueArn: ${{{queue}.QueueArn}}\n      TopicArn: ${{{topic}.TopicArn}}\n    capabilities: [CAPABILITY_IAM]\n    tags:\n      team: tests\n"
        );
        project(&yaml, &["queue.yaml", "topic.yaml", "consumer.yaml"])
    }
}

#[test]
fn a_fresh_deploy_feeds_two_stacks_outputs_into_the_third() {
    let endpoint = emulator();
    let flow = Flow::new("fresh");
    let project = flow.project();

    let output = deploy(&project, &endpoint, &["--outputs-file", "outputs.json"]);

    output.assert_code(0);
    let lines = output.plain_lines(&flow.names());
    for name in flow.names() {
        assert!(lines.contains(&format!("{name}: created")), "{output}");
    }
    let consumer_started = position(&lines, &format!("{}: started", flow.consumer));
    assert!(consumer_started > position(&lines, &format!("{}: created", flow.queue)));
    assert!(consumer_started > position(&lines, &format!("{}: created", flow.topic)));
    assert_eq!(
        lines.last().map(String::as_str),
        Some("done in <duration>: 3 created, 0 updated, 0 unchanged, 0 failed, 0 skipped")
    );
    let outputs = outputs_json(&project, &endpoint);
    let queue_arn = outputs[&flow.queue]["QueueArn"].as_str().expect("QueueArn");
    let topic_arn = outputs[&flow.topic]["TopicArn"].as_str().expect("TopicArn");
    assert!(
        queue_arn.starts_with("arn:aws:sqs:us-east-1:123456789012:"),
        "{outputs}"
    );
    assert!(
        topic_arn.starts_with("arn:aws:sns:us-east-1:123456789012:"),
        "{outputs}"
    );
    let consumer = &outputs[&flow.consumer];
    assert_eq!(consumer["ReceivedQueueArn"], queue_arn, "{outputs}");
    assert_eq!(consumer["ReceivedTopicArn"], topic_arn, "{outputs}");
    assert_eq!(
        consumer["Label"], "consumer",
        "the template default applies"
    );
    let file: Value = serde_json::from_str(&project.read("outputs.json")).expect("JSON file");
    assert_eq!(
        file, outputs,
        "--outputs-file holds what `gapfill outputs` prints"
    );
}

#[test]
fn outputs_print_as_json_env_and_dotenv_and_deploy_writes_them_to_a_file() {
    let endpoint = emulator();
    let stack = unique("outq");
    let project = project(
        &format!("project: out\nstacks:\n  {stack}:\n    template: queue.yaml\n"),
        &["queue.yaml"],
    );
    deploy(&project, &endpoint, &[]).assert_code(0);

    let outputs = outputs_json(&project, &endpoint);
    let arn = outputs[&stack]["QueueArn"]
        .as_str()
        .expect("QueueArn")
        .to_string();
    let name = outputs[&stack]["QueueName"]
        .as_str()
        .expect("QueueName")
        .to_string();
    assert_eq!(outputs.as_object().map(|o| o.len()), Some(1), "{outputs}");
    assert!(arn.ends_with(&format!(":{name}")), "{outputs}");
    let prefix = stack.to_uppercase().replace('-', "_");

    let env = gapfill(&project, &endpoint, &["outputs", "--format", "env"]);
    env.assert_code(0);
    assert_eq!(
        env.stdout,
        format!("export {prefix}_QUEUE_ARN='{arn}'\nexport {prefix}_QUEUE_NAME='{name}'\n")
    );
    let dotenv = gapfill(&project, &endpoint, &["outputs", "--format", "dotenv"]);
    dotenv.assert_code(0);
    let expected_dotenv = format!("{prefix}_QUEUE_ARN=\"{arn}\"\n{prefix}_QUEUE_NAME=\"{name}\"\n");
    assert_eq!(dotenv.stdout, expected_dotenv);

    // A re-deploy changes nothing and still writes every stack's outputs.
    let again = deploy(&project, &endpoint, &["--outputs-file", "outputs.env"]);
    again.assert_code(0);
    assert_eq!(project.read("outputs.env"), expected_dotenv);
    deploy(&project, &endpoint, &["--outputs-file", "outputs.json"]).assert_code(0);
    let file: Value = serde_json::from_str(&project.read("outputs.json")).expect("JSON file");
    assert_eq!(file, outputs);

    // A stack that was never deployed: what exists is printed, the rest is an error.
    let never = unique("never");
    project.write(
        "gapfill.yaml",
        &format!("project: out\nstacks:\n  {stack}:\n    template: queue.yaml\n  {never}:\n    template: queue.yaml\n"),
    );
    let partial = gapfill(&project, &endpoint, &["outputs", "--format", "json"]);
    partial.assert_code(1);
    assert!(
        partial
            .stderr
            .contains(&format!("not deployed yet: {never}")),
        "{partial}"
    );
    let printed: Value = serde_json::from_str(&partial.stdout).expect("JSON");
    assert_eq!(printed, outputs, "the deployed stack's outputs still print");
}

#[test]
fn an_update_is_reported_and_the_outputs_follow_the_new_template() {
    let endpoint = emulator();
    let stack = unique("updq");
    let project = project(
        &format!("project: upd\nstacks:\n  {stack}:\n    template: queue.yaml\n"),
        &["queue.yaml"],
    );
    deploy(&project, &endpoint, &[]).assert_code(0);
    let before = outputs_json(&project, &endpoint);
    assert!(before[&stack].get("Generation").is_none(), "{before}");

    let changed = project
        .read("queue.yaml")
        .replace("VisibilityTimeout: 60", "VisibilityTimeout: 90")
        + "  Generation:\n    Value: second\n";
    project.write("queue.yaml", &changed);
    let output = deploy(&project, &endpoint, &[]);

    output.assert_code(0);
    let lines = output.plain_lines(&[&stack]);
    assert!(lines.contains(&format!("{stack}: updated")), "{output}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("{stack}: change set <change-set>:"))),
        "{output}"
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("done in <duration>: 0 created, 1 updated, 0 unchanged, 0 failed, 0 skipped")
    );
    let after = outputs_json(&project, &endpoint);
    assert_eq!(after[&stack]["Generation"], "second", "{after}");
    assert_eq!(
        after[&stack]["QueueArn"], before[&stack]["QueueArn"],
        "{after}"
    );
}

#[test]
fn a_redeploy_without_changes_makes_no_change_set() {
    let endpoint = emulator();
    let flow = Flow::new("noop");
    let project = flow.project();
    deploy(&project, &endpoint, &[]).assert_code(0);

    let proxy = Proxy::forward_to(&endpoint);
    let output = deploy(&project, proxy.url(), &[]);

    output.assert_code(0);
    let lines = output.plain_lines(&flow.names());
    for name in flow.names() {
        assert!(
            lines.contains(&format!(
                "{name}: no changes (template, parameters and tags match what is deployed)"
            )),
            "{output}"
        );
        let calls = proxy.summary(name);
        println!("calls for {name} on a no-op re-deploy: {calls:?}");
        for action in ["CreateChangeSet", "ExecuteChangeSet", "UpdateStack"] {
            assert_eq!(proxy.count(action, name), 0, "{action} sent for {name}");
        }
        assert_eq!(
            calls,
            [
                ("DescribeStacks".to_string(), 1),
                ("GetTemplate".to_string(), 1)
            ],
            "the fast path reads the stack and its template, nothing else"
        );
    }
    assert_eq!(
        lines.last().map(String::as_str),
        Some("done in <duration>: 0 created, 0 updated, 3 unchanged, 0 failed, 0 skipped")
    );
}

#[test]
fn json_format_is_one_object_per_line_from_run_started_to_run_finished() {
    let endpoint = emulator();
    let stack = unique("jsonq");
    let project = project(
        &format!("project: json\nstacks:\n  {stack}:\n    template: queue.yaml\n"),
        &["queue.yaml"],
    );

    let output = gapfill(&project, &endpoint, &["deploy", "--format", "json"]);

    output.assert_code(0);
    let events: Vec<Value> = output
        .stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {line:?} is not JSON: {e}"))
        })
        .collect();
    assert!(events.len() >= 4, "{output}");
    let first = &events[0];
    assert_eq!(first["type"], "run_started", "{output}");
    assert_eq!(first["data"]["format_version"], 1);
    assert_eq!(first["data"]["stacks"], serde_json::json!([stack]));
    let last = events.last().expect("a last line");
    assert_eq!(last["type"], "run_finished", "{output}");
    assert_eq!(last["data"]["success"], true);
    assert_eq!(last["data"]["created"], 1);
    for event in &events {
        assert!(
            event["at"].is_string() && event["elapsed_ms"].is_u64(),
            "{event}"
        );
    }
    let finished: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "stack_finished")
        .collect();
    assert_eq!(finished.len(), 1, "{output}");
    assert_eq!(finished[0]["data"]["stack"], stack.as_str());
    assert_eq!(finished[0]["data"]["outcome"], "created");
    assert!(
        finished[0]["data"]["outputs"]["QueueArn"]
            .as_str()
            .is_some_and(|arn| arn.starts_with("arn:aws:sqs:")),
        "{output}"
    );
}

#[test]
fn a_failing_stack_skips_its_dependent_but_not_an_unrelated_stack() {
    let endpoint = emulator();
    let bad = unique("failbad");
    let dependent = unique("faildep");
    let unrelated = unique("failok");
    let yaml = format!(
        "project: fail\nstacks:\n  {bad}:\n    template: rejected.yaml\n  {dependent}:\n    template: consumer.yaml\n    parameters:\n      QueueArn: ${{{bad}.QueueArn}}\n      TopicArn: none\n  {unrelated}:\n    template: queue.yaml\n"
    );
    let project = project(&yaml, &["rejected.yaml", "consumer.yaml", "queue.yaml"]);

    let output = deploy(
        &project,
        &endpoint,
        &["--outputs-file", "outputs.json", "--junit", "junit.xml"],
    );

    output.assert_code(1);
    let lines = output.plain_lines(&[&bad, &dependent, &unrelated]);
    let failed = lines
        .iter()
        .find(|l| l.starts_with(&format!("{bad}: failed: ")))
        .unwrap_or_else(|| panic!("{bad} did not fail; {output}"));
    assert!(
        failed.contains(".fifo"),
        "the failure carries moto's reason: {failed}"
    );
    assert!(
        lines.contains(&format!(
            "{dependent}: skipped: stack `{bad}` did not deploy"
        )),
        "{output}"
    );
    assert!(
        !lines.contains(&format!("{dependent}: started")),
        "{output}"
    );
    assert!(lines.contains(&format!("{unrelated}: created")), "{output}");
    assert_eq!(
        lines.last().map(String::as_str),
        Some("done in <duration>: 1 created, 0 updated, 0 unchanged, 1 failed, 1 skipped")
    );
    let file: Value = serde_json::from_str(&project.read("outputs.json")).expect("JSON file");
    let stacks: Vec<&String> = file.as_object().expect("an object").keys().collect();
    assert_eq!(
        stacks,
        [&unrelated],
        "only the deployed stack has outputs: {file}"
    );
    let junit = project.read("junit.xml");
    let report = roxmltree::Document::parse(&junit).expect("well-formed JUnit XML");
    let mut cases: Vec<(&str, Option<&str>)> = report
        .descendants()
        .filter(|node| node.has_tag_name("testcase"))
        .map(|case| {
            let verdict = case
                .children()
                .find(|c| c.is_element())
                .map(|c| c.tag_name().name());
            (case.attribute("name").unwrap_or_default(), verdict)
        })
        .collect();
    // Cases come in the order stacks finished, which parallel stacks do not fix.
    cases.sort();
    let mut expected = vec![
        (bad.as_str(), Some("failure")),
        (dependent.as_str(), Some("skipped")),
        (unrelated.as_str(), Some("system-out")),
    ];
    expected.sort();
    assert_eq!(cases, expected, "{junit}");
}

#[test]
fn validation_errors_make_no_aws_call() {
    let recorder = Proxy::recorder();
    let invalid = TempProject::from_fixture("unknown-stack");

    for args in [
        &["deploy", "--format", "plain"][..],
        &["outputs", "--format", "json"][..],
    ] {
        let output = Gapfill::new(invalid.path(), recorder.url(), args).run();
        output.assert_code(1);
        assert!(
            output.stderr.contains("missing"),
            "the error names the unknown stack; {output}"
        );
    }
    // A usage error is found before any call too.
    let valid = TempProject::from_fixture("scripted-one");
    let usage = Gapfill::new(valid.path(), recorder.url(), &["deploy", "--format", "env"]).run();
    usage.assert_code(1);
    assert!(usage.stderr.contains("--format env"), "{usage}");
    assert_eq!(recorder.actions(), Vec::<String>::new(), "no AWS call");

    // The control: a valid project with the same environment does reach the recorder.
    let running = Gapfill::new(
        valid.path(),
        recorder.url(),
        &["deploy", "--format", "plain"],
    )
    .spawn();
    let started = std::time::Instant::now();
    while recorder.actions().is_empty() && started.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let output = running.kill();
    assert_eq!(
        recorder.actions().first().map(String::as_str),
        Some("DescribeStacks"),
        "the recorder sees calls when there are any; {output}"
    );
}

#[test]
fn a_template_over_the_inline_limit_goes_through_the_artifact_bucket() {
    let endpoint = emulator();
    let stack = unique("big");
    let bucket = unique("gapfill-artifacts");
    let description = "x".repeat(52_000);
    let project = TempProject::new();
    project.write(
        "big.yaml",
        &format!("Description: {description}\nResources:\n  Queue: {{Type: AWS::SQS::Queue}}\nOutputs:\n  QueueArn: {{Value: !GetAtt Queue.Arn}}\n"),
    );
    project.write(
        "gapfill.yaml",
        &format!("artifacts: {{bucket: {bucket}, prefix: cfn}}\nstacks:\n  {stack}:\n    template: big.yaml\n"),
    );
    gapfill(
        &project,
        &endpoint,
        &[
            "call",
            "s3:CreateBucket",
            "--input",
            &format!("{{\"Bucket\":\"{bucket}\"}}"),
        ],
    )
    .assert_code(0);

    let proxy = Proxy::forward_to(&endpoint);
    let first = deploy(&project, proxy.url(), &[]);
    first.assert_code(0);
    assert!(
        first.stdout.contains(&format!("{stack}  created")),
        "{first}"
    );
    let requests = proxy.requests();
    let create = requests
        .iter()
        .find(|request| request.action == "CreateChangeSet")
        .unwrap_or_else(|| panic!("no CreateChangeSet in {:?}", proxy.actions()));
    assert_eq!(
        create.param("TemplateBody"),
        None,
        "the body must not be sent inline"
    );
    let url = create.param("TemplateURL").expect("a TemplateURL");
    assert!(
        url.contains(&format!("/{bucket}/cfn/{stack}/")) && url.ends_with(".template"),
        "{url}"
    );

    let listed = gapfill(
        &project,
        &endpoint,
        &[
            "call",
            "s3:ListObjectsV2",
            "--input",
            &format!("{{\"Bucket\":\"{bucket}\"}}"),
            "--query",
            "KeyCount",
        ],
    );
    listed.assert_code(0);
    assert_eq!(listed.stdout.trim(), "1", "{listed}");
    assert!(outputs_json(&project, &endpoint)[&stack]["QueueArn"].is_string());

    let again = deploy(&project, &endpoint, &[]);
    again.assert_code(0);
    assert!(again.stdout.contains("no changes"), "{again}");
}

#[test]
fn a_stack_with_a_noecho_parameter_redeploys_as_no_changes() {
    let endpoint = emulator();
    let stack = unique("noecho");
    let project = TempProject::new();
    project.write(
        "secret.yaml",
        "Parameters:\n  Token: {Type: String, NoEcho: true}\nResources:\n  Queue: {Type: AWS::SQS::Queue}\n",
    );
    project.write(
        "gapfill.yaml",
        &format!("secrets: [NOECHO_TOKEN]\nstacks:\n  {stack}:\n    template: secret.yaml\n    parameters: {{ Token: \"${{env.NOECHO_TOKEN}}\" }}\n"),
    );
    let run = || {
        Gapfill::new(project.path(), &endpoint, &["deploy", "--format", "plain"])
            .env("NOECHO_TOKEN", "n0echo-value-77")
            .run()
    };
    let first = run();
    first.assert_code(0);
    let second = run();
    second.assert_code(0);
    assert!(
        second
            .stdout
            .contains(&format!("{stack}  no changes (empty change set)")),
        "{second}"
    );
    assert!(
        !first.stdout.contains("n0echo-value-77") && !second.stdout.contains("n0echo-value-77")
    );
}

#[test]
fn secrets_stay_masked_in_json_dotenv_and_outputs_even_when_escaped_or_passed_through_an_output() {
    let endpoint = emulator();
    let (source, sink) = (unique("secsrc"), unique("secsink"));
    let secret = r#"p@ss"w+rd/x='z"#;
    let passed_on = format!("handed-over-{}", fastrand::u32(..));
    let project = TempProject::new();
    // `source` echoes the secret and exposes a plain value that `sink` takes as NoEcho.
    project.write(
        "source.yaml",
        &format!("Parameters:\n  Token: {{Type: String, NoEcho: true}}\nResources:\n  Queue: {{Type: AWS::SQS::Queue}}\nOutputs:\n  Echo: {{Value: !Ref Token}}\n  Key: {{Value: {passed_on}}}\n"),
    );
    project.write(
        "sink.yaml",
        "Parameters:\n  Key: {Type: String, NoEcho: true}\nResources:\n  Queue: {Type: AWS::SQS::Queue}\n",
    );
    project.write(
        "gapfill.yaml",
        &format!(
            "secrets: [SOURCE_TOKEN]\nstacks:\n  {source}:\n    template: source.yaml\n    parameters: {{ Token: \"${{env.SOURCE_TOKEN}}\" }}\n  {sink}:\n    template: sink.yaml\n    parameters: {{ Key: \"${{{source}.Key}}\" }}\n"
        ),
    );
    let run = |args: &[&str]| {
        Gapfill::new(project.path(), &endpoint, args)
            .env("SOURCE_TOKEN", secret)
            .run()
    };

    let deploy = run(&["deploy", "--format", "json", "--outputs-file", "out.env"]);
    deploy.assert_code(0);
    let outputs = run(&["outputs", "--format", "dotenv"]);
    outputs.assert_code(0);
    let json = run(&["outputs", "--format", "json"]);
    json.assert_code(0);
    let dotenv_file = project.read("out.env");
    for (what, text) in [
        ("deploy json", &deploy.stdout),
        ("outputs dotenv", &outputs.stdout),
        ("outputs json", &json.stdout),
        ("outputs file", &dotenv_file),
    ] {
        assert!(!text.contains("w+rd"), "{what} shows the secret: {text}");
        assert!(
            !text.contains(&passed_on),
            "{what} shows an output that feeds a NoEcho parameter: {text}"
        );
        assert!(text.contains("****"), "{what} masks: {text}");
    }
    for line in deploy.stdout.lines() {
        serde_json::from_str::<Value>(line)
            .unwrap_or_else(|e| panic!("masking broke the JSON ({e}): {line}"));
    }
}

#[tokio::test]
async fn a_retried_create_change_set_never_makes_a_second_stack_of_one_name() {
    let endpoint = emulator();
    let cfn = support::sdk::cloudformation(&endpoint).await;
    let stack = unique("dup");
    let template = std::fs::read_to_string(fixture("moto").join("queue.yaml")).expect("fixture");
    let create = |change_set: &str| {
        cfn.create_change_set()
            .stack_name(&stack)
            .change_set_name(change_set)
            .change_set_type(aws_sdk_cloudformation::types::ChangeSetType::Create)
            .template_body(&template)
            .send()
    };

    let first = create("cs-one").await.expect("the first CreateChangeSet");
    let retried = support::sdk::aws_error(create("cs-one").await);
    let second = create("cs-two")
        .await
        .expect("a second change set on the REVIEW stack");

    assert_eq!(
        retried,
        (
            "AlreadyExistsException".to_string(),
            "ChangeSet [cs-one] already exists".to_string(),
            400
        )
    );
    assert_eq!(
        second.stack_id(),
        first.stack_id(),
        "the second change set joins the stack in REVIEW_IN_PROGRESS"
    );
    let live: Vec<String> = cfn
        .describe_stacks()
        .send()
        .await
        .expect("DescribeStacks")
        .stacks()
        .iter()
        .filter(|s| s.stack_name() == Some(stack.as_str()))
        .map(|s| s.stack_id().unwrap_or_default().to_string())
        .collect();
    assert_eq!(live, [first.stack_id().unwrap_or_default().to_string()]);

    cfn.execute_change_set()
        .change_set_name(second.id().unwrap_or_default())
        .send()
        .await
        .expect("ExecuteChangeSet");
    let again = support::sdk::aws_error(create("cs-three").await);
    assert_eq!(
        again,
        (
            "ValidationError".to_string(),
            format!("Stack [{stack}] already exists and cannot be created again with the changeSet [cs-three]."),
            400
        )
    );
    let create_stack = support::sdk::aws_error(
        cfn.create_stack()
            .stack_name(&stack)
            .template_body(&template)
            .send()
            .await,
    );
    assert_eq!(
        create_stack,
        (
            "AlreadyExistsException".to_string(),
            format!("Stack [{stack}] already exists"),
            400
        )
    );
}
