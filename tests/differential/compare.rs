//! Normalises two HTTP requests (botocore's and gapfill's) into comparable parts and lists their
//! differences in words, for the differential test of the request serializer.
//!
//! What is compared: the method; the path, byte for byte; the query string as a sorted list of
//! raw `key=value` pairs (order carries no meaning, encoding does); the body by kind (JSON
//! parsed, XML as a canonical tree without insignificant whitespace, form bodies as sorted
//! decoded pairs, anything else byte for byte); every header not in [`IGNORED_HEADERS`] (a
//! Content-Type only gapfill sends must be one of [`DEFAULT_PAYLOAD_TYPES`]); and integrity
//! checksums by the rule of [`integrity_differences`].

use std::collections::BTreeMap;

use base64::Engine;
use md5::{Digest, Md5};
use serde_json::Value;

/// A request as either side built it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Absolute URL; only its path and query are compared.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Headers left out of the comparison (lower case), each with why.
pub const IGNORED_HEADERS: &[(&str, &str)] = &[
    (
        "host",
        "derived from the endpoint URL, which both sides get from the same override",
    ),
    ("user-agent", "names the SDK itself, different by design"),
    ("authorization", "the signature depends on the signing time"),
    ("x-amz-date", "the signing time"),
    (
        "x-amz-security-token",
        "session credentials only, none are used here",
    ),
    (
        "x-amz-content-sha256",
        "a signing header (S3 signs the payload hash), not part of the serialized request",
    ),
    (
        "content-length",
        "set by each HTTP transport from the body, which is compared",
    ),
    (
        "amz-sdk-invocation-id",
        "botocore's per-call retry telemetry (random)",
    ),
    (
        "amz-sdk-request",
        "botocore's attempt counter for retry telemetry",
    ),
    (
        "expect",
        "botocore asks S3 uploads for `100-continue`, a transport optimisation, not the request",
    ),
];

/// Content types gapfill gives a payload botocore sends without one: the Smithy protocols
/// (and their test vectors) default an XML body to `application/xml` and a blob payload to
/// `application/octet-stream`, while botocore leaves such bodies untyped (its own protocol-test
/// runner ignores these Content-Types, see /work/shared/protocol-tests/README.md).
const DEFAULT_PAYLOAD_TYPES: &[&str] = &["application/xml", "application/octet-stream"];

/// Integrity headers: botocore (since 1.36) sends a CRC32 `x-amz-checksum-crc32` where gapfill
/// sends `Content-MD5`; S3 accepts either, so they are checked by [`integrity_differences`]
/// instead of compared by value.
fn is_integrity_header(name: &str) -> bool {
    name == "content-md5" || name.starts_with("x-amz-checksum-")
}

/// botocore announces its default CRC32 in this header whenever it computes one, also for
/// operations that do not require a checksum; it belongs to the integrity rule too.
const CHECKSUM_ALGORITHM_HEADER: &str = "x-amz-sdk-checksum-algorithm";

/// A request reduced to what is compared.
#[derive(Debug, Clone, PartialEq)]
struct Normal {
    method: String,
    path: String,
    query: Vec<String>,
    headers: BTreeMap<String, String>,
    body: Body,
}

/// A body by kind.
#[derive(Debug, Clone, PartialEq)]
enum Body {
    Empty,
    Json(Value),
    Xml(String),
    Form(Vec<(String, String)>),
    Bytes(Vec<u8>),
}

/// Every difference between botocore's request and gapfill's, in words (empty: they agree).
/// `checksum_required`: the operation requires an integrity checksum (from botocore's model).
pub fn differences(botocore: &Request, gapfill: &Request, checksum_required: bool) -> Vec<String> {
    let ours = normalise(gapfill);
    let theirs = normalise(botocore);
    let mut found = Vec::new();
    if theirs.method != ours.method {
        found.push(format!(
            "method: botocore {} / gapfill {}",
            theirs.method, ours.method
        ));
    }
    if theirs.path != ours.path {
        found.push(format!(
            "path: botocore {} / gapfill {}",
            theirs.path, ours.path
        ));
    }
    if theirs.query != ours.query {
        found.push(format!(
            "query: botocore {:?} / gapfill {:?}",
            theirs.query, ours.query
        ));
    }
    header_differences(&theirs.headers, &ours.headers, &mut found);
    body_differences(&theirs.body, &ours.body, &mut found);
    found.extend(integrity_differences(botocore, gapfill, checksum_required));
    found
}

