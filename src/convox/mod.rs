//! What rackfile knows about Convox itself, as data: which stacks are Convox's (racks, and the apps and
//! resources of a rack), what each parameter change does to a running rack, which parameters Convox's
//! autoscaler owns, and its releases.

pub mod ownership;
mod parameter_rules;
pub mod releases;

pub use ownership::{
    Dependent, RACK_TAGS, RESERVED_TAG_KEYS, dependent_of, has_rack_tags, is_rack,
};
pub use parameter_rules::{AUTOSCALED_PARAMETERS, Effect, ParameterRule, rule_for};
pub use releases::{Release, Releases, Route};
