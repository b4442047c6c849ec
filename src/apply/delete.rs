//! Uninstalling a rack (`ensure = "absent"`): its app and resource stacks, then the rack's own stack, each
//! read again just before its DeleteStack, deleted and followed until gone.

// tokio's clock, not the system's: the deletions follow a paused test clock.
use tokio::time::Instant;

use super::context::Context;
use super::follow::{Follower, Watched, events_so_far};
use super::outcome::{RackResult, Retained, failed};
use super::reporter::Work;
use super::request_token::request_token;
use crate::cloud::{Cloud, Stack, StackState};
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
            return failed(
                format!(
                    "interrupted after deleting {done} of {total} app and resource stacks; the rack's stack was not deleted"
                ),
                None,
            );
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
                return failed(
                    format!(
                        "{why}, so it was not deleted; {done} of {total} app and resource stacks were, and the rack's stack was not. Plan again: `rackfile plan` lists what the uninstall deletes now"
                    ),
                    None,
                );
            }
        }
        if let Err(result) =
            delete_and_follow(ctx, &plan.id(), &dependent.name, None, cloud, started, 0).await
        {
            return result;
        }
    }
    if ctx.cancelled() {
        return failed(
            "interrupted after deleting the app and resource stacks; the rack's stack was not deleted"
                .into(),
            None,
        );
    }
    let planned_rack = plan
        .stack
        .as_ref()
        .map_or("", |stack| stack.stack_id.as_str());
    let why = match recheck_before_delete(cloud, &plan.name, planned_rack, crate::convox::is_rack)
        .await
    {
        Recheck::Refuse(why) => Some(why),
        Recheck::Delete(stack) => crate::convox::operations::nlb_deletion_protection(
            &stack.parameters,
        )
        .map(|(parameter, value)| {
            format!("NLB deletion protection was turned on since the plan ({parameter}={value})")
        }),
        Recheck::Gone => None,
    };
    if let Some(why) = why {
        return failed(
            format!("{why}, so the rack's stack was not deleted; its apps and resources were"),
            None,
        );
    }
    if let Err(result) = delete_and_follow(
        ctx,
        &plan.id(),
        &plan.name,
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

/// DeleteStack of `stack`, followed until it is gone, reported as `rack`'s progress. `role_arn`: the
/// rack's service role, for the rack's own stack (an app's stack keeps the role Convox gave it).
pub(super) async fn delete_and_follow(
    ctx: &Context<'_>,
    rack: &RackId,
    stack: &str,
    role_arn: Option<&str>,
    cloud: &dyn Cloud,
    started: Instant,
    resource_count: usize,
) -> Result<(), RackResult> {
    let seen = events_so_far(cloud, stack).await.unwrap_or_default();
    if let Err(error) = cloud.delete_stack(stack, role_arn, &request_token()).await {
        return Err(failed(
            format!("DeleteStack of {stack} failed, nothing was deleted: {error}"),
            None,
        ));
    }
    ctx.reporter
        .start(rack, &Work::Deleting { stack }, resource_count);
    match Follower::new(ctx)
        .follow_stack(rack, stack, cloud, seen, started, true)
        .await
    {
        Watched::Gone => Ok(()),
        Watched::Settled {
            stack: left,
            root_cause,
        } => Err(RackResult::Failed {
            message: format!("the deletion of {stack} failed").into(),
            status: Some(left.status),
            root_cause,
        }),
        Watched::Stopped(result) => Err(result),
    }
}

/// What a stack planned for deletion is now, read just before its DeleteStack.
pub(super) enum Recheck {
    /// Still the stack planned, as read now.
    Delete(Box<Stack>),
    /// Already deleted (by someone else): nothing to do.
    Gone,
    /// It is no longer the stack the plan listed: why.
    Refuse(String),
}

/// Whether `name` is still the stack `stack_id` the plan listed, and still what the plan took it for
/// (`still`): a stack renamed, replaced or re-tagged since the plan is never deleted.
pub(super) async fn recheck_before_delete(
    cloud: &dyn Cloud,
    name: &str,
    stack_id: &str,
    still: impl Fn(&Stack) -> bool,
) -> Recheck {
    match cloud.describe_stack(name).await {
        Err(error) => Recheck::Refuse(format!("cannot read {name} before deleting it: {error}")),
        Ok(None) => Recheck::Gone,
        Ok(Some(stack)) if stack.state() == StackState::Deleted => Recheck::Gone,
        Ok(Some(stack)) if stack.stack_id != stack_id => Recheck::Refuse(format!(
            "{name} is another stack than the one planned (StackId {} now, {stack_id} planned)",
            stack.stack_id
        )),
        Ok(Some(stack)) if !still(&stack) => Recheck::Refuse(format!(
            "{name}'s tags changed since the plan: it is no longer a Convox stack of this rack"
        )),
        Ok(Some(stack)) => Recheck::Delete(Box::new(stack)),
    }
}
