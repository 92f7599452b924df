//! Botocore-format service models (`service-2.json`): metadata, operations and shapes.
//!
//! Members are resolved the way botocore resolves them: a member's serialization traits
//! (`location`, `locationName`, `flattened`, `timestampFormat`, ...) are laid over those of the
//! shape it targets, so the protocol code reads one merged [`Serialization`] per member.

use serde_json::{Map, Value};

/// Why a service model could not be loaded or used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
    #[error("invalid service model at {path}: {message}")]
    Invalid { path: String, message: String },
    #[error(
        "unsupported protocol(s) {protocols:?}: gapfill supports json, rest-json, rest-xml, query, \
         ec2 and smithy-rpc-v2-cbor"
    )]
    UnsupportedProtocol { protocols: Vec<String> },
}

fn invalid(path: impl Into<String>, message: impl Into<String>) -> ModelError {
    ModelError::Invalid {
        path: path.into(),
        message: message.into(),
    }
}

/// The wire protocol of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Json,
    RestJson,
    RestXml,
    Query,
    Ec2,
    SmithyRpcV2Cbor,
}

impl Protocol {
    /// Preference order when a model lists several protocols. CBOR comes last because gapfill
    /// serializes it for no service that also offers a text protocol.
    const PRIORITY: [Protocol; 6] = [
        Protocol::Json,
        Protocol::RestJson,
        Protocol::RestXml,
        Protocol::Query,
        Protocol::Ec2,
        Protocol::SmithyRpcV2Cbor,
    ];

    /// The protocol named as in `metadata.protocol(s)`.
    pub fn from_name(name: &str) -> Option<Protocol> {
        Protocol::PRIORITY.into_iter().find(|p| p.name() == name)
    }

    /// The name used in `metadata.protocol(s)`.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Json => "json",
            Protocol::RestJson => "rest-json",
            Protocol::RestXml => "rest-xml",
            Protocol::Query => "query",
            Protocol::Ec2 => "ec2",
            Protocol::SmithyRpcV2Cbor => "smithy-rpc-v2-cbor",
        }
    }
}

/// The service-wide `metadata` block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    pub protocol: Option<String>,
    pub protocols: Vec<String>,
    pub api_version: String,
    pub json_version: Option<String>,
    pub target_prefix: Option<String>,
    pub signing_name: Option<String>,
    pub endpoint_prefix: Option<String>,
    pub service_id: Option<String>,
    pub global_endpoint: Option<String>,
    pub aws_query_compatible: bool,
    pub xml_namespace: Option<String>,
    pub signature_version: Option<String>,
    /// `metadata.auth` (for example `["aws.auth#sigv4"]`), empty when absent.
    pub auth: Vec<String>,
}

/// Where a member is bound in an HTTP message (absent: the body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Uri,
    Querystring,
    Header,
    /// A map of headers sharing the prefix in `Serialization::name`.
    Headers,
    StatusCode,
}

/// How timestamps are written (`timestampFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampFormat {
    Iso8601,
    Rfc822,
    UnixTimestamp,
}

/// An `xmlNamespace` trait: a bare URI, or a URI with a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlNamespace {
    pub prefix: Option<String>,
    pub uri: String,
}

/// The serialization traits of a shape, or of a member merged over its target shape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Serialization {
    pub location: Option<Location>,
    /// `locationName`: the wire name (header name, query key, XML element, JSON key).
    pub name: Option<String>,
    /// `queryName` (ec2 only).
    pub query_name: Option<String>,
    pub flattened: bool,
    pub xml_namespace: Option<XmlNamespace>,
    pub xml_attribute: bool,
    pub timestamp_format: Option<TimestampFormat>,
    /// `jsonvalue`: a string member holding JSON, sent base64-encoded in a header.
    pub json_value: bool,
    pub host_label: bool,
    pub idempotency_token: bool,
    pub streaming: bool,
    pub event_stream: bool,
    /// For structures: the member sent as the whole body.
    pub payload: Option<String>,
    /// For query outputs: the element wrapping the result.
    pub result_wrapper: Option<String>,
}

/// The type of a shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeType {
    Structure,
    List,
    Map,
    String,
    Integer,
    Long,
    Short,
    Byte,
    Boolean,
    Float,
    Double,
    BigDecimal,
    BigInteger,
    Timestamp,
    Blob,
    Character,
}

