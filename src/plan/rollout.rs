//! Placing the planned racks in the waves of `[rollout]`: each joins the first wave one of whose globs
//! matches its `org/name`; a wave's failure tolerance becomes a count of its racks; its bake and the alarms
//! watched during it are decided here, so apply only follows the waves. Pure: the alarms were read by
//! `live`, and the time is given.
//!
//! Each wave's gate needs no memory of earlier runs: it is read from the earlier waves as they are now
//! (an alarm in ALARM, or INSUFFICIENT_DATA unless `missing_data = "ok"`; racks last updated less than
//! `bake` ago), so a rollout stopped by an alarm, or interrupted during a bake, is not resumed past it.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::{Action, Note, PlanProblem, RackPlan};
use crate::cloud::{AlarmState, CloudErrorKind};
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
    /// What holds the wave before it starts, from the earlier waves as read when planned; empty for a wave
    /// skipped, and for one that only waits for earlier waves of this run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<WaveGate>,
    /// Every alarm of the earlier waves' racks: apply reads them again just before the wave starts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gate_alarms: Vec<WatchedAlarm>,
    /// `[rollout] missing_data = "ok"`: an alarm in INSUFFICIENT_DATA does not hold the next wave.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub missing_data_ok: bool,
}

/// What holds a wave before it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WaveGate {
    /// An earlier wave with nothing to change now was changed less than `bake` ago (its racks' stacks'
    /// LastUpdatedTime): apply waits out the rest, watching that wave's alarms.
    Bake { wave: usize, remaining_seconds: u64 },
    /// An alarm of an earlier wave's rack is in ALARM, or in INSUFFICIENT_DATA (without `missing_data =
    /// "ok"`): apply does not start the wave.
    Alarm {
        wave: usize,
        alarm: WatchedAlarm,
        state: AlarmState,
    },
}

impl Wave {
    /// The longest wait for an earlier wave's bake, and that wave's number.
    pub fn bake_wait(&self) -> Option<(usize, Duration)> {
        self.gates
            .iter()
            .filter_map(|gate| match gate {
                WaveGate::Bake {
                    wave,
                    remaining_seconds,
                } => Some((*wave, Duration::from_secs(*remaining_seconds))),
                WaveGate::Alarm { .. } => None,
            })
            .max_by_key(|(_, remaining)| *remaining)
    }

    /// Whether an alarm holds the wave.
    pub fn held_by_alarm(&self) -> Option<(&WatchedAlarm, AlarmState)> {
        self.gates.iter().find_map(|gate| match gate {
            WaveGate::Alarm { alarm, state, .. } => Some((alarm, *state)),
            WaveGate::Bake { .. } => None,
        })
    }
}

