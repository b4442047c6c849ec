//! The template-level impact of a planned update: the live template and parameters against the planned
//! ones, for the whole update (the rack's `impact`) and for each parameter or template change alone (its
//! `reach`), as data: what the views say of each change (`render::impact`) is made from it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use std::sync::Arc;

use super::{Action, Disruption, RuleImpact, StepRef, Update};
use crate::convox::{Effect, rule_for};

use super::{Change, ChangeKind, TemplateImpact};
use crate::template::{
    Pseudo, ResourceAction, ResourceImpact, StackTemplate, TemplateUnknown, analyse,
};

/// The impact of an update from `before` (the live template and values) to `after`, with each parameter
/// and template change in `changes` given its reach. `None` when nothing but tags or termination
/// protection changes: no resource is reached through the template then.
pub(super) fn analyse_update(
    before: Result<&Value, &TemplateUnknown>,
    before_values: &BTreeMap<String, String>,
    after: Result<&Value, &TemplateUnknown>,
    after_values: &BTreeMap<String, String>,
    pseudo: &Pseudo,
    changes: &mut [Change],
    change_set: &BTreeMap<String, crate::template::Forced>,
) -> Option<TemplateImpact> {
    if !changes.iter().any(|change| change.kind.reaches_resources()) {
        return None;
    }
    let (before, after) = match (before, after) {
        (Ok(before), Ok(after)) => (before, after),
        (Err(why), _) | (_, Err(why)) => {
            return Some(TemplateImpact::NotAnalysed { why: why.clone() });
        }
    };
    // A NoEcho parameter racks.toml sets is compared with a live value AWS shows as `****`: what it reaches
    // may change. One it leaves alone is `****` on both sides, and the same.
    let sensitive: BTreeSet<String> = changes
        .iter()
        .filter(|change| change.kind == ChangeKind::Parameter && change.sensitive)
        .map(|change| change.name.clone())
        .collect();
    let whole = crate::template::analyse_with_change_set(
        StackTemplate::new(before, before_values).hiding(&sensitive),
        StackTemplate::new(after, after_values),
        pseudo,
        change_set,
    );
    let added: BTreeSet<&str> = whole
        .iter()
        .filter(|impact| impact.action == ResourceAction::Add)
        .map(|impact| impact.logical_id.as_str())
        .collect();
    let changed_parameters: Vec<String> = changes
        .iter()
        .filter(|change| matches!(change.kind, ChangeKind::Parameter | ChangeKind::SsmValue))
        .map(|change| change.name.clone())
        .collect();
    for change in changes.iter_mut() {
        let reached = match change.kind {
            // The parameter alone, in the planned template: everything else as the update leaves it.
            // An SSM value alone, too: the parameter resolved as before, everything else as the update leaves it.
            ChangeKind::Parameter | ChangeKind::SsmValue => {
                let without = reverted(after_values, before_values, [change.name.as_str()]);
                let hidden: BTreeSet<String> = sensitive
                    .iter()
                    .filter(|name| **name == change.name)
                    .cloned()
                    .collect();
                let mut reached = analyse(
                    StackTemplate::new(after, &without).hiding(&hidden),
                    StackTemplate::new(after, after_values),
                    pseudo,
                );
                // Compared within the planned template, a resource the update creates looks as if it were
                // there before: the parameter cannot replace or modify what the stack does not have yet.
                reached.retain(|impact| {
                    matches!(impact.action, ResourceAction::Add | ResourceAction::Remove)
                        || !added.contains(impact.logical_id.as_str())
                });
                reached
            }
            // The template alone: the parameters racks.toml changes keep their live values.
            ChangeKind::Template => {
                let without = reverted(
                    after_values,
                    before_values,
                    changed_parameters.iter().map(String::as_str),
                );
                analyse(
                    StackTemplate::new(before, before_values),
                    StackTemplate::new(after, &without),
                    pseudo,
                )
            }
            ChangeKind::Tag
            | ChangeKind::TerminationProtection
            | ChangeKind::Role
            | ChangeKind::NotificationArns
            | ChangeKind::StackPolicy
            | ChangeKind::Rollback => continue,
        };
        change.reached = Some(reached);
    }
    Some(TemplateImpact::Analysed { resources: whole })
}

