//! `rackfile doctor`'s output: one line per check with a mark, and a hint under each failure; then the
//! counts.

use std::fmt::Write as _;

use crate::doctor::{Check, Mark};

pub fn checks(checks: &[Check]) -> String {
    let mut out = String::new();
    for check in checks {
        let mark = match check.mark {
            Mark::Pass => "[✓]",
            Mark::Fail => "[✗]",
            Mark::Skip => "[-]",
        };
        let mut lines = check.text.lines();
        let _ = writeln!(out, "{mark} {}", lines.next().unwrap_or_default());
        for line in lines {
            let _ = writeln!(out, "    {line}");
        }
        if let Some(hint) = &check.hint {
            let _ = writeln!(out, "    help: {hint}");
        }
    }
    let count = |mark| checks.iter().filter(|c| c.mark == mark).count();
    let _ = write!(
        out,
        "\nDoctor: {} passed, {} failed",
        count(Mark::Pass),
        count(Mark::Fail)
    );
    match count(Mark::Skip) {
        0 => out.push_str(".\n"),
        skipped => {
            let _ = writeln!(out, ", {skipped} skipped.");
        }
    }
    out
}
