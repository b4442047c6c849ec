//! Why a rack is blocked, in words, and the way out: the plan holds the facts (`plan::BlockedWhy`), each
//! view prints this reason (the human view a line per install-only change, Markdown its first line, JSON as
//! `reason`), and apply reports it for a rack it left unchanged.

use crate::plan::{Blocked, BlockedWhy, Deletion, InstallOnlyChange, PreflightCheck};

/// The reason, unescaped: a line per install-only change or failed preflight check. `preflight` is the
/// rack's checks (`RackPlan::preflight`), which say why a preflight-blocked rack is blocked.
pub fn reason(blocked: &Blocked, preflight: &[PreflightCheck]) -> String {
    let why = why_words(&blocked.why, preflight);
    match &blocked.step {
        Some(step) => format!(
            "step {} of {} of the upgrade (to {}): {why}",
            step.number, step.count, step.version
        ),
        None => why,
    }
}

fn why_words(why: &BlockedWhy, preflight: &[PreflightCheck]) -> String {
    match why {
        BlockedWhy::Deleting => "the stack is being deleted; plan again once it is gone".into(),
        BlockedWhy::FailedInstall => {
            "the install failed; `--recover` deletes the stack and installs it again".into()
        }
        BlockedWhy::RollbackFailed => "an update failed to roll back; `--recover` continues the rollback (ContinueUpdateRollback), then applies the update".into(),
        BlockedWhy::DeleteFailed => "its deletion failed and the stack is left half-deleted; finish the deletion (aws cloudformation delete-stack) first".into(),
        // A line per change: the human view indents them as one block.
        BlockedWhy::InstallOnly { parameters } => parameters
            .iter()
            .map(install_only_words)
            .collect::<Vec<_>>()
            .join("\n"),
        BlockedWhy::Downgrade { declared, live } => format!(
            "racks.toml's version {declared} is an earlier Convox release than the live {live}: Convox does not downgrade racks; set `version` back to {live} (or a later release)"
        ),
        BlockedWhy::Protected { operation } => {
            let what = match operation {
                Deletion::Uninstall => "uninstalled",
                Deletion::Reinstall => "reinstalled (deleted, then installed again)",
            };
            format!(
                "termination protection is on, so the stack cannot be {what}; set `protect = false`, apply that, then apply this"
            )
        }
        BlockedWhy::NlbDeletionProtection { parameter, value } => format!(
            "NLB deletion protection is on ({parameter}={value}): Convox refuses to uninstall such a rack, as AWS refuses to delete its load balancer and the deletion would fail halfway; set NLBDeletionProtection = \"No\" and NLBInternalDeletionProtection = \"No\" in [rack.parameters] with the rack present, apply that, then apply this"
        ),
        BlockedWhy::NotARack { stack_name } => format!(
            "the stack {stack_name} is not a Convox rack (it is not tagged System=convox, Type=rack, nor shaped like an untagged 2016 rack), so rackfile never updates, recovers or deletes it; give the rack another `name`, or remove it from racks.toml"
        ),
        BlockedWhy::Preflight => super::preflight::blocked_reason(preflight),
        BlockedWhy::ChangeSet { change_set, error } => {
            format!("CloudFormation's change set {change_set} of the update failed: {error}")
        }
        BlockedWhy::Other => "rackfile does not change a stack in this status; see it in the CloudFormation console".into(),
    }
}

