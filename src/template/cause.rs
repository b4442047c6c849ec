//! Why the analysis decided what it did of a resource, as data: the facts a person would be told (which
//! property changed, whether for certain, which condition, which policy), never the sentence. The views word
//! it (`render::impact::because`); `plan --json` carries both.

use serde::{Deserialize, Serialize};

use crate::cloud::Replacement;

/// The reason behind a `ResourceImpact`'s action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cause {
    /// Only in the planned template.
    NewInTemplate,
    /// Only in the live template.
    GoneFromTemplate,
    /// In both templates, but its Condition turns true (the resource is added) or false (removed).
    ConditionTurns { condition: String, to: bool },
    /// Whether it exists depends on a Condition rackfile cannot evaluate (empty: none was found).
    ExistenceUnknown { condition: String },
    /// Its Type differs between the two templates: CloudFormation replaces it.
    TypeChanges { from: String, to: String },
    /// Only attributes beside Properties changed (Metadata, UpdatePolicy, ...): an update in place.
    AttributesChange { attributes: Vec<String> },
    /// A custom resource's properties changed: its handler decides whether that replaces it.
    CustomResource { properties: Vec<String> },
    /// A nested stack's inputs changed: the stack inside it is not read.
    NestedStack { properties: Vec<String> },
    /// Properties of a type rackfile has no AWS resource schema for changed.
    NoSchema {
        resource_type: String,
        properties: Vec<String>,
    },
    /// A create-only property changes (`certain`), or may: the resource is replaced, or may be.
    CreateOnly { property: String, certain: bool },
    /// A conditional create-only property changes (or may): AWS replaces the resource for some changes of
    /// it, by rules rackfile does not have.
    ConditionalCreateOnly { property: String, certain: bool },
    /// Properties that are not create-only change (`certain`), or may: an update in place.
    PropertiesChange {
        properties: Vec<String>,
        certain: bool,
    },
    /// An AutoScalingGroup whose `AutoScalingReplacingUpdate` (WillReplace) replaces it when these launch
    /// properties change.
    ReplacingUpdate { launch: Vec<String> },
    /// An AutoScalingGroup whose launch properties change, under an update policy only AWS knows: it may be
    /// replaced.
    UpdatePolicyUnknown {
        unknown: PolicyUnknown,
        launch: Vec<String>,
    },
    /// What CloudFormation's change set says of the resource (`plan --changeset`), all of it AWS's data.
    ChangeSet {
        /// Add, Modify, Remove, Import, Dynamic.
        action: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replacement: Option<Replacement>,
        /// The properties it names as changed.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        properties: Vec<String>,
        /// What caused the changes, as the change set names it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        sources: Vec<ChangeSource>,
    },
    /// The analysis ran out of its work budget before it reached the resource.
    TooComplex,
}

/// Which part of an AutoScalingGroup's update policy only AWS knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyUnknown {
    /// The whole `UpdatePolicy`.
    UpdatePolicy,
    /// `AutoScalingReplacingUpdate`.
    ReplacingUpdate,
    /// `AutoScalingReplacingUpdate`'s `WillReplace`.
    WillReplace,
}

/// A change set's ChangeSource and CausingEntity of one change detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSource {
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
}
