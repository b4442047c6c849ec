//! The JSON view: the Plan itself, which carries its `format_version`, secret values hidden, with the words
//! the views make of its data (`render::impact`) written beside that data: each resource's `because`, each
//! change's `reach` line and Convox rule's `says`, each analysed update's `verdict` and `disruptive`, each
//! Convox rule disruption's `says`. `plan --out` saves this document; reading it back takes the data and
//! leaves the words.

use serde_json::{Map, Value};

use super::impact::{because, describe_reach, disruption, rule_says, verdict};
use crate::plan::{Action, Change, Disruption, Plan, TemplateImpact, Update, without_secrets};
use crate::template::ResourceImpact;

pub fn plan(plan: &Plan) -> String {
    let mut text =
        serde_json::to_string_pretty(&document(plan)).expect("a JSON value is serialisable");
    text.push('\n');
    text
}

/// The plan's JSON document, as `plan --json` prints it and the apply stream's `plan` event carries it.
pub(super) fn document(plan: &Plan) -> Value {
    let plan = without_secrets(plan);
    let mut document = serde_json::to_value(&plan).expect("a plan is always serialisable");
    let racks = document.get_mut("racks").and_then(Value::as_array_mut);
    for (rack, shown) in plan.racks.iter().zip(racks.into_iter().flatten()) {
        match &rack.action {
            Action::Update(update) => word_update(update, shown),
            Action::Upgrade(upgrade) => {
                let steps = shown.get_mut("steps").and_then(Value::as_array_mut);
                for (step, shown) in upgrade.steps.iter().zip(steps.into_iter().flatten()) {
                    word_update(&step.update, shown);
                }
            }
            Action::Install(_)
            | Action::Reinstall(_)
            | Action::ContinueRollback
            | Action::Uninstall(_)
            | Action::Unchanged
            | Action::Blocked(_)
            | Action::Wait(_) => {}
        }
        let disruptions = shown.get_mut("disruptions").and_then(Value::as_array_mut);
        for (disruption, shown) in rack
            .disruptions
            .iter()
            .zip(disruptions.into_iter().flatten())
        {
            word_disruption(disruption, shown);
        }
    }
    document
}

/// An update's words in its JSON object (a rack's, or an upgrade step's: the update is flattened into it),
/// each where the saved plans before the words moved to the views had it.
fn word_update(update: &Update, shown: &mut Value) {
    let changes = shown.get_mut("changes").and_then(Value::as_array_mut);
    for (change, shown) in update.changes.iter().zip(changes.into_iter().flatten()) {
        word_change(change, shown);
    }
    if let (Some(TemplateImpact::Analysed { resources }), Some(impact)) =
        (&update.analysis, shown.get_mut("impact"))
    {
        word_resources(resources, impact.get_mut("resources"));
        // `{"analysis": "analysed", verdict, disruptive?, resources}`: the words after the tag.
        let mut words = vec![("verdict", Value::String(verdict(resources)))];
        if let Some(disruptive) = disruption(resources) {
            words.push(("disruptive", Value::String(disruptive)));
        }
        insert_after(impact, "analysis", words);
    }
}

/// A change's words: Convox's rule's `says` after its `effect`, and the `reach` line before the resources
/// it is made from.
fn word_change(change: &Change, shown: &mut Value) {
    if let (Some(rule), Some(impact)) = (&change.rule, shown.get_mut("impact")) {
        let says = rule_says(rule.rule, rule.at_a_time.as_deref());
        insert_after(impact, "effect", vec![("says", Value::String(says))]);
    }
    if let Some(reached) = &change.reached {
        word_resources(reached, shown.get_mut("reached"));
        let reach = Value::String(describe_reach(reached));
        insert_before(shown, "reached", "reach", reach);
    }
}

fn word_disruption(disruption: &Disruption, shown: &mut Value) {
    match disruption {
        Disruption::Resources { resources, .. } => {
            word_resources(resources, shown.get_mut("resources"));
        }
        Disruption::ConvoxRule {
            rule, at_a_time, ..
        } => {
            let says = rule_says(*rule, at_a_time.as_deref());
            insert_after(shown, "effect", vec![("says", Value::String(says))]);
        }
        Disruption::Reinstall | Disruption::Uninstall => {}
    }
}

