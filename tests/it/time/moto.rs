//! Cancelling against moto (through scripts/moto-server.py's CancelUpdateStack, built from moto's own
//! models): an update held in progress is cancelled at `--timeout` under `--on-timeout cancel`, its
//! rollback followed to UPDATE_ROLLBACK_COMPLETE, and the stack is back at its parameters from before.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use crate::common::{exit_and_summary, run, stable_snapshots};
use crate::faults::proxy::{FaultProxy, Faults};
use crate::faults::through;
use crate::moto;
use crate::signals::{RACKS, finished, send, wait_until};

fn stack_status(moto: &moto::MotoSession) -> String {
    moto.python(
        "print(client('cloudformation').describe_stacks(StackName='web')['Stacks'][0]['StackStatus'])",
    )
    .trim()
    .to_string()
}

/// A rack installed on moto, then its InstanceType changed in racks.toml.
fn installed_then_changed() -> moto::MotoSession {
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    moto.write("racks.toml", RACKS);
    let installed = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_eq!(
        installed.code, 0,
        "{}{}",
        installed.stdout, installed.stderr
    );
    moto.write(
        "racks.toml",
        &format!("{RACKS}instance_type = \"m5.large\"\n"),
    );
    moto
}

/// An update held in progress for two minutes, in what rackfile reads and in moto's own model.
fn held_update() -> Faults {
    Faults {
        hold_in_progress: Duration::from_secs(120),
        update_in_progress_in_moto: true,
        ..Faults::default()
    }
}

#[test]
fn apply_on_timeout_cancel_cancels_an_update_in_progress_and_follows_its_rollback() {
    let moto = installed_then_changed();
    // moto completes an update at once; the proxy shows it in progress for two minutes, as a rack's
    // update is, and puts moto's own model back in UPDATE_IN_PROGRESS before rackfile hears that the
    // UpdateStack was accepted, so the cancel at the timeout finds it there whenever the timeout comes.
    let proxy = FaultProxy::start(moto.port, held_update());
    let child = through(&moto, &proxy)
        .args([
            "apply",
            "--auto-approve",
            "--timeout",
            "2s",
            "--on-timeout",
            "cancel",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = finished(child);
    assert_eq!(output.code, 1, "{}{}", output.stdout, output.stderr);
    assert_eq!(proxy.count("UpdateStack", None), 1);
    let cancelling = output
        .stdout
        .lines()
        .find(|line| line.starts_with("personal/web: cancelling after "))
        .unwrap_or_else(|| panic!("no cancel:\n{}", output.stdout));
    assert!(
        cancelling.ends_with("s (CancelUpdateStack): following the rollback"),
        "{cancelling}"
    );
    // Where the polls before the timeout fall is timing: the summary on is pinned.
    let summary = format!(
        "{}--- stderr\n{}",
        exit_and_summary(output.code, &output.stdout),
        output.stderr
    );
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(summary, @"
        exit: 1
        --- stdout from the summary on
        Apply failed: 0 installed, 0 updated, 0 failed, 1 cancelled.
            personal/web: cancelled after [time]; rolled back in [time]

        Cancelled and rolled back to UPDATE_ROLLBACK_COMPLETE: personal/web.
        --- stderr
        ")
    });
    assert_eq!(proxy.count("CancelUpdateStack", None), 1);
    assert_eq!(stack_status(&moto), "UPDATE_ROLLBACK_COMPLETE");
    assert_eq!(moto.live_parameter("web", "InstanceType"), "t2.small");
}

#[test]
fn moto_refuses_a_cancel_when_no_update_is_in_progress_as_aws_does() {
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    moto.write("racks.toml", RACKS);
    let installed = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_eq!(installed.code, 0, "{}", installed.stderr);
    let answer = moto.python(
        "try:\n    client('cloudformation').cancel_update_stack(StackName='web')\n    print('accepted')\n\
         except Exception as error:\n    print(error)\n",
    );
    assert!(
        answer.contains("ValidationError")
            && answer.contains("CancelUpdateStack cannot be called from current stack status"),
        "{answer}"
    );
    assert_eq!(stack_status(&moto), "CREATE_COMPLETE");
}

#[test]
fn apply_on_a_second_ctrl_c_cancels_the_update_in_progress_and_follows_its_rollback() {
    let moto = installed_then_changed();
    let proxy = FaultProxy::start(moto.port, held_update());
    let mut child = through(&moto, &proxy)
        .args(["apply", "--auto-approve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (acknowledged, first_press_heard) = std::sync::mpsc::channel();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        for line in stderr.lines() {
            let line = line.unwrap();
            // A whole line: the message ends with its newline, not with whatever is printed next.
            if line.contains("Press Ctrl-C again") {
                let _ = acknowledged.send(());
            }
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    // moto carried the update out and the proxy put it back in progress: rackfile is about to follow it.
    wait_until("the UpdateStack", Duration::from_secs(30), || {
        proxy.count("UpdateStack", None) >= 1 && stack_status(&moto) == "UPDATE_IN_PROGRESS"
    });
    send("INT", child.id());
    first_press_heard
        .recv_timeout(Duration::from_secs(30))
        .expect("the first Ctrl-C is answered on stderr");
    send("INT", child.id());
    let output = finished(child);
    let stderr = stderr.join().unwrap();
    // Where the polls before each Ctrl-C fall is timing: the summary on is pinned.
    let summary = format!(
        "{}--- stderr\n{stderr}",
        exit_and_summary(output.code, &output.stdout)
    );
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(summary, @"
        exit: 130
        --- stdout from the summary on
        Apply interrupted: 0 installed, 0 updated, 0 failed, 1 cancelled.
            personal/web: cancelled after [time]; rolled back in [time]

        Cancelled and rolled back to UPDATE_ROLLBACK_COMPLETE: personal/web.
        --- stderr
        Interrupted: no new rack starts, and what is in progress goes on in AWS. Press Ctrl-C again within 10 s to cancel the updates in progress (CancelUpdateStack); a third time exits at once.
        Cancelling the updates in progress and following their rollbacks; Ctrl-C again exits at once.
        "));
    assert_eq!(stack_status(&moto), "UPDATE_ROLLBACK_COMPLETE");
    assert_eq!(moto.live_parameter("web", "InstanceType"), "t2.small");
}
