//! `apply --json`: the apply as a stream of JSON lines on stdout, a documented contract (README: "The apply
//! stream"). Every line is one object with `type`, `timestamp` (RFC 3339, UTC) and a human `message`, so a
//! consumer can show a type it does not know; fields are only added within a `format_version`.
//!
//! The first line is `version`, the last `summary` (or a `diagnostic` for an error that ended the run);
//! between them `plan`, then per rack `rack_start` ... `rack_complete` or `rack_errored`, or `rack_held`
//! for a rack held for a person; `rack_stalled` names a resource quiet in progress for too long. Never a secret: an install whose password would be generated and printed
//! is refused before anything is sent, and a password in SSM is named by its parameter only.

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value, json};

use super::outcome::{RackOutcome, RackResult, StopReason};
use super::password::InstalledPassword;
use super::reporter::{Reporter, Sink, write_line};
use super::rollout::{RolloutStop, StopCause};
use super::stall::Stall;
use super::summary::Counts;
use crate::cloud::StackEvent;
use crate::config::RackId;
use crate::outcome::Outcome;
use crate::plan::{Plan, Wave};

/// The stream's own version: a consumer checks it on the first line.
pub const STREAM_FORMAT_VERSION: &str = "1";

/// Writes one line: `fields` with `type`, `timestamp` and `message` added.
pub fn emit(sink: &Sink, kind: &str, message: &str, fields: Value) {
    let mut line = Map::new();
    line.insert("type".into(), kind.into());
    line.insert(
        "timestamp".into(),
        humantime::format_rfc3339_millis(SystemTime::now())
            .to_string()
            .into(),
    );
    line.insert("message".into(), message.into());
    if let Value::Object(fields) = fields {
        line.extend(fields);
    }
    write_line(sink, &Value::Object(line).to_string());
}

pub fn version(sink: &Sink) {
    emit(
        sink,
        "version",
        &format!(
            "rackfile {} apply stream, format {STREAM_FORMAT_VERSION}",
            env!("CARGO_PKG_VERSION")
        ),
        json!({
            "format_version": STREAM_FORMAT_VERSION,
            "rackfile_version": env!("CARGO_PKG_VERSION"),
        }),
    );
}

/// The plan about to be applied, as `plan --json` prints it.
pub fn plan(sink: &Sink, plan: &Plan) {
    emit(
        sink,
        "plan",
        &format!("Plan: {}.", plan.summary.describe()),
        json!({ "plan": plan }),
    );
}

/// The last line of a run that got as far as applying (or found nothing to apply).
pub fn summary(sink: &Sink, outcomes: &[RackOutcome], interrupted: bool, outcome: Outcome) {
    let mut counts = Counts::of(outcomes);
    // Nothing applied, yet a failure: racks blocked from their changes.
    counts.all_ok &= outcome != Outcome::Failed;
    let racks: Vec<Value> = outcomes
        .iter()
        .filter(|o| o.result != RackResult::Unchanged)
        .map(|o| json!({ "rack": o.rack, "result": result_kind(&o.result), "message": o.describe() }))
        .collect();
    let passwords: Vec<Value> = outcomes
        .iter()
        .filter_map(|o| match &o.password {
            Some(InstalledPassword::Ssm { parameter }) => {
                Some(json!({ "rack": o.rack, "ssm_parameter": parameter }))
            }
            // Refused before anything was sent under --json; never printed here.
            Some(InstalledPassword::Generated(_)) | None => None,
        })
        .collect();
    emit(
        sink,
        "summary",
        &counts.headline(interrupted),
        json!({
            "outcome": outcome_word(outcome),
            "exit_code": outcome.exit_code(),
            "counts": counts,
            "racks": racks,
            "passwords": passwords,
        }),
    );
}

