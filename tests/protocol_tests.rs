//! Runs botocore's protocol test vectors (`PROTOCOL_TESTS_DIR`, default
//! `../shared/protocol-tests`) against the model-driven serializers and parsers.
//!
//! Comparison follows botocore's own runner: JSON bodies as parsed JSON, XML bodies as element
//! trees (inter-element whitespace ignored), query and ec2 bodies byte for byte; expected
//! headers must be present with equal values (query/ec2 Content-Type with `; charset=utf-8`,
//! Content-Type ignored for rest-xml and non-JSON rest-json payloads). `Content-Length` in
//! `requireHeaders` is the transport's job, so it is not checked here (the count is printed).
//! Parsed results are normalized back through the output shape (our ISO timestamps to epoch
//! seconds, our base64 blobs to text) before comparing. Cases on botocore's ignore list are
//! run too; their failures are reported but do not fail the test.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use base64::Engine;
use gapfill::aws::http::HttpResponse;
use gapfill::aws::model::{MemberRef, ServiceModel, ShapeType};
use gapfill::aws::protocol::{self, timestamp};
use serde_json::{json, Map, Value};

fn vectors_dir() -> PathBuf {
    let dir = std::env::var_os("PROTOCOL_TESTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/protocol-tests")
        });
    assert!(
        dir.join("input").is_dir() && dir.join("output").is_dir(),
        "protocol test vectors not found at {} (set PROTOCOL_TESTS_DIR)",
        dir.display()
    );
    dir
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not json: {e}", path.display()))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Input,
    Output,
}

impl Direction {
    fn dir(self) -> &'static str {
        match self {
            Direction::Input => "input",
            Direction::Output => "output",
        }
    }
}

/// botocore's ignore list: suites ignored for every input file, and case ids per protocol.
struct IgnoreList {
    input_suites: BTreeSet<String>,
    cases: Value,
}

