//! The `rest-json` protocol: HTTP bindings from [`super::rest`], a JSON body (or a raw payload
//! member), errors named by `X-Amzn-Errortype` or the body's `code`/`__type`.

use serde_json::{Map, Value};

use super::common;
use super::error::{ApiError, SerializeError};
use super::{json, rest};
use crate::aws::http::{HttpRequest, HttpResponse};
use crate::aws::model::{Operation, ServiceModel, Shape, ShapeType};

/// Serializes a rest-json request.
pub fn serialize(
    model: &ServiceModel,
    op: &Operation,
    input: &Value,
) -> Result<HttpRequest, SerializeError> {
    let bound = rest::bind_request(model, op, input)?;
    let mut content_type = "application/json";
    let body = match bound.payload() {
        Some((name, member, value)) => {
            let shape = common::target(model, member)?;
            match (shape.shape_type, value) {
                (ShapeType::Blob, Some(value)) => {
                    content_type = "application/octet-stream";
                    common::blob_bytes(value, name)?.to_vec()
                }
                (ShapeType::String, Some(value)) => {
                    content_type = "text/plain";
                    value
                        .as_str()
                        .ok_or_else(|| SerializeError::invalid(name, "expected a string"))?
                        .as_bytes()
                        .to_vec()
                }
                (ShapeType::Blob | ShapeType::String, None) => Vec::new(),
                (_, Some(value)) => json::encode_value(model, member, value, name)?
                    .to_string()
                    .into_bytes(),
                (_, None) => b"{}".to_vec(),
            }
        }
        None if !bound.body_members.is_empty() => {
            let mut object = Map::new();
            for (name, member, value) in &bound.body_members {
                object.insert(
                    common::wire_name(name, member).to_string(),
                    json::encode_value(model, member, value, name)?,
                );
            }
            Value::Object(object).to_string().into_bytes()
        }
        None if bound.input_shape.is_some_and(has_body_members) => b"{}".to_vec(),
        None => Vec::new(),
    };
    let mut request = bound.request;
    if !body.is_empty() && request.header("Content-Type").is_none() {
        request
            .headers
            .push(("Content-Type".to_string(), content_type.to_string()));
    }
    request.body = body;
    Ok(request)
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
pub(crate) fn payload_member(shape: &Shape) -> Option<(&str, &crate::aws::model::MemberRef)> {
    let payload = shape.serialization.payload.as_deref()?;
    shape
        .members
        .iter()
        .find(|(name, _)| name == payload)
        .map(|(name, member)| (name.as_str(), member))
}
