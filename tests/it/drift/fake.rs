//! `rackfile drift` against the strict fake, on tokio's paused clock: every rack detected at once, what was
//! changed behind CloudFormation's back reported in rack terms, what was not checked named, racks that
//! could not be checked named and failing the run, and what it costs per rack.

use std::time::Duration;

use rackfile::cli::commands::drift::{DriftOptions, detect, outcome};
use rackfile::cloud::TemplateSource;
use rackfile::cloud::drift::{DifferenceKind, PropertyDifference};
use rackfile::live::drift::{DriftTimings, Quiet};
use rackfile::plan::drift::DriftOutcome;

use crate::fake_harness::{ACCOUNT, Harness, REGION, TEMPLATE_URL};

const RESOURCES: [(&str, &str); 5] = [
    ("RackSecurityGroup", "AWS::EC2::SecurityGroup"),
    ("LogGroup", "AWS::Logs::LogGroup"),
    ("Instances", "AWS::AutoScaling::AutoScalingGroup"),
    ("Cluster", "AWS::ECS::Cluster"),
    ("Announcer", "Custom::Announcer"),
];

fn options(harness: &Harness, targets: &[&str]) -> DriftOptions {
    DriftOptions {
        file: harness.racks_file(),
        targets: targets.iter().map(|t| t.parse().unwrap()).collect(),
        json: false,
        detailed_exitcode: true,
        timings: DriftTimings {
            first_poll: Duration::from_secs(2),
            max_poll: Duration::from_secs(10),
            timeout: Duration::from_secs(600),
        },
    }
}

async fn fleet(names: &[&str]) -> Harness {
    let harness = Harness::with_rack_template(Duration::from_secs(1), &RESOURCES);
    let racks: String = names
        .iter()
        .map(|name| format!("[[rack]]\nname = \"{name}\"\n"))
        .collect();
    harness.declare("version = \"1\"", &racks);
    for name in names {
        harness
            .seed_rack(
                name,
                TemplateSource::Url(TEMPLATE_URL.into()),
                &[
                    ("Version", "1"),
                    ("Password", "secret"),
                    ("Autoscale", "Yes"),
                ],
            )
            .await;
    }
    tokio::time::sleep(Duration::from_secs(30)).await;
    harness
}

fn ssh_rule_and_retention(harness: &Harness, name: &str) {
    harness.fake.drift_resource(
        ACCOUNT,
        REGION,
        name,
        "RackSecurityGroup",
        vec![PropertyDifference {
            path: "/SecurityGroupIngress/1".into(),
            expected: "null".into(),
            actual: r#"{"CidrIp":"0.0.0.0/0","FromPort":22,"IpProtocol":"tcp","ToPort":22}"#.into(),
            kind: DifferenceKind::Add,
        }],
    );
    harness.fake.drift_resource(
        ACCOUNT,
        REGION,
        name,
        "LogGroup",
        vec![PropertyDifference {
            path: "/RetentionInDays".into(),
            expected: "7".into(),
            actual: "30".into(),
            kind: DifferenceKind::NotEqual,
        }],
    );
}

