//! Every signal that ends a run ends it the same way, and nothing about where output goes can lose a
//! password or panic: SIGHUP and SIGQUIT during an install with a generated password give the summary and
//! the password, exit 130; a closed stdout is refused before an install that would print a password there;
//! a full stderr is no panic; a usage error exits 1 (never 2, `--detailed-exitcode`'s "changes"); a signal
//! while apply still reads AWS ends it at once.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{
    Output, exit_and_summary, rackfile, rackfile_against, run, silent_endpoint, stable_snapshots,
};
use crate::faults::proxy::{FaultProxy, Faults};
use crate::faults::through;
use crate::moto;

pub(crate) const RACKS: &str = "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n\
                     [org.personal]\nprofile = \"personal\"\n[[rack]]\nname = \"web\"\ntemplate = \"rack.yml\"\n";

pub(crate) fn wait_until(what: &str, limit: Duration, done: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(crate) fn send(signal: &str, pid: u32) {
    assert!(
        Command::new("kill")
            .args([&format!("-{signal}"), &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
}

pub(crate) fn finished(child: std::process::Child) -> Output {
    let output = child.wait_with_output().unwrap();
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn apply_on_a_hangup_or_quit_during_an_install_prints_the_summary_and_password_and_exits_130() {
    for signal in ["HUP", "QUIT"] {
        let moto = moto::session();
        moto.write("rack.yml", &moto::rack_template());
        moto.write("racks.toml", RACKS);
        // The install stays CREATE_IN_PROGRESS for a minute, as a real rack's does.
        let proxy = FaultProxy::start(
            moto.port,
            Faults {
                hold_in_progress: Duration::from_secs(60),
                ..Faults::default()
            },
        );
        let child = through(&moto, &proxy)
            .args(["apply", "--auto-approve"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_until("the CreateStack", Duration::from_secs(30), || {
            proxy.count("CreateStack", None) >= 1
        });
        send(signal, child.id());
        let output = finished(child);
        // The same summary whichever signal came (where the progress lines before it stop is timing); the
        // answer on stderr names the signal, not Ctrl-C, which nobody pressed.
        let name = format!("SIG{signal}");
        assert!(
            output
                .stderr
                .starts_with(&format!("Interrupted by {name}: ")),
            "{}",
            output.stderr
        );
        let summary = format!(
            "{}--- stderr\n{}",
            exit_and_summary(output.code, &output.stdout),
            output.stderr.replacen(&name, "[signal]", 1)
        );
        insta::allow_duplicates! {
            stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(summary, @"
                exit: 130
                --- stdout from the summary on
                Apply interrupted: 0 installed, 0 updated, 0 failed.
                    personal/web: interrupted; CloudFormation is still changing it (CREATE_IN_PROGRESS)

                CloudFormation is still changing personal/web (CREATE_IN_PROGRESS); rackfile stopped following, AWS did not stop. Watch them with `rackfile status`; a new apply waits for them.

                Password for personal/web (its install did not finish here; if CloudFormation completes it, this is its password) (shown only this once; store it now): [password]
                --- stderr
                Interrupted by [signal]: no new rack starts, and what is in progress goes on in AWS. Another signal (SIGTERM, SIGHUP, SIGQUIT or Ctrl-C) within 10 s cancels the updates in progress (CancelUpdateStack); a third exits at once.
                "))
        }
    }
}

#[test]
fn apply_refuses_a_closed_stdout_before_an_install_whose_password_would_be_printed_there() {
    use std::os::unix::process::CommandExt;
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    moto.write("racks.toml", RACKS);
    let mut apply = moto.rackfile();
    apply.args(["apply", "--auto-approve"]);
    // SAFETY: close(2) is async-signal-safe; the child closes its own stdout before exec (`apply >&-`).
    unsafe {
        apply.pre_exec(|| {
            libc::close(libc::STDOUT_FILENO);
            Ok(())
        });
    }
    let output = run(&mut apply);
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @"
        exit: 1
        --- stdout
        --- stderr
        error: stdout is closed or /dev/null, and the install of personal/web generates an API password that is printed only there; nothing was changed
           = help: give stdout somewhere to go (a file, a terminal), or set `password_ssm` or `password_env`
        "));
    let stacks = moto.python("print(len(client('cloudformation').describe_stacks()['Stacks']))");
    assert_eq!(stacks.trim(), "0", "nothing was installed");
}

#[test]
fn validate_with_a_full_stderr_exits_1_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = run(rackfile(dir.path())
        .args(["validate", "-f", "missing.toml"])
        .stderr(Stdio::from(full)));
    assert_eq!(output.code, 1, "an error, not a panic (101)");
}

#[test]
fn plan_with_a_usage_error_exits_1_and_with_help_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let typo = run(rackfile(dir.path()).args(["plan", "--detailed-exitcod"]));
    insta::assert_snapshot!(typo.snapshot(), @"
        exit: 1
        --- stdout
        --- stderr
        error: unexpected argument '--detailed-exitcod' found

          tip: a similar argument exists: '--detailed-exitcode'

        Usage: rackfile plan --detailed-exitcode[=<WHICH>]

        For more information, try '--help'.
        ");
    let help = run(rackfile(dir.path()).args(["plan", "--help"]));
    assert_eq!(help.code, 0, "{}", help.stderr);
}

#[test]
fn apply_on_a_signal_while_it_still_reads_aws_ends_at_once_with_130() {
    let dir = tempfile::tempdir().unwrap();
    let (port, connected) = silent_endpoint();
    let child = rackfile_against(dir.path(), port)
        .args(["apply", "--auto-approve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("the first AWS call", Duration::from_secs(20), || {
        connected.load(std::sync::atomic::Ordering::SeqCst)
    });
    send("TERM", child.id());
    let output = finished(child);
    // The interrupt ended it, not the call's 30 s timeout (which is exit 1 and an AWS error).
    stable_snapshots(dir.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @"
        exit: 130
        --- stdout
        --- stderr
        Interrupted by SIGTERM: no new rack starts, and what is in progress goes on in AWS. Another signal (SIGTERM, SIGHUP, SIGQUIT or Ctrl-C) within 10 s cancels the updates in progress (CancelUpdateStack); a third exits at once.
        error: apply interrupted while reading AWS; nothing was changed
        "));
}

/// A third interrupt exits at once, yet with the password of the install it started: SIGINT three times,
/// and SIGINT then SIGTERM twice (a supervisor stopping a job someone pressed Ctrl-C in).
#[test]
fn apply_on_a_third_interrupt_exits_at_once_with_the_password_of_the_install_it_started() {
    use std::io::Read as _;
    use std::sync::{Arc, Mutex};
    for signals in [["INT", "INT", "INT"], ["INT", "TERM", "TERM"]] {
        let moto = moto::session();
        moto.write("rack.yml", &moto::rack_template());
        moto.write("racks.toml", RACKS);
        let proxy = FaultProxy::start(
            moto.port,
            Faults {
                hold_in_progress: Duration::from_secs(120),
                ..Faults::default()
            },
        );
        let mut child = through(&moto, &proxy)
            .args(["apply", "--auto-approve"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // stderr is read as it comes, so each signal is sent once the one before it was taken.
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let reader = {
            let stderr = stderr.clone();
            std::thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(read) = pipe.read(&mut chunk) {
                    if read == 0 {
                        break;
                    }
                    stderr
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&chunk[..read]));
                }
            })
        };
        wait_until("the CreateStack", Duration::from_secs(30), || {
            proxy.count("CreateStack", None) >= 1
        });
        send(signals[0], child.id());
        wait_until("the first interrupt", Duration::from_secs(10), || {
            stderr
                .lock()
                .unwrap()
                .contains("Interrupted: no new rack starts")
        });
        send(signals[1], child.id());
        wait_until("the second interrupt", Duration::from_secs(10), || {
            stderr
                .lock()
                .unwrap()
                .contains("Cancelling the updates in progress")
        });
        let sent = Instant::now();
        send(signals[2], child.id());
        let output = finished(child);
        reader.join().unwrap();
        let stderr = stderr.lock().unwrap().clone();
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "at once: the install is held in progress for two minutes"
        );
        assert_eq!(output.code, 130, "{signals:?}:\n{}{stderr}", output.stdout);
        // The third signal usually ends the run at once; on a loaded machine the run may have finished its
        // own summary (the install cannot be cancelled) before it came. Either way the password is printed.
        let third = output
            .stdout
            .contains("Apply interrupted a third time: exited at once.");
        let prefix = if third {
            "Password for personal/web (its install was started; if CloudFormation completes it, this is its password) (shown only this once; store it now): "
        } else {
            "Password for personal/web (its install did not finish here; if CloudFormation completes it, this is its password) (shown only this once; store it now): "
        };
        let password = output
            .stdout
            .lines()
            .find_map(|line| line.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("{signals:?}: no password:\n{}{stderr}", output.stdout));
        assert_eq!(password.len(), 30, "{password}");
        assert!(
            third || output.stdout.contains("Apply interrupted: 0 installed"),
            "{}",
            output.stdout
        );
    }
}
