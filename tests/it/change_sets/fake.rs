//! CloudFormation's own view (`plan --changeset`, always under `apply --auto-approve=in-place`) against the
//! strict fake, whose change sets say what a test scripts of the resources both templates keep: where the
//! change set and the analysis disagree in each direction, a saved plan's change set executed or refused,
//! an interrupted plan, and a change set that finds nothing to change.

use std::collections::BTreeMap;
use std::time::Duration;

use rackfile::cli::options::Approval;
use rackfile::cloud::{ChangeDetail, Replacement, ResourceChange, TemplateSource};
use rackfile::live::ChangeSetLedger;
use rackfile::plan::change_set::{Agreement, CheckStatus};
use rackfile::plan::{Action, ChangeSets, Plan, PlanInputs, make_plan};
use rackfile::render::RenderError as _;
use rackfile_fake::FakeTemplate;

use crate::common::{exit_and_output, stable_snapshots};
use crate::fake_harness::{ACCOUNT, Harness, REGION};

/// A rack's shape: a launch configuration (InstanceType is create-only in it) rolled into an
/// AutoScalingGroup one instance at a time, and a log group. Key reaches nothing the analysis can see.
fn template_body() -> String {
    let mut parameters = serde_json::Map::new();
    for (name, default) in [
        ("Ami", Some("")),
        ("Autoscale", Some("No")),
        ("InstanceCount", Some("3")),
        ("InstanceType", Some("t2.small")),
        ("Key", Some("")),
        ("Private", Some("No")),
        ("Version", None),
    ] {
        let mut declared = serde_json::json!({"Type": "String"});
        if let Some(default) = default {
            declared["Default"] = default.into();
        }
        parameters.insert(name.into(), declared);
    }
    parameters.insert(
        "Password".into(),
        serde_json::json!({"Type": "String", "NoEcho": true}),
    );
    serde_json::json!({
        "Parameters": parameters,
        "Resources": {
            "LaunchConfiguration": {
                "Type": "AWS::AutoScaling::LaunchConfiguration",
                "Properties": {"ImageId": "ami-0aaa", "InstanceType": {"Ref": "InstanceType"}}
            },
            "Instances": {
                "Type": "AWS::AutoScaling::AutoScalingGroup",
                "Properties": {
                    "LaunchConfigurationName": {"Ref": "LaunchConfiguration"},
                    "MinSize": "1",
                    "MaxSize": "10",
                    "DesiredCapacity": {"Ref": "InstanceCount"}
                },
                "UpdatePolicy": {
                    "AutoScalingRollingUpdate": {"MaxBatchSize": "1", "PauseTime": "PT5M"}
                }
            },
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}}
        }
    })
    .to_string()
}

/// A harness with one live rack `web` of that template, declared in racks.toml with `settings`.
async fn live_rack(settings: &str) -> Harness {
    let harness = Harness::new(Duration::ZERO);
    let body = template_body();
    let mut template = FakeTemplate::rack(&[]);
    template.resources = vec![
        (
            "LaunchConfiguration".into(),
            "AWS::AutoScaling::LaunchConfiguration".into(),
        ),
        (
            "Instances".into(),
            "AWS::AutoScaling::AutoScalingGroup".into(),
        ),
        ("Logs".into(), "AWS::Logs::LogGroup".into()),
    ];
    harness
        .fake
        .add_template(TemplateSource::Body(body.clone()), template);
    std::fs::write(harness.dir.path().join("rack.json"), &body).unwrap();
    harness
        .seed_rack(
            "web",
            TemplateSource::Body(body),
            &[("Version", "1"), ("Password", "secret")],
        )
        .await;
    harness.declare(
        "version = \"1\"",
        &format!("[[rack]]\nname = \"web\"\ntemplate = \"rack.json\"\n{settings}\n"),
    );
    harness
}

fn modify(
    logical_id: &str,
    resource_type: &str,
    replacement: Replacement,
    property: &str,
    recreation: &str,
    cause: (&str, Option<&str>),
) -> ResourceChange {
    ResourceChange {
        action: "Modify".into(),
        logical_id: logical_id.into(),
        resource_type: resource_type.into(),
        replacement: Some(replacement),
        scope: vec!["Properties".into()],
        details: vec![ChangeDetail {
            attribute: "Properties".into(),
            name: Some(property.into()),
            requires_recreation: Some(recreation.into()),
            evaluation: Some("Static".into()),
            change_source: Some(cause.0.into()),
            causing_entity: cause.1.map(str::to_string),
        }],
    }
}

