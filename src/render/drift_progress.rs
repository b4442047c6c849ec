//! How `drift` shows detections running: a spinner per rack on a terminal (indicatif, on stderr, so
//! `--json` keeps stdout for the report), plain lines without one (CI): when a detection starts, every
//! 30 s while it runs, and when it ends.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Notation, duration};
use crate::live::drift::DriftProgress;

/// A line at most this often per rack while its detection runs.
const LINE_EVERY: Duration = Duration::from_secs(30);

/// A line on stderr; a stderr that takes nothing costs the line, never the run.
fn line(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Plain lines on stderr.
#[derive(Default)]
pub struct DriftLines {
    /// Rack -> the elapsed time of its last line.
    last: Mutex<HashMap<String, Duration>>,
}

impl DriftProgress for DriftLines {
    fn started(&self, rack: &str) {
        line(&format!("{rack}: drift detection started\n"));
    }

    fn polled(&self, rack: &str, elapsed: Duration) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let previous = last.get(rack).copied().unwrap_or_default();
        if elapsed.saturating_sub(previous) >= LINE_EVERY {
            last.insert(rack.to_string(), elapsed);
            line(&format!(
                "{rack}: still detecting drift ({})\n",
                duration(Duration::from_secs(elapsed.as_secs()), Notation::Words)
            ));
        }
    }

    fn finished(&self, rack: &str, how: &str) {
        line(&format!("{rack}: drift detection {how}\n"));
    }
}

/// One spinner per rack, with its elapsed time.
pub struct DriftBars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl DriftBars {
    pub fn new() -> Self {
        Self {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::new(HashMap::new()),
        }
    }
}

impl Default for DriftBars {
    fn default() -> Self {
        Self::new()
    }
}

impl DriftProgress for DriftBars {
    fn started(&self, rack: &str) {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix} [{elapsed}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(rack.to_string());
        bar.set_message("detecting drift");
        bar.enable_steady_tick(Duration::from_millis(200));
        self.bars
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(rack.to_string(), bar);
    }

    fn polled(&self, _: &str, _: Duration) {}

    fn finished(&self, rack: &str, how: &str) {
        if let Some(bar) = self
            .bars
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(rack)
        {
            bar.finish_with_message(how.to_string());
        }
    }
}
