//! The JSON view: the Plan itself, which carries its `format_version`, secret values hidden, with the words
//! the views make of its data, each written beside (just before or after) that data, where the saved plans
//! before the words moved to the views had it: the impact analysis's (`render::impact`: each resource's
//! `because`, each change's `reach` line and Convox rule's `says`, each analysed update's `verdict` and
//! `disruptive`, each Convox rule disruption's `says`); each rack's `notes` and `warnings` and the `reason`
//! of what could not be analysed, read or computed (`render::notes`); the preflight checks' `says`
//! (`render::preflight`); each hold's words; a blocked rack's `reason` (`render::blocked`). `plan --out`
//! saves this document; loading it reads the data and passes over the words.

use serde_json::{Map, Value};

use super::budget::budget_unknown_words;
use super::change_set::finding_words;
use super::drift::unchecked_words;
use super::impact::{because, describe_reach, disruption, rule_says, verdict};
use super::notes::{note_words, ssm_unknown_words, template_unknown_words, warning_words};
use super::preflight::{read_words_each, says};
use crate::plan::{
    Action, Budget, Change, Disruption, HoldReason, Install, Plan, RackPlan, TemplateImpact,
    Update, without_secrets,
};
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
        word_notes(rack, shown);
        word_preflight(rack, shown);
        word_holds(&rack.hold, shown);
        match &rack.action {
            Action::Install(install) | Action::Reinstall(install) => word_install(install, shown),
            Action::Update(update) => word_update(update, shown),
            Action::Upgrade(upgrade) => {
                let steps = shown.get_mut("steps").and_then(Value::as_array_mut);
                for (step, shown) in upgrade.steps.iter().zip(steps.into_iter().flatten()) {
                    word_update(&step.update, shown);
                }
            }
            Action::Blocked(blocked) => {
                let words = super::blocked::reason(blocked, &rack.preflight);
                word_blocked(words, shown);
            }
            Action::ContinueRollback
            | Action::Uninstall(_)
            | Action::Unchanged
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

/// A rack's notes and warnings in words, where the saved plans before the words moved to the views had
/// them: `notes` before `note_data`, `warnings` before `warning_data`.
fn word_notes(rack: &RackPlan, shown: &mut Value) {
    let words = |words: Vec<String>| Value::from(words);
    insert_before(
        shown,
        "note_data",
        "notes",
        words(rack.notes.iter().map(note_words).collect()),
    );
    insert_before(
        shown,
        "warning_data",
        "warnings",
        words(rack.warnings.iter().map(warning_words).collect()),
    );
}

fn word_install(install: &Install, shown: &mut Value) {
    if let Some(budget) = &install.budget {
        word_budget(budget, shown);
    }
}

fn word_budget(budget: &Budget, shown: &mut Value) {
    if let (Budget::CannotCompute { why }, Some(shown)) = (budget, shown.get_mut("budget")) {
        insert_before(shown, "why", "reason", budget_unknown_words(why).into());
    }
}

/// Each hold reason's words, where the saved plans before the words moved to the views had them: a
/// not-analysed hold's `reason` before its `why`, an exports hold's `says` after its `kind`, a change set's
/// `says` and an undetected drift's `reason` last.
fn word_holds(holds: &[HoldReason], shown: &mut Value) {
    let shown = shown.get_mut("hold").and_then(Value::as_array_mut);
    for (hold, shown) in holds.iter().zip(shown.into_iter().flatten()) {
        match hold {
            HoldReason::NotAnalysed { why, .. } => {
                insert_before(shown, "why", "reason", template_unknown_words(why).into());
            }
            HoldReason::ExportsNotChecked { finding } => {
                insert_after(shown, "kind", vec![("says", Value::String(says(finding)))]);
            }
            HoldReason::ChangeSet { finding, .. } => {
                shown["says"] = Value::String(finding_words(finding));
            }
            HoldReason::DriftNotChecked { why } => {
                shown["reason"] = Value::String(unchecked_words(why));
            }
            HoldReason::Install
            | HoldReason::Disruptive
            | HoldReason::ContinueRollback
            | HoldReason::SsmUnresolved { .. }
            | HoldReason::OverwritesDrift { .. } => {}
        }
    }
}

/// A blocked rack's `reason` in its JSON object, where plans before the reason moved to the views had it:
/// `kind, status, reason`, then the facts that serialise between the `kind` tag and `status`.
fn word_blocked(reason: String, shown: &mut Value) {
    let Value::Object(rack) = shown else {
        return;
    };
    let mut worded = Map::new();
    // `None` before the `kind` tag; the facts after it until `status`, then taken.
    let mut facts: Option<Map<String, Value>> = None;
    for (key, value) in std::mem::take(rack) {
        match (key.as_str(), &mut facts) {
            ("kind", None) => {
                worded.insert(key, value);
                facts = Some(Map::new());
            }
            ("status", Some(between)) if !worded.contains_key("reason") => {
                let mut between = std::mem::take(between);
                worded.insert(key, value);
                worded.insert("reason".into(), Value::String(reason.clone()));
                worded.append(&mut between);
            }
            (_, Some(between)) if !worded.contains_key("reason") => {
                between.insert(key, value);
            }
            _ => {
                worded.insert(key, value);
            }
        }
    }
    *rack = worded;
}

/// An update's words in its JSON object (a rack's, or an upgrade step's: the update is flattened into it),
/// each where the saved plans before the words moved to the views had it.
fn word_update(update: &Update, shown: &mut Value) {
    if let Some(budget) = &update.budget {
        word_budget(budget, shown);
    }
    let unresolved = shown.get_mut("unresolved").and_then(Value::as_array_mut);
    for (unresolved, shown) in update
        .unresolved
        .iter()
        .zip(unresolved.into_iter().flatten())
    {
        insert_before(
            shown,
            "why",
            "reason",
            ssm_unknown_words(&unresolved.why).into(),
        );
    }
    if let (Some(TemplateImpact::NotAnalysed { why }), Some(shown)) =
        (&update.analysis, shown.get_mut("impact"))
    {
        insert_before(shown, "why", "reason", template_unknown_words(why).into());
    }
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

/// A rack's preflight checks' words, where the saved plans before the words moved to the views had them: a
/// check's `read` and `says` before its `finding` (its `read_data` follows).
fn word_preflight(rack: &RackPlan, shown: &mut Value) {
    let checks = shown.get_mut("preflight").and_then(Value::as_array_mut);
    for (check, shown) in rack.preflight.iter().zip(checks.into_iter().flatten()) {
        let read: Vec<String> = read_words_each(check);
        insert_before(shown, "finding", "read", read.into());
        insert_before(shown, "finding", "says", says(&check.finding).into());
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::cloud::Replacement;
    use crate::convox::{Effect, Rule};
    use crate::plan::{RuleImpact, StepRef};
    use crate::template::{Cause, ChangeSource, PolicyUnknown, ResourceAction};

    /// A plan of `racks` (their JSON, as `plan --json` prints them); the rest is what every test plan has.
    fn plan_of(racks: Value) -> Plan {
        serde_json::from_value(json!({
            "format_version": crate::plan::file::FORMAT_VERSION,
            "racks_file": {"path": "racks.toml", "sha256": "0"},
            "accounts": [],
            "racks": racks,
            "not_in_racks_toml": [],
            "summary": {"install": 0, "update": 0, "upgrade": 0, "reinstall": 0, "continue_rollback": 0,
                "uninstall": 0, "unchanged": 0, "blocked": 0, "wait": 0},
        }))
        .expect("a plan")
    }

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
        let mut plan = plan_of(json!([{
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
        }]));
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

    /// A rack whose update could not be analysed, with notes and a warning: everything the plan holds of
    /// it as data, as `plan --json` writes it.
    fn plan_of_facts() -> Plan {
        let live_unreadable = json!({"kind": "live_unreadable", "error": "AccessDenied: no"});
        plan_of(json!([{
            "rack": "personal/web", "org": "personal", "name": "web", "region": "us-east-1",
            "account_id": "123456789012", "action": "update",
            "template": {"url": {"url": "https://templates.example.com/rack.json"}},
            "changes": [], "parameters": {}, "tags": {}, "resource_count": 1,
            "impact": {"analysis": "not_analysed", "why": live_unreadable},
            "budget": {"kind": "cannot_compute",
                "why": {"kind": "not_analysed", "template": live_unreadable}},
            "unresolved": [{"parameter": "DefaultAmi", "ssm_name": "/ami",
                "why": {"kind": "missing", "name": "/ami", "region": "us-east-1"}}],
            "stack": null,
            "note_data": [
                {"kind": "summary_only", "template": "https://templates.example.com/rack.json"},
                {"kind": "ssm_unresolved", "parameter": "DefaultAmi",
                    "why": {"kind": "missing", "name": "/ami", "region": "us-east-1"}},
                {"kind": "change_set_no_changes"},
            ],
            "warning_data": [{"kind": "unpublished_release", "version": "5"}],
            "hold": [{"kind": "not_analysed", "why": live_unreadable}],
        }, {
            "rack": "personal/new", "org": "personal", "name": "new", "region": "us-east-1",
            "account_id": "123456789012", "action": "install",
            "template": {"url": {"url": "https://templates.example.com/rack.json"}},
            "parameters": {}, "password": null, "tags": {}, "resource_count": 1,
            "budget": {"kind": "cannot_compute",
                "why": {"kind": "instances_unknown", "group": "Instances"}},
            "stack": null,
        }]))
    }

    #[test]
    fn the_words_stand_where_saved_plans_had_them_each_just_before_its_data() {
        let shown: Value = serde_json::from_str(&plan(&plan_of_facts())).unwrap();
        let web = &shown["racks"][0];
        let keys =
            |value: &Value| -> Vec<String> { value.as_object().unwrap().keys().cloned().collect() };
        assert_eq!(
            keys(web)[keys(web).len() - 5..],
            ["notes", "note_data", "warnings", "warning_data", "hold"]
        );
        assert_eq!(
            web["notes"],
            json!([
                "https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)",
                "DefaultAmi: SSM parameter /ami does not exist in us-east-1; what CloudFormation resolves it to at the update is unknown, so what it reaches may change",
                "CloudFormation's change set says the update changes nothing (\"didn't contain changes\")",
            ])
        );
        assert_eq!(
            web["warnings"],
            json!([
                "version 5 is a Convox release that is not published (Convox publishes a release once it is tested)"
            ])
        );
        assert_eq!(keys(&web["impact"]), ["analysis", "reason", "why"]);
        assert_eq!(
            web["impact"]["reason"],
            "cannot read the live template: AccessDenied: no"
        );
        assert_eq!(keys(&web["budget"]), ["kind", "reason", "why"]);
        assert_eq!(
            web["budget"]["reason"],
            "the update could not be analysed: cannot read the live template: AccessDenied: no"
        );
        assert_eq!(
            keys(&web["unresolved"][0]),
            ["parameter", "ssm_name", "reason", "why"]
        );
        assert_eq!(
            web["unresolved"][0]["reason"],
            "SSM parameter /ami does not exist in us-east-1"
        );
        assert_eq!(keys(&web["hold"][0]), ["kind", "reason", "why"]);
        assert_eq!(
            web["hold"][0]["reason"],
            "cannot read the live template: AccessDenied: no"
        );
        let new = &shown["racks"][1];
        assert_eq!(
            new["budget"]["reason"],
            "how many instances Instances has is only known to AWS (its DesiredCapacity does not resolve and the rack has no InstanceCount)"
        );
    }

    /// A saved plan is `plan --json`'s document: read back, it is the same data (the words are passed over).
    #[test]
    fn a_saved_plan_reads_back_to_the_same_notes_warnings_and_reasons() {
        let facts = plan_of_facts();
        let saved: Plan = serde_json::from_str(&plan(&facts)).unwrap();
        assert_eq!(saved, facts);
    }

    use crate::plan::preflight::Finding;
    use crate::plan::{PreflightCheck, PreflightKind, Verdict};

    /// A rack blocked by preflight, with a check of every finding and an exports hold.
    fn blocked_by_preflight() -> Plan {
        let mut plan = plan_of(json!([{
            "rack": "personal/web", "org": "personal", "name": "web", "region": "us-east-1",
            "account_id": "123456789012", "action": "blocked", "kind": "preflight",
            "status": "UPDATE_COMPLETE", "stack": null,
        }]));
        let rack = &mut plan.racks[0];
        let every_read = super::super::preflight::every_read();
        rack.preflight = super::super::preflight::every_finding_and_its_words()
            .into_iter()
            .enumerate()
            .map(|(index, (finding, _))| PreflightCheck {
                check: PreflightKind::InstanceQuota,
                verdict: [Verdict::Blocked, Verdict::NotChecked, Verdict::Warning][index % 3],
                read: vec![every_read[index % every_read.len()].0.clone()],
                finding,
            })
            .collect();
        rack.hold = vec![HoldReason::ExportsNotChecked {
            finding: Finding::ImportsNotRead {
                step: None,
                export: "web:Cluster".into(),
            },
        }];
        plan
    }

    #[test]
    fn a_saved_plan_s_preflight_loads_back_as_it_was_planned() {
        let plan = blocked_by_preflight();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("racks.plan");
        std::fs::write(&path, super::plan(&plan)).unwrap();
        let loaded = crate::plan::file::load(&path).unwrap();
        assert_eq!(loaded, plan);
        assert_eq!(super::plan(&loaded), super::plan(&plan));
    }

    #[test]
    fn each_preflight_word_is_where_saved_plans_had_it_and_the_finding_beside_it() {
        let plan = blocked_by_preflight();
        let shown: Value = serde_json::from_str(&super::plan(&plan)).unwrap();
        let rack = &shown["racks"][0];
        let check = rack["preflight"][0].as_object().unwrap();
        assert_eq!(
            check.keys().collect::<Vec<_>>(),
            ["check", "verdict", "read", "says", "finding", "read_data"]
        );
        assert_eq!(
            check["says"],
            super::super::preflight::says(&plan.racks[0].preflight[0].finding)
        );
        assert_eq!(
            rack["hold"][0],
            json!({"kind": "exports_not_checked",
                "says": "the update removes export web:Cluster; its importers were not read",
                "finding": {"kind": "imports_not_read", "export": "web:Cluster"}})
        );
        let reason = rack["reason"].as_str().unwrap();
        assert_eq!(
            reason,
            super::super::preflight::blocked_reason(&plan.racks[0].preflight)
        );
        assert!(reason.starts_with("preflight: the exports the update (upgrade step to 20200101000000) removes are not known: "), "{reason}");
    }
}
