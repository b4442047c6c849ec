//! Views of a Plan. They only format: every decision is already in the plan.

mod human;
mod json;

pub use human::{Style, plan as human_plan, problems as human_problems};
pub use json::plan as json_plan;
