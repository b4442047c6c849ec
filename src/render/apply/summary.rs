//! The closing summary of an apply: counts, one line per rack with its time, generated passwords (shown
//! once), racks CloudFormation is still changing (what that adds up to is `apply::Counts` and
//! `apply::run_outcome`).

use std::fmt::Write as _;

use super::words::{not_done_words, outcome_line};
use crate::apply::{
    AlarmUnread, Counts, InstalledPassword, NotRecorded, RackOutcome, RackResult, RecordWarning,
    RolloutStop, StopCause, Unrecorded,
};
use crate::cloud::StackState;
use crate::outcome::Outcome;

/// `Apply complete: 1 installed, 0 updated, 0 failed.` Its verdict is the run's outcome (its exit code):
/// a run that fails never says it is complete. `rollout_stopped`: a rollout stopped before its last wave.
pub fn headline(counts: &Counts, outcome: Outcome, rollout_stopped: bool) -> String {
    let verdict = match outcome {
        Outcome::Interrupted => "Apply interrupted",
        // Every rack it ran ended as planned: what failed is the waves it did not start.
        Outcome::Failed if rollout_stopped && counts.all_ok => "Apply stopped",
        Outcome::Failed => "Apply failed",
        Outcome::Success | Outcome::Held | Outcome::Changes => "Apply complete",
    };
    let mut out = format!(
        "{verdict}: {} installed, {} updated",
        counts.installed, counts.updated
    );
    for (number, what) in [
        (counts.reinstalled, "reinstalled"),
        (counts.recovered, "recovered"),
        (counts.uninstalled, "uninstalled"),
    ] {
        if number > 0 {
            let _ = write!(out, ", {number} {what}");
        }
    }
    let _ = write!(out, ", {}", not_done_words(counts));
    if counts.held > 0 {
        let _ = write!(out, ", {} held for a person", counts.held);
    }
    out.push('.');
    out
}

pub fn render(outcomes: &[RackOutcome], outcome: Outcome, rollout_stopped: bool) -> String {
    let held: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.held())
        .map(|o| o.rack.as_str())
        .collect();
    let mut out = format!(
        "\n{}\n",
        headline(&Counts::of(outcomes), outcome, rollout_stopped)
    );
    for outcome in outcomes
        .iter()
        .filter(|o| o.result != RackResult::Unchanged)
    {
        let _ = writeln!(out, "{}", outcome_line("    ", &outcome.rack, outcome));
    }

    if !held.is_empty() {
        let targets: Vec<String> = held.iter().map(|rack| format!("--target {rack}")).collect();
        let _ = writeln!(
            out,
            "\nHeld for a person by --auto-approve=in-place (their changes are not all in place): {}. \
             Review their plan, then apply them with `rackfile apply {}`, which asks for confirmation.",
            held.join(", "),
            targets.join(" ")
        );
    }

    for outcome in outcomes {
        for warning in &outcome.warnings {
            let _ = writeln!(
                out,
                "\nwarning: {}: {}",
                outcome.rack,
                record_warning_words(warning)
            );
        }
    }

    let cancelled: Vec<&str> = outcomes
        .iter()
        .filter(|o| matches!(o.result.settled(), RackResult::Cancelled { .. }))
        .map(|o| o.rack.as_str())
        .collect();
    if !cancelled.is_empty() {
        let _ = writeln!(
            out,
            "\nCancelled and rolled back to UPDATE_ROLLBACK_COMPLETE: {}.",
            cancelled.join(", ")
        );
    }

    let still_changing: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match o.result.settled() {
            RackResult::StillInProgress { status, .. } => Some(match status {
                Some(status) => format!("{} ({status})", o.rack),
                None => o.rack.to_string(),
            }),
            _ => None,
        })
        .collect();
    if !still_changing.is_empty() {
        let _ = writeln!(
            out,
            "\nCloudFormation is still changing {}; rackfile stopped following, AWS did not stop. \
             Watch them with `rackfile status`; a new apply waits for them.",
            still_changing.join(", ")
        );
    }

    for outcome in outcomes {
        let Some(password) = &outcome.password else {
            continue;
        };
        let dashboard = match &outcome.result {
            RackResult::Installed { dashboard } | RackResult::Reinstalled { dashboard } => {
                dashboard.as_ref()
            }
            _ => None,
        };
        // A password is shown for every install that may still complete with it in AWS: it exists nowhere
        // else. An install that ended failed (rolled back, deleted) never uses it: a new install generates
        // another, so printing it would only ask someone to store a secret that opens nothing.
        let ended_failed = match &outcome.result {
            RackResult::Failed {
                status: Some(status),
                ..
            } => matches!(
                status.state(),
                StackState::FailedInstall | StackState::Deleted
            )
            .then_some(status),
            _ => None,
        };
        let unfinished = if matches!(
            outcome.result,
            RackResult::Installed { .. } | RackResult::Reinstalled { .. }
        ) {
            ""
        } else {
            " (its install did not finish here; if CloudFormation completes it, this is its password)"
        };
        match (password, ended_failed) {
            (InstalledPassword::Generated(_), Some(status)) => {
                let _ = writeln!(
                    out,
                    "\nPassword for {} was not used: its install ended {status}, and the next install generates another",
                    outcome.rack
                );
            }
            (InstalledPassword::Ssm { parameter }, Some(status)) => {
                let _ = writeln!(
                    out,
                    "\nPassword for {} is in SSM parameter {parameter} (SecureString); its install ended {status}, and the next install uses it again",
                    outcome.rack
                );
            }
            (InstalledPassword::Generated(password), None) => {
                let _ = writeln!(
                    out,
                    "\nPassword for {}{unfinished} (shown only this once; store it now): {password}",
                    outcome.rack
                );
            }
            (InstalledPassword::Ssm { parameter }, None) => {
                let _ = writeln!(
                    out,
                    "\nPassword for {}{unfinished} is in SSM parameter {parameter} (SecureString)",
                    outcome.rack
                );
            }
        }
        if let Some(dashboard) = dashboard {
            let _ = writeln!(out, "Dashboard: {dashboard}");
        }
    }
    out
}

