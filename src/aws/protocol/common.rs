//! Helpers every protocol shares: shape lookup, scalar conversions following the client's value
//! conventions, idempotency tokens, host prefixes, Content-MD5 and request ids.

use base64::Engine;
use md5::{Digest, Md5};
use serde_json::{Map, Value};

use super::error::{reason_phrase, ApiError, SerializeError};
use super::timestamp;
use crate::aws::http::{HttpRequest, HttpResponse};
use crate::aws::model::{MemberRef, ModelError, Operation, ServiceModel, Shape, ShapeType};

/// The shape a reference targets (references are checked when the model loads).
pub(crate) fn target<'m>(
    model: &'m ServiceModel,
    member: &MemberRef,
) -> Result<&'m Shape, ModelError> {
    model
        .shape(&member.shape)
        .ok_or_else(|| ModelError::Invalid {
            path: member.shape.clone(),
            message: "unknown shape".to_string(),
        })
}

/// The name a member has on the wire.
pub(crate) fn wire_name<'a>(member_name: &'a str, member: &'a MemberRef) -> &'a str {
    member.serialization.name.as_deref().unwrap_or(member_name)
}

/// A child path for error messages: `Parent.Member`.
pub(crate) fn child_path(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// The set members of a structure input in the caller's order, with their references; null
/// members count as unset.
pub(crate) fn set_members<'v, 's>(
    shape: &'s Shape,
    value: &'v Value,
    path: &str,
) -> Result<Vec<(&'s str, &'s MemberRef, &'v Value)>, SerializeError> {
    let object = value
        .as_object()
        .ok_or_else(|| SerializeError::invalid(path, "expected an object"))?;
    let mut members = Vec::new();
    for (name, member_value) in object {
        if member_value.is_null() {
            continue;
        }
        let (member_name, member) = shape
            .members
            .iter()
            .find(|(member_name, _)| member_name == name)
            .ok_or_else(|| SerializeError::UnknownMember {
                path: super::error::display_path(path),
                name: name.clone(),
            })?;
        members.push((member_name.as_str(), member, member_value));
    }
    Ok(members)
}

/// The bytes of a blob (or raw string payload) input: the string's UTF-8 bytes.
pub(crate) fn blob_bytes<'v>(value: &'v Value, path: &str) -> Result<&'v [u8], SerializeError> {
    value
        .as_str()
        .map(str::as_bytes)
        .ok_or_else(|| SerializeError::invalid(path, "expected a string"))
}

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

const SPECIAL_FLOATS: [&str; 3] = ["NaN", "Infinity", "-Infinity"];

/// A scalar input as text, as query strings, headers, labels and XML carry it.
pub(crate) fn scalar_text(
    shape: &Shape,
    member: &MemberRef,
    value: &Value,
    default_format: crate::aws::model::TimestampFormat,
    path: &str,
) -> Result<String, SerializeError> {
    match shape.shape_type {
        ShapeType::Timestamp => {
            let time = timestamp::from_input(value).ok_or_else(|| {
                SerializeError::invalid(path, "expected epoch seconds or an iso 8601 timestamp")
            })?;
            let format = member
                .serialization
                .timestamp_format
                .unwrap_or(default_format);
            Ok(timestamp::format_text(&time, format))
        }
        ShapeType::Blob => Ok(base64_encode(blob_bytes(value, path)?)),
        ShapeType::Boolean => value
            .as_bool()
            .map(|b| b.to_string())
            .ok_or_else(|| SerializeError::invalid(path, "expected a boolean")),
        kind if kind.is_floating() => match value {
            Value::Number(number) => Ok(number.to_string()),
            Value::String(text) if SPECIAL_FLOATS.contains(&text.as_str()) => Ok(text.clone()),
            _ => Err(SerializeError::invalid(path, "expected a number")),
        },
        kind if kind.is_integral() => value
            .as_i64()
            .map(|n| n.to_string())
            .or_else(|| value.as_u64().map(|n| n.to_string()))
            .ok_or_else(|| SerializeError::invalid(path, "expected an integer")),
        ShapeType::String | ShapeType::Character => value
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| SerializeError::invalid(path, "expected a string")),
        other => Err(SerializeError::invalid(
            path,
            format!("a {} cannot be written as text", other.name()),
        )),
    }
}

/// Fills absent top-level idempotency-token members with a fresh UUID v4.
pub(crate) fn with_idempotency_tokens(
    model: &ServiceModel,
    op: &Operation,
    input: &Value,
) -> Value {
    let mut filled = input.clone();
    let Some(shape) = op
        .input
        .as_ref()
        .and_then(|input| model.shape(&input.shape))
    else {
        return filled;
    };
    let Some(object) = filled.as_object_mut() else {
        return filled;
    };
    for (name, member) in &shape.members {
        let unset = object.get(name).is_none_or(Value::is_null);
        if member.serialization.idempotency_token && unset {
            object.insert(
                name.clone(),
                Value::String(uuid::Uuid::new_v4().to_string()),
            );
        }
    }
    filled
}