fn normalise(request: &Request) -> Normal {
    let after_scheme = request
        .url
        .split_once("://")
        .map_or(request.url.as_str(), |(_, rest)| rest);
    let path_and_query = after_scheme
        .find('/')
        .map_or("/", |slash| &after_scheme[slash..]);
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut query: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(str::to_string)
        .collect();
    query.sort();
    let headers = request
        .headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_string()))
        .filter(|(name, _)| {
            !IGNORED_HEADERS.iter().any(|(ignored, _)| ignored == name)
                && !is_integrity_header(name)
                && name != CHECKSUM_ALGORITHM_HEADER
        })
        .collect();
    Normal {
        method: request.method.to_ascii_uppercase(),
        path: path.to_string(),
        query,
        headers,
        body: body_of(request),
    }
}

fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim().to_string())
}

fn body_of(request: &Request) -> Body {
    let bytes = &request.body;
    if bytes.is_empty() {
        return Body::Empty;
    }
    let content_type = header(request, "content-type").unwrap_or_default();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return Body::Form(form_pairs(bytes));
    }
    let text = String::from_utf8_lossy(bytes);
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if let Ok(value) = serde_json::from_slice(bytes) {
            return Body::Json(value);
        }
    }
    if trimmed.starts_with('<') {
        if let Ok(document) = roxmltree::Document::parse(&text) {
            let mut canonical = String::new();
            canonical_xml(document.root_element(), &mut canonical);
            return Body::Xml(canonical);
        }
    }
    Body::Bytes(bytes.clone())
}

fn form_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(bytes)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    pairs.sort();
    pairs
}

/// One line per element: `{namespace}name [attributes] = text`, children indented after, so
/// formatting whitespace and the XML declaration do not matter but names, namespaces,
/// attributes, order and text do.
fn canonical_xml(node: roxmltree::Node, out: &mut String) {
    canonical_element(node, 0, out);
}

fn canonical_element(node: roxmltree::Node, depth: usize, out: &mut String) {
    let name = node.tag_name();
    let mut attributes: Vec<String> = node
        .attributes()
        .map(|a| {
            format!(
                "{{{}}}{}={:?}",
                a.namespace().unwrap_or(""),
                a.name(),
                a.value()
            )
        })
        .collect();
    attributes.sort();
    let text: String = node
        .children()
        .filter(|child| child.is_text())
        .filter_map(|child| child.text())
        .collect();
    out.push_str(&format!(
        "{}{{{}}}{} {:?} = {:?}\n",
        "  ".repeat(depth),
        name.namespace().unwrap_or(""),
        name.name(),
        attributes,
        text.trim()
    ));
    for child in node.children().filter(|child| child.is_element()) {
        canonical_element(child, depth + 1, out);
    }
}

fn header_differences(
    theirs: &BTreeMap<String, String>,
    ours: &BTreeMap<String, String>,
    found: &mut Vec<String>,
) {
    for (name, value) in theirs {
        match ours.get(name) {
            None => found.push(format!(
                "header {name}: botocore {value:?} / gapfill absent"
            )),
            Some(our_value) if our_value != value => found.push(format!(
                "header {name}: botocore {value:?} / gapfill {our_value:?}"
            )),
            Some(_) => {}
        }
    }
    for (name, value) in ours {
        let default_payload_type =
            name == "content-type" && DEFAULT_PAYLOAD_TYPES.contains(&value.as_str());
        if !theirs.contains_key(name) && !default_payload_type {
            found.push(format!(
                "header {name}: botocore absent / gapfill {value:?}"
            ));
        }
    }
}

