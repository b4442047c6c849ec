//! Time while applying, against the strict fake on tokio's paused clock: stalled resources named once,
//! updates cancelled at their timeout or on a second Ctrl-C and their rollbacks followed, a cancel AWS
//! refuses because the update ended meanwhile, and installs created with TimeoutInMinutes.

use std::time::Duration;

use rackfile::apply::{OnTimeout, TimeLimit};
use rackfile::cli::commands::apply::{ApplyOptions, run};
use rackfile::cloud::{StackStatus, TemplateSource};
use rackfile::outcome::Outcome;
use rackfile_fake::FakeTemplate;

use crate::apply::fake::{ACCOUNT, Setup, apply, console, manage_count, options, setup};
use crate::common::{exit_and_output, timed_snapshots};
use crate::fake_harness::Harness;

const REGION: &str = "us-east-1";
const THREE_HOURS: Duration = Duration::from_secs(3 * 3600);

/// A rack installed, then racks.toml changed so that the next apply updates it, with its Cluster taking
/// `extra` longer than the other resources (an ECS service that does not stabilise).
async fn installed_then_changed(extra: Duration) -> Setup {
    let setup = setup(Duration::from_secs(5), &["web"]);
    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    assert_eq!(code, 0, "{output}");
    manage_count(&setup, "web", 5);
    setup.fake.slow_resource("web", "Cluster", extra);
    setup
}

/// Options whose polling backs off to 10 s, as in the binary: hours pass in a thousand polls.
fn slow_polling(setup: &Setup, timeout: Option<TimeLimit>, on_timeout: OnTimeout) -> ApplyOptions {
    let mut options = options(setup, 10, None);
    options.timings.max_poll = Duration::from_secs(10);
    options.timings.timeout = timeout;
    options.timings.on_timeout = on_timeout;
    options
}

/// A rack-like template with a rolling update policy: its Instances replaced 1 at a time with PT10M pauses
/// when the InstanceType changes; 3 instances, so a budget of 3 x 10m + the 5m allowance = 35m.
fn rolling_template() -> (String, FakeTemplate) {
    let body = serde_json::json!({
        "Parameters": {
            "Ami": {"Type": "String", "Default": ""},
            "Autoscale": {"Type": "String", "Default": "No"},
            "InstanceCount": {"Type": "String", "Default": "3"},
            "InstanceType": {"Type": "String", "Default": "t2.small"},
            "Key": {"Type": "String", "Default": ""},
            "Private": {"Type": "String", "Default": "No"},
            "Version": {"Type": "String"},
            "Password": {"Type": "String", "NoEcho": true}
        },
        "Resources": {
            "LaunchConfiguration": {
                "Type": "AWS::AutoScaling::LaunchConfiguration",
                "Properties": {"ImageId": "ami-1", "InstanceType": {"Ref": "InstanceType"}}
            },
            "Instances": {
                "Type": "AWS::AutoScaling::AutoScalingGroup",
                "Properties": {
                    "LaunchConfigurationName": {"Ref": "LaunchConfiguration"},
                    "MinSize": "1", "MaxSize": "10", "DesiredCapacity": {"Ref": "InstanceCount"}
                },
                "UpdatePolicy": {"AutoScalingRollingUpdate": {"MaxBatchSize": "1", "PauseTime": "PT10M"}}
            },
            "Cluster": {"Type": "AWS::ECS::Cluster"}
        }
    })
    .to_string();
    let template = FakeTemplate::rack(&[
        (
            "LaunchConfiguration",
            "AWS::AutoScaling::LaunchConfiguration",
        ),
        ("Instances", "AWS::AutoScaling::AutoScalingGroup"),
        ("Cluster", "AWS::ECS::Cluster"),
    ]);
    (body, template)
}

