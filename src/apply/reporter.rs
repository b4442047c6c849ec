//! Progress of an apply, behind a trait: `LineReporter` prints one plain line per event (CI logs, tests);
//! `BarReporter` draws one indicatif bar per rack on a terminal. The executor only ever talks to the trait.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::stall::Stall;
use super::uninstall_prep::UninstallStep;
use super::{RackOutcome, format_duration};
use crate::cloud::StackEvent;
use crate::config::RackId;
use crate::plan::Wave;
use crate::render::waves;

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
    /// A resource has had no event for longer than it should (`stall`): reported once per stall.
    fn stalled(&self, rack: &RackId, stall: &Stall);
    fn finish(&self, rack: &RackId, outcome: &RackOutcome);
    /// A step of an uninstall's preparation (`uninstall_prep`) is done.
    fn uninstall_step(&self, _rack: &RackId, _step: &UninstallStep) {}
    /// A wave of a rollout starts, with this many racks to change.
    fn wave_started(&self, _wave: &Wave, _of: usize, _changing: usize) {}
    /// A wave with nothing to change: neither run nor baked.
    fn wave_skipped(&self, _wave: &Wave, _of: usize) {}
    /// Every rack of the wave ended; `failed` of them did not succeed.
    fn wave_finished(&self, _wave: &Wave, _failed: usize) {}
    /// The wave's bake begins.
    fn bake_started(&self, _wave: &Wave, _total: Duration) {}
    /// The alarms were read and none is in ALARM; `remaining` of `total` is left.
    fn baking(&self, _wave: &Wave, _remaining: Duration, _total: Duration) {}
    /// The whole bake passed with no alarm in ALARM.
    fn bake_passed(&self, _wave: &Wave) {}
}

/// `Wave 1 of 3`'s short name in progress lines.
fn wave_name(wave: &Wave) -> String {
    format!("Wave {}", wave.number)
}

/// What a wave's progress lines say, whatever draws them.
fn wave_line(event: WaveEvent<'_>) -> String {
    match event {
        WaveEvent::Started { wave, of, changing } => format!(
            "{}: starting, {changing} {} to change",
            waves::header(wave, of),
            if changing == 1 { "rack" } else { "racks" }
        ),
        WaveEvent::Skipped { wave, of } => waves::header(wave, of),
        WaveEvent::Finished { wave, failed } => format!(
            "{}: every rack done, {failed} failed ({} tolerated)",
            wave_name(wave),
            wave.failure_tolerance
        ),
        WaveEvent::BakeStarted { wave, total } => format!(
            "{}: baking {}, watching {} {}",
            wave_name(wave),
            waves::bake(total.as_secs()),
            wave.alarms.len(),
            if wave.alarms.len() == 1 {
                "alarm"
            } else {
                "alarms"
            }
        ),
        WaveEvent::Baking { wave, remaining } => format!(
            "{}: baking, no alarm in ALARM, {} left",
            wave_name(wave),
            waves::bake(remaining.as_secs())
        ),
        WaveEvent::BakePassed { wave } => {
            format!("{}: bake passed, no alarm in ALARM", wave_name(wave))
        }
    }
}

enum WaveEvent<'a> {
    Started {
        wave: &'a Wave,
        of: usize,
        changing: usize,
    },
    Skipped {
        wave: &'a Wave,
        of: usize,
    },
    Finished {
        wave: &'a Wave,
        failed: usize,
    },
    BakeStarted {
        wave: &'a Wave,
        total: Duration,
    },
    Baking {
        wave: &'a Wave,
        remaining: Duration,
    },
    BakePassed {
        wave: &'a Wave,
    },
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

    fn uninstall_step(&self, rack: &RackId, step: &UninstallStep) {
        write_line(
            &self.sink,
            &format!("{rack}: {}", uninstall_step_words(step)),
        );
    }

    fn heartbeat(&self, rack: &RackId, status: &str, elapsed: Duration) {
        write_line(
            &self.sink,
            &format!("{rack}: still {status} ({})", format_duration(elapsed)),
        );
    }

    fn stalled(&self, rack: &RackId, stall: &Stall) {
        write_line(&self.sink, &format!("{rack}: {}", stall_words(stall)));
    }

    fn finish(&self, rack: &RackId, outcome: &RackOutcome) {
        write_line(&self.sink, &format!("{rack}: {}", outcome.describe()));
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

    fn wave_finished(&self, wave: &Wave, failed: usize) {
        write_line(&self.sink, &wave_line(WaveEvent::Finished { wave, failed }));
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
                bar.finish_with_message(outcome.describe());
            }
            None => {
                let _ = self
                    .multi
                    .println(format!("{rack}: {}", outcome.describe()));
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

    fn wave_finished(&self, wave: &Wave, failed: usize) {
        let _ = self
            .multi
            .println(wave_line(WaveEvent::Finished { wave, failed }));
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

/// `stalled: Instances (AWS::AutoScaling::AutoScalingGroup) has had no event for 25m`: whole minutes, as
/// polling makes the seconds noise.
pub(super) fn stall_words(stall: &Stall) -> String {
    format!(
        "stalled: {} ({}) has had no event for {}",
        stall.logical_id,
        stall.resource_type,
        crate::render::span(stall.quiet.as_secs() / 60 * 60)
    )
}

/// What a step of an uninstall's preparation did, in Convox's terms.
pub(super) fn uninstall_step_words(step: &UninstallStep) -> String {
    match step {
        UninstallStep::AutoscalerRuleDisabled { rule } => {
            format!(
                "disabled the autoscaler rule {rule}, so it sends no update while the rack goes"
            )
        }
        UninstallStep::AutoscalerRuleNotDisabled { rule, error } => format!(
            "could not disable the autoscaler rule {rule} ({error}); going on without it, as `convox rack uninstall` does"
        ),
        UninstallStep::NoAutoscalerRule => {
            "no autoscaler rule to disable (Autoscale is off, or the template has none)".into()
        }
        UninstallStep::GroupDeleted { stack, group } => format!(
            "force-deleting AutoScalingGroup {group} of {stack} with its instances, so the ECS services finish deleting"
        ),
        UninstallStep::GroupAlreadyGone { stack, group } => {
            format!("AutoScalingGroup {group} of {stack} is already gone")
        }
    }
}
