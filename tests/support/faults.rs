//! A fault-injecting HTTP proxy on 127.0.0.1, between gapfill and the emulator: a small raw
//! HTTP/1.1 proxy over `std::net` (tiny_http cannot reset a connection or truncate a body).
//!
//! Whether request number N (in arrival order, from 0) gets a fault, and which, is a pure
//! function of the seed and N ([`FaultPlan::fault_for`]), so a seed replays the same faults
//! per request index. Every request is logged with what was done to it ([`FaultProxy::log`]),
//! so a failing run can be explained and replayed.
//!
//! The faults: throttling in the request's protocol's own error shape, HTTP 500 and 503, a
//! connection closed before the request reaches the server, one closed after the server
//! applied it (the client sees an error for a write that happened), a latency spike, a
//! slow-drip body and a truncated body (Content-Length larger than the bytes sent, then close).
//!
//! [`FaultProxy::hold_after`] lets a test act at a chosen moment: the first request that
//! matches is forwarded (so the server applied it), the test is told, and the answer is never
//! sent: the client waits until it is killed.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::recorded::Request;

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// A throttling error in the protocol's shape; not forwarded.
    Throttle,
    /// HTTP 500 (InternalError); not forwarded.
    Status500,
    /// HTTP 503 (ServiceUnavailable); not forwarded.
    Status503,
    /// The connection closed without an answer before the request reached the server.
    ResetBefore,
    /// Forwarded (the server applied it), then the connection closed without an answer.
    ResetAfter,
    /// Forwarded after a pause of a few hundred milliseconds to a few seconds.
    Latency,
    /// Forwarded; the answer's body sent a few bytes at a time.
    SlowDrip,
    /// Forwarded; the answer's body cut short of its Content-Length, then the connection closed.
    Truncated,
}

impl Fault {
    pub const ALL: [Fault; 8] = [
        Fault::Throttle,
        Fault::Status500,
        Fault::Status503,
        Fault::ResetBefore,
        Fault::ResetAfter,
        Fault::Latency,
        Fault::SlowDrip,
        Fault::Truncated,
    ];

    /// Whether the server saw (and applied) the request.
    pub fn reaches_server(self) -> bool {
        matches!(
            self,
            Fault::ResetAfter | Fault::Latency | Fault::SlowDrip | Fault::Truncated
        )
    }

    /// Whether the client gets a complete, successful-as-the-server-said answer anyway.
    pub fn answer_arrives(self) -> bool {
        matches!(self, Fault::Latency | Fault::SlowDrip)
    }
}

/// Which requests get which fault: a seed, a rate (0.0 to 1.0) and a mix (relative weights).
#[derive(Debug, Clone)]
pub struct FaultPlan {
    pub seed: u64,
    pub rate: f64,
    pub mix: Vec<(Fault, u32)>,
    /// Only these request indexes may get a fault (all when `None`).
    pub indexes: Option<std::ops::Range<u64>>,
}

impl FaultPlan {
    /// `rate` of the requests get a fault, every kind about as often, the errors that retries
    /// exist for (throttling, 5xx) a little more.
    pub fn new(seed: u64, rate: f64) -> FaultPlan {
        let mix = Fault::ALL
            .iter()
            .map(|&fault| {
                let weight = match fault {
                    Fault::Throttle => 3,
                    Fault::Status500 | Fault::Status503 => 2,
                    _ => 1,
                };
                (fault, weight)
            })
            .collect();
        FaultPlan {
            seed,
            rate,
            mix,
            indexes: None,
        }
    }

    /// No fault at all: a plain forwarding proxy that logs.
    pub fn none() -> FaultPlan {
        FaultPlan {
            seed: 0,
            rate: 0.0,
            mix: Vec::new(),
            indexes: None,
        }
    }

    /// Every request gets `fault`.
    pub fn always(fault: Fault) -> FaultPlan {
        FaultPlan {
            seed: 0,
            rate: 1.0,
            mix: vec![(fault, 1)],
            indexes: None,
        }
    }

