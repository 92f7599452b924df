//! The HTTP bindings shared by `rest-json` and `rest-xml`: URI labels (greedy or not), query
//! strings (scalars, lists, maps), headers and prefixed header maps, and, in responses,
//! header- and status-code-bound members. The body is left to each protocol.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{Map, Number, Value};

use super::common::{self, child_path, wire_name};
use super::error::SerializeError;
use super::timestamp;
use crate::aws::http::{HttpRequest, HttpResponse};
use crate::aws::model::{
    Location, MemberRef, Operation, ServiceModel, Shape, ShapeType, TimestampFormat,
};

/// RFC 3986 unreserved characters stay as they are; everything else is percent-encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Greedy labels (`{Key+}`) also keep their slashes.
const UNRESERVED_AND_SLASH: &AsciiSet = &UNRESERVED.remove(b'/');

/// Percent-encodes a query-string key or value, or a URI label.
pub fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// A request with its URI, query string and headers bound; the body is still to be written
/// from `body_members` (or the payload member).
pub(crate) struct BoundRequest<'m, 'v> {
    pub request: HttpRequest,
    pub input_shape: Option<&'m Shape>,
    /// Set members with no location, in the caller's order.
    pub body_members: Vec<(&'m str, &'m MemberRef, &'v Value)>,
}

impl<'m, 'v> BoundRequest<'m, 'v> {
    /// The payload member's name, reference and value (if set), when the input has one.
    pub fn payload(&self) -> Option<(&'m str, &'m MemberRef, Option<&'v Value>)> {
        let shape = self.input_shape?;
        let payload = shape.serialization.payload.as_deref()?;
        let (name, member) = shape.members.iter().find(|(name, _)| name == payload)?;
        let value = self
            .body_members
            .iter()
            .find(|(member_name, _, _)| *member_name == payload)
            .map(|(_, _, value)| *value);
        Some((name.as_str(), member, value))
    }
}

/// Sets the body, and the Content-Type when there is a body and the caller bound none.
pub(crate) fn with_body(
    mut request: HttpRequest,
    body: Vec<u8>,
    content_type: Option<&str>,
) -> HttpRequest {
    if let Some(content_type) = content_type.filter(|_| !body.is_empty()) {
        if request.header("Content-Type").is_none() {
            request
                .headers
                .push(("Content-Type".to_string(), content_type.to_string()));
        }
    }
    request.body = body;
    request
}

#[derive(Default)]
struct Bindings {
    labels: Vec<(String, String)>,
    /// (key, value, came from a map member): explicit members win over map entries.
    query: Vec<(String, String, bool)>,
    headers: Vec<(String, String)>,
}

/// Binds the input's members to the URI, query string and headers.
pub(crate) fn bind_request<'m, 'v>(
    model: &'m ServiceModel,
    op: &Operation,
    input: &'v Value,
) -> Result<BoundRequest<'m, 'v>, SerializeError> {
    let input_shape = match &op.input {
        Some(input_ref) => Some(common::target(model, input_ref)?),
        None => None,
    };
    let mut bindings = Bindings::default();
    let mut body_members = Vec::new();
    if let Some(shape) = input_shape {
        for (name, member, value) in common::set_members(shape, input, "")? {
            match member.serialization.location {
                None | Some(Location::StatusCode) => body_members.push((name, member, value)),
                Some(location) => bind_member(model, &mut bindings, location, name, member, value)?,
            }
        }
    }
    let path = render_uri(&op.request_uri, &bindings)?;
    Ok(BoundRequest {
        request: HttpRequest {
            method: op.http_method.clone(),
            path,
            headers: bindings.headers,
            body: Vec::new(),
            host_prefix: None,
        },
        input_shape,
        body_members,
    })
}

fn bind_member(
    model: &ServiceModel,
    bindings: &mut Bindings,
    location: Location,
    name: &str,
    member: &MemberRef,
    value: &Value,
) -> Result<(), SerializeError> {
    let shape = common::target(model, member)?;
    let key = wire_name(name, member).to_string();
    match location {
        Location::Uri => {
            let text = common::scalar_text(shape, member, value, TimestampFormat::Iso8601, name)?;
            bindings.labels.push((key, text));
        }
        Location::Querystring => bind_query(model, bindings, key, shape, member, value, name)?,
        Location::Header => {
            if let Some(text) = header_text(model, shape, member, value, name)? {
                bindings.headers.push((key, text));
            }
        }
        Location::Headers => {
            let entries = value
                .as_object()
                .ok_or_else(|| SerializeError::invalid(name, "expected a map of headers"))?;
            for (suffix, entry) in entries {
                let text = entry.as_str().ok_or_else(|| {
                    SerializeError::invalid(&child_path(name, suffix), "expected a string")
                })?;
                bindings
                    .headers
                    .push((format!("{key}{suffix}"), text.to_string()));
            }
        }
        Location::StatusCode => {}
    }
    Ok(())
}

fn bind_query(
    model: &ServiceModel,
    bindings: &mut Bindings,
    key: String,
    shape: &Shape,
    member: &MemberRef,
    value: &Value,
    path: &str,
) -> Result<(), SerializeError> {
    match shape.shape_type {
        ShapeType::Map => {
            let entries = value
                .as_object()
                .ok_or_else(|| SerializeError::invalid(path, "expected a map"))?;
            let value_ref = super::json::map_value(shape)?;
            let value_shape = common::target(model, value_ref)?;
            for (entry_key, entry) in entries {
                let entry_path = child_path(path, entry_key);
                let items = match entry {
                    Value::Array(items) => items.iter().collect(),
                    single => vec![single],
                };
                let item_shape = match value_shape.shape_type {
                    ShapeType::List => {
                        common::target(model, super::json::list_member(value_shape)?)?
                    }
                    _ => value_shape,
                };
                for item in items {
                    let text = common::scalar_text(
                        item_shape,
                        value_ref,
                        item,
                        TimestampFormat::Iso8601,
                        &entry_path,
                    )?;
                    bindings.query.push((entry_key.clone(), text, true));
                }
            }
        }
        ShapeType::List => {
            let items = value
                .as_array()
                .ok_or_else(|| SerializeError::invalid(path, "expected a list"))?;
            let item_ref = super::json::list_member(shape)?;
            let item_shape = common::target(model, item_ref)?;
            for (i, item) in items.iter().enumerate() {
                let item_path = format!("{path}[{i}]");
                let text = common::scalar_text(
                    item_shape,
                    item_ref,
                    item,
                    TimestampFormat::Iso8601,
                    &item_path,
                )?;
                bindings.query.push((key.clone(), text, false));
            }
        }
        _ => {
            let text = common::scalar_text(shape, member, value, TimestampFormat::Iso8601, path)?;
            bindings.query.push((key, text, false));
        }
    }
    Ok(())
}

/// A header value; `None` for an empty list (no header at all).
fn header_text(
    model: &ServiceModel,
    shape: &Shape,
    member: &MemberRef,
    value: &Value,
    path: &str,
) -> Result<Option<String>, SerializeError> {
    if member.serialization.json_value {
        // A string is taken as JSON text already; anything else is written as compact JSON.
        let json_text = match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        return Ok(Some(common::base64_encode(json_text.as_bytes())));
    }
    if shape.shape_type != ShapeType::List {
        return common::scalar_text(shape, member, value, TimestampFormat::Rfc822, path).map(Some);
    }
    let items = value
        .as_array()
        .ok_or_else(|| SerializeError::invalid(path, "expected a list"))?;
    if items.is_empty() {
        return Ok(None);
    }
    let item_ref = super::json::list_member(shape)?;
    let item_shape = common::target(model, item_ref)?;
    let mut texts = Vec::new();
    for (i, item) in items.iter().enumerate().filter(|(_, item)| !item.is_null()) {
        let item_path = format!("{path}[{i}]");
        let text = common::scalar_text(
            item_shape,
            item_ref,
            item,
            TimestampFormat::Rfc822,
            &item_path,
        )?;
        texts.push(match item_shape.shape_type {
            ShapeType::String => quote_header_item(&text),
            _ => text,
        });
    }
    Ok(Some(texts.join(", ")))
}

/// List items holding a comma or a quote are quoted, inner quotes escaped.
fn quote_header_item(text: &str) -> String {
    if text.contains('"') || text.contains(',') {
        format!("\"{}\"", text.replace('"', "\\\""))
    } else {
        text.to_string()
    }
}

/// Fills `{Label}` / `{Label+}` and appends the query string.
fn render_uri(template: &str, bindings: &Bindings) -> Result<String, SerializeError> {
    let mut rendered = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let end = rest[start..]
            .find('}')
            .map(|offset| start + offset)
            .ok_or_else(|| SerializeError::invalid("requestUri", "unclosed label"))?;
        rendered.push_str(&rest[..start]);
        let label = &rest[start + 1..end];
        let (name, greedy) = match label.strip_suffix('+') {
            Some(name) => (name, true),
            None => (label, false),
        };
        let value = bindings
            .labels
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
            .ok_or_else(|| SerializeError::MissingUriLabel {
                label: name.to_string(),
                uri: template.to_string(),
            })?;
        let set = if greedy {
            UNRESERVED_AND_SLASH
        } else {
            UNRESERVED
        };
        rendered.push_str(&utf8_percent_encode(value, set).to_string());
        rest = &rest[end + 1..];
    }
    rendered.push_str(rest);
    let query = encoded_query(&bindings.query);
    if !query.is_empty() {
        rendered.push(if rendered.contains('?') { '&' } else { '?' });
        rendered.push_str(&query);
    }
    Ok(rendered)
}

