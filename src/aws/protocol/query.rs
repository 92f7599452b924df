//! The `query` and `ec2` protocols: form-encoded requests (`Action`, `Version`, dotted member
//! paths) and XML responses. The two dialects differ in naming (ec2 capitalizes names and
//! prefers `queryName`) and in lists (ec2 lists are always flattened, empty ones omitted).

use serde_json::{Map, Value};

use super::common::{self, child_path};
use super::error::{normalize_error_code, reason_phrase, ApiError, SerializeError};
use super::json::{list_member, map_value};
use super::rest::percent_encode;
use super::rest_xml::parse_document;
use super::xml;
use crate::aws::http::{HttpRequest, HttpResponse};
use crate::aws::model::{MemberRef, Operation, ServiceModel, ShapeType, TimestampFormat};

/// Which of the two form-encoded protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Query,
    Ec2,
}

impl Dialect {
    /// The key segment of a member: ec2 prefers `queryName`, then the capitalized
    /// `locationName` or member name (EC2 models name members in upper camel case anyway).
    fn member_key(self, member_name: &str, member: &MemberRef) -> String {
        let serialization = &member.serialization;
        match self {
            Dialect::Query => serialization
                .name
                .clone()
                .unwrap_or_else(|| member_name.to_string()),
            Dialect::Ec2 => serialization.query_name.clone().unwrap_or_else(|| {
                capitalize(serialization.name.as_deref().unwrap_or(member_name))
            }),
        }
    }
}

