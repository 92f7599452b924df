//! XML for the `query`, `ec2` and `rest-xml` protocols: a small element writer, and reading a
//! response's elements into values by shape (flattened or wrapped lists and maps, attributes,
//! namespaces ignored as botocore ignores them).

use roxmltree::Node;
use serde_json::{Map, Number, Value};

use super::common;
use super::timestamp;
use crate::aws::model::{Location, MemberRef, ServiceModel, Shape, ShapeType};

/// An element being written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub text: Option<String>,
    pub children: Vec<Element>,
}

impl Element {
    pub fn new(name: impl Into<String>) -> Element {
        Element {
            name: name.into(),
            ..Element::default()
        }
    }

    /// The element as XML text, without a declaration or any whitespace between elements.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        for (name, value) in &self.attributes {
            out.push_str(&format!(" {name}=\"{}\"", escape(value, true)));
        }
        out.push('>');
        if let Some(text) = &self.text {
            out.push_str(&escape(text, false));
        }
        for child in &self.children {
            child.render_into(out);
        }
        out.push_str(&format!("</{}>", self.name));
    }
}

/// Escapes text for element content or (with quotes and line breaks) attribute values.
pub fn escape(text: &str, attribute: bool) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' if attribute => escaped.push_str("&quot;"),
            '\n' if attribute => escaped.push_str("&#10;"),
            '\r' => escaped.push_str("&#13;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The element children of a node.
pub fn child_elements<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(Node::is_element)
}

/// The first element child with this local name.
pub fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    child_elements(node).find(|child| child.tag_name().name() == name)
}

/// The text of an element (empty when it has none).
pub fn text<'a>(node: Node<'a, '_>) -> &'a str {
    node.text().unwrap_or("")
}

/// The text of the first element with this local name anywhere under `node` (or `node` itself).
pub fn descendant_text(node: Node<'_, '_>, name: &str) -> Option<String> {
    node.descendants()
        .find(|n| n.is_element() && n.tag_name().name() == name)
        .map(|n| text(n).to_string())
}

/// The names under which a member's elements may appear in its parent, most likely first.
/// botocore names a flattened list's elements after the list's item (`member.locationName`);
/// Smithy after the member itself. Responses are read either way.
fn member_element_names<'a>(
    model: &'a ServiceModel,
    member_name: &'a str,
    member: &'a MemberRef,
) -> Vec<&'a str> {
    let mut names = Vec::with_capacity(2);
    if member.serialization.flattened {
        let list_item_name = model
            .shape(&member.shape)
            .filter(|shape| shape.shape_type == ShapeType::List)
            .and_then(|shape| shape.member.as_deref())
            .and_then(|item| item.serialization.name.as_deref());
        names.extend(list_item_name);
    }
    names.push(common::wire_name(member_name, member));
    names
}

/// Reads a structure's members from its element (members bound to headers or the status code
/// are skipped; the caller reads them).
pub fn decode_structure(
    model: &ServiceModel,
    shape: &Shape,
    node: Node<'_, '_>,
) -> Map<String, Value> {
    let set: Vec<&str> = child_elements(node)
        .map(|child| child.tag_name().name())
        .collect();
    let known = |tag: &str| {
        shape
            .members
            .iter()
            .any(|(name, member)| member_element_names(model, name, member).contains(&tag))
    };
    if let Some(unknown) = common::unknown_union_member(shape, set, &known) {
        return unknown;
    }
    let mut decoded = Map::new();
    for (name, member) in &shape.members {
        if matches!(
            member.serialization.location,
            Some(Location::Header | Location::Headers | Location::StatusCode)
        ) {
            continue;
        }
        let element_names = member_element_names(model, name, member);
        let nodes: Vec<Node> = element_names
            .iter()
            .map(|element_name| {
                child_elements(node)
                    .filter(|child| child.tag_name().name() == *element_name)
                    .collect::<Vec<Node>>()
            })
            .find(|nodes| !nodes.is_empty())
            .unwrap_or_default();
        let element_name = common::wire_name(name, member);
        if !nodes.is_empty() {
            decoded.insert(name.clone(), decode(model, member, &nodes));
        } else if member.serialization.xml_attribute {
            if let Some(value) = attribute(node, element_name) {
                decoded.insert(name.clone(), Value::String(value.to_string()));
            }
        }
    }
    decoded
}