fn encoded_query(pairs: &[(String, String, bool)]) -> String {
    let explicit = |key: &str| pairs.iter().any(|(k, _, from_map)| !from_map && k == key);
    pairs
        .iter()
        .filter(|(key, _, from_map)| !from_map || !explicit(key))
        .map(|(key, value, _)| format!("{}={}", percent_encode(key), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Members bound to headers, header maps and the status code, read from a response.
pub(crate) fn decode_bound_members(
    model: &ServiceModel,
    shape: &Shape,
    response: &HttpResponse,
) -> Map<String, Value> {
    let mut decoded = Map::new();
    for (name, member) in &shape.members {
        let value = match member.serialization.location {
            Some(Location::StatusCode) => Some(Value::from(response.status)),
            Some(Location::Header) => response
                .header(wire_name(name, member))
                .and_then(|text| decode_header(model, member, text)),
            Some(Location::Headers) => Some(decode_header_map(member, response)),
            _ => None,
        };
        if let Some(value) = value {
            decoded.insert(name.clone(), value);
        }
    }
    decoded
}

fn decode_header_map(member: &MemberRef, response: &HttpResponse) -> Value {
    let prefix = member
        .serialization
        .name
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let entries = response
        .headers
        .iter()
        .filter(|(name, _)| name.to_ascii_lowercase().starts_with(&prefix))
        .map(|(name, value)| {
            (
                name[prefix.len()..].to_string(),
                Value::String(value.clone()),
            )
        })
        .collect();
    Value::Object(entries)
}

/// A header's text as the member's type.
fn decode_header(model: &ServiceModel, member: &MemberRef, text: &str) -> Option<Value> {
    let shape = common::target(model, member).ok()?;
    if member.serialization.json_value {
        let decoded = common::base64_decode(text)?;
        return serde_json::from_slice(&decoded).ok();
    }
    if shape.shape_type != ShapeType::List {
        return Some(decode_header_scalar(shape.shape_type, text.trim()));
    }
    let item_ref = shape.member.as_deref()?;
    let item_shape = common::target(model, item_ref).ok()?;
    let http_dates = item_shape.shape_type == ShapeType::Timestamp
        && item_ref
            .serialization
            .timestamp_format
            .unwrap_or(TimestampFormat::Rfc822)
            == TimestampFormat::Rfc822;
    let items = split_header_list(text, http_dates);
    Some(Value::Array(
        items
            .iter()
            .map(|item| decode_header_scalar(item_shape.shape_type, item))
            .collect(),
    ))
}

fn decode_header_scalar(shape_type: ShapeType, text: &str) -> Value {
    match shape_type {
        ShapeType::Boolean => Value::Bool(text.eq_ignore_ascii_case("true")),
        kind if kind.is_integral() => text
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(text.to_string())),
        kind if kind.is_floating() => text
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .and_then(Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(text.to_string())),
        ShapeType::Timestamp => timestamp::parse_text(text)
            .map(|time| Value::String(timestamp::to_output(&time)))
            .unwrap_or_else(|| Value::String(text.to_string())),
        _ => Value::String(text.to_string()),
    }
}

/// Splits a list header on commas outside quotes; HTTP dates contain a comma themselves, so a
/// list of them splits on every other comma.
fn split_header_list(text: &str, http_dates: bool) -> Vec<String> {
    if http_dates {
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        return parts.chunks(2).map(|pair| pair.join(", ")).collect();
    }
    let mut items = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_quotes => current.extend(chars.next()),
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => items.push(std::mem::take(&mut current).trim().to_string()),
            c => current.push(c),
        }
    }
    items.push(current.trim().to_string());
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lists_split_on_unquoted_commas() {
        assert_eq!(
            split_header_list(r#"a, "b,c", "say \"hi\"""#, false),
            vec!["a", "b,c", "say \"hi\""]
        );
        assert_eq!(
            split_header_list(
                "Mon, 16 Dec 2019 23:48:18 GMT, Tue, 17 Dec 2019 23:48:18 GMT",
                true
            ),
            vec![
                "Mon, 16 Dec 2019 23:48:18 GMT",
                "Tue, 17 Dec 2019 23:48:18 GMT"
            ]
        );
    }

    #[test]
    fn header_items_with_commas_are_quoted() {
        assert_eq!(quote_header_item("plain"), "plain");
        assert_eq!(quote_header_item("a,b"), "\"a,b\"");
        assert_eq!(quote_header_item("say \"x\""), "\"say \\\"x\\\"\"");
    }

    #[test]
    fn explicit_query_members_win_over_map_entries() {
        let pairs = vec![
            ("bar".to_string(), "named".to_string(), false),
            ("bar".to_string(), "from map".to_string(), true),
            ("baz".to_string(), "a b".to_string(), true),
        ];
        assert_eq!(encoded_query(&pairs), "bar=named&baz=a%20b");
    }
}