/// The summary of a run ended at once by a third interrupt: what it knows without waiting for any rack,
/// which is where every install it started keeps its password.
pub fn exited_at_once(passwords: &std::collections::BTreeMap<String, InstalledPassword>) -> String {
    let mut out = String::from(
        "\nApply interrupted a third time: exited at once. What was in progress goes on in AWS; watch it with \
         `rackfile status`, and a new apply waits for it.\n",
    );
    for (rack, password) in passwords {
        match password {
            InstalledPassword::Generated(password) => {
                let _ = writeln!(
                    out,
                    "\nPassword for {rack} (its install was started; if CloudFormation completes it, this is its password) (shown only this once; store it now): {password}"
                );
            }
            InstalledPassword::Ssm { parameter } => {
                let _ = writeln!(
                    out,
                    "\nPassword for {rack} is in SSM parameter {parameter} (SecureString)"
                );
            }
        }
    }
    out
}

/// Why a rollout stopped before its last wave, and the waves it did not start, for the summary.
pub fn rollout_stop(stop: &RolloutStop) -> String {
    let why = match &stop.why {
        StopCause::Failures { counts, tolerated } => {
            let kinds: Vec<(usize, &str)> = [
                (counts.failed, "failed"),
                (counts.cancelled, "cancelled"),
                (counts.blocked, "blocked"),
            ]
            .into_iter()
            .filter(|(number, _)| *number > 0)
            .collect();
            let racks = |number: usize| if number == 1 { "rack" } else { "racks" };
            match kinds.as_slice() {
                [(number, what)] => {
                    format!("{number} {} {what}, {tolerated} tolerated", racks(*number))
                }
                _ => {
                    let total = counts.failed + counts.cancelled + counts.blocked;
                    format!(
                        "{total} {} did not end as planned ({}), {tolerated} tolerated",
                        racks(total),
                        not_done_words(counts)
                    )
                }
            }
        }
        StopCause::Alarm(alarm) => format!(
            "alarm {} of {} (account {}, {}) went to ALARM during the bake",
            alarm.name, alarm.rack, alarm.account_id, alarm.region
        ),
        StopCause::AlarmUnreadable { alarm, why } => format!(
            "alarm {} of {} (account {}, {}) could not be read during the bake: {}",
            alarm.name,
            alarm.rack,
            alarm.account_id,
            alarm.region,
            match why {
                AlarmUnread::Failed(error) => error.to_string(),
                AlarmUnread::Gone => "the alarm no longer exists".into(),
            }
        ),
        StopCause::Held {
            alarm,
            state,
            holds,
        } => format!(
            "alarm {} of {} (account {}, {}) is in {}, which holds wave {holds}{}",
            alarm.name,
            alarm.rack,
            alarm.account_id,
            alarm.region,
            state.word(),
            if *state == crate::cloud::AlarmState::InsufficientData {
                " ([rollout] missing_data = \"ok\" lets it pass)"
            } else {
                ""
            }
        ),
        StopCause::Interrupted => "interrupted; nothing more was started".to_string(),
    };
    let mut out = format!("\nRollout stopped after wave {}: {why}.\n", stop.after_wave);
    if stop.not_started.is_empty() {
        return out;
    }
    for (wave, racks) in &stop.not_started {
        let _ = writeln!(out, "    wave {wave} not started: {}", racks.join(", "));
    }
    out.push_str(
        "Once the cause is fixed, run apply again: racks already changed are unchanged now, so it starts at the first wave with work left.\n",
    );
    out
}

