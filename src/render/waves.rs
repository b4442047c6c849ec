//! The words for a rollout's waves, shared by the human and Markdown views: `Wave 1 of 3: personal/canary;
//! then bake 30m, alarms rack-canary-5xx`. Only wording: which racks are in a wave, whether it is skipped,
//! its tolerance and bake are the plan's.

use std::time::Duration;

use super::{Notation, duration, escape};
use crate::plan::{RackPlan, Wave, WaveGate};

/// How many alarm names a header lists before it counts the rest.
const ALARMS_SHOWN: usize = 3;

/// `Wave 1 of 3: personal/canary; then bake 30m, alarms rack-canary-5xx`.
pub fn header(wave: &Wave, of: usize) -> String {
    let globs: Vec<String> = wave.globs.iter().map(|g| escape(g).into_owned()).collect();
    let mut text = format!("Wave {} of {of}: {}", wave.number, globs.join(", "));
    if wave.skipped {
        text.push_str(" (nothing to change: skipped, no bake)");
    } else if wave.bake_seconds > 0 {
        text.push_str(&format!("; then bake {}", bake(wave.bake_seconds)));
        let alarms = alarm_names(wave);
        if !alarms.is_empty() {
            text.push_str(&format!(", alarms {alarms}"));
        }
    }
    if let Some(gate) = gate(wave) {
        text.push_str("; ");
        text.push_str(&gate);
    }
    text
}

/// What holds the wave before it starts: `held: rack-canary-5xx in ALARM`, `waits 12m for wave 1's bake`;
/// `None` when only the earlier waves of the run come first.
pub fn gate(wave: &Wave) -> Option<String> {
    let mut parts = Vec::new();
    let mut held: Vec<String> = Vec::new();
    for gate in &wave.gates {
        if let WaveGate::Alarm { alarm, state, .. } = gate {
            let words = format!("{} in {}", escape(&alarm.name), state.word());
            if !held.contains(&words) {
                held.push(words);
            }
        }
    }
    if !held.is_empty() {
        parts.push(format!("held: {}", held.join(", ")));
    }
    if let Some((earlier, remaining)) = wave.bake_wait() {
        parts.push(format!(
            "waits {} for wave {earlier}'s bake",
            bake(remaining.as_secs())
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// `2 racks to change, stops at the first failure, at most 10 at once`.
pub fn detail(wave: &Wave, racks: &[RackPlan]) -> String {
    let changing = wave.to_change(racks).len();
    let mut parts = vec![match changing {
        1 => "1 rack to change".to_string(),
        n => format!("{n} racks to change"),
    }];
    if changing > 0 {
        parts.push(match wave.failure_tolerance {
            0 => "stops at the first failure".to_string(),
            1 => "1 failure tolerated".to_string(),
            n => format!("{n} failures tolerated"),
        });
        if let Some(max) = wave.max_concurrent {
            parts.push(format!("at most {max} at once"));
        }
    }
    if wave.racks.len() > changing {
        parts.push(format!("{} unchanged", wave.racks.len() - changing));
    }
    parts.join(", ")
}

/// A bake as people write it: `30m`, `1h 30m`.
pub fn bake(seconds: u64) -> String {
    duration(Duration::from_secs(seconds), Notation::Words)
}

/// The distinct alarm names watched, the first few, then how many more.
fn alarm_names(wave: &Wave) -> String {
    let mut names: Vec<&str> = Vec::new();
    for alarm in &wave.alarms {
        if !names.contains(&alarm.name.as_str()) {
            names.push(&alarm.name);
        }
    }
    let shown: Vec<String> = names
        .iter()
        .take(ALARMS_SHOWN)
        .map(|name| escape(name).into_owned())
        .collect();
    match names.len().saturating_sub(ALARMS_SHOWN) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}
