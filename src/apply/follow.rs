//! Following a stack: polled, backing off, until its operation ends (or, for a deletion, until it is gone);
//! each new event reported once as the rack's progress, a heartbeat when nothing happens, the first failed
//! resource kept as the root cause, a resource quiet in progress for too long named as stalled (`stall`);
//! stopped by the timeout or Ctrl-C.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

// tokio's clock, not the system's: the waits and the timeout follow a paused test clock.
use tokio::time::Instant;

use super::context::{Cancel, Context, TimeLimit, Timings};
use super::events;
use super::outcome::{Failure, RackResult, RootCause, StopReason, failed};
use super::reporter::{Progress, Reporter};
use super::stall::{StallWatch, expected_times};
use crate::cloud::{Cloud, CloudError, Stack, StackEvent, StackState, StackStatus};
use crate::config::RackId;
use crate::plan::RackPlan;

/// What following needs of the executor: where progress goes, how often to poll, when to stop.
#[derive(Clone)]
pub(super) struct Follower<'a> {
    pub reporter: &'a dyn Reporter,
    pub timings: &'a Timings,
    pub cancel: &'a Cancel,
    /// The change's own budget: its limit under `--timeout budget`.
    pub budget: Option<Duration>,
    /// Whether `--timeout` applies (not to a rollback rackfile started by cancelling).
    pub limited: bool,
    /// The Ctrl-C presses that stop following.
    pub stop_at_presses: u8,
    /// What the plan expects of each resource (logical id -> time), for naming stalls.
    pub expected: HashMap<String, Duration>,
}

impl<'a> Follower<'a> {
    pub(super) fn new(ctx: &'a Context<'_>) -> Self {
        Follower {
            reporter: ctx.reporter,
            timings: &ctx.timings,
            cancel: &ctx.cancel,
            budget: None,
            limited: true,
            stop_at_presses: 1,
            expected: HashMap::new(),
        }
    }

    /// Follows past `--timeout`: the rollback of an update rackfile cancelled, or an install CloudFormation
    /// times out itself; only a Ctrl-C more than those already pressed stops it.
    pub(super) fn past_timeout(ctx: &'a Context<'_>) -> Self {
        Follower {
            limited: false,
            stop_at_presses: ctx.cancel.borrow().saturating_add(1),
            ..Follower::new(ctx)
        }
    }

    /// Limited by this budget under `--timeout budget`.
    pub(super) fn within(self, budget: Option<Duration>) -> Self {
        Self { budget, ..self }
    }
}