    /// Request number `index` alone gets `fault`.
    pub fn only(index: u64, fault: Fault) -> FaultPlan {
        FaultPlan {
            indexes: Some(index..index + 1),
            ..FaultPlan::always(fault)
        }
    }

    /// The fault for request number `index`, the same for the same seed every time.
    pub fn fault_for(&self, index: u64) -> Option<Fault> {
        let total: u32 = self.mix.iter().map(|(_, weight)| weight).sum();
        if self
            .indexes
            .as_ref()
            .is_some_and(|indexes| !indexes.contains(&index))
        {
            return None;
        }
        if total == 0 || unit(self.roll(index, 1)) >= self.rate {
            return None;
        }
        let mut pick = (self.roll(index, 2) % u64::from(total)) as u32;
        for &(fault, weight) in &self.mix {
            if pick < weight {
                return Some(fault);
            }
            pick -= weight;
        }
        None
    }

    /// A number for request `index`'s decision `which`, from the seed alone.
    fn roll(&self, index: u64, which: u64) -> u64 {
        splitmix64(
            self.seed
                ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ^ which.wrapping_mul(0xD1B5_4A32_D192_ED03),
        )
    }

    /// The pause of a latency spike for request `index`: 300 ms to 2.3 s.
    fn latency(&self, index: u64) -> Duration {
        Duration::from_millis(300 + self.roll(index, 3) % 2000)
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// `x` as a number in [0, 1).
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// The wire protocol of a request, as its error answers must be shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Form body with `Action=` (CloudFormation, SNS, IAM, STS...): `<ErrorResponse>`.
    Query,
    /// Form body with `Action=` to EC2: `<Response><Errors>`.
    Ec2,
    /// `X-Amz-Target` header (DynamoDB, SSM, Logs, SQS...): `{"__type": ...}`.
    Json,
    /// REST with JSON bodies (Lambda...): `x-amzn-errortype` header.
    RestJson,
    /// REST with XML bodies (S3...): `<Error><Code>`.
    RestXml,
}

/// What the proxy did with one request.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub index: u64,
    pub request: Request,
    /// The signing name from the request's credential scope (`cloudformation`, `s3`...).
    pub service: String,
    pub protocol: Protocol,
    pub fault: Option<Fault>,
    /// The server's status, when the request was forwarded.
    pub upstream_status: Option<u16>,
    /// Forwarded, then held unanswered for a test (see [`FaultProxy::hold_after`]).
    pub held: bool,
}

impl std::fmt::Display for LogEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "#{} {}:{} ({:?})",
            self.index,
            self.service,
            self.request.label(),
            self.protocol
        )?;
        if let Some(stack) = self.request.stack() {
            write!(f, " stack={stack}")?;
        }
        match self.fault {
            Some(fault) => write!(f, " fault={fault:?}")?,
            None => write!(f, " clean")?,
        }
        if let Some(status) = self.upstream_status {
            write!(f, " upstream={status}")?;
        }
        if self.held {
            write!(f, " held")?;
        }
        Ok(())
    }
}

/// A request chosen by a test, to act the moment the server has applied it.
type Matcher = Box<dyn Fn(&Request) -> bool + Send>;

struct Hold {
    matcher: Matcher,
    reached: mpsc::Sender<LogEntry>,
    release: mpsc::Receiver<()>,
}

/// A held request, for the test that asked for it: when it was applied, and a way to let its
/// answer go after all.
pub struct Held {
    reached: mpsc::Receiver<LogEntry>,
    release: mpsc::Sender<()>,
}

impl Held {
    /// Waits until the server has applied the held request; panics after `limit`.
    pub fn wait(&self, limit: Duration) -> LogEntry {
        self.reached
            .recv_timeout(limit)
            .unwrap_or_else(|_| panic!("the held request did not come within {limit:?}"))
    }

    /// Whether the held request has come, without waiting.
    pub fn try_wait(&self) -> Option<LogEntry> {
        self.reached.try_recv().ok()
    }

