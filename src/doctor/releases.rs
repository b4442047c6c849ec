//! Convox's release list: readable, and naming each version racks.toml uses.

use super::Check;
use crate::config::Rack;
use crate::convox::Releases;
use crate::live::ReadError;

/// `racks`: the declared racks built from Convox's published templates.
pub fn release_checks(racks: &[&Rack], releases: &Result<Releases, ReadError>) -> Vec<Check> {
    let releases = match releases {
        Ok(releases) => releases,
        Err(error) => return vec![Check::fail(error.to_string(), error.hint())],
    };
    let mut checks = vec![Check::pass(format!(
        "Convox's release list is readable: {} release{}, the latest published is {}",
        releases.len(),
        if releases.len() == 1 { "" } else { "s" },
        releases
            .latest_published()
            .map_or("none", |release| release.version.as_str())
    ))];
    for rack in racks {
        if releases.get(&rack.version).is_none() {
            checks.push(Check::fail(
                format!(
                    "rack {}: version {} is not one of Convox's releases",
                    rack.id(),
                    rack.version
                ),
                releases.suggestion_for(&rack.version),
            ));
        }
    }
    checks
}
