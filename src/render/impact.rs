//! An update's impact in words, from the analysis's data (`template::analyse`, `plan::impact`): why each
//! resource is reached (`CidrBlock changes, and it is create-only`), the line each change reaches
//! (`replaces Vpc and 5 resources that refer to it`), the update's verdict in counts, its disruptive part,
//! and what Convox's rule says of a parameter change. The human, Markdown and JSON views all take their
//! words from here.

use crate::convox::Rule;
use crate::plan::is_disruptive;
use crate::template::{Cause, PolicyUnknown, ResourceAction, ResourceImpact, Rolling};

/// `A`, `A and B`, `A, B and C`.
fn list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [only] => only.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `A changes`, `A and B change`.
fn change_or_changes<S: AsRef<str>>(names: &[S]) -> String {
    let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
    let verb = if names.len() == 1 {
        "changes"
    } else {
        "change"
    };
    format!("{} {verb}", list(&names))
}

/// Why the analysis decided what it did of a resource: `CidrBlock changes, and it is create-only`.
pub fn because(cause: &Cause) -> String {
    let changes_or_may = |certain: bool| if certain { "changes" } else { "may change" };
    match cause {
        Cause::NewInTemplate => "new in the template".into(),
        Cause::GoneFromTemplate => "no longer in the template".into(),
        Cause::ConditionTurns { condition, to } => {
            format!("condition {condition} becomes {to}")
        }
        Cause::ExistenceUnknown { condition } => format!(
            "whether it exists depends on condition {condition}, which rackfile cannot evaluate"
        ),
        Cause::TypeChanges { from, to } => format!("its type changes from {from} to {to}"),
        // "its Metadata and UpdatePolicy changes": the attributes as one thing, its attributes.
        Cause::AttributesChange { attributes } => format!("its {} changes", names(attributes)),
        Cause::CustomResource { properties } => format!(
            "a custom resource: its handler decides whether a change replaces it ({})",
            change_or_changes(properties)
        ),
        Cause::NestedStack { properties } => format!(
            "nested stack not analysed: rackfile does not read the stack inside it ({})",
            change_or_changes(properties)
        ),
        Cause::NoSchema {
            resource_type,
            properties,
        } => format!(
            "rackfile has no AWS resource schema for {resource_type} ({})",
            change_or_changes(properties)
        ),
        Cause::CreateOnly { property, certain } => {
            format!("{property} {}, and it is create-only", changes_or_may(*certain))
        }
        Cause::ConditionalCreateOnly { property, certain } => format!(
            "conditional create-only: {property} {}, and AWS replaces the resource for some changes of it",
            changes_or_may(*certain)
        ),
        Cause::PropertiesChange {
            properties,
            certain: true,
        } => change_or_changes(properties),
        Cause::PropertiesChange {
            properties,
            certain: false,
        } => format!("{} may change", names(properties)),
        Cause::ReplacingUpdate { launch } => format!(
            "its AutoScalingReplacingUpdate policy (WillReplace) replaces the group and its instances when {}",
            change_or_changes(launch)
        ),
        Cause::UpdatePolicyUnknown { unknown, launch } => {
            let unknown = match unknown {
                PolicyUnknown::UpdatePolicy => "its UpdatePolicy depends on what only AWS knows",
                PolicyUnknown::ReplacingUpdate => {
                    "its AutoScalingReplacingUpdate is known only to AWS"
                }
                PolicyUnknown::WillReplace => {
                    "whether its AutoScalingReplacingUpdate replaces the group (WillReplace) is known only to AWS"
                }
            };
            format!("{unknown}, and {}", change_or_changes(launch))
        }
        Cause::ChangeSet {
            action,
            replacement,
            properties,
            sources,
        } => {
            let mut text = format!("CloudFormation's change set: {action}");
            if let Some(replacement) = replacement {
                text.push_str(&format!(", Replacement {replacement:?}"));
            }
            let sources: Vec<String> = sources
                .iter()
                .map(|cause| match &cause.entity {
                    Some(entity) => format!("{} {entity}", cause.source),
                    None => cause.source.clone(),
                })
                .collect();
            let mut parts = Vec::new();
            if !properties.is_empty() {
                parts.push(properties.join(", "));
            }
            if !sources.is_empty() {
                parts.push(format!("from {}", sources.join(", ")));
            }
            if !parts.is_empty() {
                text.push_str(&format!(" ({})", parts.join("; ")));
            }
            text
        }
        Cause::TooComplex => "too complex to analyse: rackfile stops after a fixed amount of work, before it could tell what the update does to it".into(),
    }
}

