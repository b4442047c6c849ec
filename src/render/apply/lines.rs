//! `LineReporter`: the apply's progress as one plain line per event (CI logs, tests).

use std::time::Duration;

use super::words::{
    WaveEvent, heartbeat_words, outcome_line, progress_words, stall_words, uninstall_step_words,
    wave_line, work_words,
};
use crate::apply::reporter::{Progress, Reporter, Sink, Work, write_line};
use crate::apply::stall::Stall;
use crate::apply::{Counts, RackOutcome, UninstallStep};
use crate::config::RackId;
use crate::plan::Wave;

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
    fn start(&self, rack: &RackId, work: &Work<'_>, total_resources: usize) {
        let what = work_words(work);
        if total_resources > 0 {
            write_line(
                &self.sink,
                &format!(
                    "{rack}: {what} ({total_resources} resource{})",
                    if total_resources == 1 { "" } else { "s" }
                ),
            );
        } else {
            write_line(&self.sink, &format!("{rack}: {what}"));
        }
    }

    fn progress(&self, rack: &RackId, progress: &Progress<'_>, _done: usize) {
        let line = progress_words(progress);
        write_line(&self.sink, &format!("{rack}: {line}"));
    }

    fn uninstall_step(&self, rack: &RackId, step: &UninstallStep) {
        write_line(
            &self.sink,
            &format!("{rack}: {}", uninstall_step_words(step)),
        );
    }

    fn heartbeat(&self, rack: &RackId, status: &str, elapsed: Duration) {
        write_line(
            &self.sink,
            &format!("{rack}: {}", heartbeat_words(status, elapsed)),
        );
    }

    fn stalled(&self, rack: &RackId, stall: &Stall) {
        write_line(&self.sink, &format!("{rack}: {}", stall_words(stall)));
    }

    fn finish(&self, rack: &RackId, outcome: &RackOutcome) {
        write_line(&self.sink, &outcome_line("", rack, outcome));
    }

    fn wave_started(&self, wave: &Wave, of: usize, changing: usize) {
        write_line(
            &self.sink,
            &wave_line(WaveEvent::Started { wave, of, changing }),
        );
    }

    fn wave_skipped(&self, wave: &Wave, of: usize) {
        write_line(&self.sink, &wave_line(WaveEvent::Skipped { wave, of }));
    }

    fn wave_finished(&self, wave: &Wave, counts: &Counts) {
        write_line(&self.sink, &wave_line(WaveEvent::Finished { wave, counts }));
    }

    fn bake_started(&self, wave: &Wave, total: Duration) {
        write_line(
            &self.sink,
            &wave_line(WaveEvent::BakeStarted { wave, total }),
        );
    }

    // The bake reads the alarms once a minute (`bake::ALARM_POLL`): a line each time, a line a minute.
    fn baking(&self, wave: &Wave, remaining: Duration, _total: Duration) {
        write_line(
            &self.sink,
            &wave_line(WaveEvent::Baking { wave, remaining }),
        );
    }

    fn bake_passed(&self, wave: &Wave) {
        write_line(&self.sink, &wave_line(WaveEvent::BakePassed { wave }));
    }
}