/// Whether an alarm in `state` holds a later wave.
pub fn holds(state: AlarmState, missing_data_ok: bool) -> bool {
    match state {
        AlarmState::Alarm => true,
        AlarmState::InsufficientData => !missing_data_ok,
        AlarmState::Ok => false,
    }
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

/// The waves of `planned` (the plan of the racks `live` holds, in the same order), each rack's alarms
/// checked against what was read, each wave's gate decided at `now`. Notes about alarms not yet there for
/// a new rack are added to its plan.
pub fn place_in_waves(
    rollout: &Rollout,
    live: &LiveState,
    planned: &mut [RackPlan],
    now: SystemTime,
) -> Result<Vec<Wave>, Vec<PlanProblem>> {
    let mut problems = Vec::new();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); rollout.waves.len()];
    let racks = live.racks();
    for (index, rack) in racks.iter().map(|reads| &reads.rack).enumerate() {
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
    let mut watched: Vec<Vec<(WatchedAlarm, AlarmState)>> = vec![Vec::new(); rollout.waves.len()];
    for (wave, indices) in members.iter().enumerate() {
        for &index in indices {
            let (Some(reads), Some(plan)) = (racks.get(index), planned.get_mut(index)) else {
                continue;
            };
            // A rack to uninstall has nothing to watch.
            let alarms = match reads.rack.absent {
                true => Vec::new(),
                false => live.alarms_of(&reads.rack, &reads.key),
            };
            match watched_alarms(&reads.rack, &alarms, plan) {
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
    let gates: Vec<Vec<WaveGate>> = (0..rollout.waves.len())
        .map(|wave| {
            if !with_work[wave] {
                return Vec::new();
            }
            let mut gates = Vec::new();
            for earlier in 0..wave {
                for (alarm, state) in &watched[earlier] {
                    if holds(*state, rollout.missing_data_ok) {
                        gates.push(WaveGate::Alarm {
                            wave: earlier + 1,
                            alarm: alarm.clone(),
                            state: *state,
                        });
                    }
                }
                // A wave with work in this run is baked by this run, after it.
                if !with_work[earlier]
                    && let Some(remaining) =
                        unserved_bake(&members[earlier], planned, rollout.bake, now)
                {
                    gates.push(WaveGate::Bake {
                        wave: earlier + 1,
                        remaining_seconds: remaining.as_secs(),
                    });
                }
            }
            gates
        })
        .collect();
    let gate_alarms: Vec<Vec<WatchedAlarm>> = (0..rollout.waves.len())
        .map(|wave| {
            watched[..wave]
                .iter()
                .flatten()
                .map(|(alarm, _)| alarm.clone())
                .collect()
        })
        .collect();
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
                    watched[wave]
                        .iter()
                        .map(|(alarm, _)| alarm.clone())
                        .collect()
                } else {
                    Vec::new()
                },
                skipped: !with_work[wave],
                gates: gates[wave].clone(),
                gate_alarms: if with_work[wave] {
                    gate_alarms[wave].clone()
                } else {
                    Vec::new()
                },
                missing_data_ok: rollout.missing_data_ok,
            }
        })
        .collect())
}

/// How much of `bake` is left since the newest change to the racks of a wave (`members`, indices of
/// `planned`) at `now`; `None` when it is served, or no rack of the wave has a stack. A time that cannot be
/// read counts as a change just now: the bake is never taken as served on a guess.
fn unserved_bake(
    members: &[usize],
    planned: &[RackPlan],
    bake: Duration,
    now: SystemTime,
) -> Option<Duration> {
    if bake.is_zero() {
        return None;
    }
    let newest = members
        .iter()
        .filter_map(|&index| planned[index].stack.as_ref())
        .map(|stack| humantime::parse_rfc3339_weak(&stack.last_updated).unwrap_or(now))
        .max()?;
    let served = now.duration_since(newest).unwrap_or(Duration::ZERO);
    let remaining = bake.saturating_sub(served);
    // Whole seconds, rounded up: a bake is never cut short by a fraction.
    let remaining =
        Duration::from_secs(remaining.as_secs() + u64::from(remaining.subsec_nanos() > 0));
    (!remaining.is_zero()).then_some(remaining)
}