/// `list` of owned names.
fn names(names: &[String]) -> String {
    list(&names.iter().map(String::as_str).collect::<Vec<_>>())
}

/// What Convox's rule says a parameter change does, in rack terms: the rule's words (`rule_words`), and
/// how many instances at a time for a rolling replacement: `replaces instances (rolling, 1 at a time)`.
pub fn rule_says(rule: Rule, at_a_time: Option<&str>) -> String {
    let says = rule_words(rule);
    match at_a_time {
        Some(count) => format!("{says} (rolling, {count} at a time)"),
        None => says.to_string(),
    }
}

/// What changing a parameter under Convox's `rule` does to a running rack, in rack terms (where Convox says
/// so is the rule's `source`, in `convox::PARAMETER_RULES`).
pub fn rule_words(rule: Rule) -> &'static str {
    match rule {
        Rule::Private => {
            "a rack cannot be switched between public and private: its EFS mount targets would need new subnets, and the update ends in UPDATE_ROLLBACK_FAILED"
        }
        Rule::HighAvailability => {
            "high availability is chosen at install; Convox's CLI refuses to change it afterwards"
        }
        Rule::ExistingVpc => {
            "moving an installed rack to another VPC is not supported and may result in infrastructure failures"
        }
        Rule::InternetGateway => {
            "the internet gateway of an existing VPC is given at install; changing it is not supported and may result in infrastructure failures"
        }
        Rule::VpcCidr => {
            "a VPC's CIDR block cannot be changed after it is created (CidrBlock is create-only)"
        }
        Rule::SharedEfsEncryption => {
            "recreates the shared EFS volume: application volume data is lost"
        }
        Rule::InstanceLaunch => "replaces instances",
        Rule::AvailabilityZones => "can recreate subnets and what runs in them",
        Rule::SubnetCidr => "recreates the subnet and what runs in it",
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
        .filter(|resource| is_disruptive(resource))
        .cloned()
        .collect();
    (!disruptive.is_empty()).then(|| describe_reach(&disruptive))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Replacement;
    use crate::template::ChangeSource;

    fn resource(logical_id: &str, resource_type: &str, action: ResourceAction) -> ResourceImpact {
        ResourceImpact {
            logical_id: logical_id.into(),
            resource_type: resource_type.into(),
            action,
            cause: Cause::NewInTemplate,
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

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    // The words of the causes `template::analyse`'s tests (impact.rs, verdict_tests.rs) find.

    #[test]
    fn a_resource_s_cause_in_words() {
        let cases = [
            (Cause::NewInTemplate, "new in the template"),
            (Cause::GoneFromTemplate, "no longer in the template"),
            (
                Cause::ConditionTurns {
                    condition: "Private".into(),
                    to: true,
                },
                "condition Private becomes true",
            ),
            (
                Cause::ConditionTurns {
                    condition: "Private".into(),
                    to: false,
                },
                "condition Private becomes false",
            ),
            (
                Cause::ExistenceUnknown {
                    condition: "C40".into(),
                },
                "whether it exists depends on condition C40, which rackfile cannot evaluate",
            ),
            (
                Cause::TypeChanges {
                    from: "Vendor::Thing::Widget".into(),
                    to: "AWS::SNS::Topic".into(),
                },
                "its type changes from Vendor::Thing::Widget to AWS::SNS::Topic",
            ),
            (
                Cause::AttributesChange {
                    attributes: names(&["DeletionPolicy"]),
                },
                "its DeletionPolicy changes",
            ),
            (
                Cause::AttributesChange {
                    attributes: names(&["Metadata", "UpdatePolicy"]),
                },
                "its Metadata and UpdatePolicy changes",
            ),
            (
                Cause::CustomResource {
                    properties: names(&["Token"]),
                },
                "a custom resource: its handler decides whether a change replaces it (Token changes)",
            ),
            (
                Cause::NestedStack {
                    properties: names(&["Parameters"]),
                },
                "nested stack not analysed: rackfile does not read the stack inside it (Parameters changes)",
            ),
            (
                Cause::NoSchema {
                    resource_type: "Vendor::Thing::Widget".into(),
                    properties: names(&["Name", "Size"]),
                },
                "rackfile has no AWS resource schema for Vendor::Thing::Widget (Name and Size change)",
            ),
            (
                Cause::CreateOnly {
                    property: "CidrBlock".into(),
                    certain: true,
                },
                "CidrBlock changes, and it is create-only",
            ),
            (
                Cause::CreateOnly {
                    property: "BucketName".into(),
                    certain: false,
                },
                "BucketName may change, and it is create-only",
            ),
            (
                Cause::ConditionalCreateOnly {
                    property: "KeySchema".into(),
                    certain: true,
                },
                "conditional create-only: KeySchema changes, and AWS replaces the resource for some changes of it",
            ),
            (
                Cause::ConditionalCreateOnly {
                    property: "Engine".into(),
                    certain: false,
                },
                "conditional create-only: Engine may change, and AWS replaces the resource for some changes of it",
            ),
            (
                Cause::PropertiesChange {
                    properties: names(&["Tags"]),
                    certain: true,
                },
                "Tags changes",
            ),
            (
                Cause::PropertiesChange {
                    properties: names(&["A", "B", "C"]),
                    certain: true,
                },
                "A, B and C change",
            ),
            (
                Cause::PropertiesChange {
                    properties: names(&["A", "B"]),
                    certain: false,
                },
                "A and B may change",
            ),
            (
                Cause::ReplacingUpdate {
                    launch: names(&["LaunchTemplate"]),
                },
                "its AutoScalingReplacingUpdate policy (WillReplace) replaces the group and its instances when LaunchTemplate changes",
            ),
            (
                Cause::UpdatePolicyUnknown {
                    unknown: PolicyUnknown::WillReplace,
                    launch: names(&["LaunchTemplate"]),
                },
                "whether its AutoScalingReplacingUpdate replaces the group (WillReplace) is known only to AWS, and LaunchTemplate changes",
            ),
            (
                Cause::UpdatePolicyUnknown {
                    unknown: PolicyUnknown::ReplacingUpdate,
                    launch: names(&["LaunchTemplate", "VPCZoneIdentifier"]),
                },
                "its AutoScalingReplacingUpdate is known only to AWS, and LaunchTemplate and VPCZoneIdentifier change",
            ),
            (
                Cause::UpdatePolicyUnknown {
                    unknown: PolicyUnknown::UpdatePolicy,
                    launch: names(&["LaunchConfigurationName"]),
                },
                "its UpdatePolicy depends on what only AWS knows, and LaunchConfigurationName changes",
            ),
            (
                Cause::TooComplex,
                "too complex to analyse: rackfile stops after a fixed amount of work, before it could tell what the update does to it",
            ),
        ];
        for (cause, words) in cases {
            assert_eq!(because(&cause), words, "{cause:?}");
        }
    }

    #[test]
    fn what_cloudformation_s_change_set_says_of_a_resource_in_words() {
        let change_set = |replacement, properties: &[&str], sources: Vec<ChangeSource>| {
            because(&Cause::ChangeSet {
                action: "Modify".into(),
                replacement,
                properties: names(properties),
                sources,
            })
        };
        let source = |source: &str, entity: Option<&str>| ChangeSource {
            source: source.into(),
            entity: entity.map(str::to_string),
        };
        assert_eq!(
            change_set(
                Some(Replacement::True),
                &["LaunchTemplateData"],
                vec![source("ParameterReference", Some("DefaultAmi"))]
            ),
            "CloudFormation's change set: Modify, Replacement True (LaunchTemplateData; from ParameterReference DefaultAmi)"
        );
        assert_eq!(
            change_set(None, &[], Vec::new()),
            "CloudFormation's change set: Modify"
        );
        assert_eq!(
            change_set(
                Some(Replacement::Conditional),
                &[],
                vec![
                    source("DirectModification", None),
                    source("Automatic", None)
                ]
            ),
            "CloudFormation's change set: Modify, Replacement Conditional (from DirectModification, Automatic)"
        );
        assert_eq!(
            change_set(Some(Replacement::False), &["A", "B"], Vec::new()),
            "CloudFormation's change set: Modify, Replacement False (A, B)"
        );
    }

    #[test]
    fn convox_s_rule_in_words_a_rolling_replacement_with_its_batch() {
        assert_eq!(
            rule_says(Rule::InstanceLaunch, Some("2")),
            "replaces instances (rolling, 2 at a time)"
        );
        assert_eq!(
            rule_says(Rule::SharedEfsEncryption, None),
            "recreates the shared EFS volume: application volume data is lost"
        );
        assert_eq!(
            rule_says(Rule::SubnetCidr, None),
            "recreates the subnet and what runs in it"
        );
    }

    #[test]
    fn a_change_that_reaches_nothing_says_so() {
        assert_eq!(describe_reach(&[]), "reaches no resource");
        let queue = resource("Queue", "AWS::SQS::Queue", ResourceAction::Add);
        assert_eq!(describe_reach(&[queue]), "adds Queue");
    }
}
