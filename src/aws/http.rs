//! Transport-neutral HTTP request and response values, the currency between the protocol
//! serializers/parsers, the signer and the transport.

/// A request as a protocol serializer produces it, before endpoint resolution and signing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpRequest {
    /// HTTP method, upper case (`GET`, `POST`, ...).
    pub method: String,
    /// Path and query string, already percent-encoded, relative to the endpoint
    /// (for example `/2015-03-31/functions/my-fn/concurrency?Qualifier=1`). Always starts with `/`.
    pub path: String,
    /// Header names as the protocol spells them; values already formatted.
    pub headers: Vec<(String, String)>,
    /// The body bytes (empty when there is none).
    pub body: Vec<u8>,
    /// The operation's `endpoint.hostPrefix` with labels already filled in, if any.
    pub host_prefix: Option<String>,
}

impl HttpRequest {
    /// The first header with this name, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        header_value(&self.headers, name)
    }
}

/// A response as the transport received it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header with this name, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        header_value(&self.headers, name)
    }
}

fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}
