//! What became of each rack: a `RackResult` and the sentence that says it, which the reporter and the
//! summary print.

use std::time::Duration;

use super::InstalledPassword;
use crate::cloud::StackStatus;

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
        /// `None` for a rack not installed.
        status: Option<StackStatus>,
        reason: String,
    },
    Failed {
        message: String,
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
        reason: String,
    },
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
            RackResult::Blocked { status, reason } => match status {
                Some(status) => format!("not changed: {status}: {reason}"),
                None => format!("not installed: {reason}"),
            },
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
            RackResult::StillInProgress { status, why } => {
                let status = status
                    .as_ref()
                    .map_or("status not read yet", StackStatus::as_str);
                match why {
                    StopReason::Timeout => format!(
                        "timed out after {elapsed}; CloudFormation is still changing it ({status})"
                    ),
                    StopReason::Interrupted => {
                        format!("interrupted; CloudFormation is still changing it ({status})")
                    }
                }
            }
            RackResult::Cancelled {
                after,
                rolled_back_in,
            } => format!(
                "cancelled after {}; rolled back in {}",
                crate::render::span(after.as_secs()),
                crate::render::span(rolled_back_in.as_secs())
            ),
            RackResult::NotStarted => "not started (interrupted)".into(),
            RackResult::Held { reason } => format!("held for a person, nothing sent: {reason}"),
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

pub(super) fn failed(message: String, status: Option<StackStatus>) -> RackResult {
    RackResult::Failed {
        message,
        status,
        root_cause: None,
    }
}