/// The values quoted (and so escaped), as they come from racks.toml and the live stack.
fn install_only_words(change: &InstallOnlyChange) -> String {
    let InstallOnlyChange {
        parameter,
        live,
        declared,
        rule,
    } = change;
    format!(
        "{parameter} is set at install only ({live:?} -> {declared:?}): {}; keep racks.toml at the live value, or install a new rack (source: {})",
        super::impact::rule_words(rule.rule),
        rule.source
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::StackStatus;
    use crate::convox::Effect;
    use crate::plan::{RuleImpact, StepOf};

    fn words(why: BlockedWhy) -> String {
        reason(
            &Blocked {
                why,
                status: Some(StackStatus::parse("UPDATE_COMPLETE")),
                step: None,
            },
            &[],
        )
    }

    #[test]
    fn each_why_says_what_blocks_the_rack_and_the_way_out() {
        for (why, said) in [
            (
                BlockedWhy::Deleting,
                "the stack is being deleted; plan again once it is gone",
            ),
            (
                BlockedWhy::FailedInstall,
                "the install failed; `--recover` deletes the stack and installs it again",
            ),
            (
                BlockedWhy::RollbackFailed,
                "an update failed to roll back; `--recover` continues the rollback (ContinueUpdateRollback), then applies the update",
            ),
            (
                BlockedWhy::DeleteFailed,
                "its deletion failed and the stack is left half-deleted; finish the deletion (aws cloudformation delete-stack) first",
            ),
            (
                BlockedWhy::Other,
                "rackfile does not change a stack in this status; see it in the CloudFormation console",
            ),
            (
                BlockedWhy::Downgrade {
                    declared: "1".into(),
                    live: "2".into(),
                },
                "racks.toml's version 1 is an earlier Convox release than the live 2: Convox does not downgrade racks; set `version` back to 2 (or a later release)",
            ),
            (
                BlockedWhy::Protected {
                    operation: Deletion::Uninstall,
                },
                "termination protection is on, so the stack cannot be uninstalled; set `protect = false`, apply that, then apply this",
            ),
            (
                BlockedWhy::Protected {
                    operation: Deletion::Reinstall,
                },
                "termination protection is on, so the stack cannot be reinstalled (deleted, then installed again); set `protect = false`, apply that, then apply this",
            ),
            (
                BlockedWhy::NlbDeletionProtection {
                    parameter: "NLBInternalDeletionProtection".into(),
                    value: "Yes".into(),
                },
                "NLB deletion protection is on (NLBInternalDeletionProtection=Yes): Convox refuses to uninstall such a rack, as AWS refuses to delete its load balancer and the deletion would fail halfway; set NLBDeletionProtection = \"No\" and NLBInternalDeletionProtection = \"No\" in [rack.parameters] with the rack present, apply that, then apply this",
            ),
            (
                BlockedWhy::NotARack {
                    stack_name: "example".into(),
                },
                "the stack example is not a Convox rack (it is not tagged System=convox, Type=rack, nor shaped like an untagged 2016 rack), so rackfile never updates, recovers or deletes it; give the rack another `name`, or remove it from racks.toml",
            ),
            (
                BlockedWhy::ChangeSet {
                    change_set: "rackfile-1".into(),
                    error: "AccessDenied: no".into(),
                },
                "CloudFormation's change set rackfile-1 of the update failed: AccessDenied: no",
            ),
        ] {
            assert_eq!(words(why), said);
        }
    }

    #[test]
    fn install_only_changes_are_a_line_each_their_values_quoted() {
        let change = |parameter: &str, live: &str, declared: &str| InstallOnlyChange {
            parameter: parameter.into(),
            live: live.into(),
            declared: declared.into(),
            rule: RuleImpact {
                effect: Effect::InstallOnly,
                source: "convox/rack#2975".into(),
                rule: crate::convox::Rule::Private,
                at_a_time: None,
            },
        };
        assert_eq!(
            words(BlockedWhy::InstallOnly {
                parameters: vec![
                    change("Private", "No", "Yes"),
                    change("Cidr", "10.0.0.0/16", "a\"b")
                ],
            }),
            "Private is set at install only (\"No\" -> \"Yes\"): a rack cannot be switched between public and private: its EFS mount targets would need new subnets, and the update ends in UPDATE_ROLLBACK_FAILED; keep racks.toml at the live value, or install a new rack (source: convox/rack#2975)\n\
             Cidr is set at install only (\"10.0.0.0/16\" -> \"a\\\"b\"): a rack cannot be switched between public and private: its EFS mount targets would need new subnets, and the update ends in UPDATE_ROLLBACK_FAILED; keep racks.toml at the live value, or install a new rack (source: convox/rack#2975)"
        );
    }

    #[test]
    fn a_blocked_step_of_an_upgrade_is_named_before_why() {
        let blocked = Blocked {
            why: BlockedWhy::Downgrade {
                declared: "1".into(),
                live: "2".into(),
            },
            status: None,
            step: Some(StepOf {
                number: 2,
                count: 3,
                version: "20240101".into(),
            }),
        };
        assert!(reason(&blocked, &[]).starts_with(
            "step 2 of 3 of the upgrade (to 20240101): racks.toml's version 1 is an earlier"
        ));
    }
}
