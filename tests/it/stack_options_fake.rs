//! Stack options against the strict fake, with a rack template of stateful and other resources:
//! `notification_arns`, `stack_policy = "convox-stateful"` and `[rollout] rollback_alarms` are sent with the
//! install, read back so the next plan has nothing to do, and a change of one is applied by the call that changes it (the
//! policy by SetStackPolicy alone, topics by an UpdateStack).

use std::time::Duration;

use rackfile::cloud::{AlarmState, RollbackConfiguration, TemplateSource};
use rackfile::plan::{Action, ChangeKind};
use rackfile_fake::FakeTemplate;

use crate::common::{exit_and_output, stable_snapshots};
use crate::fake_harness::{ACCOUNT, Harness, REGION};

const RELEASE: &str = "20261102160040";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:racks";
const ALARM: &str = "rack-web-5xx";

/// A rack template published in Convox's bucket (so its body is read): stateful resources beside
/// others.
fn harness() -> Harness {
    let harness = Harness::new(Duration::from_millis(10));
    let template = FakeTemplate::rack(&[
        ("Vpc", "AWS::EC2::VPC"),
        ("Settings", "AWS::S3::Bucket"),
        ("Builds", "AWS::DynamoDB::Table"),
        ("Volumes", "AWS::EFS::FileSystem"),
        ("LogGroup", "AWS::Logs::LogGroup"),
        ("Cluster", "AWS::ECS::Cluster"),
    ]);
    harness.fake.add_s3_object(
        "convox",
        &format!("release/{RELEASE}/formation.json"),
        &template.body(),
    );
    harness.fake.add_s3_object(
        "convox",
        "release/versions.json",
        &serde_json::json!([{"version": RELEASE, "description": "", "published": true, "required": false}])
            .to_string(),
    );
    harness.fake.add_template(
        TemplateSource::Url(format!(
            "https://convox.s3.amazonaws.com/release/{RELEASE}/formation.json"
        )),
        template,
    );
    harness
        .fake
        .add_alarm(ACCOUNT, REGION, ALARM, AlarmState::Ok);
    harness
}

fn declare(harness: &Harness, settings: &str) {
    harness.declare(
        &format!("version = \"{RELEASE}\""),
        &format!(
            "[rollout]\nalarms = [\"rack-{{name}}-5xx\"]\nrollback_alarms = true\nrollback_monitoring = \"10m\"\n\
             [[rack]]\nname = \"web\"\n{settings}"
        ),
    );
}

