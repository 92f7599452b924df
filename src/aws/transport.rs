//! Sending a signed request and reading the whole response: the [`Transport`] seam (tests plug
//! in fakes) and the product's implementation on one shared `reqwest` client.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::aws::diagnose::{origin, Unreachable};
use crate::aws::error_chain::error_chain;
use crate::aws::http::{HttpRequest, HttpResponse};

/// The future a transport returns.
pub type SendFuture<'a> =
    Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'a>>;

/// Sends one HTTP request to `url` (scheme, host, path and query) with `req`'s method, headers
/// and body; `req.path` is already part of `url`.
pub trait Transport: Send + Sync {
    fn send<'a>(&'a self, url: &'a str, req: &'a HttpRequest) -> SendFuture<'a>;
}

/// Why no response was received. The kind drives the retry decision; the cause says it in
/// plain words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe_transport_error(self))]
pub struct TransportError {
    pub kind: TransportErrorKind,
    pub url: String,
    /// The whole error chain, for logs.
    pub message: String,
    pub cause: Unreachable,
}

impl TransportError {
    /// An error of `kind` for `url`, its cause read from `message`.
    pub fn new(kind: TransportErrorKind, url: &str, message: &str) -> TransportError {
        let cause = match kind {
            TransportErrorKind::Timeout => Unreachable::NoAnswer,
            TransportErrorKind::InvalidRequest => Unreachable::Other(message.to_string()),
            TransportErrorKind::Connect | TransportErrorKind::Io => {
                Unreachable::classify(message, &[])
            }
        };
        TransportError {
            kind,
            url: url.to_string(),
            message: message.to_string(),
            cause,
        }
    }
}

fn describe_transport_error(error: &TransportError) -> String {
    match error.kind {
        TransportErrorKind::InvalidRequest => format!("cannot send the request: {}", error.message),
        TransportErrorKind::Connect | TransportErrorKind::Io | TransportErrorKind::Timeout => {
            format!("cannot reach {}: {}", origin(&error.url), error.cause)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportErrorKind {
    /// Could not connect (DNS, refused, TLS handshake): safe to retry.
    Connect,
    /// No response in time: retried as a transient failure.
    Timeout,
    /// The connection broke while sending or reading: retried as a transient failure.
    Io,
    /// The request itself cannot be sent (bad URL, bad header): never retried.
    InvalidRequest,
}

impl std::fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Connect => "connection failed",
            TransportErrorKind::Timeout => "request timed out",
            TransportErrorKind::Io => "connection error",
            TransportErrorKind::InvalidRequest => "invalid request",
        })
    }
}

/// Timeouts of the product transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    /// The whole exchange, headers and body.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(120),
        }
    }
}

/// The product transport: one `reqwest` client (connection pool, rustls) shared by all calls.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    pub fn new(timeouts: Timeouts) -> Result<ReqwestTransport, TransportError> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.request)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|err| {
                TransportError::new(
                    TransportErrorKind::InvalidRequest,
                    "",
                    &format!("cannot build the http client: {err}"),
                )
            })?;
        Ok(ReqwestTransport { client })
    }

    async fn exchange(&self, url: &str, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let method = reqwest::Method::from_bytes(req.method.as_bytes()).map_err(|err| {
            TransportError::new(
                TransportErrorKind::InvalidRequest,
                url,
                &format!("bad method {:?}: {err}", req.method),
            )
        })?;
        let mut builder = self.client.request(method, url);
        for (name, value) in &req.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let response = builder
            .body(req.body.clone())
            .send()
            .await
            .map_err(|err| classify(url, &err))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .bytes()
            .await
            .map_err(|err| classify(url, &err))?
            .to_vec();
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

impl Transport for ReqwestTransport {
    fn send<'a>(&'a self, url: &'a str, req: &'a HttpRequest) -> SendFuture<'a> {
        Box::pin(self.exchange(url, req))
    }
}

