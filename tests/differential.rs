//! Differential test of the model-driven client's request serializer against botocore (the
//! version of the embedded model bundle): for the same operation and input, gapfill must build
//! the same HTTP request botocore builds. Comparison rules and every ignored header, with why,
//! are in `differential/compare.rs`.
//!
//! Both sides use region us-east-1, the endpoint override `http://127.0.0.1:9` (S3 then path
//! style) and static fake credentials; nothing is sent. botocore's requests come from
//! `differential/botocore_requests.py`, run once with the Python of `GAPFILL_PYTHON` (default:
//! the repository's `.venv/bin/python`, which has botocore); the test FAILS when it is missing.
//!
//! Two sets of calls:
//! - the hand-written cases of `differential/cases.json`: every one must agree, except those
//!   of [`KNOWN_GAP_CASES`], which must agree once botocore's customisation is undone
//!   (`differential/customizations.rs`);
//! - a generated sweep over every operation of [`SWEEP_SERVICES`], inputs made of required
//!   members only: the agreement count must not drop below [`SWEEP_MIN_AGREEING`].

#[path = "differential/compare.rs"]
mod compare;
#[path = "differential/customizations.rs"]
mod customizations;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use base64::Engine;
use gapfill::aws::catalog::Catalog;
use gapfill::aws::invoke::Client;
use serde_json::Value;

use compare::{differences, Request};

const ENDPOINT_URL: &str = "http://127.0.0.1:9";

/// The services whose every operation the sweep calls with required members only.
const SWEEP_SERVICES: &[&str] = &[
    "s3",
    "sqs",
    "sns",
    "dynamodb",
    "lambda",
    "ssm",
    "logs",
    "iam",
    "ec2",
    "kms",
    "secretsmanager",
    "events",
    "ecr",
    "cloudwatch",
    "route53",
    "cloudfront",
    "apigateway",
    "cognito-idp",
    "stepfunctions",
    "kinesis",
];

/// Hand-written cases that show a botocore customisation gapfill does not replicate, with the
/// customisation (see `differential/customizations.rs` for why each one differs).
const KNOWN_GAP_CASES: &[(&str, &str)] = &[
    ("s3-list-objects", "s3-list-encoding-type-url"),
    ("ec2-run-instances", "ec2-user-data-base64"),
];

/// Sweep operations on which both sides agree, as measured with botocore 1.44.5 and the
/// embedded models of the same version (see the summary the test prints). A drop means a
/// serializer regression; a rise is welcome (raise this number).
const SWEEP_MIN_AGREEING: usize = 2471;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> PathBuf {
    let python = std::env::var_os("GAPFILL_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv/bin/python"));
    assert!(
        python.exists(),
        "no python with botocore at {} (set GAPFILL_PYTHON, or create the repository's .venv \
         with botocore 1.44.5): the differential test cannot run without it",
        python.display()
    );
    python
}

/// botocore's requests for the hand-written cases and the sweep, from one run of the script.
fn botocore_requests(cases: &Path) -> Value {
    let output = Command::new(python())
        .arg(repo().join("tests/differential/botocore_requests.py"))
        .arg(cases)
        .arg(SWEEP_SERVICES.join(","))
        .output()
        .expect("run botocore_requests.py");
    assert!(
        output.status.success(),
        "botocore_requests.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("botocore_requests.py prints JSON")
}

fn client() -> Client {
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "differential",
        )))
        .build();
    Client::new(&sdk)
        .expect("client")
        .catalog(Arc::new(Catalog::new(None)))
        .ignore_endpoint_env()
        .endpoint_url(Some(ENDPOINT_URL.to_string()))
}

fn botocore_request(result: &Value) -> Request {
    let request = &result["request"];
    let headers = request["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .map(|pair| {
            (
                pair[0].as_str().expect("header name").to_string(),
                pair[1].as_str().expect("header value").to_string(),
            )
        })
        .collect();
    Request {
        method: request["method"].as_str().expect("method").to_string(),
        url: request["url"].as_str().expect("url").to_string(),
        headers,
        body: base64::engine::general_purpose::STANDARD
            .decode(request["body_base64"].as_str().expect("body"))
            .expect("base64 body"),
    }
}

/// How one call compared.
enum Outcome {
    Agree,
    /// Agree once these botocore customisations are undone on botocore's request.
    KnownGap(Vec<&'static str>),
    Differ(Vec<String>),
    /// gapfill refused an input botocore accepted.
    GapfillError(String),
    /// botocore refused the input (its validation or a customisation): nothing to compare.
    BotocoreError(String),
}

async fn compare_one(
    client: &Client,
    service: &str,
    operation: &str,
    params: &Value,
    result: &Value,
) -> Outcome {
    if let Some(error) = result["error"].as_str() {
        return Outcome::BotocoreError(error.to_string());
    }
    let mut theirs = botocore_request(result);
    let undone = customizations::undo(service, operation, params, &mut theirs);
    let prepared = match client.prepare(service, operation, params).await {
        Ok(prepared) => prepared,
        Err(err) => return Outcome::GapfillError(err.to_string()),
    };
    let ours = Request {
        method: prepared.method,
        url: prepared.url,
        headers: prepared.headers,
        body: prepared.body.into_bytes(),
    };
    let required = result["checksum_required"].as_bool().unwrap_or(false);
    let found = differences(&theirs, &ours, required);
    if found.is_empty() && undone.is_empty() {
        Outcome::Agree
    } else if found.is_empty() {
        Outcome::KnownGap(undone)
    } else {
        Outcome::Differ(found)
    }
}

/// Per-service counts: agree, known gap, differ, gapfill error, botocore error.
#[derive(Default)]
struct Tally(BTreeMap<String, [usize; 5]>);

impl Tally {
    fn add(&mut self, service: &str, outcome: &Outcome) {
        let slot = match outcome {
            Outcome::Agree => 0,
            Outcome::KnownGap(_) => 1,
            Outcome::Differ(_) => 2,
            Outcome::GapfillError(_) => 3,
            Outcome::BotocoreError(_) => 4,
        };
        self.0.entry(service.to_string()).or_default()[slot] += 1;
    }

