//! One stack's drift, read straight down: DetectStackDrift, then
//! DescribeStackDriftDetectionStatus with backoff until the detection ends or the timeout
//! passes, then DescribeStackResourceDrifts for every resource that is not IN_SYNC (modified,
//! deleted, or one CloudFormation cannot check: "not checked", never "in sync"). The project's
//! ignore rules mark what the team accepts.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::types::{StackDriftDetectionStatus, StackResourceDriftStatus};
use aws_sdk_cloudformation::Client;

use crate::events::{PropertyDrift, ResourceDrift, StackOutcome};

use crate::plan::IgnoreRule;

/// Error codes of an endpoint that does not offer an operation at all.
const UNSUPPORTED_CODES: [&str; 3] = ["NotImplemented", "InvalidAction", "UnsupportedOperation"];

/// Checks stacks for drift; the scheduler runs clones of it in parallel.
#[derive(Clone)]
pub struct StackDrift {
    pub client: Client,
    /// How long one stack's detection may take.
    pub timeout: Duration,
    /// The first wait between status checks; it grows by half up to `max_interval`.
    pub interval: Duration,
    pub max_interval: Duration,
    pub ignore: Arc<Vec<IgnoreRule>>,
    /// Set once the endpoint said it has no drift detection: the other stacks need not ask.
    unsupported: Arc<AtomicBool>,
}

/// Why a detection gave no answer.
enum Stop {
    Outcome(StackOutcome),
}

impl StackDrift {
    pub fn new(client: Client, timeout: Duration, ignore: Vec<IgnoreRule>) -> StackDrift {
        StackDrift {
            client,
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
        match self.detect(stack).await {
            Ok(outcome) | Err(Stop::Outcome(outcome)) => outcome,
        }
    }

    async fn detect(&self, stack: &str) -> Result<StackOutcome, Stop> {
        let detection = self
            .client
            .detect_stack_drift()
            .stack_name(stack)
            .send()
            .await
            .map_err(|error| self.stop("DetectStackDrift", error))?;
        let Some(id) = detection.stack_drift_detection_id().map(str::to_string) else {
            return Ok(StackOutcome::Failed {
                reason: "DetectStackDrift answered without a detection id".into(),
                hint: None,
            });
        };
        let started = Instant::now();
        let mut interval = self.interval;
        let status = loop {
            let status = self
                .client
                .describe_stack_drift_detection_status()
                .stack_drift_detection_id(&id)
                .send()
                .await
                .map_err(|error| self.stop("DescribeStackDriftDetectionStatus", error))?;
            if status.detection_status() != Some(&StackDriftDetectionStatus::DetectionInProgress) {
                break status;
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
        let mut resources = self.resource_drifts(stack).await?;
        if status.detection_status() == Some(&StackDriftDetectionStatus::DetectionFailed)
            && resources.is_empty()
        {
            let reason = status
                .detection_status_reason()
                .unwrap_or("no reason given");
            return Ok(StackOutcome::NotChecked {
                because: format!("drift detection failed: {reason}"),
            });
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

    /// Every resource that is not IN_SYNC, with its property differences.
    async fn resource_drifts(&self, stack: &str) -> Result<Vec<ResourceDrift>, Stop> {
        let mut pages = self
            .client
            .describe_stack_resource_drifts()
            .stack_name(stack)
            .stack_resource_drift_status_filters(StackResourceDriftStatus::Modified)
            .stack_resource_drift_status_filters(StackResourceDriftStatus::Deleted)
            .stack_resource_drift_status_filters(StackResourceDriftStatus::NotChecked)
            .into_paginator()
            .send();
        let mut found = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| self.stop("DescribeStackResourceDrifts", error))?;
            for drift in page.stack_resource_drifts() {
                found.push(ResourceDrift {
                    logical_id: drift.logical_resource_id().unwrap_or_default().to_string(),
                    resource_type: drift.resource_type().unwrap_or_default().to_string(),
                    status: drift
                        .stack_resource_drift_status()
                        .map(|status| status.as_str().to_string())
                        .unwrap_or_default(),
                    properties: drift
                        .property_differences()
                        .iter()
                        .map(|difference| PropertyDrift {
                            path: difference.property_path().unwrap_or_default().to_string(),
                            expected: difference.expected_value().map(str::to_string),
                            actual: difference.actual_value().map(str::to_string),
                            difference: difference
                                .difference_type()
                                .map(|kind| kind.as_str().to_string())
                                .unwrap_or_default(),
                            ignored: false,
                        })
                        .collect(),
                });
            }
        }
        Ok(found)
    }

    /// The outcome of a failed call: "not checked" when the endpoint has no drift detection
    /// (remembered for the other stacks), a failure otherwise.
    fn stop<E, R>(&self, operation: &str, error: SdkError<E, R>) -> Stop
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let code = error.code().unwrap_or_default().to_string();
        if UNSUPPORTED_CODES.contains(&code.as_str()) {
            self.unsupported.store(true, Ordering::Relaxed);
            return Stop::Outcome(not_supported());
        }
        let message = error
            .message()
            .map(str::to_string)
            .unwrap_or_else(|| crate::aws::error_chain::error_chain(&error));
        let hint = match code.as_str() {
            "ValidationError" if message.contains("does not exist") => {
                Some("the stack is not deployed: run `gapfill deploy` first".to_string())
            }
            _ => None,
        };
        Stop::Outcome(StackOutcome::Failed {
            reason: format!("{operation} failed: {code}: {message}"),
            hint,
        })
    }
}

fn not_supported() -> StackOutcome {
    StackOutcome::NotChecked {
        because: "the endpoint has no CloudFormation drift detection (DetectStackDrift is not implemented)".into(),
    }
}
