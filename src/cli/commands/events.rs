//! `rackfile events`: why a rack is where it is, for changes rackfile did not watch (an update started by
//! `convox`, the autoscaler, a detached apply): per declared rack, its last operation, how it ended, its
//! root cause and the recent events. Reads only: one STS call per org, one DescribeStacks sweep per account
//! and region, and one DescribeStackEvents (its first page, the newest events) per installed rack.

pub use crate::cli::options::EventsOptions;
use crate::cloud::Connector;
use crate::error::Error;
use crate::history::RackHistory;
use crate::outcome::Outcome;
use crate::{config, live, plan, render};

pub async fn run(options: &EventsOptions, connector: &dyn Connector) -> Result<Outcome, Error> {
    let histories = read(options, connector).await?;
    if options.json {
        crate::output::print(&render::events::json(&histories))?;
    } else {
        crate::output::print(&render::events::text(&histories))?;
    }
    Ok(Outcome::Success)
}

/// Each named rack's history, in file order.
pub async fn read(
    options: &EventsOptions,
    connector: &dyn Connector,
) -> Result<Vec<RackHistory>, Error> {
    let config = config::load(&options.file)?;
    let racks =
        plan::select(&config, &options.targets).map_err(|error| Error::planning(error, &config))?;
    let live = live::read_stacks(&config, &racks, connector)
        .await
        .map_err(Error::Read)?
        .state;
    // Another tool's stack of the same name is not read: rackfile never reports on it.
    let installed: Vec<&config::Rack> = racks
        .iter()
        .filter(|rack| {
            live.key_of(rack)
                .and_then(|key| live.stack(&key))
                .is_some_and(crate::convox::is_rack)
        })
        .collect();
    let read = live::read_events(&config, &installed, connector)
        .await
        .map_err(Error::Read)?;
    let since = options.since.map(|since| {
        read.read_at
            .checked_sub(since)
            .unwrap_or(std::time::UNIX_EPOCH)
    });
    let histories = racks
        .iter()
        .map(|rack| {
            let stack = live.key_of(rack).and_then(|key| live.stack(&key));
            let events = read.events.get(&rack.id()).map_or(&[][..], Vec::as_slice);
            RackHistory::of(rack.id(), rack.region.clone(), stack, events, since)
        })
        .collect();
    Ok(histories)
}