    fn total(&self, slot: usize) -> usize {
        self.0.values().map(|counts| counts[slot]).sum()
    }

    fn print(&self, title: &str) {
        println!("{title}");
        println!(
            "  {:<16} {:>6} {:>6} {:>6} {:>6} {:>6}",
            "service", "agree", "known", "differ", "ours!", "boto!"
        );
        let row = |name: &str, counts: [usize; 5]| {
            let [agree, known, differ, ours, theirs] = counts;
            println!("  {name:<16} {agree:>6} {known:>6} {differ:>6} {ours:>6} {theirs:>6}");
        };
        for (service, counts) in &self.0 {
            row(service, *counts);
        }
        row("total", [0, 1, 2, 3, 4].map(|slot| self.total(slot)));
        println!(
            "  (known: agrees once a botocore customisation gapfill does not replicate is \
             undone; ours!/boto!: gapfill/botocore refused the input)"
        );
    }
}

fn report(id: &str, outcome: &Outcome) -> Option<String> {
    match outcome {
        Outcome::Agree => None,
        Outcome::KnownGap(_) => None,
        Outcome::Differ(found) => Some(format!("{id}:\n    {}", found.join("\n    "))),
        Outcome::GapfillError(err) => Some(format!("{id}: gapfill failed: {err}")),
        Outcome::BotocoreError(err) => Some(format!("{id}: botocore failed: {err}")),
    }
}

#[tokio::test]
async fn serializer_agrees_with_botocore() {
    let cases_path = repo().join("tests/differential/cases.json");
    let cases: Value =
        serde_json::from_str(&std::fs::read_to_string(&cases_path).expect("read cases.json"))
            .expect("cases.json is JSON");
    let cases = cases["cases"].as_array().expect("cases");
    let botocore = botocore_requests(&cases_path);
    let client = client();

    let results = botocore["cases"].as_array().expect("case results");
    assert_eq!(results.len(), cases.len(), "one botocore result per case");
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    let mut gaps = Vec::new();
    for (case, result) in cases.iter().zip(results) {
        let id = case["id"].as_str().expect("id");
        assert_eq!(result["id"], case["id"], "results in case order");
        let service = case["service"].as_str().expect("service");
        let operation = case["operation"].as_str().expect("operation");
        let outcome = compare_one(&client, service, operation, &case["params"], result).await;
        tally.add(service, &outcome);
        failures.extend(report(id, &outcome));
        if let Outcome::KnownGap(names) = &outcome {
            gaps.extend(names.iter().map(|name| (id.to_string(), name.to_string())));
        }
    }
    tally.print(&format!(
        "hand-written cases (botocore {})",
        botocore["botocore"]
    ));
    assert!(cases.len() >= 60, "at least 60 hand-written cases");
    println!("known gaps (botocore customisations gapfill does not replicate):");
    for customization in customizations::ALL {
        println!("  {}: {}", customization.name, customization.why);
    }

    let mut sweep_tally = Tally::default();
    let mut sweep_reports = Vec::new();
    for entry in botocore["sweep"].as_array().expect("sweep") {
        let service = entry["service"].as_str().expect("service");
        let operation = entry["operation"].as_str().expect("operation");
        let outcome = compare_one(&client, service, operation, &entry["params"], entry).await;
        sweep_tally.add(service, &outcome);
        sweep_reports.extend(report(&format!("{service}:{operation}"), &outcome));
    }
    sweep_tally.print("generated sweep (required members only)");
    if std::env::var_os("GAPFILL_DIFF_VERBOSE").is_some() {
        println!("sweep disagreements:\n{}", sweep_reports.join("\n"));
    }

    let expected_gaps: Vec<(String, String)> = KNOWN_GAP_CASES
        .iter()
        .map(|(id, name)| (id.to_string(), name.to_string()))
        .collect();
    assert_eq!(
        gaps, expected_gaps,
        "hand-written cases with known gaps changed: update KNOWN_GAP_CASES"
    );
    assert!(
        failures.is_empty(),
        "{} hand-written case(s) differ from botocore:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let agreeing = sweep_tally.total(0);
    assert!(
        agreeing >= SWEEP_MIN_AGREEING,
        "only {agreeing} sweep operations agree with botocore, fewer than the {SWEEP_MIN_AGREEING} \
         measured; run with GAPFILL_DIFF_VERBOSE=1 -- --nocapture to see the differences"
    );
}
