//! Progress of an apply, behind a trait, as data: the views in `render::apply` (plain lines, bars, the JSON
//! stream) word it. The executor only ever talks to the trait. Also where text output goes (`Sink`).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::RackOutcome;
use super::stall::Stall;
use crate::cloud::{CloudError, StackEvent};
use crate::config::RackId;
use crate::plan::Wave;

/// Where text output goes: stdout in the binary, a buffer in tests.
pub type Sink = Arc<Mutex<dyn Write + Send>>;

/// Stdout as apply writes it. A stdout that goes nowhere (closed, `apply >&-`, which Rust's runtime
/// reopens on /dev/null at start; or /dev/null itself) would lose a generated password without a word: it
/// is a sink that refuses every write instead, so apply can tell before an install that there is nowhere
/// to print the password.
pub fn stdout_sink() -> Sink {
    if stdout_goes_nowhere() {
        Arc::new(Mutex::new(Nowhere))
    } else {
        Arc::new(Mutex::new(std::io::stdout()))
    }
}

/// `stdout_sink`, with its first failed write recorded in `failure` (see `output::Watched`).
pub fn watched_stdout_sink(failure: &crate::output::WriteFailure) -> Sink {
    if stdout_goes_nowhere() {
        Arc::new(Mutex::new(Nowhere))
    } else {
        Arc::new(Mutex::new(crate::output::Watched::new(
            std::io::stdout(),
            failure.clone(),
        )))
    }
}

#[cfg(unix)]
fn stdout_goes_nowhere() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let Ok(stdout) = std::io::stdout().as_fd().try_clone_to_owned() else {
        return true;
    };
    let (Ok(stdout), Ok(null)) = (
        std::fs::File::from(stdout).metadata(),
        std::fs::metadata("/dev/null"),
    ) else {
        return false;
    };
    stdout.file_type().is_char_device() && stdout.rdev() == null.rdev()
}

#[cfg(not(unix))]
fn stdout_goes_nowhere() -> bool {
    false
}

/// What `stdout_sink` gives when stdout goes nowhere.
struct Nowhere;

impl Write for Nowhere {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(nowhere())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Err(nowhere())
    }
}

/// Whether `error` is a `stdout_sink` that goes nowhere refusing a write (rather than a write that failed).
pub fn goes_nowhere(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::NotConnected && error.to_string() == nowhere().to_string()
}

fn nowhere() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::NotConnected,
        "stdout is closed or /dev/null",
    )
}

pub fn write_line(sink: &Sink, line: &str) {
    let mut out = sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// What work on a rack begins (`Reporter::start`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work<'a> {
    Installing,
    Updating,
    /// A step of an upgrade through required releases; `step` is 1-based.
    Upgrading {
        version: &'a str,
        step: usize,
        of: usize,
    },
    /// ContinueUpdateRollback, skipping these resources (`--skip`).
    ContinuingRollback {
        skipping: &'a [String],
    },
    /// DeleteStack of this stack: the rack's own, or one of its apps'.
    Deleting {
        stack: &'a str,
    },
    /// Another operation is changing the stack: it is waited for.
    Waiting {
        status: &'a str,
    },
    /// `rackfile cancel --wait`: the rollback of a cancel it sent.
    FollowingCancel,
}

/// A line of a rack's progress.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// A new event of `stack` worth a line (`events::shown`).
    Event {
        event: &'a StackEvent,
        stack: &'a str,
    },
    /// CancelUpdateStack refused with a validation error: the update ended before it could be cancelled.
    CancelRefused { error: &'a CloudError },
    /// CancelUpdateStack sent, `after` the update was: its rollback is followed.
    Cancelling { after: Duration },
}

pub trait Reporter: Send + Sync {
    /// Work on a rack begins, on a template of `total_resources` resources (0: not known).
    fn start(&self, rack: &RackId, work: &Work<'_>, total_resources: usize);
    /// Every new stack event, as CloudFormation gave it (the views that print Convox's words use
    /// `progress` instead).
    fn stack_event(&self, _rack: &RackId, _event: &StackEvent) {}
    /// Something new about the rack, with the resources done so far.
    fn progress(&self, rack: &RackId, progress: &Progress<'_>, done: usize);
    /// Nothing new for a while: the rack is still `status`.
    fn heartbeat(&self, rack: &RackId, status: &str, elapsed: Duration);
    /// A resource has had no event for longer than it should (`stall`): reported once per stall.
    fn stalled(&self, rack: &RackId, stall: &Stall);
    fn finish(&self, rack: &RackId, outcome: &RackOutcome);
    /// A step of an uninstall's preparation (`uninstall_prep`) is done.
    fn uninstall_step(&self, _rack: &RackId, _step: &UninstallStep) {}
    /// A wave of a rollout starts, with this many racks to change.
    fn wave_started(&self, _wave: &Wave, _of: usize, _changing: usize) {}
    /// A wave with nothing to change: neither run nor baked.
    fn wave_skipped(&self, _wave: &Wave, _of: usize) {}
    /// Every rack of the wave ended, and how, counted as the summary counts them.
    fn wave_finished(&self, _wave: &Wave, _counts: &super::Counts) {}
    /// The wave's bake begins.
    fn bake_started(&self, _wave: &Wave, _total: Duration) {}
    /// The alarms were read and none is in ALARM; `remaining` of `total` is left.
    fn baking(&self, _wave: &Wave, _remaining: Duration, _total: Duration) {}
    /// The whole bake passed with no alarm in ALARM.
    fn bake_passed(&self, _wave: &Wave) {}
}

/// One step of the preparation, as reported while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UninstallStep {
    AutoscalerRuleDisabled {
        rule: String,
    },
    /// DisableRule failed: Convox goes on without it, and so does rackfile.
    AutoscalerRuleNotDisabled {
        rule: String,
        error: String,
    },
    /// The rack has no autoscaler rule (its `Autoscale` is off).
    NoAutoscalerRule,
    GroupDeleted {
        stack: String,
        group: String,
    },
    GroupAlreadyGone {
        stack: String,
        group: String,
    },
}
