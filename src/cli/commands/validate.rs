//! `rackfile validate`: offline checks of racks.toml.

use std::collections::BTreeSet;
use std::path::Path;

use crate::config::{self, Config};
use crate::error::Error;
use crate::outcome::Outcome;

pub fn run(file: &Path) -> Result<Outcome, Error> {
    let config = config::load(file)?;
    crate::output::print(&format!(
        "{} is valid: {}.\n",
        file.display(),
        contents(&config)
    ))?;
    Ok(Outcome::Success)
}

/// What a valid racks.toml holds, e.g. `4 racks in 2 orgs, 2 regions`.
pub fn contents(config: &Config) -> String {
    let orgs: BTreeSet<&str> = config.racks.iter().map(|r| r.org.as_str()).collect();
    let regions: BTreeSet<&str> = config.racks.iter().map(|r| r.region.as_str()).collect();
    format!(
        "{} in {}, {}",
        plural(config.racks.len(), "rack"),
        plural(orgs.len(), "org"),
        plural(regions.len(), "region")
    )
}

pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
