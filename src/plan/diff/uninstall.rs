//! `ensure = "absent"`: the rack and exactly the apps and resources Convox made for it.

use std::collections::BTreeSet;

use crate::cloud::{CloudError, Stack, StackKey, StackState};
use crate::config::Rack;
use crate::live::LiveState;
use crate::plan::checks::PlanProblem;
use crate::plan::{Action, BlockedWhy, Deletion, DependentStack, Uninstall};
use crate::template::{retained_resources, summary_of_body};

use super::blocked::{blocked, blocked_as, protected};

/// `ensure = "absent"` of a live rack: the apps and resources Convox made for it (`convox::dependent_of`, never
/// a rack racks.toml declares in its account and region) go first, then the
/// rack; what the live template retains is named as left behind.
pub(super) fn plan_uninstall(
    rack: &Rack,
    stack: &Stack,
    live_template: &Result<String, CloudError>,
    declared: &[Rack],
    key: &StackKey,
    live: &LiveState,
) -> Result<Action, Vec<PlanProblem>> {
    if let Some(blocked) = protected(stack, Deletion::Uninstall) {
        return Ok(Action::Blocked(blocked));
    }
    if let Some((parameter, value)) =
        crate::convox::operations::nlb_deletion_protection(&stack.parameters)
    {
        return Ok(Action::Blocked(blocked_as(
            stack,
            BlockedWhy::NlbDeletionProtection {
                parameter: parameter.to_string(),
                value: value.to_string(),
            },
        )));
    }
    match stack.state() {
        StackState::InProgress | StackState::Deleting | StackState::Other => {
            if let Some(action) = blocked(stack, true) {
                return Ok(action);
            }
        }
        _ => {}
    }
    let body = match live_template {
        Ok(body) => body,
        Err(error) => {
            return Err(vec![PlanProblem {
                rack: rack.id(),
                message: format!(
                    "cannot read the live template of stack {}, to name what its deletion leaves behind: {error}",
                    rack.name
                ),
                hint: error.hint().map(str::to_string),
                span: rack.spans.ensure.clone(),
            }]);
        }
    };
    let retained = retained_resources(body).map_err(|error| {
        vec![PlanProblem {
            rack: rack.id(),
            message: format!(
                "the live template of stack {} cannot be read: {}",
                rack.name, error.message
            ),
            hint: None,
            span: rack.spans.ensure.clone(),
        }]
    })?;
    // An org not read (not targeted) may reach this account too: its racks count as declared here.
    let declared: BTreeSet<&str> = declared
        .iter()
        .filter(|other| {
            other.region == rack.region
                && live
                    .account_of(&other.org)
                    .is_none_or(|other_account| other_account == key.account)
        })
        .map(|other| other.name.as_str())
        .collect();
    let dependents = live
        .stacks_in(&key.region_key())
        .filter_map(|other| {
            let kind =
                crate::convox::dependent_of(other, &rack.name, |name| declared.contains(name))?;
            Some(DependentStack {
                name: other.name.clone(),
                stack_id: other.stack_id.clone(),
                kind,
            })
        })
        .collect();
    let resource_count = summary_of_body(body).map_or(0, |summary| summary.resource_count);
    Ok(Action::Uninstall(Uninstall {
        dependents,
        retained,
        resource_count,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    fn uninstalling(stacks: Vec<Stack>) -> Action {
        uninstalling_among(stacks, &[])
    }

    /// The uninstall of `example` in a racks.toml that also declares `others` (by name, same org and region).
    fn uninstalling_among(stacks: Vec<Stack>, others: &[&str]) -> Action {
        let mut rack = rack();
        rack.absent = true;
        let mut state = live(stacks, &rack);
        state.record_live_template(
            StackKey::new(ACCOUNT, "us-east-1", "example"),
            Ok(RETAINING_TEMPLATE.into()),
        );
        // Nothing but the live template is read for a rack to uninstall: no template, no release list.
        state.forget_templates();
        state.record_releases(None);
        let mut config = config();
        config.racks.push(rack.clone());
        for name in others {
            let mut other = self::rack();
            other.name = name.to_string();
            config.racks.push(other);
        }
        diff(&config, &state.build(&[rack]), false)
            .unwrap()
            .racks
            .remove(0)
            .action
    }

    fn convox_stack(name: &str, kind: &str, rack: &str) -> Stack {
        tagged(
            name,
            &[("System", "convox"), ("Type", kind), ("Rack", rack)],
            None,
        )
    }

    fn dependents(action: &Action) -> Vec<(&str, Dependent)> {
        let Action::Uninstall(uninstall) = action else {
            panic!("not an uninstall: {action:?}");
        };
        uninstall
            .dependents
            .iter()
            .map(|d| (d.name.as_str(), d.kind))
            .collect()
    }

    #[test]
    fn an_absent_rack_is_uninstalled_with_its_apps_first_and_names_what_is_left_behind() {
        let action = uninstalling(vec![
            stack("UPDATE_COMPLETE"),
            convox_stack("example-web", "app", "example"),
            convox_stack("example-db", "resource", "example"),
            convox_stack("example-cache", "service", "example"),
            tagged(
                "example-web-ResourceDatabase",
                &[("System", "convox"), ("Type", "app"), ("Rack", "example")],
                Some("arn:parent"),
            ),
            convox_stack("other-web", "app", "other"),
        ]);
        assert_eq!(
            dependents(&action),
            [
                ("example-cache", Dependent::Resource),
                ("example-db", Dependent::Resource),
                ("example-web", Dependent::App)
            ],
            "top-level apps and resources of this rack only"
        );
        let Action::Uninstall(uninstall) = action else {
            unreachable!()
        };
        assert_eq!(
            uninstall.dependents[2].stack_id,
            format!("arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/example-web/1"),
            "apply deletes the stack planned, by its StackId"
        );
        assert_eq!(uninstall.retained.len(), 1);
        assert_eq!(uninstall.retained[0].logical_id, "Settings");
        assert_eq!(uninstall.resource_count, 2);

        assert_eq!(uninstalling(vec![]), Action::Unchanged, "already gone");
        let mut protected = stack("UPDATE_COMPLETE");
        protected.termination_protection = true;
        assert!(matches!(
            uninstalling(vec![protected]),
            Action::Blocked(Blocked {
                why: BlockedWhy::Protected {
                    operation: Deletion::Uninstall
                },
                ..
            })
        ));
    }

    #[test]
    fn an_uninstall_is_blocked_while_either_nlb_has_deletion_protection_as_convox_refuses_it() {
        for parameter in ["NLBDeletionProtection", "NLBInternalDeletionProtection"] {
            let mut live = stack("UPDATE_COMPLETE");
            live.parameters.insert(parameter.into(), "Yes".into());
            let Action::Blocked(blocked) = uninstalling(vec![live]) else {
                panic!("an uninstall with {parameter}=Yes is not blocked");
            };
            assert_eq!(
                blocked.why,
                BlockedWhy::NlbDeletionProtection {
                    parameter: parameter.into(),
                    value: "Yes".into()
                }
            );
        }
        let mut off = stack("UPDATE_COMPLETE");
        off.parameters
            .insert("NLBDeletionProtection".into(), "No".into());
        assert!(matches!(uninstalling(vec![off]), Action::Uninstall(_)));
    }

    #[test]
    fn an_uninstall_never_deletes_a_stack_that_only_carries_the_rack_tag_nor_any_rack() {
        let mut undeclared_rack = convox_stack("staging", "rack", "example");
        undeclared_rack.name = "staging".into();
        let action = uninstalling_among(
            vec![
                stack("UPDATE_COMPLETE"),
                // A cost tag: not Convox's.
                tagged("billing-db", &[("Rack", "example")], None),
                tagged(
                    "terraformed",
                    &[
                        ("System", "terraform"),
                        ("Type", "app"),
                        ("Rack", "example"),
                    ],
                    None,
                ),
                // Racks, declared or not, whatever their Rack tag.
                undeclared_rack,
                convox_stack("declared-with-app-tags", "app", "example"),
                convox_stack("example-web", "app", "example"),
            ],
            &["declared-with-app-tags"],
        );
        assert_eq!(dependents(&action), [("example-web", Dependent::App)]);
    }
}
