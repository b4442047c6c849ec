//! What became of each rack, as data (`render::apply` words it), and what the racks add up to: the counts
//! and the run's `Outcome`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::InstalledPassword;
use super::password::PasswordError;
use crate::cloud::{CloudError, StackStatus};
use crate::outcome::Outcome;
use crate::plan::{
    Blocked, DependentStack, Disruption, HoldReason, PreflightCheck, Refusal, StackFingerprint,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RackOutcome {
    pub rack: String,
    pub result: RackResult,
    pub elapsed: Duration,
    /// Where the password of an install that was started is (`None`: from the environment, or no install).
    pub password: Option<InstalledPassword>,
    /// What could not be recorded where Convox records a new version: warnings, never a failure.
    pub warnings: Vec<RecordWarning>,
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
        retained: Vec<Retained>,
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
        /// `None` for a rack not installed.
        status: Option<StackStatus>,
        reason: BlockReason,
    },
    Failed {
        // Boxed: a Failure is far larger than the other results.
        failure: Box<Failure>,
        /// The final stack status, when there is a stack.
        status: Option<StackStatus>,
        /// What CloudFormation said made the operation fail.
        root_cause: Option<RootCause>,
    },
    /// Still changing in AWS when rackfile stopped following it.
    StillInProgress {
        /// `None` when no read said yet.
        status: Option<StackStatus>,
        why: StopReason,
    },
    /// An update cancelled (CancelUpdateStack, at the timeout or on a second Ctrl-C) and rolled back to
    /// UPDATE_ROLLBACK_COMPLETE.
    Cancelled {
        after: Duration,
        rolled_back_in: Duration,
    },
    /// Never started because of Ctrl-C.
    NotStarted,
    /// Not applied: `--auto-approve=in-place` holds a change that is not in place for a person.
    Held {
        /// The plan's hold reasons.
        reasons: Vec<HoldReason>,
        /// The disruptions a `HoldReason::Disruptive` stands for.
        disruptions: Vec<Disruption>,
        /// The app and resource stacks an uninstall deletes before the rack, which its disruption counts;
        /// empty for any other action.
        dependents: Vec<DependentStack>,
    },
}

/// What an effect that plans its rack again hands back to the driver: the rack's result, or the new plan
/// to run, which the driver gates and runs like the first (so no effect calls back into the driver).
#[derive(Debug)]
pub enum Replanned {
    Done(RackResult),
    // Boxed: a plan is far larger than a result.
    Run(Box<crate::plan::RackPlan>),
}

/// What failed, as data: the call, the stack, AWS's error; `render::apply` words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No CloudFormation client for the rack's org and region.
    Unreachable { error: CloudError },
    /// The stack's events (what a follow starts from) could not be read before a write; nothing was sent.
    EventsUnreadable { error: CloudError },
    /// The stack could not be read again just before a write; nothing was sent.
    StackUnreadable { before: Reread, error: CloudError },
    /// The stack is no longer what the plan (or the upgrade's step before) left; nothing was sent.
    StackChanged {
        since: Reread,
        then: Option<StackFingerprint>,
        now: Option<StackFingerprint>,
    },
    /// The stack disappeared while it was followed to the end of its operation.
    StackGone,
    /// AWS stopped answering while the stack was followed; it may still be changing.
    LostTrack { error: CloudError },
    /// UpdateTerminationProtection refused; nothing was changed.
    ProtectionNotSet { error: CloudError },
    /// SetStackPolicy refused; termination protection, when the update changes it, was set before it.
    PolicyNotSet {
        protection_set: bool,
        error: CloudError,
    },
    /// The change set the plan checked failed, so there is nothing to execute; nothing was sent.
    ChangeSetFailed { error: String },
    /// UpdateStack or ExecuteChangeSet refused; the stack was not changed.
    UpdateNotSent { call: UpdateCall, error: CloudError },
    /// CreateStack refused, and what became of the stack.
    CreateNotSent {
        error: CloudError,
        stack: AfterCreate,
    },
    /// ContinueUpdateRollback refused; nothing was changed.
    RollbackNotContinued { error: CloudError },
    /// DeleteStack of `stack` refused; nothing was deleted.
    DeleteNotSent { stack: String, error: CloudError },
    /// The install ended in a failure status (rolled back).
    InstallFailed,
    /// The update ended in a failure status, rolled back.
    UpdateRolledBack,
    /// ContinueUpdateRollback ended elsewhere than UPDATE_ROLLBACK_COMPLETE.
    RollbackNotRecovered,
    /// The deletion of `stack` ended with the stack still there.
    DeletionFailed { stack: String },
    /// After a continued rollback the new plan is a recovery again (the stack in this status): one recovery
    /// a run.
    RecoveryNeededAgain { status: Option<StackStatus> },
    /// A failed install was deleted, then Ctrl-C came before it was installed again.
    ReinstallInterrupted,
    /// The install's API password could not be had; nothing was created.
    Password(PasswordError),
    /// An uninstall stopped before deleting the rack's stack.
    Uninstall(UninstallStop),
    /// CancelUpdateStack of an update apply started refused (other than as ended); the update goes on.
    CancelNotSent { error: CloudError },
    /// An update cancelled after this long whose rollback did not reach UPDATE_ROLLBACK_COMPLETE.
    RollbackNotCompleted { cancelled_after: Duration },
    /// `rackfile cancel` of an update rackfile did not start, and where it stopped.
    CancelElsewhere(CancelStop),
    /// The rack could not be planned again after what apply waited for.
    Replan {
        after: ReplanAfter,
        error: ReplanError,
    },
}

