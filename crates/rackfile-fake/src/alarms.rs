//! The fake's CloudWatch alarms: each takes its states at times on tokio's clock; DescribeAlarms asks for
//! at most `MAX_ALARM_NAMES_PER_CALL` names a call, and may be denied per account and region.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use rackfile::cloud::{AlarmState, Alarms, CloudError, CloudErrorKind, MAX_ALARM_NAMES_PER_CALL};
use tokio::time::Instant;

use crate::{Call, FakeAws};

/// The fake CloudWatch alarms of one account and region.
pub(crate) struct FakeAlarms {
    pub(crate) aws: FakeAws,
    pub(crate) account: String,
    pub(crate) region: String,
}

#[async_trait]
impl Alarms for FakeAlarms {
    async fn describe_alarms(
        &self,
        names: &[String],
    ) -> Result<BTreeMap<String, AlarmState>, CloudError> {
        let mut world = self.aws.world();
        let now = Instant::now();
        let mut states = BTreeMap::new();
        for chunk in names.chunks(MAX_ALARM_NAMES_PER_CALL) {
            world.calls.push(Call {
                at: Instant::now(),
                operation: "DescribeAlarms",
                account: self.account.clone(),
                region: self.region.clone(),
            });
            if world
                .alarms_denied
                .contains(&(self.account.clone(), self.region.clone()))
            {
                return Err(CloudError::new(
                    CloudErrorKind::AccessDenied,
                    "AccessDenied: User is not authorized to perform: cloudwatch:DescribeAlarms",
                ));
            }
            for name in chunk {
                let key = (self.account.clone(), self.region.clone(), name.clone());
                let state = world.alarms.get(&key).and_then(|timeline| {
                    timeline
                        .iter()
                        .take_while(|(from, _)| *from <= now)
                        .last()
                        .map(|(_, state)| *state)
                });
                if let Some(state) = state {
                    states.insert(name.clone(), state);
                }
            }
        }
        Ok(states)
    }
}

impl FakeAws {
    /// A CloudWatch alarm in `state` from now on.
    pub fn add_alarm(&self, account: &str, region: &str, name: &str, state: AlarmState) {
        self.set_alarm_state_after(account, region, name, state, Duration::ZERO);
    }

    /// The alarm goes to `state` once `after` has passed on tokio's clock (instantly on a paused clock
    /// that a test advances), as SetAlarmState or a breached metric would put it.
    pub fn set_alarm_state_after(
        &self,
        account: &str,
        region: &str,
        name: &str,
        state: AlarmState,
        after: Duration,
    ) {
        let mut world = self.world();
        let timeline = world
            .alarms
            .entry((account.to_string(), region.to_string(), name.to_string()))
            .or_default();
        timeline.push((Instant::now() + after, state));
        timeline.sort_by_key(|(from, _)| *from);
    }

    /// The credentials of `account` may not call DescribeAlarms in `region`.
    pub fn deny_alarms(&self, account: &str, region: &str) {
        self.world()
            .alarms_denied
            .insert((account.to_string(), region.to_string()));
    }
}