fn body_differences(theirs: &Body, ours: &Body, found: &mut Vec<String>) {
    match (theirs, ours) {
        (Body::Json(a), Body::Json(b)) => json_differences("body", a, b, found),
        (Body::Form(a), Body::Form(b)) => form_differences(a, b, found),
        (Body::Xml(a), Body::Xml(b)) if a != b => {
            found.push(format!("body xml:\n--- botocore\n{a}--- gapfill\n{b}"))
        }
        (a, b) if a != b => found.push(format!(
            "body: botocore {} / gapfill {}",
            describe_body(a),
            describe_body(b)
        )),
        _ => {}
    }
}

fn describe_body(body: &Body) -> String {
    match body {
        Body::Empty => "empty".to_string(),
        Body::Json(value) => format!("json {value}"),
        Body::Xml(text) => format!("xml\n{text}"),
        Body::Form(pairs) => format!("form {pairs:?}"),
        Body::Bytes(bytes) => format!("bytes {:?}", String::from_utf8_lossy(bytes)),
    }
}

fn form_differences(
    theirs: &[(String, String)],
    ours: &[(String, String)],
    found: &mut Vec<String>,
) {
    let only = |a: &[(String, String)], b: &[(String, String)]| -> Vec<String> {
        a.iter()
            .filter(|pair| !b.contains(pair))
            .map(|(key, value)| format!("{key}={value}"))
            .collect()
    };
    let (only_theirs, only_ours) = (only(theirs, ours), only(ours, theirs));
    if !only_theirs.is_empty() || !only_ours.is_empty() || theirs.len() != ours.len() {
        found.push(format!(
            "form body: only botocore {only_theirs:?} / only gapfill {only_ours:?}"
        ));
    }
}

/// The differences between two JSON values, one line per differing path.
fn json_differences(path: &str, theirs: &Value, ours: &Value, found: &mut Vec<String>) {
    match (theirs, ours) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let child = format!("{path}.{key}");
                match b.get(key) {
                    Some(our_value) => json_differences(&child, value, our_value, found),
                    None => found.push(format!("{child}: botocore {value} / gapfill absent")),
                }
            }
            for (key, value) in b {
                if !a.contains_key(key) {
                    found.push(format!("{path}.{key}: botocore absent / gapfill {value}"));
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (index, (x, y)) in a.iter().zip(b).enumerate() {
                json_differences(&format!("{path}[{index}]"), x, y, found);
            }
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (a, b) if a != b => found.push(format!("{path}: botocore {a} / gapfill {b}")),
        _ => {}
    }
}

/// The integrity rule: where the operation requires a checksum, gapfill must send one
/// (`Content-MD5` or an `x-amz-checksum-*`); every checksum either side computes must match
/// its own body; botocore's `x-amz-sdk-checksum-algorithm` must name a checksum it sent.
fn integrity_differences(botocore: &Request, gapfill: &Request, required: bool) -> Vec<String> {
    let mut found = Vec::new();
    let has_checksum = |request: &Request| {
        request
            .headers
            .iter()
            .any(|(name, _)| is_integrity_header(&name.to_ascii_lowercase()))
    };
    if required && !has_checksum(gapfill) {
        found.push("integrity: the operation requires a checksum, gapfill sends none".to_string());
    }
    for (side, request, other) in [
        ("botocore", botocore, gapfill),
        ("gapfill", gapfill, botocore),
    ] {
        for problem in wrong_checksums(request, other) {
            found.push(format!("integrity ({side}): {problem}"));
        }
    }
    found
}