/// The operation's host prefix with its `{Label}`s filled from host-label members.
pub(crate) fn expand_host_prefix(
    model: &ServiceModel,
    op: &Operation,
    input: &Value,
) -> Result<Option<String>, SerializeError> {
    let Some(template) = &op.host_prefix else {
        return Ok(None);
    };
    let Some(shape) = op
        .input
        .as_ref()
        .and_then(|input| model.shape(&input.shape))
    else {
        return Ok(Some(template.clone()));
    };
    let mut expanded = template.clone();
    for (name, member) in &shape.members {
        if !member.serialization.host_label {
            continue;
        }
        let value = input.get(name).and_then(Value::as_str).unwrap_or("");
        let valid = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !valid {
            return Err(SerializeError::InvalidHostLabel {
                member: name.clone(),
                value: value.to_string(),
            });
        }
        expanded = expanded.replace(&format!("{{{name}}}"), value);
    }
    Ok(Some(expanded))
}

/// The header that names a flexible checksum algorithm (S3's `ChecksumAlgorithm` members).
const CHECKSUM_ALGORITHM_HEADER: &str = "x-amz-sdk-checksum-algorithm";
const CHECKSUM_HEADER_PREFIX: &str = "x-amz-checksum-";

fn has_flexible_checksum(request: &HttpRequest) -> bool {
    request.headers.iter().any(|(name, _)| {
        name.len() > CHECKSUM_HEADER_PREFIX.len()
            && name[..CHECKSUM_HEADER_PREFIX.len()].eq_ignore_ascii_case(CHECKSUM_HEADER_PREFIX)
    })
}

/// Computes the checksum an input's `ChecksumAlgorithm` asks for, as botocore does: the
/// service rejects a request that names an algorithm without sending its
/// `x-amz-checksum-<algorithm>` header. A checksum the input already sets is kept.
pub(crate) fn add_flexible_checksum(request: &mut HttpRequest) -> Result<(), SerializeError> {
    let Some(algorithm) = request.header(CHECKSUM_ALGORITHM_HEADER) else {
        return Ok(());
    };
    if has_flexible_checksum(request) {
        return Ok(());
    }
    let algorithm = algorithm.to_ascii_lowercase();
    let digest = match algorithm.as_str() {
        "crc32" => crc32fast::hash(&request.body).to_be_bytes().to_vec(),
        "sha256" => sha2::Sha256::digest(&request.body).to_vec(),
        other => {
            return Err(SerializeError::invalid(
                "ChecksumAlgorithm",
                format!("gapfill computes CRC32 and SHA256 checksums, not {other:?}"),
            ))
        }
    };
    request.headers.push((
        format!("{CHECKSUM_HEADER_PREFIX}{algorithm}"),
        base64_encode(&digest),
    ));
    Ok(())
}

/// Adds `Content-MD5` when the operation requires a checksum and none is set (a flexible
/// checksum counts, as it does for botocore).
pub(crate) fn add_content_md5(op: &Operation, request: &mut HttpRequest) {
    let required = op.http_checksum_required || op.request_checksum_required;
    if required && request.header("Content-MD5").is_none() && !has_flexible_checksum(request) {
        let digest = Md5::digest(&request.body);
        request
            .headers
            .push(("Content-MD5".to_string(), base64_encode(&digest)));
    }
}

/// The request id a service put in the response headers.
pub(crate) fn header_request_id(response: &HttpResponse) -> Option<String> {
    response
        .header("x-amzn-RequestId")
        .or_else(|| response.header("x-amz-request-id"))
        .map(str::to_string)
}

/// A server error whose body is empty or an HTML page (from a proxy or load balancer rather
/// than the service), so it names no error code.
pub(crate) fn is_generic_error(response: &HttpResponse) -> bool {
    let body = String::from_utf8_lossy(&response.body);
    let body = body.trim_start();
    response.status >= 500 && (body.is_empty() || body.to_ascii_lowercase().starts_with("<html"))
}

/// The error for a response that names no code: the status and its reason phrase.
pub(crate) fn generic_error(response: &HttpResponse, request_id: Option<String>) -> ApiError {
    ApiError {
        status: response.status,
        code: response.status.to_string(),
        message: reason_phrase(response.status).to_string(),
        request_id,
        fields: Map::new(),
    }
}

/// The key botocore reads a union member the model does not know into.
pub const UNKNOWN_MEMBER: &str = "SDK_UNKNOWN_MEMBER";

