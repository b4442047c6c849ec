//! What rackfile knows about Convox itself, as data: what each parameter change does to a running rack,
//! and which parameters Convox's autoscaler owns.

mod parameter_rules;

pub use parameter_rules::{AUTOSCALED_PARAMETERS, Effect, ParameterRule, rule_for};
