//! `rackfile apply`: installs, updates, saved plans and the binary's output against moto (`moto`);
//! timed behaviour (progress, rollbacks, Ctrl-C, parallelism, the timeout) against the strict fake (`fake`).

pub(crate) mod fake;
pub(crate) mod moto;
