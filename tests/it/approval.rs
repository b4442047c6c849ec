//! Approval by impact: `apply --auto-approve=in-place` applies the racks whose every change is in place and
//! holds the others for a person, against moto and Convox-like templates.

use crate::common::{run, stable_snapshots};
use crate::real_templates::{V2026, assert_exit, racks, seed, session};

/// Two live racks of the 2026 rack-like template: `calm` gets changes that reach only in-place
/// modifications (a batch size the AutoScalingGroup takes in place, a log retention that reaches nothing),
/// `web` a new instance type (a new launch configuration, its instances rolled).
fn two_racks() -> crate::moto::MotoSession {
    let moto = session();
    seed(&moto, "calm", V2026, &[]);
    seed(&moto, "web", V2026, &[]);
    moto.write(
        "racks.toml",
        &racks(&format!(
            "\n[[rack]]\nname = \"calm\"\nversion = \"{V2026}\"\n\n\
             [rack.parameters]\nInstanceUpdateBatchSize = \"2\"\nLogRetention = \"30\"\n\n\
             [[rack]]\nname = \"web\"\nversion = \"{V2026}\"\ninstance_type = \"m5.large\"\n"
        )),
    );
    moto
}

#[test]
fn apply_in_place_holds_the_replacement_with_exit_3_and_on_moto_the_in_place_rack_too() {
    let moto = two_racks();

    // The plan says it first: in a pull request, and to a CI job by its exit code.
    let detailed = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    assert_exit(&detailed, 2);
    let in_place = run(moto
        .rackfile()
        .args(["plan", "--detailed-exitcode=in-place"]));
    assert_exit(&in_place, 3);
    let markdown = run(moto.rackfile().args(["plan", "--format", "markdown"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(markdown.snapshot(), @"
        exit: 0
        --- stdout
        ### rackfile plan

        **0 to install, 2 to update, 0 unchanged, 0 blocked.**

        | rack | action | what changes | impact | `--auto-approve=in-place` |
        |---|---|---|---|---|
        | `personal/calm` (us-east-1) | update | InstanceUpdateBatchSize: 1 → 2; LogRetention: 7 → 30 | modifies 1 resource in place; budget up to 5m | applied |
        | `personal/web` (us-east-1) | update | InstanceType: t3.small → m5.large | replaces 1 resource, modifies 1 in place; rolling replacement of Instances, 1 at a time; budget up to 20m | **held** |

        - **Disruptive:** `personal/web` replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time

        - **Needs a person** (held by `--auto-approve=in-place`): `personal/web` replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time

        <details><summary><code>~ personal/calm (us-east-1) will be updated</code></summary>

        ```
        ~ personal/calm (us-east-1) will be updated
            InstanceUpdateBatchSize: 1 -> 2
              ↳ modifies Instances in place
            LogRetention: 7 -> 30
              ↳ reaches no resource
            impact: modifies 1 resource in place
            budget: up to 5m
        ```

        </details>

        <details><summary><code>~ personal/web (us-east-1) will be updated</code></summary>

        ```
        ~ personal/web (us-east-1) will be updated
            InstanceType: t3.small -> m5.large
              ↳ replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time
            impact: replaces 1 resource, modifies 1 in place; rolling replacement of Instances, 1 at a time
            rolling: 3 instances, 1 at a time, PT5M pause: up to 20m
        ```

        </details>
        --- stderr
        "));
    let json = run(moto.rackfile().args(["plan", "--json"]));
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(plan["racks"][0]["rack"], "personal/calm");
    assert!(
        plan["racks"][0].get("hold").is_none(),
        "{:#}",
        plan["racks"][0]
    );
    assert_eq!(plan["racks"][1]["hold"][0]["kind"], "disruptive");
    assert_eq!(plan["racks"][1]["disruptions"][0]["kind"], "resources");

    // Under in-place approval CloudFormation's change set must say "in place" as well. moto's change sets
    // give no Replacement (AWS's always do for a Modify), which is never taken for in place: on moto even
    // `calm` is held, naming why. `change_sets::fake` shows an in-place rack applied by its change set.
    let apply = run(moto.rackfile().args(["apply", "--auto-approve=in-place"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(apply.snapshot(), @"
        exit: 3
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ~ personal/calm (us-east-1) will be updated
            InstanceUpdateBatchSize: 1 -> 2
              ↳ modifies Instances in place
            LogRetention: 7 -> 30
              ↳ reaches no resource
            impact: may replace 3 resources, modifies 2 in place
            change set: Instances: analysis only: modify in place (CloudFormation says nothing)
            change set: Gateway: CloudFormation says may replace (Modify, no Replacement given), the analysis said nothing
            change set: Cluster: CloudFormation says may replace (Modify, no Replacement given), the analysis said nothing
            change set: Settings: CloudFormation says may replace (Modify, no Replacement given), the analysis said nothing
            budget: up to 5m

        ~ personal/web (us-east-1) will be updated
            InstanceType: t3.small -> m5.large
              ↳ replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time
            impact: replaces 1 resource, may replace 3 resources, modifies 2 in place; rolling replacement of Instances, 1 at a time
            change set: LaunchConfiguration: analysis only: replace (CloudFormation says nothing)
            change set: Instances: analysis only: rolling replacement of its instances (CloudFormation says nothing)
            change set: Gateway: CloudFormation says may replace (Modify, no Replacement given), the analysis said nothing
            change set: Cluster: CloudFormation says may replace (Modify, no Replacement given), the analysis said nothing
            change set: Settings: CloudFormation says may replace (Modify, no Replacement given), the analysis said nothing
            rolling: 3 instances, 1 at a time, PT5M pause: up to 20m

        Plan: 0 to install, 2 to update, 0 unchanged, 0 blocked.
        Disruptive: personal/calm may replace Gateway, Cluster and Settings
        Disruptive: personal/web replaces LaunchConfiguration; may replace Gateway, Cluster and Settings; rolling replacement of Instances, 1 at a time

        personal/calm: held for a person, nothing sent: may replace Gateway, Cluster and Settings; change set: Gateway Modify no Replacement given; change set: Cluster Modify no Replacement given; change set: Settings Modify no Replacement given
        personal/web: held for a person, nothing sent: replaces LaunchConfiguration; may replace Gateway, Cluster and Settings; rolling replacement of Instances, 1 at a time; change set: Gateway Modify no Replacement given; change set: Cluster Modify no Replacement given; change set: Settings Modify no Replacement given

        Apply complete: 0 installed, 0 updated, 0 failed, 2 held for a person.
            personal/calm: held for a person, nothing sent: may replace Gateway, Cluster and Settings; change set: Gateway Modify no Replacement given; change set: Cluster Modify no Replacement given; change set: Settings Modify no Replacement given
            personal/web: held for a person, nothing sent: replaces LaunchConfiguration; may replace Gateway, Cluster and Settings; rolling replacement of Instances, 1 at a time; change set: Gateway Modify no Replacement given; change set: Cluster Modify no Replacement given; change set: Settings Modify no Replacement given

        Held for a person by --auto-approve=in-place (their changes are not all in place): personal/calm, personal/web. Review their plan, then apply them with `rackfile apply --target personal/calm --target personal/web`, which asks for confirmation.
        --- stderr
        "));
    assert_eq!(moto.live_parameter("calm", "InstanceUpdateBatchSize"), "1");
    assert_eq!(
        moto.python(
            "print(len(client('cloudformation').list_change_sets(StackName='calm')['Summaries']))"
        )
        .trim(),
        "0",
        "the change sets of held racks are deleted"
    );
    let calm = run(moto
        .rackfile()
        .args(["apply", "--auto-approve", "--target", "personal/calm"]));
    assert_exit(&calm, 0);
    assert_eq!(moto.live_parameter("calm", "InstanceUpdateBatchSize"), "2");
    assert_eq!(moto.live_parameter("calm", "LogRetention"), "30");
    assert_eq!(moto.live_parameter("web", "InstanceType"), "t3.small");

    // The in-place rack has converged, the held one still waits for a person.
    let again = run(moto
        .rackfile()
        .args(["plan", "--detailed-exitcode=in-place"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(again.snapshot(), @"
        exit: 3
        --- stdout
        Read account 123456789012 (org personal): us-east-1

          personal/calm (us-east-1) no changes

        ~ personal/web (us-east-1) will be updated
            InstanceType: t3.small -> m5.large
              ↳ replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time
            impact: replaces 1 resource, modifies 1 in place; rolling replacement of Instances, 1 at a time
            rolling: 3 instances, 1 at a time, PT5M pause: up to 20m

        Plan: 0 to install, 1 to update, 1 unchanged, 0 blocked.
        Disruptive: personal/web replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time
        --- stderr
        "));
    // A person approves it the usual way.
    let approved =
        run(moto
            .rackfile()
            .args(["apply", "--auto-approve", "--target", "personal/web"]));
    assert_exit(&approved, 0);
    assert_eq!(moto.live_parameter("web", "InstanceType"), "m5.large");
}

#[test]
fn apply_in_place_holds_an_uninstall_without_needing_allow_uninstall() {
    let moto = session();
    seed(&moto, "old", V2026, &[]);
    moto.write(
        "racks.toml",
        &racks(&format!(
            "\n[[rack]]\nname = \"old\"\nversion = \"{V2026}\"\nensure = \"absent\"\n"
        )),
    );
    let apply = run(moto.rackfile().args(["apply", "--auto-approve=in-place"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(apply.snapshot(), @"
        exit: 3
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        - personal/old (us-east-1) will be uninstalled
            before any deletion, as `convox rack uninstall`: its autoscaler rule disabled, then the AutoScalingGroups of each stack deleted with ForceDelete (their instances terminate)
            apps and resources: none
            then the rack's stack, 13 resources
            left behind (DeletionPolicy Retain): Settings (AWS::S3::Bucket)

        Plan: 0 to install, 0 to update, 1 to uninstall, 0 unchanged, 0 blocked.
        Disruptive: personal/old is uninstalled: the stack and every resource it does not retain are deleted

        personal/old: held for a person, nothing sent: is uninstalled: the stack and every resource it does not retain are deleted

        Apply complete: 0 installed, 0 updated, 0 failed, 1 held for a person.
            personal/old: held for a person, nothing sent: is uninstalled: the stack and every resource it does not retain are deleted

        Held for a person by --auto-approve=in-place (their changes are not all in place): personal/old. Review their plan, then apply them with `rackfile apply --target personal/old`, which asks for confirmation.
        --- stderr
        "));
    assert!(
        moto.python(
            "print([s['StackName'] for s in client('cloudformation').describe_stacks()['Stacks']])"
        )
        .contains("'old'")
    );
}