impl Follower<'_> {
    /// Polls the rack's stack until it settles; see `follow_stack`.
    pub(super) async fn follow(
        &self,
        plan: &RackPlan,
        cloud: &dyn Cloud,
        seen: HashSet<String>,
        started: Instant,
    ) -> Followed {
        let follower = Follower {
            expected: expected_times(plan),
            ..self.clone()
        };
        match follower
            .follow_stack(&plan.id(), &plan.name, cloud, seen, started, None)
            .await
        {
            Watched::Settled { stack, root_cause } => Followed::Settled { stack, root_cause },
            Watched::Gone => Followed::Stopped(failed(Failure::StackGone, None)),
            Watched::Stopped(result) => Followed::Stopped(result),
        }
    }

    /// Polls a stack until it settles (or, when `deleting`, until it is gone), reporting each new event once
    /// as `rack`'s progress; stops on timeout or Ctrl-C.
    /// `deleting`: the StackId of a stack being deleted, which it is read by: AWS still answers for a deleted
    /// stack by its id (by name it is gone with its events), so the last deletions are shown too.
    pub(super) async fn follow_stack(
        &self,
        rack: &RackId,
        name: &str,
        cloud: &dyn Cloud,
        mut seen: HashSet<String>,
        started: Instant,
        deleting: Option<&str>,
    ) -> Watched {
        let read_as = deleting.unwrap_or(name);
        let mut stalls = StallWatch::new(self.expected.clone());
        // `--timeout D` counts from the start of the rack's work; `--timeout budget` from this change's.
        // A limit past the clock's range (a budget from an absurd instance count) is no limit at all.
        let deadline = match (self.limited, self.timings.timeout) {
            // A budget past what the clock can hold (a saturated one) is no limit.
            (true, Some(TimeLimit::After(limit))) => started.checked_add(limit),
            (true, Some(TimeLimit::Budget)) => self
                .budget
                .and_then(|budget| Instant::now().checked_add(budget)),
            (false, _) | (_, None) => None,
        };
        let stop_at_presses = self.stop_at_presses;
        let mut interval = self.timings.first_poll;
        let mut last_output = Instant::now();
        let mut done = 0;
        let mut root_cause: Option<RootCause> = None;
        // None until the first read says.
        let mut status: Option<StackStatus> = None;
        let mut consecutive_errors = 0;
        let mut cancel = self.cancel.clone();
        loop {
            // One call per poll: the stack's own events carry its status. DescribeStacks only when they say
            // the operation ended (for the final status, outputs and reason) or cannot be read (a stack gone
            // takes its events with it).
            let events = cloud.stack_events(read_as).await;
            let latest = match &events {
                Ok(events) => events
                    .iter()
                    .find(|event| events::is_stack_event(event, name))
                    .map(|event| StackStatus::parse(&event.status)),
                Err(_) => None,
            };
            let ended = match (&events, &latest) {
                (Err(_), _) => true,
                (Ok(_), Some(latest)) => !latest.is_moving(),
                (Ok(_), None) => false,
            };
            let stack = if ended {
                Some(cloud.describe_stack(read_as).await)
            } else {
                None
            };
            // Once a stack is gone its events cannot be read either: that is the end, not an error.
            let gone = match &stack {
                Some(Ok(None)) => true,
                Some(Ok(Some(stack))) => deleting.is_some() && stack.state() == StackState::Deleted,
                _ => false,
            };
            match (&events, &stack) {
                (Err(error), Some(Err(_)) | None) => {
                    consecutive_errors += 1;
                    // The SDK already retried each call; several rounds in a row mean AWS is not answering.
                    if consecutive_errors >= 5 {
                        return Watched::Stopped(failed(
                            Failure::LostTrack {
                                error: error.clone(),
                            },
                            status,
                        ));
                    }
                }
                _ => consecutive_errors = 0,
            }
            if latest.is_some() {
                status = latest;
            }
            if let Ok(events) = events {
                for event in new_events(&events, &mut seen) {
                    stalls.saw(&event, name, Instant::now());
                    self.reporter.stack_event(rack, &event);
                    if events::completes_resource(&event, name) {
                        done += 1;
                    }
                    if root_cause.is_none()
                        && event.status.ends_with("_FAILED")
                        && !events::is_stack_event(&event, name)
                    {
                        root_cause = Some(RootCause::Resource {
                            logical_id: event.logical_id.clone(),
                            resource_type: event.resource_type.clone(),
                            reason: event.reason.clone(),
                        });
                    }
                    if events::shown(&event, name) {
                        self.reporter.progress(
                            rack,
                            &Progress::Event {
                                event: &event,
                                stack: name,
                            },
                            done,
                        );
                        last_output = Instant::now();
                    }
                }
            }
            // A deletion read by StackId ends with its last events read: they were shown just above.
            if gone {
                return Watched::Gone;
            }
            for stall in stalls.stalls(Instant::now()) {
                self.reporter.stalled(rack, &stall);
                last_output = Instant::now();
            }
            match stack {
                Some(Ok(Some(stack))) if !stack.status.is_moving() => {
                    if root_cause.is_none() && stack.status.is_failure() {
                        root_cause = stack
                            .status_reason
                            .clone()
                            .map(|reason| RootCause::Stack { reason });
                    }
                    return Watched::Settled {
                        stack: Box::new(stack),
                        root_cause,
                    };
                }
                Some(Ok(Some(stack))) => status = Some(stack.status),
                _ => {}
            }
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                return Watched::Stopped(RackResult::StillInProgress {
                    status,
                    why: StopReason::Timeout,
                });
            }
            if last_output.elapsed() >= self.timings.heartbeat {
                let said = status.as_ref().map_or("unknown", StackStatus::as_str);
                self.reporter.heartbeat(rack, said, started.elapsed());
                last_output = Instant::now();
            }
            let sleep = match deadline {
                Some(deadline) => interval.min(deadline.saturating_duration_since(Instant::now())),
                None => interval,
            };
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = cancel.wait_for(|presses| *presses >= stop_at_presses) => {
                    return Watched::Stopped(RackResult::StillInProgress { status, why: StopReason::Interrupted });
                }
            }
            interval = (interval * 3 / 2).min(self.timings.max_poll);
        }
    }
}

/// The ids of the events `stack` has had so far: history, not progress, for a follow that starts now.
pub(super) async fn events_so_far(
    cloud: &dyn Cloud,
    stack: &str,
) -> Result<HashSet<String>, CloudError> {
    Ok(cloud
        .stack_events(stack)
        .await?
        .into_iter()
        .map(|event| event.event_id)
        .collect())
}

/// How following the rack's own stack through a create or update ended.
pub(super) enum Followed {
    Settled {
        // Boxed: a Stack is far larger than the other variant.
        stack: Box<Stack>,
        root_cause: Option<RootCause>,
    },
    Stopped(RackResult),
}

/// How following any stack ended: settled, gone (the end of a deletion), or stopped.
pub(super) enum Watched {
    Settled {
        stack: Box<Stack>,
        root_cause: Option<RootCause>,
    },
    Gone,
    Stopped(RackResult),
}

/// Events not seen before, oldest first (CloudFormation lists newest first).
fn new_events(events: &[StackEvent], seen: &mut HashSet<String>) -> Vec<StackEvent> {
    let mut fresh: Vec<StackEvent> = events
        .iter()
        .filter(|event| !seen.contains(&event.event_id))
        .cloned()
        .collect();
    fresh.reverse();
    for event in &fresh {
        seen.insert(event.event_id.clone());
    }
    fresh
}
