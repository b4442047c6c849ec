//! `BarReporter`: the apply's progress on a terminal, one indicatif bar per rack.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::super::waves;
use super::words::{
    WaveEvent, outcome_line, outcome_words, progress_words, stall_words, uninstall_step_words,
    wave_line, wave_name, work_words,
};
use crate::apply::reporter::{Progress, Reporter, Work};
use crate::apply::stall::Stall;
use crate::apply::{Counts, RackOutcome, UninstallStep};
use crate::config::RackId;
use crate::plan::Wave;

/// One bar per rack under a MultiProgress: resources done of the template's total, elapsed time, and the
/// latest event.
pub struct BarReporter {
    multi: MultiProgress,
    bars: Mutex<HashMap<RackId, ProgressBar>>,
    width: usize,
    /// The countdown of the bake under way.
    bake: Mutex<Option<ProgressBar>>,
}

impl BarReporter {
    pub fn new(rack_names: &[String]) -> Self {
        Self {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stdout()),
            bars: Mutex::new(HashMap::new()),
            width: rack_names.iter().map(String::len).max().unwrap_or(10),
            bake: Mutex::new(None),
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
    fn start(&self, rack: &RackId, work: &Work<'_>, total_resources: usize) {
        let what = work_words(work);
        // A rack that starts again (the next step of an upgrade, the rack after its apps) keeps its one bar.
        if let Some(bar) = self.bar(rack) {
            bar.set_length(total_resources as u64);
            bar.set_position(0);
            bar.set_message(what.clone());
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
        bar.set_message(what.clone());
        bar.enable_steady_tick(Duration::from_millis(500));
        self.bars
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(rack.clone(), bar);
    }

    fn progress(&self, rack: &RackId, progress: &Progress<'_>, done: usize) {
        let line = progress_words(progress);
        if let Some(bar) = self.bar(rack) {
            bar.set_position(done as u64);
            bar.set_message(line);
        }
    }

    // Printed above the bars: each step is a fact to keep on screen, not a passing message.
    fn uninstall_step(&self, rack: &RackId, step: &UninstallStep) {
        let _ = self
            .multi
            .println(format!("{rack}: {}", uninstall_step_words(step)));
    }

    fn heartbeat(&self, _rack: &RackId, _status: &str, _elapsed: Duration) {
        // The bar's own elapsed counter already shows that time passes.
    }

    fn stalled(&self, rack: &RackId, stall: &Stall) {
        if let Some(bar) = self.bar(rack) {
            bar.set_message(stall_words(stall));
        }
    }

    fn finish(&self, rack: &RackId, outcome: &RackOutcome) {
        match self.bar(rack) {
            Some(bar) => {
                if outcome.succeeded() {
                    bar.set_position(bar.length().unwrap_or(0));
                }
                bar.finish_with_message(outcome_words(outcome));
            }
            None => {
                let _ = self.multi.println(outcome_line("", rack, outcome));
            }
        }
    }

    fn wave_started(&self, wave: &Wave, of: usize, changing: usize) {
        let _ = self
            .multi
            .println(wave_line(WaveEvent::Started { wave, of, changing }));
    }

    fn wave_skipped(&self, wave: &Wave, of: usize) {
        let _ = self
            .multi
            .println(wave_line(WaveEvent::Skipped { wave, of }));
    }

    fn wave_finished(&self, wave: &Wave, counts: &Counts) {
        let _ = self
            .multi
            .println(wave_line(WaveEvent::Finished { wave, counts }));
    }

    fn bake_started(&self, wave: &Wave, total: Duration) {
        let style = ProgressStyle::with_template("{prefix} [{bar:30.yellow/blue}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = self
            .multi
            .add(ProgressBar::new(total.as_secs().max(1)).with_style(style));
        bar.set_prefix(format!("{} bake", wave_name(wave)));
        bar.set_message(format!("{} left", waves::bake(total.as_secs())));
        *self.bake.lock().unwrap_or_else(|p| p.into_inner()) = Some(bar);
    }

    fn baking(&self, _wave: &Wave, remaining: Duration, total: Duration) {
        if let Some(bar) = &*self.bake.lock().unwrap_or_else(|p| p.into_inner()) {
            bar.set_position(total.saturating_sub(remaining).as_secs());
            bar.set_message(format!(
                "{} left, no alarm in ALARM",
                waves::bake(remaining.as_secs())
            ));
        }
    }

    fn bake_passed(&self, wave: &Wave) {
        if let Some(bar) = self.bake.lock().unwrap_or_else(|p| p.into_inner()).take() {
            bar.set_position(bar.length().unwrap_or(0));
            bar.finish_with_message("passed, no alarm in ALARM");
        }
        let _ = self
            .multi
            .println(wave_line(WaveEvent::BakePassed { wave }));
    }
}
