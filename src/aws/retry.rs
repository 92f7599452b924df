//! Retries in the AWS SDKs' "standard" mode: which failures are worth retrying, how long to
//! wait (exponential backoff with full jitter, capped, or the service's retry-after hint), and a
//! token-bucket retry quota shared by every call of a run so an outage does not multiply load.
//!
//! A long retry sequence is told as it happens ([`RetryNotice`]): each retry loop (this
//! client's, and the SDK's through an interceptor) asks [`RetryProgress`] whether this retry
//! is worth a line, then calls [`report_retry`], which hands the notice to the observer the
//! current task runs under ([`observe_retries`]), or logs it when there is none. This module
//! knows nothing about what an observer does with it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::aws::transport::{TransportError, TransportErrorKind};

/// Error codes meaning "slow down" (the SDKs' standard list).
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Error codes of failures that usually pass on their own.
const TRANSIENT_CODES: &[&str] = &[
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "IDPCommunicationError",
];

const TRANSIENT_STATUSES: &[u16] = &[500, 502, 503, 504];

/// What went wrong with one attempt, as far as retrying is concerned.
#[derive(Debug, Clone, Copy)]
pub enum Failure<'a> {
    /// No response at all.
    Transport(&'a TransportError),
    /// The service answered with an error.
    Service { status: u16, code: &'a str },
}

/// Why an attempt is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryKind {
    Throttling,
    Transient,
    /// Timeouts cost more quota: they tie up the service longest.
    Timeout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAction {
    Retry(RetryKind),
    DontRetry,
}

/// Classifies a failed attempt.
pub fn classify(failure: Failure<'_>) -> RetryAction {
    match failure {
        Failure::Transport(err) => match err.kind {
            TransportErrorKind::Connect | TransportErrorKind::Io => {
                RetryAction::Retry(RetryKind::Transient)
            }
            TransportErrorKind::Timeout => RetryAction::Retry(RetryKind::Timeout),
            TransportErrorKind::InvalidRequest => RetryAction::DontRetry,
        },
        Failure::Service { status, code } => {
            if status == 429 || THROTTLING_CODES.contains(&code) {
                RetryAction::Retry(RetryKind::Throttling)
            } else if TRANSIENT_STATUSES.contains(&status) || TRANSIENT_CODES.contains(&code) {
                RetryAction::Retry(RetryKind::Transient)
            } else {
                RetryAction::DontRetry
            }
        }
    }
}

/// How many attempts and how long to wait between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first (the SDKs' standard mode uses 3).
    pub max_attempts: u32,
    /// The backoff ceiling before jitter for the first retry; doubles each retry.
    pub base_delay: Duration,
    /// No wait exceeds this, retry-after hints included.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0 for the first retry): the service's hint when it
    /// gave one, else full jitter over the capped exponential backoff. `random` is in [0, 1).
    pub fn delay(&self, retry: u32, hint: Option<Duration>, random: f64) -> Duration {
        match hint {
            Some(hint) => hint.min(self.max_delay),
            None => backoff(retry, self.base_delay, self.max_delay, random),
        }
    }
}

/// Full-jitter exponential backoff: `random * min(cap, base * 2^retry)`, saturating rather than
/// overflowing for large `retry`.
pub fn backoff(retry: u32, base: Duration, cap: Duration, random: f64) -> Duration {
    let factor = 2u32.checked_pow(retry).unwrap_or(u32::MAX);
    let ceiling = base.checked_mul(factor).unwrap_or(cap).min(cap);
    ceiling.mul_f64(random.clamp(0.0, 1.0))
}

/// The service's retry-after hint: `x-amz-retry-after` (milliseconds) or `Retry-After` (seconds).
pub fn retry_after_hint(headers: &[(String, String)]) -> Option<Duration> {
    let value = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .and_then(|(_, value)| value.trim().parse::<u64>().ok())
    };
    value("x-amz-retry-after")
        .map(Duration::from_millis)
        .or_else(|| value("retry-after").map(Duration::from_secs))
}

