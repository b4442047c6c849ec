//! The newest events of racks' stacks (DescribeStackEvents' first page: the newest 100), for `events` and for
//! `status` (is a rack being updated `converging`?). Read concurrently, one call per rack.

use std::collections::BTreeMap;
use std::time::SystemTime;

use futures::future::join_all;

use super::ReadError;
use crate::cloud::{Connector, StackEvent};
use crate::config::{Config, Rack};

/// What was read: each rack's events, newest first, by `org/name`; and when, on the clock the events' times
/// are compared with.
pub struct EventsRead {
    pub events: BTreeMap<String, Vec<StackEvent>>,
    pub read_at: SystemTime,
}

/// The newest events of each of `racks`' stacks (each must have one); every rack that could not be read is
/// an error.
pub async fn read_events(
    config: &Config,
    racks: &[&Rack],
    connector: &dyn Connector,
) -> Result<EventsRead, Vec<ReadError>> {
    let reads = racks.iter().map(|rack| async move {
        let read_error = |error| ReadError::Events {
            rack: rack.id(),
            error,
        };
        let cloud = connector
            .cloud(&config.orgs[&rack.org], &rack.region)
            .await
            .map_err(read_error)?;
        let events = cloud.stack_events(&rack.name).await.map_err(read_error)?;
        Ok::<_, ReadError>((rack.id(), events))
    });
    let mut events = BTreeMap::new();
    let mut errors = Vec::new();
    for read in join_all(reads).await {
        match read {
            Ok((rack, read)) => {
                events.insert(rack, read);
            }
            Err(error) => errors.push(error),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(EventsRead {
        events,
        read_at: connector.now(),
    })
}
