//! What a rack's plan tells a person beside its changes, as facts: the notes (what the plan could not check,
//! or what happens later), the warnings (what is allowed but probably not meant), and why an SSM-typed
//! parameter's value is not known. `render::notes` words them.

use serde::{Deserialize, Serialize};

/// What the plan could not check, or what it leaves for later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Note {
    /// The template (its URL or path) is neither a local file nor in S3: read through GetTemplateSummary,
    /// so only parameter types and AllowedValues were checked.
    SummaryOnly { template: String },
    /// Convox has published `ahead` releases after racks.toml's `version`, the last of them `latest`.
    LaterPublished {
        version: String,
        latest: String,
        ahead: usize,
    },
    /// The live version is not in Convox's release list: the update goes straight to `declared`.
    UnknownLiveVersion { live: String, declared: String },
    /// Parameter Store holds a newer value of an SSM-typed parameter of a rack left unchanged: the rack's
    /// next update resolves it.
    NewerSsmValue {
        parameter: String,
        ssm_name: String,
        /// The stack's ResolvedValue, when it shows one.
        before: Option<String>,
        after: Option<String>,
    },
    /// What an SSM-typed parameter resolves to at the update is not known.
    SsmUnresolved { parameter: String, why: SsmUnknown },
    /// A `[rollout]` alarm of a rack about to be installed does not exist yet in its account and region.
    AlarmNotYet {
        alarm: String,
        account_id: String,
        region: String,
    },
    /// CloudFormation's change set of the update says it changes nothing ("didn't contain changes").
    ChangeSetNoChanges,
}

/// What is allowed but probably not meant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    /// racks.toml's `version` is a Convox release that is not published.
    UnpublishedRelease { version: String },
}

/// Why the current value of an SSM parameter (`name`) is not known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SsmUnknown {
    /// Parameter Store has no parameter of that name in the rack's region.
    Missing { name: String, region: String },
    /// GetParameter failed (denied, throttled past retries): AWS's error, as read.
    Unreadable { name: String, error: String },
}
