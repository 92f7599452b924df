//! The `json` protocol (awsJson 1.0 and 1.1, including awsQueryCompatible services), and the
//! JSON body encoding it shares with `rest-json`.

use serde_json::{Map, Value};

use super::common::{self, child_path, wire_name};
use super::error::{normalize_error_code, reason_phrase, ApiError, SerializeError};
use super::timestamp;
use crate::aws::http::{HttpRequest, HttpResponse};
use crate::aws::model::{MemberRef, Operation, ServiceModel, Shape, ShapeType, TimestampFormat};

/// Serializes a json-protocol request: `POST /` with `X-Amz-Target` and a JSON body.
pub fn serialize(
    model: &ServiceModel,
    op: &Operation,
    input: &Value,
) -> Result<HttpRequest, SerializeError> {
    let metadata = model.metadata();
    let json_version = metadata.json_version.as_deref().unwrap_or("1.0");
    let target_prefix = metadata.target_prefix.as_deref().unwrap_or_default();
    let mut headers = vec![
        (
            "X-Amz-Target".to_string(),
            format!("{target_prefix}.{}", op.name),
        ),
        (
            "Content-Type".to_string(),
            format!("application/x-amz-json-{json_version}"),
        ),
    ];
    if metadata.aws_query_compatible {
        headers.push(("x-amzn-query-mode".to_string(), "true".to_string()));
    }
    let body = match &op.input {
        Some(input_ref) => encode_value(model, input_ref, input, "")?,
        None => common::empty_object(),
    };
    Ok(HttpRequest {
        method: op.http_method.clone(),
        path: "/".to_string(),
        headers,
        body: body.to_string().into_bytes(),
        host_prefix: None,
    })
}

/// A caller's value as the JSON a service expects for this member.
pub(crate) fn encode_value(
    model: &ServiceModel,
    member: &MemberRef,
    value: &Value,
    path: &str,
) -> Result<Value, SerializeError> {
    let shape = common::target(model, member)?;
    match shape.shape_type {
        ShapeType::Structure if shape.document => Ok(value.clone()),
        ShapeType::Structure => encode_structure(model, shape, value, path),
        ShapeType::List => {
            let items = value
                .as_array()
                .ok_or_else(|| SerializeError::invalid(path, "expected a list"))?;
            let item_ref = list_member(shape)?;
            items
                .iter()
                .enumerate()
                .map(|(i, item)| encode_value(model, item_ref, item, &format!("{path}[{i}]")))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        ShapeType::Map => {
            let entries = value
                .as_object()
                .ok_or_else(|| SerializeError::invalid(path, "expected a map"))?;
            let value_ref = map_value(shape)?;
            let mut encoded = Map::new();
            for (key, entry) in entries {
                let entry_path = child_path(path, key);
                encoded.insert(
                    key.clone(),
                    encode_value(model, value_ref, entry, &entry_path)?,
                );
            }
            Ok(Value::Object(encoded))
        }
        ShapeType::Timestamp => encode_timestamp(member, value, path),
        ShapeType::Blob => Ok(Value::String(common::base64_encode(common::blob_bytes(
            value, path,
        )?))),
        _ => Ok(value.clone()),
    }
}

fn encode_structure(
    model: &ServiceModel,
    shape: &Shape,
    value: &Value,
    path: &str,
) -> Result<Value, SerializeError> {
    let mut encoded = Map::new();
    for (name, member, member_value) in common::set_members(shape, value, path)? {
        let member_path = child_path(path, name);
        encoded.insert(
            wire_name(name, member).to_string(),
            encode_value(model, member, member_value, &member_path)?,
        );
    }
    Ok(Value::Object(encoded))
}

fn encode_timestamp(
    member: &MemberRef,
    value: &Value,
    path: &str,
) -> Result<Value, SerializeError> {
    let time = timestamp::from_input(value).ok_or_else(|| {
        SerializeError::invalid(path, "expected epoch seconds or an iso 8601 timestamp")
    })?;
    Ok(
        match member
            .serialization
            .timestamp_format
            .unwrap_or(TimestampFormat::UnixTimestamp)
        {
            TimestampFormat::UnixTimestamp => timestamp::epoch_number(&time),
            format => Value::String(timestamp::format_text(&time, format)),
        },
    )
}

pub(crate) fn list_member(shape: &Shape) -> Result<&MemberRef, SerializeError> {
    shape
        .member
        .as_deref()
        .ok_or_else(|| SerializeError::invalid(&shape.name, "list shape has no member"))
}

pub(crate) fn map_value(shape: &Shape) -> Result<&MemberRef, SerializeError> {
    shape
        .value
        .as_deref()
        .ok_or_else(|| SerializeError::invalid(&shape.name, "map shape has no value"))
}

/// Parses a json-protocol response into the operation's output, or its error.
pub fn parse(
    model: &ServiceModel,
    op: &Operation,
    response: &HttpResponse,
) -> Result<Value, ApiError> {
    let request_id = common::header_request_id(response);
    if response.status >= 300 {
        return Err(parse_error(model, op, response, &|shape, body| {
            decode_structure_members(model, shape, body)
        }));
    }
    let body = parse_body(response, request_id)?;
    Ok(match &op.output {
        Some(output) => decode_value(model, output, &body),
        None => common::empty_object(),
    })
}

/// The response body as JSON (an empty body is an empty object).
pub(crate) fn parse_body(
    response: &HttpResponse,
    request_id: Option<String>,
) -> Result<Value, ApiError> {
    if response.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(common::empty_object());
    }
    serde_json::from_slice(&response.body).map_err(|e| {
        ApiError::invalid_response(
            response.status,
            request_id,
            format!("response body is not valid json: {e}"),
        )
    })
}