/// What made a stack's operation fail, as CloudFormation said it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCause {
    /// The first resource whose event failed, with the event's reason (`None`: it gave none).
    Resource {
        logical_id: String,
        resource_type: String,
        reason: Option<String>,
    },
    /// The stack's own StackStatusReason, when no resource failed.
    Stack { reason: String },
}

/// When the stack was read again before a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reread {
    /// Before the rack's first write, against the plan.
    FirstWrite,
    /// Before the next step of an upgrade, against what step `step` (1-based) left.
    AfterStep(usize),
}

/// The write an update sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateCall {
    UpdateStack,
    ExecuteChangeSet,
}

/// The stack after a CreateStack AWS refused, read to say whether it was made anyway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterCreate {
    Absent,
    /// Its status is the failure's.
    Exists,
    /// It could not be read.
    Unknown,
}

/// Where an uninstall stopped, with the rack's stack not deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UninstallStop {
    /// Before anything was deleted: the preparation (`uninstall_prep`) stopped.
    NothingDeleted(PrepStop),
    /// Ctrl-C after `deleted` of the `of` app and resource stacks.
    Interrupted { deleted: usize, of: usize },
    /// An app or resource stack is not the one planned, after `deleted` of `of` were deleted.
    DependentNotAsPlanned {
        why: NotAsPlanned,
        deleted: usize,
        of: usize,
    },
    /// The apps and resources were deleted; the rack's stack is kept, for this reason.
    RackKept(RackKept),
}

/// Why an uninstall's preparation stopped before its first write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrepStop {
    NotAsPlanned(NotAsPlanned),
    Interrupted,
    /// No Auto Scaling and EventBridge client.
    ServicesUnreachable {
        error: CloudError,
    },
    ResourcesUnlisted {
        stack: String,
        error: CloudError,
    },
    GroupNotDeleted {
        group: String,
        stack: String,
        error: CloudError,
    },
}

/// Why the rack's own stack was not deleted after its apps and resources were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RackKept {
    NotAsPlanned(NotAsPlanned),
    /// NLB deletion protection was turned on since the plan (this parameter, this value).
    NlbProtection {
        parameter: String,
        value: String,
    },
}

/// How a stack planned for deletion is no longer the one planned, read just before its DeleteStack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAsPlanned {
    Unreadable {
        stack: String,
        error: CloudError,
    },
    /// Another stack of that name (its StackId now, and the one planned).
    Replaced {
        stack: String,
        now: String,
        planned: String,
    },
    /// Its tags no longer make it a Convox stack of this rack.
    Retagged {
        stack: String,
    },
}

/// Where `rackfile cancel` stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelStop {
    /// The events before the cancel could not be read; nothing was sent.
    EventsUnreadable { error: CloudError },
    /// CancelUpdateStack refused as invalid: the update is no longer in progress.
    Refused { error: CloudError },
    /// CancelUpdateStack failed otherwise; the update goes on.
    NotSent { error: CloudError },
    /// The rollback did not reach UPDATE_ROLLBACK_COMPLETE.
    RollbackNotCompleted,
}

/// What a re-plan came after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplanAfter {
    /// Another operation on the stack, waited for.
    Wait,
    /// A continued rollback.
    Rollback,
}

/// A resource an uninstall left behind (DeletionPolicy Retain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retained {
    pub logical_id: String,
    pub resource_type: String,
}

/// Why a rack was not changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockReason {
    /// The plan blocked it: why, and the rack's preflight checks (which say why, when preflight blocked it).
    Planned {
        blocked: Blocked,
        preflight: Vec<PreflightCheck>,
    },
    /// CloudFormation was changing the stack when the plan was made, and a saved plan is not planned again.
    SavedPlanWaited,
    /// CloudFormation began changing the stack again after the wait: waiting twice would be a loop.
    BusyAgain,
    /// The plan made again after a wait is one this run may not apply; nothing was sent.
    Refused(Refusal),
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

    /// Held by `--auto-approve=in-place`: neither applied nor failed.
    pub fn held(&self) -> bool {
        matches!(self.result, RackResult::Held { .. })
    }
}

