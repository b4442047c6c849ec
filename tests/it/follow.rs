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

use crate::common::{exit_and_output, timed_snapshots};
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
async fn apply_follows_a_stack_in_progress_to_complete_reporting_each_event_once() {
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
async fn apply_names_the_first_failed_resource_as_a_failure_s_root_cause() {
    let harness = to_install(Duration::from_secs(5), Some("Cluster"));

    let (code, output) = harness.apply(&harness.options()).await;

    assert_eq!(harness.stack(STACK).unwrap().status, "ROLLBACK_COMPLETE");
    assert_eq!(progress_lines(&output), history_lines(&harness).await);
    timed_snapshots(harness.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @"
            exit: 1
            --- output
            Read account 123456789012 (org personal): us-east-1

            + personal/web (us-east-1) will be installed
                template: https://templates.example.com/rack.json
                InstanceCount: 3 (template default)
                InstanceType: t2.small (template default)
                Private: No (template default)
                Version: 1
                Password: (sensitive, generated and printed once at install)
                tags: System=convox, Type=rack
                budget: up to 30m
                note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
                preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

            Plan: 1 to install, 0 to update, 0 unchanged, 0 blocked.
            warning: personal/web: its generated API password will be printed below, and stdout is not a terminal (a CI log?); set `password_ssm` to keep it in SSM Parameter Store instead

            personal/web: installing (3 resources)
            personal/web: CREATE_IN_PROGRESS
            personal/web: Created VPC: vpc-0
            personal/web: Failed ECS Cluster: Resource creation cancelled: the fake was told to fail it
            personal/web: ROLLBACK_IN_PROGRESS: The following resource(s) failed to create: [Cluster].
            personal/web: ROLLBACK_COMPLETE
            personal/web: failed after 15s: the install failed; the stack is ROLLBACK_COMPLETE; root cause: Cluster (AWS::ECS::Cluster): Resource creation cancelled: the fake was told to fail it

            Apply failed: 0 installed, 0 updated, 1 failed.
                personal/web: failed after 15s: the install failed; the stack is ROLLBACK_COMPLETE; root cause: Cluster (AWS::ECS::Cluster): Resource creation cancelled: the fake was told to fail it

            Password for personal/web was not used: its install ended ROLLBACK_COMPLETE, and the next install generates another
            "));
}

#[tokio::test(start_paused = true)]
async fn apply_polling_backs_off_from_the_first_interval_to_the_longest() {
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
async fn apply_timeout_stops_following_the_stack_still_in_progress_with_heartbeats_meanwhile() {
    let harness = to_install(Duration::from_secs(60), None);
    let mut options = harness.options();
    options.timings.first_poll = Duration::from_secs(2);
    options.timings.max_poll = Duration::from_secs(10);
    options.timings.heartbeat = Duration::from_secs(10);
    options.timings.timeout = Some(TimeLimit::After(Duration::from_secs(30)));
    let started = tokio::time::Instant::now();

    let (code, output) = harness.apply(&options).await;

    assert_eq!(started.elapsed(), Duration::from_secs(30), "{output}");
    timed_snapshots(harness.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @"
            exit: 1
            --- output
            Read account 123456789012 (org personal): us-east-1

            + personal/web (us-east-1) will be installed
                template: https://templates.example.com/rack.json
                InstanceCount: 3 (template default)
                InstanceType: t2.small (template default)
                Private: No (template default)
                Version: 1
                Password: (sensitive, generated and printed once at install)
                tags: System=convox, Type=rack
                budget: up to 30m
                note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
                preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

            Plan: 1 to install, 0 to update, 0 unchanged, 0 blocked.
            warning: personal/web: its generated API password will be printed below, and stdout is not a terminal (a CI log?); set `password_ssm` to keep it in SSM Parameter Store instead

            personal/web: installing (3 resources)
            personal/web: CREATE_IN_PROGRESS
            personal/web: still CREATE_IN_PROGRESS (16s)
            personal/web: still CREATE_IN_PROGRESS (26s)
            personal/web: timed out after 30s; CloudFormation is still changing it (CREATE_IN_PROGRESS)

            Apply failed: 0 installed, 0 updated, 1 failed.
                personal/web: timed out after 30s; CloudFormation is still changing it (CREATE_IN_PROGRESS)

            CloudFormation is still changing personal/web (CREATE_IN_PROGRESS); rackfile stopped following, AWS did not stop. Watch them with `rackfile status`; a new apply waits for them.

            Password for personal/web (its install did not finish here; if CloudFormation completes it, this is its password) (shown only this once; store it now): [password]
            "));
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
