//! Convox's own operations around a rack that rackfile did not start, against the strict fake on tokio's
//! paused clock: `events` explains an update another tool started and that failed; `status` says
//! `converging` while an update replaces instances and where to look when the last operation failed;
//! `cancel` cancels someone else's update and follows its rollback, and refuses what it cannot cancel.

use std::collections::BTreeMap;
use std::time::Duration;

use rackfile::cli::commands::cancel::{self, CancelOptions};
use rackfile::cli::commands::events::{self as events_command, EventsOptions};
use rackfile::cli::commands::status::{self as status_command, StatusOptions};
use rackfile::cloud::{Cloud, ParameterValue, TemplateSource, UpdateStackRequest};
use rackfile::history::{OperationKind, OperationOutcome};
use rackfile::render::RenderError as _;
use rackfile_fake::ROLLING_UPDATE_REASON;

use crate::common::{exit_and_output, stable_snapshots};
use crate::fake_harness::{ACCOUNT, Harness, REGION, TEMPLATE_URL, console};

const RESOURCE_TIME: Duration = Duration::from_secs(1);
/// A rack whose instances are an AutoScalingGroup, as Convox's are (`Instances`).
const RESOURCES: [(&str, &str); 3] = [
    ("Vpc", "AWS::EC2::VPC"),
    ("Instances", "AWS::AutoScaling::AutoScalingGroup"),
    ("Cluster", "AWS::ECS::Cluster"),
];

/// Racks `web` and `api`, both live and complete.
async fn setup() -> Harness {
    let harness = Harness::with_rack_template(RESOURCE_TIME, &RESOURCES);
    harness.declare(
        "version = \"20161102160040\"",
        &format!(
            "[[rack]]\nname = \"web\"\ntemplate_url = \"{TEMPLATE_URL}\"\n\n\
             [[rack]]\nname = \"api\"\ntemplate_url = \"{TEMPLATE_URL}\"\n"
        ),
    );
    for name in ["web", "api"] {
        harness
            .seed_rack(
                name,
                TemplateSource::Url(TEMPLATE_URL.into()),
                &[("Version", "20161102160040"), ("Password", "secret")],
            )
            .await;
        tokio::time::sleep(RESOURCE_TIME * 4).await;
        // The fake writes a stack's events when it is next read, with that time: read now, so that each
        // event has about the time it would have on AWS.
        assert!(harness.stack(name).is_some());
    }
    harness
}

