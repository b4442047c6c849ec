//! The preflight checks of a rack in words: a `preflight:` line for each check with something to say (a
//! warning, or a check that could not be made), naming what it read. A check that blocked the rack is in the
//! rack's blocked reason already; a check that passed says nothing.

use super::escape;
use crate::plan::{PreflightCheck, RackPlan, Verdict};

/// The rack's preflight lines, unindented and escaped.
pub(super) fn lines(rack: &RackPlan) -> Vec<String> {
    rack.preflight
        .iter()
        .filter_map(|check| {
            let verdict = match check.verdict {
                Verdict::Warning => "warning",
                Verdict::NotChecked => "not checked",
                Verdict::Passed | Verdict::Blocked => return None,
            };
            Some(format!("preflight: {verdict}: {}", words(check)))
        })
        .collect()
}

/// A check's finding and what it read.
fn words(check: &PreflightCheck) -> String {
    if check.read.is_empty() {
        escape(&check.says).into_owned()
    } else {
        format!(
            "{} (read: {})",
            escape(&check.says),
            escape(&check.read.join(", "))
        )
    }
}

/// Why a rack is blocked by its preflight checks, unescaped: a line for each failed check, with what it
/// read.
pub fn blocked_reason(checks: &[PreflightCheck]) -> String {
    checks
        .iter()
        .filter(|check| check.verdict == Verdict::Blocked)
        .map(|check| {
            format!(
                "preflight: {} (read: {})",
                check.says,
                check.read.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
