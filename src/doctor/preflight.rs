//! The plan's preflight checks, as doctor shows them: a blocked one fails, with what was read; one that
//! could not be checked is skipped.

use super::Check;
use crate::plan::{PreflightCheck, Verdict};

/// `says` is the check's finding in words (`render::preflight::says`), `read` what it read
/// (`render::preflight::read_words`).
pub fn preflight_check(rack: &str, check: PreflightCheck, says: &str, read: &str) -> Check {
    let text = format!("rack {rack}: preflight: {says}");
    let read = format!("read: {read}");
    match check.verdict {
        Verdict::Passed => Check::pass(text),
        Verdict::Warning => Check::pass(format!("{text} (warning)")),
        Verdict::NotChecked => Check::skip(format!("{text} ({read})")),
        Verdict::Blocked => Check::fail(text, Some(read)),
    }
}
