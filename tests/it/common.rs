//! Running the real binary in a sealed environment: `env_clear()` plus exactly the variables a test means,
//! and exit code, stdout and stderr captured together so a snapshot shows all three.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `rackfile` with an empty environment, run in `dir`; its cache directory is `dir/.cache`, so no test
/// shares a template cache with another (or with the user's).
pub fn rackfile(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rackfile"));
    command
        .env_clear()
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .current_dir(dir);
    command
}

/// What a run produced, rendered for snapshots.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn snapshot(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub fn run(command: &mut Command) -> Output {
    let output = command.output().expect("the rackfile binary runs");
    Output {
        code: output
            .status
            .code()
            .expect("rackfile exits, it is not killed by a signal"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs to the end within `limit`, or fails the test (and kills the process) instead of hanging.
pub fn finish_within(mut command: Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("rackfile did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    Output {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// insta settings that keep snapshots in the top-level `snapshots/` folder.
pub fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo_root().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}
