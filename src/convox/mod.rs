//! What rackfile knows about Convox itself, as data: which stacks are Convox's (racks, and the apps and
//! resources of a rack), what each parameter change does to a running rack, which parameters Convox's
//! autoscaler owns, which parameter combinations its CLI refuses, its releases, and its words for a stack's status.

mod drift_noise;
mod interlocks;
pub mod names;
pub mod operations;
pub mod ownership;
mod parameter_rules;
pub mod releases;
mod status;

pub use drift_noise::{MANAGED_BY_CONVOX, ManagedByConvox, managed_by_convox};
pub use interlocks::{INTERLOCKS, Interlock, Refusal, Values as InterlockValues, refusals};
pub use ownership::{
    Dependent, RACK_TAGS, RESERVED_TAG_KEYS, dependent_of, has_rack_tags, is_rack,
};
pub use parameter_rules::{AUTOSCALED_PARAMETERS, Effect, ParameterRule, Rule, rule_for};
pub use releases::{Release, Releases, Route};
pub use status::convox_status;
