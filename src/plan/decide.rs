//! `decide`: the whole plan as one pure function of racks.toml and the facts of every round: the diff, then
//! the preflight checks of the racks that change (when their facts were read) and the rollout's waves
//! (at the time the facts were read). A plan made here is final: nothing changes it after.

use crate::config::Config;
use crate::live::LiveState;

use super::{Plan, PlanProblem, diff, place_in_waves, preflight};

/// The plan of the racks `live` holds: `diff`, with the preflight checks when `live` holds their facts,
/// placed in waves when racks.toml has a `[rollout]` (decided at `live`'s time, the time it was read).
pub fn decide(config: &Config, live: &LiveState, recover: bool) -> Result<Plan, Vec<PlanProblem>> {
    let mut plan = diff(config, live, recover)?;
    if let Some((facts, today)) = live.preflight() {
        preflight::conclude(&mut plan, live, facts, today);
    }
    if let (Some(rollout), Some(now)) = (&config.rollout, live.read_at()) {
        plan.waves = place_in_waves(rollout, live, &mut plan.racks, now)?;
    }
    Ok(plan)
}
