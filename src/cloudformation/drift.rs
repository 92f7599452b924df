//! CloudFormation's drift detection, one thin wrapper per call: start a detection, read its
//! status, list the resources that are not IN_SYNC with their property differences.

use aws_sdk_cloudformation::types::{StackDriftDetectionStatus, StackResourceDriftStatus};

use crate::events::{PropertyDrift, ResourceDrift};

use super::client::{api_error, Cfn, CfnError};

/// Where a drift detection stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detection {
    InProgress,
    Complete,
    /// Failed for some resources at least; the reason CloudFormation gives.
    Failed(String),
}

impl Cfn {
    /// Starts a drift detection of `stack`; its id.
    pub async fn detect_drift(&self, stack: &str) -> Result<String, CfnError> {
        let answer = self
            .client
            .detect_stack_drift()
            .stack_name(stack)
            .send()
            .await
            .map_err(|error| api_error("DetectStackDrift", error))?;
        answer
            .stack_drift_detection_id()
            .map(str::to_string)
            .ok_or_else(|| CfnError {
                operation: "DetectStackDrift",
                code: "MissingId".into(),
                message: "the answer holds no detection id".into(),
            })
    }

    /// Where the detection `id` stands.
    pub async fn drift_detection(&self, id: &str) -> Result<Detection, CfnError> {
        let status = self
            .client
            .describe_stack_drift_detection_status()
            .stack_drift_detection_id(id)
            .send()
            .await
            .map_err(|error| api_error("DescribeStackDriftDetectionStatus", error))?;
        Ok(match status.detection_status() {
            Some(StackDriftDetectionStatus::DetectionInProgress) => Detection::InProgress,
            Some(StackDriftDetectionStatus::DetectionFailed) => Detection::Failed(
                status
                    .detection_status_reason()
                    .unwrap_or("no reason given")
                    .to_string(),
            ),
            _ => Detection::Complete,
        })
    }

    /// Every resource of `stack` that is not IN_SYNC (modified, deleted, or one
    /// CloudFormation cannot check), with its property differences.
    pub async fn resource_drifts(&self, stack: &str) -> Result<Vec<ResourceDrift>, CfnError> {
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
            let page = page.map_err(|error| api_error("DescribeStackResourceDrifts", error))?;
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
}