/// An update of `name` to `count` instances as another tool (`convox rack params set`) sends it.
async fn update_elsewhere(harness: &Harness, name: &str, count: &str) {
    let cloud = harness.fake.cloud_for(ACCOUNT, REGION);
    let parameters: BTreeMap<String, ParameterValue> = [
        ("Version", ParameterValue::Value("20161102160040".into())),
        ("InstanceCount", ParameterValue::Value(count.into())),
        ("Password", ParameterValue::UsePrevious),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let tags = harness.stack(name).unwrap().tags;
    cloud
        .update_stack(&UpdateStackRequest {
            name: name.into(),
            template: TemplateSource::Url(TEMPLATE_URL.into()),
            parameters,
            tags,
            role_arn: None,
            options: Default::default(),
            token: "convox-cli".into(),
        })
        .await
        .unwrap();
}

fn events_options(harness: &Harness, targets: &[&str]) -> EventsOptions {
    EventsOptions {
        file: harness.racks_file(),
        targets: targets.iter().map(|t| t.parse().unwrap()).collect(),
        since: None,
        json: false,
    }
}

fn status_options(harness: &Harness) -> StatusOptions {
    StatusOptions {
        file: harness.racks_file(),
        json: false,
    }
}

fn cancel_options(harness: &Harness, targets: &[&str], wait: bool) -> CancelOptions {
    let timings = harness.options().timings;
    CancelOptions {
        file: harness.racks_file(),
        targets: targets.iter().map(|t| t.parse().unwrap()).collect(),
        auto_approve: true,
        wait,
        timings,
    }
}

#[tokio::test(start_paused = true)]
async fn events_explain_an_update_another_tool_started_and_that_failed() {
    let harness = setup().await;
    harness.fake.fail_resource("web", "Instances");
    update_elsewhere(&harness, "web", "5").await;
    tokio::time::sleep(RESOURCE_TIME * 10).await;
    assert_eq!(
        harness.stack("web").unwrap().status.as_str(),
        "UPDATE_ROLLBACK_COMPLETE"
    );

    let histories = events_command::read(&events_options(&harness, &[]), &harness.fake)
        .await
        .unwrap();
    assert_eq!(histories.len(), 2);
    let web = &histories[0];
    let operation = web.last_operation.as_ref().unwrap();
    assert_eq!(operation.kind, OperationKind::Update);
    assert_eq!(operation.outcome, OperationOutcome::RolledBack);
    assert!(operation.complete);
    let cause = operation.root_cause.as_ref().unwrap();
    assert_eq!(
        (cause.logical_id.as_str(), cause.status.as_str()),
        ("Instances", "UPDATE_FAILED")
    );
    // The recent events are the update's, from its start to its rollback's end.
    assert_eq!(web.recent.first().unwrap().status, "UPDATE_IN_PROGRESS");
    assert_eq!(
        web.recent.last().unwrap().status,
        "UPDATE_ROLLBACK_COMPLETE"
    );
    assert!(web.recent.iter().all(|e| e.status != "CREATE_COMPLETE"));
    // The other rack's last operation is its install, which succeeded.
    let api = histories[1].last_operation.as_ref().unwrap();
    assert_eq!(
        (api.kind, api.outcome),
        (OperationKind::Create, OperationOutcome::Succeeded)
    );

    let text = rackfile::render::events::text(&histories);
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(&text, @r#"
        personal/web  running (UPDATE_ROLLBACK_COMPLETE, us-east-1)
          last operation: update (UpdateStack), started [timestamp]: failed or cancelled, and rolled back: the rack runs as before it
          root cause: Instances (AWS::AutoScaling::AutoScalingGroup) UPDATE_FAILED: Resource creation cancelled: the fake was told to fail it
          events:
            [timestamp]  UPDATE_IN_PROGRESS  web (AWS::CloudFormation::Stack): User Initiated
            [timestamp]  UPDATE_IN_PROGRESS  Vpc (AWS::EC2::VPC)
            [timestamp]  UPDATE_COMPLETE  Vpc (AWS::EC2::VPC)
            [timestamp]  UPDATE_IN_PROGRESS  Instances (AWS::AutoScaling::AutoScalingGroup)
            [timestamp]  UPDATE_FAILED  Instances (AWS::AutoScaling::AutoScalingGroup): Resource creation cancelled: the fake was told to fail it
            [timestamp]  UPDATE_ROLLBACK_IN_PROGRESS  web (AWS::CloudFormation::Stack): The following resource(s) failed to create: [Instances].
            [timestamp]  UPDATE_ROLLBACK_COMPLETE  web (AWS::CloudFormation::Stack)

        personal/api  running (CREATE_COMPLETE, us-east-1)
          last operation: install (CreateStack), started [timestamp]: succeeded
          events:
            [timestamp]  CREATE_IN_PROGRESS  api (AWS::CloudFormation::Stack): User Initiated
            [timestamp]  CREATE_IN_PROGRESS  Vpc (AWS::EC2::VPC)
            [timestamp]  CREATE_COMPLETE  Vpc (AWS::EC2::VPC)
            [timestamp]  CREATE_IN_PROGRESS  Instances (AWS::AutoScaling::AutoScalingGroup)
            [timestamp]  CREATE_COMPLETE  Instances (AWS::AutoScaling::AutoScalingGroup)
            [timestamp]  CREATE_IN_PROGRESS  Cluster (AWS::ECS::Cluster)
            [timestamp]  CREATE_COMPLETE  Cluster (AWS::ECS::Cluster)
            [timestamp]  CREATE_COMPLETE  api (AWS::CloudFormation::Stack)
        "#));
    let json: serde_json::Value =
        serde_json::from_str(&rackfile::render::events::json(&histories)).unwrap();
    assert_eq!(json["racks"][0]["last_operation"]["outcome"], "rolled_back");
    assert_eq!(
        json["racks"][0]["last_operation"]["root_cause"]["logical_id"],
        "Instances"
    );

    // `status` says where to look.
    let rows = status_command::read(&status_options(&harness), &harness.fake)
        .await
        .unwrap();
    assert!(rows[0].last_operation_failed);
    assert!(!rows[1].last_operation_failed);
    let table = rackfile::render::status::table(&rows);
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(&table, @r#"
        RACK          STATUS                                                 VERSION         LATEST  REGION     COUNT  TYPE      ENDPOINT
        personal/web  running, last update rolled back: see rackfile events  20161102160040  -       us-east-1  3      t2.small  web.example.elb.amazonaws.com
        personal/api  running                                                20161102160040  -       us-east-1  3      t2.small  api.example.elb.amazonaws.com
        "#));

    // `--target` reads only that rack; `--since` shows every event of the while asked, the install's too.
    let mut options = events_options(&harness, &["personal/api"]);
    options.since = Some(Duration::from_secs(24 * 3600));
    let histories = events_command::read(&options, &harness.fake).await.unwrap();
    assert_eq!(histories.len(), 1);
    assert_eq!(histories[0].recent[0].status, "CREATE_IN_PROGRESS");
    options.since = Some(Duration::from_secs(1));
    let histories = events_command::read(&options, &harness.fake).await.unwrap();
    assert!(histories[0].recent.is_empty(), "{:?}", histories[0].recent);
}

#[tokio::test(start_paused = true)]
async fn status_and_events_of_a_failed_rollback_say_failed_and_the_way_out() {
    let harness = setup().await;
    harness
        .fake
        .set_status(ACCOUNT, REGION, "web", "UPDATE_ROLLBACK_FAILED");
    let rows = status_command::read(&status_options(&harness), &harness.fake)
        .await
        .unwrap();
    let table = rackfile::render::status::table(&rows);
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(&table, @r#"
        RACK          STATUS                       VERSION         LATEST  REGION     COUNT  TYPE      ENDPOINT
        personal/web  failed: see rackfile events  20161102160040  -       us-east-1  3      t2.small  web.example.elb.amazonaws.com
        personal/api  running                      20161102160040  -       us-east-1  3      t2.small  api.example.elb.amazonaws.com
        "#));
    let histories =
        events_command::read(&events_options(&harness, &["personal/web"]), &harness.fake)
            .await
            .unwrap();
    let text = rackfile::render::events::text(&histories);
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(&text, @r#"
        personal/web  failed (UPDATE_ROLLBACK_FAILED, us-east-1)
          last operation: update (UpdateStack), started by [timestamp] (its start is not among the events read): failed
          way out: `rackfile apply --recover` continues the rollback
        "#));
}

#[tokio::test(start_paused = true)]
async fn status_says_converging_only_while_an_update_replaces_instances() {
    let harness = setup().await;
    // The AutoScalingGroup takes long: CloudFormation says it is rolling through the instances.
    harness
        .fake
        .slow_resource("web", "Instances", Duration::from_secs(60));
    update_elsewhere(&harness, "web", "5").await;
    tokio::time::sleep(RESOURCE_TIME * 2).await;
    let rows = status_command::read(&status_options(&harness), &harness.fake)
        .await
        .unwrap();
    assert_eq!(
        rows[0].stack_status.as_ref().unwrap().as_str(),
        "UPDATE_IN_PROGRESS"
    );
    assert_eq!(rows[0].status, "converging");
    assert_eq!(rows[1].status, "running");
    let events = harness
        .fake
        .cloud_for(ACCOUNT, REGION)
        .stack_events("web")
        .await
        .unwrap();
    assert_eq!(events[0].reason.as_deref(), Some(ROLLING_UPDATE_REASON));

    // Only the updating rack's events were read.
    let reads = |harness: &Harness| {
        harness
            .fake
            .calls()
            .iter()
            .filter(|call| call.operation == "DescribeStackEvents")
            .count()
    };
    let before = reads(&harness);
    status_command::read(&status_options(&harness), &harness.fake)
        .await
        .unwrap();
    assert_eq!(reads(&harness) - before, 1);

    // Once the group is done, the update goes on (updating), then completes (running), with no call more.
    tokio::time::sleep(Duration::from_secs(61)).await;
    let rows = status_command::read(&status_options(&harness), &harness.fake)
        .await
        .unwrap();
    assert_ne!(rows[0].status, "converging");
    tokio::time::sleep(RESOURCE_TIME * 4).await;
    let before = reads(&harness);
    let rows = status_command::read(&status_options(&harness), &harness.fake)
        .await
        .unwrap();
    assert_eq!(rows[0].status, "running");
    assert_eq!(
        reads(&harness),
        before,
        "a rack at rest costs no events read"
    );
}

#[tokio::test(start_paused = true)]
async fn cancel_cancels_an_update_another_tool_started_and_follows_its_rollback() {
    let harness = setup().await;
    harness
        .fake
        .slow_resource("web", "Instances", Duration::from_secs(600));
    update_elsewhere(&harness, "web", "5").await;
    tokio::time::sleep(RESOURCE_TIME * 3).await;
    assert_eq!(
        harness.stack("web").unwrap().parameters["InstanceCount"],
        "5"
    );

    let (sender, cancel) = tokio::sync::watch::channel(0u8);
    let (mut console, buffer) = console();
    let outcome = cancel::run(
        &cancel_options(&harness, &["personal/web"], true),
        &harness.fake,
        &mut console,
        cancel,
    )
    .await
    .unwrap();
    drop(sender);
    let output = buffer.text();
    let stack = harness.stack("web").unwrap();
    assert_eq!(stack.status.as_str(), "UPDATE_ROLLBACK_COMPLETE");
    assert_eq!(stack.parameters["InstanceCount"], "3", "rolled back");
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(outcome.exit_code(), &output), @r#"
        exit: 0
        --- output
        CancelUpdateStack stops each update and rolls the rack back to its previous template and parameters:
          personal/web: UPDATE_IN_PROGRESS for [time] (since [timestamp], version 20161102160040)
        personal/web: cancelled (CancelUpdateStack): following the rollback
        personal/web: Failed AutoScalingGroup: Resource update cancelled
        personal/web: UPDATE_ROLLBACK_IN_PROGRESS: User Initiated
        personal/web: Updated AutoScalingGroup: instances-0
        personal/web: Updated VPC: vpc-1
        personal/web: UPDATE_ROLLBACK_COMPLETE
        personal/web: cancelled after [time]; rolled back in [time]

        Cancel complete: 1 of 1 cancelled.
            personal/web: cancelled after [time]; rolled back in [time]
        "#));
    let cancels: Vec<_> = harness
        .fake
        .calls()
        .into_iter()
        .filter(|call| call.operation == "CancelUpdateStack")
        .collect();
    assert_eq!(cancels.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn cancel_without_wait_returns_once_cloudformation_accepts_it() {
    let harness = setup().await;
    harness
        .fake
        .slow_resource("web", "Instances", Duration::from_secs(600));
    update_elsewhere(&harness, "web", "5").await;
    tokio::time::sleep(RESOURCE_TIME * 3).await;
    let (_sender, cancel) = tokio::sync::watch::channel(0u8);
    let (mut console, buffer) = console();
    let outcome = cancel::run(
        &cancel_options(&harness, &["personal/web"], false),
        &harness.fake,
        &mut console,
        cancel,
    )
    .await
    .unwrap();
    let output = buffer.text();
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(outcome.exit_code(), &output), @r#"
        exit: 0
        --- output
        CancelUpdateStack stops each update and rolls the rack back to its previous template and parameters:
          personal/web: UPDATE_IN_PROGRESS for [time] (since [timestamp], version 20161102160040)

        Cancel complete: 1 of 1 cancelled.
            personal/web: cancel requested; CloudFormation is rolling the update back (`rackfile status` shows it, `rackfile events` its events)
        "#));
    assert_eq!(
        harness.stack("web").unwrap().status.as_str(),
        "UPDATE_ROLLBACK_IN_PROGRESS"
    );
}

#[tokio::test(start_paused = true)]
async fn cancel_refuses_racks_it_cannot_cancel_and_sends_nothing() {
    let harness = setup().await;
    harness
        .fake
        .slow_resource("web", "Instances", Duration::from_secs(600));
    update_elsewhere(&harness, "web", "5").await;
    tokio::time::sleep(RESOURCE_TIME * 3).await;

    // `api` is at rest: neither rack is cancelled, though `web` could be.
    let (_sender, cancel) = tokio::sync::watch::channel(0u8);
    let (mut console, _buffer) = console();
    let error = cancel::run(
        &cancel_options(&harness, &["personal/web", "personal/api"], true),
        &harness.fake,
        &mut console,
        cancel.clone(),
    )
    .await
    .unwrap_err();
    assert_eq!(error.exit_code(), 1);
    let text = error.render();
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(&text, @r#"
        error: nothing was cancelled:
          personal/api: no update is in progress (the stack is CREATE_COMPLETE)
           = help: `rackfile status` shows what each rack is doing, `rackfile events` its last operation
        "#));
    assert!(!text.contains("personal/web:"), "{text}");

    // A rack racks.toml does not declare.
    let error = cancel::run(
        &cancel_options(&harness, &["personal/other"], true),
        &harness.fake,
        &mut console,
        cancel.clone(),
    )
    .await
    .unwrap_err();
    assert_eq!(error.exit_code(), 1);
    stable_snapshots(harness.dir.path()).bind(|| {
        insta::assert_snapshot!(error.render(), @r#"
        error: --target personal/other: no such rack in [dir]/racks.toml
           = help: did you mean `personal/web`?
        "#)
    });

    // Without --auto-approve and without a terminal it asks nobody and refuses.
    let mut options = cancel_options(&harness, &["personal/web"], true);
    options.auto_approve = false;
    let error = cancel::run(&options, &harness.fake, &mut console, cancel)
        .await
        .unwrap_err();
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(error.render(), @r#"
        error: cancel needs a confirmation, and stdin is not a terminal; nothing was cancelled
           = help: check the racks above, then run `rackfile cancel --auto-approve` with the same targets
        "#));
    assert!(
        !harness
            .fake
            .calls()
            .iter()
            .any(|call| call.operation == "CancelUpdateStack"),
        "nothing was sent"
    );
    assert_eq!(
        harness.stack("web").unwrap().status.as_str(),
        "UPDATE_IN_PROGRESS"
    );
}

#[tokio::test(start_paused = true)]
async fn apply_recover_skip_continues_a_failed_rollback_past_failed_resources_only() {
    let harness = setup().await;
    harness
        .fake
        .fail_rollback(ACCOUNT, REGION, "web", "Instances");
    let continues = |harness: &Harness| {
        harness
            .fake
            .calls()
            .iter()
            .filter(|call| call.operation == "ContinueUpdateRollback")
            .count()
    };
    let mut options = harness.options();
    options.targets = vec!["personal/web".parse().unwrap()];
    options.recover = true;

    // A resource that did not fail is refused by name, and nothing is sent.
    options.skip = vec!["Vpc".into(), "Instances".into()];
    let (code, output) = harness.apply(&options).await;
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @"
        exit: 1
        --- output
        Read account 123456789012 (org personal): us-east-1

        ↺ personal/web (us-east-1) will continue its rollback
            UPDATE_ROLLBACK_FAILED: ContinueUpdateRollback, followed to UPDATE_ROLLBACK_COMPLETE; then the rack is planned again and its update, if any, applied

        Plan: 0 to install, 0 to update, 1 to continue rollback, 0 unchanged, 0 blocked.
        error: --skip: personal/web: only a resource that itself failed can be skipped, not Vpc (CREATE_COMPLETE); nothing was changed
           = help: `rackfile events --target personal/web` names the failed resources
        "));
    assert_eq!(continues(&harness), 0);

    // Without --skip the rollback fails on the same resource again.
    options.skip = Vec::new();
    let (code, output) = harness.apply(&options).await;
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @"
        exit: 1
        --- output
        Read account 123456789012 (org personal): us-east-1

        ↺ personal/web (us-east-1) will continue its rollback
            UPDATE_ROLLBACK_FAILED: ContinueUpdateRollback, followed to UPDATE_ROLLBACK_COMPLETE; then the rack is planned again and its update, if any, applied

        Plan: 0 to install, 0 to update, 1 to continue rollback, 0 unchanged, 0 blocked.

        personal/web: continuing the rollback
        personal/web: UPDATE_ROLLBACK_IN_PROGRESS
        personal/web: Updated VPC: vpc-0
        personal/web: Failed AutoScalingGroup: Resource creation cancelled: the fake was told to fail it
        personal/web: UPDATE_ROLLBACK_FAILED
        personal/web: failed after [time]: the rollback could not be continued; the stack is UPDATE_ROLLBACK_FAILED; root cause: Instances (AWS::AutoScaling::AutoScalingGroup): Resource creation cancelled: the fake was told to fail it

        Apply failed: 0 installed, 0 updated, 1 failed.
            personal/web: failed after [time]: the rollback could not be continued; the stack is UPDATE_ROLLBACK_FAILED; root cause: Instances (AWS::AutoScaling::AutoScalingGroup): Resource creation cancelled: the fake was told to fail it
        "));
    assert_eq!(
        harness.stack("web").unwrap().status.as_str(),
        "UPDATE_ROLLBACK_FAILED"
    );

    // Skipping it: the consequence is printed, the rollback completes.
    options.skip = vec!["Instances".into()];
    let (code, output) = harness.apply(&options).await;
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @"
        exit: 0
        --- output
        Read account 123456789012 (org personal): us-east-1

        ↺ personal/web (us-east-1) will continue its rollback
            UPDATE_ROLLBACK_FAILED: ContinueUpdateRollback, followed to UPDATE_ROLLBACK_COMPLETE; then the rack is planned again and its update, if any, applied

        Plan: 0 to install, 0 to update, 1 to continue rollback, 0 unchanged, 0 blocked.

        --skip: the rollback of personal/web goes on without rolling back Instances (AWS::AutoScaling::AutoScalingGroup, UPDATE_FAILED).
          CloudFormation marks each skipped resource UPDATE_COMPLETE and leaves it as it is, not as it was before the update: the stack may drift from its template, and a later update that reaches it may fail on it again. Only this apply skips it; another needs --skip again.

        personal/web: continuing the rollback, skipping Instances (left as it is)
        personal/web: UPDATE_ROLLBACK_IN_PROGRESS
        personal/web: Updated AutoScalingGroup: Instances
        personal/web: Updated VPC: vpc-0
        personal/web: Updated ECS Cluster: cluster-1
        personal/web: UPDATE_ROLLBACK_COMPLETE
        personal/web: rollback continued to UPDATE_ROLLBACK_COMPLETE in [time]; `rackfile plan` shows what is left to apply

        Apply complete: 0 installed, 0 updated, 1 recovered, 0 failed.
            personal/web: rollback continued to UPDATE_ROLLBACK_COMPLETE in [time]; `rackfile plan` shows what is left to apply
        "));
    assert_eq!(
        harness.stack("web").unwrap().status.as_str(),
        "UPDATE_ROLLBACK_COMPLETE"
    );
    assert_eq!(
        harness.fake.skipped(),
        [
            ("web".to_string(), Vec::<String>::new()),
            ("web".to_string(), vec!["Instances".to_string()])
        ]
    );

    // No rack continues a rollback now: --skip is refused, not ignored.
    let (code, output) = harness.apply(&options).await;
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @"
        exit: 1
        --- output
        Read account 123456789012 (org personal): us-east-1

          personal/web (us-east-1) no changes
            note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)

        Plan: 0 to install, 0 to update, 1 unchanged, 0 blocked.
        error: --skip: no rack of this apply continues a rollback (a rack in UPDATE_ROLLBACK_FAILED, with --recover); nothing was changed
           = help: `rackfile status` shows which racks failed
        "));
}

#[tokio::test(start_paused = true)]
async fn cancel_arriving_after_the_update_completed_is_reported_as_refused_exit_1() {
    let harness = setup().await;
    harness
        .fake
        .slow_resource("web", "Instances", Duration::from_secs(600));
    update_elsewhere(&harness, "web", "5").await;
    tokio::time::sleep(RESOURCE_TIME * 3).await;
    // The update completes between rackfile's read and its CancelUpdateStack, which AWS then refuses.
    harness.fake.finish_before_cancel("web");
    let (_sender, cancel) = tokio::sync::watch::channel(0u8);
    let (mut console, buffer) = console();
    let outcome = cancel::run(
        &cancel_options(&harness, &["personal/web"], true),
        &harness.fake,
        &mut console,
        cancel,
    )
    .await
    .unwrap();
    let output = buffer.text();
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(outcome.exit_code(), &output), @r#"
        exit: 1
        --- output
        CancelUpdateStack stops each update and rolls the rack back to its previous template and parameters:
          personal/web: UPDATE_IN_PROGRESS for [time] (since [timestamp], version 20161102160040)

        Cancel failed: 0 of 1 cancelled.
            personal/web: failed after [time]: CancelUpdateStack refused (ValidationError: CancelUpdateStack cannot be called from current stack status): the update is no longer in progress, nothing was cancelled; the stack is UPDATE_COMPLETE
        "#));
    assert_eq!(
        harness.stack("web").unwrap().parameters["InstanceCount"],
        "5"
    );
}
