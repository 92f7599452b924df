//! `gapfill drift` end to end on the moto emulator with the example project: in sync after a
//! deploy; two settings changed by hand are found, exactly those, with expected vs actual;
//! `deploy` restores them; in sync again. The emulator has no CloudFormation drift detection,
//! so stack drift is "not checked" (its own tests use scripted answers: drift_scripted.rs),
//! which `--strict` makes an error. A drift run sends no write.

mod support;

use serde_json::Value;
use support::emulator::PrivateEmulator;
use support::example::{call, events, example_project, run, TOKEN};
use support::proxy::Proxy;

#[test]
fn drift_finds_exactly_the_settings_changed_by_hand_and_deploy_restores_them() {
    let emulator = PrivateEmulator::start();
    let endpoint = emulator.url.as_str();
    let project = example_project();
    run(&project, endpoint, &["deploy", "--format", "plain"]).assert_code(0);

    let clean = run(&project, endpoint, &["drift", "--format", "plain"]);
    clean.assert_code(0);
    assert!(
        clean.stdout.contains(
            "stack drift not checked: the endpoint has no CloudFormation drift detection"
        ),
        "{clean}"
    );
    assert!(
        clean
            .stdout
            .contains("steps 0 drifted, 8 in sync, 1 not checkable, 0 failed"),
        "{clean}"
    );
    let strict = run(
        &project,
        endpoint,
        &["drift", "--format", "plain", "--strict"],
    );
    strict.assert_code(1);
    assert!(
        strict
            .stderr
            .contains("--strict: 3 stack(s) or step(s) could not be checked"),
        "{strict}"
    );

    let outputs = run(&project, endpoint, &["outputs", "--format", "json"]);
    let outputs: Value = serde_json::from_str(&outputs.stdout).expect("outputs JSON");
    let importer = outputs["catalog-ingest"]["ImporterName"].clone();
    let queue = outputs["catalog-data"]["QueueUrl"].clone();
    call(
        &project,
        endpoint,
        "lambda:PutFunctionConcurrency",
        serde_json::json!({"FunctionName": importer, "ReservedConcurrentExecutions": 50}),
    );
    call(
        &project,
        endpoint,
        "sqs:SetQueueAttributes",
        serde_json::json!({"QueueUrl": queue, "Attributes": {"ReceiveMessageWaitTimeSeconds": "0"}}),
    );
    // Someone also rotates the token by hand: a secret difference must not print either value.
    call(
        &project,
        endpoint,
        "ssm:PutParameter",
        serde_json::json!({"Name": "/catalog/demo/api-token", "Value": "hand-set-Zq9-rotated", "Type": "SecureString", "Overwrite": true}),
    );

    let proxy = Proxy::forward_to(endpoint);
    let found = run(
        &project,
        proxy.url(),
        &["drift", "--format", "json", "--junit", "drift.xml"],
    );
    found.assert_code(2);
    let mut drifted: Vec<(String, Vec<String>)> = events(&found)
        .into_iter()
        .filter(|e| e["type"] == "step_finished" && e["data"]["outcome"] == "drifted")
        .map(|e| {
            let differences = e["data"]["differences"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|d| format!("{} {} {}", d["path"], d["expected"], d["actual"]))
                .collect();
            (
                e["data"]["step"].as_str().unwrap_or_default().to_string(),
                differences,
            )
        })
        .collect();
    // Checks run in parallel: they finish in any order.
    drifted.sort();
    assert_eq!(
        drifted,
        [
            (
                "api-token".to_string(),
                vec!["\"Parameter.Value\" null null".to_string()]
            ),
            (
                "ingest-concurrency".to_string(),
                vec!["\"ReservedConcurrentExecutions\" \"5\" \"50\"".to_string()]
            ),
            (
                "queue-long-polling".to_string(),
                vec![
                    "\"Attributes.ReceiveMessageWaitTimeSeconds\" \"\\\"20\\\"\" \"\\\"0\\\"\""
                        .to_string()
                ]
            ),
        ],
        "{found}"
    );
    let junit = project.read("drift.xml");
    let live = run(
        &project,
        endpoint,
        &["drift", "--format", "live", "--debug"],
    );
    live.assert_code(2);
    let markdown = run(&project, endpoint, &["drift", "--format", "markdown"]);
    markdown.assert_code(2);
    for text in [
        &found.stdout,
        &found.stderr,
        &junit,
        &live.stdout,
        &live.stderr,
        &markdown.stdout,
    ] {
        assert!(
            !text.contains("hand-set-Zq9"),
            "the rotated token printed: {text}"
        );
        assert!(!text.contains(TOKEN), "the declared token printed: {text}");
    }
    assert!(junit.contains("failures=\"3\""), "{junit}");
    let writes: Vec<String> = proxy
        .requests()
        .iter()
        .filter(|r| r.is_write())
        .map(|r| r.label())
        .collect();
    // DetectStackDrift starts a detection and changes nothing; it is the only non-read sent.
    assert!(
        writes.iter().all(|w| w == "DetectStackDrift"),
        "drift sent writes: {writes:?}"
    );

    let restore = run(&project, endpoint, &["deploy", "--format", "plain"]);
    restore.assert_code(0);
    assert!(
        restore.stdout.contains("steps: 3 applied, 5 in sync"),
        "{restore}"
    );
    run(&project, endpoint, &["drift", "--format", "plain"]).assert_code(0);
}
