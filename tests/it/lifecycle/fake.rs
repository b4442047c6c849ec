//! A rack's whole life against the strict in-memory fake, which refuses what AWS refuses (deleting a
//! protected stack, continuing a rollback that has not failed): `--recover` of a failed rollback and of a
//! failed install, termination protection, and uninstalls with their apps first.

use std::collections::BTreeMap;
use std::time::Duration;

use rackfile::cloud::{Cloud, CloudErrorKind, CreateStackRequest, TemplateSource};

use crate::common::{exit_and_output, stable_snapshots};
use crate::fake_harness::{ACCOUNT, Harness, RACK_RESOURCES, REGION, TEMPLATE_URL};

struct Setup {
    harness: Harness,
}

impl Setup {
    fn new() -> Self {
        let setup = Setup {
            harness: Harness::with_rack_template(Duration::from_millis(10), &RACK_RESOURCES),
        };
        setup.racks("");
        setup
    }

    /// racks.toml with rack `web`, `settings` added to it.
    fn racks(&self, settings: &str) {
        self.harness.declare(
            "version = \"20161102160040\"",
            &format!("[[rack]]\nname = \"web\"\ntemplate_url = \"{TEMPLATE_URL}\"\n{settings}"),
        );
    }

    async fn apply(&self, flags: Flags) -> (i32, String) {
        let mut options = self.harness.options();
        options.recover = flags.recover;
        options.allow_uninstall = flags.allow_uninstall;
        self.harness.apply(&options).await
    }

    fn stack(&self, name: &str) -> Option<rackfile::cloud::Stack> {
        self.harness.stack(name)
    }

    fn operations(&self) -> Vec<&'static str> {
        self.harness
            .fake
            .calls()
            .into_iter()
            .map(|call| call.operation)
            .filter(|operation| {
                !matches!(
                    *operation,
                    "DescribeStacks"
                        | "DescribeStackEvents"
                        | "GetCallerIdentity"
                        | "GetTemplateSummary"
                        | "GetTemplate"
                        // The plan's preflight reads.
                        | "DescribeInstanceTypeOfferings"
                        | "DescribeInstanceTypes"
                        | "GetServiceQuota"
                )
            })
            .collect()
    }

    async fn installed(&self) {
        let (code, output) = self.apply(Flags::default()).await;
        assert_eq!(code, 0, "{output}");
    }
}

#[derive(Default, Clone, Copy)]
struct Flags {
    recover: bool,
    allow_uninstall: bool,
}

const RECOVER: Flags = Flags {
    recover: true,
    allow_uninstall: false,
};
const ALLOW_UNINSTALL: Flags = Flags {
    recover: false,
    allow_uninstall: true,
};

