//! `gapfill plan` end to end on the moto emulator: a new project shows creates and steps
//! decided at deploy, with no change set at all; a deployed project shows no changes; a
//! template edit shows the stack's change and exits 2; a setting changed by hand shows as
//! "would apply" with expected vs actual; a plan writes nothing but its own change sets, and
//! leaves none behind; a secret never prints.

mod support;

use serde_json::Value;
use support::project::TempProject;
use support::proxy::Proxy;
use support::run::{Gapfill, Output};

const SECRET: &str = "plan-secret-Vx8!token";

fn emulator() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!("AWS_ENDPOINT_URL is not set: run scripts/test.sh, or start the emulator"),
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{:08x}", fastrand::u32(..))
}

/// One queue stack (visibility `timeout`) and two steps: a SecureString from a secret and a
/// plain parameter, both fed by the stack's output.
fn project(stack: &str, timeout: u32) -> TempProject {
    let project = TempProject::new();
    project.write(
        "gapfill.yaml",
        &format!("secrets: [PLAN_TOKEN]\nstacks:\n  {stack}:\n    template: queue.yaml\npost-deploy: [steps.yaml]\n"),
    );
    write_template(&project, timeout);
    project.write(
        "steps.yaml",
        &format!(
            "steps:\n  - id: token\n    call: ssm:PutParameter\n    input: {{ Name: /gapfill-tests/{stack}/token, Value: \"${{env.PLAN_TOKEN}}\", Type: SecureString, Overwrite: true }}\n    check:\n      input: {{ Name: /gapfill-tests/{stack}/token, WithDecryption: true }}\n      expect: {{ Parameter.Value: \"${{env.PLAN_TOKEN}}\" }}\n  - id: queue-url\n    call: ssm:PutParameter\n    input: {{ Name: /gapfill-tests/{stack}/queue, Value: \"${{{stack}.QueueUrl}}\", Type: String, Overwrite: true }}\n    check: auto\n"
        ),
    );
    project
}

fn write_template(project: &TempProject, timeout: u32) {
    project.write(
        "queue.yaml",
        &format!("Resources:\n  Queue: {{Type: AWS::SQS::Queue, Properties: {{VisibilityTimeout: {timeout}}}}}\nOutputs:\n  QueueUrl: {{Value: !Ref Queue}}\n"),
    );
}

fn run(project: &TempProject, endpoint: &str, args: &[&str]) -> Output {
    Gapfill::new(project.path(), endpoint, args)
        .env("PLAN_TOKEN", SECRET)
        .run()
}

fn plan(project: &TempProject, endpoint: &str) -> Output {
    run(project, endpoint, &["plan", "--format", "plain"])
}

fn has_line(output: &Output, name: &str, text: &str) -> bool {
    output
        .stdout
        .lines()
        .any(|line| line.contains(&format!(" {name} ")) && line.trim_end().ends_with(text))
}

/// Every write the proxy saw, by action.
fn writes(proxy: &Proxy) -> Vec<String> {
    proxy
        .requests()
        .iter()
        .filter(|request| request.is_write())
        .map(|request| request.label())
        .collect()
}

#[test]
fn a_new_project_plans_creates_and_steps_decided_at_deploy_without_any_change_set() {
    let endpoint = emulator();
    let stack = unique("plannew");
    let project = project(&stack, 30);
    let proxy = Proxy::forward_to(&endpoint);
    let output = plan(&project, proxy.url());
    output.assert_code(2);
    assert!(has_line(&output, &stack, "would create"), "{output}");
    assert!(
        has_line(&output, &stack, "+ AWS::SQS::Queue Queue"),
        "{output}"
    );
    assert!(
        has_line(
            &output,
            "queue-url",
            &format!(
                "decided at deploy: it reads `{stack}.QueueUrl`, known once `{stack}` is deployed"
            )
        ),
        "{output}"
    );
    assert!(has_line(&output, "token", "would apply:"), "{output}");
    assert!(
        writes(&proxy).is_empty(),
        "a plan of a new stack writes nothing: {:?}",
        writes(&proxy)
    );
    assert!(!output.stdout.contains("Vx8!"), "{output}");
}

#[test]
fn a_template_edit_plans_an_update_through_a_change_set_that_is_deleted_and_a_deploy_clears_it() {
    let endpoint = emulator();
    let stack = unique("planedit");
    let project = project(&stack, 30);
    run(&project, &endpoint, &["deploy", "--format", "plain"]).assert_code(0);
    let clean = plan(&project, &endpoint);
    clean.assert_code(0);
    assert!(
        has_line(
            &clean,
            &stack,
            "no changes (template, parameters and tags match what is deployed)"
        ),
        "{clean}"
    );

    write_template(&project, 90);
    let proxy = Proxy::forward_to(&endpoint);
    let edited = plan(&project, proxy.url());
    edited.assert_code(2);
    assert!(has_line(&edited, &stack, "would update"), "{edited}");
    assert!(
        has_line(&edited, &stack, "~ AWS::SQS::Queue Queue"),
        "{edited}"
    );
    assert!(has_line(&edited, "queue-url", "in sync"), "{edited}");
    assert_eq!(
        writes(&proxy),
        ["CreateChangeSet", "DeleteChangeSet"],
        "a plan writes its change set only"
    );
    // The emulator lists the change sets of every stack, executed ones too: look for this
    // plan's own by name.
    let made = edited
        .stdout
        .lines()
        .find_map(|line| line.split("change set ").nth(1))
        .and_then(|rest| rest.split(':').next())
        .expect("the plan names its change set")
        .to_string();
    let input = format!("{{\"StackName\": \"{stack}\"}}");
    let query = "Summaries[].ChangeSetName";
    let left = Gapfill::new(
        project.path(),
        &endpoint,
        &[
            "call",
            "cloudformation:ListChangeSets",
            "--input",
            &input,
            "--query",
            query,
        ],
    )
    .run();
    let names: Value = serde_json::from_str(&left.stdout).expect("change set names");
    assert!(
        !names
            .as_array()
            .into_iter()
            .flatten()
            .any(|name| name == made.as_str()),
        "the plan's change set {made} is gone: {names}"
    );

    run(&project, &endpoint, &["deploy", "--format", "plain"]).assert_code(0);
    plan(&project, &endpoint).assert_code(0);
}