impl IgnoreList {
    fn load(dir: &Path) -> IgnoreList {
        let list = read_json(&dir.join("protocol-tests-ignore-list.json"));
        let input_suites = list["general"]["input"]["suites"]
            .as_array()
            .map(|suites| {
                suites
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        IgnoreList {
            input_suites,
            cases: list["protocols"].clone(),
        }
    }

    fn ignores(&self, protocol: &str, direction: Direction, suite: &str, case_id: &str) -> bool {
        if direction == Direction::Input && self.input_suites.contains(suite) {
            return true;
        }
        self.cases[protocol][direction.dir()]["cases"]
            .as_array()
            .is_some_and(|ids| ids.iter().any(|id| id == case_id))
    }
}

#[derive(Default)]
struct Tally {
    passed: usize,
    ignored_passing: usize,
    ignored_failing: usize,
    deferred_required_headers: usize,
    failures: Vec<String>,
}

fn run_file(direction: Direction, stem: &str) {
    let dir = vectors_dir();
    let ignore = IgnoreList::load(&dir);
    let path = dir.join(direction.dir()).join(format!("{stem}.json"));
    let suites = read_json(&path);
    let mut tally = Tally::default();
    for suite in suites.as_array().expect("a file is an array of suites") {
        let description = suite["description"].as_str().unwrap_or_default();
        for case in suite["cases"].as_array().expect("a suite has cases") {
            let id = case["id"].as_str().unwrap_or_default();
            let outcome = match direction {
                Direction::Input => check_input(suite, case, &mut tally),
                Direction::Output => check_output(suite, case),
            };
            let ignored = ignore.ignores(stem, direction, description, id);
            match (outcome, ignored) {
                (Ok(()), false) => tally.passed += 1,
                (Ok(()), true) => tally.ignored_passing += 1,
                (Err(why), true) => {
                    tally.ignored_failing += 1;
                    println!("  ignored and failing: [{description}] {id}: {why}");
                }
                (Err(why), false) => tally.failures.push(format!("[{description}] {id}: {why}")),
            }
        }
    }
    println!(
        "{}/{stem}: {} passed, {} failed, ignored: {} passing / {} failing; \
         Content-Length requirements left to the transport: {}",
        direction.dir(),
        tally.passed,
        tally.failures.len(),
        tally.ignored_passing,
        tally.ignored_failing,
        tally.deferred_required_headers
    );
    assert!(
        tally.failures.is_empty(),
        "{} failing case(s) in {}/{stem}:\n{}",
        tally.failures.len(),
        direction.dir(),
        tally.failures.join("\n")
    );
    assert!(
        tally.passed > 0,
        "no case ran in {}/{stem}",
        direction.dir()
    );
}

fn suite_model(suite: &Value, case: &Value) -> Result<ServiceModel, String> {
    let mut given = case["given"].clone();
    let name = given["name"]
        .as_str()
        .unwrap_or("OperationName")
        .to_string();
    // Query vectors leave out the output's `resultWrapper` that real query models carry;
    // botocore's runner adds `{Operation}Result` for outputs with members, and so do we.
    let output_shape = given["output"]["shape"].as_str().unwrap_or_default();
    let has_members = suite["shapes"][output_shape]["members"]
        .as_object()
        .is_some_and(|members| !members.is_empty());
    if protocol_name(suite) == "query" && has_members {
        given["output"]["resultWrapper"] = Value::String(format!("{name}Result"));
    }
    let mut operations = Map::new();
    operations.insert(name, given);
    let doc =
        json!({"metadata": suite["metadata"], "shapes": suite["shapes"], "operations": operations});
    ServiceModel::from_json(&doc).map_err(|e| format!("model: {e}"))
}

fn protocol_name(suite: &Value) -> String {
    suite["metadata"]["protocol"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn check_input(suite: &Value, case: &Value, tally: &mut Tally) -> Result<(), String> {
    let model = suite_model(suite, case)?;
    let name = case["given"]["name"].as_str().unwrap_or("OperationName");
    let op = model.operation(name).ok_or("operation missing")?;
    let request = protocol::serialize_request(&model, op, &case["params"])
        .map_err(|e| format!("serialize: {e}"))?;
    let expected = &case["serialized"];
    let protocol = protocol_name(suite);
    expect_eq(
        "method",
        expected["method"].as_str().unwrap_or("POST"),
        &request.method,
    )?;
    expect_eq(
        "uri",
        expected["uri"].as_str().unwrap_or("/"),
        &request.path,
    )?;
    if let Some(body) = expected["body"].as_str() {
        compare_body(&protocol, body, &request.body)?;
    }
    if let Some(headers) = expected["headers"].as_object() {
        for (header, value) in headers {
            let mut value = value.as_str().unwrap_or_default().to_string();
            let is_content_type = header.eq_ignore_ascii_case("content-type");
            let non_json_payload = protocol == "rest-json" && value != "application/json";
            if is_content_type && (protocol == "rest-xml" || non_json_payload) {
                continue;
            }
            if is_content_type && (protocol == "query" || protocol == "ec2") {
                value.push_str("; charset=utf-8");
            }
            expect_eq(
                &format!("header {header}"),
                &value,
                request.header(header).unwrap_or("<absent>"),
            )?;
        }
    }
    for header in expected["forbidHeaders"].as_array().into_iter().flatten() {
        let header = header.as_str().unwrap_or_default();
        if request.header(header).is_some() {
            return Err(format!("header {header} must be absent"));
        }
    }
    for header in expected["requireHeaders"].as_array().into_iter().flatten() {
        let header = header.as_str().unwrap_or_default();
        if header.eq_ignore_ascii_case("content-length") {
            tally.deferred_required_headers += 1;
        } else if request.header(header).is_none() {
            return Err(format!("header {header} must be present"));
        }
    }
    if let Some(host) = expected["host"].as_str() {
        let endpoint = suite["clientEndpoint"]
            .as_str()
            .unwrap_or("https://example.com");
        let endpoint_host = endpoint
            .split("://")
            .nth(1)
            .unwrap_or(endpoint)
            .trim_end_matches('/');
        let actual = format!(
            "{}{endpoint_host}",
            request.host_prefix.as_deref().unwrap_or("")
        );
        expect_eq("host", host, &actual)?;
    }
    Ok(())
}

fn expect_eq(what: &str, expected: &str, actual: &str) -> Result<(), String> {
    if expected == actual {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected:?}, got {actual:?}"))
    }
}

fn compare_body(protocol: &str, expected: &str, actual: &[u8]) -> Result<(), String> {
    let actual_text = String::from_utf8_lossy(actual);
    let json_protocol = protocol == "json" || protocol == "rest-json";
    if json_protocol && !expected.is_empty() {
        if let Ok(expected_json) = serde_json::from_str::<Value>(expected) {
            let actual_json: Value = serde_json::from_slice(actual)
                .map_err(|e| format!("body is not json ({e}): {actual_text}"))?;
            return if expected_json == actual_json {
                Ok(())
            } else {
                Err(format!("body: expected {expected_json}, got {actual_json}"))
            };
        }
    }
    if protocol == "rest-xml" && expected.trim_start().starts_with('<') {
        let expected_tree = xml_tree(expected)?;
        let actual_tree = xml_tree(&actual_text)?;
        return if expected_tree == actual_tree {
            Ok(())
        } else {
            Err(format!(
                "xml body: expected {expected:?}, got {actual_text:?}"
            ))
        };
    }
    expect_eq("body", expected, &actual_text)
}

/// An XML document as (name, namespace, attributes, text, children), whitespace-only text
/// between elements dropped.
fn xml_tree(text: &str) -> Result<Value, String> {
    let document =
        roxmltree::Document::parse(text).map_err(|e| format!("invalid xml {text:?}: {e}"))?;
    Ok(xml_node(document.root_element()))
}

fn xml_node(node: roxmltree::Node) -> Value {
    let attributes: BTreeSet<String> = node
        .attributes()
        .map(|a| format!("{}|{}={}", a.namespace().unwrap_or(""), a.name(), a.value()))
        .collect();
    let text: String = node
        .children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .filter(|t| !t.trim().is_empty())
        .collect();
    let children: Vec<Value> = node
        .children()
        .filter(|c| c.is_element())
        .map(xml_node)
        .collect();
    json!({
        "name": node.tag_name().name(),
        "namespace": node.tag_name().namespace(),
        "attributes": attributes.into_iter().collect::<Vec<_>>(),
        "text": text,
        "children": children,
    })
}

fn check_output(suite: &Value, case: &Value) -> Result<(), String> {
    let model = suite_model(suite, case)?;
    let name = case["given"]["name"].as_str().unwrap_or("OperationName");
    let op = model.operation(name).ok_or("operation missing")?;
    let response = &case["response"];
    let http = HttpResponse {
        status: response["status_code"].as_u64().unwrap_or(200) as u16,
        headers: response["headers"]
            .as_object()
            .map(|headers| {
                headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default(),
        // As in botocore's runner: an absent body is empty, or `<xml/>` for query.
        body: match response["body"].as_str() {
            Some(body) => body.as_bytes().to_vec(),
            None if protocol_name(suite) == "query" => b"<xml/>".to_vec(),
            None => Vec::new(),
        },
    };
    let parsed = protocol::parse_response(&model, op, &http);
    match (case.get("error"), parsed) {
        (Some(expected_fields), Err(error)) => {
            if let Some(code) = case["errorCode"].as_str() {
                expect_eq("error code", code, &error.code)?;
            }
            if let Some(message) = case["errorMessage"].as_str() {
                expect_eq("error message", message, &error.message)?;
            }
            let fields = match model.error_shape(op, &error.code) {
                Some(shape) => {
                    normalize_structure(&model, &shape.name, &Value::Object(error.fields.clone()))
                }
                None => Value::Object(error.fields.clone()),
            };
            if same(expected_fields, &fields) {
                Ok(())
            } else {
                Err(format!(
                    "error fields: expected {expected_fields}, got {fields}"
                ))
            }
        }
        (Some(_), Ok(value)) => Err(format!("expected an error, got {value}")),
        (None, Err(error)) => Err(format!("unexpected error: {error}")),
        (None, Ok(value)) => {
            let normalized = match &op.output {
                Some(output) => normalize(&model, output, &value),
                None => value,
            };
            if same(&case["result"], &normalized) {
                Ok(())
            } else {
                Err(format!(
                    "result: expected {}, got {normalized}",
                    case["result"]
                ))
            }
        }
    }
}

/// Our output conventions back to the vectors': ISO timestamps to epoch seconds, base64 blobs
/// to their text.
fn normalize(model: &ServiceModel, member: &MemberRef, value: &Value) -> Value {
    let Some(shape) = model.shape(&member.shape) else {
        return value.clone();
    };
    match (shape.shape_type, value) {
        (ShapeType::Structure, Value::Object(_)) if !shape.document => {
            normalize_structure(model, &shape.name, value)
        }
        (ShapeType::List, Value::Array(items)) => match shape.member.as_deref() {
            Some(item) => Value::Array(items.iter().map(|v| normalize(model, item, v)).collect()),
            None => value.clone(),
        },
        (ShapeType::Map, Value::Object(entries)) => match shape.value.as_deref() {
            Some(entry) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), normalize(model, entry, v)))
                    .collect(),
            ),
            None => value.clone(),
        },
        (ShapeType::Timestamp, Value::String(text)) => timestamp::parse_text(text)
            .map(|time| timestamp::epoch_number(&time))
            .unwrap_or_else(|| value.clone()),
        (ShapeType::Blob, Value::String(text)) => base64::engine::general_purpose::STANDARD
            .decode(text)
            .map(|bytes| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
            .unwrap_or_else(|_| value.clone()),
        _ => value.clone(),
    }
}

fn normalize_structure(model: &ServiceModel, shape_name: &str, value: &Value) -> Value {
    let (Some(shape), Value::Object(members)) = (model.shape(shape_name), value) else {
        return value.clone();
    };
    Value::Object(
        members
            .iter()
            .map(|(name, member_value)| {
                let normalized = match shape.member_named(name) {
                    Some(member) => normalize(model, member, member_value),
                    None => member_value.clone(),
                };
                (name.clone(), normalized)
            })
            .collect(),
    )
}

/// JSON equality with numbers compared as floats (epoch seconds may carry milliseconds).
fn same(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (
                a.as_f64().unwrap_or(f64::NAN),
                b.as_f64().unwrap_or(f64::NAN),
            );
            (a - b).abs() <= 1e-9 * a.abs().max(1.0)
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
        }
        _ => expected == actual,
    }
}

