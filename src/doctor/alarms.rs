//! Each alarm `[rollout] alarms` names, where each declared rack is.

use super::Check;
use crate::live::{AlarmRead, LiveState};

/// Every alarm `[rollout] alarms` names for a declared rack exists where the rack is, readable with the
/// org's credentials: a rollout would otherwise stop at the plan, or watch nothing. `state` is a read of
/// every declared rack.
pub fn alarm_checks(state: &LiveState) -> Vec<Check> {
    let mut checks = Vec::new();
    for reads in state.racks() {
        let rack = &reads.rack;
        // A rack to uninstall has nothing to watch.
        if rack.absent {
            continue;
        }
        let installed = state.stack(&reads.key).is_some();
        let place = format!("account {} ({})", reads.key.account, rack.region);
        for (name, read) in &state.alarms_of(rack, &reads.key) {
            let what = format!("alarm {name} of {}", rack.id());
            checks.push(match read {
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
                        "the credentials of org `{}` need cloudwatch:DescribeAlarms there (`rackfile permissions plan` prints the policy)",
                        rack.org
                    )),
                ),
            });
        }
    }
    checks
}
