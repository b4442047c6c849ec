//! `cancel`, `events` and `status` against moto, through the real binary: an update held in progress by
//! the launcher (as another tool's would be on AWS) is cancelled and rolled back; `events` names the last
//! operation and `status` where it failed, with moto's forced UPDATE_ROLLBACK_FAILED; each command calls
//! only what `rackfile permissions` grants it.

use crate::common::run;
use crate::moto::{self, MotoSession};
use crate::permissions::covered;

fn racks_toml(count: u32) -> String {
    format!(
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"20161102160040\"\n\
         [org.personal]\nprofile = \"personal\"\naccount_id = \"{}\"\n\
         [[rack]]\nname = \"web\"\ntemplate = \"rack.yml\"\npassword_env = \"RACK_PASSWORD\"\ninstance_count = {count}\n",
        moto::PERSONAL_ACCOUNT
    )
}

/// Rack `web` installed with 3 instances, then updated to 4 by rackfile.
fn updated() -> MotoSession {
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    for count in [3, 4] {
        moto.write("racks.toml", &racks_toml(count));
        let output = run(moto
            .rackfile()
            .args(["apply", "--auto-approve"])
            .env("RACK_PASSWORD", "rack-secret-1"));
        assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
    }
    moto
}

#[test]
fn cancel_rolls_back_an_update_in_progress_and_events_and_status_tell_it() {
    let moto = updated();
    moto.set_stack_status("web", "UPDATE_IN_PROGRESS");
    covered(&moto, "status", &["status"], 0);
    let output = run(moto.rackfile().args(["status"]));
    assert!(
        output.stdout.contains("personal/web  updating"),
        "{}",
        output.stdout
    );

    let needed = covered(
        &moto,
        "cancel",
        &[
            "cancel",
            "--target",
            "personal/web",
            "--auto-approve",
            "--wait",
        ],
        0,
    );
    assert!(
        needed.contains("cloudformation:CancelUpdateStack"),
        "{needed:?}"
    );
    assert_eq!(moto.live_parameter("web", "InstanceCount"), "3");

    let needed = covered(&moto, "events", &["events"], 0);
    assert!(
        needed.contains("cloudformation:DescribeStackEvents"),
        "{needed:?}"
    );
    let output = run(moto.rackfile().args(["events", "--json"]));
    assert_eq!(output.code, 0, "{}", output.stderr);
    let events: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    let operation = &events["racks"][0]["last_operation"];
    assert_eq!(operation["kind"], "update");
    assert_eq!(operation["outcome"], "rolled_back");
    assert_eq!(operation["status"], "UPDATE_ROLLBACK_COMPLETE");
    let statuses: Vec<&str> = events["racks"][0]["recent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.last(), Some(&"UPDATE_ROLLBACK_COMPLETE"));

    let output = run(moto.rackfile().arg("status"));
    assert!(
        output
            .stdout
            .contains("personal/web  running, last update rolled back: see rackfile events"),
        "{}",
        output.stdout
    );

    // A second cancel finds nothing in progress: refused, exit 1, nothing sent.
    let output =
        run(moto
            .rackfile()
            .args(["cancel", "--target", "personal/web", "--auto-approve"]));
    assert_eq!(output.code, 1, "{}", output.stdout);
    assert!(
        output.stderr.contains(
            "personal/web: no update is in progress (the stack is UPDATE_ROLLBACK_COMPLETE)"
        ),
        "{}",
        output.stderr
    );
}

#[test]
fn a_failed_rollback_is_failed_in_status_and_explained_by_events() {
    let moto = updated();
    moto.set_stack_status("web", "UPDATE_ROLLBACK_FAILED");
    let output = run(moto.rackfile().arg("status"));
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(
        output
            .stdout
            .contains("personal/web  failed: see rackfile events"),
        "{}",
        output.stdout
    );
    let output = run(moto.rackfile().args(["events", "--target", "personal/web"]));
    assert_eq!(output.code, 0, "{}", output.stderr);
    // moto's forced status has no event of its own: the events end with the update rackfile made, which is
    // not taken for the operation that failed.
    assert!(
        output
            .stdout
            .contains("personal/web  failed (UPDATE_ROLLBACK_FAILED, us-east-1)"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("(its start is not among the events read): failed"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("way out: `rackfile apply --recover` continues the rollback"),
        "{}",
        output.stdout
    );
    // `--recover --skip` reads the stack's resources (ListStackResources, in apply's policy) and refuses
    // what has not failed, naming it; nothing is sent. (moto reports its resources with the stack's status and
    // without their logical ids, so only a resource the stack does not have is refused here; the fake tests
    // a resource that did not fail.)
    let needed = covered(
        &moto,
        "apply",
        &["apply", "--recover", "--auto-approve", "--skip", "Nope"],
        1,
    );
    assert!(
        needed.contains("cloudformation:ListStackResources"),
        "{needed:?}"
    );
    assert!(
        !needed.contains("cloudformation:ContinueUpdateRollback"),
        "{needed:?}"
    );
    let output =
        run(moto
            .rackfile()
            .args(["apply", "--recover", "--auto-approve", "--skip", "Nope"]));
    assert_eq!(output.code, 1, "{}", output.stdout);
    assert!(
        output.stderr.contains(
            "--skip: personal/web: only a resource that itself failed can be skipped, not Nope (no such resource in the stack); nothing was changed"
        ),
        "{}",
        output.stderr
    );
    assert_eq!(
        moto.python(
            "print(client('cloudformation').describe_stacks(StackName='web')['Stacks'][0]['StackStatus'])"
        )
        .trim(),
        "UPDATE_ROLLBACK_FAILED"
    );
    // An undeclared rack is refused by name.
    let output = run(moto
        .rackfile()
        .args(["events", "--target", "personal/nope"]));
    assert_eq!(output.code, 1);
    assert!(
        output
            .stderr
            .contains("--target personal/nope: no such rack in"),
        "{}",
        output.stderr
    );
}
