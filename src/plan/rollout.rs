//! Placing the planned racks in the waves of `[rollout]`: each joins the first wave one of whose globs
//! matches its `org/name`; a wave's failure tolerance becomes a count of its racks; its bake and the alarms
//! watched during it are decided here, so apply only follows the waves. Pure: the alarms were read by
//! `live`.

use serde::{Deserialize, Serialize};

use super::{Action, PlanProblem, RackPlan};
use crate::cloud::CloudErrorKind;
use crate::config::{Rack, Rollout};
use crate::live::{AlarmRead, LiveState};

/// One wave of a rollout, as apply runs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wave {
    /// From 1, in the order of `[rollout] waves`.
    pub number: usize,
    /// The globs that define it, as racks.toml writes them.
    pub globs: Vec<String>,
    /// The planned racks in it (`org/name`), in plan order.
    pub racks: Vec<String>,
    /// Racks changing at once; `None`: apply's `--parallelism`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent: Option<usize>,
    /// Failed racks the wave may have; one more stops the rollout (a percentage is already a count of the
    /// racks it changes).
    pub failure_tolerance: usize,
    /// How long apply waits after the wave, watching `alarms`, before it starts the next; 0 for a wave
    /// skipped or followed by no wave with work.
    pub bake_seconds: u64,
    /// The alarms watched during the bake: one in ALARM stops the rollout.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarms: Vec<WatchedAlarm>,
    /// Nothing in it to change: apply skips it, bake included.
    pub skipped: bool,
}

impl Wave {
    /// The racks of the wave apply has something to do with.
    pub fn to_change<'a>(&self, racks: &'a [RackPlan]) -> Vec<&'a RackPlan> {
        racks
            .iter()
            .filter(|rack| self.racks.contains(&rack.rack) && has_work(rack))
            .collect()
    }
}

/// A CloudWatch alarm of a rack, in the rack's own account and region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchedAlarm {
    pub rack: String,
    pub org: String,
    pub account_id: String,
    pub region: String,
    pub name: String,
}

/// Whether apply does anything with the rack: a change, or a rack blocked (reported, and counted as a
/// failure of its wave: a canary that cannot be changed proves nothing about the release).
fn has_work(rack: &RackPlan) -> bool {
    !matches!(rack.action, Action::Unchanged)
}

/// The waves of `planned` (the plan of `racks`, in the same order), each rack's alarms checked against what
/// was read. Notes about alarms not yet there for a new rack are added to its plan.
pub fn place_in_waves(
    rollout: &Rollout,
    racks: &[Rack],
    planned: &mut [RackPlan],
    live: &LiveState,
) -> Result<Vec<Wave>, Vec<PlanProblem>> {
    let mut problems = Vec::new();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); rollout.waves.len()];
    for (index, rack) in racks.iter().enumerate() {
        let id = rack.id();
        match rollout.waves.iter().position(|wave| wave.matches(&id)) {
            Some(wave) => members[wave].push(index),
            None => problems.push(PlanProblem {
                rack: id,
                message: "the rack is in no wave of [rollout]".into(),
                hint: Some(
                    "add a glob that matches it, or a last wave of every other rack: [\"*\"]"
                        .into(),
                ),
                span: Some(rack.spans.name.clone()),
            }),
        }
    }
    let mut watched: Vec<Vec<WatchedAlarm>> = vec![Vec::new(); rollout.waves.len()];
    for (wave, indices) in members.iter().enumerate() {
        for &index in indices {
            match watched_alarms(&racks[index], &mut planned[index], live) {
                Ok(mut alarms) => watched[wave].append(&mut alarms),
                Err(mut found) => problems.append(&mut found),
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let with_work: Vec<bool> = members
        .iter()
        .map(|indices| indices.iter().any(|&index| has_work(&planned[index])))
        .collect();
    let bake_seconds = rollout.bake.as_secs();
    Ok(rollout
        .waves
        .iter()
        .enumerate()
        .map(|(wave, rule)| {
            let changing = members[wave]
                .iter()
                .filter(|&&index| has_work(&planned[index]))
                .count();
            // A bake waits for the next wave; after the last wave with work nothing is waiting.
            let next_has_work = with_work[wave + 1..].iter().any(|work| *work);
            let bakes = with_work[wave] && next_has_work && bake_seconds > 0;
            Wave {
                number: wave + 1,
                globs: rule.globs.iter().map(|glob| glob.text.clone()).collect(),
                racks: members[wave]
                    .iter()
                    .map(|&index| planned[index].rack.clone())
                    .collect(),
                max_concurrent: rollout.max_concurrent,
                failure_tolerance: rollout.failure_tolerance.count_of(changing),
                bake_seconds: if bakes { bake_seconds } else { 0 },
                alarms: if bakes {
                    std::mem::take(&mut watched[wave])
                } else {
                    Vec::new()
                },
                skipped: !with_work[wave],
            }
        })
        .collect())
}

/// The alarms of one rack apply watches. An alarm that does not exist is a problem for a live rack (a typo
/// would watch nothing); for a rack not yet installed it cannot exist yet, and the rack's plan says so.
fn watched_alarms(
    rack: &Rack,
    plan: &mut RackPlan,
    live: &LiveState,
) -> Result<Vec<WatchedAlarm>, Vec<PlanProblem>> {
    if matches!(plan.action, Action::Uninstall(_)) || rack.absent {
        return Ok(Vec::new());
    }
    let new_rack = plan.stack.is_none();
    let mut watched = Vec::new();
    let mut problems = Vec::new();
    let place = format!("account {} ({})", plan.account_id, plan.region);
    for name in &rack.alarms {
        let span = rack.spans.alarms.get(name).cloned();
        match live.alarm(&plan.account_id, &plan.region, name) {
            AlarmRead::State(_) => watched.push(WatchedAlarm {
                rack: plan.rack.clone(),
                org: plan.org.clone(),
                account_id: plan.account_id.clone(),
                region: plan.region.clone(),
                name: name.clone(),
            }),
            AlarmRead::Missing if new_rack => plan.notes.push(format!(
                "alarm {name} does not exist yet in {place}: it is not watched while this new rack's wave bakes"
            )),
            AlarmRead::Missing => problems.push(PlanProblem {
                rack: plan.rack.clone(),
                message: format!("alarm {name} does not exist in {place}"),
                hint: Some(
                    "create it, or correct `alarms` in [rollout] ({org}, {name} and {region} are the rack's)"
                        .into(),
                ),
                span,
            }),
            AlarmRead::Unreadable(error) => problems.push(PlanProblem {
                rack: plan.rack.clone(),
                message: format!("cannot read alarm {name} in {place}: {error}"),
                hint: match error.kind {
                    CloudErrorKind::AccessDenied => Some(format!(
                        "the credentials of org `{}` need cloudwatch:DescribeAlarms there",
                        plan.org
                    )),
                    _ => error.hint().map(str::to_string),
                },
                span,
            }),
            AlarmRead::NotRead => problems.push(PlanProblem {
                rack: plan.rack.clone(),
                message: format!("alarm {name} in {place} was not read"),
                hint: Some("this is a bug in rackfile: please report it".into()),
                span,
            }),
        }
    }
    if problems.is_empty() {
        Ok(watched)
    } else {
        Err(problems)
    }
}
