//! CloudFormation's own view of an update: a change set, as DescribeChangeSet reports it (every page, with
//! IncludePropertyValues). Plain data, shared by the SDK adapter, the fake and the plan.

use serde::{Deserialize, Serialize};

/// Where a change set is: its stack and its name (DeleteChangeSet and ExecuteChangeSet by name work even
/// when the id was never learnt, e.g. a CreateChangeSet interrupted before its answer).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ChangeSetRef {
    pub stack: String,
    pub name: String,
}

/// A change set as DescribeChangeSet reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSet {
    pub id: String,
    /// CREATE_PENDING, CREATE_IN_PROGRESS, CREATE_COMPLETE, DELETE_*, FAILED.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// AVAILABLE only while it can be executed; UNAVAILABLE, EXECUTE_*, OBSOLETE otherwise.
    pub execution_status: String,
    pub changes: Vec<ResourceChange>,
}

/// CloudFormation's words for a change set it refused to make because the update changes nothing.
pub const NO_CHANGES_REASON: &str = "The submitted information didn't contain changes. Submit different information to create a change set.";

impl ChangeSet {
    /// Still being made: ask again.
    pub fn is_pending(&self) -> bool {
        matches!(
            self.status.as_str(),
            "CREATE_PENDING" | "CREATE_IN_PROGRESS"
        )
    }

    /// FAILED because the update would change nothing: a clean "no changes", not an error.
    pub fn is_empty_update(&self) -> bool {
        self.status == "FAILED"
            && self.status_reason.as_deref().is_some_and(|reason| {
                reason.contains("didn't contain changes")
                    || reason.contains("No updates are to be performed")
            })
    }

    pub fn is_executable(&self) -> bool {
        self.status == "CREATE_COMPLETE" && self.execution_status == "AVAILABLE"
    }
}

/// One resource's change (`ResourceChange`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceChange {
    /// Add, Modify, Remove, Import, Dynamic.
    pub action: String,
    pub logical_id: String,
    pub resource_type: String,
    /// Only for Modify; absent where the service does not say (moto never does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<Replacement>,
    /// Properties, Metadata, CreationPolicy, UpdatePolicy, DeletionPolicy, UpdateReplacePolicy, Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ChangeDetail>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Replacement {
    False,
    Conditional,
    True,
}

/// One `ResourceChangeDetail`: what changed (the target), and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeDetail {
    /// The target's attribute: Properties, Metadata, Tags, ...
    pub attribute: String,
    /// The property's name, for attribute Properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Never, Conditionally, Always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_recreation: Option<String>,
    /// Static (known now) or Dynamic (known only when the update runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<String>,
    /// ResourceReference, ParameterReference, ResourceAttribute, DirectModification, Automatic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causing_entity: Option<String>,
}