fn classify(url: &str, err: &reqwest::Error) -> TransportError {
    let kind = if err.is_timeout() {
        TransportErrorKind::Timeout
    } else if err.is_connect() {
        TransportErrorKind::Connect
    } else if err.is_builder() {
        TransportErrorKind::InvalidRequest
    } else {
        TransportErrorKind::Io
    };
    let cause = match kind {
        TransportErrorKind::Timeout if err.is_connect() => Unreachable::ConnectTimeout,
        TransportErrorKind::Timeout => Unreachable::NoAnswer,
        // The causes, not reqwest's own line: it quotes the URL, whose words could mislead.
        TransportErrorKind::Connect
        | TransportErrorKind::Io
        | TransportErrorKind::InvalidRequest => match std::error::Error::source(err) {
            Some(source) => Unreachable::of(source),
            None => Unreachable::of(err),
        },
    };
    TransportError {
        kind,
        url: url.to_string(),
        message: error_chain(err),
        cause,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the server saw: request line, body, headers.
    type Seen = (String, Vec<u8>, Vec<(String, String)>);

    fn serve_once(status: u16, body: &'static str) -> (String, std::thread::JoinHandle<Seen>) {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let url = format!("http://{}", server.server_addr().to_ip().unwrap());
        let handle = std::thread::spawn(move || {
            let mut request = server.recv().unwrap();
            let mut received = Vec::new();
            request.as_reader().read_to_end(&mut received).unwrap();
            let seen = (
                format!("{} {}", request.method(), request.url()),
                received,
                request
                    .headers()
                    .iter()
                    .map(|h| (h.field.to_string(), h.value.to_string()))
                    .collect(),
            );
            let response = tiny_http::Response::from_string(body)
                .with_status_code(status)
                .with_header(
                    "x-amzn-RequestId: abc"
                        .parse::<tiny_http::Header>()
                        .unwrap(),
                );
            request.respond(response).unwrap();
            seen
        });
        (url, handle)
    }

    #[tokio::test]
    async fn sends_method_headers_body_and_reads_the_response() {
        let (base, server) = serve_once(201, "{\"ok\":true}");
        let transport = ReqwestTransport::new(Timeouts::default()).unwrap();
        let request = HttpRequest {
            method: "PUT".to_string(),
            path: "/a?b=c".to_string(),
            headers: vec![("X-Test".to_string(), "1".to_string())],
            body: b"payload".to_vec(),
            host_prefix: None,
        };
        let url = format!("{base}/a?b=c");
        let response = transport.send(&url, &request).await.unwrap();
        assert_eq!(response.status, 201);
        assert_eq!(response.body, b"{\"ok\":true}");
        assert_eq!(response.header("x-amzn-requestid"), Some("abc"));
        let (line, body, headers) = server.join().unwrap();
        assert_eq!(line, "PUT /a?b=c");
        assert_eq!(body, b"payload");
        assert!(headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("x-test") && v == "1"));
    }

    #[tokio::test]
    async fn refused_connection_is_a_connect_error() {
        // Bind then drop to get a port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let transport = ReqwestTransport::new(Timeouts::default()).unwrap();
        let request = HttpRequest {
            method: "GET".to_string(),
            path: "/".to_string(),
            ..HttpRequest::default()
        };
        let err = transport
            .send(&format!("http://127.0.0.1:{port}/"), &request)
            .await
            .unwrap_err();
        assert_eq!(err.kind, TransportErrorKind::Connect, "{err}");
        assert_eq!(err.cause, Unreachable::Refused, "{err:?}");
        assert_eq!(
            err.to_string(),
            format!("cannot reach http://127.0.0.1:{port}: connection refused (nothing is listening there)")
        );
    }

    #[tokio::test]
    async fn bad_method_is_an_invalid_request() {
        let transport = ReqwestTransport::new(Timeouts::default()).unwrap();
        let request = HttpRequest {
            method: "NOT A METHOD".to_string(),
            path: "/".to_string(),
            ..HttpRequest::default()
        };
        let err = transport
            .send("http://127.0.0.1:1/", &request)
            .await
            .unwrap_err();
        assert_eq!(err.kind, TransportErrorKind::InvalidRequest);
    }
}
