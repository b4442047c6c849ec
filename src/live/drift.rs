//! Runs CloudFormation's drift detection on many racks at once and reads what it found: per rack one
//! DetectStackDrift, then one DescribeStackDriftDetectionStatus per poll interval until it ends (or the
//! timeout), then DescribeStackResourceDrifts and ListStackResources, every page. Every call goes through the
//! (account, region)'s shared rate limit, so a fleet backs off together when AWS throttles. Only facts here:
//! `plan::detect_drift` chooses the stacks detection runs on (`plan::drift::detectable`), and `plan::drift`
//! decides what the reads mean.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use tokio::time::Instant;

use crate::cloud::drift::{Detection, DetectionStatus, Drift, ResourceDrift};
use crate::cloud::{CloudError, Connector, Stack, StackResource, StackStatus};
use crate::config::{Config, Rack};

/// How often detection is polled, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct DriftTimings {
    pub first_poll: Duration,
    /// Polls back off to this interval.
    pub max_poll: Duration,
    /// A detection still running after this is reported as timed out (it goes on in AWS).
    pub timeout: Duration,
}

impl Default for DriftTimings {
    fn default() -> Self {
        Self {
            first_poll: Duration::from_secs(2),
            max_poll: Duration::from_secs(10),
            timeout: Duration::from_secs(15 * 60),
        }
    }
}

/// What watches detections run: bars on a terminal, lines in CI, nothing in tests.
pub trait DriftProgress: Send + Sync {
    fn started(&self, rack: &str);
    /// Still running after `elapsed`.
    fn polled(&self, rack: &str, elapsed: Duration);
    /// Over, with a word for how it ended (`drifted`, `in sync`, `failed`, ...).
    fn finished(&self, rack: &str, how: &str);
}

/// No progress shown.
pub struct Quiet;

impl DriftProgress for Quiet {
    fn started(&self, _: &str) {}
    fn polled(&self, _: &str, _: Duration) {}
    fn finished(&self, _: &str, _: &str) {}
}

/// A rack's drift, as read.
#[derive(Debug, Clone)]
pub enum DriftRead {
    /// The detection ended (complete, or failed for some resources), and its results.
    Detected {
        detection: Detection,
        drifts: Vec<ResourceDrift>,
        resources: Vec<StackResource>,
        /// The rack's live parameters, which decide what Convox manages.
        parameters: std::collections::BTreeMap<String, String>,
    },
    /// No stack: nothing to detect.
    NoStack,
    /// Not run: the stack's status when it was swept, one the planner runs no detection in.
    NotRun { status: StackStatus },
    /// A call failed.
    Failed { error: CloudError },
    /// Still running after the timeout.
    TimedOut { after: Duration },
}

impl DriftRead {
    fn word(&self) -> &'static str {
        match self {
            DriftRead::Detected { detection, .. } => match detection.status {
                DetectionStatus::DetectionFailed => "complete, but failed for some resources",
                _ => "complete",
            },
            DriftRead::NoStack => "not run: no stack",
            DriftRead::NotRun { .. } => "not run",
            DriftRead::Failed { .. } => "failed",
            DriftRead::TimedOut { .. } => "still running; stopped waiting",
        }
    }
}

/// Detects drift on each of `stacks` (a rack and its stack as swept) at once; the reads in their order.
pub async fn detect_drift(
    config: &Config,
    stacks: &[(&Rack, &Stack)],
    connector: &dyn Connector,
    timings: DriftTimings,
    progress: &dyn DriftProgress,
) -> Vec<DriftRead> {
    let reads = stacks.iter().map(|&(rack, stack)| async move {
        let drift = match connector.drift(&config.orgs[&rack.org], &rack.region).await {
            Ok(drift) => drift,
            Err(error) => return DriftRead::Failed { error },
        };
        let id = rack.id();
        let parameters = stack.parameters.clone();
        let read = detect_one(drift, &rack.name, &id, parameters, timings, progress).await;
        progress.finished(&id, read.word());
        read
    });
    join_all(reads).await
}

async fn detect_one(
    drift: Arc<dyn Drift>,
    name: &str,
    id: &str,
    parameters: std::collections::BTreeMap<String, String>,
    timings: DriftTimings,
    progress: &dyn DriftProgress,
) -> DriftRead {
    let started = Instant::now();
    let detection_id = match drift.detect_stack_drift(name).await {
        Ok(detection_id) => detection_id,
        Err(error) => return DriftRead::Failed { error },
    };
    progress.started(id);
    let mut interval = timings.first_poll;
    let detection = loop {
        tokio::time::sleep(interval).await;
        match drift.detection_status(&detection_id).await {
            Ok(detection) if detection.status == DetectionStatus::DetectionInProgress => {}
            Ok(detection) => break detection,
            Err(error) => return DriftRead::Failed { error },
        }
        let elapsed = started.elapsed();
        if elapsed >= timings.timeout {
            return DriftRead::TimedOut { after: elapsed };
        }
        progress.polled(id, elapsed);
        interval = (interval * 2).min(timings.max_poll);
    };
    let drifts = match drift.resource_drifts(name).await {
        Ok(drifts) => drifts,
        Err(error) => return DriftRead::Failed { error },
    };
    let resources = match drift.stack_resources(name).await {
        Ok(resources) => resources,
        Err(error) => return DriftRead::Failed { error },
    };
    DriftRead::Detected {
        detection,
        drifts,
        resources,
        parameters,
    }
}
