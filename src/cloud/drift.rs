//! CloudFormation's drift detection, as plain data: start a detection on a stack (DetectStackDrift), ask how
//! it is going (DescribeStackDriftDetectionStatus), then read what it found (DescribeStackResourceDrifts,
//! every page) and which resources the stack has (ListStackResources, every page), so the resources the
//! detection did not check can be named: AWS leaves them out of the drift results rather than listing them
//! NOT_CHECKED.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{CloudError, StackResource};

/// DescribeStackDriftDetectionStatus' DetectionStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DetectionStatus {
    DetectionInProgress,
    DetectionComplete,
    /// The detection failed for at least one resource; the others have results.
    DetectionFailed,
}

impl DetectionStatus {
    pub fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "DETECTION_IN_PROGRESS" => Self::DetectionInProgress,
            "DETECTION_COMPLETE" => Self::DetectionComplete,
            "DETECTION_FAILED" => Self::DetectionFailed,
            _ => return None,
        })
    }

    pub fn word(self) -> &'static str {
        match self {
            Self::DetectionInProgress => "DETECTION_IN_PROGRESS",
            Self::DetectionComplete => "DETECTION_COMPLETE",
            Self::DetectionFailed => "DETECTION_FAILED",
        }
    }
}

/// A stack's drift status (StackDriftStatus).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StackDriftStatus {
    Drifted,
    InSync,
    NotChecked,
    Unknown,
}

impl StackDriftStatus {
    pub fn parse(word: &str) -> Self {
        match word {
            "DRIFTED" => Self::Drifted,
            "IN_SYNC" => Self::InSync,
            "NOT_CHECKED" => Self::NotChecked,
            _ => Self::Unknown,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Self::Drifted => "DRIFTED",
            Self::InSync => "IN_SYNC",
            Self::NotChecked => "NOT_CHECKED",
            Self::Unknown => "UNKNOWN",
        }
    }
}

/// Where one detection is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub status: DetectionStatus,
    /// Known once the detection is over.
    pub stack_drift: Option<StackDriftStatus>,
    /// DetectionStatusReason: why it failed, when it did.
    pub reason: Option<String>,
    pub drifted_resources: Option<u32>,
}

/// A resource's drift status (StackResourceDriftStatus).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResourceDriftStatus {
    InSync,
    Modified,
    Deleted,
    /// Not checked: the type does not support drift detection, or no detection has run.
    NotChecked,
    /// CloudFormation could not run the detection for the resource (its reason says why).
    Unknown,
}

impl ResourceDriftStatus {
    /// A word AWS may add later is `Unknown`: never taken for in sync.
    pub fn parse(word: &str) -> Self {
        match word {
            "IN_SYNC" => Self::InSync,
            "MODIFIED" => Self::Modified,
            "DELETED" => Self::Deleted,
            "NOT_CHECKED" | "UNSUPPORTED" => Self::NotChecked,
            _ => Self::Unknown,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Self::InSync => "IN_SYNC",
            Self::Modified => "MODIFIED",
            Self::Deleted => "DELETED",
            Self::NotChecked => "NOT_CHECKED",
            Self::Unknown => "UNKNOWN",
        }
    }
}

/// How a property differs (DifferenceType).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DifferenceKind {
    /// A value present on the resource that the template does not have (a rule added by hand).
    Add,
    /// A value the template has that the resource lost.
    Remove,
    NotEqual,
}

impl DifferenceKind {
    pub fn parse(word: &str) -> Self {
        match word {
            "ADD" => Self::Add,
            "REMOVE" => Self::Remove,
            _ => Self::NotEqual,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Self::Add => "ADD",
            Self::Remove => "REMOVE",
            Self::NotEqual => "NOT_EQUAL",
        }
    }
}

/// One property that differs (PropertyDifference); values are JSON text, as AWS gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyDifference {
    /// A JSON pointer into the resource's properties, e.g. `/SecurityGroupIngress/2`.
    pub path: String,
    pub expected: String,
    pub actual: String,
    pub kind: DifferenceKind,
}

/// One resource as the last detection found it (StackResourceDrift).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceDrift {
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    pub status: ResourceDriftStatus,
    pub differences: Vec<PropertyDifference>,
    /// DriftStatusReason.
    pub reason: Option<String>,
}

/// CloudFormation's drift detection in one account and region, already authenticated. Every call waits its
/// turn under the (account, region)'s shared rate limit.
#[async_trait]
pub trait Drift: Send + Sync {
    /// DetectStackDrift of the whole stack: the detection's id. The detection runs on in AWS.
    async fn detect_stack_drift(&self, stack: &str) -> Result<String, CloudError>;
    /// DescribeStackDriftDetectionStatus.
    async fn detection_status(&self, detection_id: &str) -> Result<Detection, CloudError>;
    /// DescribeStackResourceDrifts, every page: the resources the stack's last detection checked, or tried to.
    async fn resource_drifts(&self, stack: &str) -> Result<Vec<ResourceDrift>, CloudError>;
    /// ListStackResources, every page (the same reader as `Cloud::stack_resources`).
    async fn stack_resources(&self, stack: &str) -> Result<Vec<StackResource>, CloudError>;
}
