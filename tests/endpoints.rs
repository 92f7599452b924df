//! Runs botocore's endpoint test vectors (`endpoints/<service>/endpoint-tests-1.json`) against
//! the rule set beside them: every case with its `params`, and every `operationInputs` binding
//! through the params binder with the service's embedded model. Expected URL, headers,
//! properties (authSchemes) and exact error messages.

use std::path::PathBuf;

use gapfill::aws::catalog::Catalog;
use gapfill::aws::endpoint::{
    bind_params, resolve, BuiltIns, Endpoint, EndpointError, EndpointParams,
};
use serde_json::{Map, Value};

fn vectors_dir() -> PathBuf {
    let dir = std::env::var_os("PROTOCOL_TESTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/protocol-tests")
        });
    let endpoints = dir.join("endpoints");
    assert!(
        endpoints.is_dir(),
        "endpoint vectors not found at {} (set PROTOCOL_TESTS_DIR)",
        endpoints.display()
    );
    endpoints
}

fn read_json(path: &std::path::Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// Checks an outcome against a case's `expect`; `Err` describes the mismatch.
fn check(expect: &Value, outcome: &Result<Endpoint, EndpointError>) -> Result<(), String> {
    match (expect.get("endpoint"), expect.get("error"), outcome) {
        (Some(expected), _, Ok(endpoint)) => check_endpoint(expected, endpoint),
        (_, Some(expected), Err(err)) => {
            let message = err.to_string();
            if Some(message.as_str()) == expected.as_str() {
                Ok(())
            } else {
                Err(format!("error {message:?}, expected {expected}"))
            }
        }
        (Some(expected), _, Err(err)) => Err(format!(
            "error {:?}, expected endpoint {}",
            err.to_string(),
            expected["url"]
        )),
        (_, Some(expected), Ok(endpoint)) => Err(format!(
            "endpoint {}, expected error {expected}",
            endpoint.url
        )),
        (None, None, _) => Err("case expects neither endpoint nor error".to_string()),
    }
}

fn check_endpoint(expected: &Value, endpoint: &Endpoint) -> Result<(), String> {
    if expected["url"].as_str() != Some(endpoint.url.as_str()) {
        return Err(format!(
            "url {}, expected {}",
            endpoint.url, expected["url"]
        ));
    }
    let expected_properties = expected
        .get("properties")
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    if expected_properties != Value::Object(endpoint.properties.clone()) {
        return Err(format!(
            "properties {}, expected {expected_properties}",
            Value::Object(endpoint.properties.clone())
        ));
    }
    let expected_headers = expected
        .get("headers")
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    let headers = serde_json::to_value(&endpoint.headers).unwrap();
    if expected_headers != headers {
        return Err(format!("headers {headers}, expected {expected_headers}"));
    }
    Ok(())
}

fn case_params(case: &Value) -> EndpointParams {
    let params = case
        .get("params")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    params.into_iter().collect()
}

fn built_ins(operation_input: &Value) -> BuiltIns {
    let mut built_ins = BuiltIns::new();
    if let Some(values) = operation_input
        .get("builtInParams")
        .and_then(Value::as_object)
    {
        for (name, value) in values {
            built_ins.set(name, value.clone());
        }
    }
    built_ins
}

#[derive(Default)]
struct Tally {
    param_cases: usize,
    operation_inputs: usize,
    failures: Vec<String>,
}

fn run_service(service: &str) -> Tally {
    let dir = vectors_dir();
    let partitions = read_json(&dir.join("partitions.json"));
    let rules = read_json(&dir.join(service).join("endpoint-rule-set-1.json"));
    let tests = read_json(&dir.join(service).join("endpoint-tests-1.json"));
    let catalog = Catalog::new(None);
    let model = catalog.load(service).unwrap_or_else(|err| panic!("{err}"));
    let mut tally = Tally::default();
    let cases = tests["testCases"].as_array().expect("testCases list");
    for (index, case) in cases.iter().enumerate() {
        let label = format!(
            "{service} #{index} ({})",
            case["documentation"].as_str().unwrap_or("undocumented")
        );
        tally.param_cases += 1;
        let outcome = resolve(&rules, &partitions, &case_params(case));
        if let Err(problem) = check(&case["expect"], &outcome) {
            tally.failures.push(format!("{label} [params]: {problem}"));
        }
        for operation_input in case["operationInputs"].as_array().into_iter().flatten() {
            tally.operation_inputs += 1;
            let operation = operation_input["operationName"]
                .as_str()
                .unwrap_or_default();
            let input = operation_input
                .get("operationParams")
                .cloned()
                .unwrap_or(Value::Object(Map::new()));
            let outcome = bind_params(
                &rules,
                &model.service,
                operation,
                &input,
                &built_ins(operation_input),
                &Map::new(),
            )
            .and_then(|params| resolve(&rules, &partitions, &params));
            if let Err(problem) = check(&case["expect"], &outcome) {
                tally
                    .failures
                    .push(format!("{label} [operationInputs {operation}]: {problem}"));
            }
        }
    }
    println!(
        "{service}: {} params cases, {} operationInputs bindings, {} failures",
        tally.param_cases,
        tally.operation_inputs,
        tally.failures.len()
    );
    tally
}

fn assert_service(service: &str, min_cases: usize) {
    let tally = run_service(service);
    assert!(
        tally.failures.is_empty(),
        "{} failing endpoint cases:\n{}",
        tally.failures.len(),
        tally.failures.join("\n")
    );
    assert!(
        tally.param_cases >= min_cases,
        "{service}: only {} cases ran",
        tally.param_cases
    );
}

#[test]
fn s3_endpoint_vectors() {
    assert_service("s3", 393);
}

#[test]
fn sts_endpoint_vectors() {
    assert_service("sts", 69);
}

#[test]
fn iam_endpoint_vectors() {
    assert_service("iam", 26);
}

#[test]
fn lambda_endpoint_vectors() {
    assert_service("lambda", 71);
}

#[test]
fn sqs_endpoint_vectors() {
    assert_service("sqs", 48);
}

#[test]
fn every_vector_directory_is_covered() {
    let mut services: Vec<String> = std::fs::read_dir(vectors_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("endpoint-tests-1.json").is_file())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    services.sort();
    assert_eq!(
        services,
        ["iam", "lambda", "s3", "sqs", "sts"],
        "add a #[test] for new vector directories"
    );
}
