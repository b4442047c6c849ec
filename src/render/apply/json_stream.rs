//! `apply --json`: the apply as a stream of JSON lines on stdout, a documented contract (README: "The apply
//! stream"). Every line is one object with `type`, `timestamp` (RFC 3339, UTC) and a human `message`, so a
//! consumer can show a type it does not know; fields are only added within a `format_version`.
//!
//! The first line is `version`, the last `summary` (or a `diagnostic` for an error that ended the run);
//! between them `plan`, then per rack `rack_start` ... `rack_complete` or `rack_errored`, or `rack_held`
//! for a rack held for a person; `rack_stalled` names a resource quiet in progress for too long;
//! `uninstall_step` is a step of what Convox does before an uninstall's first DeleteStack. Never a secret: an install whose password would be generated and printed
//! is refused before anything is sent, and a password in SSM is named by its parameter only.

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value, json};

use super::super::{held_words, waves};
use super::failures::root_cause_words;
use super::words::{
    heartbeat_words, outcome_words, progress_words, stall_words, uninstall_step_words, work_words,
};
use crate::apply::reporter::{Progress, Reporter, Sink, Work, write_line};
use crate::apply::stall::Stall;
use crate::apply::{
    Counts, InstalledPassword, RackOutcome, RackResult, RolloutStop, StopCause, StopReason,
    UninstallStep,
};
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
        json!({ "plan": crate::render::json::document(plan) }),
    );
}

/// The last line of a run that got as far as applying (or found nothing to apply).
pub fn summary(sink: &Sink, outcomes: &[RackOutcome], outcome: Outcome, rollout_stopped: bool) {
    let counts = Counts::of(outcomes);
    let racks: Vec<Value> = outcomes
        .iter()
        .filter(|o| o.result != RackResult::Unchanged)
        .map(|o| json!({ "rack": o.rack, "result": result_kind(&o.result), "message": outcome_words(o) }))
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
        &super::summary::headline(&counts, outcome, rollout_stopped),
        json!({
            "outcome": outcome_word(outcome),
            "exit_code": outcome.exit_code(),
            "counts": counts,
            "racks": racks,
            "passwords": passwords,
        }),
    );
}

