//! The executor: carries out a Plan through the `Cloud` traits and reports through a `Reporter`. It makes no
//! decisions: installs and updates are sent exactly as planned, racks run concurrently up to a limit, and
//! each rack is followed to a final status. A rack that was busy when planned is waited for and then handed
//! back to the planner (`Replanner`), never planned here.

pub mod events;
pub mod password;
pub mod reporter;
pub mod summary;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

// tokio's clock, not the system's: the executor's waits, timeouts and times follow a paused test clock.
use tokio::time::Instant;

use async_trait::async_trait;
use futures::StreamExt;
use tokio::sync::watch;

use crate::cloud::{
    Cloud, CloudError, CloudErrorKind, Connector, CreateStackRequest, Stack, StackEvent,
    StackState, UpdateOutcome, UpdateStackRequest, is_failure, is_in_progress,
};
use crate::config::{OrgSettings, RackId};
use crate::plan::{
    Action, BlockedKind, Install, Plan, RackPlan, StackFingerprint, Uninstall, Update, Upgrade,
};
pub use password::InstalledPassword;
use reporter::Reporter;

/// Timings of the wait loop; tests shorten them.
#[derive(Debug, Clone)]
pub struct Timings {
    pub first_poll: Duration,
    pub max_poll: Duration,
    pub heartbeat: Duration,
    /// Give up following a rack after this long (it carries on in AWS).
    pub timeout: Option<Duration>,
}

impl Default for Timings {
    fn default() -> Self {
        Self {
            first_poll: Duration::from_secs(2),
            max_poll: Duration::from_secs(10),
            heartbeat: Duration::from_secs(30),
            timeout: None,
        }
    }
}

/// Plans one rack again, after a wait. Implemented by the command with the real planner.
#[async_trait]
pub trait Replanner: Send + Sync {
    async fn replan(&self, rack: &RackId) -> Result<RackPlan, String>;
}

/// Reads an environment variable (the process environment in the binary, a map in tests).
pub type EnvLookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// Ctrl-C: when it flips to true, no new rack starts and waits stop.
pub type Cancel = watch::Receiver<bool>;

