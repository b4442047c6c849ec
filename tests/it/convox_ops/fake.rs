//! What Convox does around a rack's operations, against the strict fake (DESIGN.md section 12): an uninstall
//! refused while NLB deletion protection is on, and prepared as `convox rack uninstall` prepares it (the
//! autoscaler rule disabled, every AutoScalingGroup force-deleted, before the first DeleteStack); a new
//! version recorded in the rack's releases table and announced on its topic, a failure to record a warning.

use std::time::Duration;

use rackfile::cloud::TemplateSource;
use rackfile::cloud::{Cloud, CreateStackRequest, TemplateParameter};
use rackfile_fake::{FakeTemplate, RackServiceWrite};

use crate::common::{exit_and_output, stable_snapshots};
use crate::fake_harness::{ACCOUNT, Harness, REGION, TEMPLATE_URL};

/// A rack shaped as Convox's where these operations are concerned.
const RACK: [(&str, &str); 6] = [
    ("Vpc", "AWS::EC2::VPC"),
    ("DynamoReleases", "AWS::DynamoDB::Table"),
    ("NotificationTopic", "AWS::SNS::Topic"),
    ("Instances", "AWS::AutoScaling::AutoScalingGroup"),
    ("SpotInstances", "AWS::AutoScaling::AutoScalingGroup"),
    ("InstancesAutoscalerEvent", "AWS::Events::Rule"),
];

const APP_URL: &str = "https://templates.example.com/app.json";

fn harness() -> Harness {
    let harness = Harness::new(Duration::from_millis(10));
    let mut rack = FakeTemplate::rack(&RACK);
    for nlb in ["NLBDeletionProtection", "NLBInternalDeletionProtection"] {
        rack.parameters.insert(
            nlb.into(),
            TemplateParameter {
                kind: "String".into(),
                default: Some("No".into()),
                ..TemplateParameter::default()
            },
        );
    }
    harness
        .fake
        .add_template(TemplateSource::Url(TEMPLATE_URL.into()), rack);
    harness.fake.add_template(
        TemplateSource::Url(APP_URL.into()),
        FakeTemplate::rack(&[
            ("Service", "AWS::ECS::Service"),
            ("BuildInstances", "AWS::AutoScaling::AutoScalingGroup"),
        ]),
    );
    harness
}

fn declare(harness: &Harness, version: &str, settings: &str) {
    harness.declare(
        &format!("version = \"{version}\""),
        &format!("[[rack]]\nname = \"web\"\ntemplate_url = \"{TEMPLATE_URL}\"\n{settings}"),
    );
}

async fn apply(harness: &Harness, allow_uninstall: bool) -> (i32, String) {
    let mut options = harness.options();
    options.allow_uninstall = allow_uninstall;
    harness.apply(&options).await
}