pub(super) fn failed(failure: Failure, status: Option<StackStatus>) -> RackResult {
    RackResult::Failed {
        failure: Box::new(failure),
        status,
        root_cause: None,
    }
}

/// The rack could not be planned again after `after`.
pub(super) fn replan_failed(after: ReplanAfter, error: ReplanError) -> RackResult {
    RackResult::Failed {
        failure: Box::new(Failure::Replan { after, error }),
        status: None,
        root_cause: None,
    }
}

/// How many racks ended each way: the summary's headline, and the `summary` line of `apply --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Counts {
    pub installed: usize,
    pub updated: usize,
    pub reinstalled: usize,
    pub recovered: usize,
    pub uninstalled: usize,
    pub failed: usize,
    /// Updates cancelled (at their timeout or on a second Ctrl-C) and rolled back.
    pub cancelled: usize,
    pub blocked: usize,
    pub held: usize,
    /// Every rack ended as planned, or was held for a person.
    #[serde(skip)]
    pub all_ok: bool,
}

impl Counts {
    pub fn of(outcomes: &[RackOutcome]) -> Self {
        // An upgrade stopped at a step counts as what happened at that step.
        let count = |wanted: fn(&RackResult) -> bool| {
            outcomes
                .iter()
                .filter(|o| wanted(o.result.settled()))
                .count()
        };
        Counts {
            installed: count(|r| matches!(r, RackResult::Installed { .. })),
            reinstalled: count(|r| matches!(r, RackResult::Reinstalled { .. })),
            recovered: outcomes
                .iter()
                .filter(|o| matches!(o.result, RackResult::RollbackContinued { .. }))
                .count(),
            uninstalled: count(|r| matches!(r, RackResult::Uninstalled { .. })),
            updated: count(|r| matches!(r, RackResult::Updated | RackResult::Upgraded { .. })),
            failed: count(|r| {
                matches!(
                    r,
                    RackResult::Failed { .. }
                        | RackResult::StillInProgress {
                            why: StopReason::Timeout,
                            ..
                        }
                )
            }),
            cancelled: count(|r| matches!(r, RackResult::Cancelled { .. })),
            blocked: count(|r| matches!(r, RackResult::Blocked { .. })),
            held: outcomes.iter().filter(|o| o.held()).count(),
            all_ok: outcomes.iter().all(|o| o.succeeded() || o.held()),
        }
    }
}

/// What the racks' outcomes add up to. A rollout stopped before its last wave fails even when every rack it
/// ran succeeded: the racks of the waves it did not start were not changed.
pub fn run_outcome(outcomes: &[RackOutcome], rollout_stopped: bool, interrupted: bool) -> Outcome {
    if interrupted {
        Outcome::Interrupted
    } else if rollout_stopped || !outcomes.iter().all(|o| o.succeeded() || o.held()) {
        Outcome::Failed
    } else if outcomes.iter().any(RackOutcome::held) {
        Outcome::Held
    } else {
        Outcome::Success
    }
}

/// Why a rack could not be planned again: the planner's own error (worded by `render`, as the first plan's
/// would be), or a rack the new plan no longer holds.
#[derive(Debug, Clone)]
pub enum ReplanError {
    Planning(std::sync::Arc<crate::error::Error>),
    NotPlanned(crate::config::RackId),
}

/// Two planning errors are the same error only if they are one: `Error` has no equality of its own.
impl PartialEq for ReplanError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ReplanError::Planning(a), ReplanError::Planning(b)) => std::sync::Arc::ptr_eq(a, b),
            (ReplanError::NotPlanned(a), ReplanError::NotPlanned(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for ReplanError {}

/// What could not be recorded for a rack's new version, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordWarning {
    pub version: String,
    pub what: Unrecorded,
    pub why: NotRecorded,
}

/// Why a new version was not recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotRecorded {
    /// The rack's resources, where its releases table and notification topic are found, could not be listed.
    ResourcesUnlisted(CloudError),
    /// No DynamoDB and SNS client.
    ServicesUnreachable(CloudError),
    /// The rack's stack has no resource of this logical id.
    NoResource(String),
    /// PutItem or Publish failed.
    Refused(CloudError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unrecorded {
    /// The item in the rack's releases table.
    ReleaseRecord,
    /// The `rack:update` event on the rack's notification topic.
    RackUpdateEvent,
}

/// rack -> what could not be recorded for it during this apply, for its outcome.
pub type RecordWarnings = Arc<Mutex<HashMap<String, Vec<RecordWarning>>>>;
