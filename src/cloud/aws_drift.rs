//! The `Drift` trait over the official CloudFormation SDK, each call under the (account, region)'s shared
//! rate limit (the client also shares its retry partition and call log with the other CloudFormation calls).

use std::sync::Arc;

use async_trait::async_trait;

use super::StackResource;
use super::aws_error::sdk_error;
use super::drift::{
    Detection, DetectionStatus, DifferenceKind, Drift, PropertyDifference, ResourceDrift,
    ResourceDriftStatus, StackDriftStatus,
};
use super::rate_limit::RateLimit;
use super::{CloudError, CloudErrorKind};

pub struct AwsDrift {
    client: aws_sdk_cloudformation::Client,
    limit: Arc<RateLimit>,
}

impl AwsDrift {
    pub fn new(client: aws_sdk_cloudformation::Client, limit: Arc<RateLimit>) -> Self {
        Self { client, limit }
    }
}

#[async_trait]
impl Drift for AwsDrift {
    async fn detect_stack_drift(&self, stack: &str) -> Result<String, CloudError> {
        self.limit.acquire().await;
        let output = self
            .client
            .detect_stack_drift()
            .stack_name(stack)
            .send()
            .await
            .map_err(sdk_error)?;
        output
            .stack_drift_detection_id()
            .map(str::to_string)
            .ok_or_else(|| {
                CloudError::new(
                    CloudErrorKind::Other,
                    "DetectStackDrift answered no StackDriftDetectionId",
                )
            })
    }

    async fn detection_status(&self, detection_id: &str) -> Result<Detection, CloudError> {
        self.limit.acquire().await;
        let output = self
            .client
            .describe_stack_drift_detection_status()
            .stack_drift_detection_id(detection_id)
            .send()
            .await
            .map_err(sdk_error)?;
        let word = output
            .detection_status()
            .map(|status| status.as_str())
            .unwrap_or_default();
        let status = DetectionStatus::parse(word).ok_or_else(|| {
            CloudError::new(
                CloudErrorKind::Other,
                format!("CloudFormation answered an unknown drift detection status {word}"),
            )
        })?;
        Ok(Detection {
            status,
            stack_drift: output
                .stack_drift_status()
                .map(|status| StackDriftStatus::parse(status.as_str())),
            reason: output.detection_status_reason().map(str::to_string),
            drifted_resources: output
                .drifted_stack_resource_count()
                .and_then(|count| u32::try_from(count).ok()),
        })
    }

    async fn resource_drifts(&self, stack: &str) -> Result<Vec<ResourceDrift>, CloudError> {
        let mut pages = self
            .client
            .describe_stack_resource_drifts()
            .stack_name(stack)
            .max_results(100)
            .into_paginator()
            .send();
        let mut drifts = Vec::new();
        loop {
            self.limit.acquire().await;
            let Some(page) = pages.next().await else {
                break;
            };
            let page = page.map_err(sdk_error)?;
            drifts.extend(page.stack_resource_drifts().iter().map(|drift| {
                ResourceDrift {
                    logical_id: drift.logical_resource_id().unwrap_or_default().to_string(),
                    physical_id: drift.physical_resource_id().map(str::to_string),
                    resource_type: drift.resource_type().unwrap_or_default().to_string(),
                    status: drift
                        .stack_resource_drift_status()
                        .map_or(ResourceDriftStatus::Unknown, |status| {
                            ResourceDriftStatus::parse(status.as_str())
                        }),
                    differences: drift
                        .property_differences()
                        .iter()
                        .map(|difference| PropertyDifference {
                            path: difference.property_path().unwrap_or_default().to_string(),
                            expected: difference.expected_value().unwrap_or_default().to_string(),
                            actual: difference.actual_value().unwrap_or_default().to_string(),
                            kind: DifferenceKind::parse(
                                difference
                                    .difference_type()
                                    .map(|kind| kind.as_str())
                                    .unwrap_or_default(),
                            ),
                        })
                        .collect(),
                    reason: drift.drift_status_reason().map(str::to_string),
                }
            }));
        }
        Ok(drifts)
    }

    async fn stack_resources(&self, stack: &str) -> Result<Vec<StackResource>, CloudError> {
        super::aws_cloudformation::list_stack_resources(&self.client, &self.limit, stack).await
    }
}
