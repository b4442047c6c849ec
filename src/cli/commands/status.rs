//! `rackfile status`: each declared rack's live state, read the way plan reads it (one STS call per org,
//! one DescribeStacks sweep per account and region), without reading any template; and Convox's release
//! list once, for the latest release beside each version.

pub use crate::cli::options::StatusOptions;
use crate::cloud::Connector;
use crate::error::Error;
use crate::outcome::Outcome;
use crate::{config, live, render, status};

pub async fn run(options: &StatusOptions, connector: &dyn Connector) -> Result<Outcome, Error> {
    let rows = read(options, connector).await?;
    if options.json {
        crate::output::print(&render::status::json(&rows))?;
    } else {
        crate::output::print(&render::status::table(&rows))?;
    }
    Ok(Outcome::Success)
}

/// Each declared rack's status, in file order.
pub async fn read(
    options: &StatusOptions,
    connector: &dyn Connector,
) -> Result<Vec<status::RackStatus>, Error> {
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
    let mut rows = status::of_racks(&config.racks, &live);
    mark_converging(&config, &mut rows, connector).await?;
    Ok(rows)
}

/// `converging` where an update is replacing the rack's instances: one DescribeStackEvents per rack that is
/// updating or rolling back (none for racks at rest). A rack whose events cannot be read stops status, as an
/// unreadable stack list does: an answer without it would say `updating` where Convox says `converging`.
async fn mark_converging(
    config: &config::Config,
    rows: &mut [status::RackStatus],
    connector: &dyn Connector,
) -> Result<(), Error> {
    let updating: Vec<&config::Rack> = config
        .racks
        .iter()
        .zip(rows.iter())
        .filter(|(_, row)| row.may_be_converging())
        .map(|(rack, _)| rack)
        .collect();
    if updating.is_empty() {
        return Ok(());
    }
    let read = live::read_events(config, &updating, connector)
        .await
        .map_err(Error::Read)?;
    for (rack, row) in config.racks.iter().zip(rows.iter_mut()) {
        let (Some(events), Some(status)) = (read.events.get(&row.rack), row.stack_status.clone())
        else {
            continue;
        };
        if crate::history::replacing_instances(&rack.name, events, &status) {
            row.mark_converging();
        }
    }
    Ok(())
}
