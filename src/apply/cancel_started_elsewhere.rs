//! `rackfile cancel`: CancelUpdateStack of an update rackfile is not following (started by `convox`, the
//! autoscaler, or an apply that detached), then, when asked, its rollback followed as apply follows its own
//! (`follow`), with the same progress lines and the same end: UPDATE_ROLLBACK_COMPLETE is a cancel, an
//! UPDATE_ROLLBACK_FAILED is for `--recover`.

use std::collections::HashSet;
use std::time::Duration;

// tokio's clock, not the system's: the rollback follows a paused test clock.
use tokio::time::Instant;

use super::context::Context;
use super::follow::{Follower, Watched, events_so_far};
use super::outcome::{CancelStop, Failure, RackOutcome, RackResult, failed};
use super::reporter::Work;
use super::request_token::request_token;
use crate::cloud::{Cloud, CloudErrorKind, StackStatus};
use crate::config::Rack;

/// How long the update of `stack` has run (since its LastUpdatedTime), by the clock AWS's times are
/// compared with; zero when that time cannot be read.
pub fn running_for(
    connector: &dyn crate::cloud::Connector,
    stack: &crate::cloud::Stack,
) -> Duration {
    crate::cloud::parse_time(&stack.last_updated)
        .and_then(|since| connector.now().duration_since(since).ok())
        .unwrap_or_default()
}

/// A cancel CloudFormation accepted: what following its rollback needs.
pub struct CancelSent {
    /// The events before the cancel, so that following reports only the rollback's.
    seen: HashSet<String>,
    /// How long the update had run when it was cancelled.
    pub after: Duration,
}

/// Sends CancelUpdateStack for `rack`, whose update has run for `after`. AWS refuses it (a validation
/// error) unless the stack is UPDATE_IN_PROGRESS, e.g. when the update ended since it was read: that is
/// reported with the status the stack has now.
pub async fn send_cancel(
    ctx: &Context<'_>,
    rack: &Rack,
    after: Duration,
) -> Result<CancelSent, RackResult> {
    let cloud = rack_cloud(ctx, rack).await?;
    let seen = match events_so_far(cloud.as_ref(), &rack.name).await {
        Ok(seen) => seen,
        Err(error) => {
            return Err(failed(
                Failure::CancelElsewhere(CancelStop::EventsUnreadable { error }),
                None,
            ));
        }
    };
    if let Err(error) = cloud
        .cancel_update_stack(&rack.name, &request_token())
        .await
    {
        let status = match cloud.describe_stack(&rack.name).await {
            Ok(Some(stack)) => Some(stack.status),
            _ => None,
        };
        let stop = if error.kind == CloudErrorKind::Validation {
            CancelStop::Refused { error }
        } else {
            CancelStop::NotSent { error }
        };
        return Err(failed(Failure::CancelElsewhere(stop), status));
    }
    Ok(CancelSent { seen, after })
}

/// Follows the rollback of a cancelled update to its end, as apply follows its own; only Ctrl-C stops
/// following (the rollback goes on in AWS).
pub async fn follow_cancelled(ctx: &Context<'_>, rack: &Rack, sent: CancelSent) -> RackOutcome {
    let started = Instant::now();
    let id = rack_id(rack);
    ctx.reporter.start(&id, &Work::FollowingCancel, 0);
    let result = match rack_cloud(ctx, rack).await {
        Err(result) => result,
        Ok(cloud) => match Follower::past_timeout(ctx)
            .follow_stack(&id, &rack.name, cloud.as_ref(), sent.seen, started, None)
            .await
        {
            Watched::Settled { stack, .. }
                if stack.status == StackStatus::UpdateRollbackComplete =>
            {
                RackResult::Cancelled {
                    after: sent.after,
                    rolled_back_in: started.elapsed(),
                }
            }
            Watched::Settled { stack, root_cause } => RackResult::Failed {
                failure: Box::new(Failure::CancelElsewhere(CancelStop::RollbackNotCompleted)),
                status: Some(stack.status),
                root_cause,
            },
            Watched::Gone => failed(Failure::StackGone, None),
            Watched::Stopped(result) => result,
        },
    };
    let outcome = RackOutcome {
        rack: rack.id(),
        result,
        elapsed: started.elapsed(),
        password: None,
        warnings: Vec::new(),
    };
    ctx.reporter.finish(&id, &outcome);
    outcome
}

async fn rack_cloud(
    ctx: &Context<'_>,
    rack: &Rack,
) -> Result<std::sync::Arc<dyn Cloud>, RackResult> {
    ctx.connector
        .cloud(&ctx.orgs[&rack.org], &rack.region)
        .await
        .map_err(|error| failed(Failure::Unreachable { error }, None))
}

fn rack_id(rack: &Rack) -> crate::config::RackId {
    crate::config::RackId {
        org: rack.org.clone(),
        name: rack.name.clone(),
    }
}
