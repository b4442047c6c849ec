//! What `convox rack uninstall` does before its first DeleteStack, rackfile does too (`convox::operations`):
//! the autoscaler's rule disabled (best effort, as Convox), then the AutoScalingGroups of every stack to
//! delete force-deleted, the rack's among them, so the ECS services of the apps finish deleting. Each stack
//! is re-checked before anything is written, as before its DeleteStack.

use super::context::Context;
use super::outcome::{Failure, PrepStop, RackResult, UninstallStop, failed};
use super::recheck::{Recheck, recheck_before_delete};
use super::reporter::UninstallStep;
use crate::cloud::{Cloud, GroupDeletion, RackServices};
use crate::convox::operations::{AUTOSCALER_RULE, auto_scaling_groups, physical_id};
use crate::plan::{RackPlan, Uninstall};

/// The preparation, before the first DeleteStack of `uninstall`: every stack re-checked first, then
/// the autoscaler rule, then the groups. An error stops the uninstall before any stack is deleted.
pub(super) async fn prepare(
    ctx: &Context<'_>,
    plan: &RackPlan,
    uninstall: &Uninstall,
    cloud: &dyn Cloud,
) -> Result<(), RackResult> {
    let mut stacks = Vec::new();
    for dependent in &uninstall.dependents {
        let still = |stack: &crate::cloud::Stack| {
            crate::convox::dependent_of(stack, &plan.name, |_| false) == Some(dependent.kind)
        };
        match recheck_before_delete(cloud, &dependent.name, &dependent.stack_id, still).await {
            Recheck::Delete(_) => stacks.push(dependent.name.as_str()),
            Recheck::Gone => {}
            Recheck::Refuse(why) => return Err(nothing_deleted(PrepStop::NotAsPlanned(why))),
        }
    }
    let planned_rack = plan.stack.as_ref().map_or("", |s| s.stack_id.as_str());
    match recheck_before_delete(cloud, &plan.name, planned_rack, crate::convox::is_rack).await {
        Recheck::Delete(_) => stacks.push(plan.name.as_str()),
        Recheck::Gone => {}
        Recheck::Refuse(why) => return Err(nothing_deleted(PrepStop::NotAsPlanned(why))),
    }
    // The preparation is the uninstall's first write: a rack without instances is no longer a rack that
    // runs, so an interrupt that came first stops it here.
    if ctx.cancelled() {
        return Err(nothing_deleted(PrepStop::Interrupted));
    }
    let services = ctx
        .connector
        .rack_services(&ctx.orgs[&plan.org], &plan.region)
        .await
        .map_err(|error| nothing_deleted(PrepStop::ServicesUnreachable { error }))?;
    let mut resources = Vec::new();
    for stack in &stacks {
        let listed = cloud.stack_resources(stack).await.map_err(|error| {
            nothing_deleted(PrepStop::ResourcesUnlisted {
                stack: stack.to_string(),
                error,
            })
        })?;
        resources.push((*stack, listed));
    }
    if let Some((_, rack_resources)) = resources.iter().find(|(s, _)| *s == plan.name) {
        disable_autoscaler(ctx, plan, rack_resources, services.as_ref()).await;
    }
    for (stack, listed) in &resources {
        for group in auto_scaling_groups(listed) {
            let step = match services.force_delete_auto_scaling_group(&group).await {
                Ok(GroupDeletion::Deleting) => UninstallStep::GroupDeleted {
                    stack: stack.to_string(),
                    group,
                },
                Ok(GroupDeletion::AlreadyGone) => UninstallStep::GroupAlreadyGone {
                    stack: stack.to_string(),
                    group,
                },
                Err(error) => {
                    return Err(nothing_deleted(PrepStop::GroupNotDeleted {
                        group,
                        stack: stack.to_string(),
                        error,
                    }));
                }
            };
            ctx.reporter.uninstall_step(&plan.id(), &step);
        }
    }
    Ok(())
}

/// `disableAutoscalerRule`: best effort, reported either way.
async fn disable_autoscaler(
    ctx: &Context<'_>,
    plan: &RackPlan,
    rack_resources: &[crate::cloud::StackResource],
    services: &dyn RackServices,
) {
    let step = match physical_id(rack_resources, AUTOSCALER_RULE) {
        None => UninstallStep::NoAutoscalerRule,
        Some(rule) => match services.disable_rule(rule).await {
            Ok(()) => UninstallStep::AutoscalerRuleDisabled { rule: rule.into() },
            Err(error) => UninstallStep::AutoscalerRuleNotDisabled {
                rule: rule.into(),
                error: error.to_string(),
            },
        },
    };
    ctx.reporter.uninstall_step(&plan.id(), &step);
}

fn nothing_deleted(why: PrepStop) -> RackResult {
    failed(Failure::Uninstall(UninstallStop::NothingDeleted(why)), None)
}
