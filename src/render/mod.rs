//! Views of a Plan and of rack status. They only format: every decision is already in the data.

pub mod apply;
pub mod blocked;
mod budget;
mod change_set;
pub mod doctor;
pub mod drift;
pub mod drift_progress;
mod duration;
mod error;
mod escape;
pub mod events;
mod hold;
mod human;
pub mod impact;
mod json;
mod markdown;
pub mod notes;
pub mod permissions;
pub mod preflight;
pub mod skip;
pub mod staleness;
pub mod status;
pub mod waves;

pub use budget::span;
pub use duration::{Notation, duration};
pub use error::RenderError;
pub use escape::escape;
pub use hold::{held_words, hold_words, refusal_words, wait_words};
pub use human::{Style, plan as human_plan, problems as human_problems};
pub use json::plan as json_plan;
pub use markdown::plan as markdown_plan;
