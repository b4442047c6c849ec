//! The template-level impact of a planned update: the live template and parameters against the planned
//! ones, for the whole update (the rack's `impact`) and for each parameter or template change alone (its
//! `reach`), so that every change says what it does to the running rack.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Change, ChangeKind, TemplateImpact};
use crate::template::{Pseudo, StackTemplate, analyse, describe_reach, disruption, verdict};

/// The impact of an update from `before` (the live template and values) to `after`, with each parameter
/// and template change in `changes` given its reach. `None` when nothing but tags or termination
/// protection changes: no resource is reached through the template then.
pub(super) fn analyse_update(
    before: Result<&Value, String>,
    before_values: &BTreeMap<String, String>,
    after: Result<&Value, String>,
    after_values: &BTreeMap<String, String>,
    pseudo: &Pseudo,
    changes: &mut [Change],
) -> Option<TemplateImpact> {
    let analysed =
        |change: &Change| matches!(change.kind, ChangeKind::Parameter | ChangeKind::Template);
    if !changes.iter().any(analysed) {
        return None;
    }
    let (before, after) = match (before, after) {
        (Ok(before), Ok(after)) => (before, after),
        (Err(reason), _) | (_, Err(reason)) => {
            return Some(TemplateImpact::NotAnalysed { reason });
        }
    };
    let whole = analyse(
        StackTemplate {
            template: before,
            parameters: before_values,
        },
        StackTemplate {
            template: after,
            parameters: after_values,
        },
        pseudo,
    );
    let changed_parameters: Vec<String> = changes
        .iter()
        .filter(|change| change.kind == ChangeKind::Parameter)
        .map(|change| change.name.clone())
        .collect();
    for change in changes.iter_mut() {
        let reached = match change.kind {
            // The parameter alone, in the planned template: everything else as the update leaves it.
            ChangeKind::Parameter => {
                let without = reverted(after_values, before_values, [change.name.as_str()]);
                analyse(
                    StackTemplate {
                        template: after,
                        parameters: &without,
                    },
                    StackTemplate {
                        template: after,
                        parameters: after_values,
                    },
                    pseudo,
                )
            }
            // The template alone: the parameters racks.toml changes keep their live values.
            ChangeKind::Template => {
                let without = reverted(
                    after_values,
                    before_values,
                    changed_parameters.iter().map(String::as_str),
                );
                analyse(
                    StackTemplate {
                        template: before,
                        parameters: before_values,
                    },
                    StackTemplate {
                        template: after,
                        parameters: &without,
                    },
                    pseudo,
                )
            }
            ChangeKind::Tag | ChangeKind::TerminationProtection => continue,
        };
        change.reach = Some(describe_reach(&reached));
    }
    Some(TemplateImpact::Analysed {
        verdict: verdict(&whole),
        disruptive: disruption(&whole),
        resources: whole,
    })
}

/// `values` with these parameters set back to their `before` value (or to the template default, for a
/// parameter the live stack does not have).
fn reverted<'a>(
    values: &BTreeMap<String, String>,
    before: &BTreeMap<String, String>,
    names: impl IntoIterator<Item = &'a str>,
) -> BTreeMap<String, String> {
    let mut values = values.clone();
    for name in names {
        match before.get(name) {
            Some(value) => values.insert(name.to_string(), value.clone()),
            None => values.remove(name),
        };
    }
    values
}
