//! `gapfill import stacks` end to end on the moto emulator: stacks deployed by gapfill (one
//! feeding the other an output, tags, capabilities, a NoEcho parameter) are imported into an
//! empty directory; the project validates, names the reference and the secret, and
//! `gapfill plan` reports no changes. An import never overwrites a file.

mod support;

use support::project::TempProject;
use support::run::{Gapfill, Output};

fn emulator() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!("AWS_ENDPOINT_URL is not set: run scripts/test.sh, or start the emulator"),
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{:08x}", fastrand::u32(..))
}

const TOKEN: &str = "import-token-9Qz";

fn run(dir: &TempProject, endpoint: &str, args: &[&str], env: &str) -> Output {
    Gapfill::new(dir.path(), endpoint, args)
        .env(env, TOKEN)
        .run()
}

#[test]
fn imported_stacks_plan_as_no_changes_and_keep_their_reference_and_secret() {
    let endpoint = emulator();
    let prefix = unique("imp");
    let (queue, consumer) = (format!("{prefix}-q"), format!("{prefix}-c"));
    let source = TempProject::new();
    source.write(
        "gapfill.yaml",
        &format!("secrets: [SOURCE_TOKEN]\nstacks:\n  {queue}:\n    template: queue.yaml\n    tags: {{ team: catalog }}\n  {consumer}:\n    template: consumer.json\n    parameters:\n      QueueArn: ${{{queue}.QueueArn}}\n      Token: ${{env.SOURCE_TOKEN}}\n      Stage: prod\n    capabilities: [CAPABILITY_IAM]\n"),
    );
    source.write(
        "queue.yaml",
        "Resources:\n  Queue: {Type: AWS::SQS::Queue}\nOutputs:\n  QueueArn: {Value: !GetAtt Queue.Arn}\n",
    );
    source.write(
        "consumer.json",
        "{\"Parameters\": {\"QueueArn\": {\"Type\": \"String\"}, \"Token\": {\"Type\": \"String\", \"NoEcho\": true}, \"Stage\": {\"Type\": \"String\", \"Default\": \"dev\"}, \"Size\": {\"Type\": \"Number\", \"Default\": \"5\"}},\n \"Resources\": {\"Topic\": {\"Type\": \"AWS::SNS::Topic\"}}}\n",
    );
    run(
        &source,
        &endpoint,
        &["deploy", "--format", "plain"],
        "SOURCE_TOKEN",
    )
    .assert_code(0);

    let target = TempProject::new();
    let imported = run(
        &target,
        &endpoint,
        &[
            "import", "stacks", "--stack", &queue, "--stack", &consumer, "--name", "adopted",
        ],
        "UNUSED",
    );
    imported.assert_code(0);
    let env_name = format!("{}_TOKEN", consumer.to_ascii_uppercase().replace('-', "_"));
    assert!(
        imported.stdout.contains(&format!("set {env_name}")),
        "{imported}"
    );
    let yaml = target.read("gapfill.yaml");
    assert!(
        yaml.contains(&format!("QueueArn: \"${{{queue}.QueueArn}}\"")),
        "{yaml}"
    );
    assert!(
        yaml.contains(&format!("Token: \"${{env.{env_name}}}\"")),
        "{yaml}"
    );
    assert!(yaml.contains("Stage: prod"), "{yaml}");
    assert!(
        !yaml.contains("Size"),
        "a parameter at its default is left out: {yaml}"
    );
    assert!(
        yaml.contains("team: catalog") && yaml.contains("capabilities: [CAPABILITY_IAM]"),
        "{yaml}"
    );
    assert!(
        !yaml.contains(TOKEN) && !yaml.contains("****"),
        "no secret value: {yaml}"
    );
    assert!(
        target
            .read(&format!("stacks/{consumer}.json"))
            .starts_with('{'),
        "JSON stays JSON"
    );
    assert!(
        target
            .read(&format!("stacks/{queue}.yaml"))
            .contains("!GetAtt"),
        "YAML as written"
    );

    let plan = run(
        &target,
        &endpoint,
        &["plan", "--format", "plain"],
        &env_name,
    );
    plan.assert_code(0);
    assert!(plan.stdout.contains("no changes:"), "{plan}");

    let by_prefix = TempProject::new();
    let found = run(
        &by_prefix,
        &endpoint,
        &["import", "stacks", "--prefix", &format!("{prefix}-")],
        "UNUSED",
    );
    found.assert_code(0);
    assert!(found.stdout.contains("imported 2 stack(s)"), "{found}");

    let again = run(
        &target,
        &endpoint,
        &["import", "stacks", "--stack", &queue],
        "UNUSED",
    );
    again.assert_code(1);
    assert!(
        again
            .stderr
            .contains("gapfill.yaml` exists already; nothing was written"),
        "{again}"
    );
}
