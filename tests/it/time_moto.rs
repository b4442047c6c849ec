//! Cancelling against moto (through scripts/moto-server.py's CancelUpdateStack, built from moto's own
//! models): an update held in progress is cancelled at `--timeout` under `--on-timeout cancel`, its
//! rollback followed to UPDATE_ROLLBACK_COMPLETE, and the stack is back at its parameters from before.

use std::process::Stdio;
use std::time::Duration;

use crate::common::run;
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

#[test]
fn on_timeout_cancel_cancels_an_update_in_progress_and_follows_its_rollback_on_moto() {
    let moto = installed_then_changed();
    // moto completes an update at once; the proxy shows it in progress for two minutes, as a rack's
    // update is, and moto's own model is put in UPDATE_IN_PROGRESS once the UpdateStack reached it.
    let proxy = FaultProxy::start(
        moto.port,
        Faults {
            hold_in_progress: Duration::from_secs(120),
            ..Faults::default()
        },
    );
    let child = through(&moto, &proxy)
        .args([
            "apply",
            "--auto-approve",
            "--timeout",
            "10s",
            "--on-timeout",
            "cancel",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once moto has carried the update out (it completes at once), its model is put back in progress.
    wait_until("the UpdateStack", Duration::from_secs(30), || {
        proxy.count("UpdateStack", None) >= 1
            && moto.live_parameter("web", "InstanceType") == "m5.large"
    });
    moto.set_stack_status("web", "UPDATE_IN_PROGRESS");
    let output = finished(child);
    assert_eq!(output.code, 1, "{}{}", output.stdout, output.stderr);
    // The update was sent a moment after the rack's work started: a few seconds before the timeout.
    let cancelling = output
        .stdout
        .lines()
        .find(|line| line.starts_with("personal/web: cancelling after "))
        .unwrap_or_else(|| panic!("no cancel:\n{}", output.stdout));
    assert!(
        cancelling.ends_with("s (CancelUpdateStack): following the rollback"),
        "{cancelling}"
    );
    assert!(
        output
            .stdout
            .contains("Cancelled and rolled back to UPDATE_ROLLBACK_COMPLETE: personal/web."),
        "{}",
        output.stdout
    );
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
fn a_second_ctrl_c_cancels_the_update_in_progress_and_follows_its_rollback_on_moto() {
    let moto = installed_then_changed();
    let proxy = FaultProxy::start(
        moto.port,
        Faults {
            hold_in_progress: Duration::from_secs(120),
            ..Faults::default()
        },
    );
    let child = through(&moto, &proxy)
        .args(["apply", "--auto-approve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("the UpdateStack", Duration::from_secs(30), || {
        proxy.count("UpdateStack", None) >= 1
            && moto.live_parameter("web", "InstanceType") == "m5.large"
    });
    moto.set_stack_status("web", "UPDATE_IN_PROGRESS");
    send("INT", child.id());
    std::thread::sleep(Duration::from_secs(1));
    send("INT", child.id());
    let output = finished(child);
    assert_eq!(output.code, 130, "{}{}", output.stdout, output.stderr);
    assert!(
        output
            .stderr
            .contains("Press Ctrl-C again within 10 s to cancel the updates in progress"),
        "{}",
        output.stderr
    );
    assert!(
        output
            .stdout
            .contains("Cancelled and rolled back to UPDATE_ROLLBACK_COMPLETE: personal/web."),
        "{}",
        output.stdout
    );
    assert_eq!(stack_status(&moto), "UPDATE_ROLLBACK_COMPLETE");
    assert_eq!(moto.live_parameter("web", "InstanceType"), "t2.small");
}