/// The run's retry budget: the standard mode's token bucket, one for the whole run and shared
/// by every client (the model-driven one and the CloudFormation SDK's). A retry spends tokens,
/// a success refunds some; when the bucket is empty, failures are returned instead of retried,
/// so a throttled account slows the run down instead of being hammered by several retry loops.
/// No service may hold more than [`SERVICE_SHARE`] of it: one throttled API leaves the rest of
/// the budget to the others.
#[derive(Debug)]
pub struct RetryQuota {
    capacity: u32,
    state: Mutex<QuotaState>,
}

#[derive(Debug)]
struct QuotaState {
    tokens: u32,
    /// Tokens each service has spent and not yet earned back by succeeding.
    held: HashMap<String, u32>,
}

const INITIAL_TOKENS: u32 = 500;
const RETRY_COST: u32 = 5;
const TIMEOUT_RETRY_COST: u32 = 10;
const NO_RETRY_INCREMENT: u32 = 1;
/// The part of the budget one service may hold.
pub const SERVICE_SHARE: f64 = 0.5;

impl Default for RetryQuota {
    fn default() -> Self {
        RetryQuota::new(INITIAL_TOKENS)
    }
}

impl RetryQuota {
    pub fn new(capacity: u32) -> RetryQuota {
        RetryQuota {
            capacity,
            state: Mutex::new(QuotaState {
                tokens: capacity,
                held: HashMap::new(),
            }),
        }
    }

    /// Takes the cost of one retry of a `service` call; `None` (nothing taken) when the
    /// budget is exhausted, or when `service` holds its share of it already.
    pub fn acquire(&self, service: &str, kind: RetryKind) -> Option<u32> {
        let cost = match kind {
            RetryKind::Timeout => TIMEOUT_RETRY_COST,
            RetryKind::Throttling | RetryKind::Transient => RETRY_COST,
        };
        let share = (f64::from(self.capacity) * SERVICE_SHARE) as u32;
        let mut state = self.lock();
        let held = state.held.get(service).copied().unwrap_or(0);
        if state.tokens < cost || held + cost > share {
            return None;
        }
        state.tokens -= cost;
        state.held.insert(service.to_string(), held + cost);
        Some(cost)
    }

    /// A `service` call succeeded: refund what its retries took, or a small increment if it
    /// needed none.
    pub fn on_success(&self, service: &str, spent: u32) {
        let refund = if spent == 0 {
            NO_RETRY_INCREMENT
        } else {
            spent
        };
        let mut state = self.lock();
        state.tokens = state.tokens.saturating_add(refund).min(self.capacity);
        if let Some(held) = state.held.get_mut(service) {
            *held = held.saturating_sub(refund);
        }
    }

    pub fn available(&self) -> u32 {
        self.lock().tokens
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, QuotaState> {
        // Counts updated together under the lock: a panic elsewhere cannot leave them torn.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A retry about to be made, told while a call keeps failing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryNotice {
    /// `service:Operation`.
    pub operation: String,
    /// The attempt about to be made (2 for the first retry).
    pub attempt: u32,
    pub max_attempts: u32,
    /// Why the last attempt failed, in plain words.
    pub reason: String,
}

/// What receives the notices of the calls made under it.
pub type RetryObserver = Arc<dyn Fn(&RetryNotice) + Send + Sync>;

tokio::task_local! {
    static OBSERVER: RetryObserver;
}

/// Runs `work` with the retries of every call it makes (on this task) told to `observer`.
pub async fn observe_retries<F: Future>(observer: RetryObserver, work: F) -> F::Output {
    OBSERVER.scope(observer, work).await
}

/// Tells `notice` to the current task's observer. Without one (a call outside a run's stacks
/// and steps), logs it: as a warning once the call has been failing for `waited` of at least
/// [`NOTICE_INTERVAL`], so a long sequence is never silent, else for `-v` only.
pub fn report_retry(notice: &RetryNotice, waited: Duration) {
    if OBSERVER.try_with(|observer| observer(notice)).is_ok() {
        return;
    }
    let RetryNotice {
        operation,
        attempt,
        max_attempts,
        reason,
    } = notice;
    if waited >= NOTICE_INTERVAL {
        tracing::warn!("{operation}: retrying, attempt {attempt} of {max_attempts}: {reason}");
    } else {
        tracing::info!("{operation}: retrying, attempt {attempt} of {max_attempts}: {reason}");
    }
}

/// The attempt from which retries are told: one retry is routine, a second one in a row is
/// not.
pub const FIRST_TOLD_ATTEMPT: u32 = 3;

/// The least time between two notices of one call.
pub const NOTICE_INTERVAL: Duration = Duration::from_secs(5);

/// One call's retries so far, to tell a long sequence at most once per [`NOTICE_INTERVAL`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RetryProgress {
    /// When the call first failed.
    first_failure: Option<Instant>,
    last: Option<Instant>,
}

impl RetryProgress {
    /// Whether the retry that makes `attempt` is worth a notice (and, if so, records it).
    pub fn should_tell(&mut self, attempt: u32) -> bool {
        let now = Instant::now();
        self.first_failure.get_or_insert(now);
        if attempt < FIRST_TOLD_ATTEMPT {
            return false;
        }
        if self
            .last
            .is_some_and(|last| now.duration_since(last) < NOTICE_INTERVAL)
        {
            return false;
        }
        self.last = Some(now);
        true
    }

