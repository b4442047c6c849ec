//! Why a rack needs a person, in words: its disruptions, what holds it from `apply --auto-approve=in-place`,
//! what a run's gate refuses, and what a wait is for. The human, Markdown and apply views share them.

use super::escape;
use super::impact::{describe_reach, rule_says};
use super::notes::template_unknown_words;
use crate::plan::{
    Action, DependentStack, Disruption, HoldReason, RackPlan, Refusal, StepRef, Wait,
};

/// The rack's disruptions (decided by the plan), escaped, a line each.
pub(super) fn disruptions(rack: &RackPlan) -> Vec<String> {
    disruption_list(&rack.disruptions, uninstalled_dependents(rack))
}

/// The disruptions in words; `dependents`: what an uninstall deletes before the rack.
fn disruption_list(disruptions: &[Disruption], dependents: &[DependentStack]) -> Vec<String> {
    disruptions
        .iter()
        .map(|disruption| disruption_words(dependents, disruption))
        .collect()
}

/// The app and resource stacks the rack's uninstall deletes before it; none for any other action.
fn uninstalled_dependents(rack: &RackPlan) -> &[DependentStack] {
    match &rack.action {
        Action::Uninstall(uninstall) => &uninstall.dependents,
        _ => &[],
    }
}

/// Why the run may not act on a rack, completing "its new plan ...".
pub fn refusal_words(refusal: &Refusal) -> String {
    match refusal {
        Refusal::Uninstall => {
            "uninstalls the rack (ensure = \"absent\"), and --allow-uninstall was not given".into()
        }
        Refusal::GeneratedPasswordUnderJson => "installs it with a generated API password, which apply --json never prints; set `password_ssm` or `password_env`".into(),
        Refusal::GeneratedPasswordWithoutSink => "installs it with a generated API password, and stdout takes no writes to print it on; set `password_ssm` or `password_env`".into(),
        Refusal::NotInRun => "is outside this run's --target or --wave".into(),
        Refusal::Account { expected, found } => format!(
            "reaches account {}, not the account {} this run planned",
            escape(found),
            escape(expected)
        ),
    }
}

/// What apply does with a rack CloudFormation is changing.
pub fn wait_words(wait: &Wait) -> String {
    let then = if wait.absent {
        "then plans it again (an uninstall needs --allow-uninstall)"
    } else {
        "then plans it again and applies that plan if this run allows it"
    };
    format!("CloudFormation is changing the stack; apply waits for it to finish, {then}")
}

/// Why `apply --auto-approve=in-place` holds the rack for a person, escaped, in a line:
/// `replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time`.
pub fn hold_words(rack: &RackPlan) -> String {
    held_words(&rack.hold, &rack.disruptions, uninstalled_dependents(rack))
}

/// `hold_words` from the plan's data alone, as an apply's outcome carries it: its hold reasons, its
/// disruptions, and the stacks an uninstall deletes before the rack.
pub fn held_words(
    reasons: &[HoldReason],
    disruptions: &[Disruption],
    dependents: &[DependentStack],
) -> String {
    let mut words = Vec::new();
    for reason in reasons {
        match reason {
            HoldReason::Disruptive => words.extend(disruption_list(disruptions, dependents)),
            HoldReason::Install => words.push("installs a new rack".into()),
            HoldReason::ContinueRollback => {
                words.push("continues a failed rollback (ContinueUpdateRollback)".into())
            }
            HoldReason::SsmUnresolved {
                step,
                parameter,
                ssm_name,
            } => words.push(format!(
                "{}{} resolves SSM {} again, whose value could not be read",
                step_words(step),
                escape(parameter),
                escape(ssm_name)
            )),
            HoldReason::NotAnalysed { step, why } => words.push(format!(
                "{}what it does to the rack's resources is unknown ({})",
                step_words(step),
                escape(&template_unknown_words(why))
            )),
            HoldReason::ExportsNotChecked { finding } => {
                words.push(escape(&super::preflight::says(finding)).into_owned())
            }
            HoldReason::OverwritesDrift { resources } => words.push(format!(
                "overwrites changes made outside CloudFormation ({})",
                resources
                    .iter()
                    .map(|overwritten| escape(&overwritten.resource.logical_id).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            HoldReason::DriftNotChecked { why } => words.push(format!(
                "its drift could not be detected ({})",
                escape(&super::drift::unchecked_words(why))
            )),
            HoldReason::ChangeSet {
                step,
                logical_id,
                finding,
            } => {
                let says = super::change_set::finding_words(finding);
                words.push(match logical_id {
                    Some(id) => format!(
                        "{}change set: {} {}",
                        step_words(step),
                        escape(id),
                        escape(&says)
                    ),
                    None => format!("{}{}", step_words(step), escape(&says)),
                })
            }
        }
    }
    words.join("; ")
}

fn step_words(step: &Option<StepRef>) -> String {
    match step {
        Some(step) => format!("step {} (to {}): ", step.number, escape(&step.version)),
        None => String::new(),
    }
}

fn disruption_words(dependents: &[DependentStack], disruption: &Disruption) -> String {
    match disruption {
        Disruption::Reinstall => "is deleted and installed again".into(),
        Disruption::Uninstall => match dependents {
            [] => {
                "is uninstalled: the stack and every resource it does not retain are deleted".into()
            }
            dependents => format!(
                "is uninstalled: {} and the rack, with every resource not retained, are deleted",
                counted_dependents(dependents)
            ),
        },
        Disruption::Resources { step, resources } => {
            format!("{}{}", step_words(step), escape(&describe_reach(resources)))
        }
        Disruption::ConvoxRule {
            step,
            parameter,
            rule,
            at_a_time,
            ..
        } => format!(
            "{}{} ({})",
            step_words(step),
            escape(&rule_says(*rule, at_a_time.as_deref())),
            escape(parameter)
        ),
    }
}

/// `2 app stacks, 1 resource stack`.
pub(crate) fn counted_dependents(dependents: &[DependentStack]) -> String {
    use crate::convox::Dependent;
    let count = |kind: Dependent| dependents.iter().filter(|d| d.kind == kind).count();
    [Dependent::App, Dependent::Resource]
        .into_iter()
        .filter_map(|kind| match count(kind) {
            0 => None,
            1 => Some(format!("1 {} stack", kind.word())),
            n => Some(format!("{n} {} stacks", kind.word())),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
