//! Each declared rack's stack: a Convox rack, not failed, not stuck changing; and each region whose
//! stacks could not be listed.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use super::Check;
use crate::cloud::{Stack, StackState, parse_time};
use crate::config::{Config, Rack};
use crate::convox::convox_status;
use crate::live::Sweep;

/// A stack CloudFormation has been changing for longer than this is stuck: a rack update takes minutes,
/// an install up to about half an hour.
pub const STUCK_AFTER: Duration = Duration::from_secs(60 * 60);

pub fn stack_checks(
    config: &Config,
    accounts: &BTreeMap<String, String>,
    sweeps: &[Sweep],
    now: SystemTime,
) -> Vec<Check> {
    let mut checks: Vec<Check> = sweeps
        .iter()
        .filter_map(|sweep| sweep.stacks.as_ref().err())
        .map(|error| Check::fail(error.to_string(), error.hint()))
        .collect();
    for rack in &config.racks {
        let Some(account) = accounts.get(&rack.org) else {
            continue;
        };
        let Some(Ok(stacks)) = sweeps
            .iter()
            .find(|s| s.account == *account && s.region == rack.region)
            .map(|s| s.stacks.as_ref())
        else {
            continue;
        };
        let stack: Option<&Stack> = stacks.iter().find(|s| s.name == rack.name);
        checks.push(stack_health(rack, stack, now));
    }
    checks
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

    use super::super::Mark;
    use super::super::test_support::rack;
    use super::*;

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
            resolved: BTreeMap::new(),
            role_arn: None,
            notification_arns: Vec::new(),
            rollback: None,
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
}