/// A rollout stopped before its last wave: why, and the waves not started.
pub fn rollout_stopped(sink: &Sink, stop: &RolloutStop) {
    let why = match &stop.why {
        StopCause::Failures { .. } => "failures",
        StopCause::Alarm(_) => "alarm",
        StopCause::AlarmUnreadable { .. } => "alarm_unreadable",
        StopCause::Held { .. } => "held",
        StopCause::Interrupted => "interrupted",
    };
    let alarm = match &stop.why {
        StopCause::Alarm(alarm)
        | StopCause::AlarmUnreadable { alarm, .. }
        | StopCause::Held { alarm, .. } => Some(alarm),
        _ => None,
    };
    let not_started: Vec<Value> = stop
        .not_started
        .iter()
        .map(|(wave, racks)| json!({ "wave": wave, "racks": racks }))
        .collect();
    emit(
        sink,
        "rollout_stopped",
        super::summary::rollout_stop(stop).trim(),
        json!({
            "after_wave": stop.after_wave,
            "why": why,
            "alarm": alarm.map(|a| json!({ "rack": a.rack, "name": a.name, "account_id": a.account_id, "region": a.region })),
            "not_started": not_started,
        }),
    );
}

/// An error that ended the run: `error` is `Error::json_value()`'s object, whose one-line message the line
/// carries.
pub fn diagnostic(sink: &Sink, error: Value) {
    let message = error["message"].as_str().unwrap_or("error").to_string();
    emit(
        sink,
        "diagnostic",
        &message,
        json!({ "severity": "error", "error": error }),
    );
}

fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Success => "success",
        Outcome::Changes => "changes",
        Outcome::Failed => "failed",
        Outcome::Held => "held",
        Outcome::Interrupted => "interrupted",
    }
}

/// What became of a rack, in a word a machine can switch on.
fn result_kind(result: &RackResult) -> &'static str {
    match result {
        RackResult::Installed { .. } => "installed",
        RackResult::Reinstalled { .. } => "reinstalled",
        RackResult::RollbackContinued { .. } => "rollback_continued",
        RackResult::Uninstalled { .. } => "uninstalled",
        RackResult::Updated => "updated",
        RackResult::Upgraded { .. } => "upgraded",
        RackResult::UpgradeStopped { .. } => "upgrade_stopped",
        RackResult::AlreadyUpToDate => "already_up_to_date",
        RackResult::Unchanged => "unchanged",
        RackResult::Blocked { .. } => "blocked",
        RackResult::Failed { .. } => "failed",
        RackResult::StillInProgress {
            why: StopReason::Timeout,
            ..
        } => "timed_out",
        RackResult::StillInProgress {
            why: StopReason::Interrupted,
            ..
        } => "interrupted",
        RackResult::NotStarted => "not_started",
        RackResult::Held { .. } => "held",
        RackResult::Cancelled { .. } => "cancelled",
    }
}

/// The `Reporter` of `apply --json`.
pub struct JsonStream {
    sink: Sink,
}

impl JsonStream {
    pub fn new(sink: Sink) -> Self {
        Self { sink }
    }

    /// A `bake` line: `state` is started, baking (the alarms were read, none in ALARM) or passed.
    fn bake(&self, wave: &Wave, state: &str, remaining: Duration, total: Duration) {
        let alarms: Vec<&str> = wave.alarms.iter().map(|a| a.name.as_str()).collect();
        emit(
            &self.sink,
            "bake",
            &format!(
                "Wave {}: bake {state}, {} of {} left",
                wave.number,
                crate::render::waves::bake(remaining.as_secs()),
                crate::render::waves::bake(total.as_secs())
            ),
            json!({
                "wave": wave.number,
                "state": state,
                "remaining_seconds": remaining.as_secs(),
                "bake_seconds": total.as_secs(),
                "alarms": alarms,
            }),
        );
    }
}

impl Reporter for JsonStream {
    fn wave_started(&self, wave: &Wave, of: usize, changing: usize) {
        emit(
            &self.sink,
            "wave_start",
            &crate::render::waves::header(wave, of),
            json!({ "wave": wave.number, "of": of, "racks_to_change": changing, "failure_tolerance": wave.failure_tolerance, "skipped": false }),
        );
    }

