//! Why a rack accepts no change now, and the way out: a busy or failed stack, a protected one, a stack
//! of the rack's name that is not a rack.

use crate::cloud::{Stack, StackState};
use crate::plan::{Action, Blocked, BlockedKind, Wait};

/// A stack that has a declared rack's name and is not a rack: another system's, never Convox's to change.
pub(super) fn not_a_rack(stack: &Stack) -> Blocked {
    Blocked {
        kind: BlockedKind::NotARack,
        status: Some(stack.status.clone()),
        reason: format!(
            "the stack {} is not a Convox rack (it is not tagged System=convox, Type=rack, nor shaped like an untagged 2016 rack), so rackfile never updates, recovers or deletes it; give the rack another `name`, or remove it from racks.toml",
            stack.name
        ),
    }
}

/// A stack that termination protection keeps from being deleted, as a blocked rack; `None` when it is
/// not protected.
pub(super) fn protected(stack: &Stack, what: &str) -> Option<Blocked> {
    stack.termination_protection.then(|| Blocked {
        kind: BlockedKind::Protected,
        status: Some(stack.status.clone()),
        reason: format!(
            "termination protection is on, so the stack cannot be {what}; set `protect = false`, apply that, then apply this"
        ),
    })
}

/// Why a stack accepts no change now, as Convox and CloudFormation see it, and the way out (a wait, for a
/// stack CloudFormation is changing); `None` for a stack that accepts changes. `absent`: racks.toml wants
/// the rack gone.
pub(super) fn blocked(stack: &Stack, absent: bool) -> Option<Action> {
    let (kind, reason) = match stack.state() {
        StackState::Settled | StackState::RolledBack => return None,
        StackState::InProgress | StackState::Deleting | StackState::Deleted => {
            return Some(moving(stack, absent));
        }
        StackState::FailedInstall => return Some(Action::Blocked(failed_install(stack))),
        StackState::DeleteFailed => (
            BlockedKind::DeleteFailed,
            "its deletion failed and the stack is left half-deleted; finish the deletion (aws cloudformation delete-stack) first",
        ),
        StackState::RollbackFailed => (
            BlockedKind::RollbackFailed,
            "an update failed to roll back; `--recover` continues the rollback (ContinueUpdateRollback), then applies the update",
        ),
        StackState::Other => (
            BlockedKind::Other,
            "rackfile does not change a stack in this status; see it in the CloudFormation console",
        ),
    };
    Some(Action::Blocked(Blocked {
        kind,
        status: Some(stack.status.clone()),
        reason: reason.to_string(),
    }))
}

/// A stack CloudFormation is changing or deleting (or has deleted): nothing is planned until it settles.
/// A change in progress is a `Wait`: what to do after it is a decision for the plan made then, gated like
/// this one. A deletion leaves no stack to plan with, so it blocks.
pub(super) fn moving(stack: &Stack, absent: bool) -> Action {
    match stack.state() {
        StackState::Deleting | StackState::Deleted => Action::Blocked(Blocked {
            kind: BlockedKind::Deleting,
            status: Some(stack.status.clone()),
            reason: "the stack is being deleted; plan again once it is gone".into(),
        }),
        _ => Action::Wait(Wait {
            status: stack.status.clone(),
            absent,
        }),
    }
}

/// A failed install, without `--recover`.
pub(super) fn failed_install(stack: &Stack) -> Blocked {
    Blocked {
        kind: BlockedKind::FailedInstall,
        status: Some(stack.status.clone()),
        reason: "the install failed; `--recover` deletes the stack and installs it again".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn a_busy_stack_is_a_wait_whether_the_rack_stays_or_goes() {
        for status in [
            "CREATE_IN_PROGRESS",
            "UPDATE_ROLLBACK_IN_PROGRESS",
            "UPDATE_IN_PROGRESS",
        ] {
            for absent in [false, true] {
                let mut declared = rack();
                declared.absent = absent;
                let action = only_action(declared, vec![stack(status)]);
                assert_eq!(
                    action,
                    Action::Wait(Wait {
                        status: StackStatus::parse(status),
                        absent
                    }),
                    "{status}, absent {absent}"
                );
            }
        }
    }

    #[test]
    fn broken_stacks_are_blocked_with_a_reason() {
        for (status, kind, reason) in [
            ("DELETE_IN_PROGRESS", BlockedKind::Deleting, "being deleted"),
            (
                "ROLLBACK_COMPLETE",
                BlockedKind::FailedInstall,
                "`--recover` deletes the stack",
            ),
            (
                "UPDATE_ROLLBACK_FAILED",
                BlockedKind::RollbackFailed,
                "`--recover` continues the rollback",
            ),
            ("DELETE_FAILED", BlockedKind::DeleteFailed, "deletion"),
            ("REVIEW_IN_PROGRESS", BlockedKind::Other, "does not change"),
        ] {
            match only_action(rack(), vec![stack(status)]) {
                Action::Blocked(blocked) => {
                    assert_eq!((blocked.stack_status(), blocked.kind), (status, kind));
                    assert!(
                        blocked.reason.contains(reason),
                        "{status}: {}",
                        blocked.reason
                    );
                }
                other => panic!("{status}: expected blocked, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_declared_name_whose_stack_is_not_a_rack_is_blocked_whatever_racks_toml_asks() {
        let plain = tagged("example", &[("team", "data")], None);
        for absent in [false, true] {
            let mut declared = rack();
            declared.absent = absent;
            let action = only_action(declared, vec![plain.clone()]);
            let Action::Blocked(blocked) = &action else {
                panic!("not blocked: {action:?}");
            };
            assert_eq!(blocked.kind, BlockedKind::NotARack);
            assert!(
                blocked.reason.contains("is not a Convox rack"),
                "{}",
                blocked.reason
            );
        }
        let mut failed_plain = plain;
        failed_plain.status = "ROLLBACK_COMPLETE".into();
        let mut recovering = rack();
        recovering.absent = false;
        let state = live(vec![failed_plain], &recovering);
        let plan = diff(&config(), &state.build(&[recovering]), true).unwrap();
        assert!(
            matches!(&plan.racks[0].action, Action::Blocked(b) if b.kind == BlockedKind::NotARack),
            "--recover does not delete it either"
        );
    }
}
