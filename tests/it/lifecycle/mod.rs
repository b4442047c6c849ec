//! A rack's whole life (install, recover, protect, uninstall) against moto (`moto`) and the strict fake
//! (`fake`).

mod fake;
mod moto;
