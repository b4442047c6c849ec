//! Output that cannot be written is an error that stops the run and says so on stderr, never a silent
//! success: `plan --json` and `apply --json` into a full disk, and `apply --json` into a closed stdout,
//! are refused before anything is sent.

use std::process::Stdio;

use crate::common::{rackfile, run, stable_snapshots};
use crate::moto;

/// One rack to install with a password from the environment (so `--json` may install it).
const RACKS: &str = "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n\
                     [org.personal]\nprofile = \"personal\"\n[[rack]]\nname = \"web\"\ntemplate = \"rack.yml\"\n\
                     password_env = \"WEB_PASSWORD\"\n";

fn dev_full() -> Stdio {
    Stdio::from(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    )
}

fn stacks(moto: &moto::MotoSession) -> String {
    moto.python("print(len(client('cloudformation').describe_stacks()['Stacks']))")
        .trim()
        .to_string()
}

#[test]
fn plan_json_whose_error_cannot_be_written_to_stdout_says_it_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(rackfile(dir.path())
        .args(["plan", "--json", "-f", "missing.toml"])
        .stdout(dev_full()));
    // The error itself, on stderr.
    stable_snapshots(dir.path()).bind(|| {
        insta::assert_snapshot!(output.snapshot(), @"
        exit: 1
        --- stdout
        --- stderr
        error: cannot read missing.toml: No such file or directory (os error 2)
           = help: create it, or point at another file with -f FILE
        ")
    });
}

#[test]
fn apply_json_into_a_full_disk_is_refused_before_anything_is_sent() {
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    moto.write("racks.toml", RACKS);
    let output = run(moto
        .rackfile()
        .env("WEB_PASSWORD", "a-password-of-thirty-characters")
        .args(["apply", "--json", "--auto-approve"])
        .stdout(dev_full()));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @"
        exit: 1
        --- stdout
        --- stderr
        error: cannot write apply's output to stdout (No space left on device (os error 28)); nothing was changed
           = help: give stdout somewhere that takes it: a file with room, a reader that stays
        "));
    assert_eq!(stacks(&moto), "0", "nothing was installed");
}

#[test]
fn apply_json_into_a_closed_stdout_is_refused_before_anything_is_sent() {
    use std::os::unix::process::CommandExt;
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    moto.write("racks.toml", RACKS);
    let mut apply = moto.rackfile();
    apply
        .env("WEB_PASSWORD", "a-password-of-thirty-characters")
        .args(["apply", "--json", "--auto-approve"]);
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
        error: cannot write apply's output to stdout (stdout is closed or /dev/null); nothing was changed
           = help: give stdout somewhere that takes it: a file with room, a reader that stays
        "));
    assert_eq!(stacks(&moto), "0", "nothing was installed");
}

/// A reader that goes away while apply runs: the next line fails to be written, no new rack starts (the
/// second of two racks, one at a time, is never created), and the run exits 1 saying why on stderr.
#[test]
fn apply_json_whose_reader_goes_away_starts_nothing_more_and_exits_1() {
    use std::io::BufRead as _;
    use std::time::Duration;

    use crate::faults::proxy::{FaultProxy, Faults};
    use crate::faults::through;
    use crate::signals::finished;

    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    moto.write(
        "racks.toml",
        &format!("{RACKS}[[rack]]\nname = \"api\"\ntemplate = \"rack.yml\"\npassword_env = \"WEB_PASSWORD\"\n"),
    );
    // The first install stays CREATE_IN_PROGRESS, so a line about it comes after the reader has gone.
    let proxy = FaultProxy::start(
        moto.port,
        Faults {
            hold_in_progress: Duration::from_secs(90),
            ..Faults::default()
        },
    );
    let mut child = through(&moto, &proxy)
        .env("WEB_PASSWORD", "a-password-of-thirty-characters")
        .args(["apply", "--json", "--auto-approve", "--parallelism", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("\"type\":\"rack_start\"") {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "no rack_start");
    }
    drop(stdout);
    let output = finished(child);
    // stdout is what the reader left unread: pinned is the exit code and what stderr says.
    let stderr = format!("exit: {}\n--- stderr\n{}", output.code, output.stderr);
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(stderr, @"
        exit: 1
        --- stderr
        error: cannot write to stdout (Broken pipe (os error 32)): apply started nothing after it; what was in progress goes on in AWS (see `rackfile status`)
        "));
    assert_eq!(
        proxy.count("CreateStack", None),
        1,
        "the second rack was never started"
    );
}