impl ShapeType {
    fn from_name(name: &str) -> Option<ShapeType> {
        Some(match name {
            "structure" => ShapeType::Structure,
            "list" => ShapeType::List,
            "map" => ShapeType::Map,
            "string" => ShapeType::String,
            "integer" => ShapeType::Integer,
            "long" => ShapeType::Long,
            "short" => ShapeType::Short,
            "byte" => ShapeType::Byte,
            "boolean" => ShapeType::Boolean,
            "float" => ShapeType::Float,
            "double" => ShapeType::Double,
            "bigdecimal" => ShapeType::BigDecimal,
            "biginteger" => ShapeType::BigInteger,
            "timestamp" => ShapeType::Timestamp,
            "blob" => ShapeType::Blob,
            "character" => ShapeType::Character,
            _ => return None,
        })
    }

    /// The name as in service models.
    pub fn name(self) -> &'static str {
        match self {
            ShapeType::Structure => "structure",
            ShapeType::List => "list",
            ShapeType::Map => "map",
            ShapeType::String => "string",
            ShapeType::Integer => "integer",
            ShapeType::Long => "long",
            ShapeType::Short => "short",
            ShapeType::Byte => "byte",
            ShapeType::Boolean => "boolean",
            ShapeType::Float => "float",
            ShapeType::Double => "double",
            ShapeType::BigDecimal => "bigdecimal",
            ShapeType::BigInteger => "biginteger",
            ShapeType::Timestamp => "timestamp",
            ShapeType::Blob => "blob",
            ShapeType::Character => "character",
        }
    }

    /// Whole-number types.
    pub fn is_integral(self) -> bool {
        matches!(
            self,
            ShapeType::Integer
                | ShapeType::Long
                | ShapeType::Short
                | ShapeType::Byte
                | ShapeType::BigInteger
        )
    }

    /// Floating-point types (which accept "NaN", "Infinity", "-Infinity").
    pub fn is_floating(self) -> bool {
        matches!(
            self,
            ShapeType::Float | ShapeType::Double | ShapeType::BigDecimal
        )
    }
}

/// A reference to a shape from a structure member, list member, map key/value or an
/// operation's input/output, with the merged serialization traits.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRef {
    /// The target shape's name.
    pub shape: String,
    pub serialization: Serialization,
    /// Whether the member is deprecated (skeletons leave it out).
    pub deprecated: bool,
}

/// A named shape of the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub name: String,
    pub shape_type: ShapeType,
    /// Structure members in model order.
    pub members: Vec<(String, MemberRef)>,
    pub required: Vec<String>,
    /// List member.
    pub member: Option<Box<MemberRef>>,
    /// Map key and value.
    pub key: Option<Box<MemberRef>>,
    pub value: Option<Box<MemberRef>>,
    pub serialization: Serialization,
    pub enum_values: Vec<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub pattern: Option<String>,
    pub exception: bool,
    /// The `error.code` of an exception shape, when it differs from the shape name.
    pub error_code: Option<String>,
    pub error_status: Option<u16>,
    /// A document type (free-form JSON).
    pub document: bool,
    /// A tagged union: exactly one member is set.
    pub union: bool,
    pub sensitive: bool,
}

impl Shape {
    /// The structure member with this name.
    pub fn member_named(&self, name: &str) -> Option<&MemberRef> {
        self.members
            .iter()
            .find(|(member, _)| member == name)
            .map(|(_, member_ref)| member_ref)
    }
}

/// One operation of the service.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub name: String,
    pub http_method: String,
    pub request_uri: String,
    pub response_code: Option<u16>,
    pub input: Option<MemberRef>,
    pub output: Option<MemberRef>,
    /// Names of the modelled error shapes.
    pub errors: Vec<String>,
    /// `endpoint.hostPrefix`, with `{Label}` placeholders.
    pub host_prefix: Option<String>,
    pub http_checksum_required: bool,
    /// `httpChecksum.requestChecksumRequired`.
    pub request_checksum_required: bool,
    pub authtype: Option<String>,
    /// `auth` on the operation (for example `["smithy.api#noAuth"]`), empty when absent.
    pub auth: Vec<String>,
    pub idempotent: bool,
    pub deprecated: bool,
}

