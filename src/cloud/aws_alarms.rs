//! The `Alarms` trait over the official CloudWatch SDK.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{AlarmType, StateValue};

use super::aws_error::sdk_error;
use super::{AlarmState, Alarms, CloudError, MAX_ALARM_NAMES_PER_CALL};

pub struct AwsAlarms {
    client: aws_sdk_cloudwatch::Client,
}

impl AwsAlarms {
    pub fn new(client: aws_sdk_cloudwatch::Client) -> Self {
        Self { client }
    }
}

fn state_of(value: &StateValue) -> Option<AlarmState> {
    AlarmState::parse(value.as_str())
}

#[async_trait]
impl Alarms for AwsAlarms {
    async fn describe_alarms(
        &self,
        names: &[String],
    ) -> Result<BTreeMap<String, AlarmState>, CloudError> {
        let mut states = BTreeMap::new();
        for chunk in names.chunks(MAX_ALARM_NAMES_PER_CALL) {
            // Without AlarmTypes, DescribeAlarms answers metric alarms only: a composite alarm would
            // look missing.
            let mut pages = self
                .client
                .describe_alarms()
                .set_alarm_names(Some(chunk.to_vec()))
                .alarm_types(AlarmType::MetricAlarm)
                .alarm_types(AlarmType::CompositeAlarm)
                .max_records(100)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(sdk_error)?;
                let metric = page
                    .metric_alarms()
                    .iter()
                    .map(|alarm| (alarm.alarm_name(), alarm.state_value()));
                let composite = page
                    .composite_alarms()
                    .iter()
                    .map(|alarm| (alarm.alarm_name(), alarm.state_value()));
                for (name, state) in metric.chain(composite) {
                    if let (Some(name), Some(state)) = (name, state.and_then(state_of)) {
                        states.insert(name.to_string(), state);
                    }
                }
            }
        }
        Ok(states)
    }
}
