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

    /// The exit code and stdout of a run with `-v`, whose stderr is the log of AWS calls: wall-clock
    /// timestamps and latencies, and as many polls as the machine's speed makes, so a test counts the calls
    /// it means in `stderr` instead of pinning it.
    pub fn snapshot_of_stdout(&self) -> String {
        format!("exit: {}\n--- stdout\n{}", self.code, self.stdout)
    }
}

pub fn run(command: &mut Command) -> Output {
    Output::from(command.output().expect("the rackfile binary runs"))
}

/// A finished run; what was not piped (a stdout sent to a file, say) is empty.
impl From<std::process::Output> for Output {
    fn from(output: std::process::Output) -> Self {
        Output {
            code: output
                .status
                .code()
                .expect("rackfile exits, it is not killed by a signal"),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
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

/// `snapshot_settings` with what differs between runs filtered: the test's directory `dir`, durations, the
/// port of a local endpoint, a generated password, the random parts of moto's ids (stack ids, EC2 ids, the
/// names CloudFormation makes up for resources), the fake's world in its stack ids, the random part of a
/// change set's name and wall-clock timestamps, so a whole output can be pinned.
pub fn stable_snapshots(dir: &Path) -> insta::Settings {
    let mut settings = timed_snapshots(dir);
    settings.add_filter(r"\b\d+(ms|s|m\d+s)\b", "[time]");
    settings
}

/// `stable_snapshots` with durations kept: on tokio's paused clock they are exact, and they are what a test
/// of timeouts, stalls and cancels pins.
pub fn timed_snapshots(dir: &Path) -> insta::Settings {
    let mut settings = snapshot_settings();
    settings.add_filter(&regex_escape(&dir.display().to_string()), "[dir]");
    settings.add_filter(r"(store it now\): )\S+", "$1[password]");
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]");
    settings.add_filter(r"(:stack/[\w-]+/)[0-9a-f-]{36}", "$1[stack-id]");
    // The fake's stack ids number its worlds in the order tests make them, which runs in parallel.
    settings.add_filter(r"(:stack/[\w-]+/fake-)\d+-", "$1[world]-");
    settings.add_filter(r"\b(sg|vpc|subnet|igw)-[0-9a-f]{8,17}\b", "$1-[id]");
    // CloudFormation names a resource `<stack>-<logical id>-<12 or 13 random capitals and digits>`.
    settings.add_filter(r"(\w-\w+)-[A-Z0-9]{12,13}\b", "$1-[id]");
    settings.add_filter(r"\brackfile-[a-z0-9]{12}\b", "rackfile-[change-set]");
    settings.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[timestamp]");
    settings
}

/// An in-process run's exit code and everything it printed (one stream), as `Output::snapshot` shows a
/// process's.
pub fn exit_and_output(code: i32, output: &str) -> String {
    format!("exit: {code}\n--- output\n{output}")
}

/// The exit code and what apply printed from its summary on, for runs whose progress lines before it differ
/// from run to run: racks side by side, a fault proxy's delays, a signal's timing.
pub fn exit_and_summary(code: i32, stdout: &str) -> String {
    let summary = stdout
        .rfind("\nApply ")
        .unwrap_or_else(|| panic!("no summary:\n{stdout}"));
    format!(
        "exit: {code}\n--- stdout from the summary on\n{}",
        &stdout[summary + 1..]
    )
}

/// Each line of apply's JSON stream as its type and message: what the stream says, without the plan it
/// carries (whose fields the JSON tests pin) or its timestamps.
pub fn stream_messages(stream: &str) -> String {
    stream
        .lines()
        .map(|line| {
            let event: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            format!(
                "{}: {}\n",
                event["type"].as_str().unwrap(),
                event["message"].as_str().unwrap()
            )
        })
        .collect()
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~".contains(c);
            special.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

/// An AWS endpoint that accepts connections and never answers, and whether anything has connected yet.
pub fn silent_endpoint() -> (u16, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connected = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = connected.clone();
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming().flatten() {
            seen.store(true, std::sync::atomic::Ordering::SeqCst);
            open.push(stream);
        }
    });
    (port, connected)
}

/// `rackfile` in a directory holding a one-rack racks.toml, with dummy credentials, calling AWS at `port`.
pub fn rackfile_against(dir: &Path, port: u16) -> Command {
    std::fs::write(
        dir.join("racks.toml"),
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n[org.personal]\n[[rack]]\nname = \"example\"\n",
    )
    .unwrap();
    let mut command = rackfile(dir);
    command
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .env("AWS_ACCESS_KEY_ID", "AKIATEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}
