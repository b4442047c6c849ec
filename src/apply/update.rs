//! Updating a rack: termination protection and the stack policy first (they are immediate), then one
//! UpdateStack followed to a final status; an upgrade through required releases is such updates, strictly
//! one after another. Each that completed with a new version is recorded as Convox records it
//! (`release_record`).

use std::time::Duration;

// tokio's clock, not the system's: the updates follow a paused test clock.
use tokio::time::Instant;

use super::context::Context;
use super::follow::{Followed, Follower, events_so_far};
use super::outcome::{Failure, RackResult, Reread, UpdateCall, failed};
use super::reporter::Work;
use super::request_token::{caused_by, request_token};
use crate::cloud::{Cloud, CloudErrorKind, Stack, UpdateOutcome};
use crate::plan::change_set::CheckStatus;
use crate::plan::{ChangeKind, RackPlan, StackFingerprint, Update, Upgrade};

pub(super) async fn run(
    ctx: &Context<'_>,
    plan: &RackPlan,
    update: &Update,
    cloud: &dyn Cloud,
    started: Instant,
) -> RackResult {
    if let Err(result) = set_protection(plan, update, cloud).await {
        return result;
    }
    if let Err(result) = set_policy(plan, update, cloud).await {
        return result;
    }
    if !update.changes_the_stack() {
        return RackResult::Updated;
    }
    match update_and_follow(ctx, plan, update, cloud, started, Work::Updating).await {
        Ok(Some(_)) => {
            super::release_record::record(ctx, plan, update, cloud).await;
            RackResult::Updated
        }
        Ok(None) => RackResult::AlreadyUpToDate,
        Err(result) => result,
    }
}

/// UpdateTerminationProtection, when the update changes it; immediate, so it goes first.
async fn set_protection(
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
        .map_err(|error| failed(Failure::ProtectionNotSet { error }, None))
}

/// SetStackPolicy, when the update changes the policy: immediate, and an UpdateStack that changes
/// nothing else would have nothing to do.
async fn set_policy(plan: &RackPlan, update: &Update, cloud: &dyn Cloud) -> Result<(), RackResult> {
    let changes_policy = update
        .changes
        .iter()
        .any(|change| change.kind == ChangeKind::StackPolicy);
    let Some(policy) = plan
        .options
        .stack_policy
        .as_ref()
        .filter(|_| changes_policy)
    else {
        return Ok(());
    };
    cloud
        .set_stack_policy(&plan.name, &policy.body)
        .await
        .map_err(|error| {
            failed(
                Failure::PolicyNotSet {
                    protection_set: update.termination_protection.is_some(),
                    error,
                },
                None,
            )
        })
}

/// The steps of an upgrade, strictly in order, each followed to completion before the next is sent.
/// Between steps the stack must be exactly as the step before left it (the autoscaler or a person may
/// have changed it since, and a step's parameters were planned against that state); a step that does
/// not complete stops the rack there.
pub(super) async fn upgrade(
    ctx: &Context<'_>,
    plan: &RackPlan,
    upgrade: &Upgrade,
    cloud: &dyn Cloud,
    started: Instant,
) -> RackResult {
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
            if ctx.cancelled() {
                return stopped(RackResult::NotStarted);
            }
            let now = match cloud.describe_stack(&plan.name).await {
                Ok(now) => now.as_ref().map(StackFingerprint::of),
                Err(error) => {
                    return stopped(failed(
                        Failure::StackUnreadable {
                            before: Reread::AfterStep(index),
                            error,
                        },
                        None,
                    ));
                }
            };
            if left_by_last_step != now {
                let status = now.as_ref().map(|stack| stack.status.clone());
                return stopped(failed(
                    Failure::StackChanged {
                        since: Reread::AfterStep(index),
                        then: left_by_last_step,
                        now,
                    },
                    status,
                ));
            }
        }
        let work = Work::Upgrading {
            version: &step.version,
            step: index + 1,
            of,
        };
        match update_and_follow(ctx, plan, &step.update, cloud, started, work).await {
            Ok(Some(stack)) => {
                left_by_last_step = Some(StackFingerprint::of(&stack));
                super::release_record::record(ctx, plan, &step.update, cloud).await;
            }
            Ok(None) => {}
            Err(result) => return stopped(result),
        }
    }
    RackResult::Upgraded { steps: of }
}

/// Sends one UpdateStack and follows it: the stack it settled in, `None` when CloudFormation had
/// nothing to do, or how it failed or stopped.
async fn update_and_follow(
    ctx: &Context<'_>,
    plan: &RackPlan,
    update: &Update,
    cloud: &dyn Cloud,
    started: Instant,
    work: Work<'_>,
) -> Result<Option<Stack>, RackResult> {
    let request = plan.update_request(update, request_token());
    // Events from before this update are history, not progress.
    let seen = match events_so_far(cloud, &plan.name).await {
        Ok(seen) => seen,
        Err(error) => {
            return Err(failed(Failure::EventsUnreadable { error }, None));
        }
    };
    ctx.reporter.start(&plan.id(), &work, update.resource_count);
    // What was checked is what runs: an update planned with a change set is that change set executed.
    let sent = match &update.change_set {
        Some(check) => match &check.status {
            CheckStatus::NoChanges if !update.changes_stack_settings() => return Ok(None),
            // The change set found no resource to change; the stack's own settings (role, topics,
            // rollback triggers) are changed by the UpdateStack of the same request.
            CheckStatus::NoChanges => cloud
                .update_stack(&request)
                .await
                .map_err(|error| (UpdateCall::UpdateStack, error)),
            CheckStatus::Failed { error } => {
                return Err(failed(
                    Failure::ChangeSetFailed {
                        error: error.clone(),
                    },
                    None,
                ));
            }
            CheckStatus::Ready => cloud
                .execute_change_set(&check.change_set, &request.token)
                .await
                .map(|()| UpdateOutcome::Started)
                .map_err(|error| (UpdateCall::ExecuteChangeSet, error)),
        },
        None => cloud
            .update_stack(&request)
            .await
            .map_err(|error| (UpdateCall::UpdateStack, error)),
    };
    match sent {
        Ok(UpdateOutcome::NothingToDo) => return Ok(None),
        Ok(UpdateOutcome::Started) => {}
        // As for installs: a retried update that meets the update its first attempt started.
        Err((_, error))
            if error.kind == CloudErrorKind::Busy
                && caused_by(cloud, &plan.name, &request.token).await => {}
        Err((call, error)) => {
            return Err(failed(Failure::UpdateNotSent { call, error }, None));
        }
    }
    // Executed (a retry included, that met the update its first attempt started): the stack's history.
    if let Some(check) = &update.change_set {
        ctx.change_sets.executed(&check.change_set);
    }
    let sent = Instant::now();
    let budget = update
        .budget
        .as_ref()
        .and_then(|budget| budget.seconds())
        .map(Duration::from_secs);
    match Follower::new(ctx)
        .within(budget)
        .follow(plan, cloud, seen, started)
        .await
    {
        Followed::Settled { stack, root_cause } if stack.status.is_failure() => {
            Err(RackResult::Failed {
                failure: Box::new(Failure::UpdateRolledBack),
                status: Some(stack.status),
                root_cause,
            })
        }
        Followed::Settled { stack, .. } => Ok(Some(*stack)),
        Followed::Stopped(stopped) => {
            super::cancel::cancel_if_asked(ctx, plan, cloud, sent, stopped).await
        }
    }
}