/// A version not recorded where Convox records it, and what that leaves unaware of it.
pub fn record_warning_words(warning: &RecordWarning) -> String {
    match warning.what {
        Unrecorded::ReleaseRecord => format!(
            "version {} was applied but not written to the rack's releases table, so `convox rack releases` does not list it: {}",
            warning.version,
            not_recorded_words(&warning.why)
        ),
        Unrecorded::RackUpdateEvent => format!(
            "version {} was applied but no rack:update event was sent to the rack's notification topic, so its webhooks did not hear of it: {}",
            warning.version,
            not_recorded_words(&warning.why)
        ),
    }
}

fn not_recorded_words(why: &NotRecorded) -> String {
    match why {
        NotRecorded::ResourcesUnlisted(error) => format!(
            "cannot list the rack's resources to find its releases table and notification topic: {error}"
        ),
        NotRecorded::ServicesUnreachable(error) => {
            format!("cannot reach DynamoDB and SNS: {error}")
        }
        NotRecorded::NoResource(logical_id) => {
            format!("the rack's stack has no {logical_id} resource")
        }
        NotRecorded::Refused(error) => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::{CloudError, CloudErrorKind};

    /// The headline's verdict is the exit code's: a rollout stopped after racks that all succeeded exits 1,
    /// so it is "stopped", never "complete"; a rack that did not end as planned makes it "failed".
    #[test]
    fn a_headline_never_calls_a_failed_run_complete() {
        let updated = Counts {
            updated: 1,
            all_ok: true,
            ..Counts::default()
        };
        assert_eq!(
            headline(&updated, Outcome::Failed, true),
            "Apply stopped: 0 installed, 1 updated, 0 failed."
        );
        assert_eq!(
            headline(&updated, Outcome::Success, false),
            "Apply complete: 0 installed, 1 updated, 0 failed."
        );
        let blocked = Counts {
            blocked: 1,
            all_ok: false,
            ..Counts::default()
        };
        assert_eq!(
            headline(&blocked, Outcome::Failed, true),
            "Apply failed: 0 installed, 0 updated, 0 failed, 1 blocked."
        );
        // Nothing to apply but blocked racks: no rack ran, and it is a failure.
        assert_eq!(
            headline(&Counts::of(&[]), Outcome::Failed, false),
            "Apply failed: 0 installed, 0 updated, 0 failed."
        );
    }

    /// A wave stopped by its racks names them as the summary's counts do: a blocked rack is blocked there too.
    #[test]
    fn a_wave_stopped_by_its_racks_counts_them_as_the_summary_does() {
        let stop = |failed, cancelled, blocked| RolloutStop {
            after_wave: 1,
            why: StopCause::Failures {
                counts: Counts {
                    failed,
                    cancelled,
                    blocked,
                    ..Counts::default()
                },
                tolerated: 0,
            },
            not_started: Vec::new(),
        };
        assert_eq!(
            rollout_stop(&stop(1, 0, 0)),
            "\nRollout stopped after wave 1: 1 rack failed, 0 tolerated.\n"
        );
        assert_eq!(
            rollout_stop(&stop(0, 0, 2)),
            "\nRollout stopped after wave 1: 2 racks blocked, 0 tolerated.\n"
        );
        assert_eq!(
            rollout_stop(&stop(1, 1, 1)),
            "\nRollout stopped after wave 1: 3 racks did not end as planned (1 failed, 1 cancelled, 1 blocked), 0 tolerated.\n"
        );
    }

    #[test]
    fn an_alarm_unread_during_a_bake_says_why() {
        let stop = |why| RolloutStop {
            after_wave: 1,
            why: StopCause::AlarmUnreadable {
                alarm: crate::plan::WatchedAlarm {
                    rack: "personal/web".into(),
                    org: "personal".into(),
                    account_id: "123456789012".into(),
                    region: "us-east-1".into(),
                    name: "web-5xx".into(),
                },
                why,
            },
            not_started: Vec::new(),
        };
        assert_eq!(
            rollout_stop(&stop(AlarmUnread::Gone)),
            "\nRollout stopped after wave 1: alarm web-5xx of personal/web (account 123456789012, us-east-1) could not be read during the bake: the alarm no longer exists.\n"
        );
        assert_eq!(
            rollout_stop(&stop(AlarmUnread::Failed(CloudError::new(
                CloudErrorKind::Throttled,
                "Rate exceeded"
            )))),
            "\nRollout stopped after wave 1: alarm web-5xx of personal/web (account 123456789012, us-east-1) could not be read during the bake: Rate exceeded.\n"
        );
    }

    /// A password is printed while the install may still complete with it; once the install has ended
    /// failed, the generated one opens nothing (the next install makes another) and the SSM one is used
    /// again, and the summary says so instead.
    #[test]
    fn a_password_line_says_whether_the_install_can_still_use_it() {
        let install = |status: Option<&str>, password: InstalledPassword| RackOutcome {
            rack: "personal/web".into(),
            result: RackResult::Failed {
                failure: Box::new(crate::apply::Failure::InstallFailed),
                status: status.map(crate::cloud::StackStatus::from),
                root_cause: None,
            },
            elapsed: std::time::Duration::from_secs(60),
            password: Some(password),
            warnings: Vec::new(),
        };
        let generated = || InstalledPassword::Generated("s3cret".into());
        let ssm = || InstalledPassword::Ssm {
            parameter: "/racks/web".into(),
        };
        let password_lines = |outcome: RackOutcome| -> Vec<String> {
            render(&[outcome], Outcome::Failed, false)
                .lines()
                .filter(|line| line.starts_with("Password"))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(
            password_lines(install(Some("ROLLBACK_COMPLETE"), generated())),
            [
                "Password for personal/web was not used: its install ended ROLLBACK_COMPLETE, and the next install generates another"
            ]
        );
        assert_eq!(
            password_lines(install(Some("DELETE_COMPLETE"), ssm())),
            [
                "Password for personal/web is in SSM parameter /racks/web (SecureString); its install ended DELETE_COMPLETE, and the next install uses it again"
            ]
        );
        assert_eq!(
            password_lines(install(Some("CREATE_IN_PROGRESS"), generated())),
            [
                "Password for personal/web (its install did not finish here; if CloudFormation completes it, this is its password) (shown only this once; store it now): s3cret"
            ]
        );
        assert_eq!(
            password_lines(install(None, generated())),
            [
                "Password for personal/web (its install did not finish here; if CloudFormation completes it, this is its password) (shown only this once; store it now): s3cret"
            ]
        );
    }

    #[test]
    fn a_version_not_recorded_says_where_and_why() {
        let warning = |what, why| RecordWarning {
            version: "20260101000000".into(),
            what,
            why,
        };
        let denied = || CloudError::new(CloudErrorKind::AccessDenied, "AccessDenied: no");
        let releases = "version 20260101000000 was applied but not written to the rack's releases table, so `convox rack releases` does not list it";
        let event = "version 20260101000000 was applied but no rack:update event was sent to the rack's notification topic, so its webhooks did not hear of it";
        for (what, why, words) in [
            (
                Unrecorded::ReleaseRecord,
                NotRecorded::ResourcesUnlisted(denied()),
                format!(
                    "{releases}: cannot list the rack's resources to find its releases table and notification topic: AccessDenied: no"
                ),
            ),
            (
                Unrecorded::RackUpdateEvent,
                NotRecorded::ServicesUnreachable(denied()),
                format!("{event}: cannot reach DynamoDB and SNS: AccessDenied: no"),
            ),
            (
                Unrecorded::ReleaseRecord,
                NotRecorded::NoResource("Releases".into()),
                format!("{releases}: the rack's stack has no Releases resource"),
            ),
            (
                Unrecorded::RackUpdateEvent,
                NotRecorded::Refused(denied()),
                format!("{event}: AccessDenied: no"),
            ),
        ] {
            assert_eq!(record_warning_words(&warning(what, why)), words);
        }
    }
}