    /// Sends the held answer to the client after all.
    pub fn release(&self) {
        let _ = self.release.send(());
    }
}

/// What the connection threads share.
struct Shared {
    upstream: String,
    plan: Mutex<FaultPlan>,
    next_index: AtomicU64,
    /// Connections accepted and not yet logged.
    in_flight: AtomicU64,
    log: Mutex<Vec<LogEntry>>,
    holds: Mutex<Vec<Hold>>,
    stopping: AtomicBool,
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

/// The running proxy; stops when dropped (held answers are then dropped unanswered).
pub struct FaultProxy {
    url: String,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream` with `plan`'s faults.
    pub fn start(upstream: &str, plan: FaultPlan) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let port = listener.local_addr().expect("a local address").port();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the proxy");
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_string(),
            plan: Mutex::new(plan),
            next_index: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            log: Mutex::new(Vec::new()),
            holds: Mutex::new(Vec::new()),
            stopping: AtomicBool::new(false),
            runtime,
            client: reqwest::Client::new(),
        });
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || accept(&listener, &shared))
        };
        FaultProxy {
            url: format!("http://127.0.0.1:{port}"),
            shared,
            thread: Some(thread),
        }
    }

    /// The endpoint, for `AWS_ENDPOINT_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Replaces the plan for the requests from now on (indexes keep counting).
    pub fn set_plan(&self, plan: FaultPlan) {
        *self.shared.plan.lock().expect("plan lock") = plan;
    }

    /// Waits (up to 30 s) until every request that reached the proxy is done and logged: after
    /// a client is killed, the requests it had in flight still reach the server.
    pub fn quiesce(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while self.shared.in_flight.load(Ordering::SeqCst) > 0
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Every request so far, in arrival order, with what was done to it.
    pub fn log(&self) -> Vec<LogEntry> {
        let mut log = self.shared.log.lock().expect("log lock").clone();
        log.sort_by_key(|entry| entry.index);
        log
    }

    /// The log as text, one request a line, for failure messages.
    pub fn log_text(&self) -> String {
        self.log()
            .iter()
            .map(|entry| format!("{entry}\n"))
            .collect()
    }

    /// The requests so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.log().into_iter().map(|entry| entry.request).collect()
    }

    /// How many requests got a fault.
    pub fn faults_injected(&self) -> usize {
        self.log()
            .iter()
            .filter(|entry| entry.fault.is_some())
            .count()
    }

    /// The first request from now on that `matcher` accepts is forwarded (the server applies
    /// it), then held: its answer is not sent unless [`Held::release`] says so (the client
    /// waits until it is killed, or the proxy stops). [`Held::wait`] returns the moment the
    /// server has answered it.
    pub fn hold_after(&self, matcher: impl Fn(&Request) -> bool + Send + 'static) -> Held {
        let (reached, reached_receiver) = mpsc::channel();
        let (release_sender, release) = mpsc::channel();
        self.shared.holds.lock().expect("holds lock").push(Hold {
            matcher: Box::new(matcher),
            reached,
            release,
        });
        Held {
            reached: reached_receiver,
            release: release_sender,
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn accept(listener: &TcpListener, shared: &Arc<Shared>) {
    while !shared.stopping.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let shared = Arc::clone(shared);
                shared.in_flight.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || {
                    serve(stream, &shared);
                    // Unread or held requests end here too (held ones were logged already).
                    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
                });
            }
            Err(_) => std::thread::sleep(Duration::from_millis(2)),
        }
    }
}

