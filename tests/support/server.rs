//! A loopback HTTP server that records every request before answering it. The scripted
//! CloudFormation responder and the recording proxy are each one of these with a different
//! way to answer.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::recorded::{self, Request};

/// Produces the response to one request, given the raw request, its body and its parsed form.
pub type Answer =
    Box<dyn FnMut(&tiny_http::Request, Vec<u8>, &Request) -> tiny_http::ResponseBox + Send>;

/// The running server; stops when dropped.
pub struct RecordingServer {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl RecordingServer {
    /// Listens on a free port of 127.0.0.1 and answers every request with `answer`.
    pub fn start(answer: Answer) -> RecordingServer {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1:0"));
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let server = Arc::clone(&server);
            let requests = Arc::clone(&requests);
            std::thread::spawn(move || serve(&server, answer, &requests))
        };
        RecordingServer {
            url: format!("http://127.0.0.1:{port}"),
            requests,
            server,
            thread: Some(thread),
        }
    }

    /// The endpoint, for `AWS_ENDPOINT_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("requests lock").clone()
    }

    /// The actions of every request so far, in order.
    pub fn actions(&self) -> Vec<String> {
        recorded::actions(&self.requests())
    }

    /// The actions of the requests about `stack` (by name, or an ARN naming it).
    pub fn actions_for(&self, stack: &str) -> Vec<String> {
        let requests: Vec<Request> = self
            .requests()
            .into_iter()
            .filter(|r| r.stack() == Some(stack))
            .collect();
        recorded::actions(&requests)
    }
}

impl Drop for RecordingServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(server: &tiny_http::Server, mut answer: Answer, requests: &Mutex<Vec<Request>>) {
    for mut incoming in server.incoming_requests() {
        let mut body = Vec::new();
        if incoming.as_reader().read_to_end(&mut body).is_err() {
            continue;
        }
        let target = incoming
            .headers()
            .iter()
            .find(|h| h.field.equiv("X-Amz-Target"))
            .map(|h| h.value.as_str().to_string());
        let method = incoming.method().as_str().to_string();
        let request = Request::from_http(&method, incoming.url(), target.as_deref(), &body);
        requests
            .lock()
            .expect("requests lock")
            .push(request.clone());
        let response = answer(&incoming, body, &request);
        let _ = incoming.respond(response);
    }
}
