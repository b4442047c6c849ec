//! The words of what failed (`apply::Failure`): the executor reports the call, the stack and AWS's error as
//! data, and this file alone says them, completing "failed after 4m02s: ...".

use super::super::span;
use crate::apply::{
    AfterCreate, CancelStop, Failure, NotAsPlanned, PasswordError, PrepStop, RackKept, ReplanAfter,
    ReplanError, Reread, RootCause, UninstallStop, UpdateCall,
};
use crate::plan::StackFingerprint;
use crate::render::RenderError as _;
use crate::render::staleness::stack_difference_words;

pub(super) fn failure_words(failure: &Failure) -> String {
    match failure {
        Failure::Unreachable { error } => format!("cannot reach CloudFormation: {error}"),
        Failure::EventsUnreadable { error } => format!("cannot read the stack's events: {error}"),
        Failure::StackUnreadable { before, error } => {
            let before = match before {
                Reread::FirstWrite => "changing it",
                Reread::AfterStep(_) => "this step",
            };
            format!("cannot read the stack before {before}: {error}; nothing was sent")
        }
        Failure::StackChanged { since, then, now } => {
            let what = StackFingerprint::change(then.as_ref(), now.as_ref())
                .map_or_else(|| "it changed".to_string(), |moved| stack_difference_words(&moved));
            match since {
                Reread::FirstWrite => format!(
                    "the stack changed since the plan ({what}); nothing was sent. Plan again: `rackfile plan` shows the rack as it is now"
                ),
                Reread::AfterStep(step) => format!(
                    "the stack changed after step {step} ({what}); nothing was sent. Plan again: `rackfile plan` plans the rest of the upgrade"
                ),
            }
        }
        Failure::StackGone => "the stack disappeared while being followed".into(),
        Failure::LostTrack { error } => {
            format!("lost track of the stack ({error}); it may still be changing in AWS")
        }
        Failure::ProtectionNotSet { error } => {
            format!("UpdateTerminationProtection failed, nothing was changed: {error}")
        }
        Failure::PolicyNotSet {
            protection_set,
            error,
        } => {
            let changed = if *protection_set {
                "termination protection was changed, nothing else"
            } else {
                "nothing was changed"
            };
            format!("SetStackPolicy failed, {changed}: {error}")
        }
        Failure::ChangeSetFailed { error } => {
            format!("its change set cannot be executed ({error}); nothing was sent")
        }
        Failure::UpdateNotSent { call, error } => {
            let call = match call {
                UpdateCall::UpdateStack => "UpdateStack",
                UpdateCall::ExecuteChangeSet => "ExecuteChangeSet",
            };
            format!("{call} failed, the stack was not changed: {error}")
        }
        Failure::CreateNotSent { error, stack } => match stack {
            AfterCreate::Absent => format!("CreateStack failed, nothing was created: {error}"),
            AfterCreate::Exists => format!("CreateStack failed, but the stack exists: {error}"),
            AfterCreate::Unknown => format!(
                "CreateStack failed (whether the stack exists is unknown; `rackfile status` tells): {error}"
            ),
        },
        Failure::RollbackNotContinued { error } => {
            format!("ContinueUpdateRollback failed, nothing was changed: {error}")
        }
        Failure::DeleteNotSent { stack, error } => {
            format!("DeleteStack of {stack} failed, nothing was deleted: {error}")
        }
        Failure::InstallFailed => "the install failed".into(),
        Failure::UpdateRolledBack => "the update failed and was rolled back".into(),
        Failure::RollbackNotRecovered => "the rollback could not be continued".into(),
        Failure::DeletionFailed { stack } => format!("the deletion of {stack} failed"),
        Failure::RecoveryNeededAgain { status } => format!(
            "after the rollback the stack is {}",
            status.as_ref().map_or("", |status| status.as_str())
        ),
        Failure::ReinstallInterrupted => "interrupted after the failed install was deleted; the rack was not installed again (`rackfile apply` installs it)".into(),
        Failure::Password(error) => password_words(error),
        Failure::Uninstall(stop) => uninstall_words(stop),
        Failure::CancelNotSent { error } => format!(
            "CancelUpdateStack failed ({error}); the update goes on in AWS: `rackfile status` shows it"
        ),
        Failure::RollbackNotCompleted { cancelled_after } => format!(
            "cancelled after {}; the rollback did not complete: `rackfile apply --recover` continues it",
            span(cancelled_after.as_secs())
        ),
        Failure::CancelElsewhere(stop) => cancel_words(stop),
        Failure::Replan { after, error } => {
            let after = match after {
                ReplanAfter::Wait => "wait",
                ReplanAfter::Rollback => "rollback",
            };
            let why = match error {
                ReplanError::Planning(error) => error.render().trim_end().to_string(),
                ReplanError::NotPlanned(rack) => format!("{rack} is no longer planned"),
            };
            format!("re-planning after the {after} failed: {why}")
        }
    }
}

