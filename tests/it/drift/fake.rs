//! `rackfile drift` against the strict fake, on tokio's paused clock: every rack detected at once, what was
//! changed behind CloudFormation's back reported in rack terms, what was not checked named, racks that
//! could not be checked named and failing the run, and what it costs per rack.

use std::time::Duration;

use rackfile::cli::commands::drift::{DriftOptions, detect, outcome};
use rackfile::cloud::TemplateSource;
use rackfile::cloud::drift::{DifferenceKind, PropertyDifference};
use rackfile::live::drift::{DriftTimings, Quiet};
use rackfile::plan::drift::DriftOutcome;

use crate::common::{exit_and_output, timed_snapshots};
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
    timed_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(&text, @r#"
        personal/web: drifted: 2 resources changed outside CloudFormation
          security group RackSecurityGroup (web-racksecuritygroup): ingress 0.0.0.0/0:22 added
              /SecurityGroupIngress/1 ADD: expected (none), actual {"CidrIp":"0.0.0.0/0","FromPort":22,"IpProtocol":"tcp","ToPort":22}
          log group LogGroup (web-loggroup): retention 7 -> 30 days
              /RetentionInDays NOT_EQUAL: expected 7, actual 30
          1 not checked (CloudFormation does not check these):
            Announcer (Custom::Announcer)
        personal/api: no drift in the 3 resources checked; 1 not checked (below)
          autoscaling group Instances (api-instances): desired capacity 3 -> 5 (managed by Convox: Convox's autoscaler (Autoscale=Yes) resizes the instances, then records the count as InstanceCount (convox/rack@3fc6cc6d5 provider/aws/lambda/autoscale/handler.go:128 (UpdateStack of InstanceCount/NoHaInstanceCount)))
          1 not checked (CloudFormation does not check these):
            Announcer (Custom::Announcer)

        Drift: 1 drifted, 1 without drift, 0 not checked, 0 not installed; 2 resources CloudFormation does not check, 0 it could not check.
        "#));
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
    timed_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(&text, @r#"
        personal/web: NOT CHECKED: drift detection still running after 10m 4s; it goes on in AWS, run `rackfile drift --target personal/web` again later
        personal/busy: NOT CHECKED: the stack is UPDATE_IN_PROGRESS; CloudFormation detects drift only on a settled stack

        Drift: 0 drifted, 0 without drift, 2 not checked, 0 not installed; 0 resources CloudFormation does not check, 0 it could not check.
        "#));
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
    timed_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(&text, @r#"
        personal/web: no drift in the 2 resources checked; 1 not checked (below)
          security group RackSecurityGroup (web-racksecuritygroup): ingress 0.0.0.0/0:22 added (managed outside CloudFormation: drift_ignore "RackSecurityGroup.SecurityGroupIngress")
          log group LogGroup (web-loggroup): retention 7 -> 30 days (managed outside CloudFormation: drift_ignore "LogGroup.RetentionInDays")
          1 not checked (CloudFormation does not check these):
            Announcer (Custom::Announcer)

        Drift: 0 drifted, 1 without drift, 0 not checked, 0 not installed; 1 resource CloudFormation does not check, 0 it could not check.
        "#));
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
    // Drift is detected once the other operation ends: only the plan made again can hold for it.
    timed_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
        exit: 3
        --- output
        Read account 123456789012 (org personal): us-east-1

        … personal/web (us-east-1) is waited for, then planned again
            UPDATE_IN_PROGRESS: CloudFormation is changing the stack; apply waits for it to finish, then plans it again and applies that plan if this run allows it

        Plan: 0 to install, 0 to update, 1 to wait for, 0 unchanged, 0 blocked.

        personal/web: waiting: UPDATE_IN_PROGRESS
        personal/web: Updated Security Group: racksecuritygroup-0
        personal/web: Updated CloudWatch Log Group: loggroup-1
        personal/web: Updated AutoScalingGroup: instances-2
        personal/web: Updated ECS Cluster: cluster-3
        personal/web: Updated Custom::Announcer: announcer-4
        personal/web: UPDATE_COMPLETE
        personal/web: held for a person, nothing sent: replaces instances (rolling, 1 at a time) (InstanceType); what it does to the rack's resources is unknown (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); overwrites changes made outside CloudFormation (RackSecurityGroup, LogGroup); the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources

        Apply complete: 0 installed, 0 updated, 0 failed, 1 held for a person.
            personal/web: held for a person, nothing sent: replaces instances (rolling, 1 at a time) (InstanceType); what it does to the rack's resources is unknown (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); overwrites changes made outside CloudFormation (RackSecurityGroup, LogGroup); the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources

        Held for a person by --auto-approve=in-place (their changes are not all in place): personal/web. Review their plan, then apply them with `rackfile apply --target personal/web`, which asks for confirmation.
        "#));
    let after = harness.fake.stack(ACCOUNT, REGION, "web").unwrap();
    assert_eq!(
        after.parameters["InstanceType"], "t3.medium",
        "nothing was sent"
    );
}
