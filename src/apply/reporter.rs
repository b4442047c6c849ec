//! Progress of an apply, behind a trait: `LineReporter` prints one plain line per event (CI logs, tests);
//! `BarReporter` draws one indicatif bar per rack on a terminal. The executor only ever talks to the trait.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{RackOutcome, format_duration};
use crate::cloud::StackEvent;
use crate::config::RackId;

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

pub trait Reporter: Send + Sync {
    /// Work on a rack begins: `what` is e.g. "installing", "updating", "waiting: UPDATE_IN_PROGRESS".
    fn start(&self, rack: &RackId, what: &str, total_resources: usize);
    /// Every new stack event, as CloudFormation gave it (the views that print Convox's words use
    /// `progress` instead).
    fn stack_event(&self, _rack: &RackId, _event: &StackEvent) {}
    /// A new line about the rack (an event in Convox's words), with the resources done so far.
    fn progress(&self, rack: &RackId, line: &str, done: usize);
    /// Nothing new for a while: the rack is still `status`.
    fn heartbeat(&self, rack: &RackId, status: &str, elapsed: Duration);
    fn finish(&self, rack: &RackId, outcome: &RackOutcome);
}

/// One plain line per event: no carriage returns, no escape codes.
pub struct LineReporter {
    sink: Sink,
}

impl LineReporter {
    pub fn new(sink: Sink) -> Self {
        Self { sink }
    }
}

impl Reporter for LineReporter {
    fn start(&self, rack: &RackId, what: &str, total_resources: usize) {
        if total_resources > 0 {
            write_line(
                &self.sink,
                &format!("{rack}: {what} ({total_resources} resources)"),
            );
        } else {
            write_line(&self.sink, &format!("{rack}: {what}"));
        }
    }

    fn progress(&self, rack: &RackId, line: &str, _done: usize) {
        write_line(&self.sink, &format!("{rack}: {line}"));
    }

    fn heartbeat(&self, rack: &RackId, status: &str, elapsed: Duration) {
        write_line(
            &self.sink,
            &format!("{rack}: still {status} ({})", format_duration(elapsed)),
        );
    }

    fn finish(&self, rack: &RackId, outcome: &RackOutcome) {
        write_line(&self.sink, &format!("{rack}: {}", outcome.describe()));
    }
}

/// One bar per rack under a MultiProgress: resources done of the template's total, elapsed time, and the
/// latest event.
pub struct BarReporter {
    multi: MultiProgress,
    bars: Mutex<HashMap<RackId, ProgressBar>>,
    width: usize,
}

impl BarReporter {
    pub fn new(rack_names: &[String]) -> Self {
        Self {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stdout()),
            bars: Mutex::new(HashMap::new()),
            width: rack_names.iter().map(String::len).max().unwrap_or(10),
        }
    }

    fn bar(&self, rack: &RackId) -> Option<ProgressBar> {
        self.bars
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(rack)
            .cloned()
    }
}

impl Reporter for BarReporter {
    fn start(&self, rack: &RackId, what: &str, total_resources: usize) {
        // A rack that starts again (the next step of an upgrade, the rack after its apps) keeps its one bar.
        if let Some(bar) = self.bar(rack) {
            bar.set_length(total_resources as u64);
            bar.set_position(0);
            bar.set_message(what.to_string());
            return;
        }
        let template = format!(
            "{{prefix:{}}} [{{bar:30.cyan/blue}}] {{pos:>3}}/{{len:3}} {{elapsed:>4}} {{msg}}",
            self.width
        );
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = self
            .multi
            .add(ProgressBar::new(total_resources as u64).with_style(style));
        bar.set_prefix(rack.to_string());
        bar.set_message(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(500));
        self.bars
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(rack.clone(), bar);
    }

    fn progress(&self, rack: &RackId, line: &str, done: usize) {
        if let Some(bar) = self.bar(rack) {
            bar.set_position(done as u64);
            bar.set_message(line.to_string());
        }
    }

    fn heartbeat(&self, _rack: &RackId, _status: &str, _elapsed: Duration) {
        // The bar's own elapsed counter already shows that time passes.
    }

    fn finish(&self, rack: &RackId, outcome: &RackOutcome) {
        match self.bar(rack) {
            Some(bar) => {
                if outcome.succeeded() {
                    bar.set_position(bar.length().unwrap_or(0));
                }
                bar.finish_with_message(outcome.describe());
            }
            None => {
                let _ = self
                    .multi
                    .println(format!("{rack}: {}", outcome.describe()));
            }
        }
    }
}
