//! What an update does to a stack's resources, decided from the two templates and the two parameter sets
//! alone, before anything is sent: which resources a change adds or removes (a Condition flips), modifies in
//! place, replaces (a create-only property changes, by AWS's resource schemas) or may replace (rackfile
//! cannot tell: a custom resource, a type without a schema, a value only AWS knows), and which
//! AutoScalingGroups roll their instances. A replaced resource gets a new physical id, so what refers to it
//! changes too, and may be replaced in turn: the analysis runs until nothing new is reached.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::rc::Rc;

use serde_json::Value;

use super::cause::Cause;
use super::create_only::schema_of;
use super::evaluate::{Comparison, Difference, Fresh, Pseudo, Side, Treatment, Truth, Val};
use super::forced::{Forced, with_forced};
use super::references::References;
use super::resource_impact::{ResourceAction, ResourceImpact};
use super::update_policy::{self, group_rolls};
use super::work_budget::{Budget, WORK_BUDGET};

/// A template with the parameter values of a stack built from it.
#[derive(Debug, Clone, Copy)]
pub struct StackTemplate<'a> {
    pub template: &'a Value,
    pub parameters: &'a BTreeMap<String, String>,
    /// Parameters whose value here is not known (a NoEcho value, which AWS shows as `****`): whatever
    /// they reach may change, never "same".
    pub hidden: &'a BTreeSet<String>,
}

static NOTHING_HIDDEN: BTreeSet<String> = BTreeSet::new();

impl<'a> StackTemplate<'a> {
    pub fn new(template: &'a Value, parameters: &'a BTreeMap<String, String>) -> Self {
        Self {
            template,
            parameters,
            hidden: &NOTHING_HIDDEN,
        }
    }

    pub fn hiding(self, hidden: &'a BTreeSet<String>) -> Self {
        Self { hidden, ..self }
    }
}

/// Resource attributes other than Properties whose change is an in-place update, evaluated like properties.
const OTHER_ATTRIBUTES: &[&str] = &[
    "Metadata",
    "UpdatePolicy",
    "CreationPolicy",
    "DeletionPolicy",
    "UpdateReplacePolicy",
];

/// A nested stack's properties that change the stack inside it, which rackfile does not read.
const NESTED_STACK_INPUTS: &[&str] = &["Parameters", "TemplateURL", "TemplateBody"];

/// Every resource the update adds, removes, modifies or replaces, in the order of the planned template
/// (then the removed ones); unchanged resources are left out. An analysis that runs out of its budget says
/// of every resource it could not finish that it "may replace (too complex to analyse)".
pub fn analyse(
    before: StackTemplate<'_>,
    after: StackTemplate<'_>,
    pseudo: &Pseudo,
) -> Vec<ResourceImpact> {
    analyse_within(before, after, pseudo, WORK_BUDGET, &BTreeMap::new())
}

/// `analyse`, with what CloudFormation's change set says of some resources (`Forced`, by logical id)
/// taken as known.
pub fn analyse_with_change_set(
    before: StackTemplate<'_>,
    after: StackTemplate<'_>,
    pseudo: &Pseudo,
    forced: &BTreeMap<String, Forced>,
) -> Vec<ResourceImpact> {
    analyse_within(before, after, pseudo, WORK_BUDGET, forced)
}

/// `analyse`, stopping after `units` of work.
fn analyse_within(
    before: StackTemplate<'_>,
    after: StackTemplate<'_>,
    pseudo: &Pseudo,
    units: u64,
    forced: &BTreeMap<String, Forced>,
) -> Vec<ResourceImpact> {
    let budget = Rc::new(Budget::new(units));
    let references = References::of(after.template);
    let before = Side::within(
        before.template,
        before.parameters,
        before.hidden,
        pseudo,
        Rc::clone(&budget),
    );
    let after = Side::within(
        after.template,
        after.parameters,
        after.hidden,
        pseudo,
        Rc::clone(&budget),
    );
    let mut decided: HashMap<&str, Option<ResourceImpact>> = HashMap::new();
    let mut treatments: HashMap<&str, Treatment> = HashMap::new();
    'groups: for group in references.in_order() {
        let mut pending: VecDeque<usize> = group.iter().copied().collect();
        let mut queued: HashSet<usize> = group.iter().copied().collect();
        let looped = references.is_loop(&group);
        let mut finished = Vec::with_capacity(group.len());
        while let Some(resource) = pending.pop_front() {
            queued.remove(&resource);
            let id = references.name(resource);
            let impact = with_forced(resource_impact(id, &before, &after), id, &after, forced);
            if budget.is_exhausted() {
                break 'groups;
            }
            let treatment = impact.as_ref().and_then(treatment_of);
            // A treatment only grows (more reached, never less), so a loop of references ends.
            if treatment > treatments.get(id).copied() {
                if let Some(treatment) = treatment {
                    treatments.insert(id, treatment);
                    after.treat(id, treatment);
                }
                if looped {
                    let again = references
                        .referred_by(resource)
                        .iter()
                        .filter(|r| group.binary_search(r).is_ok() && queued.insert(**r));
                    pending.extend(again);
                }
            }
            finished.push((id, impact));
        }
        decided.extend(finished);
    }
    let removed: Vec<&String> = before
        .resources()
        .map(|(id, _)| id)
        .filter(|id| after.resource(id).is_none())
        .collect();
    if !budget.is_exhausted() {
        for id in &removed {
            let impact = with_forced(resource_impact(id, &before, &after), id, &before, forced);
            if budget.is_exhausted() {
                break;
            }
            decided.insert(id, impact);
        }
    }
    let ids = (0..after.resources().count())
        .map(|r| references.name(r))
        .chain(removed.iter().map(|id| id.as_str()));
    ids.filter_map(|id| match decided.remove(id) {
        Some(impact) => impact,
        None => Some(too_complex(id, &before, &after)),
    })
    .collect()
}