/// `Instances (AWS::AutoScaling::AutoScalingGroup): Resource creation cancelled`, or the stack's own
/// reason.
pub(super) fn root_cause_words(cause: &RootCause) -> String {
    match cause {
        RootCause::Resource {
            logical_id,
            resource_type,
            reason,
        } => format!(
            "{logical_id} ({resource_type}): {}",
            reason.as_deref().unwrap_or("no reason given")
        ),
        RootCause::Stack { reason } => reason.clone(),
    }
}

fn password_words(error: &PasswordError) -> String {
    match error {
        PasswordError::EnvNotSet { variable } => {
            format!("${variable} is not set; the rack's API password must be in it (password_env)")
        }
        PasswordError::NotSecure { parameter, kind } => format!(
            "SSM parameter {parameter} is a {kind}, not a SecureString; nothing was created"
        ),
        PasswordError::Unreadable { parameter, error } => {
            format!("cannot read SSM parameter {parameter}: {error}; nothing was created")
        }
        PasswordError::ChangedWhileStoring { parameter } => format!(
            "SSM parameter {parameter} changed while rackfile stored it; nothing was created"
        ),
        PasswordError::NotStored { parameter, error } => format!(
            "cannot store the password in SSM parameter {parameter}: {error}; nothing was created"
        ),
    }
}

fn uninstall_words(stop: &UninstallStop) -> String {
    match stop {
        UninstallStop::NothingDeleted(why) => format!(
            "{}; no stack was deleted (the uninstall stops before its first DeleteStack). Plan again: `rackfile plan` lists what the uninstall deletes now",
            prep_words(why)
        ),
        UninstallStop::Interrupted { deleted, of } if deleted < of => format!(
            "interrupted after deleting {deleted} of {of} app and resource stacks; the rack's stack was not deleted"
        ),
        UninstallStop::Interrupted { .. } => {
            "interrupted after deleting the app and resource stacks; the rack's stack was not deleted".into()
        }
        UninstallStop::DependentNotAsPlanned { why, deleted, of } => format!(
            "{}, so it was not deleted; {deleted} of {of} app and resource stacks {}, and the rack's stack was not. Plan again: `rackfile plan` lists what the uninstall deletes now",
            not_as_planned_words(why),
            if *deleted == 1 { "was" } else { "were" }
        ),
        UninstallStop::RackKept(why) => {
            let why = match why {
                RackKept::NotAsPlanned(why) => not_as_planned_words(why),
                RackKept::NlbProtection { parameter, value } => format!(
                    "NLB deletion protection was turned on since the plan ({parameter}={value})"
                ),
            };
            format!("{why}, so the rack's stack was not deleted; its apps and resources were")
        }
    }
}

