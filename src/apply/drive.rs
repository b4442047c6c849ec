//! The driver: runs the racks of a plan concurrently up to a limit and hands each rack's planned action to
//! the effect that carries it out. It makes no choices: the plan's typed `Action` says what to do.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

// tokio's clock, not the system's: the executor's waits, timeouts and times follow a paused test clock.
use tokio::time::Instant;

use async_trait::async_trait;
use futures::StreamExt;
use tokio::sync::watch;

use super::cancel::{OnTimeout, TimeLimit};
use super::outcome::{RackOutcome, RackResult, failed};
use super::reporter::Reporter;
use crate::cloud::{Cloud, CloudError, Connector};
use crate::config::{OrgSettings, RackId};
use crate::plan::{Action, Gate, Permissions, Plan, RackPlan, gate};

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

/// Plans one rack again, after a wait. Implemented by the command with the real planner.
#[async_trait]
pub trait Replanner: Send + Sync {
    async fn replan(&self, rack: &RackId) -> Result<RackPlan, String>;
}

pub use crate::live::EnvLookup;

/// How many times Ctrl-C (or another ending signal) was pressed. The first: no new rack starts and waits
/// stop (the changes go on in AWS); a second within `cancel::SECOND_INTERRUPT_WINDOW`: the updates in
/// progress are cancelled and their rollbacks followed. The command exits at once on a third.
pub type Cancel = watch::Receiver<u8>;

pub struct Executor<'a> {
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
    pub record_warnings: super::release_record::RecordWarnings,
    /// The change sets this run made or was given: each one executed is struck off, the rest deleted when
    /// the run ends.
    pub change_sets: crate::live::ChangeSetLedger,
}

impl Executor<'_> {
    /// Runs every rack of the plan, at most `parallelism` at a time, ignoring its waves (`roll_out`
    /// follows them); outcomes in plan order.
    pub async fn execute(&self, plan: &Plan) -> Vec<RackOutcome> {
        let racks: Vec<&RackPlan> = plan.racks.iter().collect();
        self.execute_racks(&racks, self.parallelism).await
    }

    /// Runs these racks, at most `parallelism` at a time; outcomes in the order given.
    pub(super) async fn execute_racks(
        &self,
        racks: &[&RackPlan],
        parallelism: usize,
    ) -> Vec<RackOutcome> {
        let parallelism = parallelism.max(1);
        let mut outcomes: Vec<(usize, RackOutcome)> =
            futures::stream::iter(racks.iter().copied().enumerate())
                .map(|(index, rack)| async move { (index, self.run_rack(rack).await) })
                .buffer_unordered(parallelism)
                .collect()
                .await;
        outcomes.sort_by_key(|(index, _)| *index);
        outcomes.into_iter().map(|(_, outcome)| outcome).collect()
    }

    pub(super) fn cancelled(&self) -> bool {
        *self.cancel.borrow() > 0
    }

    async fn run_rack(&self, plan: &RackPlan) -> RackOutcome {
        let started = Instant::now();
        let result = if self.cancelled() {
            RackResult::NotStarted
        } else {
            self.run_action(plan, &plan.action, started).await
        };
        let password = self
            .started_passwords
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&plan.rack)
            .cloned();
        let warnings = self
            .record_warnings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&plan.rack)
            .unwrap_or_default();
        let outcome = RackOutcome {
            rack: plan.rack.clone(),
            result,
            elapsed: started.elapsed(),
            password,
            warnings,
        };
        if !matches!(
            outcome.result,
            RackResult::Unchanged | RackResult::NotStarted
        ) {
            self.reporter.finish(&plan.id(), &outcome);
        }
        outcome
    }

    pub(super) async fn cloud(&self, plan: &RackPlan) -> Result<Arc<dyn Cloud>, CloudError> {
        self.connector
            .cloud(&self.orgs[&plan.org], &plan.region)
            .await
    }

    pub(super) async fn run_action(
        &self,
        plan: &RackPlan,
        action: &Action,
        started: Instant,
    ) -> RackResult {
        match gate(plan, &self.permissions) {
            Gate::Go => {}
            Gate::Held => {
                return RackResult::Held {
                    reason: crate::render::hold_words(plan),
                };
            }
            // The first plan's refusals stopped the run before anything started (`commands::apply`):
            // this is a plan made again while it ran.
            Gate::Refused(refusal) => {
                return RackResult::Blocked {
                    status: plan.stack.as_ref().map(|stack| stack.status.clone()),
                    reason: format!(
                        "its new plan {}; nothing was sent",
                        crate::render::refusal_words(&refusal)
                    ),
                };
            }
        }
        match action {
            Action::Unchanged => RackResult::Unchanged,
            // What to do once the stack settles is the decision of a new plan, gated like the first.
            Action::Wait(wait) => match self.replanner {
                Some(replanner) => {
                    self.wait_then_replan(plan, wait.status.as_str(), started, replanner)
                        .await
                }
                // A saved plan is applied as reviewed: a plan made after the wait was not.
                None => RackResult::Blocked {
                    status: Some(wait.status.clone()),
                    reason: "CloudFormation was changing the stack when the plan was made, and a saved plan is not planned again; plan again once it has finished".into(),
                },
            },
            Action::Blocked(blocked) => RackResult::Blocked {
                status: blocked.status.clone(),
                reason: blocked.reason.clone(),
            },
            Action::Install(install) => {
                self.opened(plan, started, async |cloud| {
                    self.install(plan, install, cloud, started).await
                })
                .await
            }
            Action::Update(update) => {
                self.opened(plan, started, async |cloud| {
                    self.update(plan, update, cloud, started).await
                })
                .await
            }
            Action::Upgrade(upgrade) => {
                self.opened(plan, started, async |cloud| {
                    self.upgrade(plan, upgrade, cloud, started).await
                })
                .await
            }
            Action::Reinstall(install) => {
                self.opened(plan, started, async |cloud| {
                    self.reinstall(plan, install, cloud, started).await
                })
                .await
            }
            Action::ContinueRollback => {
                self.opened(plan, started, async |cloud| {
                    Box::pin(self.continue_rollback(plan, cloud, started)).await
                })
                .await
            }
            Action::Uninstall(uninstall) => {
                self.opened(plan, started, async |cloud| {
                    self.uninstall(plan, uninstall, cloud, started).await
                })
                .await
            }
        }
    }

    /// The opening every effect shares: the rack's cloud client, and its stack read again to check that
    /// it is still what was planned (see `changed_since_planned`); only then the effect.
    async fn opened(
        &self,
        plan: &RackPlan,
        started: Instant,
        effect: impl AsyncFnOnce(&dyn Cloud) -> RackResult,
    ) -> RackResult {
        let cloud = match self.cloud(plan).await {
            Ok(cloud) => cloud,
            Err(error) => return failed(format!("cannot reach CloudFormation: {error}"), None),
        };
        if let Some(result) = self
            .changed_since_planned(plan, cloud.as_ref(), started)
            .await
        {
            return result;
        }
        effect(cloud.as_ref()).await
    }
}