/// Checksums `request` sends that do not match its body. A value both sides send alike came
/// from the input (a `ContentMD5` or `ChecksumCRC32` member), so it is not recomputed.
fn wrong_checksums(request: &Request, other: &Request) -> Vec<String> {
    let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut problems = Vec::new();
    let mut check = |name: &str, expected: String| {
        if let Some(sent) = header(request, name) {
            if sent != expected && header(other, name).as_ref() != Some(&sent) {
                problems.push(format!("{name} is {sent}, the body's is {expected}"));
            }
        }
    };
    check("content-md5", encode(&Md5::digest(&request.body)));
    check(
        "x-amz-checksum-crc32",
        encode(&crc32fast::hash(&request.body).to_be_bytes()),
    );
    if let Some(algorithm) = header(request, CHECKSUM_ALGORITHM_HEADER) {
        let expected = format!("x-amz-checksum-{}", algorithm.to_ascii_lowercase());
        if header(request, &expected).is_none() {
            problems.push(format!(
                "{CHECKSUM_ALGORITHM_HEADER} is {algorithm} but {expected} is absent"
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str, headers: &[(&str, &str)], body: &str) -> Request {
        Request {
            method: "POST".to_string(),
            url: url.to_string(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn equivalent_requests_agree_and_real_differences_are_named() {
        let xml = "<?xml version=\"1.0\"?>\n<A xmlns=\"urn:x\">\n  <B>1</B>\n</A>";
        let a = request(
            "http://h/p?b=2&a=1",
            &[("Content-Type", "text/xml"), ("User-Agent", "x")],
            xml,
        );
        let b = request(
            "https://other/p?a=1&b=2",
            &[("content-type", "text/xml")],
            "<A xmlns=\"urn:x\"><B>1</B></A>",
        );
        assert!(differences(&a, &b, false).is_empty());
        let c = request(
            "http://h/p?a=1",
            &[("Content-Type", "text/xml")],
            "<A><B>1</B></A>",
        );
        let found = differences(&a, &c, false);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("query"));
        assert!(found[1].starts_with("body xml"));
    }

    #[test]
    fn json_and_form_bodies_compare_by_content() {
        let form = "application/x-www-form-urlencoded; charset=utf-8";
        let a = request("http://h/", &[("Content-Type", form)], "A=1&B=x%20y");
        let b = request("http://h/", &[("Content-Type", form)], "B=x+y&A=1");
        assert!(differences(&a, &b, false).is_empty());
        let a = request("http://h/", &[], r#"{"a": 1, "b": [1.0]}"#);
        let b = request("http://h/", &[], r#"{"b":[1],"a":2}"#);
        assert_eq!(
            differences(&a, &b, false),
            vec!["body.a: botocore 1 / gapfill 2"]
        );
    }

    #[test]
    fn only_default_payload_types_may_be_added() {
        let bare = request("http://h/", &[], "raw");
        let octet = request(
            "http://h/",
            &[("Content-Type", "application/octet-stream")],
            "raw",
        );
        assert!(differences(&bare, &octet, false).is_empty());
        let text = request("http://h/", &[("Content-Type", "text/plain")], "raw");
        assert_eq!(differences(&bare, &text, false).len(), 1);
        assert_eq!(differences(&text, &octet, false).len(), 1);
    }

    #[test]
    fn integrity_rule_checks_presence_and_values() {
        let body = "<x/>";
        let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(body.as_bytes()));
        let crc = base64::engine::general_purpose::STANDARD
            .encode(crc32fast::hash(body.as_bytes()).to_be_bytes());
        let botocore = request(
            "http://h/",
            &[
                ("x-amz-checksum-crc32", &crc),
                ("x-amz-sdk-checksum-algorithm", "CRC32"),
            ],
            body,
        );
        let good = request("http://h/", &[("Content-MD5", &md5)], body);
        assert!(differences(&botocore, &good, true).is_empty());
        let none = request("http://h/", &[], body);
        assert_eq!(differences(&botocore, &none, true).len(), 1);
        assert!(differences(&botocore, &none, false).is_empty());
        let wrong = request("http://h/", &[("Content-MD5", "AAAA")], body);
        assert_eq!(differences(&botocore, &wrong, true).len(), 1);
    }
}