/// A parsed service model.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceModel {
    metadata: Metadata,
    operations: Vec<Operation>,
    shapes: std::collections::HashMap<String, Shape>,
}

impl ServiceModel {
    /// Parses a botocore `service-2.json` document (or a protocol-test suite assembled as
    /// `{"metadata", "shapes", "operations": {name: given}}`).
    pub fn from_json(doc: &Value) -> Result<ServiceModel, ModelError> {
        let root = doc
            .as_object()
            .ok_or_else(|| invalid("", "expected a json object"))?;
        let metadata = parse_metadata(object_at(root, "metadata", "metadata")?)?;
        let raw_shapes = object_at(root, "shapes", "shapes")?;
        let shapes = parse_shapes(raw_shapes)?;
        let mut operations = Vec::new();
        if let Some(ops) = root.get("operations") {
            let ops = ops
                .as_object()
                .ok_or_else(|| invalid("operations", "expected an object"))?;
            for (name, op) in ops {
                operations.push(parse_operation(name, op, raw_shapes)?);
            }
        }
        Ok(ServiceModel {
            metadata,
            operations,
            shapes,
        })
    }

    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The protocol to speak: the first supported entry of `metadata.protocols` in priority
    /// order, else `metadata.protocol`.
    pub fn protocol(&self) -> Result<Protocol, ModelError> {
        let metadata = &self.metadata;
        if !metadata.protocols.is_empty() {
            return Protocol::PRIORITY
                .into_iter()
                .find(|p| metadata.protocols.iter().any(|name| name == p.name()))
                .ok_or_else(|| ModelError::UnsupportedProtocol {
                    protocols: metadata.protocols.clone(),
                });
        }
        let name = metadata.protocol.clone().unwrap_or_default();
        Protocol::from_name(&name).ok_or(ModelError::UnsupportedProtocol {
            protocols: vec![name],
        })
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.iter().find(|op| op.name == name)
    }

    pub fn operation_names(&self) -> impl Iterator<Item = &str> {
        self.operations.iter().map(|op| op.name.as_str())
    }

    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    /// The exception shape for an error code: a modelled error of the operation whose name or
    /// `error.code` matches, else any exception shape of the service that does.
    pub fn error_shape(&self, op: &Operation, code: &str) -> Option<&Shape> {
        let matches = |shape: &&Shape| {
            shape.exception && (shape.name == code || shape.error_code.as_deref() == Some(code))
        };
        op.errors
            .iter()
            .filter_map(|name| self.shape(name))
            .find(matches)
            .or_else(|| {
                let mut candidates: Vec<&Shape> = self.shapes.values().filter(matches).collect();
                candidates.sort_by(|a, b| a.name.cmp(&b.name));
                candidates.into_iter().next()
            })
    }

    /// An input template, to start an input from: every member with a placeholder of its
    /// type (recursive shapes are cut off with an empty object).
    pub fn skeleton(&self, shape_name: &str) -> Value {
        let mut visiting = Vec::new();
        self.skeleton_of(shape_name, &mut visiting)
    }

    fn skeleton_of(&self, shape_name: &str, visiting: &mut Vec<String>) -> Value {
        let Some(shape) = self.shape(shape_name) else {
            return Value::Null;
        };
        if visiting.iter().any(|name| name == shape_name) {
            return Value::Object(Map::new());
        }
        visiting.push(shape_name.to_string());
        let value = match shape.shape_type {
            ShapeType::Structure if shape.document => Value::Object(Map::new()),
            ShapeType::Structure => Value::Object(
                shape
                    .members
                    .iter()
                    .filter(|(_, member)| !member.deprecated)
                    .map(|(name, member)| (name.clone(), self.skeleton_of(&member.shape, visiting)))
                    .collect(),
            ),
            ShapeType::List => {
                let item = shape
                    .member
                    .as_ref()
                    .map(|member| self.skeleton_of(&member.shape, visiting))
                    .unwrap_or(Value::Null);
                Value::Array(vec![item])
            }
            ShapeType::Map => {
                let item = shape
                    .value
                    .as_ref()
                    .map(|value| self.skeleton_of(&value.shape, visiting))
                    .unwrap_or(Value::Null);
                let mut map = Map::new();
                map.insert("KeyName".to_string(), item);
                Value::Object(map)
            }
            ShapeType::String | ShapeType::Character => match shape.enum_values.as_slice() {
                [] => Value::String(String::new()),
                values => Value::String(values.join("|")),
            },
            ShapeType::Boolean => Value::Bool(true),
            ShapeType::Timestamp => Value::String("1970-01-01T00:00:00Z".to_string()),
            ShapeType::Blob => Value::String(String::new()),
            ShapeType::Float | ShapeType::Double | ShapeType::BigDecimal => Value::from(0.0),
            _ => Value::from(0),
        };
        visiting.pop();
        value
    }
}

