//! The closing summary of an apply: counts, one line per rack with its time, generated passwords (shown
//! once), racks CloudFormation is still changing, and the outcome all that adds up to.

use std::fmt::Write as _;

use super::{InstalledPassword, RackOutcome, RackResult, StopReason};
use crate::outcome::Outcome;

pub fn render(outcomes: &[RackOutcome], interrupted: bool) -> String {
    // An upgrade stopped at a step counts as what happened at that step.
    let count = |wanted: fn(&RackResult) -> bool| {
        outcomes
            .iter()
            .filter(|o| wanted(o.result.settled()))
            .count()
    };
    let installed = count(|r| matches!(r, RackResult::Installed { .. }));
    let reinstalled = count(|r| matches!(r, RackResult::Reinstalled { .. }));
    let recovered = outcomes
        .iter()
        .filter(|o| matches!(o.result, RackResult::RollbackContinued { .. }))
        .count();
    let uninstalled = count(|r| matches!(r, RackResult::Uninstalled { .. }));
    let updated = count(|r| matches!(r, RackResult::Updated | RackResult::Upgraded { .. }));
    let failed = count(|r| {
        matches!(
            r,
            RackResult::Failed { .. }
                | RackResult::StillInProgress {
                    why: StopReason::Timeout,
                    ..
                }
        )
    });
    let blocked = count(|r| matches!(r, RackResult::Blocked { .. }));
    let cancelled: Vec<&str> = outcomes
        .iter()
        .filter(|o| matches!(o.result.settled(), RackResult::Cancelled { .. }))
        .map(|o| o.rack.as_str())
        .collect();
    let all_ok = outcomes.iter().all(RackOutcome::succeeded);

    let mut out = String::new();
    let verdict = if interrupted {
        "Apply interrupted"
    } else if all_ok {
        "Apply complete"
    } else {
        "Apply failed"
    };
    let _ = write!(out, "\n{verdict}: {installed} installed, {updated} updated");
    for (number, what) in [
        (reinstalled, "reinstalled"),
        (recovered, "recovered"),
        (uninstalled, "uninstalled"),
    ] {
        if number > 0 {
            let _ = write!(out, ", {number} {what}");
        }
    }
    let _ = write!(out, ", {failed} failed");
    if !cancelled.is_empty() {
        let _ = write!(out, ", {} cancelled", cancelled.len());
    }
    if blocked > 0 {
        let _ = write!(out, ", {blocked} blocked");
    }
    out.push_str(".\n");
    for outcome in outcomes
        .iter()
        .filter(|o| o.result != RackResult::Unchanged)
    {
        let _ = writeln!(out, "    {}: {}", outcome.rack, outcome.describe());
    }

    let still_changing: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match o.result.settled() {
            RackResult::StillInProgress { status, .. } => Some(format!("{} ({status})", o.rack)),
            _ => None,
        })
        .collect();
    if !cancelled.is_empty() {
        let _ = writeln!(
            out,
            "\nCancelled and rolled back to UPDATE_ROLLBACK_COMPLETE: {}.",
            cancelled.join(", ")
        );
    }
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

/// What the racks' outcomes add up to.
pub fn outcome(outcomes: &[RackOutcome], interrupted: bool) -> Outcome {
    if interrupted {
        Outcome::Interrupted
    } else if outcomes.iter().all(RackOutcome::succeeded) {
        Outcome::Success
    } else {
        Outcome::Failed
    }
}