/// A rack installed from `rolling_template`, then its InstanceType changed in racks.toml, with its
/// Instances taking three hours to roll.
async fn installed_then_rolling() -> Setup {
    let setup = Harness::new(Duration::from_secs(5));
    let (body, template) = rolling_template();
    setup
        .fake
        .add_template(TemplateSource::Body(body.clone()), template);
    std::fs::write(setup.dir.path().join("rack.json"), &body).unwrap();
    let rack = "[[rack]]\nname = \"web\"\ntemplate = \"rack.json\"\ninstance_type = \"t2.small\"\n";
    setup.declare("version = \"20161102160040\"", rack);
    let racks = std::fs::read_to_string(setup.racks_file()).unwrap();
    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    assert_eq!(code, 0, "{output}");
    std::fs::write(
        setup.dir.path().join("racks.toml"),
        racks.replace("t2.small", "m5.large"),
    )
    .unwrap();
    setup.fake.slow_resource("web", "Instances", THREE_HOURS);
    setup
}

fn status(setup: &Setup) -> StackStatus {
    setup.fake.stack(ACCOUNT, REGION, "web").unwrap().status
}

fn instance_count(setup: &Setup) -> String {
    setup.fake.stack(ACCOUNT, REGION, "web").unwrap().parameters["InstanceCount"].clone()
}

