//! `role_arn` against the strict fake: every write of a rack (CreateStack, UpdateStack, DeleteStack,
//! ContinueUpdateRollback) passes its service role; a change of role is planned in place and applied by an
//! UpdateStack with the new one; a rack without `role_arn` leaves the live role alone.

use std::time::Duration;

use rackfile::cli::options::Approval;
use rackfile::plan::{Action, ChangeKind};
use rackfile_fake::RoleSeen;

use crate::common::{exit_and_output, stable_snapshots};
use crate::fake_harness::{ACCOUNT, Harness, RACK_RESOURCES, REGION, TEMPLATE_URL};

const A: &str = "arn:aws:iam::123456789012:role/cfn-a";
const B: &str = "arn:aws:iam::123456789012:role/cfn-b";

fn declare(harness: &Harness, settings: &str) {
    harness.declare(
        "version = \"20161102160040\"",
        &format!("[[rack]]\nname = \"web\"\ntemplate_url = \"{TEMPLATE_URL}\"\n{settings}"),
    );
}

fn seen(operation: &'static str, role: Option<&str>) -> RoleSeen {
    RoleSeen {
        operation,
        stack: "web".into(),
        role_arn: role.map(str::to_string),
    }
}

#[tokio::test(start_paused = true)]
async fn apply_passes_a_rack_s_role_with_every_write_and_applies_a_new_role_in_place() {
    let harness = Harness::with_rack_template(Duration::from_millis(10), &RACK_RESOURCES);
    let mut options = harness.options();

    declare(&harness, &format!("role_arn = \"{A}\"\n"));
    let (code, output) = harness.apply(&options).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(harness.stack("web").unwrap().role_arn.as_deref(), Some(A));

    declare(
        &harness,
        &format!("role_arn = \"{A}\"\ninstance_count = 4\n"),
    );
    let (code, output) = harness.apply(&options).await;
    assert_eq!(code, 0, "{output}");

    // Another role: an update in place, which --auto-approve=in-place applies.
    declare(
        &harness,
        &format!("role_arn = \"{B}\"\ninstance_count = 4\n"),
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
        [(ChangeKind::Role, Some(A), Some(B))]
    );
    assert!(plan.racks[0].hold.is_empty(), "{:?}", plan.racks[0].hold);
    options.auto_approve = Some(Approval::InPlace);
    let (code, output) = harness.apply(&options).await;
    stable_snapshots(harness.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @"
            exit: 0
            --- output
            Read account 123456789012 (org personal): us-east-1

            ~ personal/web (us-east-1) will be updated
                role: arn:aws:iam::123456789012:role/cfn-a -> arn:aws:iam::123456789012:role/cfn-b
                change set: CloudFormation finds nothing to change
                budget: up to 5m
                note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)

            Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

            personal/web: updating (3 resources)
            personal/web: UPDATE_IN_PROGRESS
            personal/web: Updated VPC: vpc-0
            personal/web: Updated VPC Subnet: subnet0-1
            personal/web: Updated ECS Cluster: cluster-2
            personal/web: UPDATE_COMPLETE
            personal/web: updated in [time]

            Apply complete: 0 installed, 1 updated, 0 failed.
                personal/web: updated in [time]
            "));
    assert_eq!(harness.stack("web").unwrap().role_arn.as_deref(), Some(B));

    // Without role_arn the live role is not managed: an update passes none, and CloudFormation keeps B.
    options.auto_approve = Some(Approval::All);
    declare(&harness, "instance_count = 5\n");
    let (code, output) = harness.apply(&options).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(harness.stack("web").unwrap().role_arn.as_deref(), Some(B));
    let plan = harness.plan().await;
    assert_eq!(plan.racks[0].action, Action::Unchanged);

    // A failed rollback continued, then the uninstall: both with the rack's role.
    declare(
        &harness,
        &format!("role_arn = \"{A}\"\ninstance_count = 5\n"),
    );
    harness
        .fake
        .set_status(ACCOUNT, REGION, "web", "UPDATE_ROLLBACK_FAILED");
    options.recover = true;
    let (code, output) = harness.apply(&options).await;
    assert_eq!(code, 0, "{output}");
    declare(
        &harness,
        &format!("role_arn = \"{A}\"\nensure = \"absent\"\n"),
    );
    options.recover = false;
    options.allow_uninstall = true;
    let (code, output) = harness.apply(&options).await;
    assert_eq!(code, 0, "{output}");

    assert_eq!(
        harness.fake.roles(),
        [
            seen("CreateStack", Some(A)),
            seen("UpdateStack", Some(A)),
            seen("UpdateStack", Some(B)),
            seen("UpdateStack", None),
            // CloudFormation keeps the role a write passes: the plan after the rollback has nothing to do.
            seen("ContinueUpdateRollback", Some(A)),
            seen("DeleteStack", Some(A)),
        ]
    );
}
