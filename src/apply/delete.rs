//! Uninstalling a rack (`ensure = "absent"`): its app and resource stacks, then the rack's own stack, each
//! read again just before its DeleteStack, deleted and followed until gone.

// tokio's clock, not the system's: the deletions follow a paused test clock.
use tokio::time::Instant;

use super::context::Context;
use super::follow::{Follower, Watched, events_so_far};
use super::outcome::{Failure, RackKept, RackResult, Retained, UninstallStop, failed};
use super::recheck::{Recheck, recheck_before_delete};
use super::reporter::Work;
use super::request_token::request_token;
use crate::cloud::{Cloud, Stack};
use crate::config::RackId;
use crate::plan::{RackPlan, Uninstall};

/// `ensure = "absent"`: each app stack, then the rack, each deleted and followed until gone.
pub(super) async fn run(
    ctx: &Context<'_>,
    plan: &RackPlan,
    uninstall: &Uninstall,
    cloud: &dyn Cloud,
    started: Instant,
) -> RackResult {
    if let Err(result) = super::uninstall_prep::prepare(ctx, plan, uninstall, cloud).await {
        return result;
    }
    let total = uninstall.dependents.len();
    for (done, dependent) in uninstall.dependents.iter().enumerate() {
        if ctx.cancelled() {
            return stopped(UninstallStop::Interrupted {
                deleted: done,
                of: total,
            });
        }
        let still_dependent = |stack: &Stack| {
            crate::convox::dependent_of(stack, &plan.name, |_| false) == Some(dependent.kind)
        };
        match recheck_before_delete(cloud, &dependent.name, &dependent.stack_id, still_dependent)
            .await
        {
            Recheck::Delete(_) => {}
            Recheck::Gone => continue,
            Recheck::Refuse(why) => {
                return stopped(UninstallStop::DependentNotAsPlanned {
                    why,
                    deleted: done,
                    of: total,
                });
            }
        }
        if let Err(result) = delete_and_follow(
            ctx,
            &plan.id(),
            &dependent.name,
            &dependent.stack_id,
            None,
            cloud,
            started,
            0,
        )
        .await
        {
            return result;
        }
    }
    if ctx.cancelled() {
        return stopped(UninstallStop::Interrupted {
            deleted: total,
            of: total,
        });
    }
    let planned_rack = plan
        .stack
        .as_ref()
        .map_or("", |stack| stack.stack_id.as_str());
    let why = match recheck_before_delete(cloud, &plan.name, planned_rack, crate::convox::is_rack)
        .await
    {
        Recheck::Refuse(why) => Some(RackKept::NotAsPlanned(why)),
        Recheck::Delete(stack) => crate::convox::operations::nlb_deletion_protection(
            &stack.parameters,
        )
        .map(|(parameter, value)| RackKept::NlbProtection {
            parameter: parameter.to_string(),
            value: value.to_string(),
        }),
        Recheck::Gone => None,
    };
    if let Some(why) = why {
        return stopped(UninstallStop::RackKept(why));
    }
    if let Err(result) = delete_and_follow(
        ctx,
        &plan.id(),
        &plan.name,
        planned_rack,
        plan.role_arn.as_deref(),
        cloud,
        started,
        uninstall.resource_count,
    )
    .await
    {
        return result;
    }
    RackResult::Uninstalled {
        apps: total,
        retained: uninstall
            .retained
            .iter()
            .map(|r| Retained {
                logical_id: r.logical_id.clone(),
                resource_type: r.resource_type.clone(),
            })
            .collect(),
    }
}

/// An uninstall that stopped with the rack's stack not deleted.
fn stopped(stop: UninstallStop) -> RackResult {
    failed(Failure::Uninstall(stop), None)
}

/// DeleteStack of `stack`, followed until it is gone, reported as `rack`'s progress. `stack_id`: the
/// stack checked just before, which the deletion is followed by (its last events are read by id; an empty
/// one, when the plan knew none, follows by name). `role_arn`: the rack's service role, for the rack's own
/// stack (an app's stack keeps the role Convox gave it).
#[allow(clippy::too_many_arguments)]
pub(super) async fn delete_and_follow(
    ctx: &Context<'_>,
    rack: &RackId,
    stack: &str,
    stack_id: &str,
    role_arn: Option<&str>,
    cloud: &dyn Cloud,
    started: Instant,
    resource_count: usize,
) -> Result<(), RackResult> {
    let seen = events_so_far(cloud, stack).await.unwrap_or_default();
    if let Err(error) = cloud.delete_stack(stack, role_arn, &request_token()).await {
        return Err(failed(
            Failure::DeleteNotSent {
                stack: stack.to_string(),
                error,
            },
            None,
        ));
    }
    ctx.reporter
        .start(rack, &Work::Deleting { stack }, resource_count);
    match Follower::new(ctx)
        .follow_stack(
            rack,
            stack,
            cloud,
            seen,
            started,
            Some(if stack_id.is_empty() { stack } else { stack_id }),
        )
        .await
    {
        Watched::Gone => Ok(()),
        Watched::Settled {
            stack: left,
            root_cause,
        } => Err(RackResult::Failed {
            failure: Box::new(Failure::DeletionFailed {
                stack: stack.to_string(),
            }),
            status: Some(left.status),
            root_cause,
        }),
        Watched::Stopped(result) => Err(result),
    }
}
