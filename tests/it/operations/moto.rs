//! `cancel`, `events` and `status` against moto, through the real binary: an update held in progress by
//! the launcher (as another tool's would be on AWS) is cancelled and rolled back; `events` names the last
//! operation and `status` where it failed, with moto's forced UPDATE_ROLLBACK_FAILED; each command calls
//! only what `rackfile permissions` grants it.

use crate::common::{run, stable_snapshots};
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
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 0
        --- stdout
        RACK          STATUS    VERSION         LATEST  REGION     COUNT  TYPE      ENDPOINT
        personal/web  updating  20161102160040  -       us-east-1  4      t2.small  web.us-east-1.elb.amazonaws.com
        --- stderr
        "#));

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
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 0
        --- stdout
        RACK          STATUS                                                 VERSION         LATEST  REGION     COUNT  TYPE      ENDPOINT
        personal/web  running, last update rolled back: see rackfile events  20161102160040  -       us-east-1  3      t2.small  web.us-east-1.elb.amazonaws.com
        --- stderr
        "#));

    // A second cancel finds nothing in progress: refused, exit 1, nothing sent.
    let output =
        run(moto
            .rackfile()
            .args(["cancel", "--target", "personal/web", "--auto-approve"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: nothing was cancelled:
          personal/web: no update is in progress (the stack is UPDATE_ROLLBACK_COMPLETE)
           = help: `rackfile status` shows what each rack is doing, `rackfile events` its last operation
        "#));
}

#[test]
fn status_says_failed_and_events_explain_a_failed_rollback() {
    let moto = updated();
    moto.set_stack_status("web", "UPDATE_ROLLBACK_FAILED");
    let output = run(moto.rackfile().arg("status"));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 0
        --- stdout
        RACK          STATUS                       VERSION         LATEST  REGION     COUNT  TYPE      ENDPOINT
        personal/web  failed: see rackfile events  20161102160040  -       us-east-1  4      t2.small  web.us-east-1.elb.amazonaws.com
        --- stderr
        "#));
    let output = run(moto.rackfile().args(["events", "--target", "personal/web"]));
    // moto's forced status has no event of its own: the events end with the update rackfile made, which is
    // not taken for the operation that failed.
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 0
        --- stdout
        personal/web  failed (UPDATE_ROLLBACK_FAILED, us-east-1)
          last operation: update (UpdateStack), started by [timestamp] (its start is not among the events read): failed
          way out: `rackfile apply --recover` continues the rollback
        --- stderr
        "#));
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
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ↺ personal/web (us-east-1) will continue its rollback
            UPDATE_ROLLBACK_FAILED: ContinueUpdateRollback, followed to UPDATE_ROLLBACK_COMPLETE; then the rack is planned again and its update, if any, applied

        Plan: 0 to install, 0 to update, 1 to continue rollback, 0 unchanged, 0 blocked.
        --- stderr
        error: --skip: personal/web: only a resource that itself failed can be skipped, not Nope (no such resource in the stack); nothing was changed
           = help: `rackfile events --target personal/web` names the failed resources
        "#));
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
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: --target personal/nope: no such rack in racks.toml
           = help: did you mean `personal/web`?
        "#)
    });
}
