//! Approval by impact: which racks `apply --auto-approve=in-place` applies without a person. Only a change
//! whose every part is known to happen in place qualifies: no install, reinstall, uninstall or continued
//! rollback, nothing the analysis finds disruptive, and nothing it could not analyse.

use super::{Action, Disruption, HoldReason, StepRef, TemplateImpact, Update};

/// Why the rack is held for a person; empty when it is applied in place, or has nothing to apply.
/// `change_sets`: the plan was made with CloudFormation's change sets, and each update needs its own to be
/// in place (`change_set::hold_reasons`).
pub(super) fn hold_reasons(
    action: &Action,
    disruptions: &[Disruption],
    change_sets: bool,
) -> Vec<HoldReason> {
    let mut reasons = Vec::new();
    match action {
        Action::Install(_) => reasons.push(HoldReason::Install),
        Action::ContinueRollback => reasons.push(HoldReason::ContinueRollback),
        Action::Update(update) => {
            not_analysed(None, update, &mut reasons);
            super::change_set::hold_reasons(None, update, change_sets, &mut reasons);
        }
        Action::Upgrade(upgrade) => {
            for (index, step) in upgrade.steps.iter().enumerate() {
                let step_ref = StepRef {
                    number: index + 1,
                    version: step.version.clone(),
                };
                not_analysed(Some(step_ref.clone()), &step.update, &mut reasons);
                super::change_set::hold_reasons(
                    Some(step_ref),
                    &step.update,
                    change_sets,
                    &mut reasons,
                );
            }
        }
        // After a wait, the rack's new plan is gated again: nothing is known to hold now.
        Action::Reinstall(_)
        | Action::Uninstall(_)
        | Action::Unchanged
        | Action::Blocked(_)
        | Action::Wait(_) => {}
    }
    if !disruptions.is_empty() {
        reasons.insert(0, HoldReason::Disruptive);
    }
    reasons
}

fn not_analysed(step: Option<StepRef>, update: &Update, reasons: &mut Vec<HoldReason>) {
    for unresolved in &update.unresolved {
        reasons.push(HoldReason::SsmUnresolved {
            step: step.clone(),
            parameter: unresolved.parameter.clone(),
            ssm_name: unresolved.ssm_name.clone(),
        });
    }
    if let Some(TemplateImpact::NotAnalysed { why }) = &update.analysis {
        reasons.push(HoldReason::NotAnalysed {
            step,
            why: why.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::plan::impact::disruptions;
    use crate::plan::{
        Change, ChangeKind, Install, Step, TemplatePlan, Uninstall, Update, Upgrade,
    };
    use crate::template::{Cause, ResourceAction, ResourceImpact, Rolling};

    fn resource(logical_id: &str, action: ResourceAction, rolling: bool) -> ResourceImpact {
        ResourceImpact {
            logical_id: logical_id.into(),
            resource_type: "AWS::AutoScaling::AutoScalingGroup".into(),
            action,
            cause: Cause::PropertiesChange {
                properties: vec!["LaunchConfigurationName".into()],
                certain: true,
            },
            through: None,
            too_complex: false,
            rolling: rolling.then(|| Rolling {
                max_batch_size: Some("1".into()),
            }),
        }
    }

    fn update(impact: Option<TemplateImpact>) -> Update {
        Update {
            template: TemplatePlan::Url { url: "u".into() },
            changes: vec![Change {
                kind: ChangeKind::Parameter,
                name: "LogRetention".into(),
                before: Some("7".into()),
                after: Some("30".into()),
                sensitive: false,
                diff: None,
                rule: None,
                reached: None,
                ssm_name: None,
            }],
            parameters: BTreeMap::new(),
            tags: BTreeMap::new(),
            resource_count: 1,
            budget: None,
            termination_protection: None,
            analysis: impact,
            unresolved: Vec::new(),
            change_set: None,
        }
    }

    fn analysed(resources: Vec<ResourceImpact>) -> Option<TemplateImpact> {
        Some(TemplateImpact::Analysed { resources })
    }

    fn hold(action: &Action) -> Vec<HoldReason> {
        hold_reasons(action, &disruptions(action), false)
    }

    #[test]
    fn an_update_that_only_modifies_in_place_is_applied_without_a_person() {
        let in_place = Action::Update(update(analysed(vec![resource(
            "Logs",
            ResourceAction::Modify,
            false,
        )])));
        assert_eq!(hold(&in_place), []);
        let tags_only = Action::Update(update(None));
        assert_eq!(hold(&tags_only), [], "tags reach no resource");
    }

    #[test]
    fn a_replacement_a_maybe_a_removal_or_a_rolling_update_holds_the_rack() {
        for (action, rolling) in [
            (ResourceAction::Replace, false),
            (ResourceAction::MayReplace, false),
            (ResourceAction::Remove, false),
            (ResourceAction::Modify, true),
        ] {
            let update = Action::Update(update(analysed(vec![resource(
                "Instances",
                action,
                rolling,
            )])));
            assert_eq!(hold(&update), [HoldReason::Disruptive], "{action:?}");
        }
    }

    #[test]
    fn an_update_whose_impact_was_not_analysed_is_held_naming_the_step() {
        let why = crate::template::TemplateUnknown::SummaryOnly {
            template: "https://example.com/rack.json".into(),
        };
        let upgrade = Action::Upgrade(Upgrade {
            from: "1".into(),
            steps: vec![
                Step {
                    version: "2".into(),
                    required: true,
                    update: update(analysed(Vec::new())),
                },
                Step {
                    version: "3".into(),
                    required: false,
                    update: update(Some(TemplateImpact::NotAnalysed { why: why.clone() })),
                },
            ],
        });
        assert_eq!(
            hold(&upgrade),
            [HoldReason::NotAnalysed {
                step: Some(StepRef {
                    number: 2,
                    version: "3".into()
                }),
                why
            }]
        );
    }

    #[test]
    fn installs_deletions_and_continued_rollbacks_always_need_a_person() {
        let install = Install {
            template: TemplatePlan::Url { url: "u".into() },
            parameters: BTreeMap::new(),
            template_defaults: BTreeMap::new(),
            sensitive: Default::default(),
            password: None,
            tags: BTreeMap::new(),
            termination_protection: false,
            resource_count: 1,
            budget: None,
        };
        assert_eq!(
            hold(&Action::Install(install.clone())),
            [HoldReason::Install]
        );
        assert_eq!(hold(&Action::Reinstall(install)), [HoldReason::Disruptive]);
        let uninstall = Action::Uninstall(Uninstall {
            dependents: Vec::new(),
            retained: Vec::new(),
            resource_count: 1,
        });
        assert_eq!(hold(&uninstall), [HoldReason::Disruptive]);
        assert_eq!(
            hold(&Action::ContinueRollback),
            [HoldReason::ContinueRollback]
        );
        assert_eq!(hold(&Action::Unchanged), []);
    }
}
