//! The stack read again just before the first write of a rack: still as planned, or waited for and planned
//! again when another operation is changing it, or the rack stopped with nothing sent.

// tokio's clock, not the system's: the wait follows a paused test clock.
use tokio::time::Instant;

use super::context::{Context, Replanner};
use super::follow::{Followed, Follower, events_so_far};
use super::outcome::{
    BlockReason, Failure, RackResult, ReplanAfter, Replanned, Reread, failed, replan_failed,
};
use super::reporter::Work;
use crate::cloud::{Cloud, StackState};
use crate::plan::{Action, RackPlan, StackFingerprint};

/// Reads the stack again just before writing to it. A change made since the plan (by a person, the
/// autoscaler, another apply) must not be undone by values read before it: a stack another operation
/// is changing is waited for and planned again (when re-planning is allowed); any other change stops
/// the rack with nothing sent.
pub(super) async fn check(
    ctx: &Context<'_>,
    plan: &RackPlan,
    cloud: &dyn Cloud,
    started: Instant,
) -> Option<Replanned> {
    let now = match cloud.describe_stack(&plan.name).await {
        Ok(now) => now,
        Err(error) => {
            return Some(Replanned::Done(failed(
                Failure::StackUnreadable {
                    before: Reread::FirstWrite,
                    error,
                },
                None,
            )));
        }
    };
    let fingerprint = now.as_ref().map(StackFingerprint::of);
    if fingerprint == plan.stack {
        return None;
    }
    if let Some(stack) = &now
        // Only an operation that leaves a stack is worth waiting for: a deletion begun since the plan
        // ends with no stack to plan, and is reported as the change it is.
        && stack.state() == StackState::InProgress
        && let Some(replanner) = ctx.replanner
    {
        return Some(wait_then_replan(ctx, plan, stack.status.as_str(), started, replanner).await);
    }
    Some(Replanned::Done(failed(
        Failure::StackChanged {
            since: Reread::FirstWrite,
            then: plan.stack.clone(),
            now: fingerprint,
        },
        now.map(|stack| stack.status),
    )))
}

pub(super) async fn wait_then_replan(
    ctx: &Context<'_>,
    plan: &RackPlan,
    status: &str,
    started: Instant,
    replanner: &dyn Replanner,
) -> Replanned {
    let cloud = match ctx.cloud(&plan.org, &plan.region).await {
        Ok(cloud) => cloud,
        Err(error) => return Replanned::Done(failed(Failure::Unreachable { error }, None)),
    };
    ctx.reporter.start(&plan.id(), &Work::Waiting { status }, 0);
    let seen = events_so_far(cloud.as_ref(), &plan.name)
        .await
        .unwrap_or_default();
    match Follower::new(ctx)
        .follow(plan, cloud.as_ref(), seen, started)
        .await
    {
        Followed::Settled { .. } => {}
        Followed::Stopped(result) => return Replanned::Done(result),
    }
    match replanner.replan(&plan.id()).await {
        // Waiting twice would be a loop: a rack busy again after the wait is reported as blocked. Any
        // other plan passes the run's gate in `run_action`, as the first plan did.
        Ok(new_plan) => match &new_plan.action {
            Action::Blocked(blocked) => Replanned::Done(RackResult::Blocked {
                status: blocked.status.clone(),
                reason: BlockReason::Planned {
                    blocked: blocked.clone(),
                    preflight: new_plan.preflight.clone(),
                },
            }),
            Action::Wait(wait) => Replanned::Done(RackResult::Blocked {
                status: Some(wait.status.clone()),
                reason: BlockReason::BusyAgain,
            }),
            _ => Replanned::Run(Box::new(new_plan)),
        },
        Err(error) => Replanned::Done(replan_failed(ReplanAfter::Wait, error)),
    }
}