pub struct Executor<'a> {
    pub connector: &'a dyn Connector,
    pub orgs: &'a BTreeMap<String, OrgSettings>,
    pub reporter: &'a dyn Reporter,
    pub timings: Timings,
    pub parallelism: usize,
    pub cancel: Cancel,
    pub replanner: Option<&'a dyn Replanner>,
    /// Reads environment variables (the password of `password_env`); the process environment in the binary.
    pub env: &'a EnvLookup,
    /// rack -> where its password is, from the moment its install is about to start: whatever happens
    /// next (a failure, a timeout, Ctrl-C), the summary shows it.
    pub started_passwords: std::sync::Mutex<BTreeMap<String, InstalledPassword>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RackOutcome {
    pub rack: String,
    pub result: RackResult,
    pub elapsed: Duration,
    /// Where the password of an install that was started is (`None`: from the environment, or no install).
    pub password: Option<InstalledPassword>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RackResult {
    Installed {
        dashboard: Option<String>,
    },
    /// A failed install deleted and installed again (`--recover`).
    Reinstalled {
        dashboard: Option<String>,
    },
    /// An UPDATE_ROLLBACK_FAILED rollback continued to UPDATE_ROLLBACK_COMPLETE (`--recover`), and what the
    /// new plan of the rack did next (`None`: nothing was left to do, or re-planning is not allowed).
    RollbackContinued {
        then: Option<Box<RackResult>>,
    },
    /// Its apps and resources and then the rack deleted (`ensure = "absent"`); what the template retains
    /// is left.
    Uninstalled {
        apps: usize,
        retained: Vec<String>,
    },
    Updated,
    /// Every step of an upgrade through required releases completed.
    Upgraded {
        steps: usize,
    },
    /// An upgrade stopped at a step: what happened there; later steps were not started.
    UpgradeStopped {
        /// 1-based.
        step: usize,
        of: usize,
        version: String,
        result: Box<RackResult>,
    },
    /// CloudFormation said there was nothing to update.
    AlreadyUpToDate,
    Unchanged,
    Blocked {
        status: String,
        reason: String,
    },
    Failed {
        message: String,
        /// The final stack status, when there is a stack.
        status: Option<String>,
        /// The first failed resource and its reason.
        root_cause: Option<String>,
    },
    /// Still changing in AWS when rackfile stopped following it.
    StillInProgress {
        status: String,
        why: StopReason,
    },
    /// Never started because of Ctrl-C.
    NotStarted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    Timeout,
    Interrupted,
}

impl RackResult {
    /// What happened in the end: the step an upgrade stopped at says it.
    pub fn settled(&self) -> &RackResult {
        match self {
            RackResult::UpgradeStopped { result, .. } => result.settled(),
            RackResult::RollbackContinued { then: Some(then) } => then.settled(),
            other => other,
        }
    }

    fn describe(&self, elapsed: &str) -> String {
        match self {
            RackResult::Installed { .. } => format!("installed in {elapsed}"),
            RackResult::Reinstalled { .. } => {
                format!("deleted and installed again in {elapsed}")
            }
            RackResult::RollbackContinued { then: None } => format!(
                "rollback continued to UPDATE_ROLLBACK_COMPLETE in {elapsed}; `rackfile plan` shows what is left to apply"
            ),
            RackResult::RollbackContinued { then: Some(then) } => format!(
                "rollback continued to UPDATE_ROLLBACK_COMPLETE, then {}",
                then.describe(elapsed)
            ),
            RackResult::Uninstalled { apps, retained } => {
                let mut text = match apps {
                    0 => format!("uninstalled in {elapsed}"),
                    1 => format!("uninstalled with its 1 app or resource stack in {elapsed}"),
                    _ => {
                        format!("uninstalled with its {apps} app and resource stacks in {elapsed}")
                    }
                };
                if !retained.is_empty() {
                    text.push_str(&format!(
                        "; left behind (DeletionPolicy Retain): {}",
                        retained.join(", ")
                    ));
                }
                text
            }
            RackResult::Updated => format!("updated in {elapsed}"),
            RackResult::Upgraded { steps } => format!("upgraded in {steps} steps in {elapsed}"),
            RackResult::UpgradeStopped {
                step,
                of,
                version,
                result,
            } => {
                let rest = match of - step {
                    0 => String::new(),
                    1 => format!("; step {of} was not started"),
                    _ => format!("; steps {} to {of} were not started", step + 1),
                };
                format!(
                    "upgrade stopped at step {step} of {of} (to {version}): {}{rest}",
                    result.describe(elapsed)
                )
            }
            RackResult::AlreadyUpToDate => "no updates were needed".into(),
            RackResult::Unchanged => "no changes".into(),
            RackResult::Blocked { status, reason } => format!("not changed: {status}: {reason}"),
            RackResult::Failed {
                message,
                status,
                root_cause,
            } => {
                let mut text = format!("failed after {elapsed}: {message}");
                if let Some(status) = status {
                    text.push_str(&format!("; the stack is {status}"));
                }
                if let Some(cause) = root_cause {
                    text.push_str(&format!("; root cause: {cause}"));
                }
                text
            }
            RackResult::StillInProgress { status, why } => match why {
                StopReason::Timeout => format!(
                    "timed out after {elapsed}; CloudFormation is still changing it ({status})"
                ),
                StopReason::Interrupted => {
                    format!("interrupted; CloudFormation is still changing it ({status})")
                }
            },
            RackResult::NotStarted => "not started (interrupted)".into(),
        }
    }
}

impl RackOutcome {
    pub fn succeeded(&self) -> bool {
        matches!(
            self.result.settled(),
            RackResult::Installed { .. }
                | RackResult::Reinstalled { .. }
                | RackResult::RollbackContinued { then: None }
                | RackResult::Uninstalled { .. }
                | RackResult::Updated
                | RackResult::Upgraded { .. }
                | RackResult::AlreadyUpToDate
                | RackResult::Unchanged
        )
    }

    pub fn describe(&self) -> String {
        self.result.describe(&format_duration(self.elapsed))
    }
}

pub fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds >= 60 {
        format!("{}m{:02}s", seconds / 60, seconds % 60)
    } else if seconds >= 1 {
        format!("{seconds}s")
    } else {
        format!("{}ms", duration.as_millis())
    }
}