/// A request as read off the wire.
struct Incoming {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Incoming {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// The server's answer.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Serves one connection: one request, one answer (or none), then close.
fn serve(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(reader) = stream.try_clone() else {
        return;
    };
    let Some(incoming) = read_request(&mut BufReader::new(reader)) else {
        return;
    };
    let index = shared.next_index.fetch_add(1, Ordering::SeqCst);
    let fault = shared.plan.lock().expect("plan lock").fault_for(index);
    let request = Request::from_http(
        &incoming.method,
        &incoming.target,
        incoming.header("X-Amz-Target"),
        &incoming.body,
    );
    let service = signing_service(&incoming);
    let protocol = protocol_of(&incoming, &service);
    let mut entry = LogEntry {
        index,
        request,
        service,
        protocol,
        fault,
        upstream_status: None,
        held: false,
    };
    let hold = take_hold(shared, &entry.request);
    let fault = if hold.is_some() { None } else { fault };
    entry.fault = fault;
    let held = answer(
        &mut stream,
        shared,
        &incoming,
        &mut entry,
        fault,
        hold.is_some(),
    );
    // Logged before the connection closes, so a client that saw it close finds it logged.
    shared.log.lock().expect("log lock").push(entry.clone());
    if matches!(
        fault,
        Some(Fault::ResetBefore | Fault::ResetAfter | Fault::Truncated)
    ) {
        close_unanswered(&stream);
    }
    if let (Some(answer), Some((reached, release))) = (held, hold) {
        let _ = reached.send(entry);
        // A held request counts as done: it was applied and logged.
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        hold_until_released(&mut stream, shared, &answer, &release);
        shared.in_flight.fetch_add(1, Ordering::SeqCst);
    }
}

/// Keeps a held answer (and its connection) until the test releases it or the proxy stops.
fn hold_until_released(
    stream: &mut TcpStream,
    shared: &Shared,
    answer: &Answer,
    release: &mpsc::Receiver<()>,
) {
    while !shared.stopping.load(Ordering::SeqCst) {
        match release.recv_timeout(Duration::from_millis(20)) {
            Ok(()) => {
                let _ = write_answer(stream, answer, None);
                return;
            }
            Err(_) => continue,
        }
    }
}

type HoldSignals = (mpsc::Sender<LogEntry>, mpsc::Receiver<()>);

/// The first hold that matches `request`, removed.
fn take_hold(shared: &Shared, request: &Request) -> Option<HoldSignals> {
    let mut holds = shared.holds.lock().expect("holds lock");
    let position = holds.iter().position(|hold| (hold.matcher)(request))?;
    let hold = holds.remove(position);
    Some((hold.reached, hold.release))
}

/// Answers (or does not) as `fault` says; a held request is only forwarded, and its answer
/// returned to be sent later.
fn answer(
    stream: &mut TcpStream,
    shared: &Shared,
    incoming: &Incoming,
    entry: &mut LogEntry,
    fault: Option<Fault>,
    hold: bool,
) -> Option<Answer> {
    let forward = |entry: &mut LogEntry| {
        let answer = shared.runtime.block_on(forward(shared, incoming));
        entry.upstream_status = Some(answer.status);
        answer
    };
    if hold {
        let answer = forward(entry);
        entry.held = true;
        return Some(answer);
    }
    match fault {
        None => {
            let answer = forward(entry);
            let _ = write_answer(stream, &answer, None);
        }
        Some(Fault::Throttle) => {
            let answer = throttling(entry.protocol, entry.index);
            let _ = write_answer(stream, &answer, None);
        }
        Some(Fault::Status500) => {
            let answer = error_answer(
                entry.protocol,
                500,
                "InternalError",
                "We encountered an internal error. Please try again.",
                entry.index,
            );
            let _ = write_answer(stream, &answer, None);
        }
        Some(Fault::Status503) => {
            let answer = error_answer(
                entry.protocol,
                503,
                "ServiceUnavailable",
                "Service is unavailable. Please try again.",
                entry.index,
            );
            let _ = write_answer(stream, &answer, None);
        }
        // Closed by the caller once logged.
        Some(Fault::ResetBefore) => {}
        Some(Fault::ResetAfter) => {
            forward(entry);
        }
        Some(Fault::Latency) => {
            let pause = shared.plan.lock().expect("plan lock").latency(entry.index);
            std::thread::sleep(pause);
            let answer = forward(entry);
            let _ = write_answer(stream, &answer, None);
        }
        Some(Fault::SlowDrip) => {
            let answer = forward(entry);
            let _ = write_answer(stream, &answer, Some(Delivery::Drip));
        }
        Some(Fault::Truncated) => {
            let answer = forward(entry);
            let _ = write_answer(stream, &answer, Some(Delivery::Truncate));
        }
    }
    None
}

/// Closes the connection with no (further) answer.
fn close_unanswered(stream: &TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// Reads one HTTP/1.1 request: request line, headers, body (Content-Length or chunked).
fn read_request(reader: &mut impl BufRead) -> Option<Incoming> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let mut incoming = Incoming {
        method,
        target,
        headers,
        body: Vec::new(),
    };
    if incoming
        .header("Transfer-Encoding")
        .is_some_and(|value| value.eq_ignore_ascii_case("chunked"))
    {
        incoming.body = read_chunked(reader)?;
    } else if let Some(length) = incoming.header("Content-Length") {
        let length: usize = length.parse().ok()?;
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        incoming.body = body;
    }
    Some(incoming)
}

fn read_chunked(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).ok()?;
        let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).ok()? == 0 || line.trim().is_empty() {
                    return Some(body);
                }
            }
        }
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk).ok()?;
        body.extend_from_slice(&chunk[..size]);
    }
}

