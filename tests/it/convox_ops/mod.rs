//! What Convox does around a rack's operations (release records, uninstall preparation) against moto's
//! real services (`moto`) and against the strict fake (`fake`).

mod fake;
mod moto;
