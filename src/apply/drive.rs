//! The driver: runs the racks of a plan concurrently up to a limit and hands each rack's planned action to
//! the effect that carries it out. It makes no choices: the plan's typed `Action` says what to do.

// tokio's clock, not the system's: the executor's waits, timeouts and times follow a paused test clock.
use tokio::time::Instant;

use futures::StreamExt;

use super::context::Context;
use super::outcome::{BlockReason, Failure, RackOutcome, RackResult, Replanned, failed};
use super::{changed_since_planned, delete, install, recover, update};
use crate::cloud::Cloud;
use crate::plan::{Action, Gate, Plan, RackPlan, gate};

/// Runs every rack of the plan, at most `parallelism` at a time, ignoring its waves (`roll_out`
/// follows them); outcomes in plan order.
pub async fn execute(ctx: &Context<'_>, plan: &Plan) -> Vec<RackOutcome> {
    let racks: Vec<&RackPlan> = plan.racks.iter().collect();
    execute_racks(ctx, &racks, ctx.parallelism).await
}

/// Runs these racks, at most `parallelism` at a time; outcomes in the order given.
pub(super) async fn execute_racks(
    ctx: &Context<'_>,
    racks: &[&RackPlan],
    parallelism: usize,
) -> Vec<RackOutcome> {
    let parallelism = parallelism.max(1);
    let mut outcomes: Vec<(usize, RackOutcome)> =
        futures::stream::iter(racks.iter().copied().enumerate())
            .map(|(index, rack)| async move { (index, run_rack(ctx, rack).await) })
            .buffer_unordered(parallelism)
            .collect()
            .await;
    outcomes.sort_by_key(|(index, _)| *index);
    outcomes.into_iter().map(|(_, outcome)| outcome).collect()
}

async fn run_rack(ctx: &Context<'_>, plan: &RackPlan) -> RackOutcome {
    let started = Instant::now();
    let result = if ctx.cancelled() {
        RackResult::NotStarted
    } else {
        run_action(ctx, plan, &plan.action, started).await
    };
    let password = ctx
        .started_passwords
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&plan.rack)
        .cloned();
    let warnings = ctx
        .record_warnings
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .remove(&plan.rack)
        .unwrap_or_default();
    let outcome = RackOutcome {
        rack: plan.rack.clone(),
        result,
        elapsed: started.elapsed(),
        password,
        warnings,
    };
    if !matches!(
        outcome.result,
        RackResult::Unchanged | RackResult::NotStarted
    ) {
        ctx.reporter.finish(&plan.id(), &outcome);
    }
    outcome
}

pub(super) async fn run_action(
    ctx: &Context<'_>,
    plan: &RackPlan,
    action: &Action,
    started: Instant,
) -> RackResult {
    match gate(plan, &ctx.permissions) {
        Gate::Go => {}
        Gate::Held => {
            return RackResult::Held {
                reasons: plan.hold.clone(),
                disruptions: plan.disruptions.clone(),
                dependents: match &plan.action {
                    Action::Uninstall(uninstall) => uninstall.dependents.clone(),
                    _ => Vec::new(),
                },
            };
        }
        // The first plan's refusals stopped the run before anything started (`commands::apply`):
        // this is a plan made again while it ran.
        Gate::Refused(refusal) => {
            return RackResult::Blocked {
                status: plan.stack.as_ref().map(|stack| stack.status.clone()),
                reason: BlockReason::Refused(refusal),
            };
        }
    }
    match action {
        Action::Unchanged => RackResult::Unchanged,
        // What to do once the stack settles is the decision of a new plan, gated like the first.
        Action::Wait(wait) => match ctx.replanner {
            Some(replanner) => {
                match changed_since_planned::wait_then_replan(
                    ctx,
                    plan,
                    wait.status.as_str(),
                    started,
                    replanner,
                )
                .await
                {
                    Replanned::Done(result) => result,
                    Replanned::Run(new_plan) => {
                        Box::pin(run_action(ctx, &new_plan, &new_plan.action, started)).await
                    }
                }
            }
            // A saved plan is applied as reviewed: a plan made after the wait was not.
            None => RackResult::Blocked {
                status: Some(wait.status.clone()),
                reason: BlockReason::SavedPlanWaited,
            },
        },
        Action::Blocked(blocked) => RackResult::Blocked {
            status: blocked.status.clone(),
            reason: BlockReason::Planned {
                blocked: blocked.clone(),
                preflight: plan.preflight.clone(),
            },
        },
        Action::Install(planned) => {
            opened(ctx, plan, started, async |cloud| {
                install::run(ctx, plan, planned, cloud, started).await
            })
            .await
        }
        Action::Update(planned) => {
            opened(ctx, plan, started, async |cloud| {
                update::run(ctx, plan, planned, cloud, started).await
            })
            .await
        }
        Action::Upgrade(planned) => {
            opened(ctx, plan, started, async |cloud| {
                update::upgrade(ctx, plan, planned, cloud, started).await
            })
            .await
        }
        Action::Reinstall(planned) => {
            opened(ctx, plan, started, async |cloud| {
                recover::reinstall(ctx, plan, planned, cloud, started).await
            })
            .await
        }
        Action::ContinueRollback => {
            opened(
                ctx,
                plan,
                started,
                async |cloud| match recover::continue_rollback(ctx, plan, cloud, started).await {
                    Replanned::Done(result) => result,
                    Replanned::Run(new_plan) => RackResult::RollbackContinued {
                        then: Some(Box::new(
                            Box::pin(run_action(ctx, &new_plan, &new_plan.action, started)).await,
                        )),
                    },
                },
            )
            .await
        }
        Action::Uninstall(planned) => {
            opened(ctx, plan, started, async |cloud| {
                delete::run(ctx, plan, planned, cloud, started).await
            })
            .await
        }
    }
}

/// The opening every effect shares: the rack's cloud client, and its stack read again to check that
/// it is still what was planned (see `changed_since_planned`); only then the effect.
async fn opened(
    ctx: &Context<'_>,
    plan: &RackPlan,
    started: Instant,
    effect: impl AsyncFnOnce(&dyn Cloud) -> RackResult,
) -> RackResult {
    let cloud = match ctx.cloud(&plan.org, &plan.region).await {
        Ok(cloud) => cloud,
        Err(error) => return failed(Failure::Unreachable { error }, None),
    };
    match changed_since_planned::check(ctx, plan, cloud.as_ref(), started).await {
        None => {}
        Some(Replanned::Done(result)) => return result,
        Some(Replanned::Run(new_plan)) => {
            return Box::pin(run_action(ctx, &new_plan, &new_plan.action, started)).await;
        }
    }
    effect(cloud.as_ref()).await
}
