//! Why a rack accepts no change now, and the way out: a busy or failed stack, a protected one, a stack
//! of the rack's name that is not a rack.

use crate::cloud::{Stack, StackState};
use crate::plan::{Action, Blocked, BlockedWhy, Deletion, Wait};

/// A rack blocked as a whole (not at a step of an upgrade), in the stack's status.
pub(super) fn blocked_as(stack: &Stack, why: BlockedWhy) -> Blocked {
    Blocked {
        why,
        status: Some(stack.status.clone()),
        step: None,
    }
}

/// A stack that has a declared rack's name and is not a rack: another system's, never Convox's to change.
pub(super) fn not_a_rack(stack: &Stack) -> Blocked {
    blocked_as(
        stack,
        BlockedWhy::NotARack {
            stack_name: stack.name.clone(),
        },
    )
}

/// A stack that termination protection keeps from being deleted, as a blocked rack; `None` when it is
/// not protected.
pub(super) fn protected(stack: &Stack, operation: Deletion) -> Option<Blocked> {
    stack
        .termination_protection
        .then(|| blocked_as(stack, BlockedWhy::Protected { operation }))
}

/// Why a stack accepts no change now, as Convox and CloudFormation see it, and the way out (a wait, for a
/// stack CloudFormation is changing); `None` for a stack that accepts changes. `absent`: racks.toml wants
/// the rack gone.
pub(super) fn blocked(stack: &Stack, absent: bool) -> Option<Action> {
    let why = match stack.state() {
        StackState::Settled | StackState::RolledBack => return None,
        StackState::InProgress | StackState::Deleting | StackState::Deleted => {
            return Some(moving(stack, absent));
        }
        StackState::FailedInstall => BlockedWhy::FailedInstall,
        StackState::DeleteFailed => BlockedWhy::DeleteFailed,
        StackState::RollbackFailed => BlockedWhy::RollbackFailed,
        StackState::Other => BlockedWhy::Other,
    };
    Some(Action::Blocked(blocked_as(stack, why)))
}

/// A stack CloudFormation is changing or deleting (or has deleted): nothing is planned until it settles.
/// A change in progress is a `Wait`: what to do after it is a decision for the plan made then, gated like
/// this one. A deletion leaves no stack to plan with, so it blocks.
pub(super) fn moving(stack: &Stack, absent: bool) -> Action {
    match stack.state() {
        StackState::Deleting | StackState::Deleted => {
            Action::Blocked(blocked_as(stack, BlockedWhy::Deleting))
        }
        _ => Action::Wait(Wait {
            status: stack.status.clone(),
            absent,
        }),
    }
}

/// A failed install, without `--recover`.
pub(super) fn failed_install(stack: &Stack) -> Blocked {
    blocked_as(stack, BlockedWhy::FailedInstall)
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
    fn broken_stacks_are_blocked_with_why() {
        for (status, why) in [
            ("DELETE_IN_PROGRESS", BlockedWhy::Deleting),
            ("ROLLBACK_COMPLETE", BlockedWhy::FailedInstall),
            ("UPDATE_ROLLBACK_FAILED", BlockedWhy::RollbackFailed),
            ("DELETE_FAILED", BlockedWhy::DeleteFailed),
            ("REVIEW_IN_PROGRESS", BlockedWhy::Other),
        ] {
            assert_eq!(
                only_action(rack(), vec![stack(status)]),
                Action::Blocked(Blocked {
                    why,
                    status: Some(StackStatus::parse(status)),
                    step: None,
                }),
                "{status}"
            );
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
            assert_eq!(
                blocked.why,
                BlockedWhy::NotARack {
                    stack_name: "example".into()
                }
            );
        }
        let mut failed_plain = plain;
        failed_plain.status = "ROLLBACK_COMPLETE".into();
        let mut recovering = rack();
        recovering.absent = false;
        let state = live(vec![failed_plain], &recovering);
        let plan = diff(&config(), &state.build(&[recovering]), true).unwrap();
        assert!(
            matches!(&plan.racks[0].action, Action::Blocked(b) if matches!(b.why, BlockedWhy::NotARack { .. })),
            "--recover does not delete it either"
        );
    }
}