fn object_at<'a>(
    parent: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a Map<String, Value>, ModelError> {
    parent
        .get(key)
        .and_then(Value::as_object)
        .ok_or_else(|| invalid(path, "expected an object"))
}

fn string_at(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key).and_then(Value::as_str).map(str::to_string)
}

fn bool_at(obj: &Map<String, Value>, key: &str) -> bool {
    obj.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn strings_at(obj: &Map<String, Value>, key: &str) -> Vec<String> {
    obj.get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn parse_metadata(obj: &Map<String, Value>) -> Result<Metadata, ModelError> {
    Ok(Metadata {
        protocol: string_at(obj, "protocol"),
        protocols: strings_at(obj, "protocols"),
        api_version: string_at(obj, "apiVersion").unwrap_or_default(),
        json_version: string_at(obj, "jsonVersion"),
        target_prefix: string_at(obj, "targetPrefix"),
        signing_name: string_at(obj, "signingName"),
        endpoint_prefix: string_at(obj, "endpointPrefix"),
        service_id: string_at(obj, "serviceId"),
        global_endpoint: string_at(obj, "globalEndpoint"),
        // The trait is an object (`{}`) in service models; its presence is what matters.
        aws_query_compatible: obj.contains_key("awsQueryCompatible"),
        xml_namespace: string_at(obj, "xmlNamespace").or_else(|| {
            obj.get("xmlNamespace")
                .and_then(|ns| ns.get("uri"))
                .and_then(Value::as_str)
                .map(str::to_string)
        }),
        signature_version: string_at(obj, "signatureVersion"),
        auth: strings_at(obj, "auth"),
    })
}

fn parse_shapes(
    shapes: &Map<String, Value>,
) -> Result<std::collections::HashMap<String, Shape>, ModelError> {
    let mut parsed = std::collections::HashMap::new();
    for (name, shape) in shapes {
        let path = format!("shapes.{name}");
        let obj = shape
            .as_object()
            .ok_or_else(|| invalid(&path, "expected an object"))?;
        parsed.insert(name.clone(), parse_shape(name, obj, shapes, &path)?);
    }
    Ok(parsed)
}

fn parse_shape(
    name: &str,
    obj: &Map<String, Value>,
    shapes: &Map<String, Value>,
    path: &str,
) -> Result<Shape, ModelError> {
    let type_name = string_at(obj, "type").unwrap_or_default();
    let shape_type = ShapeType::from_name(&type_name)
        .ok_or_else(|| invalid(path, format!("unknown shape type {type_name:?}")))?;
    let mut members = Vec::new();
    if let Some(member_map) = obj.get("members").and_then(Value::as_object) {
        for (member_name, member) in member_map {
            let member_path = format!("{path}.members.{member_name}");
            members.push((
                member_name.clone(),
                parse_member_ref(member, shapes, &member_path)?,
            ));
        }
    }
    let child = |key: &str| -> Result<Option<Box<MemberRef>>, ModelError> {
        obj.get(key)
            .map(|value| parse_member_ref(value, shapes, &format!("{path}.{key}")).map(Box::new))
            .transpose()
    };
    let error = obj.get("error").and_then(Value::as_object);
    Ok(Shape {
        name: name.to_string(),
        shape_type,
        members,
        required: strings_at(obj, "required"),
        member: child("member")?,
        key: child("key")?,
        value: child("value")?,
        serialization: parse_serialization(obj),
        enum_values: strings_at(obj, "enum"),
        min: obj.get("min").and_then(Value::as_f64),
        max: obj.get("max").and_then(Value::as_f64),
        pattern: string_at(obj, "pattern"),
        exception: bool_at(obj, "exception"),
        error_code: error.and_then(|e| string_at(e, "code")),
        error_status: error
            .and_then(|e| e.get("httpStatusCode"))
            .and_then(Value::as_u64)
            .and_then(|status| u16::try_from(status).ok()),
        document: bool_at(obj, "document"),
        union: bool_at(obj, "union"),
        sensitive: bool_at(obj, "sensitive"),
    })
}

/// Resolves a `{"shape": ..., traits...}` reference: the member's traits overlay the target's.
fn parse_member_ref(
    value: &Value,
    shapes: &Map<String, Value>,
    path: &str,
) -> Result<MemberRef, ModelError> {
    let obj = value
        .as_object()
        .ok_or_else(|| invalid(path, "expected an object"))?;
    let target = string_at(obj, "shape").ok_or_else(|| invalid(path, "missing \"shape\""))?;
    let target_obj = shapes
        .get(&target)
        .and_then(Value::as_object)
        .ok_or_else(|| invalid(path, format!("unknown shape {target:?}")))?;
    let mut merged = target_obj.clone();
    for (key, trait_value) in obj {
        if key != "shape" && key != "documentation" {
            merged.insert(key.clone(), trait_value.clone());
        }
    }
    Ok(MemberRef {
        shape: target,
        serialization: parse_serialization(&merged),
        deprecated: bool_at(obj, "deprecated"),
    })
}

fn parse_serialization(obj: &Map<String, Value>) -> Serialization {
    let location = obj.get("location").and_then(Value::as_str).and_then(|loc| {
        Some(match loc {
            "uri" => Location::Uri,
            "querystring" => Location::Querystring,
            "header" => Location::Header,
            "headers" => Location::Headers,
            "statusCode" => Location::StatusCode,
            _ => return None,
        })
    });
    let timestamp_format = obj
        .get("timestampFormat")
        .and_then(Value::as_str)
        .and_then(|format| match format.to_ascii_lowercase().as_str() {
            "iso8601" => Some(TimestampFormat::Iso8601),
            "rfc822" => Some(TimestampFormat::Rfc822),
            "unixtimestamp" => Some(TimestampFormat::UnixTimestamp),
            _ => None,
        });
    Serialization {
        location,
        name: string_at(obj, "locationName"),
        query_name: string_at(obj, "queryName"),
        flattened: bool_at(obj, "flattened"),
        xml_namespace: obj.get("xmlNamespace").and_then(parse_xml_namespace),
        xml_attribute: bool_at(obj, "xmlAttribute"),
        timestamp_format,
        json_value: bool_at(obj, "jsonvalue"),
        host_label: bool_at(obj, "hostLabel"),
        idempotency_token: bool_at(obj, "idempotencyToken"),
        streaming: bool_at(obj, "streaming"),
        event_stream: bool_at(obj, "eventstream"),
        payload: string_at(obj, "payload"),
        result_wrapper: string_at(obj, "resultWrapper"),
    }
}

fn parse_xml_namespace(value: &Value) -> Option<XmlNamespace> {
    match value {
        Value::String(uri) => Some(XmlNamespace {
            prefix: None,
            uri: uri.clone(),
        }),
        Value::Object(obj) => Some(XmlNamespace {
            prefix: string_at(obj, "prefix").filter(|prefix| !prefix.is_empty()),
            uri: string_at(obj, "uri")?,
        }),
        _ => None,
    }
}

fn parse_operation(
    name: &str,
    value: &Value,
    shapes: &Map<String, Value>,
) -> Result<Operation, ModelError> {
    let path = format!("operations.{name}");
    let obj = value
        .as_object()
        .ok_or_else(|| invalid(&path, "expected an object"))?;
    let http = obj.get("http").and_then(Value::as_object);
    let http_string = |key: &str| http.and_then(|h| string_at(h, key));
    let shape_ref = |key: &str| -> Result<Option<MemberRef>, ModelError> {
        obj.get(key)
            .map(|value| parse_member_ref(value, shapes, &format!("{path}.{key}")))
            .transpose()
    };
    let errors = obj
        .get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e.get("shape").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok(Operation {
        // The key, not the `name` field: CloudFront's `ListDistributions` is named
        // `ListDistributions2020_05_31` inside, and botocore calls and targets it by its key.
        name: name.to_string(),
        http_method: http_string("method").unwrap_or_else(|| "POST".to_string()),
        request_uri: http_string("requestUri").unwrap_or_else(|| "/".to_string()),
        response_code: http
            .and_then(|h| h.get("responseCode"))
            .and_then(Value::as_u64)
            .and_then(|code| u16::try_from(code).ok()),
        input: shape_ref("input")?,
        output: shape_ref("output")?,
        errors,
        host_prefix: obj
            .get("endpoint")
            .and_then(|endpoint| endpoint.get("hostPrefix"))
            .and_then(Value::as_str)
            .map(str::to_string),
        http_checksum_required: bool_at(obj, "httpChecksumRequired"),
        request_checksum_required: obj
            .get("httpChecksum")
            .and_then(|checksum| checksum.get("requestChecksumRequired"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        authtype: string_at(obj, "authtype"),
        auth: strings_at(obj, "auth"),
        idempotent: bool_at(obj, "idempotent"),
        deprecated: bool_at(obj, "deprecated"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model_with(metadata: Value) -> ServiceModel {
        ServiceModel::from_json(&json!({"metadata": metadata, "shapes": {}})).unwrap()
    }

    #[test]
    fn protocol_prefers_json_family_over_query_and_cbor() {
        let model = model_with(json!({"protocols": ["smithy-rpc-v2-cbor", "query", "json"]}));
        assert_eq!(model.protocol(), Ok(Protocol::Json));
        let model = model_with(json!({"protocols": ["smithy-rpc-v2-cbor", "query"]}));
        assert_eq!(model.protocol(), Ok(Protocol::Query));
        let model = model_with(json!({"protocols": ["smithy-rpc-v2-cbor"]}));
        assert_eq!(model.protocol(), Ok(Protocol::SmithyRpcV2Cbor));
    }

    #[test]
    fn protocol_falls_back_to_legacy_field_and_rejects_unknown() {
        let model = model_with(json!({"protocol": "rest-xml"}));
        assert_eq!(model.protocol(), Ok(Protocol::RestXml));
        let model = model_with(json!({"protocols": ["carrier-pigeon"]}));
        assert!(matches!(
            model.protocol(),
            Err(ModelError::UnsupportedProtocol { .. })
        ));
    }

    #[test]
    fn member_traits_overlay_target_shape() {
        let model = ServiceModel::from_json(&json!({
            "metadata": {"protocol": "rest-json"},
            "shapes": {
                "In": {"type": "structure", "members": {
                    "When": {"shape": "Ts", "location": "header", "locationName": "X-When"}}},
                "Ts": {"type": "timestamp", "timestampFormat": "iso8601"}
            },
            "operations": {"Op": {"name": "Op", "http": {"method": "PUT", "requestUri": "/x"},
                                  "input": {"shape": "In"}}}
        }))
        .unwrap();
        let op = model.operation("Op").unwrap();
        assert_eq!(op.http_method, "PUT");
        let shape = model.shape(&op.input.as_ref().unwrap().shape).unwrap();
        let when = shape.member_named("When").unwrap();
        assert_eq!(when.serialization.location, Some(Location::Header));
        assert_eq!(when.serialization.name.as_deref(), Some("X-When"));
        assert_eq!(
            when.serialization.timestamp_format,
            Some(TimestampFormat::Iso8601)
        );
    }

    #[test]
    fn unknown_shape_reference_names_its_path() {
        let err = ServiceModel::from_json(&json!({
            "metadata": {},
            "shapes": {"In": {"type": "structure", "members": {"A": {"shape": "Nope"}}}}
        }))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid service model at shapes.In.members.A: unknown shape \"Nope\""
        );
    }

    #[test]
    fn skeleton_fills_placeholders_and_cuts_recursion() {
        let model = ServiceModel::from_json(&json!({
            "metadata": {},
            "shapes": {
                "Node": {"type": "structure", "members": {
                    "Name": {"shape": "S"}, "Kids": {"shape": "Nodes"}, "Mode": {"shape": "E"}}},
                "Nodes": {"type": "list", "member": {"shape": "Node"}},
                "S": {"type": "string"},
                "E": {"type": "string", "enum": ["a", "b"]}
            }
        }))
        .unwrap();
        assert_eq!(
            model.skeleton("Node"),
            json!({"Name": "", "Kids": [{}], "Mode": "a|b"})
        );
    }
}