#[tokio::test(start_paused = true)]
async fn apply_names_a_stalled_resource_once_and_the_update_still_completes() {
    let setup = installed_then_changed(THREE_HOURS).await;
    let (code, output) = apply(&setup, &slow_polling(&setup, None, OnTimeout::Detach)).await;
    timed_snapshots(setup.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
        exit: 0
        --- output
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            InstanceCount: 3 -> 5
            impact: not analysed (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
            budget: cannot compute: the update could not be analysed: https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources
            note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
            preflight: not checked: the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
            preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
            preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

        personal/web: updating (4 resources)
        personal/web: UPDATE_IN_PROGRESS
        personal/web: Updated VPC: vpc-0
        personal/web: Updated VPC Subnet: subnet0-2
        personal/web: stalled: Cluster (AWS::ECS::Cluster) has had no event for 15m
        personal/web: still UPDATE_IN_PROGRESS (75m29s)
        personal/web: still UPDATE_IN_PROGRESS (135m29s)
        personal/web: Updated ECS Cluster: cluster-3
        personal/web: UPDATE_COMPLETE
        personal/web: updated in 180m29s

        Apply complete: 0 installed, 1 updated, 0 failed.
            personal/web: updated in 180m29s
        "#));
    assert_eq!(status(&setup), "UPDATE_COMPLETE");
}

#[tokio::test(start_paused = true)]
async fn apply_on_timeout_cancel_cancels_the_update_and_follows_its_rollback() {
    let setup = installed_then_changed(THREE_HOURS).await;
    let options = slow_polling(
        &setup,
        Some(TimeLimit::After(Duration::from_secs(3600))),
        OnTimeout::Cancel,
    );
    let (code, output) = apply(&setup, &options).await;
    timed_snapshots(setup.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
        exit: 1
        --- output
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            InstanceCount: 3 -> 5
            impact: not analysed (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
            budget: cannot compute: the update could not be analysed: https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources
            note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
            preflight: not checked: the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
            preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
            preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

        personal/web: updating (4 resources)
        personal/web: UPDATE_IN_PROGRESS
        personal/web: Updated VPC: vpc-0
        personal/web: Updated VPC Subnet: subnet0-2
        personal/web: stalled: Cluster (AWS::ECS::Cluster) has had no event for 15m
        personal/web: cancelling after 1h00m (CancelUpdateStack): following the rollback
        personal/web: Failed ECS Cluster: Resource update cancelled
        personal/web: UPDATE_ROLLBACK_IN_PROGRESS: User Initiated
        personal/web: Updated ECS Cluster: cluster-0
        personal/web: Updated VPC Subnet: subnet0-1
        personal/web: Updated VPC: vpc-3
        personal/web: UPDATE_ROLLBACK_COMPLETE
        personal/web: cancelled after 1h00m; rolled back in 29s

        Apply failed: 0 installed, 0 updated, 0 failed, 1 cancelled.
            personal/web: cancelled after 1h00m; rolled back in 29s

        Cancelled and rolled back to UPDATE_ROLLBACK_COMPLETE: personal/web.
        "#));
    assert_eq!(status(&setup), "UPDATE_ROLLBACK_COMPLETE");
    assert_eq!(
        instance_count(&setup),
        "3",
        "the rollback restores the count"
    );
    let cancels = setup
        .fake
        .calls()
        .iter()
        .filter(|call| call.operation == "CancelUpdateStack")
        .count();
    assert_eq!(cancels, 1);
}

#[tokio::test(start_paused = true)]
async fn apply_timeout_budget_cancels_at_the_plan_s_own_figure() {
    let setup = installed_then_rolling().await;
    let options = slow_polling(&setup, Some(TimeLimit::Budget), OnTimeout::Cancel);
    let (code, output) = apply(&setup, &options).await;
    timed_snapshots(setup.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
        exit: 1
        --- output
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            InstanceType: t2.small -> m5.large
              ↳ replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time
            impact: replaces 1 resource, modifies 1 in place; rolling replacement of Instances, 1 at a time
            rolling: 3 instances, 1 at a time, PT10M pause: up to 35m

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
        Disruptive: personal/web replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time

        personal/web: updating (3 resources)
        personal/web: UPDATE_IN_PROGRESS
        personal/web: cancelling after 35m (CancelUpdateStack): following the rollback
        personal/web: Failed AutoScalingGroup: Resource update cancelled
        personal/web: UPDATE_ROLLBACK_IN_PROGRESS: User Initiated
        personal/web: Updated AutoScalingGroup: instances-0
        personal/web: UPDATE_ROLLBACK_COMPLETE
        personal/web: cancelled after 35m; rolled back in 13s

        Apply failed: 0 installed, 0 updated, 0 failed, 1 cancelled.
            personal/web: cancelled after 35m; rolled back in 13s

        Cancelled and rolled back to UPDATE_ROLLBACK_COMPLETE: personal/web.
        "#));
    assert_eq!(status(&setup), "UPDATE_ROLLBACK_COMPLETE");
    let live = setup.fake.stack(ACCOUNT, REGION, "web").unwrap();
    assert_eq!(live.parameters["InstanceType"], "t2.small");
}

#[tokio::test(start_paused = true)]
async fn a_rolling_group_stalls_only_after_twice_its_budget() {
    let setup = installed_then_rolling().await;
    let (code, output) = apply(&setup, &slow_polling(&setup, None, OnTimeout::Detach)).await;
    // Its rolling replacement is expected to take 30m: quiet for 60m is a stall, 15m is not.
    timed_snapshots(setup.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
        exit: 0
        --- output
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            InstanceType: t2.small -> m5.large
              ↳ replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time
            impact: replaces 1 resource, modifies 1 in place; rolling replacement of Instances, 1 at a time
            rolling: 3 instances, 1 at a time, PT10M pause: up to 35m

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
        Disruptive: personal/web replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time

        personal/web: updating (3 resources)
        personal/web: UPDATE_IN_PROGRESS
        personal/web: stalled: Instances (AWS::AutoScaling::AutoScalingGroup) has had no event for 1h00m
        personal/web: still UPDATE_IN_PROGRESS (120m09s)
        personal/web: still UPDATE_IN_PROGRESS (180m09s)
        personal/web: Updated AutoScalingGroup: instances-1
        personal/web: Updated ECS Cluster: cluster-2
        personal/web: UPDATE_COMPLETE
        personal/web: updated in 180m19s

        Apply complete: 0 installed, 1 updated, 0 failed.
            personal/web: updated in 180m19s
        "#));
}

#[tokio::test(start_paused = true)]
async fn apply_on_timeout_detach_leaves_the_update_running() {
    let setup = installed_then_changed(THREE_HOURS).await;
    let options = slow_polling(
        &setup,
        Some(TimeLimit::After(Duration::from_secs(3600))),
        OnTimeout::Detach,
    );
    let (code, output) = apply(&setup, &options).await;
    timed_snapshots(setup.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
        exit: 1
        --- output
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            InstanceCount: 3 -> 5
            impact: not analysed (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
            budget: cannot compute: the update could not be analysed: https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources
            note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
            preflight: not checked: the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
            preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
            preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

        personal/web: updating (4 resources)
        personal/web: UPDATE_IN_PROGRESS
        personal/web: Updated VPC: vpc-0
        personal/web: Updated VPC Subnet: subnet0-2
        personal/web: stalled: Cluster (AWS::ECS::Cluster) has had no event for 15m
        personal/web: timed out after 60m00s; CloudFormation is still changing it (UPDATE_IN_PROGRESS)

        Apply failed: 0 installed, 0 updated, 1 failed.
            personal/web: timed out after 60m00s; CloudFormation is still changing it (UPDATE_IN_PROGRESS)

        CloudFormation is still changing personal/web (UPDATE_IN_PROGRESS); rackfile stopped following, AWS did not stop. Watch them with `rackfile status`; a new apply waits for them.
        "#));
    assert_eq!(status(&setup), "UPDATE_IN_PROGRESS");
    assert!(
        !setup
            .fake
            .calls()
            .iter()
            .any(|call| call.operation == "CancelUpdateStack")
    );
}

#[tokio::test(start_paused = true)]
async fn apply_reports_a_cancel_refused_because_the_update_completed_meanwhile_as_completed() {
    let setup = installed_then_changed(THREE_HOURS).await;
    setup.fake.finish_before_cancel("web");
    let options = slow_polling(
        &setup,
        Some(TimeLimit::After(Duration::from_secs(3600))),
        OnTimeout::Cancel,
    );
    let (code, output) = apply(&setup, &options).await;
    assert!(!output.contains("cancelled after"), "{output}");
    timed_snapshots(setup.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
        exit: 0
        --- output
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            InstanceCount: 3 -> 5
            impact: not analysed (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
            budget: cannot compute: the update could not be analysed: https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources
            note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
            preflight: not checked: the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
            preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
            preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

        personal/web: updating (4 resources)
        personal/web: UPDATE_IN_PROGRESS
        personal/web: Updated VPC: vpc-0
        personal/web: Updated VPC Subnet: subnet0-2
        personal/web: stalled: Cluster (AWS::ECS::Cluster) has had no event for 15m
        personal/web: CancelUpdateStack refused (ValidationError: CancelUpdateStack cannot be called from current stack status): the update ended before it could be cancelled
        personal/web: Updated ECS Cluster: cluster-3
        personal/web: UPDATE_COMPLETE
        personal/web: updated in 60m00s

        Apply complete: 0 installed, 1 updated, 0 failed.
            personal/web: updated in 60m00s
        "#));
    assert_eq!(status(&setup), "UPDATE_COMPLETE");
    assert_eq!(instance_count(&setup), "5");
}

/// Applies the change with Ctrl-C pressed at each of `presses` (times from the start).
async fn interrupted_at(setup: &Setup, presses: &[Duration]) -> (Outcome, String) {
    let (mut console, buffer) = console();
    let (sender, cancel) = tokio::sync::watch::channel(0u8);
    let options = slow_polling(setup, None, OnTimeout::Detach);
    let press = async {
        let start = tokio::time::Instant::now();
        for (count, at) in presses.iter().enumerate() {
            tokio::time::sleep_until(start + *at).await;
            sender.send(count as u8 + 1).unwrap();
        }
        // Kept open: a closed channel is not a Ctrl-C.
        std::future::pending::<()>().await;
    };
    let outcome = tokio::select! {
        outcome = run(&options, &setup.fake, &mut console, cancel) => outcome.unwrap(),
        () = press => unreachable!(),
    };
    (outcome, buffer.text())
}

#[tokio::test(start_paused = true)]
async fn apply_cancels_the_update_on_a_second_ctrl_c_within_ten_seconds() {
    let setup = installed_then_changed(THREE_HOURS).await;
    let minute = Duration::from_secs(60);
    let (outcome, output) =
        interrupted_at(&setup, &[minute, minute + Duration::from_secs(3)]).await;
    timed_snapshots(setup.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(outcome.exit_code(), &output), @r#"
        exit: 130
        --- output
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            InstanceCount: 3 -> 5
            impact: not analysed (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
            budget: cannot compute: the update could not be analysed: https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources
            note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
            preflight: not checked: the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
            preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
            preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

        personal/web: updating (4 resources)
        personal/web: UPDATE_IN_PROGRESS
        personal/web: Updated VPC: vpc-0
        personal/web: Updated VPC Subnet: subnet0-2
        personal/web: cancelling after 1m03s (CancelUpdateStack): following the rollback
        personal/web: Failed ECS Cluster: Resource update cancelled
        personal/web: UPDATE_ROLLBACK_IN_PROGRESS: User Initiated
        personal/web: Updated ECS Cluster: cluster-0
        personal/web: Updated VPC Subnet: subnet0-1
        personal/web: Updated VPC: vpc-3
        personal/web: UPDATE_ROLLBACK_COMPLETE
        personal/web: cancelled after 1m03s; rolled back in 29s

        Apply interrupted: 0 installed, 0 updated, 0 failed, 1 cancelled.
            personal/web: cancelled after 1m03s; rolled back in 29s

        Cancelled and rolled back to UPDATE_ROLLBACK_COMPLETE: personal/web.
        "#));
    assert_eq!(status(&setup), "UPDATE_ROLLBACK_COMPLETE");
    assert_eq!(instance_count(&setup), "3");
}

#[tokio::test(start_paused = true)]
async fn apply_detaches_on_a_single_ctrl_c_and_leaves_the_update_running() {
    let setup = installed_then_changed(THREE_HOURS).await;
    let (outcome, output) = interrupted_at(&setup, &[Duration::from_secs(60)]).await;
    timed_snapshots(setup.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(outcome.exit_code(), &output), @r#"
        exit: 130
        --- output
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            InstanceCount: 3 -> 5
            impact: not analysed (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
            budget: cannot compute: the update could not be analysed: https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources
            note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
            preflight: not checked: the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
            preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
            preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

        personal/web: updating (4 resources)
        personal/web: UPDATE_IN_PROGRESS
        personal/web: Updated VPC: vpc-0
        personal/web: Updated VPC Subnet: subnet0-2
        personal/web: interrupted; CloudFormation is still changing it (UPDATE_IN_PROGRESS)

        Apply interrupted: 0 installed, 0 updated, 0 failed.
            personal/web: interrupted; CloudFormation is still changing it (UPDATE_IN_PROGRESS)

        CloudFormation is still changing personal/web (UPDATE_IN_PROGRESS); rackfile stopped following, AWS did not stop. Watch them with `rackfile status`; a new apply waits for them.
        "#));
    assert_eq!(status(&setup), "UPDATE_IN_PROGRESS");
    assert!(
        !setup
            .fake
            .calls()
            .iter()
            .any(|call| call.operation == "CancelUpdateStack")
    );
}

#[tokio::test(start_paused = true)]
async fn an_install_with_a_timeout_is_created_with_timeout_in_minutes() {
    for (limit, minutes) in [
        (TimeLimit::After(Duration::from_secs(45 * 60)), 45),
        // A part of a minute is a whole minute more: CloudFormation counts in minutes.
        (TimeLimit::After(Duration::from_secs(90)), 2),
        // The install's budget: rackfile's fixed allowance for an install.
        (TimeLimit::Budget, 30),
    ] {
        let setup = setup(Duration::from_millis(20), &["new"]);
        let options = slow_polling(&setup, Some(limit), OnTimeout::Cancel);
        let (code, output) = apply(&setup, &options).await;
        assert_eq!(code, 0, "{output}");
        let creates = setup.fake.creates();
        assert_eq!(creates.len(), 1);
        assert_eq!(creates[0].timeout_minutes, Some(minutes), "{limit:?}");
        // An install is never cancelled: CloudFormation times it out itself.
        assert!(!output.contains("CancelUpdateStack"), "{output}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_fake_cancels_only_an_update_in_progress_and_rolls_it_back_over_time() {
    use rackfile::cloud::Cloud;
    let setup = installed_then_changed(Duration::ZERO).await;
    let cloud = setup.fake.cloud_for(ACCOUNT, REGION);
    // As AWS: nothing to cancel in CREATE_COMPLETE, nor on a stack that does not exist.
    for name in ["web", "nope"] {
        let refused = cloud.cancel_update_stack(name, "t1").await.unwrap_err();
        assert_eq!(
            refused.kind,
            rackfile::cloud::CloudErrorKind::Validation,
            "{refused}"
        );
    }
    let (code, output) = apply(&setup, &options(&setup, 10, Some(Duration::from_secs(7)))).await;
    assert_eq!(code, 1, "{output}");
    assert_eq!(status(&setup), "UPDATE_IN_PROGRESS");
    cloud.cancel_update_stack("web", "t2").await.unwrap();
    assert_eq!(status(&setup), "UPDATE_ROLLBACK_IN_PROGRESS");
    // Not twice: a rollback is not an update.
    assert!(cloud.cancel_update_stack("web", "t3").await.is_err());
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(status(&setup), "UPDATE_ROLLBACK_COMPLETE");
    assert_eq!(instance_count(&setup), "3");
}

#[tokio::test(start_paused = true)]
async fn apply_json_streams_a_stall_and_a_cancel() {
    let setup = installed_then_changed(THREE_HOURS).await;
    let mut options = slow_polling(
        &setup,
        Some(TimeLimit::After(Duration::from_secs(3600))),
        OnTimeout::Cancel,
    );
    options.json = true;
    let (code, output) = apply(&setup, &options).await;
    assert_eq!(code, 1, "{output}");
    let lines: Vec<serde_json::Value> = output
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let of_type = |kind: &str| -> Vec<&serde_json::Value> {
        lines.iter().filter(|line| line["type"] == kind).collect()
    };
    let stalls = of_type("rack_stalled");
    assert_eq!(stalls.len(), 1, "{output}");
    assert_eq!(stalls[0]["logical_id"], "Cluster");
    assert_eq!(stalls[0]["resource_type"], "AWS::ECS::Cluster");
    assert!(stalls[0]["quiet_seconds"].as_u64().unwrap() >= 15 * 60);
    let errored = of_type("rack_errored");
    assert_eq!(errored.len(), 1, "{output}");
    assert_eq!(errored[0]["result"], "cancelled");
    assert_eq!(errored[0]["cancelled_after_seconds"].as_u64(), Some(3600));
    assert_eq!(of_type("summary")[0]["counts"]["cancelled"], 1);
}

#[tokio::test(start_paused = true)]
async fn an_install_that_outlasts_its_timeout_is_failed_and_rolled_back_by_cloudformation_itself() {
    let setup = setup(Duration::from_secs(5), &["new"]);
    setup.fake.slow_resource("new", "Cluster", THREE_HOURS);
    let options = slow_polling(
        &setup,
        Some(TimeLimit::After(Duration::from_secs(10 * 60))),
        OnTimeout::Cancel,
    );
    let (code, output) = apply(&setup, &options).await;
    assert_eq!(code, 1, "{output}");
    assert_eq!(setup.fake.creates()[0].timeout_minutes, Some(10));
    assert!(!output.contains("CancelUpdateStack"), "{output}");
    // Its password is shown: the failed stack exists, and `--recover` reinstalls it.
    timed_snapshots(setup.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
        exit: 1
        --- output
        Read account 123456789012 (org personal): us-east-1

        + personal/new (us-east-1) will be installed
            template: https://templates.example.com/rack.json
            InstanceCount: 3 (template default)
            InstanceType: t2.small (template default)
            Private: No (template default)
            Version: 20161102160040
            Password: (sensitive, generated and printed once at install)
            tags: System=convox, Type=rack
            budget: up to 30m
            note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
            preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
            preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

        Plan: 1 to install, 0 to update, 0 unchanged, 0 blocked.
        warning: personal/new: its generated API password will be printed below, and stdout is not a terminal (a CI log?); set `password_ssm` to keep it in SSM Parameter Store instead

        personal/new: installing (4 resources)
        personal/new: CREATE_IN_PROGRESS
        personal/new: Created VPC: vpc-0
        personal/new: Created VPC Subnet: subnet0-2
        personal/new: Failed ECS Cluster: Resource creation cancelled
        personal/new: ROLLBACK_IN_PROGRESS: Stack creation time exceeded the specified timeout.
        personal/new: ROLLBACK_COMPLETE
        personal/new: failed after 10m09s: the install failed; the stack is ROLLBACK_COMPLETE; root cause: Cluster (AWS::ECS::Cluster): Resource creation cancelled

        Apply failed: 0 installed, 0 updated, 1 failed.
            personal/new: failed after 10m09s: the install failed; the stack is ROLLBACK_COMPLETE; root cause: Cluster (AWS::ECS::Cluster): Resource creation cancelled

        Password for personal/new was not used: its install ended ROLLBACK_COMPLETE, and the next install generates another
        "#));
}