async fn plan_with_change_sets(harness: &Harness, ledger: &ChangeSetLedger) -> Plan {
    let config = rackfile::config::load(&harness.racks_file()).unwrap();
    let inputs = PlanInputs {
        env: &|_| None,
        cache: None,
        change_sets: ChangeSets::Make {
            ledger,
            parallelism: 10,
        },
    };
    make_plan(&config, &[], false, &harness.fake, inputs)
        .await
        .unwrap_or_else(|error| panic!("{error:?}"))
}

fn operations(harness: &Harness, name: &str) -> usize {
    harness
        .fake
        .calls()
        .iter()
        .filter(|call| call.operation == name)
        .count()
}

/// The analysis sees Key reach nothing; CloudFormation says the launch configuration is replaced because
/// of it. The analysis is run again with that: the group's instances roll. In-place approval holds the
/// rack, and the plan shows both views with the change set's cause.
#[tokio::test(start_paused = true)]
async fn plan_changeset_a_replacement_only_cloudformation_sees_holds_the_rack_shows_both_views() {
    let harness = live_rack("[rack.parameters]\nKey = \"deploy\"").await;
    harness.fake.script_change_set(
        "web",
        vec![modify(
            "LaunchConfiguration",
            "AWS::AutoScaling::LaunchConfiguration",
            Replacement::True,
            "ImageId",
            "Always",
            ("ParameterReference", Some("Key")),
        )],
    );
    // Without the change set, the analysis alone calls it in place.
    let plan = harness.plan().await;
    assert!(!plan.racks[0].is_held(), "{:?}", plan.racks[0].hold);

    let ledger = ChangeSetLedger::default();
    let plan = plan_with_change_sets(&harness, &ledger).await;
    let rack = &plan.racks[0];
    let Action::Update(update) = &rack.action else {
        panic!("{:?}", rack.action);
    };
    let check = update.change_set.as_ref().expect("a change set");
    assert_eq!(check.status, CheckStatus::Ready);
    let launch = &check.resources[0];
    assert_eq!(launch.logical_id, "LaunchConfiguration");
    assert_eq!(launch.agreement, Agreement::ChangeSetSaysMore);
    assert_eq!(launch.analysis, None);
    // The analysis run again follows the replacement to the group that refers to it.
    let Some(rackfile::plan::TemplateImpact::Analysed { resources, .. }) = &update.analysis else {
        panic!("{:?}", update.analysis);
    };
    let instances = resources
        .iter()
        .find(|impact| impact.logical_id == "Instances")
        .expect("the group is reached");
    assert!(instances.rolling.is_some(), "{instances:?}");
    assert!(rack.is_held());
    let snapshots = stable_snapshots(harness.dir.path());
    let words = rackfile::render::hold_words(rack);
    snapshots.bind(|| insta::assert_snapshot!(words, @"replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time; change set: LaunchConfiguration Modify Replacement True"));
    let human = rackfile::render::human_plan(&plan, rackfile::render::Style::Plain);
    snapshots.bind(|| insta::assert_snapshot!(human, @r#"
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            Key: "" -> deploy
              ↳ reaches no resource
            impact: replaces 1 resource, modifies 1 in place; rolling replacement of Instances, 1 at a time
            change set: LaunchConfiguration: CloudFormation says replace (Modify, Replacement True; ImageId from ParameterReference Key), the analysis said nothing
            rolling: 3 instances, 1 at a time, PT5M pause: up to 20m

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
        Disruptive: personal/web replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time
        "#));
    let markdown = rackfile::render::markdown_plan(&plan);
    snapshots.bind(|| insta::assert_snapshot!(markdown, @r#"
        ### rackfile plan

        **0 to install, 1 to update, 0 unchanged, 0 blocked.**

        | rack | action | what changes | impact | `--auto-approve=in-place` |
        |---|---|---|---|---|
        | `personal/web` (us-east-1) | update | Key: "" → deploy | replaces 1 resource, modifies 1 in place; rolling replacement of Instances, 1 at a time; budget up to 20m | **held** |

        - **Disruptive:** `personal/web` replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time

        - **Needs a person** (held by `--auto-approve=in-place`): `personal/web` replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time; change set: LaunchConfiguration Modify Replacement True

        **`personal/web`: the analysis and CloudFormation's change set**

        | resource | analysis | CloudFormation | verdict |
        |---|---|---|---|
        | `LaunchConfiguration` | nothing | replace (Modify, Replacement True; ImageId from ParameterReference Key) | CloudFormation says more |

        <details><summary><code>~ personal/web (us-east-1) will be updated</code></summary>

        ```
        ~ personal/web (us-east-1) will be updated
            Key: "" -> deploy
              ↳ reaches no resource
            impact: replaces 1 resource, modifies 1 in place; rolling replacement of Instances, 1 at a time
            change set: LaunchConfiguration: CloudFormation says replace (Modify, Replacement True; ImageId from ParameterReference Key), the analysis said nothing
            rolling: 3 instances, 1 at a time, PT5M pause: up to 20m
        ```

        </details>
        "#));
    let json: serde_json::Value =
        serde_json::from_str(&rackfile::render::json_plan(&plan)).unwrap();
    let checked = &json["racks"][0]["change_set"]["resources"][0];
    assert_eq!(checked["agreement"], "change_set_says_more");
    assert_eq!(checked["change_set"]["replacement"], "True");
    assert_eq!(checked["change_set"]["details"][0]["causing_entity"], "Key");

    assert!(ledger.delete_left().await.is_empty());
    // Under in-place approval apply holds it (exit 3), sends nothing, and leaves no change set.
    let mut options = harness.options();
    options.auto_approve = Some(Approval::InPlace);
    let (code, output) = harness.apply(&options).await;
    snapshots.bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
        exit: 3
        --- output
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            Key: "" -> deploy
              ↳ reaches no resource
            impact: replaces 1 resource, modifies 1 in place; rolling replacement of Instances, 1 at a time
            change set: LaunchConfiguration: CloudFormation says replace (Modify, Replacement True; ImageId from ParameterReference Key), the analysis said nothing
            rolling: 3 instances, 1 at a time, PT5M pause: up to 20m

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
        Disruptive: personal/web replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time

        personal/web: held for a person, nothing sent: replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time; change set: LaunchConfiguration Modify Replacement True

        Apply complete: 0 installed, 0 updated, 0 failed, 1 held for a person.
            personal/web: held for a person, nothing sent: replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time; change set: LaunchConfiguration Modify Replacement True

        Held for a person by --auto-approve=in-place (their changes are not all in place): personal/web. Review their plan, then apply them with `rackfile apply --target personal/web`, which asks for confirmation.
        "#));
    assert_eq!(operations(&harness, "UpdateStack"), 0);
    assert_eq!(operations(&harness, "ExecuteChangeSet"), 0);
    assert_eq!(harness.fake.change_sets(ACCOUNT, REGION), []);
}

/// A new instance type: the analysis replaces the launch configuration and rolls the group's instances;
/// CloudFormation agrees on the replacement and calls the group a plain Modify. The rolling replacement
/// is kept, "analysis only".
#[tokio::test(start_paused = true)]
async fn plan_changeset_a_rolling_replacement_the_change_set_calls_modify_is_kept() {
    let harness = live_rack("instance_type = \"m5.large\"").await;
    harness.fake.script_change_set(
        "web",
        vec![
            modify(
                "LaunchConfiguration",
                "AWS::AutoScaling::LaunchConfiguration",
                Replacement::True,
                "InstanceType",
                "Always",
                ("ParameterReference", Some("InstanceType")),
            ),
            modify(
                "Instances",
                "AWS::AutoScaling::AutoScalingGroup",
                Replacement::False,
                "LaunchConfigurationName",
                "Never",
                ("ResourceReference", Some("LaunchConfiguration")),
            ),
        ],
    );
    let ledger = ChangeSetLedger::default();
    let plan = plan_with_change_sets(&harness, &ledger).await;
    let Action::Update(update) = &plan.racks[0].action else {
        panic!("{:?}", plan.racks[0].action);
    };
    let check = update.change_set.as_ref().unwrap();
    let agreement: BTreeMap<&str, Agreement> = check
        .resources
        .iter()
        .map(|resource| (resource.logical_id.as_str(), resource.agreement))
        .collect();
    assert_eq!(
        agreement,
        BTreeMap::from([
            ("LaunchConfiguration", Agreement::Agrees),
            ("Instances", Agreement::AnalysisOnly),
        ])
    );
    assert!(check.agrees());
    let human = rackfile::render::human_plan(&plan, rackfile::render::Style::Plain);
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(human, @"
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            InstanceType: t2.small -> m5.large
              ↳ replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time
            impact: replaces 1 resource, modifies 1 in place; rolling replacement of Instances, 1 at a time
            change set: Instances: analysis only: rolling replacement of its instances (CloudFormation says modify in place)
            change set agrees on the other 1 resource
            rolling: 3 instances, 1 at a time, PT5M pause: up to 20m

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
        Disruptive: personal/web replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time
        "));
    assert!(
        plan.racks[0]
            .disruptions
            .iter()
            .any(|d| format!("{d:?}").contains("rolling")),
        "{:?}",
        plan.racks[0].disruptions
    );
    ledger.delete_left().await;
    assert_eq!(harness.fake.change_sets(ACCOUNT, REGION), []);
}

/// `plan --changeset --out` keeps the change set; `apply PLAN` executes exactly it (no UpdateStack, no
/// second CreateChangeSet). A plan whose stack changed after it was made is refused, naming the rack.
#[tokio::test(start_paused = true)]
async fn apply_a_saved_plan_executes_its_change_set_and_refuses_once_the_stack_changed() {
    for changed_after in [false, true] {
        let harness = live_rack("[rack.parameters]\nKey = \"deploy\"").await;
        let ledger = ChangeSetLedger::default();
        let plan = plan_with_change_sets(&harness, &ledger).await;
        let saved = harness.dir.path().join("web.plan");
        rackfile::plan::file::save(&plan, &saved, rackfile::render::json_plan).unwrap();
        ledger.keep();
        assert_eq!(harness.fake.change_sets(ACCOUNT, REGION).len(), 1);
        let creates = operations(&harness, "CreateChangeSet");
        if changed_after {
            // Someone updates the stack between the review and the apply.
            let cloud = harness.fake.cloud_for(ACCOUNT, REGION);
            let mut request = match &plan.racks[0].action {
                Action::Update(update) => update.request("web", "other".into()),
                other => panic!("{other:?}"),
            };
            request.parameters.insert(
                "Key".into(),
                rackfile::cloud::ParameterValue::Value("someone-else".into()),
            );
            rackfile::cloud::Cloud::update_stack(&cloud, &request)
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        let mut options = harness.options();
        options.source = rackfile::cli::options::ApplySource::SavedPlan(saved);
        options.auto_approve = None;
        let (code, output) = harness.apply(&options).await;
        assert_eq!(
            operations(&harness, "CreateChangeSet"),
            creates,
            "a saved plan's change set is executed, never made again"
        );
        let snapshots = stable_snapshots(harness.dir.path());
        if changed_after {
            snapshots.bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @"
                exit: 1
                --- output
                error: the saved plan is stale; nothing was changed
                    personal/web: CloudFormation's change set rackfile-[change-set] of the update failed: CREATE_COMPLETE (execution status OBSOLETE)
                   = help: run `rackfile plan --out PLANFILE` again, review it, and apply the new plan
                "));
            assert_eq!(operations(&harness, "ExecuteChangeSet"), 0);
        } else {
            snapshots.bind(|| {
                insta::assert_snapshot!(exit_and_output(code, &output), @r#"
                exit: 0
                --- output
                Applying the saved plan [dir]/web.plan.
                Read account 123456789012 (org personal): us-east-1

                ~ personal/web (us-east-1) will be updated
                    Key: "" -> deploy
                      ↳ reaches no resource
                    impact: no resource changes
                    change set agrees (rackfile-[change-set])
                    budget: up to 5m

                Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

                personal/web: updating (3 resources)
                personal/web: UPDATE_IN_PROGRESS
                personal/web: Updated AutoScalingGroup: instances-1
                personal/web: Updated CloudWatch Log Group: logs-2
                personal/web: UPDATE_COMPLETE
                personal/web: updated in [time]

                Apply complete: 0 installed, 1 updated, 0 failed.
                    personal/web: updated in [time]
                "#)
            });
            assert_eq!(operations(&harness, "ExecuteChangeSet"), 1);
            assert_eq!(operations(&harness, "UpdateStack"), 0);
            assert_eq!(
                harness.stack("web").unwrap().parameters["Key"],
                "deploy",
                "{output}"
            );
        }
        assert_eq!(harness.fake.change_sets(ACCOUNT, REGION), []);
    }
}

/// The same change set, no longer executable when applied (it was deleted behind rackfile's back): the
/// saved plan is refused naming the rack and AWS's reason.
#[tokio::test(start_paused = true)]
async fn apply_a_saved_plan_whose_change_set_is_gone_is_refused_naming_why() {
    let harness = live_rack("[rack.parameters]\nKey = \"deploy\"").await;
    let ledger = ChangeSetLedger::default();
    let plan = plan_with_change_sets(&harness, &ledger).await;
    let saved = harness.dir.path().join("web.plan");
    rackfile::plan::file::save(&plan, &saved, rackfile::render::json_plan).unwrap();
    ledger.delete_left().await;
    let mut options = harness.options();
    options.source = rackfile::cli::options::ApplySource::SavedPlan(saved);
    options.auto_approve = None;
    let (code, output) = harness.apply(&options).await;
    stable_snapshots(harness.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @"
            exit: 1
            --- output
            error: the saved plan is stale; nothing was changed
                personal/web: CloudFormation's change set rackfile-[change-set] of the update failed: ChangeSetNotFoundException: ChangeSet [rackfile-[change-set]] does not exist
               = help: run `rackfile plan --out PLANFILE` again, review it, and apply the new plan
            "));
    assert_eq!(operations(&harness, "UpdateStack"), 0);
}

/// Ctrl-C while the change set is being made: the run ends (130) and the change set is deleted.
#[tokio::test(start_paused = true)]
async fn plan_changeset_interrupted_leaves_no_change_set() {
    let harness = live_rack("[rack.parameters]\nKey = \"deploy\"").await;
    let mut options = harness.options();
    options.auto_approve = Some(Approval::InPlace);
    let (sender, cancel) = tokio::sync::watch::channel(0u8);
    let interrupt = async {
        // CreateChangeSet is sent at once; the fake takes seconds to make the change set.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        sender.send(1).unwrap();
    };
    let ((result, output), ()) = tokio::join!(
        harness.run(&options, crate::fake_harness::console(), cancel),
        interrupt
    );
    let output = match result {
        Ok(outcome) => exit_and_output(outcome.exit_code(), &output),
        Err(error) => exit_and_output(error.exit_code(), &format!("{output}{}", error.render())),
    };
    stable_snapshots(harness.dir.path()).bind(|| {
        insta::assert_snapshot!(output, @"
        exit: 130
        --- output
        error: apply interrupted while reading AWS; nothing was changed
        ")
    });
    assert_eq!(operations(&harness, "CreateChangeSet"), 1);
    assert_eq!(operations(&harness, "DeleteChangeSet"), 1);
    assert_eq!(harness.fake.change_sets(ACCOUNT, REGION), []);

    // `rackfile plan --changeset` itself, interrupted the same way.
    let plan_options = rackfile::cli::options::PlanOptions {
        file: harness.racks_file(),
        targets: Vec::new(),
        format: rackfile::cli::options::PlanFormat::Json,
        out: None,
        detailed_exitcode: None,
        recover: false,
        changeset: true,
        drift: false,
    };
    let mut cache = rackfile::template_cache::TemplateCache::load(None);
    let result = rackfile::cli::commands::plan::run_until(
        &plan_options,
        &harness.fake,
        &mut cache,
        tokio::time::sleep(Duration::from_millis(1500)),
    )
    .await;
    let Err(error) = result else {
        panic!("{result:?}")
    };
    let output = exit_and_output(error.exit_code(), &error.render());
    stable_snapshots(harness.dir.path()).bind(|| {
        insta::assert_snapshot!(output, @"
        exit: 130
        --- output
        error: plan interrupted; every change set it made was deleted
        ")
    });
    assert_eq!(operations(&harness, "CreateChangeSet"), 2);
    assert_eq!(harness.fake.change_sets(ACCOUNT, REGION), []);
}

/// CloudFormation finds nothing to change where the plan saw a change: the rack is unchanged, with a note,
/// and nothing is left behind.
#[tokio::test(start_paused = true)]
async fn plan_changeset_a_change_set_that_contains_no_changes_is_a_clean_no_change() {
    let harness = live_rack("[rack.parameters]\nKey = \"deploy\"").await;
    harness.fake.change_sets_find_nothing("web");
    let ledger = ChangeSetLedger::default();
    let plan = plan_with_change_sets(&harness, &ledger).await;
    assert_eq!(plan.racks[0].action, Action::Unchanged);
    assert!(!plan.summary.differs(), "{:?}", plan.summary);
    let human = rackfile::render::human_plan(&plan, rackfile::render::Style::Plain);
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(human, @r#"
        Read account 123456789012 (org personal): us-east-1

          personal/web (us-east-1) no changes
            note: CloudFormation's change set says the update changes nothing ("didn't contain changes")

        Plan: 0 to install, 0 to update, 1 unchanged, 0 blocked.
        "#));
    assert!(ledger.delete_left().await.is_empty());
    assert_eq!(harness.fake.change_sets(ACCOUNT, REGION), []);
}

/// A new instance count: the analysis modifies the group in place, and so does CloudFormation. In-place
/// approval applies the rack, by executing that change set (never UpdateStack), and nothing is left.
#[tokio::test(start_paused = true)]
async fn apply_in_place_an_update_both_views_call_in_place_is_applied_by_its_change_set() {
    let harness = live_rack("instance_count = 5").await;
    harness.fake.script_change_set(
        "web",
        vec![modify(
            "Instances",
            "AWS::AutoScaling::AutoScalingGroup",
            Replacement::False,
            "DesiredCapacity",
            "Never",
            ("ParameterReference", Some("InstanceCount")),
        )],
    );
    let mut options = harness.options();
    options.auto_approve = Some(Approval::InPlace);
    let (code, output) = harness.apply(&options).await;
    stable_snapshots(harness.dir.path()).bind(|| {
        insta::assert_snapshot!(exit_and_output(code, &output), @"
            exit: 0
            --- output
            Read account 123456789012 (org personal): us-east-1

            ~ personal/web (us-east-1) will be updated
                InstanceCount: 3 -> 5
                  ↳ modifies Instances in place
                impact: modifies 1 resource in place
                change set agrees (rackfile-[change-set])
                budget: up to 5m

            Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

            personal/web: updating (3 resources)
            personal/web: UPDATE_IN_PROGRESS
            personal/web: Updated AutoScalingGroup: instances-1
            personal/web: Updated CloudWatch Log Group: logs-2
            personal/web: UPDATE_COMPLETE
            personal/web: updated in [time]

            Apply complete: 0 installed, 1 updated, 0 failed.
                personal/web: updated in [time]
            ")
    });
    assert_eq!(operations(&harness, "CreateChangeSet"), 1);
    assert_eq!(operations(&harness, "ExecuteChangeSet"), 1);
    assert_eq!(operations(&harness, "UpdateStack"), 0);
    assert_eq!(
        harness.stack("web").unwrap().parameters["InstanceCount"],
        "5"
    );
    assert_eq!(harness.fake.change_sets(ACCOUNT, REGION), []);
}

/// What `--changeset` costs: a plan of 500 live racks, 10 of them changed, with and without change sets.
/// Unchanged racks cost nothing more; each update costs one CreateChangeSet, its polls (one per rack per
/// interval, backing off from 2 s while the fake takes 5 s to make it) and one DeleteChangeSet. Prints the
/// figures (`cargo test --test it -- change_sets::fake::cost --nocapture`).
#[tokio::test(start_paused = true)]
async fn cost_of_a_plan_of_500_racks_with_10_changed() {
    let harness = Harness::with_rack_template(Duration::ZERO, &crate::fake_harness::RACK_RESOURCES);
    let mut racks = String::new();
    for index in 0..500 {
        let name = format!("rack{index:03}");
        harness
            .fake
            .seed_convox_rack(
                ACCOUNT,
                REGION,
                &name,
                TemplateSource::Url(crate::fake_harness::TEMPLATE_URL.into()),
                &[("Version", "1"), ("Password", "secret")],
            )
            .await;
        let count = if index % 50 == 0 {
            "instance_count = 5\n"
        } else {
            ""
        };
        racks.push_str(&format!(
            "[[rack]]\nname = \"{name}\"\ntemplate_url = \"{}\"\n{count}",
            crate::fake_harness::TEMPLATE_URL
        ));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    harness.declare("version = \"1\"", &racks);
    let count_calls = |from: usize| -> BTreeMap<&'static str, usize> {
        let mut counted = BTreeMap::new();
        for call in &harness.fake.calls()[from..] {
            *counted.entry(call.operation).or_default() += 1;
        }
        counted
    };

    let before = harness.fake.calls().len();
    let (wall, waited) = (std::time::Instant::now(), tokio::time::Instant::now());
    let plain = harness.plan().await;
    let (plain_wall, plain_waited) = (wall.elapsed(), waited.elapsed());
    let plain_calls = count_calls(before);
    assert_eq!(plain.summary.update, 10);

    let before = harness.fake.calls().len();
    let ledger = ChangeSetLedger::default();
    let (wall, waited) = (std::time::Instant::now(), tokio::time::Instant::now());
    let checked = plan_with_change_sets(&harness, &ledger).await;
    assert!(ledger.delete_left().await.is_empty());
    let (checked_wall, checked_waited) = (wall.elapsed(), waited.elapsed());
    let checked_calls = count_calls(before);
    assert_eq!(checked.summary.update, 10);

    println!(
        "500 racks, 10 changed, without --changeset: {plain_calls:?}, {plain_wall:?} of CPU, {plain_waited:?} waited"
    );
    println!(
        "500 racks, 10 changed, with --changeset: {checked_calls:?}, {checked_wall:?} of CPU, {checked_waited:?} waited"
    );
    let extra = |operation: &str| {
        checked_calls.get(operation).copied().unwrap_or(0)
            - plain_calls.get(operation).copied().unwrap_or(0)
    };
    assert_eq!(extra("CreateChangeSet"), 10);
    assert_eq!(extra("DeleteChangeSet"), 10);
    // Made in 5 s, asked at 0, 2 and 6 s: three polls each.
    assert_eq!(extra("DescribeChangeSet"), 30);
    for (operation, count) in &plain_calls {
        assert_eq!(
            checked_calls.get(operation),
            Some(count),
            "{operation}: the reads of a plan are the same with change sets"
        );
    }
    assert_eq!(
        checked_calls.values().sum::<usize>() - plain_calls.values().sum::<usize>(),
        50
    );
}

/// A change set CloudFormation will not make (here, the role may not CreateChangeSet) is never a silent
/// pass: the rack is blocked with AWS's error, and in-place approval applies nothing.
#[tokio::test(start_paused = true)]
async fn plan_changeset_a_change_set_that_cannot_be_made_blocks_the_rack_with_the_aws_error() {
    let harness = live_rack("instance_count = 5").await;
    harness.fake.deny("CreateChangeSet");
    let ledger = ChangeSetLedger::default();
    let plan = plan_with_change_sets(&harness, &ledger).await;
    let Action::Blocked(blocked) = &plan.racks[0].action else {
        panic!("{:?}", plan.racks[0].action);
    };
    assert!(
        matches!(blocked.why, rackfile::plan::BlockedWhy::ChangeSet { .. }),
        "{blocked:?}"
    );
    let snapshots = stable_snapshots(harness.dir.path());
    let human = rackfile::render::human_plan(&plan, rackfile::render::Style::Plain);
    snapshots.bind(|| insta::assert_snapshot!(human, @"
        Read account 123456789012 (org personal): us-east-1

        ! personal/web (us-east-1) is blocked
            CREATE_COMPLETE: CloudFormation's change set rackfile-[change-set] of the update failed: AccessDenied: not authorized to perform cloudformation:CreateChangeSet

        Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.
        "));
    assert!(plan.summary.differs());
    assert!(ledger.delete_left().await.is_empty());

    let mut options = harness.options();
    options.auto_approve = Some(Approval::InPlace);
    let (code, output) = harness.apply(&options).await;
    snapshots.bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @"
        exit: 1
        --- output
        Read account 123456789012 (org personal): us-east-1

        ! personal/web (us-east-1) is blocked
            CREATE_COMPLETE: CloudFormation's change set rackfile-[change-set] of the update failed: AccessDenied: not authorized to perform cloudformation:CreateChangeSet

        Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.

        Nothing to apply, but some racks are blocked (see above).
        "));
    assert_eq!(operations(&harness, "UpdateStack"), 0);
    assert_eq!(operations(&harness, "ExecuteChangeSet"), 0);
}
