//! `--recover`: a failed install deleted and installed again; an UPDATE_ROLLBACK_FAILED rollback continued,
//! then the rack planned again and that plan carried out.

// tokio's clock, not the system's: the recovery follows a paused test clock.
use tokio::time::Instant;

use super::context::Context;
use super::follow::{Followed, Follower, events_so_far};
use super::outcome::{Failure, RackResult, ReplanAfter, Replanned, failed, replan_failed};
use super::reporter::Work;
use super::request_token::request_token;
use crate::cloud::{Cloud, StackStatus};
use crate::plan::{Action, Install, RackPlan};

/// `--recover` of a failed install: the stack is deleted and followed until it is gone, then installed
/// as planned.
pub(super) async fn reinstall(
    ctx: &Context<'_>,
    plan: &RackPlan,
    install: &Install,
    cloud: &dyn Cloud,
    started: Instant,
) -> RackResult {
    let failed_install = plan
        .stack
        .as_ref()
        .map_or("", |stack| stack.stack_id.as_str());
    if let Err(result) = super::delete::delete_and_follow(
        ctx,
        &plan.id(),
        &plan.name,
        failed_install,
        plan.role_arn.as_deref(),
        cloud,
        started,
        0,
    )
    .await
    {
        return result;
    }
    if ctx.cancelled() {
        return failed(Failure::ReinstallInterrupted, None);
    }
    match super::install::run(ctx, plan, install, cloud, started).await {
        RackResult::Installed { dashboard } => RackResult::Reinstalled { dashboard },
        other => other,
    }
}

/// `--recover` of UPDATE_ROLLBACK_FAILED: ContinueUpdateRollback, followed to UPDATE_ROLLBACK_COMPLETE;
/// then the rack is planned again (when re-planning is allowed) and what that plan says is done.
pub(super) async fn continue_rollback(
    ctx: &Context<'_>,
    plan: &RackPlan,
    cloud: &dyn Cloud,
    started: Instant,
) -> Replanned {
    let seen = match events_so_far(cloud, &plan.name).await {
        Ok(seen) => seen,
        Err(error) => return Replanned::Done(failed(Failure::EventsUnreadable { error }, None)),
    };
    let skip = ctx
        .resources_to_skip
        .get(&plan.rack)
        .cloned()
        .unwrap_or_default();
    if let Err(error) = cloud
        .continue_update_rollback(
            &plan.name,
            plan.role_arn.as_deref(),
            &request_token(),
            &skip,
        )
        .await
    {
        return Replanned::Done(failed(Failure::RollbackNotContinued { error }, None));
    }
    ctx.reporter
        .start(&plan.id(), &Work::ContinuingRollback { skipping: &skip }, 0);
    match Follower::new(ctx).follow(plan, cloud, seen, started).await {
        Followed::Settled { stack, .. } if stack.status == StackStatus::UpdateRollbackComplete => {}
        Followed::Settled { stack, root_cause } => {
            return Replanned::Done(RackResult::Failed {
                failure: Box::new(Failure::RollbackNotRecovered),
                status: Some(stack.status),
                root_cause,
            });
        }
        Followed::Stopped(result) => return Replanned::Done(result),
    }
    let Some(replanner) = ctx.replanner else {
        return Replanned::Done(RackResult::RollbackContinued { then: None });
    };
    match replanner.replan(&plan.id()).await {
        Ok(new_plan) => match &new_plan.action {
            Action::Unchanged => Replanned::Done(RackResult::RollbackContinued { then: None }),
            // Never a second recovery in one run: a rack that failed again is for a person to see.
            Action::ContinueRollback | Action::Reinstall(_) => {
                Replanned::Done(RackResult::RollbackContinued {
                    then: Some(Box::new(failed(
                        Failure::RecoveryNeededAgain {
                            status: new_plan.stack.as_ref().map(|s| s.status.clone()),
                        },
                        None,
                    ))),
                })
            }
            _ => Replanned::Run(Box::new(new_plan)),
        },
        Err(error) => Replanned::Done(RackResult::RollbackContinued {
            then: Some(Box::new(replan_failed(ReplanAfter::Rollback, error))),
        }),
    }
}