/// `values` with these parameters set back to their `before` value (or to the template default, for a
/// parameter the live stack does not have).
fn reverted<'a>(
    values: &BTreeMap<String, String>,
    before: &BTreeMap<String, String>,
    names: impl IntoIterator<Item = &'a str>,
) -> BTreeMap<String, String> {
    let mut values = values.clone();
    for name in names {
        match before.get(name) {
            Some(value) => values.insert(name.to_string(), value.clone()),
            None => values.remove(name),
        };
    }
    values
}

/// Convox's rule for a parameter change. A rolling replacement goes as many instances at a time as the
/// batch size the update leaves the rack with (1 when it sets none).
pub(super) fn rule_impact_of(name: &str, batch_size: Option<&str>) -> Option<RuleImpact> {
    let rule = rule_for(name)?;
    Some(RuleImpact {
        effect: rule.effect,
        source: rule.source.to_string(),
        rule: rule.rule,
        at_a_time: (rule.effect == Effect::RollingReplacement)
            .then(|| batch_size.unwrap_or("1").to_string()),
    })
}

/// Convox's rules for instances and subnets are what its templates do; where both templates can be analysed,
/// the analysis says it of the template at hand (which may differ) and the rule's label goes. Install-only
/// and data-loss rules stay: they say what no template can.
pub(super) fn supersede_rules_the_template_answers(
    update: &mut Update,
    before: &Result<Arc<Value>, TemplateUnknown>,
    after: &Result<Arc<Value>, TemplateUnknown>,
) {
    if before.is_err() || after.is_err() {
        return;
    }
    for change in &mut update.changes {
        if change.rule.as_ref().is_some_and(|impact| {
            matches!(
                impact.effect,
                Effect::RollingReplacement | Effect::RecreatesSubnets
            )
        }) {
            change.rule = None;
        }
    }
}

/// What a rack's action does that a person should see first, in plan order: a deletion, then per update (or
/// per step of an upgrade) what the analysis finds disruptive and Convox's rules that say more than the
/// template can (data loss always; instances and subnets only where the template was not analysed).
pub(super) fn disruptions(action: &Action) -> Vec<Disruption> {
    let updates: Vec<(Option<StepRef>, &Update)> = match action {
        Action::Reinstall(_) => return vec![Disruption::Reinstall],
        Action::Uninstall(_) => return vec![Disruption::Uninstall],
        Action::Update(update) => vec![(None, update)],
        Action::Upgrade(upgrade) => upgrade
            .steps
            .iter()
            .enumerate()
            .map(|(index, step)| {
                let step_ref = StepRef {
                    number: index + 1,
                    version: step.version.clone(),
                };
                (Some(step_ref), &step.update)
            })
            .collect(),
        Action::Install(_)
        | Action::ContinueRollback
        | Action::Unchanged
        | Action::Blocked(_)
        | Action::Wait(_) => {
            return Vec::new();
        }
    };
    let mut found = Vec::new();
    for (step, update) in updates {
        let analysed = matches!(update.analysis, Some(TemplateImpact::Analysed { .. }));
        if let Some(TemplateImpact::Analysed { resources, .. }) = &update.analysis {
            let disruptive: Vec<ResourceImpact> = resources
                .iter()
                .filter(|resource| is_disruptive(resource))
                .cloned()
                .collect();
            if !disruptive.is_empty() {
                found.push(Disruption::Resources {
                    step: step.clone(),
                    resources: disruptive,
                });
            }
        }
        for change in &update.changes {
            let Some(impact) = change.rule.as_ref().filter(|i| i.is_disruptive()) else {
                continue;
            };
            if analysed && impact.effect != Effect::DataLoss {
                continue;
            }
            found.push(Disruption::ConvoxRule {
                step: step.clone(),
                parameter: change.name.clone(),
                effect: impact.effect,
                rule: impact.rule,
                at_a_time: impact.at_a_time.clone(),
            });
        }
    }
    found
}