/// Reads the fields of a modelled error shape from a parsed body (and, for rest protocols,
/// from the headers).
pub(crate) type ErrorFieldReader<'a> = dyn Fn(&Shape, &Value) -> Map<String, Value> + 'a;

/// An error response of the json and rest-json protocols.
pub(crate) fn parse_error(
    model: &ServiceModel,
    op: &Operation,
    response: &HttpResponse,
    read_fields: &ErrorFieldReader<'_>,
) -> ApiError {
    let request_id = common::header_request_id(response);
    let names_a_code = response.header("x-amzn-errortype").is_some();
    if !names_a_code && common::is_generic_error(response) {
        return common::generic_error(response, request_id);
    }
    let body = serde_json::from_slice::<Value>(&response.body).unwrap_or_else(|_| {
        let text = String::from_utf8_lossy(&response.body).trim().to_string();
        let mut object = Map::new();
        if !text.is_empty() {
            object.insert("message".to_string(), Value::String(text));
        }
        Value::Object(object)
    });
    let raw_code = response
        .header("x-amzn-errortype")
        .map(str::to_string)
        .or_else(|| string_field(&body, &["__type", "code", "Code"]));
    let Some(raw_code) = raw_code else {
        return ApiError {
            status: response.status,
            code: response.status.to_string(),
            message: string_field(&body, &["message", "Message"])
                .unwrap_or_else(|| reason_phrase(response.status).to_string()),
            request_id,
            fields: Map::new(),
        };
    };
    let mut code = normalize_error_code(&raw_code);
    let shape = model.error_shape(op, &code);
    if let Some(query_code) = query_compatible_code(model, response) {
        code = query_code;
    }
    let fields = shape
        .map(|shape| read_fields(shape, &body))
        .unwrap_or_default();
    ApiError {
        status: response.status,
        code,
        message: string_field(&body, &["message", "Message", "errorMessage"]).unwrap_or_default(),
        request_id,
        fields,
    }
}

/// For awsQueryCompatible services, the query-protocol code in `x-amzn-query-error`
/// (`Code;Sender`).
fn query_compatible_code(model: &ServiceModel, response: &HttpResponse) -> Option<String> {
    if !model.metadata().aws_query_compatible {
        return None;
    }
    let header = response.header("x-amzn-query-error")?;
    let (code, _fault) = header.split_once(';')?;
    (!code.is_empty()).then(|| code.to_string())
}

fn string_field(body: &Value, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|key| body.get(key).and_then(Value::as_str))
        .map(str::to_string)
}

/// The members of a structure read from a JSON object (members bound to headers or the status
/// code are left to the caller).
pub(crate) fn decode_structure_members(
    model: &ServiceModel,
    shape: &Shape,
    body: &Value,
) -> Map<String, Value> {
    if let Value::Object(fields) = body {
        let set = fields
            .iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(key, _)| key.as_str());
        let known = |tag: &str| {
            shape
                .members
                .iter()
                .any(|(name, member)| wire_name(name, member) == tag)
        };
        if let Some(unknown) = common::unknown_union_member(shape, set, &known) {
            return unknown;
        }
    }
    let mut decoded = Map::new();
    for (name, member) in &shape.members {
        if member.serialization.location.is_some() {
            continue;
        }
        match body.get(wire_name(name, member)) {
            None | Some(Value::Null) => {}
            Some(raw) => {
                decoded.insert(name.clone(), decode_value(model, member, raw));
            }
        }
    }
    decoded
}

/// A service's JSON value in the client's output conventions.
pub(crate) fn decode_value(model: &ServiceModel, member: &MemberRef, raw: &Value) -> Value {
    let Ok(shape) = common::target(model, member) else {
        return raw.clone();
    };
    match (shape.shape_type, raw) {
        (ShapeType::Structure, _) if shape.document => raw.clone(),
        (ShapeType::Structure, Value::Object(_)) => {
            Value::Object(decode_structure_members(model, shape, raw))
        }
        (ShapeType::List, Value::Array(items)) => match shape.member.as_deref() {
            Some(item_ref) => Value::Array(
                items
                    .iter()
                    .map(|item| match item {
                        Value::Null => Value::Null,
                        item => decode_value(model, item_ref, item),
                    })
                    .collect(),
            ),
            None => raw.clone(),
        },
        (ShapeType::Map, Value::Object(entries)) => match shape.value.as_deref() {
            Some(value_ref) => Value::Object(
                entries
                    .iter()
                    .map(|(key, entry)| {
                        let decoded = match entry {
                            Value::Null => Value::Null,
                            entry => decode_value(model, value_ref, entry),
                        };
                        (key.clone(), decoded)
                    })
                    .collect(),
            ),
            None => raw.clone(),
        },
        (ShapeType::Timestamp, Value::Number(number)) => number
            .as_f64()
            .and_then(timestamp::from_epoch_seconds)
            .map(|time| Value::String(timestamp::to_output(&time)))
            .unwrap_or_else(|| raw.clone()),
        (ShapeType::Timestamp, Value::String(text)) => timestamp::parse_text(text)
            .map(|time| Value::String(timestamp::to_output(&time)))
            .unwrap_or_else(|| raw.clone()),
        _ => raw.clone(),
    }
}
