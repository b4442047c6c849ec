//! Whether a saved plan still describes the world: it must be exactly the plan racks.toml and the live
//! stacks give now, every field of every rack (not only the fingerprints: an edited plan file must not send
//! what nobody reviewed). The reasons are data; `render::staleness` words them.

use super::{Plan, RackPlan, StackDifference, StackFingerprint, Wave};

/// Why a saved plan no longer describes the world; the words are `render::staleness`'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// The saved plan has `saved` racks; racks.toml gives `now` for the same targets.
    RackCount { saved: usize, now: usize },
    /// A rack's saved plan differs from the one made now: the first difference.
    Rack {
        rack: String,
        difference: RackDifference,
    },
    /// The waves differ: they decide the order of the changes, when apply stops and what it watches.
    Waves(WavesDifference),
    /// Convox's release list changed since the plan was made, with its latest published release then and
    /// now: the likely cause of the rest.
    ReleaseList {
        url: String,
        then: Option<String>,
        now: Option<String>,
    },
}

/// How a saved rack plan differs from the one made now: what changed in AWS first, else the first field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RackDifference {
    /// The credentials now belong to another account than the plan was made for.
    Account { saved: String, now: String },
    /// The rack's stack changed since the plan was made.
    Stack(StackDifference),
    /// The first field of the saved rack plan (a JSON path) that the plan made now differs in.
    Field { path: String },
    /// They differ, though no field can be named.
    Unnamed,
}

/// How the saved waves differ from the waves made now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WavesDifference {
    Count {
        saved: usize,
        now: usize,
    },
    /// The first field (a JSON path) of the first wave that differs.
    Field {
        wave: usize,
        path: String,
    },
}

/// Why `saved` is stale against `fresh`, the plan made now for the same racks and flags, one reason per
/// rack that differs (the first difference of each); empty when the saved plan still holds.
pub fn stale_reasons(saved: &Plan, fresh: &Plan) -> Vec<Stale> {
    let mut stale = Vec::new();
    if fresh.racks.len() != saved.racks.len() {
        stale.push(Stale::RackCount {
            saved: saved.racks.len(),
            now: fresh.racks.len(),
        });
    }
    for (then, now) in saved.racks.iter().zip(&fresh.racks) {
        if comparable(then) != comparable(now) {
            stale.push(Stale::Rack {
                rack: now.rack.clone(),
                difference: difference(then, now),
            });
        }
    }
    // The waves decide the order of the changes, when apply stops and what it watches: an edited plan
    // file must not run racks in an order, or with a tolerance, nobody reviewed.
    if stale.is_empty() && saved.waves != fresh.waves {
        stale.push(Stale::Waves(waves_difference(&saved.waves, &fresh.waves)));
    }
    // A release Convox published since (a required one puts a step in an upgrade) is the likely cause.
    if !stale.is_empty()
        && let (Some(then), Some(now)) = (&saved.releases, &fresh.releases)
        && then.sha256 != now.sha256
    {
        stale.insert(
            0,
            Stale::ReleaseList {
                url: now.url.clone(),
                then: then.latest_published.clone(),
                now: now.latest_published.clone(),
            },
        );
    }
    stale
}

/// How the saved waves differ from the waves made now.
fn waves_difference(saved: &[Wave], now: &[Wave]) -> WavesDifference {
    if saved.len() != now.len() {
        return WavesDifference::Count {
            saved: saved.len(),
            now: now.len(),
        };
    }
    let (then, now) = saved
        .iter()
        .zip(now)
        .find(|(then, now)| then != now)
        .expect("the waves differ");
    let path = first_difference(
        &serde_json::to_value(then).unwrap_or_default(),
        &serde_json::to_value(now).unwrap_or_default(),
        String::new(),
    )
    .unwrap_or_default();
    WavesDifference::Field {
        wave: now.number,
        path,
    }
}

/// A rack plan as far as it decides what apply sends. Notes and warnings only inform (a release Convox
/// published since, that this rack does not pass through, changes the "latest published release" note and
/// nothing else), and a local template's path depends on the directory apply runs in, while its body and
/// hash, which are what is sent, stay compared.
fn comparable(rack: &RackPlan) -> serde_json::Value {
    let mut rack = rack.clone();
    // A saved plan holds no secret value: compared without them (racks.toml's fingerprint still covers them).
    super::secrets::hide_secrets(&mut rack);
    rack.notes.clear();
    rack.warnings.clear();
    // Drift is what `--drift` saw when it looked, and changes whenever someone touches the console: apply
    // --drift detects it again rather than refuse a reviewed plan over it.
    rack.hold.retain(|reason| {
        !matches!(
            reason,
            super::HoldReason::OverwritesDrift { .. } | super::HoldReason::DriftNotChecked { .. }
        )
    });
    let mut value = serde_json::to_value(&rack).unwrap_or_default();
    forget_template_paths(&mut value);
    value
}

fn forget_template_paths(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(file)) = map.get_mut("file")
                && file.contains_key("sha256")
            {
                file.remove("path");
            }
            map.values_mut().for_each(forget_template_paths);
        }
        Value::Array(items) => items.iter_mut().for_each(forget_template_paths),
        _ => {}
    }
}

/// How a saved rack plan differs from the one made now: what changed in AWS first, else the first field
/// that differs.
fn difference(saved: &RackPlan, now: &RackPlan) -> RackDifference {
    if saved.account_id != now.account_id {
        return RackDifference::Account {
            saved: saved.account_id.clone(),
            now: now.account_id.clone(),
        };
    }
    if let Some(change) = StackFingerprint::change(saved.stack.as_ref(), now.stack.as_ref()) {
        return RackDifference::Stack(change);
    }
    match first_difference(&comparable(saved), &comparable(now), String::new()) {
        Some(path) => RackDifference::Field { path },
        None => RackDifference::Unnamed,
    }
}

/// The path of the first field where two JSON values differ.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                match b.get(key) {
                    Some(other) => {
                        if let Some(found) = first_difference(value, other, join(key)) {
                            return Some(found);
                        }
                    }
                    None => return Some(join(key)),
                }
            }
            b.keys()
                .find(|key| !a.contains_key(*key))
                .map(|key| join(key))
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(index, (x, y))| first_difference(x, y, join(&index.to_string()))),
        _ if a == b => None,
        _ => Some(if path.is_empty() {
            "(the whole plan)".into()
        } else {
            path
        }),
    }
}
