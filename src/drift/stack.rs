//! One stack's drift, read straight down: DetectStackDrift, then
//! DescribeStackDriftDetectionStatus with backoff until the detection ends or the timeout
//! passes, then DescribeStackResourceDrifts for every resource that is not IN_SYNC (modified,
//! deleted, or one CloudFormation cannot check: "not checked", never "in sync"). The project's
//! ignore rules mark what the team accepts.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cloudformation::retries::reporting_retries;
use crate::cloudformation::{Cfn, CfnError, Detection};
use crate::events::{EventSink, NodeId, StackOutcome};
use crate::plan::IgnoreRule;

/// Error codes of an endpoint that does not offer an operation at all.
const UNSUPPORTED_CODES: [&str; 3] = ["NotImplemented", "InvalidAction", "UnsupportedOperation"];

/// Checks stacks for drift; the scheduler runs clones of it in parallel.
#[derive(Clone)]
pub struct StackDrift {
    pub cfn: Cfn,
    /// Where the retries of a stack's calls are told.
    pub sink: EventSink,
    /// How long one stack's detection may take.
    pub timeout: Duration,
    /// The first wait between status checks; it grows by half up to `max_interval`.
    pub interval: Duration,
    pub max_interval: Duration,
    pub ignore: Arc<Vec<IgnoreRule>>,
    /// Set once the endpoint said it has no drift detection: the other stacks need not ask.
    unsupported: Arc<AtomicBool>,
}

impl StackDrift {
    pub fn new(
        cfn: Cfn,
        sink: EventSink,
        timeout: Duration,
        ignore: Vec<IgnoreRule>,
    ) -> StackDrift {
        StackDrift {
            cfn,
            sink,
            timeout,
            interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(10),
            ignore: Arc::new(ignore),
            unsupported: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The stack's drift; every failure becomes an outcome.
    pub async fn check(&self, stack: &str) -> StackOutcome {
        if self.unsupported.load(Ordering::Relaxed) {
            return not_supported();
        }
        let node = NodeId::Stack(stack.to_string());
        match reporting_retries(&self.sink, node, self.detect(stack)).await {
            Ok(outcome) => outcome,
            Err(error) => self.failed(error),
        }
    }

    async fn detect(&self, stack: &str) -> Result<StackOutcome, CfnError> {
        let id = self.cfn.detect_drift(stack).await?;
        let started = Instant::now();
        let mut interval = self.interval;
        let detection = loop {
            let detection = self.cfn.drift_detection(&id).await?;
            if detection != Detection::InProgress {
                break detection;
            }
            if started.elapsed() + interval > self.timeout {
                return Ok(StackOutcome::NotChecked {
                    because: format!(
                        "drift detection {id} was still running after {}s (--timeout)",
                        self.timeout.as_secs()
                    ),
                });
            }
            tokio::time::sleep(interval).await;
            interval = interval.mul_f64(1.5).min(self.max_interval);
        };
        let mut resources = self.cfn.resource_drifts(stack).await?;
        if let Detection::Failed(reason) = detection {
            if resources.is_empty() {
                return Ok(StackOutcome::NotChecked {
                    because: format!("drift detection failed: {reason}"),
                });
            }
        }
        for resource in &mut resources {
            for property in &mut resource.properties {
                property.ignored = self
                    .ignore
                    .iter()
                    .any(|rule| rule.matches(stack, &resource.logical_id, &property.path));
            }
        }
        Ok(if resources.is_empty() {
            StackOutcome::InSync
        } else {
            StackOutcome::Drifted { resources }
        })
    }

    /// The outcome of a failed call: "not checked" when the endpoint has no drift detection
    /// (remembered for the other stacks), a failure otherwise.
    fn failed(&self, error: CfnError) -> StackOutcome {
        if UNSUPPORTED_CODES.contains(&error.code.as_str()) {
            self.unsupported.store(true, Ordering::Relaxed);
            return not_supported();
        }
        let hint = if error.code == "ValidationError" && error.message.contains("does not exist") {
            Some("the stack is not deployed: run `gapfill deploy` first".to_string())
        } else {
            error.hint()
        };
        StackOutcome::Failed {
            reason: error.to_string(),
            hint,
        }
    }
}

fn not_supported() -> StackOutcome {
    StackOutcome::NotChecked {
        because: "the endpoint has no CloudFormation drift detection (DetectStackDrift is not implemented)".into(),
    }
}
