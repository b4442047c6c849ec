//! rackfile's integration tests: one binary, each module a command or a concern. Every test runs the real
//! `rackfile` binary in a sealed environment (see `common`).

mod common;

mod a_silent_endpoint;
mod apply;
mod apply_fake;
mod apply_json;
mod approval;
mod change_sets_fake;
mod architecture;
mod bad_input;
mod corpus;
mod examples;
mod fake_harness;
mod faults;
mod gates;
mod gates_fake;
mod interlocks;
mod lifecycle;
mod lifecycle_fake;
mod moto;
mod operate;
mod passwords;
mod permissions;
mod plan;
mod preflight;
mod preflight_fake;
mod real_templates;
mod release;
mod releases;
mod rollout;
mod rollout_fake;
mod rollout_gates;
mod runtimes_fake;
mod schema;
mod secrets_fake;
mod show;
mod signals;
mod sinks;
mod ssm_resolution;
mod status_endpoint;
mod terminal;
mod time_fake;
mod time_moto;
mod trust;
mod usage;