/// Rack `web` installed at version 1, with one app, `web-api`.
async fn installed_with_an_app(harness: &Harness) {
    declare(harness, "1", "");
    let (code, output) = apply(harness, false).await;
    assert_eq!(code, 0, "{output}");
    harness
        .fake
        .cloud_for(ACCOUNT, REGION)
        .create_stack(&CreateStackRequest {
            name: "web-api".into(),
            template: TemplateSource::Url(APP_URL.into()),
            parameters: [("Version", "1"), ("Password", "p")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            tags: [("System", "convox"), ("Type", "app"), ("Rack", "web")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            termination_protection: false,
            timeout_minutes: None,
            role_arn: None,
            options: Default::default(),
            token: "seed-web-api".into(),
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
}

fn operations(harness: &Harness) -> Vec<&'static str> {
    harness
        .fake
        .calls()
        .into_iter()
        .map(|call| call.operation)
        .filter(|operation| {
            matches!(
                *operation,
                "DisableRule" | "DeleteAutoScalingGroup" | "DeleteStack" | "ListStackResources"
            )
        })
        .collect()
}

fn writes(harness: &Harness) -> Vec<RackServiceWrite> {
    harness.fake.rack_service_writes(ACCOUNT, REGION)
}

#[tokio::test(start_paused = true)]
async fn an_uninstall_disables_the_autoscaler_and_force_deletes_every_group_before_any_delete_stack()
 {
    let harness = harness();
    installed_with_an_app(&harness).await;
    declare(&harness, "1", "ensure = \"absent\"\n");

    let (code, output) = apply(&harness, true).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(
        writes(&harness),
        [
            RackServiceWrite::DisabledRule("web-InstancesAutoscalerEvent".into()),
            RackServiceWrite::DeletedGroup("web-api-BuildInstances".into()),
            RackServiceWrite::DeletedGroup("web-Instances".into()),
            RackServiceWrite::DeletedGroup("web-SpotInstances".into()),
        ]
    );
    assert_eq!(
        operations(&harness),
        [
            "ListStackResources",
            "ListStackResources",
            "DisableRule",
            "DeleteAutoScalingGroup",
            "DeleteAutoScalingGroup",
            "DeleteAutoScalingGroup",
            "DeleteStack",
            "DeleteStack",
        ],
        "every preparation before the first DeleteStack"
    );
    assert!(harness.stack("web").is_none() && harness.stack("web-api").is_none());
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @"
        exit: 0
        --- output
        Read account 123456789012 (org personal): us-east-1

        - personal/web (us-east-1) will be uninstalled
            before any deletion, as `convox rack uninstall`: its autoscaler rule disabled, then the AutoScalingGroups of each stack deleted with ForceDelete (their instances terminate)
            deleted first, its Convox stacks: web-api (app)
            then the rack's stack, 6 resources

        Plan: 0 to install, 0 to update, 1 to uninstall, 0 unchanged, 0 blocked.
        Disruptive: personal/web is uninstalled: 1 app stack and the rack, with every resource not retained, are deleted

        personal/web: disabled the autoscaler rule web-InstancesAutoscalerEvent, so it sends no update while the rack goes
        personal/web: force-deleting AutoScalingGroup web-api-BuildInstances of web-api with its instances, so the ECS services finish deleting
        personal/web: force-deleting AutoScalingGroup web-Instances of web with its instances, so the ECS services finish deleting
        personal/web: force-deleting AutoScalingGroup web-SpotInstances of web with its instances, so the ECS services finish deleting
        personal/web: deleting web-api
        personal/web: DELETE_IN_PROGRESS
        personal/web: Deleted AutoScalingGroup: buildinstances-0
        personal/web: Deleted ECS Service: service-1
        personal/web: DELETE_COMPLETE
        personal/web: deleting web (6 resources)
        personal/web: DELETE_IN_PROGRESS
        personal/web: Deleted AWS::Events::Rule: instancesautoscalerevent-0
        personal/web: Deleted AutoScalingGroup: spotinstances-1
        personal/web: Deleted AutoScalingGroup: instances-2
        personal/web: Deleted DynamoDB Table: dynamoreleases-4
        personal/web: Deleted VPC: vpc-5
        personal/web: DELETE_COMPLETE
        personal/web: uninstalled with its 1 app or resource stack in [time]

        Apply complete: 0 installed, 0 updated, 1 uninstalled, 0 failed.
            personal/web: uninstalled with its 1 app or resource stack in [time]
        "));
}

#[tokio::test(start_paused = true)]
async fn the_autoscaler_rule_is_best_effort_as_in_convox_but_a_group_that_cannot_go_stops_the_uninstall()
 {
    let harness = harness();
    installed_with_an_app(&harness).await;
    declare(&harness, "1", "ensure = \"absent\"\n");
    harness.fake.deny("DeleteAutoScalingGroup");
    harness.fake.deny("DisableRule");

    let (code, output) = apply(&harness, true).await;
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
        exit: 1
        --- output
        Read account 123456789012 (org personal): us-east-1

        - personal/web (us-east-1) will be uninstalled
            before any deletion, as `convox rack uninstall`: its autoscaler rule disabled, then the AutoScalingGroups of each stack deleted with ForceDelete (their instances terminate)
            deleted first, its Convox stacks: web-api (app)
            then the rack's stack, 6 resources

        Plan: 0 to install, 0 to update, 1 to uninstall, 0 unchanged, 0 blocked.
        Disruptive: personal/web is uninstalled: 1 app stack and the rack, with every resource not retained, are deleted

        personal/web: could not disable the autoscaler rule web-InstancesAutoscalerEvent (AccessDenied: not authorized to perform DisableRule); going on without it, as `convox rack uninstall` does
        personal/web: failed after [time]: DeleteAutoScalingGroup of web-api-BuildInstances (stack web-api) failed: AccessDenied: not authorized to perform DeleteAutoScalingGroup; no stack was deleted (the uninstall stops before its first DeleteStack). Plan again: `rackfile plan` lists what the uninstall deletes now

        Apply failed: 0 installed, 0 updated, 1 failed.
            personal/web: failed after [time]: DeleteAutoScalingGroup of web-api-BuildInstances (stack web-api) failed: AccessDenied: not authorized to perform DeleteAutoScalingGroup; no stack was deleted (the uninstall stops before its first DeleteStack). Plan again: `rackfile plan` lists what the uninstall deletes now
        "#));
    assert!(!operations(&harness).contains(&"DeleteStack"), "{output}");
    assert!(harness.stack("web").is_some() && harness.stack("web-api").is_some());
}

#[tokio::test(start_paused = true)]
async fn nlb_deletion_protection_blocks_the_uninstall_until_it_is_turned_off() {
    let harness = harness();
    declare(
        &harness,
        "1",
        "[rack.parameters]\nNLBDeletionProtection = \"Yes\"\n",
    );
    let (code, output) = apply(&harness, false).await;
    assert_eq!(code, 0, "{output}");
    declare(
        &harness,
        "1",
        "ensure = \"absent\"\n[rack.parameters]\nNLBDeletionProtection = \"Yes\"\n",
    );

    let (code, output) = apply(&harness, true).await;
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
        exit: 1
        --- output
        Read account 123456789012 (org personal): us-east-1

        ! personal/web (us-east-1) is blocked
            CREATE_COMPLETE: NLB deletion protection is on (NLBDeletionProtection=Yes): Convox refuses to uninstall such a rack, as AWS refuses to delete its load balancer and the deletion would fail halfway; set NLBDeletionProtection = "No" and NLBInternalDeletionProtection = "No" in [rack.parameters] with the rack present, apply that, then apply this

        Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.

        Nothing to apply, but some racks are blocked (see above).
        "#));
    assert!(harness.stack("web").is_some());
    assert!(writes(&harness).is_empty(), "nothing prepared: {output}");

    // The way out it names.
    declare(
        &harness,
        "1",
        "[rack.parameters]\nNLBDeletionProtection = \"No\"\n",
    );
    let (code, output) = apply(&harness, false).await;
    assert_eq!(code, 0, "{output}");
    declare(&harness, "1", "ensure = \"absent\"\n");
    let (code, output) = apply(&harness, true).await;
    assert_eq!(code, 0, "{output}");
    assert!(harness.stack("web").is_none(), "{output}");
}

#[tokio::test(start_paused = true)]
async fn a_new_version_is_recorded_in_the_releases_table_and_announced_as_convox_does() {
    let harness = harness();
    declare(&harness, "1", "");
    let (code, output) = apply(&harness, false).await;
    assert_eq!(code, 0, "{output}");
    assert!(writes(&harness).is_empty(), "an install records nothing");

    declare(&harness, "2", "");
    let (code, output) = apply(&harness, false).await;
    assert_eq!(code, 0, "{output}");
    let writes = writes(&harness);
    let [
        RackServiceWrite::PutRelease { table, item },
        RackServiceWrite::Published {
            topic_arn,
            subject,
            message,
        },
    ] = &writes[..]
    else {
        panic!("{writes:?}\n{output}");
    };
    assert_eq!(table, "web-DynamoReleases");
    assert_eq!((item.id.as_str(), item.app.as_str()), ("2", "web"));
    assert!(
        item.created.len() == 25 && item.created.as_bytes()[8] == b'.',
        "Convox's sortable time: {}",
        item.created
    );
    assert_eq!(
        topic_arn,
        &format!("arn:aws:sns:{REGION}:{ACCOUNT}:web-NotificationTopic")
    );
    assert_eq!(subject, "rack:update");
    let event: serde_json::Value = serde_json::from_str(message).unwrap();
    assert_eq!(event["action"], "rack:update");
    assert_eq!(event["status"], "success");
    assert_eq!(
        event["data"],
        serde_json::json!({"rack": "web", "version": "2"})
    );
    assert!(!output.contains("Warning"), "{output}");

    // A parameter change that leaves the version is not a release.
    declare(&harness, "2", "instance_count = 5\n");
    let (code, output) = apply(&harness, false).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(harness.fake.rack_service_writes(ACCOUNT, REGION).len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_version_that_cannot_be_recorded_is_a_warning_and_the_update_still_succeeds() {
    let harness = harness();
    declare(&harness, "1", "");
    let (code, output) = apply(&harness, false).await;
    assert_eq!(code, 0, "{output}");
    harness.fake.deny("PutItem");
    declare(&harness, "2", "");

    let (code, output) = apply(&harness, false).await;
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
        exit: 0
        --- output
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            Version: 1 -> 2
            impact: not analysed (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
            budget: cannot compute: the update could not be analysed: https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources
            note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
            preflight: not checked: the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
            preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

        personal/web: updating (6 resources)
        personal/web: UPDATE_IN_PROGRESS
        personal/web: Updated VPC: vpc-0
        personal/web: Updated DynamoDB Table: dynamoreleases-1
        personal/web: Updated AutoScalingGroup: instances-3
        personal/web: Updated AutoScalingGroup: spotinstances-4
        personal/web: Updated AWS::Events::Rule: instancesautoscalerevent-5
        personal/web: UPDATE_COMPLETE
        personal/web: updated in [time]

        Apply complete: 0 installed, 1 updated, 0 failed.
            personal/web: updated in [time]

        warning: personal/web: version 2 was applied but not written to the rack's releases table, so `convox rack releases` does not list it: AccessDenied: not authorized to perform PutItem
        "#));
    assert!(
        matches!(&writes(&harness)[..], [RackServiceWrite::Published { .. }]),
        "the event is still sent"
    );
    assert_eq!(harness.stack("web").unwrap().parameters["Version"], "2");
}
