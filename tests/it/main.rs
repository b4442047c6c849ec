//! rackfile's integration tests: one binary, each module a command or a concern. Every test runs the real
//! `rackfile` binary in a sealed environment (see `common`).

mod common;

mod a_silent_endpoint;
mod apply;
mod apply_fake;
mod apply_json;
mod approval;
mod architecture;
mod bad_input;
mod examples;
mod fake_harness;
mod faults;
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
mod runtimes_fake;
mod schema;
mod secrets_fake;
mod service_role;
mod service_role_fake;
mod show;
mod signals;
mod terminal;
mod time_fake;
mod time_moto;
mod trust;
mod usage;
