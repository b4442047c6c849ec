//! A wave's bake: the wait after it completes, watching its racks' alarms. Each poll is one DescribeAlarms
//! per (account, region) the wave's racks live in, whatever the number of racks; the first alarm in ALARM
//! ends the bake, as does Ctrl-C. Apply decides nothing here: the plan gave the duration and the alarms.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
// tokio's clock: a 30-minute bake takes no time on a paused test clock.
use tokio::time::Instant;

use super::context::{Cancel, Context};
use crate::cloud::{AlarmState, Alarms, CloudError, RegionKey};
use crate::plan::{WatchedAlarm, Wave};

/// How often the alarms are read during a bake, and how often a line says how long is left without a
/// terminal: CloudWatch evaluates most alarms once a minute.
pub const ALARM_POLL: Duration = Duration::from_secs(60);

/// How a bake ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BakeEnd {
    /// The whole bake passed with no alarm in ALARM.
    Passed,
    Alarm(WatchedAlarm),
    /// An alarm in INSUFFICIENT_DATA, read where no data holds the next wave (a wave's gate).
    NoData(WatchedAlarm),
    /// An alarm could not be read, or is gone: the wave cannot be shown healthy.
    Unreadable {
        alarm: WatchedAlarm,
        why: AlarmUnread,
    },
    Interrupted,
}

/// Why an alarm of a bake could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlarmUnread {
    /// No CloudWatch client, or DescribeAlarms failed.
    Failed(CloudError),
    /// DescribeAlarms no longer lists it.
    Gone,
}

/// The alarms of one (account, region), read together.
struct AlarmGroup {
    client: Result<Arc<dyn Alarms>, CloudError>,
    names: Vec<String>,
    watched: Vec<WatchedAlarm>,
}

/// Waits `wave.bake_seconds`, polling the wave's alarms every `ALARM_POLL` (at the start and at the end
/// too), reporting the time left after each poll.
pub(super) async fn bake(ctx: &Context<'_>, wave: &Wave) -> BakeEnd {
    let total = Duration::from_secs(wave.bake_seconds);
    let ends = Instant::now() + total;
    let groups = alarm_groups(ctx, &wave.alarms).await;
    ctx.reporter.bake_started(wave, total);
    let mut cancel = ctx.cancel.clone();
    loop {
        if let Some(end) = poll(&groups, false).await {
            return end;
        }
        let now = Instant::now();
        if now >= ends {
            return BakeEnd::Passed;
        }
        let remaining = ends - now;
        ctx.reporter.baking(wave, remaining, total);
        if interrupted_during(&mut cancel, ALARM_POLL.min(remaining)).await {
            return BakeEnd::Interrupted;
        }
    }
}

/// One read of `alarms`, just before a wave starts: what holds it, if anything (ALARM; INSUFFICIENT_DATA
/// unless `missing_data_ok`; an alarm that cannot be read).
pub(super) async fn alarms_hold(
    ctx: &Context<'_>,
    alarms: &[WatchedAlarm],
    missing_data_ok: bool,
) -> Option<BakeEnd> {
    if alarms.is_empty() {
        return None;
    }
    let groups = alarm_groups(ctx, alarms).await;
    poll(&groups, !missing_data_ok).await
}

async fn alarm_groups(ctx: &Context<'_>, alarms: &[WatchedAlarm]) -> Vec<AlarmGroup> {
    let mut by_place: BTreeMap<RegionKey, Vec<WatchedAlarm>> = BTreeMap::new();
    for alarm in alarms {
        by_place
            .entry(RegionKey::new(&alarm.account_id, &alarm.region))
            .or_default()
            .push(alarm.clone());
    }
    let mut groups = Vec::new();
    for (RegionKey { region, .. }, watched) in by_place {
        // Any org of the (account, region) reaches it: the first one's credentials are used.
        let client = ctx
            .connector
            .alarms(&ctx.orgs[&watched[0].org], &region)
            .await;
        let mut names: Vec<String> = watched.iter().map(|a| a.name.clone()).collect();
        names.sort();
        names.dedup();
        groups.push(AlarmGroup {
            client,
            names,
            watched,
        });
    }
    groups
}

/// One read of every group, concurrently; what ends the bake, if anything. `no_data_holds`: an alarm in
/// INSUFFICIENT_DATA ends it too.
async fn poll(groups: &[AlarmGroup], no_data_holds: bool) -> Option<BakeEnd> {
    let reads = join_all(groups.iter().map(|group| async move {
        match &group.client {
            Ok(client) => client
                .describe_alarms(&group.names)
                .await
                .map_err(AlarmUnread::Failed),
            Err(error) => Err(AlarmUnread::Failed(error.clone())),
        }
    }))
    .await;
    for (group, read) in groups.iter().zip(reads) {
        let states = match read {
            Ok(states) => states,
            Err(why) => {
                return Some(BakeEnd::Unreadable {
                    alarm: group.watched[0].clone(),
                    why,
                });
            }
        };
        for alarm in &group.watched {
            match states.get(&alarm.name) {
                Some(AlarmState::Alarm) => return Some(BakeEnd::Alarm(alarm.clone())),
                Some(AlarmState::InsufficientData) if no_data_holds => {
                    return Some(BakeEnd::NoData(alarm.clone()));
                }
                Some(_) => {}
                None => {
                    return Some(BakeEnd::Unreadable {
                        alarm: alarm.clone(),
                        why: AlarmUnread::Gone,
                    });
                }
            }
        }
    }
    None
}

/// Sleeps `wait`, or less when Ctrl-C comes first; whether it did.
async fn interrupted_during(cancel: &mut Cancel, wait: Duration) -> bool {
    if *cancel.borrow() > 0 {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(wait) => false,
        changed = cancel.wait_for(|presses| *presses > 0) => match changed {
            Ok(_) => true,
            // No one can send Ctrl-C any more: the wait is only a wait.
            Err(_) => {
                tokio::time::sleep(wait).await;
                false
            }
        },
    }
}
