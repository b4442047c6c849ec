//! The JSON view: the Plan itself, which carries its `format_version`, secret values hidden, with the words
//! of what the plan holds as data: the impact analysis's (`render::impact`: each change's `reach` line, and
//! each analysed update's `verdict` and `disruptive`), and each rack's `notes` and `warnings` and the
//! `reason` of what could not be analysed, read or computed (`render::notes`), each just before its data.
//! `plan --out` saves this document; loading it reads the data and passes over the words.

use serde_json::{Map, Value};

use super::budget::budget_unknown_words;
use super::impact::{disruption, reach_words, verdict};
use super::notes::{note_words, ssm_unknown_words, template_unknown_words, warning_words};
use crate::plan::{
    Action, Budget, HoldReason, Install, Plan, RackPlan, TemplateImpact, Update, without_secrets,
};

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
        word_rack(rack, shown);
        match &rack.action {
            Action::Install(install) | Action::Reinstall(install) => word_install(install, shown),
            Action::Update(update) => word_update(update, shown),
            Action::Upgrade(upgrade) => {
                let steps = shown.get_mut("steps").and_then(Value::as_array_mut);
                for (step, shown) in upgrade.steps.iter().zip(steps.into_iter().flatten()) {
                    word_update(&step.update, shown);
                }
            }
            Action::ContinueRollback
            | Action::Uninstall(_)
            | Action::Unchanged
            | Action::Blocked(_)
            | Action::Wait(_) => {}
        }
    }
    document
}

/// A rack's notes, warnings and hold reasons in words, each where the saved plans before the words moved to
/// the views had them: `notes` before `note_data`, `warnings` before `warning_data`, a hold's `reason` before
/// its `why`.
fn word_rack(rack: &RackPlan, shown: &mut Value) {
    let words = |words: Vec<String>| Value::from(words);
    words_before(
        shown,
        "note_data",
        "notes",
        words(rack.notes.iter().map(note_words).collect()),
    );
    words_before(
        shown,
        "warning_data",
        "warnings",
        words(rack.warnings.iter().map(warning_words).collect()),
    );
    let holds = shown.get_mut("hold").and_then(Value::as_array_mut);
    for (reason, shown) in rack.hold.iter().zip(holds.into_iter().flatten()) {
        if let HoldReason::NotAnalysed { why, .. } = reason {
            words_before(shown, "why", "reason", template_unknown_words(why).into());
        }
    }
}

fn word_install(install: &Install, shown: &mut Value) {
    if let Some(budget) = &install.budget {
        word_budget(budget, shown);
    }
}

fn word_budget(budget: &Budget, shown: &mut Value) {
    if let (Budget::CannotCompute { why }, Some(shown)) = (budget, shown.get_mut("budget")) {
        words_before(shown, "why", "reason", budget_unknown_words(why).into());
    }
}

/// Inserts `key: words` into `object` just before its `data` field; nothing when it has none.
fn words_before(object: &mut Value, data: &str, key: &str, words: Value) {
    let Value::Object(fields) = object else {
        return;
    };
    if !fields.contains_key(data) {
        return;
    }
    let mut worded = Map::new();
    for (name, value) in std::mem::take(fields) {
        if name == data {
            worded.insert(key.to_string(), words.clone());
        }
        worded.insert(name, value);
    }
    *fields = worded;
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
        words_before(
            shown,
            "why",
            "reason",
            ssm_unknown_words(&unresolved.why).into(),
        );
    }
    if let (Some(TemplateImpact::NotAnalysed { why }), Some(shown)) =
        (&update.analysis, shown.get_mut("impact"))
    {
        words_before(shown, "why", "reason", template_unknown_words(why).into());
    }
    let changes = shown.get_mut("changes").and_then(Value::as_array_mut);
    for (change, shown) in update.changes.iter().zip(changes.into_iter().flatten()) {
        if let Some(reach) = &change.reach {
            shown["reach"] = Value::String(reach_words(reach).into_owned());
        }
    }
    if let (Some(TemplateImpact::Analysed { resources }), Some(Value::Object(impact))) =
        (&update.analysis, shown.get_mut("impact"))
    {
        // `{"analysis": "analysed", verdict, disruptive?, resources}`: the words after the tag.
        let mut worded = Map::new();
        for (key, value) in std::mem::take(impact) {
            let is_tag = key == "analysis";
            worded.insert(key, value);
            if is_tag {
                worded.insert("verdict".into(), Value::String(verdict(resources)));
                if let Some(disruptive) = disruption(resources) {
                    worded.insert("disruptive".into(), Value::String(disruptive));
                }
            }
        }
        *impact = worded;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A rack whose update could not be analysed, with notes and a warning: everything the plan holds of
    /// it as data, as `plan --json` writes it.
    fn plan_of_facts() -> Plan {
        let live_unreadable = json!({"kind": "live_unreadable", "error": "AccessDenied: no"});
        serde_json::from_value(json!({
            "format_version": "1",
            "racks_file": {"path": "racks.toml", "sha256": "0"},
            "accounts": [],
            "racks": [{
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
            }],
            "not_in_racks_toml": [],
            "summary": {"install": 1, "update": 1, "upgrade": 0, "reinstall": 0, "continue_rollback": 0,
                "uninstall": 0, "unchanged": 0, "blocked": 0, "wait": 0},
        }))
        .expect("a plan")
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
}
