//! A scripted CloudFormation endpoint: a tiny_http server on 127.0.0.1 that answers each
//! query-protocol request from a script (per action, optionally per stack, a queue of replies
//! whose last one repeats) and records every request for assertions.
//!
//! It reproduces what the emulator cannot: operations that stay IN_PROGRESS over several polls,
//! rollbacks, stuck states and throttling.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::cfn_xml::{self, Reply};
use super::recorded::{self, Request};

/// The replies for one action (and, optionally, one stack).
#[derive(Debug)]
struct Route {
    action: String,
    /// `StackName` as sent (a name or an ARN); `None` matches any.
    stack: Option<String>,
    replies: VecDeque<Reply>,
}

/// What the responder answers, decided before it starts.
#[derive(Debug, Default)]
pub struct Script {
    routes: Vec<Route>,
}

impl Script {
    pub fn new() -> Script {
        Script::default()
    }

    /// Answers `action` with `replies` in turn; the last one repeats.
    pub fn on(self, action: &str, replies: Vec<Reply>) -> Script {
        self.route(action, None, replies)
    }

    /// Like [`Script::on`], only for requests whose `StackName` is exactly `stack` (a name
    /// or an ARN); such a route wins over one for any stack.
    pub fn on_stack(self, action: &str, stack: &str, replies: Vec<Reply>) -> Script {
        self.route(action, Some(stack.to_string()), replies)
    }

    fn route(mut self, action: &str, stack: Option<String>, replies: Vec<Reply>) -> Script {
        assert!(!replies.is_empty(), "a route for {action} needs a reply");
        self.routes.push(Route {
            action: action.to_string(),
            stack,
            replies: replies.into(),
        });
        self
    }

    /// The next reply for `request`: an error naming the gap when the script has none, so an
    /// unexpected call fails the run visibly.
    fn answer(&mut self, request: &Request) -> Reply {
        let sent_stack = request.param("StackName");
        let exact = self.routes.iter().position(|r| {
            r.action == request.action && r.stack.as_deref() == sent_stack && sent_stack.is_some()
        });
        let any = || {
            self.routes
                .iter()
                .position(|r| r.action == request.action && r.stack.is_none())
        };
        let Some(index) = exact.or_else(any) else {
            return cfn_xml::error(
                "Unscripted",
                &format!(
                    "the script has no reply for {} ({sent_stack:?})",
                    request.action
                ),
            );
        };
        let replies = &mut self.routes[index].replies;
        if replies.len() > 1 {
            replies
                .pop_front()
                .unwrap_or_else(|| unreachable!("checked non-empty"))
        } else {
            replies[0].clone()
        }
    }
}

/// The running responder; stops when dropped.
pub struct Responder {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl Responder {
    /// Starts answering from `script` on a free loopback port.
    pub fn start(script: Script) -> Responder {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1:0"));
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let server = Arc::clone(&server);
            let requests = Arc::clone(&requests);
            std::thread::spawn(move || serve(&server, script, &requests))
        };
        Responder {
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

impl Drop for Responder {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(server: &tiny_http::Server, mut script: Script, requests: &Mutex<Vec<Request>>) {
    for mut incoming in server.incoming_requests() {
        let mut body = Vec::new();
        if incoming.as_reader().read_to_end(&mut body).is_err() {
            continue;
        }
        let request = Request::parse(None, &body);
        let reply = script.answer(&request);
        requests.lock().expect("requests lock").push(request);
        let content_type =
            tiny_http::Header::from_bytes("Content-Type", "text/xml").expect("a valid header");
        let response = tiny_http::Response::from_string(reply.body)
            .with_status_code(reply.status)
            .with_header(content_type);
        let _ = incoming.respond(response);
    }
}
