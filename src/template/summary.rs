//! An update's impact in words: the line each change reaches (`replaces Vpc and 5 resources that refer to it`),
//! the update's verdict in counts, and its disruptive part.

use super::impact::{ResourceAction, ResourceImpact, Rolling};

/// `A`, `A and B`, `A, B and C`.
pub(super) fn list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [only] => only.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Up to three names, then how many more: `A, B and 4 others`.
fn some_of(names: &[&str]) -> String {
    if names.len() <= 3 {
        list(names)
    } else {
        format!("{}, {} and {} others", names[0], names[1], names.len() - 2)
    }
}

/// `14 resources (NatGateway x2, Subnet x2, ...)`, or the one resource's name.
fn counted(impacts: &[&ResourceImpact]) -> String {
    if let [only] = impacts {
        return only.logical_id.clone();
    }
    let mut by_type: Vec<(&str, usize)> = Vec::new();
    for impact in impacts {
        let short = impact
            .resource_type
            .rsplit("::")
            .next()
            .unwrap_or(&impact.resource_type);
        match by_type.iter_mut().find(|(kind, _)| *kind == short) {
            Some((_, count)) => *count += 1,
            None => by_type.push((short, 1)),
        }
    }
    let mut kinds: Vec<String> = by_type
        .iter()
        .take(4)
        .map(|(kind, count)| {
            if *count > 1 {
                format!("{kind} x{count}")
            } else {
                kind.to_string()
            }
        })
        .collect();
    if by_type.len() > 4 {
        kinds.push("...".into());
    }
    format!("{} resources ({})", impacts.len(), kinds.join(", "))
}

fn rolling_text(impact: &ResourceImpact, rolling: &Rolling) -> String {
    match &rolling.max_batch_size {
        Some(size) => format!(
            "rolling replacement of {}, {size} at a time",
            impact.logical_id
        ),
        None => format!(
            "rolling replacement of {} (batch size known only to AWS)",
            impact.logical_id
        ),
    }
}

/// What a change reaches, in a line: `replaces LaunchConfiguration; rolling replacement of Instances, 1 at a
/// time`, `replaces Vpc and 4 resources that refer to it`, `adds 3 resources (Subnet x2, NatGateway)`.
pub fn describe_reach(impacts: &[ResourceImpact]) -> String {
    let of = |action: ResourceAction| -> Vec<&ResourceImpact> {
        impacts.iter().filter(|i| i.action == action).collect()
    };
    let mut parts = Vec::new();
    let replaced = of(ResourceAction::Replace);
    let direct: Vec<&str> = replaced
        .iter()
        .filter(|i| i.through.is_none())
        .map(|i| i.logical_id.as_str())
        .collect();
    let following = replaced.len() - direct.len();
    if !direct.is_empty() {
        let mut part = format!("replaces {}", some_of(&direct));
        if following > 0 {
            part.push_str(&format!(
                " and {following} resource{} that refer{} to {}",
                if following == 1 { "" } else { "s" },
                if following == 1 { "s" } else { "" },
                if direct.len() == 1 { "it" } else { "them" }
            ));
        }
        parts.push(part);
    } else if !replaced.is_empty() {
        let names: Vec<&str> = replaced.iter().map(|i| i.logical_id.as_str()).collect();
        parts.push(format!("replaces {}", some_of(&names)));
    }
    let maybe: Vec<&str> = of(ResourceAction::MayReplace)
        .iter()
        .map(|i| i.logical_id.as_str())
        .collect();
    if !maybe.is_empty() {
        parts.push(format!(
            "may replace {}{}",
            some_of(&maybe),
            too_complex_note(impacts)
        ));
    }
    for impact in impacts {
        if let Some(rolling) = &impact.rolling {
            parts.push(rolling_text(impact, rolling));
        }
    }
    let added = of(ResourceAction::Add);
    if !added.is_empty() {
        parts.push(format!("adds {}", counted(&added)));
    }
    let removed = of(ResourceAction::Remove);
    if !removed.is_empty() {
        parts.push(format!("removes {}", counted(&removed)));
    }
    let modified: Vec<&str> = impacts
        .iter()
        .filter(|i| i.action == ResourceAction::Modify && i.rolling.is_none())
        .map(|i| i.logical_id.as_str())
        .collect();
    if !modified.is_empty() {
        if modified.len() <= 3 {
            parts.push(format!("modifies {} in place", list(&modified)));
        } else {
            parts.push(format!("modifies {} resources in place", modified.len()));
        }
    }
    if parts.is_empty() {
        "reaches no resource".into()
    } else {
        parts.join("; ")
    }
}

/// What follows "may replace ..." when the analysis ran out of budget: why it cannot say more.
fn too_complex_note(impacts: &[ResourceImpact]) -> &'static str {
    if impacts.iter().any(|i| i.too_complex) {
        " (too complex to analyse)"
    } else {
        ""
    }
}

/// The whole update in a line of counts: `replaces 3 resources, modifies 2 in place; rolling replacement of
/// Instances, 1 at a time`.
pub fn verdict(impacts: &[ResourceImpact]) -> String {
    let count = |action: ResourceAction| impacts.iter().filter(|i| i.action == action).count();
    let mut counts = Vec::new();
    for (action, verb) in [
        (ResourceAction::Replace, "replaces"),
        (ResourceAction::MayReplace, "may replace"),
        (ResourceAction::Add, "adds"),
        (ResourceAction::Remove, "removes"),
    ] {
        let n = count(action);
        if n > 0 {
            counts.push(format!(
                "{verb} {n} resource{}{}",
                if n == 1 { "" } else { "s" },
                if action == ResourceAction::MayReplace {
                    too_complex_note(impacts)
                } else {
                    ""
                }
            ));
        }
    }
    let modified = count(ResourceAction::Modify);
    if modified > 0 {
        counts.push(if counts.is_empty() {
            format!(
                "modifies {modified} resource{} in place",
                if modified == 1 { "" } else { "s" }
            )
        } else {
            format!("modifies {modified} in place")
        });
    }
    if counts.is_empty() {
        return "no resource changes".into();
    }
    let mut verdict = counts.join(", ");
    for impact in impacts {
        if let Some(rolling) = &impact.rolling {
            verdict.push_str("; ");
            verdict.push_str(&rolling_text(impact, rolling));
        }
    }
    verdict
}

/// The disruptive part of an update, for the plan's closing `Disruptive:` lines: what it replaces (or may),
/// removes and rolls; `None` when it only adds and modifies in place.
pub fn disruption(impacts: &[ResourceImpact]) -> Option<String> {
    let disruptive: Vec<ResourceImpact> = impacts
        .iter()
        .filter(|i| {
            matches!(
                i.action,
                ResourceAction::Replace | ResourceAction::MayReplace | ResourceAction::Remove
            ) || i.rolling.is_some()
        })
        .cloned()
        .collect();
    (!disruptive.is_empty()).then(|| describe_reach(&disruptive))
}
