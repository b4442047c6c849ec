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
        for (disruption, shown) in rack.disruptions.iter().zip(disruptions.into_iter().flatten()) {
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
