//! `rackfile events`: why a rack is where it is, for changes rackfile did not watch (an update started by
//! `convox`, the autoscaler, a detached apply): per declared rack, its last operation, how it ended, its
//! root cause and the recent events. Reads only: one STS call per org, one DescribeStacks sweep per account
//! and region, and one DescribeStackEvents (its first page, the newest events) per installed rack.

use futures::future::join_all;

use crate::cloud::{Connector, StackEvent};
use crate::error::Error;
use crate::history::RackHistory;
pub use crate::options::EventsOptions;
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
    let since = options.since.map(|since| {
        connector
            .now()
            .checked_sub(since)
            .unwrap_or(std::time::UNIX_EPOCH)
    });
    let orgs = &config.orgs;
    let reads = racks.iter().map(|rack| {
        let stack = live.key_of(rack).and_then(|key| live.stack(&key).cloned());
        async move {
            let events: Vec<StackEvent> = match &stack {
                // Another tool's stack of the same name is not read: rackfile never reports on it.
                Some(stack) if crate::convox::is_rack(stack) => {
                    let read_error = |error| live::ReadError::Events {
                        rack: rack.id(),
                        error,
                    };
                    let cloud = connector
                        .cloud(&orgs[&rack.org], &rack.region)
                        .await
                        .map_err(read_error)?;
                    cloud.stack_events(&rack.name).await.map_err(read_error)?
                }
                _ => Vec::new(),
            };
            Ok::<_, live::ReadError>(RackHistory::of(
                rack.id(),
                rack.region.clone(),
                stack.as_ref(),
                &events,
                since,
            ))
        }
    });
    let mut histories = Vec::new();
    let mut errors = Vec::new();
    for read in join_all(reads).await {
        match read {
            Ok(history) => histories.push(history),
            Err(error) => errors.push(error),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Read(errors));
    }
    Ok(histories)
}
