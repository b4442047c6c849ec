//! Approval by impact: `apply --auto-approve=in-place` applies the racks whose every change is in place and
//! holds the others for a person, against moto and Convox-like templates.

use crate::common::run;
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
fn in_place_holds_the_replacement_untouched_with_exit_3_and_on_moto_the_in_place_rack_too() {
    let moto = two_racks();

    // The plan says it first: in a pull request, and to a CI job by its exit code.
    let detailed = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    assert_exit(&detailed, 2);
    let in_place = run(moto
        .rackfile()
        .args(["plan", "--detailed-exitcode=in-place"]));
    assert_exit(&in_place, 3);
    let markdown = run(moto.rackfile().args(["plan", "--format", "markdown"]));
    assert!(
        markdown
            .stdout
            .contains("| `personal/calm` (us-east-1) | update |")
            && markdown.stdout.lines().any(|line| line
                .starts_with("| `personal/web` (us-east-1) | update |")
                && line.ends_with("| **held** |")),
        "{}",
        markdown.stdout
    );
    assert!(
        markdown.stdout.contains(
            "- **Needs a person** (held by `--auto-approve=in-place`): `personal/web` replaces LaunchConfiguration; rolling replacement of Instances"
        ),
        "{}",
        markdown.stdout
    );
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
    assert_exit(&apply, 3);
    assert!(
        apply.stdout.lines().any(|line| line.starts_with(
            "personal/web: held for a person, nothing sent: replaces LaunchConfiguration;"
        ) && line.contains("rolling replacement of Instances"))
            && apply.stdout.lines().any(|line| line
                .starts_with("personal/calm: held for a person, nothing sent:")
                && line.contains("Modify no Replacement given")),
        "{}",
        apply.stdout
    );
    assert!(
        apply
            .stdout
            .contains("0 updated, 0 failed, 2 held for a person"),
        "{}",
        apply.stdout
    );
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
    assert_exit(&again, 3);
    assert!(
        again
            .stdout
            .contains("Plan: 0 to install, 1 to update, 1 unchanged"),
        "{}",
        again.stdout
    );
    // A person approves it the usual way.
    let approved =
        run(moto
            .rackfile()
            .args(["apply", "--auto-approve", "--target", "personal/web"]));
    assert_exit(&approved, 0);
    assert_eq!(moto.live_parameter("web", "InstanceType"), "m5.large");
}

#[test]
fn an_uninstall_under_in_place_is_held_without_needing_allow_uninstall() {
    let moto = session();
    seed(&moto, "old", V2026, &[]);
    moto.write(
        "racks.toml",
        &racks(&format!(
            "\n[[rack]]\nname = \"old\"\nversion = \"{V2026}\"\nensure = \"absent\"\n"
        )),
    );
    let apply = run(moto.rackfile().args(["apply", "--auto-approve=in-place"]));
    assert_exit(&apply, 3);
    assert!(
        apply
            .stdout
            .contains("personal/old: held for a person, nothing sent: is uninstalled"),
        "{}",
        apply.stdout
    );
    assert!(
        moto.python(
            "print([s['StackName'] for s in client('cloudformation').describe_stacks()['Stacks']])"
        )
        .contains("'old'")
    );
}