    fn wave_skipped(&self, wave: &Wave, of: usize) {
        emit(
            &self.sink,
            "wave_start",
            &crate::render::waves::header(wave, of),
            json!({ "wave": wave.number, "of": of, "racks_to_change": 0, "skipped": true }),
        );
    }

    fn wave_finished(&self, wave: &Wave, failed: usize) {
        emit(
            &self.sink,
            "wave_complete",
            &format!("Wave {}: every rack done, {failed} failed", wave.number),
            json!({ "wave": wave.number, "failed": failed, "failure_tolerance": wave.failure_tolerance }),
        );
    }

    fn bake_started(&self, wave: &Wave, total: Duration) {
        self.bake(wave, "started", total, total);
    }

    fn baking(&self, wave: &Wave, remaining: Duration, total: Duration) {
        self.bake(wave, "baking", remaining, total);
    }

    fn bake_passed(&self, wave: &Wave) {
        let total = Duration::from_secs(wave.bake_seconds);
        self.bake(wave, "passed", Duration::ZERO, total);
    }

    fn start(&self, rack: &RackId, what: &str, total_resources: usize) {
        emit(
            &self.sink,
            "rack_start",
            &format!("{rack}: {what}"),
            json!({ "rack": rack.to_string(), "what": what, "resources_total": total_resources }),
        );
    }

    fn stack_event(&self, rack: &RackId, event: &StackEvent) {
        emit(
            &self.sink,
            "stack_event",
            &format!(
                "{rack}: {} {} {}",
                event.logical_id, event.resource_type, event.status
            ),
            json!({
                "rack": rack.to_string(),
                "logical_id": event.logical_id,
                "physical_id": event.physical_id,
                "resource_type": event.resource_type,
                "status": event.status,
                "reason": event.reason,
                "event_time": event.timestamp,
            }),
        );
    }

    fn progress(&self, rack: &RackId, line: &str, done: usize) {
        emit(
            &self.sink,
            "rack_progress",
            &format!("{rack}: {line}"),
            json!({ "rack": rack.to_string(), "resources_done": done }),
        );
    }

    fn heartbeat(&self, rack: &RackId, status: &str, elapsed: Duration) {
        emit(
            &self.sink,
            "rack_progress",
            &format!(
                "{rack}: still {status} ({})",
                super::format_duration(elapsed)
            ),
            json!({ "rack": rack.to_string(), "status": status, "elapsed_seconds": elapsed.as_secs() }),
        );
    }

    fn stalled(&self, rack: &RackId, stall: &Stall) {
        emit(
            &self.sink,
            "rack_stalled",
            &format!("{rack}: {}", super::reporter::stall_words(stall)),
            json!({
                "rack": rack.to_string(),
                "logical_id": stall.logical_id,
                "resource_type": stall.resource_type,
                "quiet_seconds": stall.quiet.as_secs(),
            }),
        );
    }

    fn finish(&self, rack: &RackId, outcome: &RackOutcome) {
        let message = format!("{rack}: {}", outcome.describe());
        let mut fields = json!({
            "rack": rack.to_string(),
            "result": result_kind(&outcome.result),
            "elapsed_seconds": outcome.elapsed.as_secs(),
        });
        let kind = match outcome.result.settled() {
            RackResult::Held { reason } => {
                fields["reason"] = reason.as_str().into();
                "rack_held"
            }
            RackResult::Failed {
                status, root_cause, ..
            } => {
                fields["status"] = json!(status);
                fields["root_cause"] = json!(root_cause);
                "rack_errored"
            }
            RackResult::StillInProgress { status, .. } | RackResult::Blocked { status, .. } => {
                fields["status"] = json!(status);
                "rack_errored"
            }
            RackResult::Cancelled {
                after,
                rolled_back_in,
            } => {
                fields["cancelled_after_seconds"] = json!(after.as_secs());
                fields["rolled_back_in_seconds"] = json!(rolled_back_in.as_secs());
                "rack_errored"
            }
            RackResult::NotStarted => "rack_errored",
            _ if outcome.succeeded() => "rack_complete",
            _ => "rack_errored",
        };
        emit(&self.sink, kind, &message, fields);
    }
}