fn capitalize(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Serializes a query or ec2 request: `POST /` with a form-encoded body.
pub fn serialize(
    model: &ServiceModel,
    op: &Operation,
    input: &Value,
    dialect: Dialect,
) -> Result<HttpRequest, SerializeError> {
    let mut form = vec![
        ("Action".to_string(), op.name.clone()),
        ("Version".to_string(), model.metadata().api_version.clone()),
    ];
    if let Some(input_ref) = &op.input {
        let writer = FormWriter { model, dialect };
        writer.write_structure(&mut form, input_ref, input, "", "")?;
    }
    let body = form
        .iter()
        .map(|(key, value)| format!("{}={}", percent_encode(key), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&");
    Ok(HttpRequest {
        method: op.http_method.clone(),
        path: "/".to_string(),
        headers: vec![(
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded; charset=utf-8".to_string(),
        )],
        body: body.into_bytes(),
        host_prefix: None,
    })
}

struct FormWriter<'m> {
    model: &'m ServiceModel,
    dialect: Dialect,
}

type Form = Vec<(String, String)>;

impl FormWriter<'_> {
    fn write(
        &self,
        form: &mut Form,
        member: &MemberRef,
        value: &Value,
        key: &str,
        path: &str,
    ) -> Result<(), SerializeError> {
        let shape = common::target(self.model, member)?;
        match shape.shape_type {
            ShapeType::Structure => self.write_structure(form, member, value, key, path),
            ShapeType::List => self.write_list(form, member, value, key, path),
            ShapeType::Map => self.write_map(form, member, value, key, path),
            _ => {
                let text =
                    common::scalar_text(shape, member, value, TimestampFormat::Iso8601, path)?;
                form.push((key.to_string(), text));
                Ok(())
            }
        }
    }

    fn write_structure(
        &self,
        form: &mut Form,
        member: &MemberRef,
        value: &Value,
        key: &str,
        path: &str,
    ) -> Result<(), SerializeError> {
        let shape = common::target(self.model, member)?;
        for (name, child, child_value) in common::set_members(shape, value, path)? {
            let segment = self.dialect.member_key(name, child);
            let child_key = if key.is_empty() {
                segment
            } else {
                format!("{key}.{segment}")
            };
            self.write(
                form,
                child,
                child_value,
                &child_key,
                &child_path(path, name),
            )?;
        }
        Ok(())
    }

    fn write_list(
        &self,
        form: &mut Form,
        member: &MemberRef,
        value: &Value,
        key: &str,
        path: &str,
    ) -> Result<(), SerializeError> {
        let shape = common::target(self.model, member)?;
        let items = value
            .as_array()
            .ok_or_else(|| SerializeError::invalid(path, "expected a list"))?;
        let item_ref = list_member(shape)?;
        let list_key = match self.dialect {
            Dialect::Ec2 => key.to_string(),
            Dialect::Query if items.is_empty() => {
                form.push((key.to_string(), String::new()));
                return Ok(());
            }
            Dialect::Query if member.serialization.flattened => {
                match item_ref.serialization.name.as_deref() {
                    // A named flattened item replaces the last segment of the key.
                    Some(item_name) => match key.rsplit_once('.') {
                        Some((parent, _)) => format!("{parent}.{item_name}"),
                        None => item_name.to_string(),
                    },
                    None => key.to_string(),
                }
            }
            Dialect::Query => {
                let item_name = item_ref.serialization.name.as_deref().unwrap_or("member");
                format!("{key}.{item_name}")
            }
        };
        for (i, item) in items.iter().enumerate() {
            let item_key = format!("{list_key}.{}", i + 1);
            self.write(form, item_ref, item, &item_key, &format!("{path}[{i}]"))?;
        }
        Ok(())
    }

    fn write_map(
        &self,
        form: &mut Form,
        member: &MemberRef,
        value: &Value,
        key: &str,
        path: &str,
    ) -> Result<(), SerializeError> {
        let shape = common::target(self.model, member)?;
        let entries = value
            .as_object()
            .ok_or_else(|| SerializeError::invalid(path, "expected a map"))?;
        let key_ref = shape
            .key
            .as_deref()
            .ok_or_else(|| SerializeError::invalid(&shape.name, "map shape has no key"))?;
        let value_ref = map_value(shape)?;
        let entry_prefix = if member.serialization.flattened {
            key.to_string()
        } else {
            format!("{key}.entry")
        };
        let key_suffix = key_ref.serialization.name.as_deref().unwrap_or("key");
        let value_suffix = value_ref.serialization.name.as_deref().unwrap_or("value");
        for (i, (entry_key, entry_value)) in entries.iter().enumerate() {
            let entry_path = child_path(path, entry_key);
            let base = format!("{entry_prefix}.{}", i + 1);
            self.write(
                form,
                key_ref,
                &Value::String(entry_key.clone()),
                &format!("{base}.{key_suffix}"),
                &entry_path,
            )?;
            self.write(
                form,
                value_ref,
                entry_value,
                &format!("{base}.{value_suffix}"),
                &entry_path,
            )?;
        }
        Ok(())
    }
}

/// Parses a query or ec2 response into the operation's output, or its error.
pub fn parse(
    model: &ServiceModel,
    op: &Operation,
    response: &HttpResponse,
    dialect: Dialect,
) -> Result<Value, ApiError> {
    if response.status >= 300 {
        return Err(parse_error(model, op, response, dialect));
    }
    let Some(output) = &op.output else {
        return Ok(common::empty_object());
    };
    let request_id = common::header_request_id(response);
    let invalid =
        |why: String| ApiError::invalid_response(response.status, request_id.clone(), why);
    let shape = common::target(model, output).map_err(|e| invalid(e.to_string()))?;
    let body = String::from_utf8_lossy(&response.body);
    if body.trim().is_empty() {
        return Ok(common::empty_object());
    }
    let document = parse_document(&body).map_err(invalid)?;
    let root = document.root_element();
    let start = match &output.serialization.result_wrapper {
        Some(wrapper) => match xml::child(root, wrapper) {
            Some(node) => node,
            None => return Ok(common::empty_object()),
        },
        None => root,
    };
    Ok(Value::Object(xml::decode_structure(model, shape, start)))
}

fn parse_error(
    model: &ServiceModel,
    op: &Operation,
    response: &HttpResponse,
    dialect: Dialect,
) -> ApiError {
    let body = String::from_utf8_lossy(&response.body);
    let document = roxmltree::Document::parse(&body).ok();
    let error_node = document.as_ref().and_then(|doc| {
        doc.descendants()
            .find(|node| node.is_element() && node.tag_name().name() == "Error")
    });
    let request_id_element = match dialect {
        Dialect::Query => "RequestId",
        Dialect::Ec2 => "RequestID",
    };
    let request_id = document
        .as_ref()
        .and_then(|doc| xml::descendant_text(doc.root_element(), request_id_element))
        .or_else(|| common::header_request_id(response));
    let Some(error_node) = error_node else {
        return ApiError {
            status: response.status,
            code: response.status.to_string(),
            message: reason_phrase(response.status).to_string(),
            request_id,
            fields: Map::new(),
        };
    };
    let code = normalize_error_code(
        &xml::child(error_node, "Code")
            .map(|node| xml::text(node).to_string())
            .unwrap_or_default(),
    );
    let fields = model
        .error_shape(op, &code)
        .map(|shape| xml::decode_structure(model, shape, error_node))
        .unwrap_or_default();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec2_capitalizes_location_names_and_prefers_query_names() {
        let member = |name: Option<&str>, query: Option<&str>| MemberRef {
            shape: "S".into(),
            serialization: crate::aws::model::Serialization {
                name: name.map(str::to_string),
                query_name: query.map(str::to_string),
                ..Default::default()
            },
            deprecated: false,
        };
        let ec2 = Dialect::Ec2;
        assert_eq!(ec2.member_key("foo", &member(Some("bar"), None)), "Bar");
        assert_eq!(ec2.member_key("foo", &member(Some("bar"), Some("Q"))), "Q");
        assert_eq!(ec2.member_key("foo", &member(None, None)), "Foo");
        assert_eq!(
            Dialect::Query.member_key("foo", &member(Some("bar"), None)),
            "bar"
        );
    }
}
