//! What rackfile knows about Convox itself, as data: what each parameter change does to a running rack,
//! which parameters Convox's autoscaler owns, and its releases.

mod parameter_rules;
pub mod releases;

pub use parameter_rules::{AUTOSCALED_PARAMETERS, Effect, ParameterRule, rule_for};
pub use releases::{Release, Releases, Route};
