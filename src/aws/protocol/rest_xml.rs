//! The `rest-xml` protocol: HTTP bindings from [`super::rest`], an XML body (or a raw payload
//! member), errors in `<Error>` (S3) or `<ErrorResponse><Error>` documents.

use serde_json::{Map, Value};

use super::common::{self, child_path, wire_name};
use super::error::{normalize_error_code, reason_phrase, ApiError, SerializeError};
use super::json::{list_member, map_value};
use super::rest;
use super::rest_json::payload_member;
use super::xml::{self, Element};
use crate::aws::http::{HttpRequest, HttpResponse};
use crate::aws::model::{
    MemberRef, Operation, Serialization, ServiceModel, Shape, ShapeType, TimestampFormat,
};

/// Serializes a rest-xml request.
pub fn serialize(
    model: &ServiceModel,
    op: &Operation,
    input: &Value,
) -> Result<HttpRequest, SerializeError> {
    let bound = rest::bind_request(model, op, input)?;
    let (body, content_type) = match (bound.payload(), &op.input) {
        (Some((name, member, value)), _) => payload_body(model, name, member, value)?,
        (None, Some(input_ref)) if !bound.body_members.is_empty() => {
            let shape = common::target(model, input_ref)?;
            let root_name = input_ref
                .serialization
                .name
                .as_deref()
                .unwrap_or(&shape.name);
            let mut root = Element::new(root_name);
            add_namespace(&input_ref.serialization, &mut root);
            for (name, member, value) in &bound.body_members {
                add_member(model, &mut root, name, member, value, name)?;
            }
            (root.render().into_bytes(), Some("application/xml"))
        }
        _ => (Vec::new(), None),
    };
    Ok(rest::with_body(bound.request, body, content_type))
}

/// The body for a payload member. Raw (blob or string) payloads go without a Content-Type
/// unless the caller binds one, as botocore sends them: S3 then stores its own default.
fn payload_body(
    model: &ServiceModel,
    name: &str,
    member: &MemberRef,
    value: Option<&Value>,
) -> Result<(Vec<u8>, Option<&'static str>), SerializeError> {
    let shape = common::target(model, member)?;
    let Some(value) = value else {
        return Ok((Vec::new(), None));
    };
    Ok(match shape.shape_type {
        ShapeType::Blob | ShapeType::String => (common::blob_bytes(value, name)?.to_vec(), None),
        _ => {
            let root_name = member.serialization.name.as_deref().unwrap_or(&shape.name);
            let elements = encode(model, member, value, root_name, name)?;
            (render(elements), Some("application/xml"))
        }
    })
}

fn render(elements: Vec<Element>) -> Vec<u8> {
    elements
        .iter()
        .map(Element::render)
        .collect::<String>()
        .into_bytes()
}

fn add_namespace(serialization: &Serialization, element: &mut Element) {
    if let Some(namespace) = &serialization.xml_namespace {
        let attribute = match &namespace.prefix {
            Some(prefix) => format!("xmlns:{prefix}"),
            None => "xmlns".to_string(),
        };
        element.attributes.push((attribute, namespace.uri.clone()));
    }
}

/// Adds a structure member to its parent element, as an attribute or child elements.
fn add_member(
    model: &ServiceModel,
    parent: &mut Element,
    name: &str,
    member: &MemberRef,
    value: &Value,
    path: &str,
) -> Result<(), SerializeError> {
    let element_name = wire_name(name, member);
    if member.serialization.xml_attribute {
        let shape = common::target(model, member)?;
        let text = common::scalar_text(shape, member, value, TimestampFormat::Iso8601, path)?;
        parent.attributes.push((element_name.to_string(), text));
        return Ok(());
    }
    parent
        .children
        .extend(encode(model, member, value, element_name, path)?);
    Ok(())
}

/// A value as the elements named `name` (several for a flattened list or map).
fn encode(
    model: &ServiceModel,
    member: &MemberRef,
    value: &Value,
    name: &str,
    path: &str,
) -> Result<Vec<Element>, SerializeError> {
    let shape = common::target(model, member)?;
    let mut element = Element::new(name);
    match shape.shape_type {
        ShapeType::Structure => {
            add_namespace(&member.serialization, &mut element);
            for (member_name, child, child_value) in common::set_members(shape, value, path)? {
                let child_path = child_path(path, member_name);
                add_member(
                    model,
                    &mut element,
                    member_name,
                    child,
                    child_value,
                    &child_path,
                )?;
            }
        }
        ShapeType::List => return encode_list(model, shape, member, value, element, path),
        ShapeType::Map => return encode_map(model, shape, member, value, element, path),
        _ => {
            add_namespace(&member.serialization, &mut element);
            element.text = Some(common::scalar_text(
                shape,
                member,
                value,
                TimestampFormat::Iso8601,
                path,
            )?);
        }
    }
    Ok(vec![element])
}