/// A resource whose change a running rack feels: replaced (or maybe), removed, or its instances rolled.
pub fn is_disruptive(resource: &ResourceImpact) -> bool {
    matches!(
        resource.action,
        ResourceAction::Replace | ResourceAction::MayReplace | ResourceAction::Remove
    ) || resource.rolling.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(kind: ChangeKind, name: &str) -> Change {
        Change {
            kind,
            name: name.into(),
            before: None,
            after: None,
            sensitive: false,
            diff: None,
            rule: None,
            reached: None,
            ssm_name: None,
        }
    }

    use crate::template::test_support::pseudo;

    /// What a change alone reaches, as (logical id, action): what its words are made from.
    fn reached(change: &Change) -> Vec<(&str, ResourceAction)> {
        match &change.reached {
            Some(resources) => resources
                .iter()
                .map(|resource| (resource.logical_id.as_str(), resource.action))
                .collect(),
            other => panic!("{} reaches no analysed resources: {other:?}", change.name),
        }
    }

    #[test]
    fn only_tags_or_protection_changing_reach_no_resource_through_the_template() {
        let template = json!({"Resources": {}});
        let mut changes = [
            change(ChangeKind::Tag, "team"),
            change(ChangeKind::TerminationProtection, "termination protection"),
        ];
        let values = BTreeMap::new();
        let impact = analyse_update(
            Ok(&template),
            &values,
            Ok(&template),
            &values,
            &pseudo(),
            &mut changes,
            &BTreeMap::new(),
        );
        assert_eq!(impact, None);
        assert!(changes.iter().all(|c| c.reached.is_none()));
    }

    #[test]
    fn a_template_without_its_resources_is_said_to_be_not_analysed_never_safe() {
        let template = json!({"Resources": {}});
        let mut changes = [change(ChangeKind::Parameter, "InstanceType")];
        let values = BTreeMap::new();
        let why = TemplateUnknown::SummaryOnly {
            template: "https://example.com/rack.json".into(),
        };
        let impact = analyse_update(
            Ok(&template),
            &values,
            Err(&why),
            &values,
            &pseudo(),
            &mut changes,
            &BTreeMap::new(),
        );
        assert_eq!(impact, Some(TemplateImpact::NotAnalysed { why }));
        assert_eq!(changes[0].reached, None);
    }

    #[test]
    fn a_noecho_value_racks_toml_sets_may_change_what_it_reaches_one_left_alone_does_not() {
        let template = json!({
            "Parameters": {"Key": {"Type": "String", "NoEcho": true}, "Other": {"Type": "String", "NoEcho": true}},
            "Resources": {
                "Config": {"Type": "AWS::AutoScaling::LaunchConfiguration",
                           "Properties": {"ImageId": "ami-1", "InstanceType": "t3.small", "KeyName": {"Ref": "Key"}}},
                "Secret": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Ref": "Other"}}},
            },
        });
        // DescribeStacks shows both as `****`; the update sends Key's value and keeps Other's.
        let live = BTreeMap::from([
            ("Key".to_string(), "****".to_string()),
            ("Other".to_string(), "****".to_string()),
        ]);
        let planned = BTreeMap::from([
            ("Key".to_string(), "my-key".to_string()),
            ("Other".to_string(), "****".to_string()),
        ]);
        let mut key = change(ChangeKind::Parameter, "Key");
        key.sensitive = true;
        let mut changes = [key];
        let impact = analyse_update(
            Ok(&template),
            &live,
            Ok(&template),
            &planned,
            &pseudo(),
            &mut changes,
            &BTreeMap::new(),
        );
        assert_eq!(
            reached(&changes[0]),
            [("Config", ResourceAction::MayReplace)]
        );
        let Some(TemplateImpact::Analysed { resources, .. }) = impact else {
            panic!("analysed")
        };
        assert_eq!(resources.len(), 1, "{resources:?}");
        assert_eq!(
            resources[0].cause,
            crate::template::Cause::CreateOnly {
                property: "KeyName".into(),
                certain: false
            }
        );
    }

    #[test]
    fn each_change_is_given_what_it_alone_reaches() {
        let before = json!({
            "Parameters": {"Size": {"Type": "String"}, "Name": {"Type": "String"}},
            "Resources": {
                "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "Name"}}},
                "Log": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": {"Ref": "Size"}}},
            },
        });
        let mut after = before.clone();
        after["Resources"]["Topic"] = json!({"Type": "AWS::SNS::Topic"});
        let old = BTreeMap::from([
            ("Size".to_string(), "7".to_string()),
            ("Name".to_string(), "a".to_string()),
        ]);
        let new = BTreeMap::from([
            ("Size".to_string(), "14".to_string()),
            ("Name".to_string(), "b".to_string()),
        ]);
        let mut changes = [
            change(ChangeKind::Parameter, "Size"),
            change(ChangeKind::Parameter, "Name"),
            change(ChangeKind::Template, "template"),
        ];
        let impact = analyse_update(
            Ok(&before),
            &old,
            Ok(&after),
            &new,
            &pseudo(),
            &mut changes,
            &BTreeMap::new(),
        );
        assert_eq!(reached(&changes[0]), [("Log", ResourceAction::Modify)]);
        assert_eq!(reached(&changes[1]), [("Queue", ResourceAction::Replace)]);
        assert_eq!(reached(&changes[2]), [("Topic", ResourceAction::Add)]);
        let Some(TemplateImpact::Analysed { resources }) = impact else {
            panic!("analysed")
        };
        let whole: Vec<(&str, ResourceAction)> = resources
            .iter()
            .map(|resource| (resource.logical_id.as_str(), resource.action))
            .collect();
        assert_eq!(
            whole,
            [
                ("Queue", ResourceAction::Replace),
                ("Log", ResourceAction::Modify),
                ("Topic", ResourceAction::Add)
            ]
        );
        assert!(resources.iter().all(|resource| resource.through.is_none()
            && resource.rolling.is_none()
            && !resource.too_complex));
    }

    #[test]
    fn a_version_change_does_not_replace_what_the_same_update_adds() {
        let before = json!({
            "Parameters": {"Version": {"Type": "String"}},
            "Resources": {
                "Settings": {"Type": "AWS::SSM::Parameter",
                    "Properties": {"Name": {"Fn::Sub": "/rack/${Version}"}, "Type": "String", "Value": "x"}},
            },
        });
        let mut after = before.clone();
        after["Resources"]["Releases"] = json!({"Type": "AWS::SQS::Queue",
            "Properties": {"QueueName": {"Fn::Sub": "releases-${Version}"}}});
        let old = BTreeMap::from([("Version".to_string(), "1".to_string())]);
        let new = BTreeMap::from([("Version".to_string(), "2".to_string())]);
        let mut changes = [
            change(ChangeKind::Parameter, "Version"),
            change(ChangeKind::Template, "template"),
        ];
        analyse_update(
            Ok(&before),
            &old,
            Ok(&after),
            &new,
            &pseudo(),
            &mut changes,
            &BTreeMap::new(),
        );
        assert_eq!(
            reached(&changes[0]),
            [("Settings", ResourceAction::Replace)]
        );
        assert_eq!(reached(&changes[1]), [("Releases", ResourceAction::Add)]);
    }
}
