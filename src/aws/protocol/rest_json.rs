//! The `rest-json` protocol: HTTP bindings from [`super::rest`], a JSON body (or a raw payload
//! member), errors named by `X-Amzn-Errortype` or the body's `code`/`__type`.

use serde_json::{Map, Value};

use super::common;
use super::error::{ApiError, SerializeError};
use super::{json, rest};
use crate::aws::http::{HttpRequest, HttpResponse};
use crate::aws::model::{MemberRef, Operation, ServiceModel, Shape, ShapeType};

/// Serializes a rest-json request.
pub fn serialize(
    model: &ServiceModel,
    op: &Operation,
    input: &Value,
) -> Result<HttpRequest, SerializeError> {
    let bound = rest::bind_request(model, op, input)?;
    let (body, content_type) = match bound.payload() {
        Some((name, member, value)) => payload_body(model, name, member, value)?,
        None if !bound.body_members.is_empty() => {
            let mut object = Map::new();
            for (name, member, value) in &bound.body_members {
                object.insert(
                    common::wire_name(name, member).to_string(),
                    json::encode_value(model, member, value, name)?,
                );
            }
            (Value::Object(object).to_string().into_bytes(), JSON)
        }
        // Structures with body members always send an object, even an empty one.
        None if bound.input_shape.is_some_and(has_body_members) => (b"{}".to_vec(), JSON),
        None => (Vec::new(), None),
    };
    Ok(rest::with_body(bound.request, body, content_type))
}

const JSON: Option<&str> = Some("application/json");

/// The body for a payload member: raw bytes for blobs and strings, JSON otherwise.
fn payload_body(
    model: &ServiceModel,
    name: &str,
    member: &MemberRef,
    value: Option<&Value>,
) -> Result<(Vec<u8>, Option<&'static str>), SerializeError> {
    let shape = common::target(model, member)?;
    Ok(match (shape.shape_type, value) {
        (ShapeType::Blob, Some(value)) => (
            common::blob_bytes(value, name)?.to_vec(),
            Some("application/octet-stream"),
        ),
        (ShapeType::String, Some(value)) => (
            common::blob_bytes(value, name)?.to_vec(),
            Some("text/plain"),
        ),
        (ShapeType::Blob | ShapeType::String, None) => (Vec::new(), None),
        (_, Some(value)) => {
            let encoded = json::encode_value(model, member, value, name)?;
            (encoded.to_string().into_bytes(), JSON)
        }
        // An unset union sends nothing; an unset structure an empty object.
        (_, None) if shape.union => (Vec::new(), None),
        (_, None) => (b"{}".to_vec(), JSON),
    })
}

fn has_body_members(shape: &Shape) -> bool {
    shape
        .members
        .iter()
        .any(|(_, member)| member.serialization.location.is_none())
}

/// Parses a rest-json response into the operation's output, or its error.
pub fn parse(
    model: &ServiceModel,
    op: &Operation,
    response: &HttpResponse,
) -> Result<Value, ApiError> {
    if response.status >= 300 {
        return Err(json::parse_error(model, op, response, &|shape, body| {
            let mut fields = rest::decode_bound_members(model, shape, response);
            fields.extend(json::decode_structure_members(model, shape, body));
            fields
        }));
    }
    let Some(output) = &op.output else {
        return Ok(common::empty_object());
    };
    let request_id = common::header_request_id(response);
    let shape = common::target(model, output).map_err(|e| {
        ApiError::invalid_response(response.status, request_id.clone(), e.to_string())
    })?;
    let mut result = rest::decode_bound_members(model, shape, response);
    match payload_member(shape) {
        Some((name, member)) => {
            let payload_shape = common::target(model, member).map_err(|e| {
                ApiError::invalid_response(response.status, request_id.clone(), e.to_string())
            })?;
            let value = match payload_shape.shape_type {
                _ if response.body.is_empty() => None,
                ShapeType::Blob => Some(Value::String(common::base64_encode(&response.body))),
                ShapeType::String => Some(Value::String(
                    String::from_utf8_lossy(&response.body).into_owned(),
                )),
                _ => {
                    let body = json::parse_body(response, request_id)?;
                    Some(json::decode_value(model, member, &body))
                }
            };
            if let Some(value) = value {
                result.insert(name.to_string(), value);
            }
        }
        None => {
            let body = json::parse_body(response, request_id)?;
            result.extend(json::decode_structure_members(model, shape, &body));
        }
    }
    Ok(Value::Object(result))
}

/// The member named by the shape's `payload` trait.
pub(crate) fn payload_member(shape: &Shape) -> Option<(&str, &MemberRef)> {
    let payload = shape.serialization.payload.as_deref()?;
    shape
        .members
        .iter()
        .find(|(name, _)| name == payload)
        .map(|(name, member)| (name.as_str(), member))
}