/// When `shape` is a union and the one member set on the wire (`set`, by wire name) is not in
/// the model, botocore's reading of it: `{"SDK_UNKNOWN_MEMBER": {"name": TAG}}`. A service
/// may add union members before gapfill's models know them; this keeps the response usable.
pub(crate) fn unknown_union_member<'a>(
    shape: &Shape,
    set: impl IntoIterator<Item = &'a str>,
    known: &dyn Fn(&str) -> bool,
) -> Option<Map<String, Value>> {
    if !shape.union {
        return None;
    }
    // JSON protocols may add `__type` to any structure; it is no member.
    let set: Vec<&str> = set.into_iter().filter(|name| *name != "__type").collect();
    let [tag] = set.as_slice() else {
        return None;
    };
    if known(tag) {
        return None;
    }
    let mut unknown = Map::new();
    unknown.insert(
        UNKNOWN_MEMBER.to_string(),
        serde_json::json!({ "name": tag }),
    );
    Some(unknown)
}

/// An empty JSON object.
pub(crate) fn empty_object() -> Value {
    Value::Object(Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model() -> ServiceModel {
        ServiceModel::from_json(&json!({
            "metadata": {"protocol": "json"},
            "shapes": {
                "In": {"type": "structure", "members": {
                    "Token": {"shape": "S", "idempotencyToken": true},
                    "Account": {"shape": "S", "hostLabel": true}}},
                "S": {"type": "string"}
            },
            "operations": {"Op": {"name": "Op", "input": {"shape": "In"},
                "endpoint": {"hostPrefix": "{Account}.data."}, "httpChecksumRequired": true}}
        }))
        .unwrap()
    }

    #[test]
    fn idempotency_token_filled_only_when_absent() {
        let model = model();
        let op = model.operation("Op").unwrap();
        let filled = with_idempotency_tokens(&model, op, &json!({}));
        let token = filled["Token"].as_str().unwrap();
        assert!(uuid::Uuid::parse_str(token).is_ok());
        let kept = with_idempotency_tokens(&model, op, &json!({"Token": "mine"}));
        assert_eq!(kept["Token"], "mine");
    }

    #[test]
    fn host_prefix_rejects_bad_labels() {
        let model = model();
        let op = model.operation("Op").unwrap();
        let prefix = expand_host_prefix(&model, op, &json!({"Account": "123"})).unwrap();
        assert_eq!(prefix.as_deref(), Some("123.data."));
        let err = expand_host_prefix(&model, op, &json!({"Account": "a/b"})).unwrap_err();
        assert!(matches!(err, SerializeError::InvalidHostLabel { .. }));
    }

    #[test]
    fn flexible_checksum_follows_the_named_algorithm() {
        // Bug found by the differential test: `ChecksumAlgorithm` was sent without its
        // checksum, which S3 rejects.
        let mut request = HttpRequest {
            headers: vec![(CHECKSUM_ALGORITHM_HEADER.to_string(), "CRC32".to_string())],
            body: b"abc".to_vec(),
            ..HttpRequest::default()
        };
        add_flexible_checksum(&mut request).unwrap();
        assert_eq!(request.header("x-amz-checksum-crc32"), Some("NSRBwg=="));
        let model = model();
        add_content_md5(model.operation("Op").unwrap(), &mut request);
        assert_eq!(request.header("Content-MD5"), None);

        let mut sha = HttpRequest {
            headers: vec![(CHECKSUM_ALGORITHM_HEADER.to_string(), "SHA256".to_string())],
            body: b"abc".to_vec(),
            ..HttpRequest::default()
        };
        add_flexible_checksum(&mut sha).unwrap();
        assert_eq!(
            sha.header("x-amz-checksum-sha256"),
            Some("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")
        );
        let mut unsupported = HttpRequest {
            headers: vec![(CHECKSUM_ALGORITHM_HEADER.to_string(), "SHA1".to_string())],
            ..HttpRequest::default()
        };
        assert!(add_flexible_checksum(&mut unsupported).is_err());
    }

    #[test]
    fn flexible_checksum_set_by_the_input_is_kept() {
        let mut request = HttpRequest {
            headers: vec![
                (CHECKSUM_ALGORITHM_HEADER.to_string(), "CRC32".to_string()),
                ("x-amz-checksum-crc32".to_string(), "given".to_string()),
            ],
            body: b"abc".to_vec(),
            ..HttpRequest::default()
        };
        add_flexible_checksum(&mut request).unwrap();
        assert_eq!(request.headers.len(), 2);
        assert_eq!(request.header("x-amz-checksum-crc32"), Some("given"));
    }

    #[test]
    fn content_md5_of_body() {
        let model = model();
        let op = model.operation("Op").unwrap();
        let mut request = HttpRequest {
            body: b"abc".to_vec(),
            ..HttpRequest::default()
        };
        add_content_md5(op, &mut request);
        assert_eq!(
            request.header("Content-MD5"),
            Some("kAFQmDzST7DWlj99KOF/cg==")
        );
    }
}