/// Headers that belong to one connection, not to the request or answer.
const HOP_BY_HOP: [&str; 6] = [
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "expect",
    "keep-alive",
];

/// Sends the request to the server and reads its whole answer (a 502 when it cannot).
async fn forward(shared: &Shared, incoming: &Incoming) -> Answer {
    let method =
        reqwest::Method::from_bytes(incoming.method.as_bytes()).unwrap_or(reqwest::Method::POST);
    let mut request = shared
        .client
        .request(method, format!("{}{}", shared.upstream, incoming.target))
        .body(incoming.body.clone());
    for (name, value) in &incoming.headers {
        if !HOP_BY_HOP.contains(&name.to_ascii_lowercase().as_str()) {
            request = request.header(name, value);
        }
    }
    let answer = match request.send().await {
        Ok(answer) => answer,
        Err(error) => {
            return Answer {
                status: 502,
                headers: Vec::new(),
                body: format!("fault proxy: {error}").into_bytes(),
            }
        }
    };
    let status = answer.status().as_u16();
    let headers = answer
        .headers()
        .iter()
        .filter(|(name, _)| !HOP_BY_HOP.contains(&name.as_str()))
        .map(|(name, value)| {
            (
                name.to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = answer.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    Answer {
        status,
        headers,
        body,
    }
}

/// How an answer's body is delivered when not all at once.
#[derive(Clone, Copy)]
enum Delivery {
    /// A few bytes at a time, with pauses: about 1.5 s in all.
    Drip,
    /// Half the body (none when empty) under a Content-Length of the whole.
    Truncate,
}

fn write_answer(
    stream: &mut TcpStream,
    answer: &Answer,
    delivery: Option<Delivery>,
) -> std::io::Result<()> {
    let declared = match delivery {
        Some(Delivery::Truncate) => answer.body.len().max(64),
        _ => answer.body.len(),
    };
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        answer.status,
        reqwest::StatusCode::from_u16(answer.status)
            .ok()
            .and_then(|status| status.canonical_reason())
            .unwrap_or("Status")
    );
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {declared}\r\nConnection: close\r\n\r\n"
    ));
    stream.write_all(head.as_bytes())?;
    match delivery {
        None => stream.write_all(&answer.body)?,
        Some(Delivery::Truncate) => stream.write_all(&answer.body[..answer.body.len() / 2])?,
        Some(Delivery::Drip) => {
            let piece = (answer.body.len() / 20).max(1);
            for chunk in answer.body.chunks(piece) {
                stream.write_all(chunk)?;
                stream.flush()?;
                std::thread::sleep(Duration::from_millis(75));
            }
        }
    }
    stream.flush()
}

