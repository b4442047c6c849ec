//! An update's impact in words, from the analysis's data (`template::analyse`, `plan::impact`): the line each
//! change reaches (`replaces Vpc and 5 resources that refer to it`), the update's verdict in counts, and its
//! disruptive part. The human, Markdown and JSON views all take their words from here.

use std::borrow::Cow;

use crate::plan::{Reach, is_disruptive};
use crate::template::{ResourceAction, ResourceImpact, Rolling};

/// `A`, `A and B`, `A, B and C`.
fn list(names: &[&str]) -> String {
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

/// What a change reaches, in a line; a saved plan's line as it was saved.
pub fn reach_words(reach: &Reach) -> Cow<'_, str> {
    match reach {
        Reach::Resources(resources) => Cow::Owned(describe_reach(resources)),
        Reach::Saved(words) => Cow::Borrowed(words),
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
        .filter(|resource| is_disruptive(resource))
        .cloned()
        .collect();
    (!disruptive.is_empty()).then(|| describe_reach(&disruptive))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(logical_id: &str, resource_type: &str, action: ResourceAction) -> ResourceImpact {
        ResourceImpact {
            logical_id: logical_id.into(),
            resource_type: resource_type.into(),
            action,
            because: String::new(),
            through: None,
            rolling: None,
            too_complex: false,
        }
    }

    // The words of what `plan::impact`'s tests find each change alone, and the whole update, reaches.

    #[test]
    fn a_noecho_value_racks_toml_sets_may_replace_what_it_reaches() {
        let reached = [resource(
            "Config",
            "AWS::AutoScaling::LaunchConfiguration",
            ResourceAction::MayReplace,
        )];
        assert_eq!(describe_reach(&reached), "may replace Config");
    }

    #[test]
    fn each_change_is_worded_by_what_it_alone_reaches_and_the_update_by_its_counts() {
        let log = resource("Log", "AWS::Logs::LogGroup", ResourceAction::Modify);
        let queue = resource("Queue", "AWS::SQS::Queue", ResourceAction::Replace);
        let topic = resource("Topic", "AWS::SNS::Topic", ResourceAction::Add);
        assert_eq!(
            describe_reach(std::slice::from_ref(&log)),
            "modifies Log in place"
        );
        assert_eq!(
            describe_reach(std::slice::from_ref(&queue)),
            "replaces Queue"
        );
        assert_eq!(describe_reach(std::slice::from_ref(&topic)), "adds Topic");
        let whole = [queue, log, topic];
        assert_eq!(
            verdict(&whole),
            "replaces 1 resource, adds 1 resource, modifies 1 in place"
        );
        assert_eq!(disruption(&whole).as_deref(), Some("replaces Queue"));
    }

    #[test]
    fn a_version_change_is_worded_by_what_it_replaces_and_the_template_by_what_it_adds() {
        let settings = [resource(
            "Settings",
            "AWS::SSM::Parameter",
            ResourceAction::Replace,
        )];
        let releases = [resource("Releases", "AWS::SQS::Queue", ResourceAction::Add)];
        assert_eq!(describe_reach(&settings), "replaces Settings");
        assert_eq!(describe_reach(&releases), "adds Releases");
    }

    #[test]
    fn a_plan_made_now_words_its_resources_and_a_saved_plan_keeps_its_line() {
        assert_eq!(
            reach_words(&Reach::Resources(Vec::new())),
            "reaches no resource"
        );
        let queue = resource("Queue", "AWS::SQS::Queue", ResourceAction::Add);
        assert_eq!(reach_words(&Reach::Resources(vec![queue])), "adds Queue");
        assert_eq!(
            reach_words(&Reach::Saved("replaces Vpc".into())),
            "replaces Vpc"
        );
    }
}