    /// How long the call has been failing.
    pub fn waited(&self) -> Duration {
        self.first_failure
            .map_or(Duration::ZERO, |first| first.elapsed())
    }
}

/// Why a service's error answer is retried, in plain words.
pub fn service_reason(status: u16, code: &str, message: &str) -> String {
    // Without an error code, the protocol layers use the status as one.
    let code = if code == status.to_string() { "" } else { code };
    let detail = match (code.is_empty(), message.is_empty()) {
        (true, true) => format!("HTTP {status}"),
        (false, true) => code.to_string(),
        (true, false) => format!("HTTP {status}: {message}"),
        (false, false) => format!("{code}: {message}"),
    };
    match classify(Failure::Service { status, code }) {
        RetryAction::Retry(RetryKind::Throttling) => format!("throttled ({detail})"),
        _ if status >= 500 => format!("server error ({detail})"),
        _ => detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(kind: TransportErrorKind) -> TransportError {
        TransportError::new(kind, "http://x", "boom")
    }

    #[test]
    fn classifies_throttling_transient_and_final_failures() {
        let service = |status, code| classify(Failure::Service { status, code });
        assert_eq!(
            service(400, "ThrottlingException"),
            RetryAction::Retry(RetryKind::Throttling)
        );
        assert_eq!(
            service(429, "Anything"),
            RetryAction::Retry(RetryKind::Throttling)
        );
        assert_eq!(
            service(503, "SlowDown"),
            RetryAction::Retry(RetryKind::Throttling)
        );
        assert_eq!(
            service(500, "InternalError"),
            RetryAction::Retry(RetryKind::Transient)
        );
        assert_eq!(
            service(502, "BadGateway"),
            RetryAction::Retry(RetryKind::Transient)
        );
        assert_eq!(
            service(400, "RequestTimeout"),
            RetryAction::Retry(RetryKind::Transient)
        );
        assert_eq!(service(400, "ValidationException"), RetryAction::DontRetry);
        assert_eq!(service(404, "NoSuchBucket"), RetryAction::DontRetry);
        let transport_failure = |kind| classify(Failure::Transport(&transport(kind)));
        assert_eq!(
            transport_failure(TransportErrorKind::Connect),
            RetryAction::Retry(RetryKind::Transient)
        );
        assert_eq!(
            transport_failure(TransportErrorKind::Timeout),
            RetryAction::Retry(RetryKind::Timeout)
        );
        assert_eq!(
            transport_failure(TransportErrorKind::InvalidRequest),
            RetryAction::DontRetry
        );
    }

    #[test]
    fn backoff_doubles_with_full_jitter_and_caps() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(20);
        assert_eq!(backoff(0, base, cap, 1.0), Duration::from_millis(100));
        assert_eq!(backoff(3, base, cap, 1.0), Duration::from_millis(800));
        assert_eq!(backoff(3, base, cap, 0.5), Duration::from_millis(400));
        assert_eq!(backoff(3, base, cap, 0.0), Duration::ZERO);
        assert_eq!(backoff(10, base, cap, 1.0), cap);
    }

    #[test]
    fn backoff_does_not_overflow() {
        let cap = Duration::from_secs(20);
        assert_eq!(backoff(u32::MAX, Duration::from_secs(1), cap, 1.0), cap);
        assert_eq!(backoff(40, Duration::MAX, cap, 1.0), cap);
        assert!(backoff(64, Duration::from_secs(1), cap, 0.25) <= cap);
    }

    #[test]
    fn hints_win_but_are_capped() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(2)), 0.9),
            Duration::from_secs(2)
        );
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(600)), 0.9),
            policy.max_delay
        );
        let headers = vec![("Retry-After".to_string(), "3".to_string())];
        assert_eq!(retry_after_hint(&headers), Some(Duration::from_secs(3)));
        let headers = vec![("x-amz-retry-after".to_string(), "1500".to_string())];
        assert_eq!(
            retry_after_hint(&headers),
            Some(Duration::from_millis(1500))
        );
        let headers = vec![(
            "Retry-After".to_string(),
            "Wed, 21 Oct 2015 07:28:00 GMT".to_string(),
        )];
        assert_eq!(retry_after_hint(&headers), None);
    }

    #[test]
    fn quota_drains_refunds_and_caps() {
        let quota = RetryQuota::new(24);
        assert_eq!(quota.acquire("sqs", RetryKind::Throttling), Some(5));
        assert_eq!(quota.acquire("ssm", RetryKind::Transient), Some(5));
        assert_eq!(quota.acquire("s3", RetryKind::Timeout), Some(10));
        assert_eq!(
            quota.acquire("sts", RetryKind::Transient),
            None,
            "4 tokens left"
        );
        assert_eq!(quota.available(), 4);
        quota.on_success("sqs", 5);
        assert_eq!(quota.available(), 9);
        quota.on_success("sqs", 0);
        assert_eq!(quota.available(), 10);
        quota.on_success("s3", 500);
        assert_eq!(quota.available(), 24, "never above capacity");
    }

    #[test]
    fn one_throttled_service_cannot_take_the_whole_budget() {
        let quota = RetryQuota::new(100);
        let taken = std::iter::from_fn(|| quota.acquire("ssm", RetryKind::Throttling)).count();
        assert_eq!(taken, 10, "half of 100 tokens, 5 a retry");
        assert_eq!(quota.available(), 50);
        assert_eq!(
            quota.acquire("cloudformation", RetryKind::Throttling),
            Some(5),
            "the other half is left to the other services"
        );
        quota.on_success("ssm", 5);
        assert_eq!(
            quota.acquire("ssm", RetryKind::Throttling),
            Some(5),
            "a success earns the service its retries back"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_retry_sequence_is_told_from_the_second_retry_at_most_every_few_seconds() {
        let mut progress = RetryProgress::default();
        assert!(!progress.should_tell(2), "one retry is routine");
        assert!(progress.should_tell(3));
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(!progress.should_tell(4), "too soon after the last notice");
        tokio::time::advance(NOTICE_INTERVAL).await;
        assert!(progress.should_tell(5));
    }

    #[tokio::test]
    async fn notices_go_to_the_observer_of_the_task() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let observer: RetryObserver = {
            let seen = Arc::clone(&seen);
            Arc::new(move |notice: &RetryNotice| seen.lock().unwrap().push(notice.clone()))
        };
        let notice = RetryNotice {
            operation: "sqs:GetQueueUrl".into(),
            attempt: 3,
            max_attempts: 3,
            reason: service_reason(400, "ThrottlingException", "slow down"),
        };
        observe_retries(observer, async { report_retry(&notice, Duration::ZERO) }).await;
        report_retry(&notice, Duration::ZERO); // no observer: logged, not seen
        assert_eq!(*seen.lock().unwrap(), vec![notice.clone()]);
        assert_eq!(notice.reason, "throttled (ThrottlingException: slow down)");
        assert_eq!(service_reason(503, "", ""), "server error (HTTP 503)");
    }
}
