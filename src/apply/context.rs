//! What every effect of an apply works over: the clients, the orgs, the reporter, the timings and the
//! cancellation. The leaf types live here, so each effect file names this one and the effects it runs,
//! never the driver (which is what ended the import cycle among drive, follow and cancel).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;

use super::outcome::ReplanError;
use super::reporter::Reporter;
use crate::cloud::{Cloud, CloudError, Connector};
use crate::config::{OrgSettings, RackId};
use crate::plan::{Permissions, RackPlan};

pub use crate::live::EnvLookup;

/// Timings of the wait loop; tests shorten them.
#[derive(Debug, Clone)]
pub struct Timings {
    pub first_poll: Duration,
    pub max_poll: Duration,
    pub heartbeat: Duration,
    /// How long a rack may change (`--timeout`); what then is `on_timeout`.
    pub timeout: Option<TimeLimit>,
    pub on_timeout: OnTimeout,
}

impl Default for Timings {
    fn default() -> Self {
        Self {
            first_poll: Duration::from_secs(2),
            max_poll: Duration::from_secs(10),
            heartbeat: Duration::from_secs(30),
            timeout: None,
            on_timeout: OnTimeout::Detach,
        }
    }
}

/// `--timeout`: how long a rack may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeLimit {
    /// From the start of the rack's work.
    After(Duration),
    /// Each change's own budget from the plan, from when it is sent; a change without one has no limit.
    Budget,
}

/// `--on-timeout`: what becomes of a rack still changing at its timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnTimeout {
    /// Stop following; the change goes on in AWS.
    #[default]
    Detach,
    /// CancelUpdateStack for an update rackfile started, and follow its rollback.
    Cancel,
}

/// Plans one rack again, after a wait. Implemented by the command with the real planner.
#[async_trait]
pub trait Replanner: Send + Sync {
    async fn replan(&self, rack: &RackId) -> Result<RackPlan, ReplanError>;
}

/// How many times Ctrl-C (or another ending signal) was pressed. The first: no new rack starts and waits
/// stop (the changes go on in AWS); a second within `cancel::SECOND_INTERRUPT_WINDOW`: the updates in
/// progress are cancelled and their rollbacks followed. The command exits at once on a third.
pub type Cancel = watch::Receiver<u8>;

pub struct Context<'a> {
    pub connector: &'a dyn Connector,
    pub orgs: &'a BTreeMap<String, OrgSettings>,
    pub reporter: &'a dyn Reporter,
    pub timings: Timings,
    pub parallelism: usize,
    pub cancel: Cancel,
    pub replanner: Option<&'a dyn Replanner>,
    /// What the run may do: every rack's plan, the first and each one made again after a wait, passes
    /// `plan::gate` before anything is sent.
    pub permissions: Permissions,
    /// Reads environment variables (the password of `password_env`); the process environment in the binary.
    pub env: &'a EnvLookup,
    /// rack -> where its password is, from the moment its install is about to start: whatever happens
    /// next (a failure, a timeout, Ctrl-C), the summary shows it.
    pub started_passwords: super::password::PasswordLedger,
    /// rack -> the resources its continued rollback skips (`apply --recover --skip`, checked failed by
    /// `commands::apply` before anything was sent). Given for this run only: never saved, never re-derived.
    pub resources_to_skip: BTreeMap<String, Vec<String>>,
    /// rack -> what could not be recorded of its new version (`release_record`), for its outcome.
    pub record_warnings: super::outcome::RecordWarnings,
    /// The change sets this run made or was given: each one executed is struck off, the rest deleted when
    /// the run ends.
    pub change_sets: crate::live::ChangeSetLedger,
}

impl Context<'_> {
    /// Whether Ctrl-C was pressed: no new rack or step starts.
    pub fn cancelled(&self) -> bool {
        *self.cancel.borrow() > 0
    }

    /// The CloudFormation client of a rack's org and region.
    pub async fn cloud(&self, org: &str, region: &str) -> Result<Arc<dyn Cloud>, CloudError> {
        self.connector.cloud(&self.orgs[org], region).await
    }
}
