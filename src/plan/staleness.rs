//! Whether a saved plan still describes the world: it must be exactly the plan racks.toml and the live
//! stacks give now, every field of every rack (not only the fingerprints: an edited plan file must not send
//! what nobody reviewed).

use super::{Plan, RackPlan, StackFingerprint, Wave};

/// Why `saved` is stale against `fresh`, the plan made now for the same racks and flags, one reason per
/// rack that differs (the first difference of each); empty when the saved plan still holds.
pub fn stale_reasons(saved: &Plan, fresh: &Plan) -> Vec<String> {
    let mut stale = Vec::new();
    if fresh.racks.len() != saved.racks.len() {
        stale.push(format!(
            "the plan has {} racks; racks.toml gives {} for the same targets",
            saved.racks.len(),
            fresh.racks.len()
        ));
    }
    for (then, now) in saved.racks.iter().zip(&fresh.racks) {
        if comparable(then) != comparable(now) {
            stale.push(format!("{}: {}", now.rack, difference(then, now)));
        }
    }
    // The waves decide the order of the changes, when apply stops and what it watches: an edited plan
    // file must not run racks in an order, or with a tolerance, nobody reviewed.
    if stale.is_empty() && saved.waves != fresh.waves {
        stale.push(waves_difference(&saved.waves, &fresh.waves));
    }
    // A release Convox published since (a required one puts a step in an upgrade) is the likely cause.
    if !stale.is_empty()
        && let (Some(then), Some(now)) = (&saved.releases, &fresh.releases)
        && then.sha256 != now.sha256
    {
        let latest = |seen: &Option<String>| seen.as_deref().unwrap_or("none").to_string();
        // The list can change without a new latest release (a required one added between two older ones):
        // "then X, now X" would read as no change.
        let what = if then.latest_published == now.latest_published {
            format!(
                "its latest published release is still {}",
                latest(&now.latest_published)
            )
        } else {
            format!(
                "latest published release then {}, now {}",
                latest(&then.latest_published),
                latest(&now.latest_published)
            )
        };
        stale.insert(
            0,
            format!(
                "Convox's release list {} changed since the plan was made ({what})",
                now.url
            ),
        );
    }
    stale
}

/// How the saved waves differ from the waves made now, in words.
fn waves_difference(saved: &[Wave], now: &[Wave]) -> String {
    if saved.len() != now.len() {
        return format!(
            "the plan has {} waves; racks.toml gives {} now",
            saved.len(),
            now.len()
        );
    }
    let (then, now) = saved
        .iter()
        .zip(now)
        .find(|(then, now)| then != now)
        .expect("the waves differ");
    let field = first_difference(
        &serde_json::to_value(then).unwrap_or_default(),
        &serde_json::to_value(now).unwrap_or_default(),
        String::new(),
    )
    .unwrap_or_default();
    format!(
        "wave {}: the saved plan's `{field}` is not what racks.toml and the live stacks give now",
        now.number
    )
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

/// How a saved rack plan differs from the one made now, in words: what changed in AWS first, else the first
/// field that differs.
fn difference(saved: &RackPlan, now: &RackPlan) -> String {
    if saved.account_id != now.account_id {
        return format!(
            "the credentials now belong to account {}, the plan was made for {}",
            now.account_id, saved.account_id
        );
    }
    if let Some(change) = StackFingerprint::change(saved.stack.as_ref(), now.stack.as_ref()) {
        return format!("{change} since the plan was made");
    }
    match first_difference(&comparable(saved), &comparable(now), String::new()) {
        Some(path) => {
            format!("the saved plan's `{path}` is not what racks.toml and the live stack give now")
        }
        None => "the saved plan differs from the plan made now".into(),
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
