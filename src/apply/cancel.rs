//! Cancelling an update: at `--timeout` with `--on-timeout cancel`, or on a second Ctrl-C, an update
//! rackfile started and is following gets CancelUpdateStack (with its own ClientRequestToken), and its
//! rollback is followed to UPDATE_ROLLBACK_COMPLETE and reported. An install is never cancelled: it is
//! created with TimeoutInMinutes, so CloudFormation rolls it back itself.

use std::time::Duration;

// tokio's clock, not the system's: the cancel and its rollback follow a paused test clock.
use tokio::time::Instant;

use super::context::{Context, OnTimeout};
use super::follow::{Followed, Follower, events_so_far};
use super::outcome::{Failure, RackResult, StopReason, failed};
use super::reporter::Progress;
use super::request_token::request_token;
use crate::cloud::{Cloud, CloudErrorKind, Stack, StackStatus};
use crate::plan::RackPlan;

/// How long after the first Ctrl-C a second one still cancels the updates in progress.
pub const SECOND_INTERRUPT_WINDOW: Duration = Duration::from_secs(10);

/// What to do with an update whose following stopped: cancel it (the timeout under `--on-timeout
/// cancel`, or a second Ctrl-C within `SECOND_INTERRUPT_WINDOW` of the first), or leave it running.
pub(super) async fn cancel_if_asked(
    ctx: &Context<'_>,
    plan: &RackPlan,
    cloud: &dyn Cloud,
    sent: Instant,
    stopped: RackResult,
) -> Result<Option<Stack>, RackResult> {
    let cancel = match &stopped {
        RackResult::StillInProgress {
            why: StopReason::Timeout,
            ..
        } => ctx.timings.on_timeout == OnTimeout::Cancel,
        RackResult::StillInProgress {
            why: StopReason::Interrupted,
            ..
        } => second_interrupt(ctx).await,
        _ => false,
    };
    if cancel {
        cancel_update(ctx, plan, cloud, sent).await
    } else {
        Err(stopped)
    }
}

/// Whether a second Ctrl-C comes within the window after the first.
async fn second_interrupt(ctx: &Context<'_>) -> bool {
    let mut interrupts = ctx.cancel.clone();
    tokio::time::timeout(
        SECOND_INTERRUPT_WINDOW,
        interrupts.wait_for(|presses| *presses >= 2),
    )
    .await
    .is_ok_and(|answer| answer.is_ok())
}

/// CancelUpdateStack, then the rollback followed to its end. A cancel AWS refuses because the update
/// ended meanwhile is reported as what happened: the update is followed to its own end instead.
async fn cancel_update(
    ctx: &Context<'_>,
    plan: &RackPlan,
    cloud: &dyn Cloud,
    sent: Instant,
) -> Result<Option<Stack>, RackResult> {
    let after = sent.elapsed();
    let seen = events_so_far(cloud, &plan.name).await.unwrap_or_default();
    let token = request_token();
    let rack = plan.id();
    if let Err(error) = cloud.cancel_update_stack(&plan.name, &token).await {
        if error.kind != CloudErrorKind::Validation {
            return Err(failed(Failure::CancelNotSent { error }, None));
        }
        ctx.reporter
            .progress(&rack, &Progress::CancelRefused { error: &error }, 0);
        return match Follower::past_timeout(ctx)
            .follow(plan, cloud, seen, sent)
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
            Followed::Stopped(result) => Err(result),
        };
    }
    ctx.reporter
        .progress(&rack, &Progress::Cancelling { after }, 0);
    let rollback_started = Instant::now();
    match Follower::past_timeout(ctx)
        .follow(plan, cloud, seen, sent)
        .await
    {
        Followed::Settled { stack, .. } if stack.status == StackStatus::UpdateRollbackComplete => {
            Err(RackResult::Cancelled {
                after,
                rolled_back_in: rollback_started.elapsed(),
            })
        }
        Followed::Settled { stack, root_cause } => Err(RackResult::Failed {
            failure: Box::new(Failure::RollbackNotCompleted {
                cancelled_after: after,
            }),
            status: Some(stack.status),
            root_cause,
        }),
        Followed::Stopped(result) => Err(result),
    }
}
