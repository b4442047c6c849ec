//! The JSON view: the Plan itself, which carries its `format_version`.

use crate::plan::Plan;

pub fn plan(plan: &Plan) -> String {
    crate::plan::file::to_json(plan)
}
