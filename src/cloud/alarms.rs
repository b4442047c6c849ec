//! CloudWatch alarms as a rollout reads them: which exist and what state each is in, per account and
//! region. One DescribeAlarms answers every alarm of an (account, region) at once (up to 100 names).

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::CloudError;

/// DescribeAlarms takes at most this many AlarmNames per call.
pub const MAX_ALARM_NAMES_PER_CALL: usize = 100;

/// An alarm's state as CloudWatch reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmState {
    Ok,
    /// What stops a rollout.
    Alarm,
    InsufficientData,
}

impl AlarmState {
    /// CloudWatch's own word for it.
    pub fn word(self) -> &'static str {
        match self {
            AlarmState::Ok => "OK",
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "OK" => Some(AlarmState::Ok),
            "ALARM" => Some(AlarmState::Alarm),
            "INSUFFICIENT_DATA" => Some(AlarmState::InsufficientData),
            _ => None,
        }
    }
}

/// CloudWatch in one account and region, already authenticated.
#[async_trait]
pub trait Alarms: Send + Sync {
    /// The state of each named alarm (metric or composite) that exists; a name with no alarm is absent from
    /// the answer. One DescribeAlarms per `MAX_ALARM_NAMES_PER_CALL` names.
    async fn describe_alarms(
        &self,
        names: &[String],
    ) -> Result<BTreeMap<String, AlarmState>, CloudError>;
}
