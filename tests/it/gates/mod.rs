//! One gate, every plan (a rack busy when planned is planned again and gated again), against moto through
//! the binary (`moto`) and against the strict fake (`fake`).

mod fake;
mod moto;
