//! Cancelling an update: at `--timeout` with `--on-timeout cancel`, or on a second Ctrl-C, an update
//! rackfile started and is following gets CancelUpdateStack (with its own ClientRequestToken), and its
//! rollback is followed to UPDATE_ROLLBACK_COMPLETE and reported. An install is never cancelled: it is
//! created with TimeoutInMinutes, so CloudFormation rolls it back itself.

use std::collections::HashSet;
use std::time::Duration;

// tokio's clock, not the system's: the cancel and its rollback follow a paused test clock.
use tokio::time::Instant;

use super::drive::Executor;
use super::follow::Followed;
use super::outcome::{RackResult, StopReason, failed};
use super::request_token::request_token;
use crate::cloud::{Cloud, CloudErrorKind, Stack, StackStatus};
use crate::plan::RackPlan;

/// `--timeout`: how long a rack may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeLimit {
    /// From the start of the rack's work.
    After(Duration),
    /// Each change's own budget from the plan, from when it is sent; a change without one has no limit.
    Budget,
}

/// `--on-timeout`: what becomes of a rack still changing at its timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnTimeout {
    /// Stop following; the change goes on in AWS.
    #[default]
    Detach,
    /// CancelUpdateStack for an update rackfile started, and follow its rollback.
    Cancel,
}

/// How long after the first Ctrl-C a second one still cancels the updates in progress.
pub const SECOND_INTERRUPT_WINDOW: Duration = Duration::from_secs(10);

impl Executor<'_> {
    /// What to do with an update whose following stopped: cancel it (the timeout under `--on-timeout
    /// cancel`, or a second Ctrl-C within `SECOND_INTERRUPT_WINDOW` of the first), or leave it running.
    pub(super) async fn cancel_if_asked(
        &self,
        plan: &RackPlan,
        cloud: &dyn Cloud,
        sent: Instant,
        stopped: RackResult,
    ) -> Result<Option<Stack>, RackResult> {
        let cancel = match &stopped {
            RackResult::StillInProgress {
                why: StopReason::Timeout,
                ..
            } => self.timings.on_timeout == OnTimeout::Cancel,
            RackResult::StillInProgress {
                why: StopReason::Interrupted,
                ..
            } => self.second_interrupt().await,
            _ => false,
        };
        if cancel {
            self.cancel_update(plan, cloud, sent).await
        } else {
            Err(stopped)
        }
    }

    /// Whether a second Ctrl-C comes within the window after the first.
    async fn second_interrupt(&self) -> bool {
        let mut interrupts = self.cancel.clone();
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
        &self,
        plan: &RackPlan,
        cloud: &dyn Cloud,
        sent: Instant,
    ) -> Result<Option<Stack>, RackResult> {
        let after = sent.elapsed();
        let seen: HashSet<String> = match cloud.stack_events(&plan.name).await {
            Ok(events) => events.into_iter().map(|event| event.event_id).collect(),
            Err(_) => HashSet::new(),
        };
        let token = request_token();
        let rack = plan.id();
        if let Err(error) = cloud.cancel_update_stack(&plan.name, &token).await {
            if error.kind != CloudErrorKind::Validation {
                return Err(failed(
                    format!(
                        "CancelUpdateStack failed ({error}); the update goes on in AWS: `rackfile status` shows it"
                    ),
                    None,
                ));
            }
            self.reporter.progress(
                &rack,
                &format!("CancelUpdateStack refused ({error}): the update ended before it could be cancelled"),
                0,
            );
            return match self
                .follower_past_timeout()
                .follow(plan, cloud, seen, sent)
                .await
            {
                Followed::Settled { stack, root_cause } if stack.status.is_failure() => {
                    Err(RackResult::Failed {
                        message: "the update failed and was rolled back".into(),
                        status: Some(stack.status),
                        root_cause,
                    })
                }
                Followed::Settled { stack, .. } => Ok(Some(*stack)),
                Followed::Stopped(result) => Err(result),
            };
        }
        self.reporter.progress(
            &rack,
            &format!(
                "cancelling after {} (CancelUpdateStack): following the rollback",
                crate::render::span(after.as_secs())
            ),
            0,
        );
        let rollback_started = Instant::now();
        match self
            .follower_past_timeout()
            .follow(plan, cloud, seen, sent)
            .await
        {
            Followed::Settled { stack, .. }
                if stack.status == StackStatus::UpdateRollbackComplete =>
            {
                Err(RackResult::Cancelled {
                    after,
                    rolled_back_in: rollback_started.elapsed(),
                })
            }
            Followed::Settled { stack, root_cause } => Err(RackResult::Failed {
                message: format!(
                    "cancelled after {}; the rollback did not complete: `rackfile plan --recover` continues it",
                    crate::render::span(after.as_secs())
                ),
                status: Some(stack.status),
                root_cause,
            }),
            Followed::Stopped(result) => Err(result),
        }
    }
}
