//! `cancel`, `events` and `status` of operations rackfile did not start, against moto through the binary
//! (`moto`) and against the strict fake (`fake`).

mod fake;
mod moto;
