//! `--recover` of a failed rack: a failed install is deleted and installed again (unless termination
//! protection keeps it), a failed rollback is continued.

use crate::cloud::{Stack, StackState};
use crate::config::Rack;
use crate::live::LiveState;
use crate::plan::Action;
use crate::plan::checks::PlanProblem;

use super::blocked::{blocked, protected};
use super::install::plan_install;
use super::templates::{template_summary, unchecked};

/// The recovery of a stack in a failed state; any other stack is left to the rest of the planner.
pub(super) fn plan_recovery(
    rack: &Rack,
    stack: &Stack,
    account: &str,
    live: &LiveState,
    notes: &mut Vec<String>,
) -> Result<Action, Vec<PlanProblem>> {
    Ok(match stack.state() {
        StackState::FailedInstall => {
            match protected(stack, "reinstalled (deleted, then installed again)") {
                Some(blocked) => Action::Blocked(blocked),
                None => {
                    let summary = template_summary(rack, account, live)?;
                    notes.extend(unchecked(rack, &summary));
                    Action::Reinstall(plan_install(rack, &summary, account, live)?)
                }
            }
        }
        StackState::RollbackFailed => Action::ContinueRollback,
        _ => match blocked(stack) {
            Some(blocked) => Action::Blocked(blocked),
            None => Action::Unchanged,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    fn recovering(stack: Stack) -> Action {
        let rack = rack();
        let state = live(vec![stack], &rack);
        diff(&config(), &[rack], &state, true)
            .unwrap()
            .racks
            .remove(0)
            .action
    }

    #[test]
    fn with_recover_a_failed_install_is_reinstalled_and_a_failed_rollback_continued() {
        assert!(matches!(
            recovering(stack("ROLLBACK_COMPLETE")),
            Action::Reinstall(Install {
                password: Some(PasswordSource::Generate),
                ..
            })
        ));
        assert_eq!(
            recovering(stack("UPDATE_ROLLBACK_FAILED")),
            Action::ContinueRollback
        );
        // In progress is still waited for, never interrupted.
        assert!(matches!(
            recovering(stack("UPDATE_ROLLBACK_IN_PROGRESS")),
            Action::Blocked(Blocked {
                kind: BlockedKind::Busy,
                ..
            })
        ));
        let mut protected = stack("ROLLBACK_COMPLETE");
        protected.termination_protection = true;
        let Action::Blocked(blocked) = recovering(protected) else {
            panic!("a protected failed install cannot be deleted");
        };
        assert_eq!(blocked.kind, BlockedKind::Protected);
        assert!(
            blocked.reason.contains("`protect = false`"),
            "{}",
            blocked.reason
        );
    }
}
