//! Change sets end to end against moto: `plan --changeset` makes, reads and deletes one per update;
//! `plan --changeset --out` keeps it and `apply PLANFILE` executes exactly it. moto's change sets carry only
//! Action, LogicalResourceId and ResourceType (no Replacement, Scope or Details): the disagreements between
//! the two views are the fake's tests (`change_sets::fake`).

use crate::common::run;
use crate::real_templates::{V2026, assert_exit, racks, seed, session};

/// The change sets moto holds for a stack: (name, execution status).
fn change_sets(moto: &crate::moto::MotoSession, stack: &str) -> Vec<(String, String)> {
    let listed = moto.python(&format!(
        "for s in client('cloudformation').list_change_sets(StackName='{stack}')['Summaries']:\n\
         \x20   print(s['ChangeSetName'], s['ExecutionStatus'])"
    ));
    listed
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(name, status)| (name.to_string(), status.trim().to_string()))
        .collect()
}

/// How many times a `-v` run called an operation (its call log names each).
fn calls(output: &crate::common::Output, operation: &str) -> usize {
    output
        .stderr
        .lines()
        .filter(|line| line.contains(&format!("CloudFormation.{operation} (")))
        .count()
}

fn one_rack() -> crate::moto::MotoSession {
    let moto = session();
    seed(&moto, "web", V2026, &[]);
    moto.write(
        "racks.toml",
        &racks(&format!(
            "\n[[rack]]\nname = \"web\"\nversion = \"{V2026}\"\n\n\
             [rack.parameters]\nLogRetention = \"30\"\n"
        )),
    );
    moto
}

#[test]
fn plan_with_changeset_makes_reads_and_deletes_a_change_set_and_changes_nothing() {
    let moto = one_rack();
    let plan = run(moto.rackfile().args(["-v", "plan", "--changeset"]));
    assert_exit(&plan, 0);
    assert_eq!(calls(&plan, "CreateChangeSet"), 1, "{}", plan.stderr);
    assert!(calls(&plan, "DescribeChangeSet") >= 1, "{}", plan.stderr);
    assert_eq!(calls(&plan, "DeleteChangeSet"), 1, "{}", plan.stderr);
    assert!(plan.stdout.contains("change set"), "{}", plan.stdout);
    assert_eq!(change_sets(&moto, "web"), []);
    assert_eq!(moto.live_parameter("web", "LogRetention"), "7");

    let json = run(moto.rackfile().args(["plan", "--changeset", "--json"]));
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        value["racks"][0]["change_set"]["change_set_status"], "ready",
        "{:#}",
        value["racks"][0]
    );
    assert_eq!(change_sets(&moto, "web"), []);
}

#[test]
fn a_saved_plan_executes_its_change_set_and_does_not_make_another() {
    let moto = one_rack();
    let saved = moto.path().join("web.plan");
    let plan = run(moto
        .rackfile()
        .args(["plan", "--changeset", "--out", saved.to_str().unwrap()]));
    assert_exit(&plan, 0);
    let kept = change_sets(&moto, "web");
    let [(name, status)] = &kept[..] else {
        panic!("one change set kept: {kept:?}");
    };
    assert_eq!(status, "AVAILABLE");

    let apply = run(moto
        .rackfile()
        .args(["-v", "apply", saved.to_str().unwrap()]));
    // What runs is what was reviewed: the kept change set is read again and executed, never made anew,
    // and no UpdateStack is sent.
    assert_exit(&apply, 0);
    assert_eq!(calls(&apply, "CreateChangeSet"), 0, "{}", apply.stderr);
    assert_eq!(calls(&apply, "UpdateStack"), 0, "{}", apply.stderr);
    assert_eq!(calls(&apply, "ExecuteChangeSet"), 1, "{}", apply.stderr);
    assert_eq!(
        change_sets(&moto, "web"),
        [(name.clone(), "EXECUTE_COMPLETE".to_string())]
    );
    assert_eq!(moto.live_parameter("web", "LogRetention"), "30");
}
