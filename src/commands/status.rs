//! `rackfile status`: each declared rack's live state, read the way plan reads it (one STS call per org,
//! one DescribeStacks sweep per account and region), without reading any template; and Convox's release
//! list once, for the latest release beside each version.

use crate::cloud::Connector;
use crate::error::Error;
pub use crate::options::StatusOptions;
use crate::outcome::Outcome;
use crate::{config, live, render, status};

pub async fn run(options: &StatusOptions, connector: &dyn Connector) -> Result<Outcome, Error> {
    let config = config::load(&options.file)?;
    let live = live::read_stacks(&config, &config.racks, connector)
        .await
        .map_err(Error::Read)?
        .state;
    // The latest release is a hint beside each version: status still answers without it.
    let releases = if config
        .racks
        .iter()
        .any(|rack| !rack.absent && rack.uses_convox_releases())
    {
        match live::read_releases(connector).await {
            Ok(releases) => Some(releases),
            Err(error) => {
                crate::output::eprint(&format!(
                    "warning: {}; LATEST is left empty\n",
                    render::escape(&error.to_string())
                ));
                None
            }
        }
    } else {
        None
    };
    let mut live = live;
    live.record_releases(releases);
    let rows = status::of_racks(&config.racks, &live);
    if options.json {
        crate::output::print(&render::status::json(&rows))?;
    } else {
        crate::output::print(&render::status::table(&rows))?;
    }
    Ok(Outcome::Success)
}
