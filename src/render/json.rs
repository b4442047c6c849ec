//! The JSON view: the Plan itself, which carries its `format_version`, secret values hidden, with the impact
//! analysis's words (`render::impact`) where the plan holds their data: each change's `reach` line, and each
//! analysed update's `verdict` and `disruptive`. `plan --out` saves this document.

use serde_json::{Map, Value};

use super::change_set::finding_words;
use super::drift::unchecked_words;
use super::impact::{disruption, reach_words, verdict};
use crate::plan::{Action, HoldReason, Plan, TemplateImpact, Update, without_secrets};

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
        word_holds(&rack.hold, shown);
        match &rack.action {
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
            Action::Install(_)
            | Action::Reinstall(_)
            | Action::ContinueRollback
            | Action::Uninstall(_)
            | Action::Unchanged
            | Action::Wait(_) => {}
        }
    }
    document
}

/// The words of each hold reason made of data, last in its JSON object: a change set's `says`, an
/// undetected drift's `reason`.
fn word_holds(holds: &[HoldReason], shown: &mut Value) {
    let shown = shown.get_mut("hold").and_then(Value::as_array_mut);
    for (hold, shown) in holds.iter().zip(shown.into_iter().flatten()) {
        let (key, words) = match hold {
            HoldReason::ChangeSet { finding, .. } => ("says", finding_words(finding)),
            HoldReason::DriftNotChecked { why } => ("reason", unchecked_words(why)),
            _ => continue,
        };
        shown[key] = Value::String(words);
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
