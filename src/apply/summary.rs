//! The closing summary of an apply: counts, one line per rack with its time, generated passwords (shown
//! once), racks CloudFormation is still changing, and the outcome all that adds up to.

use std::fmt::Write as _;

use super::{
    InstalledPassword, RackOutcome, RackResult, RecordWarning, RolloutStop, StopCause, StopReason,
    Unrecorded,
};
use crate::outcome::Outcome;

/// How many racks ended each way: the summary's headline, and the `summary` line of `apply --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Counts {
    pub installed: usize,
    pub updated: usize,
    pub reinstalled: usize,
    pub recovered: usize,
    pub uninstalled: usize,
    pub failed: usize,
    /// Updates cancelled (at their timeout or on a second Ctrl-C) and rolled back.
    pub cancelled: usize,
    pub blocked: usize,
    pub held: usize,
    /// Every rack ended as planned, or was held for a person.
    #[serde(skip)]
    pub all_ok: bool,
}

impl Counts {
    pub fn of(outcomes: &[RackOutcome]) -> Self {
        // An upgrade stopped at a step counts as what happened at that step.
        let count = |wanted: fn(&RackResult) -> bool| {
            outcomes
                .iter()
                .filter(|o| wanted(o.result.settled()))
                .count()
        };
        Counts {
            installed: count(|r| matches!(r, RackResult::Installed { .. })),
            reinstalled: count(|r| matches!(r, RackResult::Reinstalled { .. })),
            recovered: outcomes
                .iter()
                .filter(|o| matches!(o.result, RackResult::RollbackContinued { .. }))
                .count(),
            uninstalled: count(|r| matches!(r, RackResult::Uninstalled { .. })),
            updated: count(|r| matches!(r, RackResult::Updated | RackResult::Upgraded { .. })),
            failed: count(|r| {
                matches!(
                    r,
                    RackResult::Failed { .. }
                        | RackResult::StillInProgress {
                            why: StopReason::Timeout,
                            ..
                        }
                )
            }),
            cancelled: count(|r| matches!(r, RackResult::Cancelled { .. })),
            blocked: count(|r| matches!(r, RackResult::Blocked { .. })),
            held: outcomes.iter().filter(|o| o.held()).count(),
            all_ok: outcomes.iter().all(|o| o.succeeded() || o.held()),
        }
    }

    /// `Apply complete: 1 installed, 0 updated, 0 failed.`
    pub fn headline(&self, interrupted: bool) -> String {
        let verdict = if interrupted {
            "Apply interrupted"
        } else if self.all_ok {
            "Apply complete"
        } else {
            "Apply failed"
        };
        let mut out = format!(
            "{verdict}: {} installed, {} updated",
            self.installed, self.updated
        );
        for (number, what) in [
            (self.reinstalled, "reinstalled"),
            (self.recovered, "recovered"),
            (self.uninstalled, "uninstalled"),
        ] {
            if number > 0 {
                let _ = write!(out, ", {number} {what}");
            }
        }
        let _ = write!(out, ", {} failed", self.failed);
        if self.cancelled > 0 {
            let _ = write!(out, ", {} cancelled", self.cancelled);
        }
        if self.blocked > 0 {
            let _ = write!(out, ", {} blocked", self.blocked);
        }
        if self.held > 0 {
            let _ = write!(out, ", {} held for a person", self.held);
        }
        out.push('.');
        out
    }
}

pub fn render(outcomes: &[RackOutcome], interrupted: bool) -> String {
    let held: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.held())
        .map(|o| o.rack.as_str())
        .collect();
    let mut out = format!("\n{}\n", Counts::of(outcomes).headline(interrupted));
    for outcome in outcomes
        .iter()
        .filter(|o| o.result != RackResult::Unchanged)
    {
        let _ = writeln!(out, "    {}: {}", outcome.rack, outcome.describe());
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
                "\nWarning: {}: {}",
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
        // A password is shown for every install that was started, finished or not: the stack may still
        // complete with it in AWS, and it exists nowhere else.
        let unfinished = if matches!(
            outcome.result,
            RackResult::Installed { .. } | RackResult::Reinstalled { .. }
        ) {
            ""
        } else {
            " (its install did not finish here; if CloudFormation completes it, this is its password)"
        };
        match password {
            InstalledPassword::Generated(password) => {
                let _ = writeln!(
                    out,
                    "\nPassword for {}{unfinished} (shown only this once; store it now): {password}",
                    outcome.rack
                );
            }
            InstalledPassword::Ssm { parameter } => {
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

/// What the racks' outcomes add up to.
pub fn outcome(outcomes: &[RackOutcome], interrupted: bool) -> Outcome {
    if interrupted {
        Outcome::Interrupted
    } else if !outcomes.iter().all(|o| o.succeeded() || o.held()) {
        Outcome::Failed
    } else if outcomes.iter().any(RackOutcome::held) {
        Outcome::Held
    } else {
        Outcome::Success
    }
}

/// Why a rollout stopped before its last wave, and the waves it did not start, for the summary.
pub fn rollout_stop(stop: &RolloutStop) -> String {
    let why = match &stop.why {
        StopCause::Failures { failed, tolerated } => format!(
            "{failed} {} failed, {tolerated} tolerated",
            if *failed == 1 { "rack" } else { "racks" }
        ),
        StopCause::Alarm(alarm) => format!(
            "alarm {} of {} (account {}, {}) went to ALARM during the bake",
            alarm.name, alarm.rack, alarm.account_id, alarm.region
        ),
        StopCause::AlarmUnreadable { alarm, why } => format!(
            "alarm {} of {} (account {}, {}) could not be read during the bake: {why}",
            alarm.name, alarm.rack, alarm.account_id, alarm.region
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
            warning.version, warning.why
        ),
        Unrecorded::RackUpdateEvent => format!(
            "version {} was applied but no rack:update event was sent to the rack's notification topic, so its webhooks did not hear of it: {}",
            warning.version, warning.why
        ),
    }
}