/// How what refers to a resource sees it once the update is decided.
fn treatment_of(impact: &ResourceImpact) -> Option<Treatment> {
    match impact.action {
        ResourceAction::Replace => Some(Treatment::Replaced),
        ResourceAction::MayReplace => Some(Treatment::MaybeReplaced),
        ResourceAction::Modify => Some(Treatment::Modified),
        ResourceAction::Add | ResourceAction::Remove => None,
    }
}

/// A resource the analysis ran out of budget before it could tell about: it may be replaced.
fn too_complex(id: &str, before: &Side<'_>, after: &Side<'_>) -> ResourceImpact {
    ResourceImpact {
        logical_id: id.to_string(),
        resource_type: after
            .resource_type(id)
            .or_else(|| before.resource_type(id))
            .unwrap_or("(no type)")
            .to_string(),
        action: ResourceAction::MayReplace,
        cause: Cause::TooComplex,
        through: None,
        rolling: None,
        too_complex: true,
    }
}

fn resource_impact(id: &str, before: &Side<'_>, after: &Side<'_>) -> Option<ResourceImpact> {
    let resource_type = after
        .resource_type(id)
        .or_else(|| before.resource_type(id))
        .unwrap_or("(no type)")
        .to_string();
    let condition = |side: &Side<'_>| {
        side.resource(id)
            .and_then(|r| r.get("Condition"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let impact = |action, cause: Cause| ResourceImpact {
        logical_id: id.to_string(),
        resource_type: resource_type.clone(),
        action,
        cause,
        through: None,
        rolling: None,
        too_complex: false,
    };
    let existed = before.exists(id);
    let exists = after.exists(id);
    match (&existed, &exists) {
        (Truth::False, Truth::False) => None,
        (Truth::False, Truth::True) => Some(impact(
            ResourceAction::Add,
            match (before.resource(id), condition(after)) {
                (Some(_), Some(condition)) => Cause::ConditionTurns {
                    condition,
                    to: true,
                },
                _ => Cause::NewInTemplate,
            },
        )),
        (Truth::True, Truth::False) => Some(impact(
            ResourceAction::Remove,
            match (after.resource(id), condition(after)) {
                (Some(_), Some(condition)) => Cause::ConditionTurns {
                    condition,
                    to: false,
                },
                _ => Cause::GoneFromTemplate,
            },
        )),
        (Truth::True, Truth::True) => compare_resource(id, before, after, impact),
        // The same expression of what only AWS knows: the same truth. A value rackfile cannot know at all
        // (a NoEcho one) may differ, so the resource may come or go.
        (Truth::Unknown(a), Truth::Unknown(b))
            if after.comparison().compare(a, b) == Difference::Same =>
        {
            compare_resource(id, before, after, impact)
        }
        _ => Some(impact(
            ResourceAction::MayReplace,
            Cause::ExistenceUnknown {
                condition: condition(after)
                    .or_else(|| condition(before))
                    .unwrap_or_default(),
            },
        )),
    }
}

fn compare_resource(
    id: &str,
    before: &Side<'_>,
    after: &Side<'_>,
    impact: impl Fn(ResourceAction, Cause) -> ResourceImpact,
) -> Option<ResourceImpact> {
    let (old, new) = (before.resource(id)?, after.resource(id)?);
    let (old_type, new_type) = (
        before.resource_type(id).unwrap_or_default(),
        after.resource_type(id).unwrap_or_default(),
    );
    if old_type != new_type {
        return Some(impact(
            ResourceAction::Replace,
            Cause::TypeChanges {
                from: old_type.to_string(),
                to: new_type.to_string(),
            },
        ));
    }
    let properties = |side: &Side<'_>, resource: &Value| match resource.get("Properties") {
        Some(properties) => side.evaluate_in(id, properties),
        None => Val::map(BTreeMap::new()),
    };
    let (old_properties, new_properties) = (properties(before, old), properties(after, new));
    let mut comparison = after.comparison();
    let empty = BTreeMap::new();
    let (old_map, new_map): (&BTreeMap<String, Val>, &BTreeMap<String, Val>) =
        match (&old_properties, &new_properties) {
            (Val::Map(old), Val::Map(new)) => (old, new),
            _ => (&empty, &empty),
        };
    let mut changed: Vec<(&str, Difference)> = Vec::new();
    for key in new_map
        .keys()
        .chain(old_map.keys().filter(|k| !new_map.contains_key(*k)))
    {
        let difference = comparison.compare_present(old_map.get(key), new_map.get(key));
        if difference != Difference::Same {
            changed.push((key, difference));
        }
    }
    if old_map.is_empty() && new_map.is_empty() {
        let difference = comparison.compare(&old_properties, &new_properties);
        if difference != Difference::Same {
            changed.push(("Properties", difference));
        }
    }
    let other_changes: Vec<&str> = OTHER_ATTRIBUTES
        .iter()
        .copied()
        .filter(|attribute| {
            let evaluate = |side: &Side<'_>, resource: &Value| {
                resource
                    .get(*attribute)
                    .map(|value| side.evaluate_in(id, value))
            };
            comparison.compare_present(
                evaluate(before, old).as_ref(),
                evaluate(after, new).as_ref(),
            ) != Difference::Same
        })
        .collect();
    if changed.is_empty() {
        if other_changes.is_empty() {
            return None;
        }
        return Some(impact(
            ResourceAction::Modify,
            Cause::AttributesChange {
                attributes: owned(&other_changes),
            },
        ));
    }

    let names: Vec<&str> = changed.iter().map(|(name, _)| *name).collect();
    let mut decided =
        if new_type == "AWS::CloudFormation::CustomResource" || new_type.starts_with("Custom::") {
            impact(
                ResourceAction::MayReplace,
                Cause::CustomResource {
                    properties: owned(&names),
                },
            )
        } else if new_type == "AWS::CloudFormation::Stack"
            && names.iter().any(|name| NESTED_STACK_INPUTS.contains(name))
        {
            impact(
                ResourceAction::MayReplace,
                Cause::NestedStack {
                    properties: owned(&names),
                },
            )
        } else {
            match schema_of(new_type) {
                None => impact(
                    ResourceAction::MayReplace,
                    Cause::NoSchema {
                        resource_type: new_type.to_string(),
                        properties: owned(&names),
                    },
                ),
                Some(schema) => {
                    let mut worst = |paths: &[&'static str]| {
                        let mut worst: Option<(&'static str, Difference)> = None;
                        for path in paths {
                            let segments: Vec<&str> = path.split('/').collect();
                            let difference = difference_at(
                                &mut comparison,
                                Some(&old_properties),
                                Some(&new_properties),
                                &segments,
                            );
                            if difference != Difference::Same
                                && worst.is_none_or(|(_, known)| difference > known)
                            {
                                worst = Some((*path, difference));
                            }
                        }
                        worst
                    };
                    let create_only = worst(&schema.create_only);
                    let conditional: Vec<&'static str> = schema
                        .conditional_create_only
                        .iter()
                        .copied()
                        .filter(|path| !update_policy::decides(new_type, path))
                        .collect();
                    let conditional = worst(&conditional);
                    let (action, path, cause) = match (create_only, conditional) {
                        (Some((path, Difference::Differs)), _) => (
                            ResourceAction::Replace,
                            Some(path),
                            Cause::CreateOnly {
                                property: path.to_string(),
                                certain: true,
                            },
                        ),
                        (Some((path, _)), _) => (
                            ResourceAction::MayReplace,
                            Some(path),
                            Cause::CreateOnly {
                                property: path.to_string(),
                                certain: false,
                            },
                        ),
                        // AWS replaces the resource for some changes of such a property and not for others
                        // (a DynamoDB KeySchema, an RDS Engine), by rules rackfile does not have.
                        (None, Some((path, difference))) => (
                            ResourceAction::MayReplace,
                            Some(path),
                            Cause::ConditionalCreateOnly {
                                property: path.to_string(),
                                certain: difference == Difference::Differs,
                            },
                        ),
                        (None, None) => (
                            ResourceAction::Modify,
                            None,
                            Cause::PropertiesChange {
                                properties: owned(&names),
                                certain: changed.iter().any(|(_, d)| *d == Difference::Differs),
                            },
                        ),
                    };
                    let mut decided = impact(action, cause);
                    decided.through = path.and_then(|path| through(&new_properties, path));
                    decided
                }
            }
        };
    // What reached a resource a property path does not decide: whatever its changed values refer to.
    if decided.through.is_none() && decided.action != ResourceAction::Replace {
        let changed_values = names
            .iter()
            .filter_map(|name| new_map.get(*name).cloned())
            .collect();
        decided.through = through(&Val::list(changed_values), "");
    }
    if new_type == "AWS::AutoScaling::AutoScalingGroup" {
        group_rolls(after, id, &names, &mut decided);
    }
    Some(decided)
}

/// The replaced (or possibly replaced) resource the value at `path` (`""`: the value itself) refers to: how
/// the change reached the resource. A certainly new id is named before a possibly new one.
fn through(properties: &Val, path: &str) -> Option<String> {
    let mut value = properties;
    for segment in path.split('/').filter(|segment| !segment.is_empty()) {
        match value {
            Val::Map(entries) if segment != "*" => value = entries.get(segment)?,
            _ => break,
        }
    }
    let mut found = Vec::new();
    value.fresh_references(&mut found);
    found
        .iter()
        .find(|(_, fresh)| *fresh == Fresh::New)
        .or(found.first())
        .map(|(resource, _)| resource.clone())
}

/// How the value at a create-only property path compares. A path goes through maps; a list (`*`) or a value
/// only AWS knows is compared whole.
fn difference_at(
    comparison: &mut Comparison<'_>,
    before: Option<&Val>,
    after: Option<&Val>,
    path: &[&str],
) -> Difference {
    let Some((segment, rest)) = path.split_first() else {
        return comparison.compare_present(before, after);
    };
    match (
        *segment != "*",
        step_into(before, segment),
        step_into(after, segment),
    ) {
        (true, Some(before), Some(after)) => difference_at(comparison, before, after, rest),
        _ => comparison.compare_present(before, after),
    }
}

/// The value under `key` of a map (absent from an absent map); `None` when the value is no map to step into.
fn step_into<'v>(value: Option<&'v Val>, key: &str) -> Option<Option<&'v Val>> {
    match value {
        None => Some(None),
        Some(Val::Map(entries)) => Some(entries.get(key)),
        Some(_) => None,
    }
}

fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| name.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::render::impact::{describe_reach, disruption, verdict};
    use crate::template::Rolling;
    use crate::template::test_support::{condition_chain, pseudo, resource_chain, values};

    /// The impacts of changing `before` to `after` on one template.
    fn change(
        template: &Value,
        before: &[(&str, &str)],
        after: &[(&str, &str)],
    ) -> Vec<ResourceImpact> {
        let (before, after) = (values(before), values(after));
        analyse(
            StackTemplate::new(template, &before),
            StackTemplate::new(template, &after),
            &pseudo(),
        )
    }

    fn create_only(property: &str) -> Cause {
        Cause::CreateOnly {
            property: property.into(),
            certain: true,
        }
    }

    fn existence_unknown(condition: &str) -> Cause {
        Cause::ExistenceUnknown {
            condition: condition.into(),
        }
    }

    fn actions(impacts: &[ResourceImpact]) -> Vec<(&str, ResourceAction)> {
        impacts
            .iter()
            .map(|i| (i.logical_id.as_str(), i.action))
            .collect()
    }

    fn network() -> Value {
        json!({
            "Parameters": {
                "Cidr": {"Type": "String", "Default": "10.0.0.0/16"},
                "Name": {"Type": "String", "Default": "a"},
                "Unused": {"Type": "String", "Default": "x"},
                "Private": {"Type": "String", "Default": "No"},
                "Token": {"Type": "String", "Default": "t"},
            },
            "Conditions": {"Private": {"Fn::Equals": [{"Ref": "Private"}, "Yes"]}},
            "Resources": {
                "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {
                    "CidrBlock": {"Ref": "Cidr"},
                    "Tags": [{"Key": "Name", "Value": {"Fn::Sub": "${AWS::StackName}-${Name}"}}]}},
                "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {
                    "VpcId": {"Ref": "Vpc"},
                    "CidrBlock": {"Fn::Select": [0, {"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 2, 8]}]}}},
                "Nat": {"Type": "AWS::EC2::NatGateway", "Condition": "Private", "Properties": {
                    "SubnetId": {"Ref": "Subnet"}}},
                "NatIp": {"Type": "AWS::EC2::EIP", "Condition": "Private"},
                "Log": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
                "Hook": {"Type": "Custom::Hook", "Properties": {"ServiceToken": "arn", "Token": {"Ref": "Token"}}},
                "Odd": {"Type": "Vendor::Thing::Widget", "Properties": {"Name": {"Ref": "Name"}}},
            },
        })
    }

    #[test]
    fn a_parameter_that_reaches_nothing_changes_nothing() {
        let impacts = change(&network(), &[("Unused", "x")], &[("Unused", "y")]);
        assert!(impacts.is_empty(), "{impacts:?}");
        assert_eq!(describe_reach(&impacts), "reaches no resource");
        assert_eq!(verdict(&impacts), "no resource changes");
        assert_eq!(disruption(&impacts), None);
    }

    #[test]
    fn a_create_only_change_replaces_and_reaches_what_refers_to_the_replaced_resource() {
        let impacts = change(&network(), &[], &[("Cidr", "10.1.0.0/16")]);
        assert_eq!(
            actions(&impacts),
            [
                ("Vpc", ResourceAction::Replace),
                ("Subnet", ResourceAction::Replace)
            ]
        );
        assert_eq!(impacts[0].cause, create_only("CidrBlock"));
        assert_eq!(impacts[0].through, None);
        assert_eq!(impacts[1].through.as_deref(), Some("Vpc"));
        assert_eq!(
            describe_reach(&impacts),
            "replaces Vpc and 1 resource that refers to it"
        );
        assert_eq!(verdict(&impacts), "replaces 2 resources");
    }

    #[test]
    fn a_property_that_is_not_create_only_is_modified_in_place_and_its_id_is_kept() {
        let impacts = change(&network(), &[], &[("Name", "b")]);
        assert_eq!(
            actions(&impacts),
            [
                ("Vpc", ResourceAction::Modify),
                ("Odd", ResourceAction::MayReplace)
            ]
        );
        assert_eq!(
            impacts[0].cause,
            Cause::PropertiesChange {
                properties: vec!["Tags".into()],
                certain: true
            }
        );
        assert_eq!(
            impacts[1].cause,
            Cause::NoSchema {
                resource_type: "Vendor::Thing::Widget".into(),
                properties: vec!["Name".into()]
            }
        );
        assert_eq!(
            describe_reach(&impacts),
            "may replace Odd; modifies Vpc in place"
        );
    }

    #[test]
    fn a_condition_that_flips_adds_or_removes_its_resources() {
        let impacts = change(&network(), &[("Private", "No")], &[("Private", "Yes")]);
        assert_eq!(
            actions(&impacts),
            [("Nat", ResourceAction::Add), ("NatIp", ResourceAction::Add)]
        );
        assert_eq!(
            impacts[0].cause,
            Cause::ConditionTurns {
                condition: "Private".into(),
                to: true
            }
        );
        assert_eq!(
            describe_reach(&impacts),
            "adds 2 resources (NatGateway, EIP)"
        );
        let impacts = change(&network(), &[("Private", "Yes")], &[("Private", "No")]);
        assert_eq!(
            actions(&impacts),
            [
                ("Nat", ResourceAction::Remove),
                ("NatIp", ResourceAction::Remove)
            ]
        );
        assert_eq!(
            disruption(&impacts).unwrap(),
            "removes 2 resources (NatGateway, EIP)"
        );
    }

    #[test]
    fn a_custom_resource_may_be_replaced_never_safe() {
        let impacts = change(&network(), &[], &[("Token", "u")]);
        assert_eq!(actions(&impacts), [("Hook", ResourceAction::MayReplace)]);
        assert_eq!(
            impacts[0].cause,
            Cause::CustomResource {
                properties: vec!["Token".into()]
            }
        );
        assert_eq!(disruption(&impacts).unwrap(), "may replace Hook");
    }

    #[test]
    fn a_template_change_adds_removes_and_retypes_resources() {
        let before = network();
        let mut after = network();
        let resources = after["Resources"].as_object_mut().unwrap();
        resources.remove("Log");
        resources.insert("Queue".into(), json!({"Type": "AWS::SQS::Queue"}));
        resources.insert("Odd".into(), json!({"Type": "AWS::SNS::Topic"}));
        let empty = BTreeMap::new();
        let impacts = analyse(
            StackTemplate::new(&before, &empty),
            StackTemplate::new(&after, &empty),
            &pseudo(),
        );
        assert_eq!(
            actions(&impacts),
            [
                ("Odd", ResourceAction::Replace),
                ("Queue", ResourceAction::Add),
                ("Log", ResourceAction::Remove),
            ]
        );
        assert_eq!(
            impacts[0].cause,
            Cause::TypeChanges {
                from: "Vendor::Thing::Widget".into(),
                to: "AWS::SNS::Topic".into()
            }
        );
        assert_eq!(impacts[1].cause, Cause::NewInTemplate);
        assert_eq!(impacts[2].cause, Cause::GoneFromTemplate);
    }

    #[test]
    fn a_value_rackfile_cannot_know_may_replace_what_it_reaches() {
        let template = json!({
            "Parameters": {"Cidr": {"Type": "String"}},
            "Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {
                "CidrBlock": {"Fn::ImportValue": {"Ref": "Cidr"}},
                "InstanceTenancy": {"Fn::Transform": {"Name": "X"}}}}},
        });
        // The same import name: the same value.
        assert!(change(&template, &[("Cidr", "a")], &[("Cidr", "a")]).is_empty());
        // Two exports may hold the same value: "may", never a certainty.
        let impacts = change(&template, &[("Cidr", "a")], &[("Cidr", "b")]);
        assert_eq!(actions(&impacts), [("Vpc", ResourceAction::MayReplace)]);
        // A Condition no one can evaluate offline decides nothing either way.
        let template = json!({
            "Parameters": {"Zone": {"Type": "String", "Default": "a"}},
            "Conditions": {"InZone": {"Fn::Equals": [{"Fn::Select": [0, {"Fn::GetAZs": ""}]}, {"Ref": "Zone"}]}},
            "Resources": {"Ip": {"Type": "AWS::EC2::EIP", "Condition": "InZone"}},
        });
        assert!(change(&template, &[], &[]).is_empty());
        let impacts = change(&template, &[], &[("Zone", "b")]);
        assert_eq!(actions(&impacts), [("Ip", ResourceAction::MayReplace)]);
        assert_eq!(impacts[0].cause, existence_unknown("InZone"));
    }

    fn rack_like() -> Value {
        serde_json::from_str(include_str!("../../tests/templates/rack-2026.json")).unwrap()
    }

    fn convox() -> Value {
        serde_json::from_str(include_str!(
            "../../tests/templates/convox-rack-20260421192651.json"
        ))
        .unwrap()
    }

    #[test]
    fn on_the_rack_like_template_a_vpc_cidr_change_replaces_the_vpc_and_what_refers_to_it() {
        let impacts = change(&rack_like(), &[], &[("VPCCIDR", "10.1.0.0/16")]);
        let replaced: Vec<&str> = impacts
            .iter()
            .filter(|i| i.action == ResourceAction::Replace)
            .map(|i| i.logical_id.as_str())
            .collect();
        assert_eq!(
            replaced,
            [
                "Vpc",
                "GatewayAttachment",
                "Subnet0",
                "Subnet1",
                "SecurityGroup",
                "LaunchConfiguration"
            ]
        );
        let instances = impacts
            .iter()
            .find(|i| i.logical_id == "Instances")
            .unwrap();
        assert_eq!(instances.action, ResourceAction::Modify);
        assert_eq!(
            instances.rolling,
            Some(Rolling {
                max_batch_size: Some("1".into())
            })
        );
        assert_eq!(
            describe_reach(&impacts),
            "replaces Vpc and 5 resources that refer to it; rolling replacement of Instances, 1 at a time"
        );
    }

    #[test]
    fn on_the_rack_like_template_private_adds_and_removes_the_private_network() {
        let impacts = change(&rack_like(), &[("Private", "No")], &[("Private", "Yes")]);
        assert_eq!(
            actions(&impacts),
            [
                ("SubnetPrivate0", ResourceAction::Add),
                ("SubnetPrivate1", ResourceAction::Add)
            ]
        );
        let impacts = change(&rack_like(), &[("Private", "Yes")], &[("Private", "No")]);
        assert_eq!(describe_reach(&impacts), "removes 2 resources (Subnet x2)");
    }

    #[test]
    fn on_the_rack_like_template_an_instance_type_replaces_the_launch_configuration_and_rolls() {
        let impacts = change(
            &rack_like(),
            &[("InstanceUpdateBatchSize", "2")],
            &[
                ("InstanceType", "m5.large"),
                ("InstanceUpdateBatchSize", "2"),
            ],
        );
        assert_eq!(
            actions(&impacts),
            [
                ("LaunchConfiguration", ResourceAction::Replace),
                ("Instances", ResourceAction::Modify)
            ]
        );
        assert_eq!(impacts[1].through.as_deref(), Some("LaunchConfiguration"));
        assert_eq!(
            describe_reach(&impacts),
            "replaces LaunchConfiguration; rolling replacement of Instances, 2 at a time"
        );
        assert_eq!(
            verdict(&impacts),
            "replaces 1 resource, modifies 1 in place; rolling replacement of Instances, 2 at a time"
        );
    }

    #[test]
    fn on_the_rack_like_template_a_parameter_no_resource_uses_reaches_nothing() {
        assert!(change(&rack_like(), &[], &[("LogRetention", "30")]).is_empty());
    }

    #[test]
    fn on_convox_s_own_template_an_instance_type_rolls_the_instances_through_the_launch_template() {
        let template = convox();
        let impacts = change(&template, &[], &[("InstanceType", "m5.large")]);
        let launch_template = impacts
            .iter()
            .find(|i| i.logical_id == "InstancesLaunchTemplate")
            .unwrap();
        assert_eq!(launch_template.action, ResourceAction::Modify);
        let instances = impacts
            .iter()
            .find(|i| i.logical_id == "Instances")
            .unwrap();
        assert_eq!(
            instances.rolling,
            Some(Rolling {
                max_batch_size: Some("1".into())
            })
        );
        assert!(
            impacts.iter().all(|i| i.action != ResourceAction::Replace),
            "{impacts:#?}"
        );
    }

    #[test]
    fn on_convox_s_own_template_private_adds_nat_gateways_and_private_subnets() {
        let template = convox();
        let impacts = change(&template, &[("Private", "No")], &[("Private", "Yes")]);
        let added: Vec<&str> = impacts
            .iter()
            .filter(|i| i.action == ResourceAction::Add)
            .map(|i| i.resource_type.as_str())
            .collect();
        assert!(added.contains(&"AWS::EC2::NatGateway"), "{impacts:#?}");
        assert!(added.contains(&"AWS::EC2::Subnet"), "{impacts:#?}");
        assert!(
            describe_reach(&impacts).contains("adds "),
            "{}",
            describe_reach(&impacts)
        );
    }

    #[test]
    fn on_convox_s_own_template_a_release_change_may_replace_its_custom_resources() {
        let template = convox();
        let impacts = change(
            &template,
            &[("Version", "20260101000000")],
            &[("Version", "20260421192651")],
        );
        let generator = impacts
            .iter()
            .find(|i| i.logical_id == "DockertTLSCertGenerate")
            .unwrap();
        assert_eq!(generator.resource_type, "Custom::SelfSignedCertificate");
        assert_eq!(generator.action, ResourceAction::MayReplace);
        assert!(
            matches!(generator.cause, Cause::CustomResource { .. }),
            "{generator:?}"
        );
        // What reads the certificate may change with it, so it may be replaced too: never called safe.
        let getter = impacts
            .iter()
            .find(|i| i.logical_id == "DockertTLSCA")
            .unwrap();
        assert_eq!(getter.action, ResourceAction::MayReplace);
        assert!(
            disruption(&impacts)
                .unwrap()
                .contains("may replace DockertTLSCertGenerate")
        );
    }

    #[test]
    fn a_yaml_template_with_short_form_tags_is_analysed_the_same() {
        let yaml = "Parameters:\n  Private: {Type: String, Default: 'No'}\n  Cidr: {Type: String}\n\
                    Conditions:\n  IsPrivate: !Equals [!Ref Private, 'Yes']\n\
                    Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: !Ref Cidr\n\
                    \x20 Nat:\n    Type: AWS::EC2::NatGateway\n    Condition: IsPrivate\n    Properties:\n      \
                    SubnetId: !Sub '${Vpc}-subnet'\n";
        let template = crate::template::parse_document(yaml).unwrap();
        let impacts = change(
            &template,
            &[("Cidr", "10.0.0.0/16"), ("Private", "Yes")],
            &[("Cidr", "10.1.0.0/16"), ("Private", "Yes")],
        );
        assert_eq!(
            actions(&impacts),
            [
                ("Vpc", ResourceAction::Replace),
                ("Nat", ResourceAction::Replace)
            ]
        );
        assert_eq!(impacts[1].through.as_deref(), Some("Vpc"));
    }

    #[test]
    fn on_convox_s_own_template_an_unchanged_rack_reaches_nothing() {
        let template = convox();
        assert_eq!(change(&template, &[], &[]), []);
    }

    fn within(
        template: &Value,
        before: &[(&str, &str)],
        after: &[(&str, &str)],
        units: u64,
    ) -> Vec<ResourceImpact> {
        let (before, after) = (values(before), values(after));
        analyse_within(
            StackTemplate::new(template, &before),
            StackTemplate::new(template, &after),
            &pseudo(),
            units,
            &BTreeMap::new(),
        )
    }

    #[test]
    fn a_forty_level_condition_chain_is_evaluated_once_per_level() {
        let template = condition_chain(40, json!({"Ref": "AWS::StackId"}));
        // Whether the bucket exists only AWS knows, the same before and after: its name changes.
        let impacts = within(&template, &[], &[("Name", "b")], 5_000);
        assert_eq!(actions(&impacts), [("Bucket", ResourceAction::Replace)]);
        assert_eq!(impacts[0].cause, create_only("BucketName"));
        assert!(within(&template, &[], &[], 5_000).is_empty());
        // The chain's root changed in the planned template: whether the bucket exists may change.
        let planned = condition_chain(40, json!({"Fn::Sub": "${AWS::StackId}-2"}));
        let empty = BTreeMap::new();
        let impacts = analyse_within(
            StackTemplate::new(&template, &empty),
            StackTemplate::new(&planned, &empty),
            &pseudo(),
            5_000,
            &BTreeMap::new(),
        );
        assert_eq!(actions(&impacts), [("Bucket", ResourceAction::MayReplace)]);
        assert_eq!(impacts[0].cause, existence_unknown("C40"));
    }

    #[test]
    fn a_forty_level_chain_over_a_hidden_value_is_compared_once_per_level() {
        // A NoEcho value is not known on either side: whichever branch the chain takes may differ.
        let template = condition_chain(40, json!({"Ref": "Secret"}));
        let (before, after) = (values(&[]), values(&[]));
        let hidden = BTreeSet::from(["Secret".to_string()]);
        let impacts = analyse_within(
            StackTemplate::new(&template, &before).hiding(&hidden),
            StackTemplate::new(&template, &after).hiding(&hidden),
            &pseudo(),
            5_000,
            &BTreeMap::new(),
        );
        // Its name is Name wherever it exists (an Fn::If on its own Condition); whether it exists may change.
        assert_eq!(actions(&impacts), [("Bucket", ResourceAction::MayReplace)]);
        assert_eq!(impacts[0].cause, existence_unknown("C40"));
        assert!(!impacts[0].too_complex);
    }

    #[test]
    fn a_replacement_reaches_the_whole_of_a_two_thousand_resource_chain_in_linear_work() {
        let length = 2_000;
        let template = resource_chain(length);
        let impacts = within(&template, &[], &[("Name", "b")], 100 * length as u64);
        assert_eq!(impacts.len(), length);
        for (position, impact) in impacts.iter().enumerate() {
            // Written last to first.
            let index = length - 1 - position;
            assert_eq!(impact.logical_id, format!("R{index}"));
            assert_eq!(impact.action, ResourceAction::Replace, "{impact:?}");
            assert_eq!(
                impact.through,
                index.checked_sub(1).map(|before| format!("R{before}"))
            );
        }
        assert_eq!(
            describe_reach(&impacts),
            "replaces R0 and 1999 resources that refer to it"
        );
    }

    #[test]
    fn out_of_budget_what_was_finished_stands_and_the_rest_may_be_replaced_never_safe() {
        let template = resource_chain(10);
        let whole = within(&template, &[], &[("Name", "b")], WORK_BUDGET);
        assert!(whole.iter().all(|i| i.action == ResourceAction::Replace));
        let cut = within(&template, &[], &[("Name", "b")], 60);
        assert_eq!(cut.len(), 10, "{cut:#?}");
        let finished: Vec<&str> = cut
            .iter()
            .filter(|i| !i.too_complex)
            .map(|i| i.logical_id.as_str())
            .collect();
        assert!(!finished.is_empty() && finished.len() < 10, "{cut:#?}");
        for impact in &cut {
            if impact.too_complex {
                assert_eq!(impact.action, ResourceAction::MayReplace);
                assert_eq!(impact.cause, Cause::TooComplex);
            } else {
                assert_eq!(
                    whole.iter().find(|i| i.logical_id == impact.logical_id),
                    Some(impact)
                );
            }
        }
        assert!(
            verdict(&cut).contains("may replace")
                && verdict(&cut).ends_with("(too complex to analyse)"),
            "{}",
            verdict(&cut)
        );
        assert!(describe_reach(&cut).contains("(too complex to analyse)"));
        // Nothing changes, but the analysis cannot finish: not "no resource changes".
        let unchanged = within(&network(), &[], &[], 10);
        assert_eq!(unchanged.len(), 7, "{unchanged:#?}");
        assert!(
            unchanged
                .iter()
                .all(|i| i.action == ResourceAction::MayReplace && i.too_complex)
        );
        assert_eq!(
            verdict(&unchanged),
            "may replace 7 resources (too complex to analyse)"
        );
    }

    #[test]
    fn a_template_that_would_take_too_much_work_is_too_complex_to_analyse() {
        // Each bucket splits a 300 KB default into 300,000 items, on both sides: over three times the budget.
        let commas = ",".repeat(300_000);
        let mut resources = serde_json::Map::new();
        for index in 0..6 {
            resources.insert(
                format!("B{index}"),
                json!({"Type": "AWS::S3::Bucket", "Properties": {"Tags": {"Fn::Split": [",", {"Ref": "Many"}]},
                    "BucketName": {"Ref": "Name"}}}),
            );
        }
        let template = json!({
            "Parameters": {"Many": {"Type": "String", "Default": commas},
                "Name": {"Type": "String", "Default": "a"}},
            "Resources": resources,
        });
        let impacts = change(&template, &[], &[("Name", "b")]);
        assert_eq!(impacts.len(), 6);
        assert!(impacts.iter().any(|i| i.too_complex), "{impacts:#?}");
        assert!(
            impacts.iter().all(|i| matches!(
                i.action,
                ResourceAction::Replace | ResourceAction::MayReplace
            )),
            "{impacts:#?}"
        );
    }

    #[test]
    fn convox_s_own_template_is_analysed_far_within_the_budget() {
        let impacts = within(
            &convox(),
            &[],
            &[("InstanceType", "m5.large")],
            WORK_BUDGET / 20,
        );
        assert!(!impacts.is_empty());
        assert!(impacts.iter().all(|i| !i.too_complex), "{impacts:#?}");
        assert_eq!(within(&convox(), &[], &[], WORK_BUDGET / 20), []);
    }
}
