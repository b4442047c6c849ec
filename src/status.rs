//! What `rackfile status` reports: each declared rack as Convox names it (`convox racks` + `convox rack`),
//! computed from a live snapshot without I/O.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cloud::StackStatus;
use crate::config::Rack;
use crate::convox::convox_status;
use crate::convox::names;
use crate::live::LiveState;

/// A declared rack's live state, in Convox's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RackStatus {
    /// `org/name`.
    pub rack: String,
    /// Convox's word for the stack status, or `not installed`.
    pub status: String,
    /// The CloudFormation status behind `status`; `None` when there is no stack.
    pub stack_status: Option<StackStatus>,
    pub version: Option<String>,
    /// Convox's latest published release, for a rack built from Convox's published templates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest: Option<String>,
    pub region: String,
    pub account_id: String,
    pub count: Option<String>,
    #[serde(rename = "type")]
    pub instance_type: Option<String>,
    /// Where the rack answers: what `convox rack` shows as its Router (the `Domain` output), else its
    /// `Dashboard` output (the API's load balancer, and the only endpoint of racks before 2018).
    pub endpoint: Option<String>,
    /// Every output of the stack; empty when there is none.
    pub outputs: BTreeMap<String, String>,
    /// The stack's last operation did not do what it was started for (a failed install, an update rolled
    /// back, a rollback or deletion that failed): `rackfile events` says why.
    pub last_operation_failed: bool,
}

/// What `status` shows while CloudFormation replaces the rack's instances (`history::replacing_instances`),
/// as `convox rack` does.
pub const CONVERGING: &str = "converging";

impl RackStatus {
    /// The rack's instances are being replaced now.
    pub fn mark_converging(&mut self) {
        self.status = CONVERGING.to_string();
    }

    /// Whether `status` reads the stack's events to tell `converging` from `updating`: only while an update
    /// (or its rollback) runs, so a fleet at rest costs no call.
    pub fn may_be_converging(&self) -> bool {
        matches!(
            self.stack_status,
            Some(StackStatus::UpdateInProgress | StackStatus::UpdateRollbackInProgress)
        ) && self.status != NOT_A_RACK
    }
}

/// The outputs `endpoint` is read from, in order.
pub const ENDPOINT_OUTPUTS: [&str; 2] = ["Domain", "Dashboard"];

pub const NOT_INSTALLED: &str = "not installed";

/// What `status` shows for a declared name whose stack is not a Convox rack (`convox::is_rack`).
pub const NOT_A_RACK: &str = "not a rack";

/// One row per rack, in file order.
pub fn of_racks(racks: &[Rack], live: &LiveState) -> Vec<RackStatus> {
    racks
        .iter()
        .map(|rack| {
            // Status reads every org of the racks it shows, or stops before it shows any.
            let key = live.key_of(rack);
            let account = key
                .as_ref()
                .map(|key| key.account.clone())
                .unwrap_or_default();
            let stack = key.as_ref().and_then(|key| live.stack(key));
            let parameter = |name: &str| stack.and_then(|s| s.parameters.get(name).cloned());
            RackStatus {
                rack: rack.id(),
                status: match stack {
                    None => NOT_INSTALLED,
                    Some(stack) if !crate::convox::is_rack(stack) => NOT_A_RACK,
                    Some(stack) => convox_status(&stack.status),
                }
                .to_string(),
                stack_status: stack.map(|s| s.status.clone()),
                version: parameter(names::VERSION),
                latest: live
                    .releases()
                    .filter(|_| rack.uses_convox_releases())
                    .and_then(|releases| releases.latest_published())
                    .map(|release| release.version.clone()),
                region: rack.region.clone(),
                account_id: account,
                count: parameter(names::INSTANCE_COUNT),
                instance_type: parameter(names::INSTANCE_TYPE),
                endpoint: stack.and_then(|stack| {
                    ENDPOINT_OUTPUTS
                        .iter()
                        .find_map(|name| stack.outputs.get(*name).filter(|v| !v.is_empty()))
                        .cloned()
                }),
                outputs: stack.map(|stack| stack.outputs.clone()).unwrap_or_default(),
                last_operation_failed: stack.is_some_and(|stack| {
                    crate::convox::is_rack(stack) && stack.status.is_failure()
                }),
            }
        })
        .collect()
}
