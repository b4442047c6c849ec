//! Stalls: a resource that has been `*_IN_PROGRESS` with no new event of its own for twice the time the plan
//! expects of it (its rolling replacement's budget), and never less than 15 minutes, is named once; a new
//! event of that resource ends the stall, and only a new quiet spell reports it again. Read from the events
//! following already reads: no call of its own.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

// tokio's clock, not the system's: a three-hour stall on a paused test clock takes no time.
use tokio::time::Instant;

use super::events;
use crate::cloud::StackEvent;
use crate::plan::RackPlan;
use crate::template::Budget;

/// How long a resource the plan expects nothing of may stay quiet in progress; the floor for every other.
pub const QUIET_LIMIT: Duration = Duration::from_secs(15 * 60);

/// A resource in progress with no event for `quiet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stall {
    pub logical_id: String,
    pub resource_type: String,
    pub quiet: Duration,
}

/// The resources of one stack in progress, and which have been reported as stalled.
pub(super) struct StallWatch {
    /// logical id -> the time the plan expects it to take.
    expected: HashMap<String, Duration>,
    in_progress: BTreeMap<String, InProgress>,
}

struct InProgress {
    resource_type: String,
    /// When its latest event was read.
    since: Instant,
    reported: bool,
}

impl StallWatch {
    pub(super) fn new(expected: HashMap<String, Duration>) -> Self {
        Self {
            expected,
            in_progress: BTreeMap::new(),
        }
    }
}

/// What a rack's change is expected to take of each AutoScalingGroup it rolls, as its budget says (the longest
/// of an upgrade's steps).
pub(super) fn expected_times(plan: &RackPlan) -> HashMap<String, Duration> {
    let mut expected: HashMap<String, Duration> = HashMap::new();
    for update in plan.action.updates() {
        if let Some(Budget::Computed { rolling, .. }) = &update.budget {
            for group in rolling {
                let time = Duration::from_secs(group.seconds);
                let entry = expected.entry(group.logical_id.clone()).or_default();
                *entry = (*entry).max(time);
            }
        }
    }
    expected
}

impl StallWatch {
    /// An event of stack `stack_name`, read at `now`.
    pub(super) fn saw(&mut self, event: &StackEvent, stack_name: &str, now: Instant) {
        if events::is_stack_event(event, stack_name) {
            return;
        }
        if event.status.ends_with("_IN_PROGRESS") {
            self.in_progress.insert(
                event.logical_id.clone(),
                InProgress {
                    resource_type: event.resource_type.clone(),
                    since: now,
                    reported: false,
                },
            );
        } else {
            self.in_progress.remove(&event.logical_id);
        }
    }

    /// The resources that became stalled by `now`, each once per quiet spell.
    pub(super) fn stalls(&mut self, now: Instant) -> Vec<Stall> {
        let mut found = Vec::new();
        for (logical_id, resource) in &mut self.in_progress {
            let limit = self
                .expected
                .get(logical_id)
                .map_or(QUIET_LIMIT, |expected| {
                    expected.saturating_mul(2).max(QUIET_LIMIT)
                });
            let quiet = now.saturating_duration_since(resource.since);
            if !resource.reported && quiet >= limit {
                resource.reported = true;
                found.push(Stall {
                    logical_id: logical_id.clone(),
                    resource_type: resource.resource_type.clone(),
                    quiet,
                });
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(logical_id: &str, status: &str) -> StackEvent {
        StackEvent {
            event_id: format!("{logical_id}-{status}"),
            logical_id: logical_id.into(),
            physical_id: None,
            resource_type: "AWS::ECS::Service".into(),
            status: status.into(),
            reason: None,
            timestamp: String::new(),
            token: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_resource_is_reported_once_and_again_only_after_a_new_event() {
        let mut watch = StallWatch::new(HashMap::new());
        watch.saw(
            &event("Service", "UPDATE_IN_PROGRESS"),
            "web",
            Instant::now(),
        );
        tokio::time::advance(QUIET_LIMIT - Duration::from_secs(1)).await;
        assert_eq!(watch.stalls(Instant::now()), []);
        tokio::time::advance(Duration::from_secs(1)).await;
        let stalls = watch.stalls(Instant::now());
        assert_eq!(stalls.len(), 1);
        assert_eq!(stalls[0].quiet, QUIET_LIMIT);
        tokio::time::advance(Duration::from_secs(3 * 3600)).await;
        assert_eq!(watch.stalls(Instant::now()), [], "reported once");
        watch.saw(
            &event("Service", "UPDATE_IN_PROGRESS"),
            "web",
            Instant::now(),
        );
        assert_eq!(watch.stalls(Instant::now()), []);
        tokio::time::advance(QUIET_LIMIT).await;
        assert_eq!(watch.stalls(Instant::now()).len(), 1, "a new quiet spell");
        watch.saw(&event("Service", "UPDATE_COMPLETE"), "web", Instant::now());
        tokio::time::advance(QUIET_LIMIT * 10).await;
        assert_eq!(watch.stalls(Instant::now()), [], "complete is not stalled");
    }

    #[tokio::test(start_paused = true)]
    async fn a_rolling_group_is_stalled_after_twice_its_budget_and_the_stack_itself_never() {
        let expected = HashMap::from([("Instances".to_string(), Duration::from_secs(50 * 60))]);
        let mut watch = StallWatch::new(expected);
        let stack = StackEvent {
            resource_type: "AWS::CloudFormation::Stack".into(),
            ..event("web", "UPDATE_IN_PROGRESS")
        };
        watch.saw(&stack, "web", Instant::now());
        watch.saw(
            &event("Instances", "UPDATE_IN_PROGRESS"),
            "web",
            Instant::now(),
        );
        tokio::time::advance(Duration::from_secs(99 * 60)).await;
        assert_eq!(watch.stalls(Instant::now()), []);
        tokio::time::advance(Duration::from_secs(60)).await;
        let stalls = watch.stalls(Instant::now());
        assert_eq!(
            stalls
                .iter()
                .map(|stall| stall.logical_id.as_str())
                .collect::<Vec<_>>(),
            ["Instances"]
        );
    }
}
