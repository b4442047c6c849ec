//! `rackfile apply` on a real (pseudo-)terminal against moto: the progress bars draw, and end in the summary
//! with nothing left half-drawn after it; NO_COLOR and a dumb terminal get plain lines instead.

use std::io::Read;

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

use crate::moto::{self, MotoSession, PERSONAL_ACCOUNT};

fn session() -> MotoSession {
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    moto.write(
        "racks.toml",
        &format!(
            "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"20161102160040\"\n\
             instance_type = \"t2.small\"\ninstance_count = 3\nprivate = false\n\
             [org.personal]\nprofile = \"personal\"\naccount_id = \"{PERSONAL_ACCOUNT}\"\n\
             [[rack]]\nname = \"web\"\ntemplate = \"rack.yml\"\npassword_env = \"RACK_PASSWORD\"\n\
             [[rack]]\nname = \"api\"\ntemplate = \"rack.yml\"\npassword_env = \"RACK_PASSWORD\"\n"
        ),
    );
    moto
}

/// Runs `rackfile apply --auto-approve` and `extra_arguments` in a pseudo-terminal with `extra` environment;
/// everything it wrote.
fn apply_on_a_terminal(
    moto: &MotoSession,
    extra_arguments: &[&str],
    extra: &[(&str, &str)],
) -> String {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 160,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pseudo-terminal");
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_rackfile"));
    command.args(["apply", "--auto-approve"]);
    command.args(extra_arguments);
    command.cwd(moto.path());
    command.env_clear();
    for (key, value) in [
        ("AWS_ENDPOINT_URL", moto.endpoint()),
        (
            "AWS_CONFIG_FILE",
            moto.path().join("aws-config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            moto.path().join("aws-credentials").display().to_string(),
        ),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("RACK_PASSWORD", "terminal-password".into()),
        ("TERM", "xterm-256color".into()),
        (
            "XDG_CACHE_HOME",
            moto.path().join(".cache").display().to_string(),
        ),
    ] {
        command.env(key, value);
    }
    for (key, value) in extra {
        command.env(key, value);
    }
    let mut child = pty.slave.spawn_command(command).expect("rackfile starts");
    // The terminal's other end stays open only in the child, so reading ends when it exits.
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let mut output = Vec::new();
    let _ = reader.read_to_end(&mut output);
    let status = child.wait().unwrap();
    let output = String::from_utf8_lossy(&output).into_owned();
    assert!(status.success(), "{output}");
    output
}

#[test]
fn apply_on_a_terminal_draws_bars_and_ends_in_the_summary() {
    let moto = session();
    let output = apply_on_a_terminal(&moto, &[], &[]);
    let summary = output
        .find("Apply complete: 2 installed")
        .unwrap_or_else(|| panic!("no summary in {output:?}"));
    let (progress, after) = output.split_at(summary);
    // indicatif moved the cursor and drew bars, full once each rack was installed.
    assert!(progress.contains("\x1b["), "no escape codes: {progress:?}");
    assert!(
        progress.contains("==============================") && progress.contains("11/11"),
        "no finished bar: {progress:?}"
    );
    assert!(progress.contains("web") && progress.contains("api"));
    assert!(
        progress.contains("installed in"),
        "each bar ends with its outcome: {progress:?}"
    );
    // Nothing is drawn after the summary: no cursor movement, no bar redrawn over it.
    assert!(!after.replace("\r\n", "\n").contains('\r'), "{after:?}");
    assert!(!after.contains("\x1b["), "{after:?}");
    assert!(!after.contains("===="), "{after:?}");
    let summary = after.replace("\r\n", "\n");
    crate::common::stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(summary, @"
        Apply complete: 2 installed, 0 updated, 0 failed.
            personal/web: installed in [time]
            personal/api: installed in [time]
        ")
    });
}

#[test]
fn apply_with_no_color_or_on_a_dumb_terminal_prints_plain_lines() {
    for extra in [[("NO_COLOR", "1")], [("TERM", "dumb")]] {
        let moto = session();
        let output = apply_on_a_terminal(&moto, &["-v"], &extra);
        assert!(
            output.contains("personal/web: installing (11 resources)\r\n"),
            "{extra:?}: {output:?}"
        );
        assert!(!output.contains("[===="), "{extra:?}: {output:?}");
        // Nothing at all is coloured or moved: not the plan, not the lines, not the summary, not the -v log.
        assert!(!output.contains('\x1b'), "{extra:?}: {output:?}");
        assert!(output.contains("CreateStack"), "the -v log ran: {output:?}");
    }
}
