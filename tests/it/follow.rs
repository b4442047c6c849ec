//! How `apply` follows a stack on the strict fake (tokio's paused clock): each of the stack's events reported
//! once, in the order CloudFormation wrote them; the first failed resource named as the root cause; polling
//! that backs off from the first interval to the longest; the timeout that stops following a stack still in
//! progress, with heartbeats meanwhile.

use std::time::Duration;

use rackfile::apply::TimeLimit;
use rackfile::apply::events::shown;
use rackfile::apply::reporter::Progress;
use rackfile::cloud::Cloud;
use rackfile::render::apply::progress_words;

use crate::fake_harness::{ACCOUNT, Harness, REGION, TEMPLATE_URL};

const STACK: &str = "web";
const RESOURCES: [(&str, &str); 3] = [
    ("Vpc", "AWS::EC2::VPC"),
    ("Cluster", "AWS::ECS::Cluster"),
    ("Balancer", "AWS::ElasticLoadBalancing::LoadBalancer"),
];

/// Rack `web` to install, its resources taking `resource_time` each, `failing` one failing.
fn to_install(resource_time: Duration, failing: Option<&str>) -> Harness {
    let harness = Harness::with_rack_template(resource_time, &RESOURCES);
    harness.declare(
        "version = \"1\"",
        &format!("[[rack]]\nname = \"{STACK}\"\ntemplate_url = \"{TEMPLATE_URL}\"\n"),
    );
    if let Some(logical_id) = failing {
        harness.fake.fail_resource(STACK, logical_id);
    }
    harness
}

/// The lines the stack's whole history is worth, oldest first.
async fn history_lines(harness: &Harness) -> Vec<String> {
    let cloud = harness.fake.cloud_for(ACCOUNT, REGION);
    let mut events = cloud.stack_events(STACK).await.unwrap();
    events.reverse();
    events
        .iter()
        .filter(|event| shown(event, STACK))
        .map(|event| {
            progress_words(&Progress::Event {
                event,
                stack: STACK,
            })
        })
        .collect()
}

/// The progress lines apply printed for the rack while following it.
fn progress_lines(output: &str) -> Vec<String> {
    let prefix = format!("personal/{STACK}: ");
    output
        .lines()
        .skip_while(|line| !line.starts_with(&format!("{prefix}installing")))
        .skip(1)
        .filter_map(|line| line.strip_prefix(&prefix))
        .take_while(|line| !line.starts_with("installed in") && !line.starts_with("failed after"))
        .map(str::to_string)
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_stack_in_progress_is_followed_to_complete_with_each_event_reported_once() {
    let harness = to_install(Duration::from_secs(5), None);

    let (code, output) = harness.apply(&harness.options()).await;

    assert_eq!(code, 0, "{output}");
    let lines = progress_lines(&output);
    assert_eq!(lines, history_lines(&harness).await, "{output}");
    for (id, _) in RESOURCES {
        let reported = lines
            .iter()
            .filter(|line| line.contains(&id.to_lowercase()));
        assert_eq!(reported.count(), 1, "{id} once in {lines:#?}");
    }
    assert_eq!(lines.last().map(String::as_str), Some("CREATE_COMPLETE"));
}

#[tokio::test(start_paused = true)]
async fn a_failure_names_the_first_failed_resource_as_the_root_cause() {
    let harness = to_install(Duration::from_secs(5), Some("Cluster"));

    let (code, output) = harness.apply(&harness.options()).await;

    assert_eq!(code, 1, "{output}");
    assert_eq!(harness.stack(STACK).unwrap().status, "ROLLBACK_COMPLETE");
    let root_cause = output
        .split("; root cause: ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .unwrap_or_else(|| panic!("a root cause in {output}"));
    assert!(
        root_cause.starts_with("Cluster (AWS::ECS::Cluster): ")
            && root_cause.contains("the fake was told to fail it"),
        "{root_cause}"
    );
    assert_eq!(progress_lines(&output), history_lines(&harness).await);
}

#[tokio::test(start_paused = true)]
async fn polling_backs_off_from_the_first_interval_to_the_longest() {
    let harness = to_install(Duration::from_secs(20), None);
    let mut options = harness.options();
    options.timings.first_poll = Duration::from_secs(2);
    options.timings.max_poll = Duration::from_secs(10);

    let (code, output) = harness.apply(&options).await;

    assert_eq!(code, 0, "{output}");
    let calls = harness.fake.calls();
    let created = calls
        .iter()
        .position(|call| call.operation == "CreateStack")
        .unwrap();
    let reads: Vec<_> = calls[created..]
        .iter()
        .filter(|call| call.operation == "DescribeStackEvents")
        .map(|call| call.at)
        .collect();
    let gaps: Vec<Duration> = reads.windows(2).map(|w| w[1] - w[0]).collect();
    let timings = &options.timings;
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
async fn the_timeout_stops_following_with_the_stack_still_in_progress_and_heartbeats_meanwhile() {
    let harness = to_install(Duration::from_secs(60), None);
    let mut options = harness.options();
    options.timings.first_poll = Duration::from_secs(2);
    options.timings.max_poll = Duration::from_secs(10);
    options.timings.heartbeat = Duration::from_secs(10);
    options.timings.timeout = Some(TimeLimit::After(Duration::from_secs(30)));
    let started = tokio::time::Instant::now();

    let (code, output) = harness.apply(&options).await;

    assert_eq!(code, 1, "{output}");
    assert_eq!(started.elapsed(), Duration::from_secs(30), "{output}");
    assert!(
        output.contains("CloudFormation is still changing personal/web (CREATE_IN_PROGRESS)"),
        "{output}"
    );
    let heartbeats: Vec<&str> = output
        .lines()
        .filter(|line| line.starts_with("personal/web: still "))
        .collect();
    assert!(
        !heartbeats.is_empty() && heartbeats.len() <= 3,
        "{heartbeats:?}"
    );
    assert!(
        heartbeats
            .iter()
            .all(|line| line.starts_with("personal/web: still CREATE_IN_PROGRESS (")),
        "{heartbeats:?}"
    );
}
