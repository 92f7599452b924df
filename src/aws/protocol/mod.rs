//! The wire protocols of AWS services: turning an operation's input into an [`HttpRequest`],
//! and a service's [`HttpResponse`] into the operation's output or an [`ApiError`].
//!
//! Values follow the client's conventions (see the crate docs of `aws`): inputs accept epoch
//! seconds or ISO 8601 for timestamps and plain strings for blobs; outputs carry timestamps as
//! ISO 8601 UTC strings and blobs as base64. One module per protocol family:
//!
//! | protocol | module |
//! |---|---|
//! | `json` (1.0, 1.1, awsQueryCompatible) | [`json`] |
//! | `rest-json` | [`rest_json`] over the shared HTTP bindings in [`rest`] |
//! | `rest-xml` | [`rest_xml`] over [`rest`] and [`xml`] |
//! | `query`, `ec2` | [`query`] over [`xml`] |
//!
//! The serializer leaves Host, Content-Length, User-Agent and auth headers to later layers.

// `ApiError` is the documented error type of `parse_response` (the other layers match on its
// fields); it is built once per failed call, so its size does not matter.
#![allow(clippy::result_large_err)]

mod common;
mod error;
pub mod json;
pub mod query;
pub mod rest;
pub mod rest_json;
pub mod rest_xml;
pub mod timestamp;
pub mod xml;

#[cfg(test)]
mod tests;

pub use error::{ApiError, SerializeError, INVALID_RESPONSE};

use serde_json::Value;

use crate::aws::http::{HttpRequest, HttpResponse};
use crate::aws::model::{Operation, Protocol, ServiceModel};

/// Serializes an operation's input (already validated) into a request for the model's protocol.
pub fn serialize_request(
    model: &ServiceModel,
    op: &Operation,
    input: &Value,
) -> Result<HttpRequest, SerializeError> {
    let input = common::with_idempotency_tokens(model, op, input);
    let mut request = match model.protocol()? {
        Protocol::Json => json::serialize(model, op, &input)?,
        Protocol::RestJson => rest_json::serialize(model, op, &input)?,
        Protocol::RestXml => rest_xml::serialize(model, op, &input)?,
        Protocol::Query => query::serialize(model, op, &input, query::Dialect::Query)?,
        Protocol::Ec2 => query::serialize(model, op, &input, query::Dialect::Ec2)?,
        Protocol::SmithyRpcV2Cbor => {
            return Err(SerializeError::UnsupportedProtocol(
                Protocol::SmithyRpcV2Cbor.name(),
            ))
        }
    };
    request.host_prefix = common::expand_host_prefix(model, op, &input)?;
    common::add_flexible_checksum(&mut request)?;
    common::add_content_md5(op, &mut request);
    Ok(request)
}

/// Parses a response into the operation's output (response metadata left out), or the
/// service's error. A body that cannot be read becomes an [`ApiError`] with code
/// [`INVALID_RESPONSE`].
pub fn parse_response(
    model: &ServiceModel,
    op: &Operation,
    response: &HttpResponse,
) -> Result<Value, ApiError> {
    let protocol = model
        .protocol()
        .map_err(|e| ApiError::invalid_response(response.status, None, e.to_string()))?;
    match protocol {
        Protocol::Json => json::parse(model, op, response),
        Protocol::RestJson => rest_json::parse(model, op, response),
        Protocol::RestXml => rest_xml::parse(model, op, response),
        Protocol::Query => query::parse(model, op, response, query::Dialect::Query),
        Protocol::Ec2 => query::parse(model, op, response, query::Dialect::Ec2),
        Protocol::SmithyRpcV2Cbor => Err(ApiError::invalid_response(
            response.status,
            None,
            "the smithy-rpc-v2-cbor protocol is not supported by gapfill's client",
        )),
    }
}