/// An attribute by its (possibly prefixed, like `xsi:type`) name.
fn attribute<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    let local = name.rsplit(':').next().unwrap_or(name);
    node.attributes()
        .find(|attr| attr.name() == local)
        .map(|attr| attr.value())
}

/// Reads the elements matched for a member (several only for flattened lists and maps).
pub fn decode(model: &ServiceModel, member: &MemberRef, nodes: &[Node<'_, '_>]) -> Value {
    let Some(first) = nodes.first().copied() else {
        return Value::Null;
    };
    let Some(shape) = model.shape(&member.shape) else {
        return Value::String(text(first).to_string());
    };
    match shape.shape_type {
        ShapeType::Structure => Value::Object(decode_structure(model, shape, first)),
        ShapeType::List => {
            let Some(item_ref) = shape.member.as_deref() else {
                return Value::Array(Vec::new());
            };
            let items: Vec<Node> = if member.serialization.flattened {
                nodes.to_vec()
            } else {
                child_elements(first).collect()
            };
            Value::Array(
                items
                    .iter()
                    .map(|item| decode(model, item_ref, std::slice::from_ref(item)))
                    .collect(),
            )
        }
        ShapeType::Map => decode_map(model, shape, member.serialization.flattened, nodes),
        scalar => decode_scalar(scalar, text(first)),
    }
}

fn decode_map(
    model: &ServiceModel,
    shape: &Shape,
    flattened: bool,
    nodes: &[Node<'_, '_>],
) -> Value {
    let (Some(key_ref), Some(value_ref)) = (shape.key.as_deref(), shape.value.as_deref()) else {
        return Value::Object(Map::new());
    };
    let key_name = key_ref.serialization.name.as_deref().unwrap_or("key");
    let value_name = value_ref.serialization.name.as_deref().unwrap_or("value");
    let entries: Vec<Node> = if flattened {
        nodes.to_vec()
    } else {
        nodes
            .first()
            .map(|wrapper| child_elements(*wrapper).collect())
            .unwrap_or_default()
    };
    let mut decoded = Map::new();
    for entry in entries {
        let Some(key) = child(entry, key_name) else {
            continue;
        };
        let value = child(entry, value_name)
            .map(|value| decode(model, value_ref, &[value]))
            .unwrap_or(Value::Null);
        decoded.insert(text(key).to_string(), value);
    }
    Value::Object(decoded)
}

/// A scalar element's text as the shape's type.
pub fn decode_scalar(shape_type: ShapeType, text: &str) -> Value {
    match shape_type {
        ShapeType::Boolean => Value::Bool(text.trim() == "true"),
        kind if kind.is_integral() => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(text.to_string())),
        kind if kind.is_floating() => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(text.trim().to_string())),
        ShapeType::Timestamp => timestamp::parse_text(text)
            .map(|time| Value::String(timestamp::to_output(&time)))
            .unwrap_or_else(|| Value::String(text.to_string())),
        ShapeType::Blob => Value::String(text.split_whitespace().collect()),
        _ => Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_escaped_text_and_attributes() {
        let mut root = Element::new("Root");
        root.attributes
            .push(("xmlns".into(), "https://example.com/\"x\"".into()));
        let mut child = Element::new("A");
        child.text = Some("1 < 2 & 3".into());
        root.children.push(child);
        root.children.push(Element::new("Empty"));
        assert_eq!(
            root.render(),
            "<Root xmlns=\"https://example.com/&quot;x&quot;\"><A>1 &lt; 2 &amp; 3</A><Empty></Empty></Root>"
        );
    }

    #[test]
    fn scalars_follow_output_conventions() {
        assert_eq!(decode_scalar(ShapeType::Integer, "42"), Value::from(42));
        assert_eq!(decode_scalar(ShapeType::Double, "NaN"), Value::from("NaN"));
        assert_eq!(decode_scalar(ShapeType::Double, "1.5"), Value::from(1.5));
        assert_eq!(decode_scalar(ShapeType::Boolean, "true"), Value::Bool(true));
        assert_eq!(
            decode_scalar(ShapeType::Timestamp, "Tue, 29 Apr 2014 18:30:38 GMT"),
            Value::from("2014-04-29T18:30:38Z")
        );
    }
}