fn prep_words(why: &PrepStop) -> String {
    match why {
        PrepStop::NotAsPlanned(why) => not_as_planned_words(why),
        PrepStop::Interrupted => "interrupted before the uninstall began".into(),
        PrepStop::ServicesUnreachable { error } => {
            format!("cannot reach Auto Scaling and EventBridge: {error}")
        }
        PrepStop::ResourcesUnlisted { stack, error } => {
            format!("cannot list the resources of {stack}: {error}")
        }
        PrepStop::GroupNotDeleted {
            group,
            stack,
            error,
        } => format!("DeleteAutoScalingGroup of {group} (stack {stack}) failed: {error}"),
    }
}

fn not_as_planned_words(why: &NotAsPlanned) -> String {
    match why {
        NotAsPlanned::Unreadable { stack, error } => {
            format!("cannot read {stack} before deleting it: {error}")
        }
        NotAsPlanned::Replaced {
            stack,
            now,
            planned,
        } => format!(
            "{stack} is another stack than the one planned (StackId {now} now, {planned} planned)"
        ),
        NotAsPlanned::Retagged { stack } => format!(
            "{stack}'s tags changed since the plan: it is no longer a Convox stack of this rack"
        ),
    }
}

fn cancel_words(stop: &CancelStop) -> String {
    match stop {
        CancelStop::EventsUnreadable { error } => {
            format!("cannot read the stack's events, nothing was sent: {error}")
        }
        CancelStop::Refused { error } => format!(
            "CancelUpdateStack refused ({error}): the update is no longer in progress, nothing was cancelled"
        ),
        CancelStop::NotSent { error } => {
            format!("CancelUpdateStack failed ({error}); the update goes on in AWS")
        }
        CancelStop::RollbackNotCompleted => {
            "cancelled; the rollback did not complete: `rackfile apply --recover` continues it"
                .into()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::cloud::{CloudError, CloudErrorKind, StackStatus};
    use crate::error::Error;

    fn aws() -> CloudError {
        CloudError::new(CloudErrorKind::Other, "AWS said no")
    }

    fn fingerprint(status: &str) -> StackFingerprint {
        StackFingerprint {
            stack_id: "arn:stack/web/1".into(),
            status: StackStatus::parse(status),
            last_updated: "2026-01-01T00:00:00Z".into(),
            parameters_sha256: "0".repeat(64),
        }
    }

    /// Each failure and the one sentence it is said in.
    fn assert_words(cases: &[(Failure, &str)]) {
        for (failure, words) in cases {
            assert_eq!(failure_words(failure), *words, "{failure:?}");
        }
    }

    #[test]
    fn reading_and_following_the_stack() {
        assert_words(&[
            (
                Failure::Unreachable { error: aws() },
                "cannot reach CloudFormation: AWS said no",
            ),
            (
                Failure::EventsUnreadable { error: aws() },
                "cannot read the stack's events: AWS said no",
            ),
            (
                Failure::StackUnreadable {
                    before: Reread::FirstWrite,
                    error: aws(),
                },
                "cannot read the stack before changing it: AWS said no; nothing was sent",
            ),
            (
                Failure::StackUnreadable {
                    before: Reread::AfterStep(1),
                    error: aws(),
                },
                "cannot read the stack before this step: AWS said no; nothing was sent",
            ),
            (
                Failure::StackGone,
                "the stack disappeared while being followed",
            ),
            (
                Failure::LostTrack { error: aws() },
                "lost track of the stack (AWS said no); it may still be changing in AWS",
            ),
        ]);
    }

    #[test]
    fn a_stack_changed_since_it_was_planned_says_how_in_the_plans_words() {
        assert_words(&[
            (
                Failure::StackChanged {
                    since: Reread::FirstWrite,
                    then: Some(fingerprint("UPDATE_COMPLETE")),
                    now: Some(fingerprint("UPDATE_ROLLBACK_COMPLETE")),
                },
                "the stack changed since the plan (its status changed from UPDATE_COMPLETE to UPDATE_ROLLBACK_COMPLETE); nothing was sent. Plan again: `rackfile plan` shows the rack as it is now",
            ),
            (
                Failure::StackChanged {
                    since: Reread::FirstWrite,
                    then: Some(fingerprint("UPDATE_COMPLETE")),
                    now: None,
                },
                "the stack changed since the plan (the stack was deleted); nothing was sent. Plan again: `rackfile plan` shows the rack as it is now",
            ),
            (
                Failure::StackChanged {
                    since: Reread::FirstWrite,
                    then: None,
                    now: None,
                },
                "the stack changed since the plan (it changed); nothing was sent. Plan again: `rackfile plan` shows the rack as it is now",
            ),
            (
                Failure::StackChanged {
                    since: Reread::AfterStep(2),
                    then: None,
                    now: Some(fingerprint("UPDATE_COMPLETE")),
                },
                "the stack changed after step 2 (a stack of that name was created); nothing was sent. Plan again: `rackfile plan` plans the rest of the upgrade",
            ),
        ]);
    }

    #[test]
    fn writes_aws_refused_name_the_call_and_what_was_left() {
        assert_words(&[
            (
                Failure::ProtectionNotSet { error: aws() },
                "UpdateTerminationProtection failed, nothing was changed: AWS said no",
            ),
            (
                Failure::PolicyNotSet {
                    protection_set: false,
                    error: aws(),
                },
                "SetStackPolicy failed, nothing was changed: AWS said no",
            ),
            (
                Failure::PolicyNotSet {
                    protection_set: true,
                    error: aws(),
                },
                "SetStackPolicy failed, termination protection was changed, nothing else: AWS said no",
            ),
            (
                Failure::ChangeSetFailed {
                    error: "no such change set".into(),
                },
                "its change set cannot be executed (no such change set); nothing was sent",
            ),
            (
                Failure::UpdateNotSent {
                    call: UpdateCall::UpdateStack,
                    error: aws(),
                },
                "UpdateStack failed, the stack was not changed: AWS said no",
            ),
            (
                Failure::UpdateNotSent {
                    call: UpdateCall::ExecuteChangeSet,
                    error: aws(),
                },
                "ExecuteChangeSet failed, the stack was not changed: AWS said no",
            ),
            (
                Failure::CreateNotSent {
                    error: aws(),
                    stack: AfterCreate::Absent,
                },
                "CreateStack failed, nothing was created: AWS said no",
            ),
            (
                Failure::CreateNotSent {
                    error: aws(),
                    stack: AfterCreate::Exists,
                },
                "CreateStack failed, but the stack exists: AWS said no",
            ),
            (
                Failure::CreateNotSent {
                    error: aws(),
                    stack: AfterCreate::Unknown,
                },
                "CreateStack failed (whether the stack exists is unknown; `rackfile status` tells): AWS said no",
            ),
            (
                Failure::RollbackNotContinued { error: aws() },
                "ContinueUpdateRollback failed, nothing was changed: AWS said no",
            ),
            (
                Failure::DeleteNotSent {
                    stack: "web-app".into(),
                    error: aws(),
                },
                "DeleteStack of web-app failed, nothing was deleted: AWS said no",
            ),
        ]);
    }

    #[test]
    fn operations_that_ended_badly() {
        assert_words(&[
            (Failure::InstallFailed, "the install failed"),
            (
                Failure::UpdateRolledBack,
                "the update failed and was rolled back",
            ),
            (
                Failure::RollbackNotRecovered,
                "the rollback could not be continued",
            ),
            (
                Failure::DeletionFailed {
                    stack: "web-app".into(),
                },
                "the deletion of web-app failed",
            ),
            (
                Failure::RecoveryNeededAgain {
                    status: Some(StackStatus::parse("UPDATE_ROLLBACK_FAILED")),
                },
                "after the rollback the stack is UPDATE_ROLLBACK_FAILED",
            ),
            (
                Failure::RecoveryNeededAgain { status: None },
                "after the rollback the stack is ",
            ),
            (
                Failure::ReinstallInterrupted,
                "interrupted after the failed install was deleted; the rack was not installed again (`rackfile apply` installs it)",
            ),
        ]);
    }

    #[test]
    fn an_install_without_its_password() {
        let parameter = || "/convox/web/password".to_string();
        assert_words(&[
            (
                Failure::Password(PasswordError::EnvNotSet {
                    variable: "WEB_PASSWORD".into(),
                }),
                "$WEB_PASSWORD is not set; the rack's API password must be in it (password_env)",
            ),
            (
                Failure::Password(PasswordError::NotSecure {
                    parameter: parameter(),
                    kind: "String".into(),
                }),
                "SSM parameter /convox/web/password is a String, not a SecureString; nothing was created",
            ),
            (
                Failure::Password(PasswordError::Unreadable {
                    parameter: parameter(),
                    error: aws(),
                }),
                "cannot read SSM parameter /convox/web/password: AWS said no; nothing was created",
            ),
            (
                Failure::Password(PasswordError::ChangedWhileStoring {
                    parameter: parameter(),
                }),
                "SSM parameter /convox/web/password changed while rackfile stored it; nothing was created",
            ),
            (
                Failure::Password(PasswordError::NotStored {
                    parameter: parameter(),
                    error: aws(),
                }),
                "cannot store the password in SSM parameter /convox/web/password: AWS said no; nothing was created",
            ),
        ]);
    }

    #[test]
    fn an_uninstall_that_stopped_says_what_it_deleted() {
        let replaced = || NotAsPlanned::Replaced {
            stack: "web-app".into(),
            now: "arn:2".into(),
            planned: "arn:1".into(),
        };
        let nothing = "; no stack was deleted (the uninstall stops before its first DeleteStack). Plan again: `rackfile plan` lists what the uninstall deletes now";
        let stop = |stop| Failure::Uninstall(UninstallStop::NothingDeleted(stop));
        assert_words(&[
            (
                stop(PrepStop::NotAsPlanned(NotAsPlanned::Unreadable {
                    stack: "web-app".into(),
                    error: aws(),
                })),
                &format!("cannot read web-app before deleting it: AWS said no{nothing}"),
            ),
            (
                stop(PrepStop::NotAsPlanned(NotAsPlanned::Retagged {
                    stack: "web-app".into(),
                })),
                &format!(
                    "web-app's tags changed since the plan: it is no longer a Convox stack of this rack{nothing}"
                ),
            ),
            (
                stop(PrepStop::Interrupted),
                &format!("interrupted before the uninstall began{nothing}"),
            ),
            (
                stop(PrepStop::ServicesUnreachable { error: aws() }),
                &format!("cannot reach Auto Scaling and EventBridge: AWS said no{nothing}"),
            ),
            (
                stop(PrepStop::ResourcesUnlisted {
                    stack: "web".into(),
                    error: aws(),
                }),
                &format!("cannot list the resources of web: AWS said no{nothing}"),
            ),
            (
                stop(PrepStop::GroupNotDeleted {
                    group: "web-Instances".into(),
                    stack: "web".into(),
                    error: aws(),
                }),
                &format!(
                    "DeleteAutoScalingGroup of web-Instances (stack web) failed: AWS said no{nothing}"
                ),
            ),
            (
                Failure::Uninstall(UninstallStop::Interrupted { deleted: 1, of: 3 }),
                "interrupted after deleting 1 of 3 app and resource stacks; the rack's stack was not deleted",
            ),
            (
                Failure::Uninstall(UninstallStop::Interrupted { deleted: 3, of: 3 }),
                "interrupted after deleting the app and resource stacks; the rack's stack was not deleted",
            ),
            (
                Failure::Uninstall(UninstallStop::Interrupted { deleted: 0, of: 0 }),
                "interrupted after deleting the app and resource stacks; the rack's stack was not deleted",
            ),
            (
                Failure::Uninstall(UninstallStop::DependentNotAsPlanned {
                    why: replaced(),
                    deleted: 1,
                    of: 2,
                }),
                "web-app is another stack than the one planned (StackId arn:2 now, arn:1 planned), so it was not deleted; 1 of 2 app and resource stacks was, and the rack's stack was not. Plan again: `rackfile plan` lists what the uninstall deletes now",
            ),
            (
                Failure::Uninstall(UninstallStop::RackKept(RackKept::NotAsPlanned(replaced()))),
                "web-app is another stack than the one planned (StackId arn:2 now, arn:1 planned), so the rack's stack was not deleted; its apps and resources were",
            ),
            (
                Failure::Uninstall(UninstallStop::RackKept(RackKept::NlbProtection {
                    parameter: "NLBDeletionProtection".into(),
                    value: "Yes".into(),
                })),
                "NLB deletion protection was turned on since the plan (NLBDeletionProtection=Yes), so the rack's stack was not deleted; its apps and resources were",
            ),
        ]);
    }

    #[test]
    fn cancels_that_did_not_end_in_a_rollback() {
        assert_words(&[
            (
                Failure::CancelNotSent { error: aws() },
                "CancelUpdateStack failed (AWS said no); the update goes on in AWS: `rackfile status` shows it",
            ),
            (
                Failure::RollbackNotCompleted {
                    cancelled_after: Duration::from_secs(300),
                },
                "cancelled after 5m; the rollback did not complete: `rackfile apply --recover` continues it",
            ),
            (
                Failure::CancelElsewhere(CancelStop::EventsUnreadable { error: aws() }),
                "cannot read the stack's events, nothing was sent: AWS said no",
            ),
            (
                Failure::CancelElsewhere(CancelStop::Refused { error: aws() }),
                "CancelUpdateStack refused (AWS said no): the update is no longer in progress, nothing was cancelled",
            ),
            (
                Failure::CancelElsewhere(CancelStop::NotSent { error: aws() }),
                "CancelUpdateStack failed (AWS said no); the update goes on in AWS",
            ),
            (
                Failure::CancelElsewhere(CancelStop::RollbackNotCompleted),
                "cancelled; the rollback did not complete: `rackfile apply --recover` continues it",
            ),
        ]);
    }

    #[test]
    fn a_root_cause_is_the_failed_resource_with_its_reason_or_the_stacks_own() {
        let resource = |reason: Option<&str>| RootCause::Resource {
            logical_id: "Instances".into(),
            resource_type: "AWS::AutoScaling::AutoScalingGroup".into(),
            reason: reason.map(String::from),
        };
        assert_eq!(
            root_cause_words(&resource(Some("Resource creation cancelled"))),
            "Instances (AWS::AutoScaling::AutoScalingGroup): Resource creation cancelled"
        );
        assert_eq!(
            root_cause_words(&resource(None)),
            "Instances (AWS::AutoScaling::AutoScalingGroup): no reason given"
        );
        assert_eq!(
            root_cause_words(&RootCause::Stack {
                reason: "The following resource(s) failed to create: [Vpc].".into()
            }),
            "The following resource(s) failed to create: [Vpc]."
        );
    }

    #[test]
    fn a_failed_re_plan_says_what_it_came_after_and_the_planners_own_words() {
        let not_planned = Failure::Replan {
            after: ReplanAfter::Wait,
            error: ReplanError::NotPlanned("personal/web".parse().unwrap()),
        };
        assert_eq!(
            failure_words(&not_planned),
            "re-planning after the wait failed: personal/web is no longer planned"
        );
        let error = Error::Interrupted("the reads were interrupted".into());
        let rendered = error.render().trim_end().to_string();
        let planning = Failure::Replan {
            after: ReplanAfter::Rollback,
            error: ReplanError::Planning(Arc::new(error)),
        };
        assert_eq!(
            failure_words(&planning),
            format!("re-planning after the rollback failed: {rendered}")
        );
        assert!(
            rendered.contains("the reads were interrupted"),
            "{rendered}"
        );
    }
}
