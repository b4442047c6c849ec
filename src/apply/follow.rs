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
use super::outcome::{RackResult, StopReason, failed};
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
            .follow_stack(&plan.id(), &plan.name, cloud, seen, started, false)
            .await
        {
            Watched::Settled { stack, root_cause } => Followed::Settled { stack, root_cause },
            Watched::Gone => Followed::Stopped(failed(
                "the stack disappeared while being followed".into(),
                None,
            )),
            Watched::Stopped(result) => Followed::Stopped(result),
        }
    }

    /// Polls a stack until it settles (or, when `deleting`, until it is gone), reporting each new event once
    /// as `rack`'s progress; stops on timeout or Ctrl-C.
    pub(super) async fn follow_stack(
        &self,
        rack: &RackId,
        name: &str,
        cloud: &dyn Cloud,
        mut seen: HashSet<String>,
        started: Instant,
        deleting: bool,
    ) -> Watched {
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
        let mut root_cause: Option<String> = None;
        // None until the first read says.
        let mut status: Option<StackStatus> = None;
        let mut consecutive_errors = 0;
        let mut cancel = self.cancel.clone();
        loop {
            // One call per poll: the stack's own events carry its status. DescribeStacks only when they say
            // the operation ended (for the final status, outputs and reason) or cannot be read (a stack gone
            // takes its events with it).
            let events = cloud.stack_events(name).await;
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
                Some(cloud.describe_stack(name).await)
            } else {
                None
            };
            // Once a stack is gone its events cannot be read either: that is the end, not an error.
            let gone = match &stack {
                Some(Ok(None)) => true,
                Some(Ok(Some(stack))) => deleting && stack.state() == StackState::Deleted,
                _ => false,
            };
            if gone {
                return Watched::Gone;
            }
            match (&events, &stack) {
                (Err(error), Some(Err(_)) | None) => {
                    consecutive_errors += 1;
                    // The SDK already retried each call; several rounds in a row mean AWS is not answering.
                    if consecutive_errors >= 5 {
                        return Watched::Stopped(failed(
                            format!(
                                "lost track of the stack ({error}); it may still be changing in AWS"
                            ),
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
                        root_cause = Some(format!(
                            "{} ({}): {}",
                            event.logical_id,
                            event.resource_type,
                            event.reason.as_deref().unwrap_or("no reason given")
                        ));
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
            for stall in stalls.stalls(Instant::now()) {
                self.reporter.stalled(rack, &stall);
                last_output = Instant::now();
            }
            match stack {
                Some(Ok(Some(stack))) if !stack.status.is_moving() => {
                    if root_cause.is_none() && stack.status.is_failure() {
                        root_cause = stack.status_reason.clone();
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
        root_cause: Option<String>,
    },
    Stopped(RackResult),
}

/// How following any stack ended: settled, gone (the end of a deletion), or stopped.
pub(super) enum Watched {
    Settled {
        stack: Box<Stack>,
        root_cause: Option<String>,
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::time::Duration;

    use async_trait::async_trait;
    use tokio::sync::watch;

    use super::*;
    use crate::apply::outcome::RackOutcome;
    use crate::apply::stall::Stall;
    use crate::cloud::fake::{FakeAws, FakeCloud, FakeTemplate};
    use crate::cloud::{
        CloudError, CreateStackRequest, TemplateSource, TemplateSummary, UpdateOutcome,
        UpdateStackRequest,
    };

    const ACCOUNT: &str = "123456789012";
    const REGION: &str = "us-east-1";
    const STACK: &str = "web";
    const RESOURCES: [(&str, &str); 3] = [
        ("Vpc", "AWS::EC2::VPC"),
        ("Cluster", "AWS::ECS::Cluster"),
        ("Balancer", "AWS::ElasticLoadBalancing::LoadBalancer"),
    ];

    /// Every line the follower reported, with the resources done at the time.
    #[derive(Default)]
    struct Recorded {
        progress: Mutex<Vec<(String, usize)>>,
        heartbeats: Mutex<Vec<String>>,
        stalls: Mutex<Vec<Stall>>,
    }

    impl Reporter for Recorded {
        fn start(&self, _: &RackId, _: &crate::apply::reporter::Work<'_>, _: usize) {}

        fn progress(&self, _: &RackId, progress: &Progress<'_>, done: usize) {
            self.progress
                .lock()
                .unwrap()
                .push((crate::render::apply::progress_words(progress), done));
        }

        fn heartbeat(&self, _: &RackId, status: &str, _: Duration) {
            self.heartbeats.lock().unwrap().push(status.to_string());
        }

        fn stalled(&self, _: &RackId, stall: &Stall) {
            self.stalls.lock().unwrap().push(stall.clone());
        }

        fn finish(&self, _: &RackId, _: &RackOutcome) {}
    }

    /// The fake, with the time of each DescribeStackEvents call written down.
    struct Timed {
        cloud: FakeCloud,
        event_reads: Mutex<Vec<Instant>>,
    }

    #[async_trait]
    impl Cloud for Timed {
        async fn describe_stacks(&self) -> Result<Vec<Stack>, CloudError> {
            self.cloud.describe_stacks().await
        }
        async fn describe_stack(&self, name: &str) -> Result<Option<Stack>, CloudError> {
            self.cloud.describe_stack(name).await
        }
        async fn template_summary(
            &self,
            template: &TemplateSource,
        ) -> Result<TemplateSummary, CloudError> {
            self.cloud.template_summary(template).await
        }
        async fn stack_template_summary(&self, name: &str) -> Result<TemplateSummary, CloudError> {
            self.cloud.stack_template_summary(name).await
        }
        async fn stack_template(&self, name: &str) -> Result<String, CloudError> {
            self.cloud.stack_template(name).await
        }
        async fn create_stack(&self, request: &CreateStackRequest) -> Result<(), CloudError> {
            self.cloud.create_stack(request).await
        }
        async fn update_stack(
            &self,
            request: &UpdateStackRequest,
        ) -> Result<UpdateOutcome, CloudError> {
            self.cloud.update_stack(request).await
        }
        async fn create_change_set(
            &self,
            update: &UpdateStackRequest,
            name: &str,
        ) -> Result<String, CloudError> {
            self.cloud.create_change_set(update, name).await
        }
        async fn describe_change_set(
            &self,
            change_set: &crate::cloud::ChangeSetRef,
        ) -> Result<crate::cloud::ChangeSet, CloudError> {
            self.cloud.describe_change_set(change_set).await
        }
        async fn execute_change_set(
            &self,
            change_set: &crate::cloud::ChangeSetRef,
            token: &str,
        ) -> Result<(), CloudError> {
            self.cloud.execute_change_set(change_set, token).await
        }
        async fn delete_change_set(
            &self,
            change_set: &crate::cloud::ChangeSetRef,
        ) -> Result<(), CloudError> {
            self.cloud.delete_change_set(change_set).await
        }
        async fn stack_events(&self, name: &str) -> Result<Vec<StackEvent>, CloudError> {
            self.event_reads.lock().unwrap().push(Instant::now());
            self.cloud.stack_events(name).await
        }
        async fn delete_stack(
            &self,
            name: &str,
            role_arn: Option<&str>,
            token: &str,
        ) -> Result<(), CloudError> {
            self.cloud.delete_stack(name, role_arn, token).await
        }
        async fn continue_update_rollback(
            &self,
            name: &str,
            role_arn: Option<&str>,
            token: &str,
            skip: &[String],
        ) -> Result<(), CloudError> {
            self.cloud
                .continue_update_rollback(name, role_arn, token, skip)
                .await
        }
        async fn stack_policy(&self, name: &str) -> Result<Option<String>, CloudError> {
            self.cloud.stack_policy(name).await
        }
        async fn set_stack_policy(&self, name: &str, body: &str) -> Result<(), CloudError> {
            self.cloud.set_stack_policy(name, body).await
        }
        async fn cancel_update_stack(&self, name: &str, token: &str) -> Result<(), CloudError> {
            self.cloud.cancel_update_stack(name, token).await
        }
        async fn set_termination_protection(
            &self,
            name: &str,
            enabled: bool,
        ) -> Result<(), CloudError> {
            self.cloud.set_termination_protection(name, enabled).await
        }
        async fn list_imports(&self, export: &str) -> Result<Vec<String>, CloudError> {
            self.cloud.list_imports(export).await
        }
        async fn stack_resources(
            &self,
            name: &str,
        ) -> Result<Vec<crate::cloud::StackResource>, CloudError> {
            self.cloud.stack_resources(name).await
        }
        async fn availability_zones(&self) -> Result<Vec<String>, CloudError> {
            self.cloud.availability_zones().await
        }
        async fn instance_type_zones(
            &self,
            instance_type: &str,
        ) -> Result<Vec<String>, CloudError> {
            self.cloud.instance_type_zones(instance_type).await
        }
        async fn instance_type_vcpus(
            &self,
            instance_type: &str,
        ) -> Result<Option<u32>, CloudError> {
            self.cloud.instance_type_vcpus(instance_type).await
        }
        async fn ec2_quota(&self, code: &str) -> Result<f64, CloudError> {
            self.cloud.ec2_quota(code).await
        }
    }

    fn timings() -> Timings {
        Timings {
            first_poll: Duration::from_secs(2),
            max_poll: Duration::from_secs(10),
            heartbeat: Duration::from_secs(3600),
            timeout: None,
            on_timeout: crate::apply::OnTimeout::Detach,
        }
    }

    fn rack() -> RackId {
        RackId {
            org: "acme".into(),
            name: STACK.into(),
        }
    }

    /// A fake whose resources take `resource_time` each, with the rack's CreateStack just sent.
    async fn creating(resource_time: Duration, failing: Option<&str>) -> (FakeAws, FakeCloud) {
        let aws = FakeAws::new(resource_time);
        let source = TemplateSource::Url("https://example.com/rack.json".into());
        aws.add_template(source.clone(), FakeTemplate::rack(&RESOURCES));
        if let Some(logical_id) = failing {
            aws.fail_resource(STACK, logical_id);
        }
        let cloud = aws.cloud_for(ACCOUNT, REGION);
        cloud
            .create_stack(&CreateStackRequest {
                name: STACK.into(),
                template: source,
                parameters: BTreeMap::from([
                    ("Version".to_string(), "1".to_string()),
                    ("Password".to_string(), "p".to_string()),
                ]),
                tags: BTreeMap::new(),
                termination_protection: false,
                timeout_minutes: None,
                role_arn: None,
                options: Default::default(),
                token: "create".into(),
            })
            .await
            .unwrap();
        (aws, cloud)
    }

    async fn follow(cloud: &dyn Cloud, reporter: &Recorded, timings: &Timings) -> Watched {
        let (_keep_open, cancel) = watch::channel(0);
        let follower = Follower {
            reporter,
            timings,
            cancel: &cancel,
            budget: None,
            limited: true,
            stop_at_presses: 1,
            expected: HashMap::new(),
        };
        follower
            .follow_stack(&rack(), STACK, cloud, HashSet::new(), Instant::now(), false)
            .await
    }

    /// The lines the stack's whole history is worth, oldest first.
    async fn history_lines(cloud: &dyn Cloud) -> Vec<String> {
        let mut events = cloud.stack_events(STACK).await.unwrap();
        events.reverse();
        events
            .iter()
            .filter(|event| events::shown(event, STACK))
            .map(|event| {
                crate::render::apply::progress_words(&Progress::Event {
                    event,
                    stack: STACK,
                })
            })
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_stack_in_progress_is_followed_to_complete_with_each_event_reported_once() {
        let (_aws, cloud) = creating(Duration::from_secs(5), None).await;
        let reporter = Recorded::default();

        let Watched::Settled { stack, root_cause } = follow(&cloud, &reporter, &timings()).await
        else {
            panic!("the stack should settle");
        };

        assert_eq!(stack.status, "CREATE_COMPLETE");
        assert_eq!(root_cause, None);
        let reported: Vec<(String, usize)> = reporter.progress.lock().unwrap().clone();
        let lines: Vec<String> = reported.iter().map(|(line, _)| line.clone()).collect();
        assert_eq!(lines, history_lines(&cloud).await);
        for (id, _) in RESOURCES {
            let created = lines
                .iter()
                .filter(|line| line.contains(&id.to_lowercase()));
            assert_eq!(created.count(), 1, "{id} once in {lines:#?}");
        }
        assert_eq!(lines.last().map(String::as_str), Some("CREATE_COMPLETE"));
        assert_eq!(
            reported.last().map(|(_, done)| *done),
            Some(RESOURCES.len())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_names_the_first_failed_resource_as_the_root_cause() {
        let (_aws, cloud) = creating(Duration::from_secs(5), Some("Cluster")).await;
        let reporter = Recorded::default();

        let Watched::Settled { stack, root_cause } = follow(&cloud, &reporter, &timings()).await
        else {
            panic!("the stack should settle");
        };

        assert_eq!(stack.status, "ROLLBACK_COMPLETE");
        let root_cause = root_cause.expect("a root cause");
        assert!(
            root_cause.starts_with("Cluster (AWS::ECS::Cluster): ")
                && root_cause.contains("the fake was told to fail it"),
            "{root_cause}"
        );
        let lines: Vec<String> = reporter
            .progress
            .lock()
            .unwrap()
            .iter()
            .map(|(line, _)| line.clone())
            .collect();
        assert_eq!(lines, history_lines(&cloud).await);
    }

    #[tokio::test(start_paused = true)]
    async fn polling_backs_off_from_the_first_interval_to_the_longest() {
        let (_aws, cloud) = creating(Duration::from_secs(20), None).await;
        let timed = Timed {
            cloud,
            event_reads: Mutex::new(Vec::new()),
        };
        let timings = timings();

        let watched = follow(&timed, &Recorded::default(), &timings).await;

        assert!(matches!(watched, Watched::Settled { .. }));
        let reads = timed.event_reads.lock().unwrap().clone();
        let gaps: Vec<Duration> = reads.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(gaps.first(), Some(&timings.first_poll), "{gaps:?}");
        assert!(gaps.windows(2).all(|w| w[0] <= w[1]), "{gaps:?}");
        assert!(gaps.iter().all(|gap| *gap <= timings.max_poll), "{gaps:?}");
        assert!(gaps.contains(&timings.max_poll), "{gaps:?}");
        let whole = reads[reads.len() - 1] - reads[0];
        assert!(
            gaps.len() < (whole.as_secs() / timings.first_poll.as_secs()) as usize / 2,
            "{} polls in {whole:?}",
            reads.len()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_timeout_stops_following_with_the_stack_still_in_progress_and_heartbeats_meanwhile()
    {
        let (_aws, cloud) = creating(Duration::from_secs(60), None).await;
        let timings = Timings {
            heartbeat: Duration::from_secs(10),
            timeout: Some(TimeLimit::After(Duration::from_secs(30))),
            ..timings()
        };
        let reporter = Recorded::default();
        let started = Instant::now();

        let Watched::Stopped(result) = follow(&cloud, &reporter, &timings).await else {
            panic!("following should stop at the timeout");
        };

        assert_eq!(
            result,
            RackResult::StillInProgress {
                status: Some(StackStatus::CreateInProgress),
                why: StopReason::Timeout,
            }
        );
        assert_eq!(started.elapsed(), Duration::from_secs(30));
        let heartbeats = reporter.heartbeats.lock().unwrap().clone();
        assert!(
            !heartbeats.is_empty() && heartbeats.len() <= 3,
            "{heartbeats:?}"
        );
        assert!(
            heartbeats
                .iter()
                .all(|status| status == "CREATE_IN_PROGRESS")
        );
    }
}
