//! The wave loop: the plan's waves one after another, each run to completion (every step of every upgrade
//! in it), then baked, before the next starts. A wave whose failures pass its tolerance, or whose alarm goes
//! to ALARM during its bake, stops the rollout: later waves are not started. A plan without waves is one
//! wave of every rack. The plan decided every wave's racks, tolerance, bake and alarms; this only follows.

// tokio's clock: waiting out an earlier wave's bake follows a paused test clock.
use tokio::time::Instant;

use super::bake::BakeEnd;
use super::context::Context;
use super::outcome::{Counts, RackOutcome};
use crate::cloud::AlarmState;
use crate::plan::{Plan, RackPlan, WatchedAlarm, Wave};

/// What a rollout did: each rack's outcome (racks of waves not started have none), and why it stopped
/// before its last wave, if it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutOutcome {
    pub outcomes: Vec<RackOutcome>,
    pub stopped: Option<RolloutStop>,
}

/// A rollout stopped after wave `after_wave`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutStop {
    pub after_wave: usize,
    pub why: StopCause,
    /// The waves with work that were not started, with their racks to change.
    pub not_started: Vec<(usize, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopCause {
    /// More of the wave's racks did not end as planned (failed, blocked, cancelled) than it tolerates; `counts`
    /// are the wave's own.
    Failures { counts: Counts, tolerated: usize },
    /// An alarm of the wave's racks went to ALARM during its bake.
    Alarm(WatchedAlarm),
    /// An alarm could not be read during the bake.
    AlarmUnreadable {
        alarm: WatchedAlarm,
        why: super::bake::AlarmUnread,
    },
    /// Just before wave `holds` would start, an alarm of an earlier wave's rack was in ALARM (or
    /// INSUFFICIENT_DATA without `missing_data = "ok"`).
    Held {
        alarm: WatchedAlarm,
        state: AlarmState,
        holds: usize,
    },
    /// Ctrl-C, during the wave or its bake.
    Interrupted,
}

/// Runs the plan wave by wave; with `only_wave`, that wave alone (and its bake, so that a pipeline's
/// gate after it follows a baked wave).
pub async fn roll_out(ctx: &Context<'_>, plan: &Plan, only_wave: Option<usize>) -> RolloutOutcome {
    if plan.waves.is_empty() {
        let racks: Vec<&RackPlan> = plan.racks.iter().collect();
        return RolloutOutcome {
            outcomes: super::drive::execute_racks(ctx, &racks, ctx.parallelism).await,
            stopped: None,
        };
    }
    let of = plan.waves.len();
    let run_started = Instant::now();
    let running: Vec<&Wave> = plan
        .waves
        .iter()
        .filter(|wave| only_wave.is_none_or(|number| wave.number == number))
        .collect();
    let mut outcomes = Vec::new();
    for (index, wave) in running.iter().enumerate() {
        let racks: Vec<&RackPlan> = plan
            .racks
            .iter()
            .filter(|rack| wave.racks.contains(&rack.rack))
            .collect();
        if wave.skipped {
            ctx.reporter.wave_skipped(wave, of);
            outcomes.extend(super::drive::execute_racks(ctx, &racks, 1).await);
            continue;
        }
        let not_started_from = |from: usize| -> Vec<(usize, Vec<String>)> {
            running[from..]
                .iter()
                .filter(|later| !later.skipped)
                .map(|later| {
                    let names = later
                        .to_change(&plan.racks)
                        .iter()
                        .map(|rack| rack.rack.clone())
                        .collect();
                    (later.number, names)
                })
                .collect()
        };
        let stop = |why: StopCause| RolloutStop {
            after_wave: wave.number,
            why,
            not_started: not_started_from(index + 1),
        };
        if let Some(why) = pass_gate(ctx, plan, wave, run_started).await {
            return stopped(
                outcomes,
                RolloutStop {
                    after_wave: wave.number - 1,
                    why,
                    not_started: not_started_from(index),
                },
            );
        }
        ctx.reporter
            .wave_started(wave, of, wave.to_change(&plan.racks).len());
        let parallelism = wave.max_concurrent.unwrap_or(ctx.parallelism);
        let ran = super::drive::execute_racks(ctx, &racks, parallelism).await;
        // A rack held for a person did not fail: it was not tried.
        let failed = ran.iter().filter(|o| !o.succeeded() && !o.held()).count();
        let counts = Counts::of(&ran);
        outcomes.extend(ran);
        ctx.reporter.wave_finished(wave, &counts);
        if ctx.cancelled() {
            return stopped(outcomes, stop(StopCause::Interrupted));
        }
        if failed > wave.failure_tolerance {
            return stopped(
                outcomes,
                stop(StopCause::Failures {
                    counts,
                    tolerated: wave.failure_tolerance,
                }),
            );
        }
        if wave.bake_seconds > 0 {
            let cause = match super::bake::bake(ctx, wave).await {
                BakeEnd::Passed => None,
                BakeEnd::Alarm(alarm) => Some(StopCause::Alarm(alarm)),
                BakeEnd::NoData(alarm) => Some(StopCause::Held {
                    alarm,
                    state: AlarmState::InsufficientData,
                    holds: wave.number + 1,
                }),
                BakeEnd::Unreadable { alarm, why } => {
                    Some(StopCause::AlarmUnreadable { alarm, why })
                }
                BakeEnd::Interrupted => Some(StopCause::Interrupted),
            };
            if let Some(cause) = cause {
                return stopped(outcomes, stop(cause));
            }
            ctx.reporter.bake_passed(wave);
        }
    }
    RolloutOutcome {
        outcomes,
        stopped: None,
    }
}

/// The wave's gate, as the plan made it and as the alarms are now: waits out what is left of an earlier
/// wave's bake (watching that wave's alarms), then reads every earlier wave's alarms once more. Why the
/// wave may not start, if it may not.
async fn pass_gate(
    ctx: &Context<'_>,
    plan: &Plan,
    wave: &Wave,
    run_started: Instant,
) -> Option<StopCause> {
    let held = |end: BakeEnd| match end {
        BakeEnd::Passed => None,
        BakeEnd::Alarm(alarm) => Some(StopCause::Held {
            alarm,
            state: AlarmState::Alarm,
            holds: wave.number,
        }),
        BakeEnd::NoData(alarm) => Some(StopCause::Held {
            alarm,
            state: AlarmState::InsufficientData,
            holds: wave.number,
        }),
        BakeEnd::Unreadable { alarm, why } => Some(StopCause::AlarmUnreadable { alarm, why }),
        BakeEnd::Interrupted => Some(StopCause::Interrupted),
    };
    if let Some((earlier, remaining)) = wave.bake_wait()
        && let Some(earlier_wave) = plan.waves.iter().find(|w| w.number == earlier)
    {
        // The plan's figure counts from when the plan was made, just before this run started.
        let left = remaining.saturating_sub(run_started.elapsed());
        if !left.is_zero() {
            let mut rest = earlier_wave.clone();
            rest.bake_seconds = left.as_secs().max(1);
            rest.alarms = wave
                .gate_alarms
                .iter()
                .filter(|alarm| earlier_wave.racks.contains(&alarm.rack))
                .cloned()
                .collect();
            if let Some(cause) = held(super::bake::bake(ctx, &rest).await) {
                return Some(cause);
            }
            ctx.reporter.bake_passed(&rest);
        }
    }
    held(
        super::bake::alarms_hold(ctx, &wave.gate_alarms, wave.missing_data_ok)
            .await
            .unwrap_or(BakeEnd::Passed),
    )
}

fn stopped(outcomes: Vec<RackOutcome>, stop: RolloutStop) -> RolloutOutcome {
    RolloutOutcome {
        outcomes,
        stopped: Some(stop),
    }
}
