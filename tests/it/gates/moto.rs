//! One gate, every plan, against moto through the real binary: a rack with `ensure = "absent"` that is
//! busy when planned (forced UPDATE_IN_PROGRESS through the moto launcher) is waited for and planned again,
//! and its uninstall is refused without `--allow-uninstall`, as the first plan's would be.

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;

use crate::common::{run, stable_snapshots, stream_messages};
use crate::moto::{self, MotoSession};

fn racks_toml(ensure: &str) -> String {
    format!(
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"20161102160040\"\n\
         [org.personal]\nprofile = \"personal\"\naccount_id = \"{}\"\n\
         [[rack]]\nname = \"old\"\ntemplate = \"rack.yml\"\npassword_env = \"RACK_PASSWORD\"\nensure = \"{ensure}\"\n",
        moto::PERSONAL_ACCOUNT
    )
}

fn installed() -> MotoSession {
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    moto.write("racks.toml", &racks_toml("present"));
    let output = run(moto
        .rackfile()
        .args(["apply", "--auto-approve"])
        .env("RACK_PASSWORD", "rack-secret-1"));
    assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
    moto
}

/// Runs apply with `args` while the rack is UPDATE_IN_PROGRESS, lets the stack settle once apply says it
/// waits, and returns the exit code and everything printed.
fn apply_while_busy(moto: &MotoSession, args: &[&str]) -> (Option<i32>, String) {
    moto.set_stack_status("old", "UPDATE_IN_PROGRESS");
    let mut child = moto
        .rackfile()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            panic!("apply ended before it waited:\n{seen}");
        }
        seen.push_str(&line);
        if line.contains("personal/old: waiting: UPDATE_IN_PROGRESS") {
            break;
        }
    }
    moto.set_stack_status("old", "UPDATE_COMPLETE");
    stdout.read_to_string(&mut seen).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    seen.push_str(&stderr);
    (child.wait().unwrap().code(), seen)
}

fn still_there(moto: &MotoSession) -> bool {
    moto.python(
        "cfn = client('cloudformation')\n\
         print([s['StackStatus'] for s in cfn.describe_stacks()['Stacks'] if s['StackName'] == 'old'])\n",
    )
    .contains("UPDATE_COMPLETE")
}

#[test]
fn apply_waits_for_a_busy_rack_to_uninstall_and_refuses_it_without_allow_uninstall() {
    let moto = installed();
    moto.write("racks.toml", &racks_toml("absent"));
    let snapshots = stable_snapshots(moto.path());

    let (code, output) = apply_while_busy(&moto, &["apply", "--auto-approve"]);
    let output = format!("exit: {}\n--- output\n{output}", code.unwrap());
    snapshots.bind(|| insta::assert_snapshot!(output, @r#"
        exit: 1
        --- output
        Read account 123456789012 (org personal): us-east-1

        … personal/old (us-east-1) is waited for, then planned again
            UPDATE_IN_PROGRESS: CloudFormation is changing the stack; apply waits for it to finish, then plans it again (an uninstall needs --allow-uninstall)

        Plan: 0 to install, 0 to update, 1 to wait for, 0 unchanged, 0 blocked.

        personal/old: waiting: UPDATE_IN_PROGRESS
        personal/old: not changed: UPDATE_COMPLETE: its new plan uninstalls the rack (ensure = "absent"), and --allow-uninstall was not given; nothing was sent

        Apply failed: 0 installed, 0 updated, 0 failed, 1 blocked.
            personal/old: not changed: UPDATE_COMPLETE: its new plan uninstalls the rack (ensure = "absent"), and --allow-uninstall was not given; nothing was sent
        "#));
    assert!(still_there(&moto), "uninstalled anyway:\n{output}");

    let (code, output) = apply_while_busy(&moto, &["apply", "--auto-approve", "--json"]);
    let output = format!(
        "exit: {}\n--- output\n{}",
        code.unwrap(),
        stream_messages(&output)
    );
    snapshots.bind(|| insta::assert_snapshot!(output, @r#"
        exit: 1
        --- output
        version: rackfile 0.1.0 apply stream, format 1
        plan: Plan: 0 to install, 0 to update, 1 to wait for, 0 unchanged, 0 blocked.
        rack_start: personal/old: waiting: UPDATE_IN_PROGRESS
        rack_errored: personal/old: not changed: UPDATE_COMPLETE: its new plan uninstalls the rack (ensure = "absent"), and --allow-uninstall was not given; nothing was sent
        summary: Apply failed: 0 installed, 0 updated, 0 failed, 1 blocked.
        "#));
    assert!(still_there(&moto), "uninstalled anyway:\n{output}");

    let (code, output) = apply_while_busy(&moto, &["apply", "--auto-approve", "--allow-uninstall"]);
    let output = format!("exit: {}\n--- output\n{output}", code.unwrap());
    snapshots.bind(|| insta::assert_snapshot!(output, @"
        exit: 0
        --- output
        Read account 123456789012 (org personal): us-east-1

        … personal/old (us-east-1) is waited for, then planned again
            UPDATE_IN_PROGRESS: CloudFormation is changing the stack; apply waits for it to finish, then plans it again (an uninstall needs --allow-uninstall)

        Plan: 0 to install, 0 to update, 1 to wait for, 0 unchanged, 0 blocked.

        personal/old: waiting: UPDATE_IN_PROGRESS
        personal/old: no autoscaler rule to disable (Autoscale is off, or the template has none)
        personal/old: deleting old (11 resources)
        personal/old: DELETE_IN_PROGRESS
        personal/old: DELETE_COMPLETE
        personal/old: uninstalled in [time]; left behind (DeletionPolicy Retain): Settings (AWS::S3::Bucket)

        Apply complete: 0 installed, 0 updated, 1 uninstalled, 0 failed.
            personal/old: uninstalled in [time]; left behind (DeletionPolicy Retain): Settings (AWS::S3::Bucket)
        "));
    assert!(!still_there(&moto), "{output}");
}
