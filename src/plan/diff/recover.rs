//! `--recover` of a failed rack: a failed install is deleted and installed again (unless termination
//! protection keeps it), a failed rollback is continued.

use crate::cloud::{Stack, StackKey};
use crate::config::Rack;
use crate::live::LiveState;
use crate::plan::checks::PlanProblem;
use crate::plan::{Action, Deletion, Note};

use super::blocked::protected;
use super::install::{password_read, plan_install};
use super::templates::{read_summary, unchecked};

/// `--recover` of a failed install: deleted and installed again, unless termination protection keeps it.
/// (A failed rollback is continued: see `plan_present`.)
pub(super) fn plan_reinstall(
    rack: &Rack,
    stack: &Stack,
    key: &StackKey,
    live: &LiveState,
    notes: &mut Vec<Note>,
) -> Result<Action, Vec<PlanProblem>> {
    Ok(match protected(stack, Deletion::Reinstall) {
        Some(blocked) => Action::Blocked(blocked),
        None => {
            let summary = read_summary(rack, &key.account, live)?;
            notes.extend(unchecked(rack, &summary));
            let password = password_read(rack, key, live);
            Action::Reinstall(plan_install(rack, &summary, &password)?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    fn recovering(stack: Stack) -> Action {
        let rack = rack();
        let state = live(vec![stack], &rack);
        diff(&config(), &state.build(&[rack]), true)
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
            Action::Wait(_)
        ));
        let mut protected = stack("ROLLBACK_COMPLETE");
        protected.termination_protection = true;
        let Action::Blocked(blocked) = recovering(protected) else {
            panic!("a protected failed install cannot be deleted");
        };
        assert_eq!(
            blocked.why,
            BlockedWhy::Protected {
                operation: Deletion::Reinstall
            }
        );
    }
}