impl Executor<'_> {
    /// Runs every rack of the plan, at most `parallelism` at a time; outcomes in plan order.
    pub async fn execute(&self, plan: &Plan) -> Vec<RackOutcome> {
        let parallelism = self.parallelism.max(1);
        let mut outcomes: Vec<(usize, RackOutcome)> =
            futures::stream::iter(plan.racks.iter().enumerate())
                .map(|(index, rack)| async move { (index, self.run_rack(rack).await) })
                .buffer_unordered(parallelism)
                .collect()
                .await;
        outcomes.sort_by_key(|(index, _)| *index);
        outcomes.into_iter().map(|(_, outcome)| outcome).collect()
    }

    fn cancelled(&self) -> bool {
        *self.cancel.borrow()
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
            .remove(&plan.rack);
        let outcome = RackOutcome {
            rack: plan.rack.clone(),
            result,
            elapsed: started.elapsed(),
            password,
        };
        if !matches!(
            outcome.result,
            RackResult::Unchanged | RackResult::NotStarted
        ) {
            self.reporter.finish(&plan.id(), &outcome);
        }
        outcome
    }

    async fn cloud(&self, plan: &RackPlan) -> Result<Arc<dyn Cloud>, CloudError> {
        self.connector
            .cloud(&self.orgs[&plan.org], &plan.region)
            .await
    }

    async fn run_action(&self, plan: &RackPlan, action: &Action, started: Instant) -> RackResult {
        match action {
            Action::Unchanged => RackResult::Unchanged,
            // Only a stack CloudFormation is creating or updating is waited for: a deletion leaves nothing to
            // follow, and installing it again is a decision for a new plan, not for this one.
            Action::Blocked(blocked) if blocked.kind == BlockedKind::Busy => match self.replanner {
                Some(replanner) => {
                    self.wait_then_replan(plan, &blocked.status, started, replanner)
                        .await
                }
                None => RackResult::Blocked {
                    status: blocked.status.clone(),
                    reason: blocked.reason.clone(),
                },
            },
            Action::Blocked(blocked) => RackResult::Blocked {
                status: blocked.status.clone(),
                reason: blocked.reason.clone(),
            },
            Action::Install(install) => match self.cloud(plan).await {
                Ok(cloud) => self.install(plan, install, cloud.as_ref(), started).await,
                Err(error) => failed(format!("cannot reach CloudFormation: {error}"), None),
            },
            Action::Update(update) => match self.cloud(plan).await {
                Ok(cloud) => self.update(plan, update, cloud.as_ref(), started).await,
                Err(error) => failed(format!("cannot reach CloudFormation: {error}"), None),
            },
            Action::Upgrade(upgrade) => match self.cloud(plan).await {
                Ok(cloud) => self.upgrade(plan, upgrade, cloud.as_ref(), started).await,
                Err(error) => failed(format!("cannot reach CloudFormation: {error}"), None),
            },
            Action::Reinstall(install) => match self.cloud(plan).await {
                Ok(cloud) => self.reinstall(plan, install, cloud.as_ref(), started).await,
                Err(error) => failed(format!("cannot reach CloudFormation: {error}"), None),
            },
            Action::ContinueRollback => match self.cloud(plan).await {
                Ok(cloud) => Box::pin(self.continue_rollback(plan, cloud.as_ref(), started)).await,
                Err(error) => failed(format!("cannot reach CloudFormation: {error}"), None),
            },
            Action::Uninstall(uninstall) => match self.cloud(plan).await {
                Ok(cloud) => {
                    self.uninstall(plan, uninstall, cloud.as_ref(), started)
                        .await
                }
                Err(error) => failed(format!("cannot reach CloudFormation: {error}"), None),
            },
        }
    }

    /// Reads the stack again just before writing to it. A change made since the plan (by a person, the
    /// autoscaler, another apply) must not be undone by values read before it: a stack another operation
    /// is changing is waited for and planned again (when re-planning is allowed); any other change stops
    /// the rack with nothing sent.
    async fn changed_since_planned(
        &self,
        plan: &RackPlan,
        cloud: &dyn Cloud,
        started: Instant,
    ) -> Option<RackResult> {
        let now = match cloud.describe_stack(&plan.name).await {
            Ok(now) => now,
            Err(error) => {
                return Some(failed(
                    format!("cannot read the stack before changing it: {error}; nothing was sent"),
                    None,
                ));
            }
        };
        let fingerprint = now.as_ref().map(StackFingerprint::of);
        if fingerprint == plan.stack {
            return None;
        }
        if let Some(stack) = &now
            && is_in_progress(&stack.status)
            && let Some(replanner) = self.replanner
        {
            return Some(
                Box::pin(self.wait_then_replan(plan, &stack.status, started, replanner)).await,
            );
        }
        let what = StackFingerprint::change(plan.stack.as_ref(), fingerprint.as_ref())
            .unwrap_or_else(|| "it changed".to_string());
        Some(failed(
            format!(
                "the stack changed since the plan ({what}); nothing was sent. Plan again: `rackfile plan` shows the rack as it is now"
            ),
            now.map(|stack| stack.status),
        ))
    }

    async fn wait_then_replan(
        &self,
        plan: &RackPlan,
        status: &str,
        started: Instant,
        replanner: &dyn Replanner,
    ) -> RackResult {
        let cloud = match self.cloud(plan).await {
            Ok(cloud) => cloud,
            Err(error) => return failed(format!("cannot reach CloudFormation: {error}"), None),
        };
        self.reporter
            .start(&plan.id(), &format!("waiting: {status}"), 0);
        let seen = match cloud.stack_events(&plan.name).await {
            Ok(events) => events.into_iter().map(|e| e.event_id).collect(),
            Err(_) => HashSet::new(),
        };
        match self.follow(plan, cloud.as_ref(), seen, started).await {
            Followed::Settled { .. } => {}
            Followed::Stopped(result) => return result,
        }
        match replanner.replan(&plan.id()).await {
            // Waiting twice would be a loop: a rack busy again after the wait is reported as blocked.
            Ok(new_plan) => match &new_plan.action {
                Action::Blocked(blocked) => RackResult::Blocked {
                    status: blocked.status.clone(),
                    reason: blocked.reason.clone(),
                },
                action => Box::pin(self.run_action(&new_plan, action, started)).await,
            },
            Err(message) => failed(
                format!("re-planning after the wait failed: {message}"),
                None,
            ),
        }
    }

    async fn install(
        &self,
        plan: &RackPlan,
        install: &Install,
        cloud: &dyn Cloud,
        started: Instant,
    ) -> RackResult {
        if let Some(result) = self.changed_since_planned(plan, cloud, started).await {
            return result;
        }
        self.create_and_follow(plan, install, cloud, started).await
    }

    /// `--recover` of a failed install: the stack is deleted and followed until it is gone, then installed
    /// as planned.
    async fn reinstall(
        &self,
        plan: &RackPlan,
        install: &Install,
        cloud: &dyn Cloud,
        started: Instant,
    ) -> RackResult {
        if let Some(result) = self.changed_since_planned(plan, cloud, started).await {
            return result;
        }
        if let Err(result) = self
            .delete_and_follow(&plan.id(), &plan.name, cloud, started, 0)
            .await
        {
            return result;
        }
        if self.cancelled() {
            return failed(
                "interrupted after the failed install was deleted; the rack was not installed again (`rackfile apply` installs it)".into(),
                None,
            );
        }
        match self.create_and_follow(plan, install, cloud, started).await {
            RackResult::Installed { dashboard } => RackResult::Reinstalled { dashboard },
            other => other,
        }
    }

    /// `--recover` of UPDATE_ROLLBACK_FAILED: ContinueUpdateRollback, followed to UPDATE_ROLLBACK_COMPLETE;
    /// then the rack is planned again (when re-planning is allowed) and what that plan says is done.
    async fn continue_rollback(
        &self,
        plan: &RackPlan,
        cloud: &dyn Cloud,
        started: Instant,
    ) -> RackResult {
        if let Some(result) = self.changed_since_planned(plan, cloud, started).await {
            return result;
        }
        let seen = match cloud.stack_events(&plan.name).await {
            Ok(events) => events.into_iter().map(|e| e.event_id).collect(),
            Err(error) => return failed(format!("cannot read the stack's events: {error}"), None),
        };
        if let Err(error) = cloud
            .continue_update_rollback(&plan.name, &request_token())
            .await
        {
            return failed(
                format!("ContinueUpdateRollback failed, nothing was changed: {error}"),
                None,
            );
        }
        self.reporter
            .start(&plan.id(), "continuing the rollback", 0);
        match self.follow(plan, cloud, seen, started).await {
            Followed::Settled { stack, .. } if stack.status == "UPDATE_ROLLBACK_COMPLETE" => {}
            Followed::Settled { stack, root_cause } => {
                return RackResult::Failed {
                    message: "the rollback could not be continued".into(),
                    status: Some(stack.status),
                    root_cause,
                };
            }
            Followed::Stopped(result) => return result,
        }
        let Some(replanner) = self.replanner else {
            return RackResult::RollbackContinued { then: None };
        };
        match replanner.replan(&plan.id()).await {
            Ok(new_plan) => match &new_plan.action {
                Action::Unchanged => RackResult::RollbackContinued { then: None },
                // Never a second recovery in one run: a rack that failed again is for a person to see.
                Action::ContinueRollback | Action::Reinstall(_) => RackResult::RollbackContinued {
                    then: Some(Box::new(failed(
                        format!(
                            "after the rollback the stack is {}",
                            new_plan.stack.as_ref().map_or("", |s| s.status.as_str())
                        ),
                        None,
                    ))),
                },
                action => RackResult::RollbackContinued {
                    then: Some(Box::new(
                        Box::pin(self.run_action(&new_plan, action, started)).await,
                    )),
                },
            },
            Err(message) => RackResult::RollbackContinued {
                then: Some(Box::new(failed(
                    format!("re-planning after the rollback failed: {message}"),
                    None,
                ))),
            },
        }
    }

    /// `ensure = "absent"`: each app stack, then the rack, each deleted and followed until gone.
    async fn uninstall(
        &self,
        plan: &RackPlan,
        uninstall: &Uninstall,
        cloud: &dyn Cloud,
        started: Instant,
    ) -> RackResult {
        if let Some(result) = self.changed_since_planned(plan, cloud, started).await {
            return result;
        }
        let total = uninstall.dependents.len();
        for (done, dependent) in uninstall.dependents.iter().enumerate() {
            if self.cancelled() {
                return failed(
                    format!(
                        "interrupted after deleting {done} of {total} app and resource stacks; the rack's stack was not deleted"
                    ),
                    None,
                );
            }
            let still_dependent = |stack: &Stack| {
                crate::convox::dependent_of(stack, &plan.name, |_| false) == Some(dependent.kind)
            };
            match recheck_before_delete(
                cloud,
                &dependent.name,
                &dependent.stack_id,
                still_dependent,
            )
            .await
            {
                Recheck::Delete => {}
                Recheck::Gone => continue,
                Recheck::Refuse(why) => {
                    return failed(
                        format!(
                            "{why}, so it was not deleted; {done} of {total} app and resource stacks were, and the rack's stack was not. Plan again: `rackfile plan` lists what the uninstall deletes now"
                        ),
                        None,
                    );
                }
            }
            if let Err(result) = self
                .delete_and_follow(&plan.id(), &dependent.name, cloud, started, 0)
                .await
            {
                return result;
            }
        }
        if self.cancelled() {
            return failed(
                "interrupted after deleting the app and resource stacks; the rack's stack was not deleted"
                    .into(),
                None,
            );
        }
        let planned_rack = plan
            .stack
            .as_ref()
            .map_or("", |stack| stack.stack_id.as_str());
        if let Recheck::Refuse(why) =
            recheck_before_delete(cloud, &plan.name, planned_rack, crate::convox::is_rack).await
        {
            return failed(
                format!("{why}, so the rack's stack was not deleted; its apps and resources were"),
                None,
            );
        }
        if let Err(result) = self
            .delete_and_follow(
                &plan.id(),
                &plan.name,
                cloud,
                started,
                uninstall.resource_count,
            )
            .await
        {
            return result;
        }
        RackResult::Uninstalled {
            apps: total,
            retained: uninstall
                .retained
                .iter()
                .map(|r| format!("{} ({})", r.logical_id, r.resource_type))
                .collect(),
        }
    }

    /// DeleteStack of `stack`, followed until it is gone, reported as `rack`'s progress.
    async fn delete_and_follow(
        &self,
        rack: &RackId,
        stack: &str,
        cloud: &dyn Cloud,
        started: Instant,
        resource_count: usize,
    ) -> Result<(), RackResult> {
        let seen = cloud
            .stack_events(stack)
            .await
            .map(|events| events.into_iter().map(|e| e.event_id).collect())
            .unwrap_or_default();
        if let Err(error) = cloud.delete_stack(stack, &request_token()).await {
            return Err(failed(
                format!("DeleteStack of {stack} failed, nothing was deleted: {error}"),
                None,
            ));
        }
        self.reporter
            .start(rack, &format!("deleting {stack}"), resource_count);
        match self
            .follow_stack(rack, stack, cloud, seen, started, true)
            .await
        {
            Watched::Gone => Ok(()),
            Watched::Settled {
                stack: left,
                root_cause,
            } => Err(RackResult::Failed {
                message: format!("the deletion of {stack} failed"),
                status: Some(left.status),
                root_cause,
            }),
            Watched::Stopped(result) => Err(result),
        }
    }

    async fn create_and_follow(
        &self,
        plan: &RackPlan,
        install: &Install,
        cloud: &dyn Cloud,
        started: Instant,
    ) -> RackResult {
        let mut parameters = install.parameters.clone();
        if let Some(source) = &install.password {
            match password::for_install(
                source,
                self.connector,
                &self.orgs[&plan.org],
                &plan.region,
                self.env,
            )
            .await
            {
                Ok((password, shown)) => {
                    parameters.insert("Password".into(), password.expose().to_string());
                    if let Some(shown) = shown {
                        self.started_passwords
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner())
                            .insert(plan.rack.clone(), shown);
                    }
                }
                Err(message) => return failed(message, None),
            }
        }
        let request = CreateStackRequest {
            name: plan.name.clone(),
            template: install.template.source(),
            parameters,
            tags: install.tags.clone(),
            termination_protection: install.termination_protection,
            token: request_token(),
        };
        self.reporter
            .start(&plan.id(), "installing", install.resource_count);
        let created = match cloud.create_stack(&request).await {
            // A write whose answer was lost is retried by the SDK; if the retry meets the stack our own
            // first attempt created, the install is under way.
            Err(error)
                if error.kind == CloudErrorKind::AlreadyExists
                    && caused_by(cloud, &plan.name, &request.token).await =>
            {
                Ok(String::new())
            }
            other => other,
        };
        if let Err(error) = created {
            // A create can fail after CloudFormation made the stack; say so rather than leave it unmentioned.
            return match cloud.describe_stack(&plan.name).await {
                Ok(None) => failed(
                    format!("CreateStack failed, nothing was created: {error}"),
                    None,
                ),
                Ok(Some(stack)) => failed(
                    format!("CreateStack failed, but the stack exists: {error}"),
                    Some(stack.status),
                ),
                Err(_) => failed(
                    format!(
                        "CreateStack failed (whether the stack exists is unknown; `rackfile status` tells): {error}"
                    ),
                    None,
                ),
            };
        }
        match self.follow(plan, cloud, HashSet::new(), started).await {
            Followed::Settled { stack, root_cause } if is_failure(&stack.status) => {
                RackResult::Failed {
                    message: "the install failed".into(),
                    status: Some(stack.status),
                    root_cause,
                }
            }
            Followed::Settled { stack, .. } => RackResult::Installed {
                dashboard: stack.outputs.get("Dashboard").cloned(),
            },
            Followed::Stopped(result) => result,
        }
    }

    async fn update(
        &self,
        plan: &RackPlan,
        update: &Update,
        cloud: &dyn Cloud,
        started: Instant,
    ) -> RackResult {
        if let Some(result) = self.changed_since_planned(plan, cloud, started).await {
            return result;
        }
        if let Err(result) = self.set_protection(plan, update, cloud).await {
            return result;
        }
        if !update.changes_the_stack() {
            return RackResult::Updated;
        }
        match self
            .update_and_follow(plan, update, cloud, started, "updating")
            .await
        {
            Ok(Some(_)) => RackResult::Updated,
            Ok(None) => RackResult::AlreadyUpToDate,
            Err(result) => result,
        }
    }

    /// UpdateTerminationProtection, when the update changes it; immediate, so it goes first.
    async fn set_protection(
        &self,
        plan: &RackPlan,
        update: &Update,
        cloud: &dyn Cloud,
    ) -> Result<(), RackResult> {
        let Some(enabled) = update.termination_protection else {
            return Ok(());
        };
        cloud
            .set_termination_protection(&plan.name, enabled)
            .await
            .map_err(|error| {
                failed(
                    format!("UpdateTerminationProtection failed, nothing was changed: {error}"),
                    None,
                )
            })
    }

    /// The steps of an upgrade, strictly in order, each followed to completion before the next is sent.
    /// Between steps the stack must be exactly as the step before left it (the autoscaler or a person may
    /// have changed it since, and a step's parameters were planned against that state); a step that does
    /// not complete stops the rack there.
    async fn upgrade(
        &self,
        plan: &RackPlan,
        upgrade: &Upgrade,
        cloud: &dyn Cloud,
        started: Instant,
    ) -> RackResult {
        if let Some(result) = self.changed_since_planned(plan, cloud, started).await {
            return result;
        }
        let of = upgrade.steps.len();
        let mut left_by_last_step = plan.stack.clone();
        for (index, step) in upgrade.steps.iter().enumerate() {
            let stopped = |result: RackResult| RackResult::UpgradeStopped {
                step: index + 1,
                of,
                version: step.version.clone(),
                result: Box::new(result),
            };
            if index > 0 {
                if self.cancelled() {
                    return stopped(RackResult::NotStarted);
                }
                let now = match cloud.describe_stack(&plan.name).await {
                    Ok(now) => now.as_ref().map(StackFingerprint::of),
                    Err(error) => {
                        return stopped(failed(
                            format!(
                                "cannot read the stack before this step: {error}; nothing was sent"
                            ),
                            None,
                        ));
                    }
                };
                if let Some(change) =
                    StackFingerprint::change(left_by_last_step.as_ref(), now.as_ref())
                {
                    return stopped(failed(
                        format!(
                            "the stack changed after step {index} ({change}); nothing was sent. Plan again: `rackfile plan` plans the rest of the upgrade"
                        ),
                        now.map(|stack| stack.status),
                    ));
                }
            }
            let label = format!("upgrading to {} (step {} of {of})", step.version, index + 1);
            match self
                .update_and_follow(plan, &step.update, cloud, started, &label)
                .await
            {
                Ok(Some(stack)) => left_by_last_step = Some(StackFingerprint::of(&stack)),
                Ok(None) => {}
                Err(result) => return stopped(result),
            }
        }
        RackResult::Upgraded { steps: of }
    }

    /// Sends one UpdateStack and follows it: the stack it settled in, `None` when CloudFormation had
    /// nothing to do, or how it failed or stopped.
    async fn update_and_follow(
        &self,
        plan: &RackPlan,
        update: &Update,
        cloud: &dyn Cloud,
        started: Instant,
        label: &str,
    ) -> Result<Option<Stack>, RackResult> {
        let request = UpdateStackRequest {
            name: plan.name.clone(),
            template: update.template.source(),
            parameters: update.parameters.clone(),
            tags: update.tags.clone(),
            token: request_token(),
        };
        // Events from before this update are history, not progress.
        let seen = match cloud.stack_events(&plan.name).await {
            Ok(events) => events.into_iter().map(|e| e.event_id).collect(),
            Err(error) => {
                return Err(failed(
                    format!("cannot read the stack's events: {error}"),
                    None,
                ));
            }
        };
        self.reporter
            .start(&plan.id(), label, update.resource_count);
        match cloud.update_stack(&request).await {
            Ok(UpdateOutcome::NothingToDo) => return Ok(None),
            Ok(UpdateOutcome::Started) => {}
            // As for installs: a retried update that meets the update its first attempt started.
            Err(error)
                if error.kind == CloudErrorKind::Busy
                    && caused_by(cloud, &plan.name, &request.token).await => {}
            Err(error) => {
                return Err(failed(
                    format!("UpdateStack failed, the stack was not changed: {error}"),
                    None,
                ));
            }
        }
        match self.follow(plan, cloud, seen, started).await {
            Followed::Settled { stack, root_cause } if is_failure(&stack.status) => {
                Err(RackResult::Failed {
                    message: "the update failed and was rolled back".into(),
                    status: Some(stack.status),
                    root_cause,
                })
            }
            Followed::Settled { stack, .. } => Ok(Some(stack)),
            Followed::Stopped(result) => Err(result),
        }
    }

    /// Polls the rack's stack until it settles; see `follow_stack`.
    async fn follow(
        &self,
        plan: &RackPlan,
        cloud: &dyn Cloud,
        seen: HashSet<String>,
        started: Instant,
    ) -> Followed {
        match self
            .follow_stack(&plan.id(), &plan.name, cloud, seen, started, false)
            .await
        {
            Watched::Settled { stack, root_cause } => Followed::Settled { stack, root_cause },
            Watched::Gone => Followed::Stopped(failed(
                "the stack disappeared while being followed".into(),
                None,
            )),
            Watched::Stopped(result) => Followed::Stopped(result),
        }
    }

    /// Polls a stack until it settles (or, when `deleting`, until it is gone), reporting each new event once
    /// as `rack`'s progress; stops on timeout or Ctrl-C.
    async fn follow_stack(
        &self,
        rack: &RackId,
        name: &str,
        cloud: &dyn Cloud,
        mut seen: HashSet<String>,
        started: Instant,
        deleting: bool,
    ) -> Watched {
        let mut interval = self.timings.first_poll;
        let mut last_output = Instant::now();
        let mut done = 0;
        let mut root_cause: Option<String> = None;
        let mut status = String::from("unknown");
        let mut consecutive_errors = 0;
        let mut cancel = self.cancel.clone();
        loop {
            // One call per poll: the stack's own events carry its status. DescribeStacks only when they say
            // the operation ended (for the final status, outputs and reason) or cannot be read (a stack gone
            // takes its events with it).
            let events = cloud.stack_events(name).await;
            let latest = match &events {
                Ok(events) => events
                    .iter()
                    .find(|event| events::is_stack_event(event, name))
                    .map(|event| event.status.clone()),
                Err(_) => None,
            };
            let ended = match (&events, &latest) {
                (Err(_), _) => true,
                (Ok(_), Some(latest)) => !is_in_progress(latest),
                (Ok(_), None) => false,
            };
            let stack = if ended {
                Some(cloud.describe_stack(name).await)
            } else {
                None
            };
            // Once a stack is gone its events cannot be read either: that is the end, not an error.
            let gone = match &stack {
                Some(Ok(None)) => true,
                Some(Ok(Some(stack))) => deleting && stack.state() == StackState::Deleted,
                _ => false,
            };
            if gone {
                return Watched::Gone;
            }
            match (&events, &stack) {
                (Err(error), Some(Err(_)) | None) => {
                    consecutive_errors += 1;
                    // The SDK already retried each call; several rounds in a row mean AWS is not answering.
                    if consecutive_errors >= 5 {
                        return Watched::Stopped(failed(
                            format!(
                                "lost track of the stack ({error}); it may still be changing in AWS"
                            ),
                            Some(status),
                        ));
                    }
                }
                _ => consecutive_errors = 0,
            }
            if let Some(latest) = latest {
                status = latest;
            }
            if let Ok(events) = events {
                for event in new_events(&events, &mut seen) {
                    if events::completes_resource(&event, name) {
                        done += 1;
                    }
                    if root_cause.is_none()
                        && event.status.ends_with("_FAILED")
                        && !events::is_stack_event(&event, name)
                    {
                        root_cause = Some(format!(
                            "{} ({}): {}",
                            event.logical_id,
                            event.resource_type,
                            event.reason.as_deref().unwrap_or("no reason given")
                        ));
                    }
                    if let Some(line) = events::describe(&event, name) {
                        self.reporter.progress(rack, &line, done);
                        last_output = Instant::now();
                    }
                }
            }
            match stack {
                Some(Ok(Some(stack))) if !is_in_progress(&stack.status) => {
                    if root_cause.is_none() && is_failure(&stack.status) {
                        root_cause = stack.status_reason.clone();
                    }
                    return Watched::Settled { stack, root_cause };
                }
                Some(Ok(Some(stack))) => status = stack.status,
                _ => {}
            }
            if self
                .timings
                .timeout
                .is_some_and(|limit| started.elapsed() >= limit)
            {
                return Watched::Stopped(RackResult::StillInProgress {
                    status,
                    why: StopReason::Timeout,
                });
            }
            if last_output.elapsed() >= self.timings.heartbeat {
                self.reporter.heartbeat(rack, &status, started.elapsed());
                last_output = Instant::now();
            }
            let sleep = match self.timings.timeout {
                Some(limit) => interval.min(limit.saturating_sub(started.elapsed())),
                None => interval,
            };
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = cancel.wait_for(|cancelled| *cancelled) => {
                    return Watched::Stopped(RackResult::StillInProgress { status, why: StopReason::Interrupted });
                }
            }
            interval = (interval * 3 / 2).min(self.timings.max_poll);
        }
    }
}

