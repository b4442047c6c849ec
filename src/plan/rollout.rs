//! Placing the planned racks in the waves of `[rollout]`: each joins the first wave one of whose globs
//! matches its `org/name`; a wave's failure tolerance becomes a count of its racks; its bake and the alarms
//! watched during it are decided here, so apply only follows the waves. Pure: the alarms were read by
//! `live`.

use serde::{Deserialize, Serialize};

use super::{Action, PlanProblem, RackPlan};
use crate::cloud::CloudErrorKind;
use crate::config::{Rack, Rollout};
use crate::live::{AlarmRead, LiveState, Reads};

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

/// The waves of `planned` (the plan of the racks `live` holds, in the same order), each rack's alarms
/// checked against what was read. Notes about alarms not yet there for a new rack are added to its plan.
pub fn place_in_waves(
    rollout: &Rollout,
    live: &LiveState,
    planned: &mut [RackPlan],
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
    let mut watched: Vec<Vec<WatchedAlarm>> = vec![Vec::new(); rollout.waves.len()];
    for (wave, indices) in members.iter().enumerate() {
        for &index in indices {
            let (Some(reads), Some(plan)) = (racks.get(index), planned.get_mut(index)) else {
                continue;
            };
            match watched_alarms(&reads.rack, &reads.reads, plan) {
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
    reads: &Reads,
    plan: &mut RackPlan,
) -> Result<Vec<WatchedAlarm>, Vec<PlanProblem>> {
    // A rack to uninstall has nothing to watch.
    let Reads::Present(present) = reads else {
        return Ok(Vec::new());
    };
    let new_rack = plan.stack.is_none();
    let mut watched = Vec::new();
    let mut problems = Vec::new();
    let place = format!("account {} ({})", plan.account_id, plan.region);
    for (name, read) in &present.alarms {
        let span = rack.spans.alarms.get(name).cloned();
        match read {
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
        plan.waves = place_in_waves(rollout, &state, &mut plan.racks).unwrap();
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
            fresh
                .notes
                .iter()
                .any(|note| note.contains("alarm rack-fresh-5xx does not exist yet")),
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
        let problems = place_in_waves(&only_web, &state, &mut plan.racks).unwrap_err();
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
        let problems = place_in_waves(&every, &state, &mut plan.racks).unwrap_err();
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
        let problems = place_in_waves(&every, &state, &mut plan.racks).unwrap_err();
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
}
