//! Change sets (`plan --changeset`, saved plans that execute them) against moto (`moto`) and against the
//! strict fake, whose change sets say what a test scripts (`fake`).

mod fake;
mod moto;