#[tokio::test(start_paused = true)]
async fn drift_reports_each_rack_in_rack_terms_with_what_convox_manages_and_what_was_not_checked() {
    let harness = fleet(&["web", "api"]).await;
    ssh_rule_and_retention(&harness, "web");
    // Convox's autoscaler resized the group: managed by Convox, not drift.
    harness.fake.drift_resource(
        ACCOUNT,
        REGION,
        "api",
        "Instances",
        vec![PropertyDifference {
            path: "/DesiredCapacity".into(),
            expected: "\"3\"".into(),
            actual: "5".into(),
            kind: DifferenceKind::NotEqual,
        }],
    );
    let report = detect(&options(&harness, &[]), &harness.fake, &Quiet)
        .await
        .unwrap();
    let text = rackfile::render::drift::human(&report);
    assert!(
        text.contains("personal/web: drifted: 2 resources changed outside CloudFormation"),
        "{text}"
    );
    assert!(
        text.contains(
            "security group RackSecurityGroup (web-racksecuritygroup): ingress 0.0.0.0/0:22 added"
        ),
        "{text}"
    );
    assert!(
        text.contains("/SecurityGroupIngress/1 ADD: expected (none), actual {\"CidrIp\""),
        "{text}"
    );
    assert!(
        text.contains("log group LogGroup (web-loggroup): retention 7 -> 30 days"),
        "{text}"
    );
    assert!(
        text.contains("personal/api: no drift in the 3 resources checked; 1 not checked"),
        "{text}"
    );
    assert!(
        text.contains("autoscaling group Instances (api-instances): desired capacity 3 -> 5 (managed by Convox: Convox's autoscaler"),
        "{text}"
    );
    assert!(text.contains("1 not checked (CloudFormation does not check these):\n    Announcer (Custom::Announcer)"), "{text}");
    assert!(text.contains("Drift: 1 drifted, 1 without drift, 0 not checked, 0 not installed; 2 resources CloudFormation does not check, 0 it could not check."), "{text}");
    assert_eq!(outcome(&report, true).exit_code(), 2);
    assert_eq!(outcome(&report, false).exit_code(), 0);
    let json: serde_json::Value =
        serde_json::from_str(&rackfile::render::drift::json(&report)).unwrap();
    assert_eq!(json["format_version"], "1");
    assert_eq!(json["racks"][0]["outcome"], "detected");
    assert_eq!(
        json["racks"][0]["drifted"][0]["differences"][0]["kind"],
        "ADD"
    );
    assert_eq!(json["racks"][1]["managed"][0]["by"]["by"], "convox");
    assert_eq!(
        json["racks"][1]["not_checked"][0]["logical_id"],
        "Announcer"
    );
}

#[tokio::test(start_paused = true)]
async fn a_busy_rack_and_a_detection_that_outlasts_the_timeout_are_named_and_fail_the_run() {
    let harness = fleet(&["web", "busy"]).await;
    harness
        .fake
        .set_status(ACCOUNT, REGION, "busy", "UPDATE_IN_PROGRESS");
    harness
        .fake
        .set_drift_detection_time(Duration::from_secs(3600));
    let report = detect(&options(&harness, &[]), &harness.fake, &Quiet)
        .await
        .unwrap();
    assert!(
        matches!(report.racks[0].outcome, DriftOutcome::TimedOut { after_seconds } if after_seconds >= 600)
    );
    assert!(
        matches!(&report.racks[1].outcome, DriftOutcome::Busy { status } if status == "UPDATE_IN_PROGRESS")
    );
    let text = rackfile::render::drift::human(&report);
    assert!(
        text.contains("personal/web: NOT CHECKED: drift detection still running after 10m"),
        "{text}"
    );
    assert!(
        text.contains("personal/busy: NOT CHECKED: the stack is UPDATE_IN_PROGRESS"),
        "{text}"
    );
    assert_eq!(outcome(&report, true).exit_code(), 1);
}

