//! Output that cannot be written is an error that stops the run and says so on stderr, never a silent
//! success: `plan --json` and `apply --json` into a full disk, and `apply --json` into a closed stdout,
//! are refused before anything is sent.

use std::process::Stdio;

use crate::common::{rackfile, run};
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
fn a_json_error_that_cannot_be_written_to_stdout_is_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(rackfile(dir.path())
        .args(["plan", "--json", "-f", "missing.toml"])
        .stdout(dev_full()));
    assert_eq!(output.code, 1, "{}", output.stderr);
    assert!(
        output.stderr.contains("missing.toml"),
        "the error itself, on stderr: {:?}",
        output.stderr
    );
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
    assert_eq!(output.code, 1, "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("cannot write apply's output to stdout (No space left on device"),
        "{}",
        output.stderr
    );
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
    assert_eq!(output.code, 1, "{}", output.stderr);
    assert!(
        output.stderr.contains(
            "cannot write apply's output to stdout (stdout is closed or /dev/null); nothing was changed"
        ),
        "{}",
        output.stderr
    );
    assert_eq!(stacks(&moto), "0", "nothing was installed");
}
