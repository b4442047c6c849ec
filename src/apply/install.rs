//! Installing a rack: its password found or made, CreateStack as planned, followed to a final status.

use std::collections::HashSet;

// tokio's clock, not the system's: the install follows a paused test clock.
use tokio::time::Instant;

use super::context::{Context, OnTimeout, TimeLimit};
use super::follow::{Followed, Follower};
use super::outcome::{AfterCreate, Failure, RackResult, failed};
use super::password;
use super::reporter::Work;
use super::request_token::{caused_by, request_token};
use crate::cloud::{Cloud, CloudErrorKind, CreateStackRequest};
use crate::convox::names;
use crate::plan::{Install, RackPlan};

/// CreateStack as planned, with the password read or made first (and where it is noted before the
/// create, so the summary shows it whatever happens next), followed to a final status.
pub(super) async fn run(
    ctx: &Context<'_>,
    plan: &RackPlan,
    install: &Install,
    cloud: &dyn Cloud,
    started: Instant,
) -> RackResult {
    let mut parameters = install.parameters.clone();
    if let Some(source) = &install.password {
        match password::for_install(
            source,
            ctx.connector,
            &ctx.orgs[&plan.org],
            &plan.region,
            ctx.env,
        )
        .await
        {
            Ok((password, shown)) => {
                parameters.insert(names::PASSWORD.into(), password.expose().to_string());
                if let Some(shown) = shown {
                    ctx.started_passwords
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .insert(plan.rack.clone(), shown);
                }
            }
            Err(error) => return failed(Failure::Password(error), None),
        }
    }
    let request = CreateStackRequest {
        name: plan.name.clone(),
        template: install.template.source(),
        parameters,
        tags: install.tags.clone(),
        termination_protection: install.termination_protection,
        timeout_minutes: install_timeout_minutes(ctx, install),
        role_arn: plan.role_arn.clone(),
        options: plan.options.request(),
        token: request_token(),
    };
    ctx.reporter
        .start(&plan.id(), &Work::Installing, install.resource_count);
    let created = match cloud.create_stack(&request).await {
        // A write whose answer was lost is retried by the SDK; if the retry meets the stack our own
        // first attempt created, the install is under way.
        Err(error)
            if error.kind == CloudErrorKind::AlreadyExists
                && caused_by(cloud, &plan.name, &request.token).await =>
        {
            Ok(())
        }
        other => other,
    };
    if let Err(error) = created {
        // A create can fail after CloudFormation made the stack; say so rather than leave it unmentioned.
        return match cloud.describe_stack(&plan.name).await {
            Ok(None) => failed(
                Failure::CreateNotSent {
                    error,
                    stack: AfterCreate::Absent,
                },
                None,
            ),
            Ok(Some(stack)) => failed(
                Failure::CreateNotSent {
                    error,
                    stack: AfterCreate::Exists,
                },
                Some(stack.status),
            ),
            Err(_) => failed(
                Failure::CreateNotSent {
                    error,
                    stack: AfterCreate::Unknown,
                },
                None,
            ),
        };
    }
    // Under `--on-timeout cancel` CloudFormation ends an install that outlasts its TimeoutInMinutes and
    // rolls it back: it is followed to that end rather than left at rackfile's own limit.
    let follower = match (request.timeout_minutes, ctx.timings.on_timeout) {
        (Some(_), OnTimeout::Cancel) => Follower::past_timeout(ctx),
        _ => Follower::new(ctx),
    };
    match follower.follow(plan, cloud, HashSet::new(), started).await {
        Followed::Settled { stack, root_cause } if stack.status.is_failure() => {
            RackResult::Failed {
                failure: Box::new(Failure::InstallFailed),
                status: Some(stack.status),
                root_cause,
            }
        }
        Followed::Settled { stack, .. } => RackResult::Installed {
            dashboard: stack.outputs.get("Dashboard").cloned(),
        },
        Followed::Stopped(result) => result,
    }
}

/// CreateStack's TimeoutInMinutes under `--timeout`: CloudFormation then fails and rolls back the install
/// itself (an install is never cancelled). Whole minutes, rounded up, as CloudFormation takes them.
fn install_timeout_minutes(ctx: &Context<'_>, install: &Install) -> Option<u32> {
    let seconds = match ctx.timings.timeout? {
        TimeLimit::After(limit) => limit.as_secs(),
        TimeLimit::Budget => install.budget.as_ref()?.seconds()?,
    };
    u32::try_from(seconds.div_ceil(60).max(1)).ok()
}
