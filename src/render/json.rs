//! The JSON view: the Plan itself, which carries its `format_version`.

use crate::plan::Plan;

pub fn plan(plan: &Plan) -> String {
    let mut text = serde_json::to_string_pretty(plan).expect("a plan is always serialisable");
    text.push('\n');
    text
}
