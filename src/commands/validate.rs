//! `rackfile validate`: offline checks of racks.toml.

use std::collections::BTreeSet;
use std::path::Path;

use crate::config;
use crate::error::Error;

pub fn run(file: &Path) -> Result<i32, Error> {
    let config = config::load(file)?;
    let orgs: BTreeSet<&str> = config.racks.iter().map(|r| r.org.as_str()).collect();
    let regions: BTreeSet<&str> = config.racks.iter().map(|r| r.region.as_str()).collect();
    println!(
        "{} is valid: {} in {}, {}.",
        file.display(),
        plural(config.racks.len(), "rack"),
        plural(orgs.len(), "org"),
        plural(regions.len(), "region")
    );
    Ok(0)
}

pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
