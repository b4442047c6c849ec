//! What the analysis finds an update does to one resource, as data: the views word it, the planner
//! decides with it. A leaf: the analysis (`impact`), the forced re-run (`forced`) and the update policies
//! (`update_policy`) all name it, and it names none of them.

use serde::{Deserialize, Serialize};

use super::cause::Cause;

/// What the update does to one resource, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceImpact {
    pub logical_id: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub action: ResourceAction,
    /// Why: the views word it (`render::impact::because`), and the JSON view writes those words beside it.
    pub cause: Cause,
    /// The replaced resource this one refers to (Ref, Fn::GetAtt): how the change reached it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub through: Option<String>,
    /// An AutoScalingGroup whose AutoScalingRollingUpdate policy replaces its instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolling: Option<Rolling>,
    /// The analysis ran out of its budget before it could tell: the resource may be replaced.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub too_complex: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceAction {
    Add,
    Remove,
    Modify,
    Replace,
    MayReplace,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rolling {
    /// Instances replaced at a time (MaxBatchSize, 1 when the policy leaves it out); `None` when it is only
    /// known to AWS.
    pub max_batch_size: Option<String>,
}
