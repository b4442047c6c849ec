//! One gate, every plan, against the strict fake: a rack busy when planned is waited for and planned
//! again, and that new plan passes the same gate as the first (`--allow-uninstall`, `--json` refusing a
//! generated password) before anything is sent.

use std::collections::BTreeMap;
use std::time::Duration;

use rackfile::cloud::{
    Cloud, CreateStackRequest, ParameterValue, TemplateSource, UpdateStackRequest,
};

use crate::apply::fake::{ACCOUNT, Setup, TEMPLATE_URL, apply, manage_count, options, setup};
use crate::common::{exit_and_output, stable_snapshots, stream_messages};

const REGION: &str = "us-east-1";

/// `name` installed, then an update started behind rackfile's back: the stack is UPDATE_IN_PROGRESS.
async fn installed_then_busy(name: &str) -> Setup {
    let setup = setup(Duration::from_millis(30), &[name]);
    manage_count(&setup, name, 3);
    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    assert_eq!(code, 0, "{output}");
    let live = setup.fake.stack(ACCOUNT, REGION, name).unwrap();
    let mut parameters: BTreeMap<String, ParameterValue> = live
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), ParameterValue::Value(v.clone())))
        .collect();
    parameters.insert("InstanceCount".into(), ParameterValue::Value("7".into()));
    setup
        .fake
        .cloud_for(ACCOUNT, REGION)
        .update_stack(&UpdateStackRequest {
            name: name.into(),
            template: TemplateSource::Url(TEMPLATE_URL.into()),
            parameters,
            tags: live.tags.clone(),
            role_arn: None,
            options: Default::default(),
            token: "behind-rackfiles-back".into(),
        })
        .await
        .unwrap();
    setup
}

fn declare_absent(setup: &Setup, name: &str) {
    setup.declare(
        "version = \"20161102160040\"",
        &format!(
            "[[rack]]\nname = \"{name}\"\ntemplate_url = \"{TEMPLATE_URL}\"\nensure = \"absent\"\n"
        ),
    );
}