fn encode_list(
    model: &ServiceModel,
    shape: &Shape,
    member: &MemberRef,
    value: &Value,
    mut wrapper: Element,
    path: &str,
) -> Result<Vec<Element>, SerializeError> {
    let items = value
        .as_array()
        .ok_or_else(|| SerializeError::invalid(path, "expected a list"))?;
    let item_ref = list_member(shape)?;
    let flattened = member.serialization.flattened;
    let item_name = if flattened {
        wrapper.name.clone()
    } else {
        item_ref
            .serialization
            .name
            .clone()
            .unwrap_or_else(|| "member".to_string())
    };
    let mut elements = Vec::new();
    for (i, item) in items.iter().enumerate() {
        elements.extend(encode(
            model,
            item_ref,
            item,
            &item_name,
            &format!("{path}[{i}]"),
        )?);
    }
    if flattened {
        return Ok(elements);
    }
    add_namespace(&member.serialization, &mut wrapper);
    wrapper.children = elements;
    Ok(vec![wrapper])
}

fn encode_map(
    model: &ServiceModel,
    shape: &Shape,
    member: &MemberRef,
    value: &Value,
    mut wrapper: Element,
    path: &str,
) -> Result<Vec<Element>, SerializeError> {
    let entries = value
        .as_object()
        .ok_or_else(|| SerializeError::invalid(path, "expected a map"))?;
    let key_ref = shape
        .key
        .as_deref()
        .ok_or_else(|| SerializeError::invalid(&shape.name, "map shape has no key"))?;
    let value_ref = map_value(shape)?;
    let key_name = key_ref.serialization.name.as_deref().unwrap_or("key");
    let value_name = value_ref.serialization.name.as_deref().unwrap_or("value");
    let flattened = member.serialization.flattened;
    let entry_name = if flattened {
        wrapper.name.as_str()
    } else {
        "entry"
    };
    let mut elements = Vec::new();
    for (key, entry_value) in entries {
        let entry_path = child_path(path, key);
        let mut entry = Element::new(entry_name);
        entry.children.extend(encode(
            model,
            key_ref,
            &Value::String(key.clone()),
            key_name,
            &entry_path,
        )?);
        entry.children.extend(encode(
            model,
            value_ref,
            entry_value,
            value_name,
            &entry_path,
        )?);
        elements.push(entry);
    }
    if flattened {
        return Ok(elements);
    }
    add_namespace(&member.serialization, &mut wrapper);
    wrapper.children = elements;
    Ok(vec![wrapper])
}

/// Parses a rest-xml response into the operation's output, or its error.
pub fn parse(
    model: &ServiceModel,
    op: &Operation,
    response: &HttpResponse,
) -> Result<Value, ApiError> {
    if response.status >= 300 {
        return Err(parse_error(model, op, response));
    }
    let Some(output) = &op.output else {
        return Ok(common::empty_object());
    };
    let request_id = common::header_request_id(response);
    let invalid =
        |why: String| ApiError::invalid_response(response.status, request_id.clone(), why);
    let shape = common::target(model, output).map_err(|e| invalid(e.to_string()))?;
    let mut result = rest::decode_bound_members(model, shape, response);
    let body = String::from_utf8_lossy(&response.body);
    let payload = payload_member(shape);
    if let Some((name, member)) = payload {
        let payload_shape = common::target(model, member).map_err(|e| invalid(e.to_string()))?;
        match payload_shape.shape_type {
            _ if response.body.is_empty() => {}
            ShapeType::Blob => {
                let encoded = common::base64_encode(&response.body);
                result.insert(name.to_string(), Value::String(encoded));
            }
            ShapeType::String => {
                result.insert(name.to_string(), Value::String(body.into_owned()));
            }
            _ => {
                let document = parse_document(&body).map_err(invalid)?;
                let decoded = xml::decode(model, member, &[document.root_element()]);
                result.insert(name.to_string(), decoded);
            }
        }
    } else if !body.trim().is_empty() {
        let document = parse_document(&body).map_err(invalid)?;
        result.extend(xml::decode_structure(model, shape, document.root_element()));
    }
    Ok(Value::Object(result))
}

pub(crate) fn parse_document(body: &str) -> Result<roxmltree::Document<'_>, String> {
    roxmltree::Document::parse(body).map_err(|e| format!("response body is not valid xml: {e}"))
}

fn parse_error(model: &ServiceModel, op: &Operation, response: &HttpResponse) -> ApiError {
    let body = String::from_utf8_lossy(&response.body);
    let header_request_id = common::header_request_id(response);
    let document = roxmltree::Document::parse(&body).ok();
    let error_node = document.as_ref().and_then(|doc| {
        doc.descendants()
            .find(|node| node.is_element() && node.tag_name().name() == "Error")
    });
    let Some(error_node) = error_node else {
        return ApiError {
            status: response.status,
            code: response.status.to_string(),
            message: reason_phrase(response.status).to_string(),
            request_id: header_request_id,
            fields: Map::new(),
        };
    };
    let code = normalize_error_code(&xml::descendant_text(error_node, "Code").unwrap_or_default());
    let fields = model
        .error_shape(op, &code)
        .map(|shape| {
            let mut fields = rest::decode_bound_members(model, shape, response);
            fields.extend(xml::decode_structure(model, shape, error_node));
            fields
        })
        .unwrap_or_default();
    let request_id = header_request_id.or_else(|| {
        document
            .as_ref()
            .and_then(|doc| xml::descendant_text(doc.root_element(), "RequestId"))
    });
    ApiError {
        status: response.status,
        code,
        message: xml::child(error_node, "Message")
            .map(|node| xml::text(node).to_string())
            .unwrap_or_default(),
        request_id,
        fields,
    }
}
