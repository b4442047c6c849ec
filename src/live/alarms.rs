//! The CloudWatch alarms `[rollout] alarms` names for the racks planned: one DescribeAlarms per (account,
//! region), with the credentials of the first org that reaches it, so the plan can refuse an alarm that does
//! not exist or cannot be read before anything is changed.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::join_all;

use crate::cloud::{AlarmState, CloudError, Connector, RegionKey};
use crate::config::{Config, OrgSettings, Rack};

/// (account, region) -> the state of each alarm asked for that exists, or why none could be read.
pub type AlarmReads = BTreeMap<RegionKey, Result<BTreeMap<String, AlarmState>, CloudError>>;

/// What is known of one alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmRead<'a> {
    State(AlarmState),
    /// DescribeAlarms answered without it: there is no alarm of that name there.
    Missing,
    Unreadable(&'a CloudError),
    /// Not asked for (a rack to uninstall, or no `[rollout] alarms`).
    NotRead,
}

/// Reads the alarms of every rack that stays (a rack to uninstall has nothing to watch).
pub async fn read_alarms(
    config: &Config,
    racks: &[Rack],
    accounts: &BTreeMap<String, String>,
    connector: &dyn Connector,
) -> AlarmReads {
    let mut wanted: BTreeMap<RegionKey, (&OrgSettings, BTreeSet<String>)> = BTreeMap::new();
    for rack in racks
        .iter()
        .filter(|rack| !rack.absent && !rack.alarms.is_empty())
    {
        let Some(account) = accounts.get(&rack.org) else {
            continue;
        };
        wanted
            .entry(RegionKey::new(account, &rack.region))
            .or_insert_with(|| (&config.orgs[&rack.org], BTreeSet::new()))
            .1
            .extend(rack.alarms.iter().cloned());
    }
    join_all(wanted.into_iter().map(|(key, (org, names))| async move {
        let names: Vec<String> = names.into_iter().collect();
        let states = match connector.alarms(org, &key.region).await {
            Ok(alarms) => alarms.describe_alarms(&names).await,
            Err(error) => Err(error),
        };
        (key, states)
    }))
    .await
    .into_iter()
    .collect()
}

/// One alarm as read.
pub fn alarm<'a>(reads: &'a AlarmReads, account: &str, region: &str, name: &str) -> AlarmRead<'a> {
    match reads.get(&RegionKey::new(account, region)) {
        None => AlarmRead::NotRead,
        Some(Err(error)) => AlarmRead::Unreadable(error),
        Some(Ok(states)) => match states.get(name) {
            Some(state) => AlarmRead::State(*state),
            None => AlarmRead::Missing,
        },
    }
}