#[tokio::test(start_paused = true)]
async fn apply_waits_for_a_busy_rack_to_uninstall_and_uninstalls_it_only_with_allow_uninstall() {
    for json in [false, true] {
        let setup = installed_then_busy("old").await;
        declare_absent(&setup, "old");
        let mut without = options(&setup, 10, None);
        without.json = json;
        let (code, output) = apply(&setup, &without).await;
        let snapshots = stable_snapshots(setup.dir.path());
        if json {
            snapshots
                .bind(|| insta::assert_snapshot!(exit_and_output(code, &stream_messages(&output)), @r#"
                    exit: 1
                    --- output
                    version: rackfile 0.1.0 apply stream, format 1
                    plan: Plan: 0 to install, 0 to update, 1 to wait for, 0 unchanged, 0 blocked.
                    rack_start: personal/old: waiting: UPDATE_IN_PROGRESS
                    stack_event: personal/old: Vpc AWS::EC2::VPC UPDATE_IN_PROGRESS
                    stack_event: personal/old: Vpc AWS::EC2::VPC UPDATE_COMPLETE
                    rack_progress: personal/old: Updated VPC: vpc-0
                    stack_event: personal/old: GatewayAttachment AWS::EC2::VPCGatewayAttachment UPDATE_IN_PROGRESS
                    stack_event: personal/old: GatewayAttachment AWS::EC2::VPCGatewayAttachment UPDATE_COMPLETE
                    stack_event: personal/old: Subnet0 AWS::EC2::Subnet UPDATE_IN_PROGRESS
                    stack_event: personal/old: Subnet0 AWS::EC2::Subnet UPDATE_COMPLETE
                    rack_progress: personal/old: Updated VPC Subnet: subnet0-2
                    stack_event: personal/old: Cluster AWS::ECS::Cluster UPDATE_IN_PROGRESS
                    stack_event: personal/old: Cluster AWS::ECS::Cluster UPDATE_COMPLETE
                    rack_progress: personal/old: Updated ECS Cluster: cluster-3
                    stack_event: personal/old: old AWS::CloudFormation::Stack UPDATE_COMPLETE
                    rack_progress: personal/old: UPDATE_COMPLETE
                    rack_errored: personal/old: not changed: UPDATE_COMPLETE: its new plan uninstalls the rack (ensure = "absent"), and --allow-uninstall was not given; nothing was sent
                    summary: Apply failed: 0 installed, 0 updated, 0 failed, 1 blocked.
                    "#));
        } else {
            snapshots.bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
                exit: 1
                --- output
                Read account 123456789012 (org personal): us-east-1

                … personal/old (us-east-1) is waited for, then planned again
                    UPDATE_IN_PROGRESS: CloudFormation is changing the stack; apply waits for it to finish, then plans it again (an uninstall needs --allow-uninstall)

                Plan: 0 to install, 0 to update, 1 to wait for, 0 unchanged, 0 blocked.

                personal/old: waiting: UPDATE_IN_PROGRESS
                personal/old: Updated VPC: vpc-0
                personal/old: Updated VPC Subnet: subnet0-2
                personal/old: Updated ECS Cluster: cluster-3
                personal/old: UPDATE_COMPLETE
                personal/old: not changed: UPDATE_COMPLETE: its new plan uninstalls the rack (ensure = "absent"), and --allow-uninstall was not given; nothing was sent

                Apply failed: 0 installed, 0 updated, 0 failed, 1 blocked.
                    personal/old: not changed: UPDATE_COMPLETE: its new plan uninstalls the rack (ensure = "absent"), and --allow-uninstall was not given; nothing was sent
                "#));
        }
        let stack = setup.fake.stack(ACCOUNT, REGION, "old");
        assert_eq!(
            stack.map(|stack| stack.status.to_string()),
            Some("UPDATE_COMPLETE".to_string()),
            "json {json}: the rack is still there: {output}"
        );
    }

    // The same run with the permission uninstalls it once it settles.
    let setup = installed_then_busy("old").await;
    declare_absent(&setup, "old");
    let mut allowed = options(&setup, 10, None);
    allowed.allow_uninstall = true;
    let (code, output) = apply(&setup, &allowed).await;
    stable_snapshots(setup.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @"
            exit: 0
            --- output
            Read account 123456789012 (org personal): us-east-1

            … personal/old (us-east-1) is waited for, then planned again
                UPDATE_IN_PROGRESS: CloudFormation is changing the stack; apply waits for it to finish, then plans it again (an uninstall needs --allow-uninstall)

            Plan: 0 to install, 0 to update, 1 to wait for, 0 unchanged, 0 blocked.

            personal/old: waiting: UPDATE_IN_PROGRESS
            personal/old: Updated VPC: vpc-0
            personal/old: Updated VPC Subnet: subnet0-2
            personal/old: Updated ECS Cluster: cluster-3
            personal/old: UPDATE_COMPLETE
            personal/old: no autoscaler rule to disable (Autoscale is off, or the template has none)
            personal/old: deleting old (4 resources)
            personal/old: DELETE_IN_PROGRESS
            personal/old: Deleted ECS Cluster: cluster-0
            personal/old: Deleted VPC Subnet: subnet0-1
            personal/old: Deleted VPC: vpc-3
            personal/old: DELETE_COMPLETE
            personal/old: uninstalled in [time]

            Apply complete: 0 installed, 0 updated, 1 uninstalled, 0 failed.
                personal/old: uninstalled in [time]
            "));
    assert!(setup.fake.stack(ACCOUNT, REGION, "old").is_none());
}

#[tokio::test(start_paused = true)]
async fn apply_recover_json_does_not_reinstall_a_busy_install_that_rolled_back_with_a_new_password()
{
    let setup = setup(Duration::from_millis(30), &["fresh"]);
    // Someone else's install of the rack, which fails and rolls back while apply waits for it.
    setup.fake.fail_resource("fresh", "Subnet0");
    setup
        .fake
        .cloud_for(ACCOUNT, REGION)
        .create_stack(&CreateStackRequest {
            name: "fresh".into(),
            template: TemplateSource::Url(TEMPLATE_URL.into()),
            parameters: BTreeMap::from([
                ("Version".to_string(), "20161102160040".to_string()),
                ("Password".to_string(), "someone-elses".to_string()),
            ]),
            tags: BTreeMap::from([
                ("System".to_string(), "convox".to_string()),
                ("Type".to_string(), "rack".to_string()),
            ]),
            termination_protection: false,
            timeout_minutes: None,
            role_arn: None,
            options: Default::default(),
            token: "behind-rackfiles-back".into(),
        })
        .await
        .unwrap();
    let mut recover_json = options(&setup, 10, None);
    recover_json.recover = true;
    recover_json.json = true;
    let (code, output) = apply(&setup, &recover_json).await;
    stable_snapshots(setup.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &stream_messages(&output)), @"
            exit: 1
            --- output
            version: rackfile 0.1.0 apply stream, format 1
            plan: Plan: 0 to install, 0 to update, 1 to wait for, 0 unchanged, 0 blocked.
            rack_start: personal/fresh: waiting: CREATE_IN_PROGRESS
            stack_event: personal/fresh: Vpc AWS::EC2::VPC CREATE_IN_PROGRESS
            stack_event: personal/fresh: Vpc AWS::EC2::VPC CREATE_COMPLETE
            rack_progress: personal/fresh: Created VPC: vpc-0
            stack_event: personal/fresh: GatewayAttachment AWS::EC2::VPCGatewayAttachment CREATE_IN_PROGRESS
            stack_event: personal/fresh: GatewayAttachment AWS::EC2::VPCGatewayAttachment CREATE_COMPLETE
            stack_event: personal/fresh: Subnet0 AWS::EC2::Subnet CREATE_IN_PROGRESS
            stack_event: personal/fresh: Subnet0 AWS::EC2::Subnet CREATE_FAILED
            rack_progress: personal/fresh: Failed VPC Subnet: Resource creation cancelled: the fake was told to fail it
            stack_event: personal/fresh: fresh AWS::CloudFormation::Stack ROLLBACK_IN_PROGRESS
            rack_progress: personal/fresh: ROLLBACK_IN_PROGRESS: The following resource(s) failed to create: [Subnet0].
            stack_event: personal/fresh: fresh AWS::CloudFormation::Stack ROLLBACK_COMPLETE
            rack_progress: personal/fresh: ROLLBACK_COMPLETE
            rack_errored: personal/fresh: not changed: ROLLBACK_COMPLETE: its new plan installs it with a generated API password, which apply --json never prints; set `password_ssm` or `password_env`; nothing was sent
            summary: Apply failed: 0 installed, 0 updated, 0 failed, 1 blocked.
            "));
    assert_eq!(
        setup.fake.creates().len(),
        1,
        "only the other install: not reinstalled: {output}"
    );
    assert_eq!(
        setup
            .fake
            .stack(ACCOUNT, REGION, "fresh")
            .map(|stack| stack.status.to_string()),
        Some("ROLLBACK_COMPLETE".to_string())
    );
}