/// How following the rack's own stack through a create or update ended.
enum Followed {
    Settled {
        stack: Stack,
        root_cause: Option<String>,
    },
    Stopped(RackResult),
}

/// How following any stack ended: settled, gone (the end of a deletion), or stopped.
enum Watched {
    Settled {
        stack: Stack,
        root_cause: Option<String>,
    },
    Gone,
    Stopped(RackResult),
}

fn failed(message: String, status: Option<String>) -> RackResult {
    RackResult::Failed {
        message,
        status,
        root_cause: None,
    }
}

/// Events not seen before, oldest first (CloudFormation lists newest first).
fn new_events(events: &[StackEvent], seen: &mut HashSet<String>) -> Vec<StackEvent> {
    let mut fresh: Vec<StackEvent> = events
        .iter()
        .filter(|event| !seen.contains(&event.event_id))
        .cloned()
        .collect();
    fresh.reverse();
    for event in &fresh {
        seen.insert(event.event_id.clone());
    }
    fresh
}

/// A ClientRequestToken for one write: CloudFormation tags the operation's events with it.
/// What a stack planned for deletion is now, read just before its DeleteStack.
enum Recheck {
    Delete,
    /// Already deleted (by someone else): nothing to do.
    Gone,
    /// It is no longer the stack the plan listed: why.
    Refuse(String),
}

