//! Each alarm `[rollout] alarms` names, where each declared rack is.

use super::Check;
use crate::config::Config;
use crate::live::{AlarmRead, LiveState};

/// Every alarm `[rollout] alarms` names for a declared rack exists where the rack is, readable with the
/// org's credentials: a rollout would otherwise stop at the plan, or watch nothing.
pub fn alarm_checks(config: &Config, state: &LiveState) -> Vec<Check> {
    let mut checks = Vec::new();
    for rack in config.racks.iter().filter(|rack| !rack.absent) {
        let Ok(key) = state.key_of(rack) else {
            continue;
        };
        let account = &key.account;
        let installed = state.stack(&key).is_some();
        let place = format!("account {account} ({})", rack.region);
        for name in &rack.alarms {
            let what = format!("alarm {name} of {}", rack.id());
            checks.push(match state.alarm(account, &rack.region, name) {
                AlarmRead::State(alarm_state) => Check::pass(format!(
                    "{what}: exists in {place} ({})",
                    alarm_state.word()
                )),
                AlarmRead::Missing if !installed => Check::skip(format!(
                    "{what}: does not exist yet in {place}; the rack is not installed"
                )),
                AlarmRead::Missing => Check::fail(
                    format!("{what}: does not exist in {place}"),
                    Some("create it, or correct `alarms` in [rollout]".into()),
                ),
                AlarmRead::Unreadable(error) => Check::fail(
                    format!("{what}: cannot be read in {place}: {error}"),
                    Some(format!(
                        "the credentials of org `{}` need cloudwatch:DescribeAlarms there",
                        rack.org
                    )),
                ),
                AlarmRead::NotRead => Check::skip(format!("{what}: not read")),
            });
        }
    }
    checks
}