/// The signing name in the request's SigV4 credential scope
/// (`Credential=AKID/DATE/REGION/SERVICE/aws4_request`); empty when unsigned.
fn signing_service(incoming: &Incoming) -> String {
    incoming
        .header("Authorization")
        .and_then(|auth| auth.split("Credential=").nth(1))
        .and_then(|credential| credential.split('/').nth(3))
        .unwrap_or_default()
        .to_string()
}

/// The protocol, from the request alone: `X-Amz-Target` means JSON; a form body with
/// `Action=` means query (EC2's own flavour for ec2); otherwise REST, XML for S3.
fn protocol_of(incoming: &Incoming, service: &str) -> Protocol {
    if incoming.header("X-Amz-Target").is_some() {
        return Protocol::Json;
    }
    let form = incoming
        .header("Content-Type")
        .is_some_and(|kind| kind.starts_with("application/x-www-form-urlencoded"));
    if form && url::form_urlencoded::parse(&incoming.body).any(|(key, _)| key == "Action") {
        return if service == "ec2" {
            Protocol::Ec2
        } else {
            Protocol::Query
        };
    }
    if matches!(service, "s3" | "route53" | "cloudfront") {
        Protocol::RestXml
    } else {
        Protocol::RestJson
    }
}

/// The protocol's "slow down" answer, with the code and status AWS uses for it.
fn throttling(protocol: Protocol, index: u64) -> Answer {
    let (status, code) = match protocol {
        Protocol::Query => (400, "Throttling"),
        Protocol::Ec2 => (503, "RequestLimitExceeded"),
        Protocol::Json => (400, "ThrottlingException"),
        Protocol::RestJson => (429, "TooManyRequestsException"),
        Protocol::RestXml => (503, "SlowDown"),
    };
    error_answer(protocol, status, code, "Rate exceeded", index)
}

/// An error answer in the protocol's shape.
fn error_answer(protocol: Protocol, status: u16, code: &str, message: &str, index: u64) -> Answer {
    let request_id = format!("fault-{index:08}");
    let xml = |body: String| Answer {
        status,
        headers: vec![
            ("Content-Type".into(), "text/xml".into()),
            ("x-amzn-RequestId".into(), request_id.clone()),
        ],
        body: body.into_bytes(),
    };
    match protocol {
        Protocol::Query => xml(format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )),
        Protocol::Ec2 => xml(format!(
            "<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )),
        Protocol::RestXml => xml(format!(
            "<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId></Error>"
        )),
        Protocol::Json => Answer {
            status,
            headers: vec![
                ("Content-Type".into(), "application/x-amz-json-1.1".into()),
                ("x-amzn-RequestId".into(), request_id.clone()),
                // Query-compatible JSON services (SQS) read the code from here.
                ("x-amzn-query-error".into(), format!("{code};Sender")),
            ],
            body: format!(r#"{{"__type":"{code}","message":"{message}"}}"#).into_bytes(),
        },
        Protocol::RestJson => Answer {
            status,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("x-amzn-RequestId".into(), request_id.clone()),
                ("x-amzn-ErrorType".into(), code.to_string()),
            ],
            body: format!(r#"{{"message":"{message}"}}"#).into_bytes(),
        },
    }
}

/// Totals of fault runs, printed as one machine-readable stderr line for
/// `scripts/reliability.sh`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub requests: usize,
    pub faults: usize,
    pub runs: usize,
    pub converged: usize,
}

impl Tally {
    pub fn add_proxy(&mut self, proxy: &FaultProxy) {
        let log = proxy.log();
        self.requests += log.len();
        self.faults += log.iter().filter(|entry| entry.fault.is_some()).count();
    }

    /// `reliability: requests=N faults=N runs=N converged=N`, on stderr.
    pub fn report(&self, what: &str) {
        eprintln!(
            "reliability: suite={what} requests={} faults={} runs={} converged={}",
            self.requests, self.faults, self.runs, self.converged
        );
    }
}