/// Whether `name` is still the stack `stack_id` the plan listed, and still what the plan took it for
/// (`still`): a stack renamed, replaced or re-tagged since the plan is never deleted.
async fn recheck_before_delete(
    cloud: &dyn Cloud,
    name: &str,
    stack_id: &str,
    still: impl Fn(&Stack) -> bool,
) -> Recheck {
    match cloud.describe_stack(name).await {
        Err(error) => Recheck::Refuse(format!("cannot read {name} before deleting it: {error}")),
        Ok(None) => Recheck::Gone,
        Ok(Some(stack)) if stack.state() == StackState::Deleted => Recheck::Gone,
        Ok(Some(stack)) if stack.stack_id != stack_id => Recheck::Refuse(format!(
            "{name} is another stack than the one planned (StackId {} now, {stack_id} planned)",
            stack.stack_id
        )),
        Ok(Some(stack)) if !still(&stack) => Recheck::Refuse(format!(
            "{name}'s tags changed since the plan: it is no longer a Convox stack of this rack"
        )),
        Ok(Some(_)) => Recheck::Delete,
    }
}

fn request_token() -> String {
    format!("rackfile-{}", password::generate())
}

/// Whether the stack's latest operation is the one `token` started (its events carry the token).
async fn caused_by(cloud: &dyn Cloud, name: &str, token: &str) -> bool {
    match cloud.stack_events(name).await {
        Ok(events) => events
            .iter()
            .any(|event| event.token.as_deref() == Some(token)),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::*;
    use crate::cloud::TemplateSource;
    use crate::cloud::fake::{FakeAws, FakeTemplate};

    const ACCOUNT: &str = "123456789012";
    const REGION: &str = "us-east-1";

    async fn app_stack(aws: &FakeAws, name: &str) -> Stack {
        let source = TemplateSource::Url("https://example.com/app.json".into());
        aws.add_template(source.clone(), FakeTemplate::rack(&[]));
        let cloud = aws.cloud_for(ACCOUNT, REGION);
        cloud
            .create_stack(&CreateStackRequest {
                name: name.into(),
                template: source,
                parameters: BTreeMap::from([
                    ("Version".to_string(), "1".to_string()),
                    ("Password".to_string(), "p".to_string()),
                ]),
                tags: BTreeMap::from([
                    ("System".to_string(), "convox".to_string()),
                    ("Type".to_string(), "app".to_string()),
                    ("Rack".to_string(), "web".to_string()),
                ]),
                termination_protection: false,
                token: "seed".into(),
            })
            .await
            .unwrap();
        aws.stack(ACCOUNT, REGION, name).unwrap()
    }

    fn still_an_app(stack: &Stack) -> bool {
        crate::convox::dependent_of(stack, "web", |_| false) == Some(crate::convox::Dependent::App)
    }

    #[tokio::test(start_paused = true)]
    async fn a_stack_planned_for_deletion_is_deleted_only_while_it_is_still_what_was_planned() {
        let aws = FakeAws::new(Duration::ZERO);
        let planned = app_stack(&aws, "web-api").await;
        let cloud = aws.cloud_for(ACCOUNT, REGION);
        assert!(matches!(
            recheck_before_delete(&cloud, "web-api", &planned.stack_id, still_an_app).await,
            Recheck::Delete
        ));
        assert!(matches!(
            recheck_before_delete(&cloud, "web-api", "arn:another", still_an_app).await,
            Recheck::Refuse(why) if why.contains("another stack than the one planned")
        ));
        aws.set_tags(ACCOUNT, REGION, "web-api", &[("Rack", "web")]);
        assert!(matches!(
            recheck_before_delete(&cloud, "web-api", &planned.stack_id, still_an_app).await,
            Recheck::Refuse(why) if why.contains("tags changed since the plan")
        ));
        cloud.delete_stack("web-api", "t").await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(matches!(
            recheck_before_delete(&cloud, "web-api", &planned.stack_id, still_an_app).await,
            Recheck::Gone
        ));
    }
}
