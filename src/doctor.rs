//! `rackfile doctor`'s checks as data, the pure decisions behind them, and their rendering: one line per
//! check with a mark, and a hint under each failure.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use crate::cloud::{Stack, StackState, TemplateSummary, parse_time};
use crate::config::Rack;
use crate::plan::unknown_parameters;
use crate::convox::convox_status;

/// A stack CloudFormation has been changing for longer than this is stuck: a rack update takes minutes,
/// an install up to about half an hour.
pub const STUCK_AFTER: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Pass,
    Fail,
    /// Not run, because a check it depends on failed.
    Skip,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub mark: Mark,
    pub text: String,
    pub hint: Option<String>,
}

impl Check {
    pub fn pass(text: impl Into<String>) -> Self {
        Self {
            mark: Mark::Pass,
            text: text.into(),
            hint: None,
        }
    }

    pub fn fail(text: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            mark: Mark::Fail,
            text: text.into(),
            hint,
        }
    }

    pub fn skip(text: impl Into<String>) -> Self {
        Self {
            mark: Mark::Skip,
            text: text.into(),
            hint: None,
        }
    }
}

pub fn render(checks: &[Check]) -> String {
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

/// Whether the template has every parameter the racks using it set.
pub fn template_coverage(template: &str, summary: &TemplateSummary, racks: &[&Rack]) -> Check {
    let mut missing = Vec::new();
    for rack in racks {
        for (name, suggestion) in unknown_parameters(rack, summary) {
            let hint = suggestion
                .map(|close| format!(" (did you mean `{close}`?)"))
                .unwrap_or_default();
            missing.push(format!("{} sets `{name}`{hint}", rack.id()));
        }
    }
    let users: Vec<String> = racks.iter().map(|r| r.id()).collect();
    if missing.is_empty() {
        Check::pass(format!(
            "template {template}: reachable, {} parameters cover {}",
            summary.parameters.len(),
            users.join(", ")
        ))
    } else {
        Check::fail(
            format!(
                "template {template}: reachable, but it has no such parameter:\n{}",
                missing.join("\n")
            ),
            Some("fix the name under [rack.parameters], or use a template that has it".into()),
        )
    }
}

/// Whether a declared rack's stack is healthy: not failed, not stuck changing.
pub fn stack_health(rack: &Rack, stack: Option<&Stack>, now: SystemTime) -> Check {
    let id = rack.id();
    let Some(stack) = stack else {
        return Check::pass(format!("{id}: not installed (apply installs it)"));
    };
    if !crate::convox::is_rack(stack) {
        return Check::fail(
            format!(
                "{id}: the stack {} is not a Convox rack (not tagged System=convox, Type=rack); rackfile never changes it",
                stack.name
            ),
            Some("give the rack another `name`, or remove it from racks.toml".into()),
        );
    }
    let status = &stack.status;
    let word = convox_status(status);
    let reason = stack
        .status_reason
        .as_deref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    if status.is_moving() {
        let changing_for = parse_time(&stack.last_updated).and_then(|t| now.duration_since(t).ok());
        return match changing_for {
            Some(elapsed) if elapsed > STUCK_AFTER => Check::fail(
                format!("{id}: stuck: {status} for {}", minutes(elapsed)),
                Some(format!(
                    "look at the stack's events (aws cloudformation describe-stack-events --stack-name {} --region {}) for the resource it waits on",
                    rack.name, rack.region
                )),
            ),
            Some(elapsed) => {
                Check::pass(format!("{id}: {word} ({status} for {})", minutes(elapsed)))
            }
            None => Check::pass(format!("{id}: {word} ({status})")),
        };
    }
    let hint = match status.state() {
        StackState::FailedInstall => {
            "the install failed: `rackfile apply --recover` deletes the stack and installs it again"
        }
        StackState::RollbackFailed => {
            "an update failed to roll back: `rackfile apply --recover` continues the rollback, then applies the update"
        }
        StackState::DeleteFailed => {
            "the stack could not be deleted: retry the deletion or keep the rack"
        }
        _ if status.as_str().ends_with("_FAILED") => {
            "look at the stack's events for the failed resource"
        }
        _ => return Check::pass(format!("{id}: {word} ({status})")),
    };
    Check::fail(format!("{id}: {word}: {status}{reason}"), Some(hint.into()))
}

fn minutes(elapsed: Duration) -> String {
    let minutes = elapsed.as_secs() / 60;
    if minutes >= 60 {
        format!("{}h{:02}m", minutes / 60, minutes % 60)
    } else {
        format!("{minutes}m")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;

    fn rack() -> Rack {
        let text = "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n[org.personal]\n\
                    [[rack]]\nname = \"example\"\n[rack.parameters]\nAutoscal = \"Yes\"\n";
        crate::config::parse(Path::new("racks.toml"), text.into(), String::new())
            .unwrap()
            .racks
            .remove(0)
    }

    fn stack(status: &str, minutes_ago: u64, now: SystemTime) -> Stack {
        let then = now - Duration::from_secs(minutes_ago * 60);
        let rfc3339 = aws_sdk_cloudformation::primitives::DateTime::from(then)
            .fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime)
            .unwrap();
        Stack {
            stack_id: "id".into(),
            name: "example".into(),
            status: status.into(),
            status_reason: Some("because".into()),
            last_updated: rfc3339,
            parameters: BTreeMap::new(),
            tags: BTreeMap::from([
                ("System".to_string(), "convox".to_string()),
                ("Type".to_string(), "rack".to_string()),
            ]),
            outputs: BTreeMap::new(),
            termination_protection: false,
            parent_id: None,
        }
    }

    #[test]
    fn a_stack_of_the_racks_name_that_is_not_a_rack_fails() {
        let now = SystemTime::now();
        let mut plain = stack("CREATE_COMPLETE", 5, now);
        plain.tags.clear();
        let check = stack_health(&rack(), Some(&plain), now);
        assert_eq!(check.mark, Mark::Fail);
        assert!(
            check.text.contains("is not a Convox rack"),
            "{}",
            check.text
        );
    }

    #[test]
    fn a_stack_changing_for_over_an_hour_is_stuck_and_a_failed_install_fails() {
        let now = SystemTime::now();
        let rack = rack();
        let check = |status, minutes| stack_health(&rack, Some(&stack(status, minutes, now)), now);
        assert_eq!(check("UPDATE_IN_PROGRESS", 5).mark, Mark::Pass);
        let stuck = check("CREATE_IN_PROGRESS", 185);
        assert_eq!(stuck.mark, Mark::Fail);
        assert_eq!(
            stuck.text,
            "personal/example: stuck: CREATE_IN_PROGRESS for 3h05m"
        );
        let failed = check("ROLLBACK_COMPLETE", 5);
        assert_eq!(
            (failed.mark, failed.text.as_str()),
            (
                Mark::Fail,
                "personal/example: failed: ROLLBACK_COMPLETE: because"
            )
        );
        assert_eq!(check("UPDATE_ROLLBACK_COMPLETE", 5).mark, Mark::Pass);
        assert_eq!(stack_health(&rack, None, now).mark, Mark::Pass);
    }

    #[test]
    fn a_template_without_a_parameter_the_file_sets_fails_with_a_suggestion() {
        let rack = rack();
        let mut summary = TemplateSummary::default();
        for name in [
            "Autoscale",
            "InstanceType",
            "InstanceCount",
            "Private",
            "Version",
        ] {
            summary.parameters.insert(name.into(), Default::default());
        }
        let check = template_coverage("rack.yml", &summary, &[&rack]);
        assert_eq!(check.mark, Mark::Fail);
        assert!(
            check
                .text
                .ends_with("personal/example sets `Autoscal` (did you mean `Autoscale`?)"),
            "{}",
            check.text
        );
        summary
            .parameters
            .insert("Autoscal".into(), Default::default());
        assert_eq!(
            template_coverage("rack.yml", &summary, &[&rack]).mark,
            Mark::Pass
        );
    }
}
