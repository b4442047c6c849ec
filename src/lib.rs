//! rackfile: manage Convox Racks declaratively. See README.md for the user's view and DESIGN.md for the
//! architecture; `main.rs` is only the entry point.

pub mod apply;
pub mod atomic_file;
pub mod cli;
pub mod cloud;
pub mod config;
pub mod convox;
pub mod diag;
pub mod doctor;
pub mod error;
pub mod history;
pub mod import;
pub mod live;
pub mod logging;
pub mod outcome;
pub mod output;
pub mod permissions;
pub mod plan;
pub mod render;
pub mod status;
pub mod template;
pub mod template_cache;
