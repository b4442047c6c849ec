//! The plan's preflight checks against moto through the project's launcher (`moto`) and against the
//! strict fake (`fake`).

mod fake;
mod moto;