/// The last line of a run ended at once by a third interrupt: no rack's outcome is known, and a password in
/// SSM is named (a generated one was refused before anything was sent).
pub fn exited_at_once(
    sink: &Sink,
    passwords: &std::collections::BTreeMap<String, InstalledPassword>,
) {
    let passwords: Vec<Value> = passwords
        .iter()
        .filter_map(|(rack, password)| match password {
            InstalledPassword::Ssm { parameter } => {
                Some(json!({ "rack": rack, "ssm_parameter": parameter }))
            }
            InstalledPassword::Generated(_) => None,
        })
        .collect();
    emit(
        sink,
        "summary",
        "Apply interrupted a third time: exited at once; what was in progress goes on in AWS.",
        json!({
            "outcome": outcome_word(Outcome::Interrupted),
            "exit_code": Outcome::Interrupted.exit_code(),
            "counts": Counts::default(),
            "racks": [],
            "passwords": passwords,
            "exited_at_once": true,
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
                waves::bake(remaining.as_secs()),
                waves::bake(total.as_secs())
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
            &waves::header(wave, of),
            json!({ "wave": wave.number, "of": of, "racks_to_change": changing, "failure_tolerance": wave.failure_tolerance, "skipped": false }),
        );
    }

    fn wave_skipped(&self, wave: &Wave, of: usize) {
        emit(
            &self.sink,
            "wave_start",
            &waves::header(wave, of),
            json!({ "wave": wave.number, "of": of, "racks_to_change": 0, "skipped": true }),
        );
    }

    fn wave_finished(&self, wave: &Wave, counts: &Counts) {
        emit(
            &self.sink,
            "wave_complete",
            &format!(
                "Wave {}: every rack done, {}",
                wave.number,
                super::words::not_done_words(counts)
            ),
            json!({
                "wave": wave.number,
                "failed": counts.failed,
                "cancelled": counts.cancelled,
                "blocked": counts.blocked,
                "failure_tolerance": wave.failure_tolerance
            }),
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

    fn start(&self, rack: &RackId, work: &Work<'_>, total_resources: usize) {
        let what = work_words(work);
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

    fn progress(&self, rack: &RackId, progress: &Progress<'_>, done: usize) {
        emit(
            &self.sink,
            "rack_progress",
            &format!("{rack}: {}", progress_words(progress)),
            json!({ "rack": rack.to_string(), "resources_done": done }),
        );
    }

    fn uninstall_step(&self, rack: &RackId, step: &UninstallStep) {
        let mut fields = json!({ "rack": rack.to_string() });
        let (kind, names) = match step {
            UninstallStep::AutoscalerRuleDisabled { rule } => {
                ("autoscaler_rule_disabled", vec![("rule", rule)])
            }
            UninstallStep::AutoscalerRuleNotDisabled { rule, error } => (
                "autoscaler_rule_not_disabled",
                vec![("rule", rule), ("error", error)],
            ),
            UninstallStep::NoAutoscalerRule => ("no_autoscaler_rule", vec![]),
            UninstallStep::GroupDeleted { stack, group } => (
                "auto_scaling_group_deleted",
                vec![("stack", stack), ("group", group)],
            ),
            UninstallStep::GroupAlreadyGone { stack, group } => (
                "auto_scaling_group_gone",
                vec![("stack", stack), ("group", group)],
            ),
        };
        fields["step"] = kind.into();
        for (name, value) in names {
            fields[name] = value.as_str().into();
        }
        emit(
            &self.sink,
            "uninstall_step",
            &format!("{rack}: {}", uninstall_step_words(step)),
            fields,
        );
    }

    fn heartbeat(&self, rack: &RackId, status: &str, elapsed: Duration) {
        emit(
            &self.sink,
            "rack_progress",
            &format!("{rack}: {}", heartbeat_words(status, elapsed)),
            json!({ "rack": rack.to_string(), "status": status, "elapsed_seconds": elapsed.as_secs() }),
        );
    }

    fn stalled(&self, rack: &RackId, stall: &Stall) {
        emit(
            &self.sink,
            "rack_stalled",
            &format!("{rack}: {}", stall_words(stall)),
            json!({
                "rack": rack.to_string(),
                "logical_id": stall.logical_id,
                "resource_type": stall.resource_type,
                "quiet_seconds": stall.quiet.as_secs(),
            }),
        );
    }

    fn finish(&self, rack: &RackId, outcome: &RackOutcome) {
        let message = format!("{rack}: {}", outcome_words(outcome));
        let mut fields = json!({
            "rack": rack.to_string(),
            "result": result_kind(&outcome.result),
            "elapsed_seconds": outcome.elapsed.as_secs(),
        });
        if !outcome.warnings.is_empty() {
            fields["warnings"] = outcome
                .warnings
                .iter()
                .map(super::summary::record_warning_words)
                .collect();
        }
        let kind = match outcome.result.settled() {
            RackResult::Held {
                reasons,
                disruptions,
                dependents,
            } => {
                fields["reason"] = held_words(reasons, disruptions, dependents).into();
                "rack_held"
            }
            RackResult::Failed {
                status, root_cause, ..
            } => {
                fields["status"] = json!(status);
                fields["root_cause"] = json!(root_cause.as_ref().map(root_cause_words));
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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::apply::{Failure, RootCause};
    use crate::cloud::StackStatus;
    use crate::plan::{HoldReason, WatchedAlarm};

    #[test]
    fn the_plan_line_carries_the_plan_as_plan_json_prints_it_words_included() {
        let resource = json!({"logical_id": "Queue", "type": "AWS::SQS::Queue", "action": "add",
            "cause": {"kind": "new_in_template"}});
        let plan: Plan = serde_json::from_value(json!({
            "format_version": "1",
            "racks_file": {"path": "racks.toml", "sha256": "0"},
            "accounts": [],
            "racks": [{
                "rack": "personal/web", "org": "personal", "name": "web", "region": "us-east-1",
                "account_id": "123456789012", "action": "update",
                "template": {"url": {"url": "https://templates.example.com/rack.json"}},
                "changes": [{"kind": "template", "name": "template", "before": null, "after": null,
                    "sensitive": false, "reached": [resource]}],
                "parameters": {}, "tags": {}, "resource_count": 1,
                "impact": {"analysis": "analysed", "resources": [resource]},
                "stack": null,
            }],
            "not_in_racks_toml": [],
            "summary": {"install": 0, "update": 1, "upgrade": 0, "reinstall": 0, "continue_rollback": 0,
                "uninstall": 0, "unchanged": 0, "blocked": 0, "wait": 0},
        }))
        .unwrap();
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let sink: Sink = bytes.clone();
        super::plan(&sink, &plan);
        let line: Value = serde_json::from_slice(&bytes.lock().unwrap()).unwrap();
        let printed: Value = serde_json::from_str(&crate::render::json_plan(&plan)).unwrap();
        assert_eq!(line["plan"], printed);
        let web = &line["plan"]["racks"][0];
        assert_eq!(web["changes"][0]["reach"], "adds Queue", "{web:#}");
        assert_eq!(web["impact"]["verdict"], "adds 1 resource", "{web:#}");
        assert_eq!(
            web["impact"]["resources"][0]["because"], "new in the template",
            "{web:#}"
        );
    }

    /// Each line type the README's table lists, with the fields it names (backquoted words outside
    /// parentheses, `?` and `[]` dropped).
    fn readme_table() -> BTreeMap<String, BTreeSet<String>> {
        let readme = include_str!("../../../README.md");
        let table = readme
            .split("#### The apply stream (a contract)")
            .nth(1)
            .expect("the README has the stream's section");
        let mut rows = BTreeMap::new();
        for row in table
            .lines()
            .skip_while(|l| !l.starts_with("| type"))
            .skip(2)
        {
            if !row.starts_with('|') {
                break;
            }
            let cells: Vec<&str> = row.split(" | ").collect();
            let kind = cells[0]
                .trim_start_matches("| ")
                .trim_matches('`')
                .to_string();
            let mut fields = BTreeSet::new();
            let mut depth = 0;
            let mut word: Option<String> = None;
            for c in cells[2].chars() {
                match (c, &mut word) {
                    ('(', None) => depth += 1,
                    (')', None) => depth -= 1,
                    ('`', None) if depth == 0 => word = Some(String::new()),
                    ('`', Some(text)) => {
                        // A command quoted in the prose (`plan --json`) is no field.
                        if !text.contains(' ') {
                            fields.insert(
                                text.trim_end_matches('?')
                                    .trim_end_matches("[]")
                                    .to_string(),
                            );
                        }
                        word = None;
                    }
                    (c, Some(text)) => text.push(c),
                    _ => {}
                }
            }
            rows.insert(kind, fields);
        }
        rows
    }

    /// Every line type the stream prints (but `plan`, whose one field is the plan), with the union of the
    /// fields it carries, from each reporter call and each closing line.
    fn printed() -> BTreeMap<String, BTreeSet<String>> {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let sink: Sink = bytes.clone();
        let stream = JsonStream::new(sink.clone());
        let rack: RackId = "personal/web".parse().unwrap();
        let alarm = WatchedAlarm {
            rack: "personal/web".into(),
            org: "personal".into(),
            account_id: "123456789012".into(),
            region: "us-east-1".into(),
            name: "rack-web-5xx".into(),
        };
        let wave = Wave {
            number: 1,
            globs: vec!["*".into()],
            racks: vec!["personal/web".into()],
            max_concurrent: None,
            failure_tolerance: 0,
            bake_seconds: 60,
            alarms: vec![alarm.clone()],
            skipped: false,
            gates: Vec::new(),
            gate_alarms: Vec::new(),
            missing_data_ok: false,
        };
        let outcome = |result| RackOutcome {
            rack: "personal/web".into(),
            result,
            elapsed: Duration::from_secs(3),
            password: Some(InstalledPassword::Ssm {
                parameter: "/racks/web".into(),
            }),
            warnings: Vec::new(),
        };
        version(&sink);
        stream.wave_started(&wave, 2, 1);
        stream.wave_skipped(&wave, 2);
        stream.start(&rack, &Work::Installing, 3);
        stream.stack_event(
            &rack,
            &StackEvent {
                event_id: "e".into(),
                logical_id: "Vpc".into(),
                physical_id: None,
                resource_type: "AWS::EC2::VPC".into(),
                status: "CREATE_IN_PROGRESS".into(),
                reason: None,
                timestamp: "t".into(),
                token: None,
            },
        );
        stream.progress(
            &rack,
            &Progress::Cancelling {
                after: Duration::from_secs(1),
            },
            1,
        );
        stream.heartbeat(&rack, "CREATE_IN_PROGRESS", Duration::from_secs(30));
        stream.stalled(
            &rack,
            &Stall {
                logical_id: "Vpc".into(),
                resource_type: "AWS::EC2::VPC".into(),
                quiet: Duration::from_secs(900),
            },
        );
        let results = [
            RackResult::Installed { dashboard: None },
            RackResult::Held {
                reasons: vec![HoldReason::Install],
                disruptions: Vec::new(),
                dependents: Vec::new(),
            },
            RackResult::Failed {
                failure: Box::new(Failure::InstallFailed),
                status: Some(StackStatus::parse("ROLLBACK_COMPLETE")),
                root_cause: Some(RootCause::Stack {
                    reason: "Vpc".into(),
                }),
            },
            RackResult::Cancelled {
                after: Duration::from_secs(1),
                rolled_back_in: Duration::from_secs(2),
            },
        ];
        for step in [
            UninstallStep::AutoscalerRuleDisabled { rule: "r".into() },
            UninstallStep::AutoscalerRuleNotDisabled {
                rule: "r".into(),
                error: "e".into(),
            },
            UninstallStep::NoAutoscalerRule,
            UninstallStep::GroupDeleted {
                stack: "web".into(),
                group: "g".into(),
            },
            UninstallStep::GroupAlreadyGone {
                stack: "web".into(),
                group: "g".into(),
            },
        ] {
            stream.uninstall_step(&rack, &step);
        }
        for result in &results {
            stream.finish(&rack, &outcome(result.clone()));
            // A rack held for a person was not updated: nothing of it to record.
            if matches!(result, RackResult::Held { .. }) {
                continue;
            }
            let mut warned = outcome(result.clone());
            warned.warnings = vec![crate::apply::RecordWarning {
                version: "2".into(),
                what: crate::apply::Unrecorded::ReleaseRecord,
                why: crate::apply::NotRecorded::Refused(crate::cloud::CloudError::new(
                    crate::cloud::CloudErrorKind::AccessDenied,
                    "AccessDenied",
                )),
            }];
            stream.finish(&rack, &warned);
        }
        stream.wave_finished(&wave, &Counts::default());
        stream.bake_started(&wave, Duration::from_secs(60));
        stream.baking(&wave, Duration::from_secs(30), Duration::from_secs(60));
        stream.bake_passed(&wave);
        rollout_stopped(
            &sink,
            &RolloutStop {
                after_wave: 1,
                why: StopCause::Alarm(alarm),
                not_started: vec![(2, vec!["personal/api".into()])],
            },
        );
        let outcomes: Vec<RackOutcome> = results.into_iter().map(outcome).collect();
        summary(&sink, &outcomes, Outcome::Failed, true);
        exited_at_once(&sink, &BTreeMap::new());
        diagnostic(
            &sink,
            json!({ "kind": "usage", "message": "m", "problems": [] }),
        );

        let text = String::from_utf8(bytes.lock().unwrap().clone()).unwrap();
        let mut types: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for line in text.lines() {
            let Value::Object(fields) = serde_json::from_str(line).unwrap() else {
                panic!("not an object: {line}");
            };
            let kind = fields["type"].as_str().unwrap().to_string();
            types.entry(kind).or_default().extend(
                fields
                    .keys()
                    .filter(|key| !["type", "timestamp", "message"].contains(&key.as_str()))
                    .cloned(),
            );
        }
        types
    }

    #[test]
    fn the_readmes_stream_table_names_every_type_printed_with_its_fields() {
        let mut documented = readme_table();
        assert_eq!(
            documented.remove("plan"),
            Some(BTreeSet::from(["plan".to_string()]))
        );
        assert_eq!(documented, printed());
    }
}