#[test]
fn a_setting_changed_by_hand_plans_as_would_apply_with_expected_and_actual_and_no_secret() {
    let endpoint = emulator();
    let stack = unique("planstep");
    let project = project(&stack, 30);
    run(&project, &endpoint, &["deploy", "--format", "plain"]).assert_code(0);
    for (name, value, kind) in [
        ("queue", "by-hand", "String"),
        ("token", "hand-rotated-Qm3", "SecureString"),
    ] {
        let input = format!("{{\"Name\": \"/gapfill-tests/{stack}/{name}\", \"Value\": \"{value}\", \"Type\": \"{kind}\", \"Overwrite\": true}}");
        run(
            &project,
            &endpoint,
            &["call", "ssm:PutParameter", "--input", &input],
        )
        .assert_code(0);
    }
    let output = plan(&project, &endpoint);
    output.assert_code(2);
    assert!(has_line(&output, "queue-url", "would apply:"), "{output}");
    assert!(
        output
            .stdout
            .contains("Parameter.Value: expected \"https://"),
        "{output}"
    );
    assert!(output.stdout.contains("found \"by-hand\""), "{output}");
    assert!(
        output
            .stdout
            .contains("Parameter.Value: differs (secret value, not shown)"),
        "{output}"
    );
    let json = run(&project, &endpoint, &["plan", "--format", "json"]);
    json.assert_code(2);
    let markdown = run(&project, &endpoint, &["plan", "--format", "markdown"]);
    markdown.assert_code(2);
    assert!(markdown.stdout.starts_with("## gapfill plan"), "{markdown}");
    let live = run(
        &project,
        &endpoint,
        &["plan", "--format", "live", "--debug", "--junit", "plan.xml"],
    );
    live.assert_code(2);
    let junit = project.read("plan.xml");
    for text in [
        &output.stdout,
        &json.stdout,
        &json.stderr,
        &markdown.stdout,
        &live.stdout,
        &live.stderr,
        &junit,
    ] {
        assert!(!text.contains("Vx8!"), "the secret printed: {text}");
        assert!(
            !text.contains("hand-rotated-Qm3"),
            "the value read with decryption printed: {text}"
        );
    }
}

#[test]
fn a_saved_plan_executes_exactly_its_change_sets_and_is_refused_once_the_template_changed() {
    let endpoint = emulator();
    let stack = unique("plansave");
    let project = project(&stack, 30);
    run(&project, &endpoint, &["deploy", "--format", "plain"]).assert_code(0);

    write_template(&project, 60);
    let saved = run(
        &project,
        &endpoint,
        &["plan", "--format", "plain", "--save", "reviewed.json"],
    );
    saved.assert_code(2);
    let file: Value = serde_json::from_str(&project.read("reviewed.json")).expect("a saved plan");
    assert_eq!(file["stacks"][0]["stack"], stack.as_str());
    assert_eq!(file["stacks"][0]["action"], "update");
    assert!(file["stacks"][0]["change_set"]
        .as_str()
        .is_some_and(|id| id.contains("gapfill-plan-")));
    assert!(
        !project.read("reviewed.json").contains("Vx8!"),
        "no secret in the saved plan"
    );

    // The template changes again after the review: the plan is refused, nothing runs.
    write_template(&project, 120);
    let proxy = Proxy::forward_to(&endpoint);
    let refused = run(
        &project,
        proxy.url(),
        &["deploy", "--format", "plain", "--plan", "reviewed.json"],
    );
    refused.assert_code(1);
    assert!(
        refused.stderr.contains(&format!(
            "error: refusing the saved plan: stack `{stack}` changed since the plan was made"
        )),
        "{refused}"
    );
    assert!(
        writes(&proxy).is_empty(),
        "a refused plan writes nothing: {:?}",
        writes(&proxy)
    );

    // Back to the reviewed template: exactly the kept change set runs, no new one is made.
    write_template(&project, 60);
    let proxy = Proxy::forward_to(&endpoint);
    let deployed = run(
        &project,
        proxy.url(),
        &["deploy", "--format", "plain", "--plan", "reviewed.json"],
    );
    deployed.assert_code(0);
    assert!(has_line(&deployed, &stack, "updated"), "{deployed}");
    let actions = proxy.actions();
    assert!(
        actions.contains(&"ExecuteChangeSet".to_string()),
        "{actions:?}"
    );
    assert!(
        !actions.contains(&"CreateChangeSet".to_string()),
        "{actions:?}"
    );
    plan(&project, &endpoint).assert_code(0);
    // A plan runs once.
    let again = run(
        &project,
        &endpoint,
        &["deploy", "--format", "plain", "--plan", "reviewed.json"],
    );
    again.assert_code(1);
    assert!(
        again.stderr.contains("the change set was executed already"),
        "{again}"
    );
}
