//! What became of each rack, as data (`render::apply` words it), and what the racks add up to: the counts
//! and the run's `Outcome`.

use std::time::Duration;

use super::InstalledPassword;
use crate::cloud::StackStatus;
use crate::outcome::Outcome;
use crate::plan::{RackPlan, Refusal};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RackOutcome {
    pub rack: String,
    pub result: RackResult,
    pub elapsed: Duration,
    /// Where the password of an install that was started is (`None`: from the environment, or no install).
    pub password: Option<InstalledPassword>,
    /// What could not be recorded where Convox records a new version: warnings, never a failure.
    pub warnings: Vec<super::RecordWarning>,
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
        message: Failure,
        /// The final stack status, when there is a stack.
        status: Option<StackStatus>,
        /// The first failed resource and its reason.
        root_cause: Option<String>,
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
        /// The plan held: its hold reasons, and the disruptions a disruptive change stands for.
        plan: Box<RackPlan>,
    },
}

/// What failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// In the executor's words.
    Said(String),
    /// An update cancelled after this long whose rollback did not reach UPDATE_ROLLBACK_COMPLETE.
    RollbackNotCompleted { cancelled_after: Duration },
    /// The rack could not be planned again after what apply waited for.
    Replan {
        after: ReplanAfter,
        error: super::context::ReplanError,
    },
}

/// What a re-plan came after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplanAfter {
    /// Another operation on the stack, waited for.
    Wait,
    /// A continued rollback.
    Rollback,
}

impl From<String> for Failure {
    fn from(said: String) -> Self {
        Failure::Said(said)
    }
}

impl From<&str> for Failure {
    fn from(said: &str) -> Self {
        Failure::Said(said.to_string())
    }
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
    /// The plan blocked it, for this reason.
    Planned(String),
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

pub(super) fn failed(message: String, status: Option<StackStatus>) -> RackResult {
    RackResult::Failed {
        message: message.into(),
        status,
        root_cause: None,
    }
}

/// The rack could not be planned again after `after`.
pub(super) fn replan_failed(after: ReplanAfter, error: super::context::ReplanError) -> RackResult {
    RackResult::Failed {
        message: Failure::Replan { after, error },
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

/// What the racks' outcomes add up to.
pub fn run_outcome(outcomes: &[RackOutcome], interrupted: bool) -> Outcome {
    if interrupted {
        Outcome::Interrupted
    } else if !outcomes.iter().all(|o| o.succeeded() || o.held()) {
        Outcome::Failed
    } else if outcomes.iter().any(RackOutcome::held) {
        Outcome::Held
    } else {
        Outcome::Success
    }
}
