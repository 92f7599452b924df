//! A scripted CloudFormation endpoint: a tiny_http server on 127.0.0.1 that answers each
//! query-protocol request from a script (per action, optionally per stack, a queue of replies
//! whose last one repeats) and records every request for assertions.
//!
//! It reproduces what the emulator cannot: operations that stay IN_PROGRESS over several polls,
//! rollbacks, stuck states and throttling.

use std::collections::VecDeque;

use super::cfn_xml::{self, Reply};
use super::recorded::Request;
use super::server::RecordingServer;

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

/// The running responder; stops when dropped. Dereferences to its [`RecordingServer`].
pub struct Responder {
    server: RecordingServer,
}

impl std::ops::Deref for Responder {
    type Target = RecordingServer;

    fn deref(&self) -> &RecordingServer {
        &self.server
    }
}

impl Responder {
    /// Starts answering from `script` on a free loopback port.
    pub fn start(mut script: Script) -> Responder {
        let server = RecordingServer::start(Box::new(move |_, _, request| {
            let reply = script.answer(request);
            let content_type =
                tiny_http::Header::from_bytes("Content-Type", "text/xml").expect("a valid header");
            tiny_http::Response::from_string(reply.body)
                .with_status_code(reply.status)
                .with_header(content_type)
                .boxed()
        }));
        Responder { server }
    }
}