/// The files this test covers; CBOR is out of scope (counted below, not silently dropped).
const FILES: [&str; 7] = [
    "ec2",
    "json",
    "json_1_0",
    "json_1_0-query-compatible",
    "query",
    "rest-json",
    "rest-xml",
];

#[test]
fn every_vector_file_is_covered_or_known_out_of_scope() {
    let dir = vectors_dir();
    for direction in [Direction::Input, Direction::Output] {
        let mut cbor_cases = 0;
        let mut stems = BTreeSet::new();
        for entry in std::fs::read_dir(dir.join(direction.dir())).expect("readable dir") {
            let path = entry.expect("dir entry").path();
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            if stem.starts_with("smithy-rpc-v2-cbor") {
                let suites = read_json(&path);
                cbor_cases += suites
                    .as_array()
                    .map(|s| {
                        s.iter()
                            .map(|suite| suite["cases"].as_array().map_or(0, Vec::len))
                            .sum::<usize>()
                    })
                    .unwrap_or(0);
            } else {
                stems.insert(stem);
            }
        }
        println!(
            "{}: {cbor_cases} smithy-rpc-v2-cbor cases not run (out of scope)",
            direction.dir()
        );
        let expected: BTreeSet<String> = FILES.iter().map(|s| s.to_string()).collect();
        assert_eq!(stems, expected, "vector files in {}/", direction.dir());
    }
}

macro_rules! vector_tests {
    ($($name:ident: $direction:expr, $stem:expr;)*) => {
        $(#[test] fn $name() { run_file($direction, $stem); })*
    };
}

vector_tests! {
    input_json: Direction::Input, "json";
    input_json_1_0: Direction::Input, "json_1_0";
    input_json_1_0_query_compatible: Direction::Input, "json_1_0-query-compatible";
    input_query: Direction::Input, "query";
    input_ec2: Direction::Input, "ec2";
    input_rest_json: Direction::Input, "rest-json";
    input_rest_xml: Direction::Input, "rest-xml";
    output_json: Direction::Output, "json";
    output_json_1_0: Direction::Output, "json_1_0";
    output_json_1_0_query_compatible: Direction::Output, "json_1_0-query-compatible";
    output_query: Direction::Output, "query";
    output_ec2: Direction::Output, "ec2";
    output_rest_json: Direction::Output, "rest-json";
    output_rest_xml: Direction::Output, "rest-xml";
}
