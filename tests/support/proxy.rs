//! A recording HTTP proxy on 127.0.0.1: forwards every request to an upstream endpoint (the
//! emulator) and records its action, so tests can count the calls a command made. In
//! [`Proxy::recorder`] mode it forwards nothing and answers every request with HTTP 500,
//! which proves that a command made no AWS call at all.

use super::server::RecordingServer;

/// Headers that belong to one connection, not to the request.
const HOP_BY_HOP: [&str; 6] = [
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "expect",
    "keep-alive",
];

/// The running proxy; stops when dropped. Dereferences to its [`RecordingServer`].
pub struct Proxy {
    server: RecordingServer,
}

impl std::ops::Deref for Proxy {
    type Target = RecordingServer;

    fn deref(&self) -> &RecordingServer {
        &self.server
    }
}

impl Proxy {
    /// Forwards to `upstream` (e.g. `http://127.0.0.1:5000`).
    pub fn forward_to(upstream: &str) -> Proxy {
        let upstream = upstream.trim_end_matches('/').to_string();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the proxy");
        let client = reqwest::Client::new();
        let server = RecordingServer::start(Box::new(move |incoming, body, _| {
            runtime
                .block_on(forward(&client, &upstream, incoming, body))
                .boxed()
        }));
        Proxy { server }
    }

    /// Answers every request with HTTP 500 and records it.
    pub fn recorder() -> Proxy {
        let server = RecordingServer::start(Box::new(|_, _, _| {
            tiny_http::Response::from_data(b"recorder: no AWS call expected".to_vec())
                .with_status_code(500)
                .boxed()
        }));
        Proxy { server }
    }

    /// How many `action` calls were made about `stack`.
    pub fn count(&self, action: &str, stack: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.action == action && r.stack() == Some(stack))
            .count()
    }

    /// The calls about `stack`, as `Action x count` in first-call order, for test logs.
    pub fn summary(&self, stack: &str) -> Vec<(String, usize)> {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for request in self.requests().iter().filter(|r| r.stack() == Some(stack)) {
            match counts
                .iter_mut()
                .find(|(action, _)| *action == request.action)
            {
                Some((_, count)) => *count += 1,
                None => counts.push((request.action.clone(), 1)),
            }
        }
        counts
    }
}

/// Sends the request upstream and turns the answer into a response for the client.
async fn forward(
    client: &reqwest::Client,
    upstream: &str,
    incoming: &tiny_http::Request,
    body: Vec<u8>,
) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let method = reqwest::Method::from_bytes(incoming.method().as_str().as_bytes())
        .unwrap_or(reqwest::Method::POST);
    let mut request = client
        .request(method, format!("{upstream}{}", incoming.url()))
        .body(body);
    for header in incoming.headers() {
        let name = header.field.as_str().as_str();
        if !HOP_BY_HOP.contains(&name.to_ascii_lowercase().as_str()) {
            request = request.header(name, header.value.as_str());
        }
    }
    let answer = match request.send().await {
        Ok(answer) => answer,
        Err(error) => {
            return tiny_http::Response::from_data(format!("proxy: {error}").into_bytes())
                .with_status_code(502)
        }
    };
    let status = answer.status().as_u16();
    let headers: Vec<tiny_http::Header> = answer
        .headers()
        .iter()
        .filter(|(name, _)| !HOP_BY_HOP.contains(&name.as_str()))
        .filter_map(|(name, value)| {
            tiny_http::Header::from_bytes(name.as_str().as_bytes(), value.as_bytes()).ok()
        })
        .collect();
    let bytes = answer.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    let mut response = tiny_http::Response::from_data(bytes).with_status_code(status);
    for header in headers {
        response.add_header(header);
    }
    response
}