#[tokio::test(start_paused = true)]
async fn a_failed_rollback_is_blocked_until_recover_continues_it_and_then_the_update_goes_ahead() {
    let setup = Setup::new();
    setup.installed().await;
    setup
        .harness
        .fake
        .set_status(ACCOUNT, REGION, "web", "UPDATE_ROLLBACK_FAILED");
    setup.racks("instance_count = 5\n");

    let (code, output) = setup.apply(Flags::default()).await;
    stable_snapshots(setup.harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
        exit: 1
        --- output
        Read account 123456789012 (org personal): us-east-1

        ! personal/web (us-east-1) is blocked
            UPDATE_ROLLBACK_FAILED: an update failed to roll back; `--recover` continues the rollback (ContinueUpdateRollback), then applies the update

        Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.

        Nothing to apply, but some racks are blocked (see above).
        "#));
    let before = setup.operations().len();

    let (code, output) = setup.apply(RECOVER).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(
        setup.operations()[before..],
        ["ContinueUpdateRollback", "UpdateStack"],
        "the rollback first, then the update the new plan found"
    );
    let update = &setup.harness.fake.updates()[0];
    assert_eq!(update.status_before, "UPDATE_ROLLBACK_COMPLETE");
    let stack = setup.stack("web").unwrap();
    assert_eq!(
        (
            stack.status.as_str(),
            stack.parameters["InstanceCount"].as_str()
        ),
        ("UPDATE_COMPLETE", "5")
    );
    stable_snapshots(setup.harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
        exit: 0
        --- output
        Read account 123456789012 (org personal): us-east-1

        ↺ personal/web (us-east-1) will continue its rollback
            UPDATE_ROLLBACK_FAILED: ContinueUpdateRollback, followed to UPDATE_ROLLBACK_COMPLETE; then the rack is planned again and its update, if any, applied

        Plan: 0 to install, 0 to update, 1 to continue rollback, 0 unchanged, 0 blocked.

        personal/web: continuing the rollback
        personal/web: UPDATE_ROLLBACK_IN_PROGRESS
        personal/web: Updated VPC: vpc-0
        personal/web: Updated VPC Subnet: subnet0-1
        personal/web: Updated ECS Cluster: cluster-2
        personal/web: UPDATE_ROLLBACK_COMPLETE
        personal/web: updating (3 resources)
        personal/web: UPDATE_IN_PROGRESS
        personal/web: Updated VPC: vpc-0
        personal/web: Updated VPC Subnet: subnet0-1
        personal/web: Updated ECS Cluster: cluster-2
        personal/web: UPDATE_COMPLETE
        personal/web: rollback continued to UPDATE_ROLLBACK_COMPLETE, then updated in [time]

        Apply complete: 0 installed, 1 updated, 1 recovered, 0 failed.
            personal/web: rollback continued to UPDATE_ROLLBACK_COMPLETE, then updated in [time]
        "#));
}

#[tokio::test(start_paused = true)]
async fn the_fake_refuses_what_aws_refuses() {
    let setup = Setup::new();
    setup.racks("protect = true\n");
    setup.installed().await;
    let cloud = setup.harness.fake.cloud_for(ACCOUNT, REGION);
    let refused = cloud
        .continue_update_rollback("web", None, "t", &[])
        .await
        .unwrap_err();
    assert!(
        refused
            .message
            .contains("can not continue an update rollback"),
        "{refused:?}"
    );
    let refused = cloud.delete_stack("web", None, "t").await.unwrap_err();
    assert_eq!(refused.kind, CloudErrorKind::Validation);
    assert!(
        refused.message.contains("TerminationProtection is enabled"),
        "{refused:?}"
    );
    assert_eq!(setup.stack("web").unwrap().status, "CREATE_COMPLETE");
}

#[tokio::test(start_paused = true)]
async fn a_failed_install_is_deleted_and_installed_again_with_recover() {
    let setup = Setup::new();
    setup.installed().await;
    setup
        .harness
        .fake
        .set_status(ACCOUNT, REGION, "web", "ROLLBACK_COMPLETE");
    let first_id = setup.stack("web").unwrap().stack_id;

    let (code, output) = setup.apply(Flags::default()).await;
    stable_snapshots(setup.harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
        exit: 1
        --- output
        Read account 123456789012 (org personal): us-east-1

        ! personal/web (us-east-1) is blocked
            ROLLBACK_COMPLETE: the install failed; `--recover` deletes the stack and installs it again

        Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.

        Nothing to apply, but some racks are blocked (see above).
        "#));

    let before = setup.operations().len();
    let (code, output) = setup.apply(RECOVER).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(setup.operations()[before..], ["DeleteStack", "CreateStack"]);
    let stack = setup.stack("web").unwrap();
    assert_eq!(stack.status, "CREATE_COMPLETE");
    assert_ne!(stack.stack_id, first_id, "a new stack");
    // Its password is handled like any install's: generated, and shown once.
    stable_snapshots(setup.harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @"
        exit: 0
        --- output
        Read account 123456789012 (org personal): us-east-1

        -/+ personal/web (us-east-1) will be reinstalled
            ROLLBACK_COMPLETE: the failed install is deleted (followed until it is gone), then installed again:
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

        Plan: 0 to install, 0 to update, 1 to reinstall, 0 unchanged, 0 blocked.
        Disruptive: personal/web is deleted and installed again
        warning: personal/web: its generated API password will be printed below, and stdout is not a terminal (a CI log?); set `password_ssm` to keep it in SSM Parameter Store instead

        personal/web: deleting web
        personal/web: DELETE_IN_PROGRESS
        personal/web: Deleted ECS Cluster: cluster-0
        personal/web: Deleted VPC Subnet: subnet0-1
        personal/web: Deleted VPC: vpc-2
        personal/web: DELETE_COMPLETE
        personal/web: installing (3 resources)
        personal/web: CREATE_IN_PROGRESS
        personal/web: Created VPC: vpc-0
        personal/web: Created VPC Subnet: subnet0-1
        personal/web: Created ECS Cluster: cluster-2
        personal/web: CREATE_COMPLETE
        personal/web: deleted and installed again in [time]

        Apply complete: 0 installed, 0 updated, 1 reinstalled, 0 failed.
            personal/web: deleted and installed again in [time]

        Password for personal/web (shown only this once; store it now): [password]
        Dashboard: web.example.elb.amazonaws.com
        "));
}

#[tokio::test(start_paused = true)]
async fn protection_is_set_at_install_changed_alone_and_blocks_an_uninstall_until_it_is_off() {
    let setup = Setup::new();
    setup.racks("protect = true\n");
    setup.installed().await;
    assert!(setup.stack("web").unwrap().termination_protection);

    setup.racks("protect = true\nensure = \"absent\"\n");
    let (code, output) = setup.apply(ALLOW_UNINSTALL).await;
    stable_snapshots(setup.harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
        exit: 1
        --- output
        Read account 123456789012 (org personal): us-east-1

        ! personal/web (us-east-1) is blocked
            CREATE_COMPLETE: termination protection is on, so the stack cannot be uninstalled; set `protect = false`, apply that, then apply this

        Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.

        Nothing to apply, but some racks are blocked (see above).
        "#));
    assert!(setup.stack("web").is_some());

    setup.racks("protect = false\n");
    let before = setup.operations().len();
    let (code, output) = setup.apply(Flags::default()).await;
    stable_snapshots(setup.harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
        exit: 0
        --- output
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            termination protection: on -> off
            budget: up to 5m
            note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
            preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

        personal/web: updated in [time]

        Apply complete: 0 installed, 1 updated, 0 failed.
            personal/web: updated in [time]
        "#));
    assert_eq!(
        setup.operations()[before..],
        ["UpdateTerminationProtection"],
        "no UpdateStack for a protection change alone"
    );
    assert!(!setup.stack("web").unwrap().termination_protection);

    setup.racks("protect = false\nensure = \"absent\"\n");
    let (code, output) = setup.apply(ALLOW_UNINSTALL).await;
    assert_eq!(code, 0, "{output}");
    assert!(setup.stack("web").is_none(), "{output}");
}

#[tokio::test(start_paused = true)]
async fn an_uninstall_deletes_the_apps_first_and_only_with_allow_uninstall() {
    let setup = Setup::new();
    setup.installed().await;
    let cloud = setup.harness.fake.cloud_for(ACCOUNT, REGION);
    for (app, tags) in [
        (
            "web-api",
            &[("System", "convox"), ("Type", "app"), ("Rack", "web")][..],
        ),
        (
            "other-api",
            &[("System", "convox"), ("Type", "app"), ("Rack", "other")],
        ),
        // `Rack=web` as a cost tag: not Convox's, never deleted with the rack.
        ("web-costs", &[("Rack", "web")]),
    ] {
        cloud
            .create_stack(&CreateStackRequest {
                name: app.into(),
                template: TemplateSource::Url(TEMPLATE_URL.into()),
                parameters: BTreeMap::from([
                    ("Version".to_string(), "1".to_string()),
                    ("Password".to_string(), "p".to_string()),
                ]),
                tags: tags
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                termination_protection: false,
                timeout_minutes: None,
                role_arn: None,
                options: Default::default(),
                token: format!("seed-{app}"),
            })
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    setup.racks("ensure = \"absent\"\n");

    let (code, output) = setup.apply(Flags::default()).await;
    stable_snapshots(setup.harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
        exit: 1
        --- output
        Read account 123456789012 (org personal): us-east-1

        - personal/web (us-east-1) will be uninstalled
            before any deletion, as `convox rack uninstall`: its autoscaler rule disabled, then the AutoScalingGroups of each stack deleted with ForceDelete (their instances terminate)
            deleted first, its Convox stacks: web-api (app)
            then the rack's stack, 3 resources

        Not in racks.toml (rackfile never touches these):
            personal/web-costs (us-east-1, account 123456789012) CREATE_COMPLETE

        Plan: 0 to install, 0 to update, 1 to uninstall, 0 unchanged, 0 blocked.
        Disruptive: personal/web is uninstalled: 1 app stack and the rack, with every resource not retained, are deleted
        error: the plan uninstalls personal/web (ensure = "absent"), and --allow-uninstall was not given; nothing was changed
           = help: review what the uninstall deletes above, then add --allow-uninstall
        "#));
    assert!(setup.stack("web").is_some() && setup.stack("web-api").is_some());

    let (code, output) = setup.apply(ALLOW_UNINSTALL).await;
    assert_eq!(code, 0, "{output}");
    let app_deleted = output.find("personal/web: deleting web-api").unwrap();
    let rack_deleted = output
        .find("personal/web: deleting web (3 resources)")
        .unwrap();
    assert!(app_deleted < rack_deleted, "{output}");
    assert!(setup.stack("web").is_none() && setup.stack("web-api").is_none());
    assert!(
        setup.stack("other-api").is_some(),
        "another rack's app is left"
    );
    assert!(
        setup.stack("web-costs").is_some(),
        "a stack that only carries the Rack tag is left"
    );
    stable_snapshots(setup.harness.dir.path()).bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @"
        exit: 0
        --- output
        Read account 123456789012 (org personal): us-east-1

        - personal/web (us-east-1) will be uninstalled
            before any deletion, as `convox rack uninstall`: its autoscaler rule disabled, then the AutoScalingGroups of each stack deleted with ForceDelete (their instances terminate)
            deleted first, its Convox stacks: web-api (app)
            then the rack's stack, 3 resources

        Not in racks.toml (rackfile never touches these):
            personal/web-costs (us-east-1, account 123456789012) CREATE_COMPLETE

        Plan: 0 to install, 0 to update, 1 to uninstall, 0 unchanged, 0 blocked.
        Disruptive: personal/web is uninstalled: 1 app stack and the rack, with every resource not retained, are deleted

        personal/web: no autoscaler rule to disable (Autoscale is off, or the template has none)
        personal/web: deleting web-api
        personal/web: DELETE_IN_PROGRESS
        personal/web: Deleted ECS Cluster: cluster-0
        personal/web: Deleted VPC Subnet: subnet0-1
        personal/web: Deleted VPC: vpc-2
        personal/web: DELETE_COMPLETE
        personal/web: deleting web (3 resources)
        personal/web: DELETE_IN_PROGRESS
        personal/web: Deleted ECS Cluster: cluster-0
        personal/web: Deleted VPC Subnet: subnet0-1
        personal/web: Deleted VPC: vpc-2
        personal/web: DELETE_COMPLETE
        personal/web: uninstalled with its 1 app or resource stack in [time]

        Apply complete: 0 installed, 0 updated, 1 uninstalled, 0 failed.
            personal/web: uninstalled with its 1 app or resource stack in [time]
        "));

    // Gone is what racks.toml asks: nothing left to do.
    let (code, output) = setup.apply(ALLOW_UNINSTALL).await;
    stable_snapshots(setup.harness.dir.path()).bind(|| {
        insta::assert_snapshot!(exit_and_output(code, &output), @r#"
        exit: 0
        --- output
        Read account 123456789012 (org personal): us-east-1

          personal/web (us-east-1) no changes

        Not in racks.toml (rackfile never touches these):
            personal/web-costs (us-east-1, account 123456789012) CREATE_COMPLETE

        Plan: 0 to install, 0 to update, 1 unchanged, 0 blocked.

        No changes. The racks match racks.toml.
        "#)
    });
}