/// The alarms of one rack apply watches, with their state as read. An alarm that does not exist is a
/// problem for a live rack (a typo would watch nothing); for a rack not yet installed it cannot exist yet,
/// and the rack's plan says so.
fn watched_alarms(
    rack: &Rack,
    alarms: &[(String, AlarmRead)],
    plan: &mut RackPlan,
) -> Result<Vec<(WatchedAlarm, AlarmState)>, Vec<PlanProblem>> {
    let new_rack = plan.stack.is_none();
    let mut watched = Vec::new();
    let mut problems = Vec::new();
    let place = format!("account {} ({})", plan.account_id, plan.region);
    for (name, read) in alarms {
        let span = rack.spans.alarms.get(name).cloned();
        match read {
            AlarmRead::State(state) => watched.push((
                WatchedAlarm {
                    rack: plan.rack.clone(),
                    org: plan.org.clone(),
                    account_id: plan.account_id.clone(),
                    region: plan.region.clone(),
                    name: name.clone(),
                },
                *state,
            )),
            AlarmRead::Missing if new_rack => plan.notes.push(Note::AlarmNotYet {
                alarm: name.clone(),
                account_id: plan.account_id.clone(),
                region: plan.region.clone(),
            }),
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
                        "the credentials of org `{}` need cloudwatch:DescribeAlarms there (`rackfile permissions plan` prints the policy)",
                        plan.org
                    )),
                    _ => error.hint().map(str::to_string),
                },
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::diff::test_support::*;
    use super::*;
    use crate::cloud::AlarmState;
    use crate::config::{Tolerance, WaveGlob, WaveRule};

    fn rollout(waves: &[&[&str]], tolerance: Tolerance, bake: u64) -> Rollout {
        Rollout {
            waves: waves
                .iter()
                .map(|globs| WaveRule {
                    globs: globs
                        .iter()
                        .map(|glob| WaveGlob::new(glob, 0..1).unwrap())
                        .collect(),
                })
                .collect(),
            max_concurrent: Some(2),
            failure_tolerance: tolerance,
            bake: Duration::from_secs(bake),
            waves_span: 0..1,
            missing_data_ok: false,
            rollback_minutes: None,
        }
    }

    fn named(name: &str, count: u32) -> (Rack, Stack) {
        let mut rack = rack();
        rack.name = name.into();
        rack.instance_count = Some(count);
        rack.alarms = vec![format!("rack-{name}-5xx")];
        rack.spans.alarms = BTreeMap::from([(format!("rack-{name}-5xx"), 5..9)]);
        let mut stack = stack("UPDATE_COMPLETE");
        stack.name = name.into();
        stack.stack_id = format!("arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/{name}/1");
        (rack, stack)
    }

    /// canary and four web racks change, staging does not, `fresh` is new; every live rack's alarm exists.
    fn fleet() -> (Vec<Rack>, LiveStateBuilder) {
        let mut racks = Vec::new();
        let mut stacks = Vec::new();
        for (name, count) in [
            ("canary", 4),
            ("staging", 3),
            ("web-1", 4),
            ("web-2", 4),
            ("web-3", 4),
            ("web-4", 4),
        ] {
            let (rack, stack) = named(name, count);
            racks.push(rack);
            stacks.push(stack);
        }
        let (fresh, _) = named("fresh", 3);
        racks.push(fresh);
        let mut state = live(stacks.clone(), &racks[0]);
        let states = stacks
            .iter()
            .map(|stack| (format!("rack-{}-5xx", stack.name), AlarmState::Ok))
            .collect();
        state.record_alarms(RegionKey::new(ACCOUNT, "us-east-1"), Ok(states));
        (racks, state)
    }

    fn waves_of(rollout: &Rollout, racks: &[Rack], world: &LiveStateBuilder) -> Plan {
        let state = world.build(racks);
        let mut plan = diff(&config(), &state, false).unwrap();
        plan.waves = place_in_waves(rollout, &state, &mut plan.racks, SystemTime::now()).unwrap();
        plan
    }

    #[test]
    fn each_rack_joins_its_first_matching_wave_and_a_wave_without_work_is_skipped_with_its_bake() {
        let (racks, world) = fleet();
        let rollout = rollout(
            &[
                &["personal/canary"],
                &["*/staging*"],
                &["personal/web-*"],
                &["*"],
            ],
            Tolerance::Percent(25),
            1800,
        );
        let plan = waves_of(&rollout, &racks, &world);
        let waves: Vec<(Vec<&str>, usize, u64, usize, bool)> = plan
            .waves
            .iter()
            .map(|wave| {
                (
                    wave.racks.iter().map(String::as_str).collect(),
                    wave.failure_tolerance,
                    wave.bake_seconds,
                    wave.alarms.len(),
                    wave.skipped,
                )
            })
            .collect();
        assert_eq!(
            waves,
            vec![
                (vec!["personal/canary"], 0, 1800, 1, false),
                (vec!["personal/staging"], 0, 0, 0, true),
                (
                    vec![
                        "personal/web-1",
                        "personal/web-2",
                        "personal/web-3",
                        "personal/web-4"
                    ],
                    1,
                    1800,
                    4,
                    false
                ),
                // The last wave with work bakes for no one.
                (vec!["personal/fresh"], 0, 0, 0, false),
            ]
        );
        let fresh = plan.racks.iter().find(|r| r.name == "fresh").unwrap();
        assert!(
            fresh.notes.iter().any(
                |note| matches!(note, Note::AlarmNotYet { alarm, .. } if alarm == "rack-fresh-5xx")
            ),
            "{:?}",
            fresh.notes
        );
        let json = serde_json::to_value(&plan).unwrap();
        assert_eq!(json["waves"][0]["alarms"][0]["name"], "rack-canary-5xx");

        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| {
            insta::assert_snapshot!(
                "the_human_plan_of_a_rollout_in_waves",
                crate::render::human_plan(&plan, crate::render::Style::Plain)
            );
            insta::assert_snapshot!(
                "the_markdown_plan_of_a_rollout_in_waves",
                crate::render::markdown_plan(&plan)
            );
        });
    }

    #[test]
    fn without_a_rollout_the_plan_serialises_as_before_waves_existed() {
        let (racks, world) = fleet();
        let plan = diff(&config(), &world.build(&racks), false).unwrap();
        let json = serde_json::to_value(&plan).unwrap();
        assert!(json.get("waves").is_none(), "{json}");
        let back: Plan = serde_json::from_value(json).unwrap();
        assert!(back.waves.is_empty());
    }

    #[test]
    fn a_rack_in_no_wave_and_a_missing_or_unreadable_alarm_are_problems_naming_the_rack() {
        let (racks, mut world) = fleet();
        let only_web = rollout(&[&["personal/web-*"]], Tolerance::Count(0), 60);
        let state = world.build(&racks);
        let mut plan = diff(&config(), &state, false).unwrap();
        let problems =
            place_in_waves(&only_web, &state, &mut plan.racks, SystemTime::now()).unwrap_err();
        let in_no_wave: Vec<&str> = problems.iter().map(|p| p.rack.as_str()).collect();
        assert_eq!(
            in_no_wave,
            ["personal/canary", "personal/staging", "personal/fresh"]
        );
        assert!(problems[0].message.contains("in no wave"));

        let every = rollout(&[&["*"]], Tolerance::Count(0), 60);
        // As `fleet` reads them (an alarm for each installed rack: not the fresh one), web-2's gone.
        let all_but_web_2 = racks
            .iter()
            .filter(|rack| rack.name != "fresh")
            .map(|rack| format!("rack-{}-5xx", rack.name))
            .filter(|name| name != "rack-web-2-5xx")
            .map(|name| (name, AlarmState::Ok))
            .collect();
        world.record_alarms(RegionKey::new(ACCOUNT, "us-east-1"), Ok(all_but_web_2));
        let state = world.build(&racks);
        let mut plan = diff(&config(), &state, false).unwrap();
        let problems =
            place_in_waves(&every, &state, &mut plan.racks, SystemTime::now()).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].rack, "personal/web-2");
        assert_eq!(
            problems[0].message,
            "alarm rack-web-2-5xx does not exist in account 123456789012 (us-east-1)"
        );
        assert_eq!(problems[0].span, Some(5..9), "at the `alarms` entry");

        world.record_alarms(
            RegionKey::new(ACCOUNT, "us-east-1"),
            Err(CloudError::new(
                CloudErrorKind::AccessDenied,
                "AccessDenied: not authorized to perform cloudwatch:DescribeAlarms",
            )),
        );
        let state = world.build(&racks);
        let mut plan = diff(&config(), &state, false).unwrap();
        let problems =
            place_in_waves(&every, &state, &mut plan.racks, SystemTime::now()).unwrap_err();
        assert_eq!(problems.len(), racks.len(), "every rack, the new one too");
        assert!(problems[0].message.starts_with(
            "cannot read alarm rack-canary-5xx in account 123456789012 (us-east-1): AccessDenied"
        ));
        assert_eq!(
            problems[0].hint.as_deref(),
            Some(
                "the credentials of org `personal` need cloudwatch:DescribeAlarms there (`rackfile permissions plan` prints the policy)"
            )
        );
    }

    /// canary (converged: count 3, last updated 2026-11-01T00:00:00Z) then web-1 (to change), each with
    /// its alarm in `canary_alarm` / OK; the plan made `minutes` after the canary's last update.
    fn canary_then_web(canary_alarm: AlarmState, missing_data_ok: bool, minutes: u64) -> Plan {
        let (canary, canary_stack) = named("canary", 3);
        let (web, web_stack) = named("web-1", 4);
        let racks = vec![canary, web];
        let mut world = live(vec![canary_stack, web_stack], &racks[0]);
        world.record_alarms(
            RegionKey::new(ACCOUNT, "us-east-1"),
            Ok(BTreeMap::from([
                ("rack-canary-5xx".to_string(), canary_alarm),
                ("rack-web-1-5xx".to_string(), AlarmState::Ok),
            ])),
        );
        let mut rollout = rollout(&[&["personal/canary"], &["*"]], Tolerance::Count(0), 1800);
        rollout.missing_data_ok = missing_data_ok;
        let state = world.build(&racks);
        let mut plan = diff(&config(), &state, false).unwrap();
        let updated = humantime::parse_rfc3339("2026-11-01T00:00:00Z").unwrap();
        let now = updated + Duration::from_secs(minutes * 60);
        plan.waves = place_in_waves(&rollout, &state, &mut plan.racks, now).unwrap();
        plan
    }

    #[test]
    fn a_converged_wave_changed_less_than_its_bake_ago_makes_the_next_wave_wait_out_the_rest() {
        let plan = canary_then_web(AlarmState::Ok, false, 18);
        assert!(plan.waves[0].skipped, "{:?}", plan.waves[0]);
        assert_eq!(
            plan.waves[1].gates,
            [WaveGate::Bake {
                wave: 1,
                remaining_seconds: 12 * 60
            }]
        );
        assert_eq!(plan.waves[1].gate_alarms.len(), 1, "the canary's alarm");
        assert_eq!(
            crate::render::waves::header(&plan.waves[1], 2),
            "Wave 2 of 2: *; waits 12m for wave 1's bake"
        );
        let json = serde_json::to_value(&plan).unwrap();
        assert_eq!(
            json["waves"][1]["gates"][0],
            serde_json::json!({"kind": "bake", "wave": 1, "remaining_seconds": 720})
        );
        // Served: nothing holds the wave.
        let served = canary_then_web(AlarmState::Ok, false, 31);
        assert_eq!(served.waves[1].gates, []);
    }

    #[test]
    fn an_alarm_of_an_earlier_wave_in_alarm_or_without_data_holds_the_next_wave() {
        for (state, missing_data_ok, held) in [
            (AlarmState::Alarm, false, true),
            (AlarmState::Alarm, true, true),
            (AlarmState::InsufficientData, false, true),
            (AlarmState::InsufficientData, true, false),
            (AlarmState::Ok, false, false),
        ] {
            let plan = canary_then_web(state, missing_data_ok, 60);
            let gate = plan.waves[1].held_by_alarm();
            assert_eq!(
                gate.is_some(),
                held,
                "{state:?}, missing_data_ok {missing_data_ok}"
            );
            if held {
                assert_eq!(
                    crate::render::waves::header(&plan.waves[1], 2),
                    format!("Wave 2 of 2: *; held: rack-canary-5xx in {}", state.word())
                );
            }
        }
    }
}