#[tokio::test(start_paused = true)]
async fn apply_installs_stack_options_reads_them_back_and_applies_each_change_by_its_own_call() {
    let harness = harness();
    let options = harness.options();
    declare(
        &harness,
        &format!("notification_arns = [\"{TOPIC}\"]\nstack_policy = \"convox-stateful\"\n"),
    );
    let (code, output) = harness.apply(&options).await;
    stable_snapshots(harness.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @"
            exit: 0
            --- output
            Read account 123456789012 (org personal): us-east-1

            Wave 1 of 1: *
                1 rack to change, stops at the first failure

            + personal/web (us-east-1) will be installed
                template: https://convox.s3.amazonaws.com/release/20261102160040/formation.json
                InstanceCount: 3 (template default)
                InstanceType: t2.small (template default)
                Private: No (template default)
                Version: 20261102160040
                Password: (sensitive, generated and printed once at install)
                tags: System=convox, Type=rack
                notification topics: arn:aws:sns:us-east-1:123456789012:racks
                stack policy (convox-stateful): denies Update:Replace, Update:Delete on Builds, LogGroup, Settings, Volumes
                rollback triggers: alarms rack-web-5xx, monitored 10m after
                budget: up to 30m

            Plan: 1 to install, 0 to update, 0 unchanged, 0 blocked.
            warning: personal/web: its generated API password will be printed below, and stdout is not a terminal (a CI log?); set `password_ssm` to keep it in SSM Parameter Store instead

            Wave 1 of 1: *: starting, 1 rack to change
            personal/web: installing (6 resources)
            personal/web: CREATE_IN_PROGRESS
            personal/web: Created VPC: vpc-0
            personal/web: Created S3 Bucket: settings-1
            personal/web: Created DynamoDB Table: builds-2
            personal/web: Created EFS Filesystem: volumes-3
            personal/web: Created CloudWatch Log Group: loggroup-4
            personal/web: Created ECS Cluster: cluster-5
            personal/web: CREATE_COMPLETE
            personal/web: installed in [time]
            Wave 1: every rack done, 0 failed (0 tolerated)

            Apply complete: 1 installed, 0 updated, 0 failed.
                personal/web: installed in [time]

            Password for personal/web (shown only this once; store it now): [password]
            Dashboard: web.example.elb.amazonaws.com
            "));
    let protects = "denies Update:Replace, Update:Delete on Builds, LogGroup, Settings, Volumes";
    let created = &harness.fake.creates()[0];
    assert_eq!(
        created.options.notification_arns,
        Some(vec![TOPIC.to_string()])
    );
    assert_eq!(
        created.options.rollback,
        Some(RollbackConfiguration {
            alarm_arns: vec![format!(
                "arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{ALARM}"
            )],
            monitoring_minutes: 10,
        })
    );
    let policy = harness.fake.stack_policy(ACCOUNT, REGION, "web").unwrap();
    assert_eq!(Some(&policy), created.options.stack_policy_body.as_ref());
    let web = harness.stack("web").unwrap();
    assert_eq!(web.notification_arns, [TOPIC]);
    assert_eq!(web.rollback, created.options.rollback);

    // Read back (DescribeStacks, GetStackPolicy): nothing to do.
    assert_eq!(harness.plan().await.racks[0].action, Action::Unchanged);

    // A policy file of the same protection, written otherwise, is no change either; one that protects
    // less is SetStackPolicy alone.
    let policy_value: serde_json::Value = serde_json::from_str(&policy).unwrap();
    std::fs::write(
        harness.dir.path().join("same.json"),
        serde_json::to_string(&policy_value).unwrap(),
    )
    .unwrap();
    declare(
        &harness,
        &format!("notification_arns = [\"{TOPIC}\"]\nstack_policy = \"same.json\"\n"),
    );
    assert_eq!(harness.plan().await.racks[0].action, Action::Unchanged);
    let less = r#"{"Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "Update:Delete", "Principal": "*", "Resource": "LogicalResourceId/Settings"}]}"#;
    std::fs::write(harness.dir.path().join("less.json"), less).unwrap();
    declare(
        &harness,
        &format!("notification_arns = [\"{TOPIC}\"]\nstack_policy = \"less.json\"\n"),
    );
    let plan = harness.plan().await;
    let Action::Update(update) = &plan.racks[0].action else {
        panic!("an update: {:?}", plan.racks[0].action);
    };
    assert_eq!(
        update
            .changes
            .iter()
            .map(|c| (c.kind, c.before.as_deref(), c.after.as_deref()))
            .collect::<Vec<_>>(),
        [(
            ChangeKind::StackPolicy,
            Some(protects),
            Some("denies Update:Delete on Settings")
        )]
    );
    let updates_before = harness.fake.updates().len();
    let (code, output) = harness.apply(&options).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(
        harness.fake.stack_policy(ACCOUNT, REGION, "web").as_deref(),
        Some(less)
    );
    assert_eq!(
        harness.fake.updates().len(),
        updates_before,
        "no UpdateStack"
    );
    assert!(
        harness
            .fake
            .calls()
            .iter()
            .any(|call| call.operation == "SetStackPolicy")
    );

    // No topic any more: an UpdateStack that passes an empty list.
    declare(
        &harness,
        "notification_arns = []\nstack_policy = \"less.json\"\n",
    );
    let (code, output) = harness.apply(&options).await;
    stable_snapshots(harness.dir.path()).bind(|| {
        insta::assert_snapshot!(exit_and_output(code, &output), @"
            exit: 0
            --- output
            Read account 123456789012 (org personal): us-east-1

            Wave 1 of 1: *
                1 rack to change, stops at the first failure

            ~ personal/web (us-east-1) will be updated
                notification topics: arn:aws:sns:us-east-1:123456789012:racks -> (none)
                budget: up to 5m

            Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

            Wave 1 of 1: *: starting, 1 rack to change
            personal/web: updating (6 resources)
            personal/web: UPDATE_IN_PROGRESS
            personal/web: Updated VPC: vpc-0
            personal/web: Updated S3 Bucket: settings-1
            personal/web: Updated DynamoDB Table: builds-2
            personal/web: Updated EFS Filesystem: volumes-3
            personal/web: Updated CloudWatch Log Group: loggroup-4
            personal/web: Updated ECS Cluster: cluster-5
            personal/web: UPDATE_COMPLETE
            personal/web: updated in [time]
            Wave 1: every rack done, 0 failed (0 tolerated)

            Apply complete: 0 installed, 1 updated, 0 failed.
                personal/web: updated in [time]
            ")
    });
    assert_eq!(harness.fake.updates().len(), updates_before + 1);
    assert!(harness.stack("web").unwrap().notification_arns.is_empty());
    assert_eq!(harness.plan().await.racks[0].action, Action::Unchanged);
}