#[tokio::test(start_paused = true)]
async fn fifty_racks_are_detected_at_once_at_one_poll_per_rack_per_interval() {
    let names: Vec<String> = (0..50).map(|n| format!("rack{n}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let harness = fleet(&names).await;
    ssh_rule_and_retention(&harness, "rack7");
    let before = harness.fake.calls().len();
    let started = tokio::time::Instant::now();
    let report = detect(&options(&harness, &[]), &harness.fake, &Quiet)
        .await
        .unwrap();
    let took = started.elapsed();
    let calls: Vec<&'static str> = harness.fake.calls()[before..]
        .iter()
        .map(|call| call.operation)
        .collect();
    let count = |operation: &str| calls.iter().filter(|o| **o == operation).count();
    assert_eq!(report.summary.drifted, 1);
    assert_eq!(report.summary.in_sync, 49);
    assert_eq!(count("DetectStackDrift"), 50);
    assert_eq!(count("DescribeStackResourceDrifts"), 50);
    assert_eq!(count("ListStackResources"), 50);
    assert_eq!(count("DescribeStacks"), 1, "one sweep of the region");
    // Each detection takes 4 s on the fake (4 checked resources): polls at 2 s and 4 s.
    let polls = count("DescribeStackDriftDetectionStatus");
    assert_eq!(polls, 100, "two polls per rack");
    assert!(took < Duration::from_secs(10), "all at once: {took:?}");
    eprintln!(
        "50 racks: {} calls ({} DetectStackDrift, {polls} DescribeStackDriftDetectionStatus, {} DescribeStackResourceDrifts, {} ListStackResources), {took:?} on the fake's clock",
        calls.len(),
        count("DetectStackDrift"),
        count("DescribeStackResourceDrifts"),
        count("ListStackResources")
    );
}

#[tokio::test(start_paused = true)]
async fn drift_ignore_turns_a_change_into_managed_and_a_target_limits_the_run() {
    let harness = fleet(&["web", "api"]).await;
    ssh_rule_and_retention(&harness, "web");
    harness.declare(
        "version = \"1\"\ndrift_ignore = [\"LogGroup.RetentionInDays\"]",
        "[[rack]]\nname = \"web\"\ndrift_ignore = [\"RackSecurityGroup.SecurityGroupIngress\"]\n[[rack]]\nname = \"api\"\n",
    );
    let before = harness.fake.calls().len();
    let report = detect(&options(&harness, &["personal/web"]), &harness.fake, &Quiet)
        .await
        .unwrap();
    assert_eq!(report.racks.len(), 1);
    assert_eq!(report.summary.drifted, 0);
    let text = rackfile::render::drift::human(&report);
    assert!(
        text.contains("retention 7 -> 30 days (managed outside CloudFormation: drift_ignore \"LogGroup.RetentionInDays\")"),
        "{text}"
    );
    assert!(
        text.contains("drift_ignore \"RackSecurityGroup.SecurityGroupIngress\""),
        "{text}"
    );
    let detections = harness.fake.calls()[before..]
        .iter()
        .filter(|call| call.operation == "DetectStackDrift")
        .count();
    assert_eq!(detections, 1, "only the target");
}

/// `apply --drift` plans a rack again once another tool's operation ends: the plan made again goes through
/// the same drift round as the first, so the update that would put the drift back is held, not applied.
#[tokio::test(start_paused = true)]
async fn a_rack_planned_again_after_a_wait_keeps_its_drift_hold() {
    use rackfile::cloud::{Cloud, ParameterValue, UpdateStackRequest};

    let harness = fleet(&["web"]).await;
    harness.declare(
        "version = \"1\"",
        &format!(
            "[[rack]]\nname = \"web\"\ntemplate_url = \"{TEMPLATE_URL}\"\ninstance_type = \"t3.large\"\n"
        ),
    );
    let live = harness.fake.stack(ACCOUNT, REGION, "web").unwrap();
    let mut parameters: std::collections::BTreeMap<String, ParameterValue> = live
        .parameters
        .iter()
        .map(|(name, value)| (name.clone(), ParameterValue::Value(value.clone())))
        .collect();
    parameters.insert(
        "InstanceType".into(),
        ParameterValue::Value("t3.medium".into()),
    );
    harness
        .fake
        .cloud_for(ACCOUNT, REGION)
        .update_stack(&UpdateStackRequest {
            name: "web".into(),
            template: TemplateSource::Url(TEMPLATE_URL.into()),
            parameters,
            tags: live.tags.clone(),
            role_arn: None,
            options: Default::default(),
            token: "behind-rackfiles-back".into(),
        })
        .await
        .unwrap();
    ssh_rule_and_retention(&harness, "web");

    let mut options = harness.options();
    options.drift = true;
    options.auto_approve = Some(rackfile::cli::options::Approval::InPlace);
    let (code, output) = harness.apply(&options).await;
    assert!(
        output.contains("personal/web: waiting: UPDATE_IN_PROGRESS"),
        "{output}"
    );
    assert_eq!(code, 3, "{output}");
    // Drift is detected once the other operation ends: only the plan made again can hold for it.
    assert!(
        output.contains("personal/web: held for a person, nothing sent: ")
            && output.contains(
                "overwrites changes made outside CloudFormation (RackSecurityGroup, LogGroup)"
            ),
        "{output}"
    );
    let after = harness.fake.stack(ACCOUNT, REGION, "web").unwrap();
    assert_eq!(
        after.parameters["InstanceType"], "t3.medium",
        "nothing was sent"
    );
}