/// Each resource's `because`, before the `cause` it is made from.
fn word_resources(resources: &[ResourceImpact], shown: Option<&mut Value>) {
    let shown = shown.and_then(Value::as_array_mut);
    for (resource, shown) in resources.iter().zip(shown.into_iter().flatten()) {
        let words = Value::String(because(&resource.cause));
        insert_before(shown, "cause", "because", words);
    }
}

/// `words` inserted in the object `shown` right after its field `key` (the JSON keeps the order it is
/// written in).
fn insert_after(shown: &mut Value, key: &str, words: Vec<(&str, Value)>) {
    let Value::Object(object) = shown else {
        return;
    };
    let mut worded = Map::new();
    let mut words = Some(words);
    for (field, value) in std::mem::take(object) {
        let is_key = field == key;
        worded.insert(field, value);
        if is_key {
            for (name, value) in words.take().into_iter().flatten() {
                worded.insert(name.to_string(), value);
            }
        }
    }
    *object = worded;
}

/// `words` inserted in the object `shown` as `name`, right before its field `key`.
fn insert_before(shown: &mut Value, key: &str, name: &str, words: Value) {
    let Value::Object(object) = shown else {
        return;
    };
    let mut worded = Map::new();
    let mut words = Some(words);
    for (field, value) in std::mem::take(object) {
        if field == key
            && let Some(words) = words.take()
        {
            worded.insert(name.to_string(), words);
        }
        worded.insert(field, value);
    }
    *object = worded;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::cloud::Replacement;
    use crate::convox::{Effect, Rule};
    use crate::plan::{RuleImpact, StepRef};
    use crate::template::{Cause, ChangeSource, PolicyUnknown, ResourceAction};

    /// One resource per cause, so that each kind of cause goes through the saved plan.
    fn every_cause() -> Vec<ResourceImpact> {
        let names = |names: &[&str]| names.iter().map(|name| name.to_string()).collect();
        let causes = [
            Cause::NewInTemplate,
            Cause::GoneFromTemplate,
            Cause::ConditionTurns {
                condition: "Private".into(),
                to: false,
            },
            Cause::ExistenceUnknown {
                condition: String::new(),
            },
            Cause::TypeChanges {
                from: "AWS::SQS::Queue".into(),
                to: "AWS::SNS::Topic".into(),
            },
            Cause::AttributesChange {
                attributes: names(&["Metadata"]),
            },
            Cause::CustomResource {
                properties: names(&["Token"]),
            },
            Cause::NestedStack {
                properties: names(&["Parameters", "Tags"]),
            },
            Cause::NoSchema {
                resource_type: "Vendor::Thing::Widget".into(),
                properties: names(&["Name"]),
            },
            Cause::CreateOnly {
                property: "CidrBlock".into(),
                certain: true,
            },
            Cause::ConditionalCreateOnly {
                property: "Engine".into(),
                certain: false,
            },
            Cause::PropertiesChange {
                properties: names(&["Tags"]),
                certain: false,
            },
            Cause::ReplacingUpdate {
                launch: names(&["LaunchTemplate"]),
            },
            Cause::UpdatePolicyUnknown {
                unknown: PolicyUnknown::WillReplace,
                launch: names(&["LaunchTemplate"]),
            },
            Cause::ChangeSet {
                action: "Modify".into(),
                replacement: Some(Replacement::Conditional),
                properties: names(&["ImageId"]),
                sources: vec![ChangeSource {
                    source: "ParameterReference".into(),
                    entity: Some("Ami".into()),
                }],
            },
            Cause::ChangeSet {
                action: "Modify".into(),
                replacement: None,
                properties: Vec::new(),
                sources: Vec::new(),
            },
            Cause::TooComplex,
        ];
        causes
            .into_iter()
            .enumerate()
            .map(|(index, cause)| ResourceImpact {
                logical_id: format!("R{index}"),
                resource_type: "AWS::SQS::Queue".into(),
                action: ResourceAction::MayReplace,
                too_complex: cause == Cause::TooComplex,
                cause,
                through: None,
                rolling: None,
            })
            .collect()
    }

    /// An update of `InstanceType` whose template was analysed, and of `Subnet0CIDR` where Convox's rule
    /// says what no analysis did.
    fn update_plan() -> Plan {
        let mut plan: Plan = serde_json::from_value(json!({
            "format_version": crate::plan::file::FORMAT_VERSION,
            "racks_file": {"path": "racks.toml", "sha256": "0"},
            "accounts": [],
            "racks": [{
                "rack": "personal/web", "org": "personal", "name": "web", "region": "us-east-1",
                "account_id": "123456789012", "action": "update",
                "template": {"url": {"url": "https://templates.example.com/rack.json"}},
                "changes": [
                    {"kind": "parameter", "name": "InstanceType", "before": "t3.small", "after": "t3.large",
                     "sensitive": false},
                    {"kind": "parameter", "name": "Subnet0CIDR", "before": "10.0.1.0/24",
                     "after": "10.0.9.0/24", "sensitive": false},
                ],
                "parameters": {}, "tags": {}, "resource_count": 1, "stack": null,
            }],
            "not_in_racks_toml": [],
            "summary": {"install": 0, "update": 1, "upgrade": 0, "reinstall": 0, "continue_rollback": 0,
                "uninstall": 0, "unchanged": 0, "blocked": 0, "wait": 0},
        }))
        .unwrap();
        let rack = &mut plan.racks[0];
        let Action::Update(update) = &mut rack.action else {
            panic!("an update")
        };
        update.changes[0].rule = Some(RuleImpact {
            effect: Effect::RollingReplacement,
            source: "the docs".into(),
            rule: Rule::InstanceLaunch,
            at_a_time: Some("2".into()),
        });
        update.changes[0].reached = Some(every_cause());
        update.changes[1].rule = Some(RuleImpact {
            effect: Effect::RecreatesSubnets,
            source: "the docs".into(),
            rule: Rule::SubnetCidr,
            at_a_time: None,
        });
        update.changes[1].reached = Some(Vec::new());
        update.analysis = Some(TemplateImpact::Analysed {
            resources: every_cause(),
        });
        rack.disruptions = vec![
            Disruption::Resources {
                step: None,
                resources: every_cause(),
            },
            Disruption::ConvoxRule {
                step: Some(StepRef {
                    number: 1,
                    version: "20260421192651".into(),
                }),
                parameter: "InstanceType".into(),
                effect: Effect::RollingReplacement,
                rule: Rule::InstanceLaunch,
                at_a_time: Some("2".into()),
            },
        ];
        plan
    }

    #[test]
    fn a_saved_plan_loads_back_to_the_same_causes_rules_and_reach() {
        let plan = update_plan();
        let saved = super::plan(&plan);
        let loaded: Plan = serde_json::from_str(&saved).unwrap();
        assert_eq!(loaded, plan);
        assert_eq!(super::plan(&loaded), saved);
    }

    #[test]
    fn each_word_is_written_before_or_after_the_data_it_is_made_from() {
        let document: Value = serde_json::from_str(&super::plan(&update_plan())).unwrap();
        let web = &document["racks"][0];
        let keys =
            |value: &Value| -> Vec<String> { value.as_object().unwrap().keys().cloned().collect() };
        let instance_type = &web["changes"][0];
        assert_eq!(
            keys(instance_type),
            [
                "kind",
                "name",
                "before",
                "after",
                "sensitive",
                "impact",
                "reach",
                "reached"
            ]
        );
        assert_eq!(
            instance_type["impact"],
            json!({"effect": "rolling_replacement", "says": "replaces instances (rolling, 2 at a time)",
                "source": "the docs", "rule": "instance_launch", "at_a_time": "2"})
        );
        assert_eq!(web["changes"][1]["reach"], "reaches no resource");
        assert_eq!(
            web["changes"][1]["impact"]["says"],
            "recreates the subnet and what runs in it"
        );
        let resources = [
            &instance_type["reached"],
            &web["impact"]["resources"],
            &web["disruptions"][0]["resources"],
        ];
        for resources in resources {
            let resources = resources.as_array().unwrap();
            assert_eq!(resources.len(), every_cause().len());
            for (shown, resource) in resources.iter().zip(every_cause()) {
                assert_eq!(shown["because"], because(&resource.cause), "{shown:#}");
                assert_eq!(
                    keys(shown)[..5],
                    ["logical_id", "type", "action", "because", "cause"]
                );
            }
        }
        assert_eq!(
            keys(&web["impact"])[..3],
            ["analysis", "verdict", "disruptive"]
        );
        assert_eq!(
            web["disruptions"][1],
            json!({"kind": "convox_rule", "step": {"number": 1, "version": "20260421192651"},
                "parameter": "InstanceType", "effect": "rolling_replacement",
                "says": "replaces instances (rolling, 2 at a time)", "rule": "instance_launch", "at_a_time": "2"})
        );
    }
}
