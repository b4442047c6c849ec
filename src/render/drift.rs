//! The views of `rackfile drift`: each rack's drifted resources in rack terms (`security group
//! RackSecurityGroup (sg-0abc): ingress 0.0.0.0/0:22 added`) with CloudFormation's PropertyPath, expected and
//! actual values; what Convox or `drift_ignore` accounts for; what was not checked, named and counted; and the
//! JSON contract. The words for one resource's drift are shared with `plan --drift`.

use std::fmt::Write as _;

use super::{Notation, duration, escape};
use crate::cloud::drift::{DifferenceKind, ResourceDriftStatus};
use crate::plan::drift::{
    Difference, DriftFindings, DriftOutcome, DriftReport, DriftUnchecked, DriftedResource,
    ManagedBy, UncheckedResource,
};

/// The report as JSON (`format_version` "1", documented in the README).
pub fn json(report: &DriftReport) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
    text.push('\n');
    text
}

/// The report for a person.
pub fn human(report: &DriftReport) -> String {
    let mut out = String::new();
    for rack in &report.racks {
        let name = &rack.rack;
        match &rack.outcome {
            DriftOutcome::Detected(findings) => rack_findings(&mut out, name, findings),
            DriftOutcome::NotInstalled => {
                let _ = writeln!(out, "{name}: not installed, nothing to detect");
            }
            DriftOutcome::Busy { status } => {
                let _ = writeln!(
                    out,
                    "{name}: NOT CHECKED: the stack is {}; CloudFormation detects drift only on a settled stack",
                    escape(status)
                );
            }
            DriftOutcome::Failed { error } => {
                let _ = writeln!(
                    out,
                    "{name}: NOT CHECKED: drift detection failed: {}",
                    escape(error)
                );
            }
            DriftOutcome::TimedOut { after_seconds } => {
                let _ = writeln!(
                    out,
                    "{name}: NOT CHECKED: drift detection still running after {}; it goes on in AWS, run `rackfile drift --target {name}` again later",
                    duration(
                        std::time::Duration::from_secs(*after_seconds),
                        Notation::Words
                    )
                );
            }
        }
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "\nDrift: {} drifted, {} without drift, {} not checked, {} not installed; {} resource{} CloudFormation does not check, {} it could not check.",
        s.drifted,
        s.in_sync,
        s.not_checked,
        s.not_installed,
        s.resources_not_checked,
        plural(s.resources_not_checked),
        s.resources_unknown
    );
    out
}

fn rack_findings(out: &mut String, name: &str, findings: &DriftFindings) {
    let unchecked = findings.not_checked.len() + findings.unknown.len();
    if findings.has_drifted() {
        let _ = writeln!(
            out,
            "{name}: drifted: {} resource{} changed outside CloudFormation",
            findings.drifted.len(),
            plural(findings.drifted.len())
        );
    } else if unchecked == 0 {
        let _ = writeln!(
            out,
            "{name}: in sync ({} resource{} checked)",
            findings.in_sync,
            plural(findings.in_sync)
        );
    } else {
        // Never "in sync" while something was not checked.
        let _ = writeln!(
            out,
            "{name}: no drift in the {} resource{} checked; {unchecked} not checked (below)",
            findings.in_sync,
            plural(findings.in_sync)
        );
    }
    for resource in &findings.drifted {
        for line in resource_lines(resource) {
            let _ = writeln!(out, "  {line}");
        }
    }
    for managed in &findings.managed {
        let what = resource_words(
            &managed.resource_type,
            &managed.logical_id,
            managed.physical_id.as_deref(),
        );
        let change = difference_words(&managed.resource_type, &managed.difference);
        let by = match &managed.by {
            ManagedBy::Convox { what, source } => {
                format!("managed by Convox: {what} ({source})")
            }
            ManagedBy::DriftIgnore { entry } => {
                format!(
                    "managed outside CloudFormation: drift_ignore \"{}\"",
                    escape(entry)
                )
            }
        };
        let _ = writeln!(out, "  {what}: {change} ({by})");
    }
    if findings.detection_failed {
        let _ = writeln!(
            out,
            "  drift detection failed for some resources: {}",
            escape(
                findings
                    .detection_reason
                    .as_deref()
                    .unwrap_or("no reason given")
            )
        );
    }
    unchecked_lines(
        out,
        "not checked (CloudFormation does not check these)",
        &findings.not_checked,
    );
    unchecked_lines(out, "could not be checked (UNKNOWN)", &findings.unknown);
}

fn unchecked_lines(out: &mut String, heading: &str, resources: &[UncheckedResource]) {
    if resources.is_empty() {
        return;
    }
    let _ = writeln!(out, "  {} {heading}:", resources.len());
    for resource in resources {
        let reason = resource
            .reason
            .as_deref()
            .map(|reason| format!(": {}", escape(reason)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    {} ({}){reason}",
            escape(&resource.logical_id),
            escape(&resource.resource_type)
        );
    }
}

/// `plan --drift`'s lines for a rack: each drifted resource its update puts back, or why drift is unknown.
pub fn overwrite_lines(rack: &crate::plan::RackPlan) -> Vec<String> {
    let mut lines = Vec::new();
    for reason in &rack.hold {
        match reason {
            crate::plan::HoldReason::OverwritesDrift { resources } => {
                for overwritten in resources {
                    let verb = if overwritten.certain { "will" } else { "may" };
                    for line in resource_lines(&overwritten.resource) {
                        if line.starts_with(' ') {
                            lines.push(format!("  {line}"));
                        } else {
                            lines.push(format!(
                                "{verb} overwrite a change made outside CloudFormation: {line}"
                            ));
                        }
                    }
                }
            }
            crate::plan::HoldReason::DriftNotChecked { why } => lines.push(format!(
                "drift not checked: {}; what this update overwrites is unknown",
                escape(&unchecked_words(why))
            )),
            _ => {}
        }
    }
    lines
}

/// Why `plan --drift` could not detect a rack's drift, unescaped.
pub fn unchecked_words(why: &DriftUnchecked) -> String {
    match why {
        DriftUnchecked::Busy { status } => format!("the stack is {status}"),
        DriftUnchecked::Failed { error } => error.clone(),
        DriftUnchecked::TimedOut { after_seconds } => {
            format!("the detection was still running after {after_seconds} s")
        }
    }
}

/// A drifted resource in rack terms, one line per difference, each followed by CloudFormation's own view.
pub fn resource_lines(resource: &DriftedResource) -> Vec<String> {
    let what = resource_words(
        &resource.resource_type,
        &resource.logical_id,
        resource.physical_id.as_deref(),
    );
    if resource.status == ResourceDriftStatus::Deleted {
        return vec![format!("{what}: deleted outside CloudFormation")];
    }
    if resource.differences.is_empty() {
        return vec![format!(
            "{what}: modified (CloudFormation listed no property)"
        )];
    }
    let mut lines = Vec::new();
    for difference in &resource.differences {
        lines.push(format!(
            "{what}: {}",
            difference_words(&resource.resource_type, difference)
        ));
        lines.push(format!(
            "    {} {}: expected {}, actual {}",
            escape(&difference.path),
            difference.kind.word(),
            shown(&difference.expected),
            shown(&difference.actual)
        ));
    }
    lines
}

/// `security group RackSecurityGroup (sg-0abc)`.
pub fn resource_words(resource_type: &str, logical_id: &str, physical_id: Option<&str>) -> String {
    let noun = match resource_type {
        "AWS::EC2::SecurityGroup" => "security group",
        "AWS::Logs::LogGroup" => "log group",
        "AWS::AutoScaling::AutoScalingGroup" => "autoscaling group",
        "AWS::ECS::Service" => "ECS service",
        "AWS::ECS::TaskDefinition" => "ECS task definition",
        "AWS::EC2::VPC" => "VPC",
        "AWS::EC2::Subnet" => "subnet",
        "AWS::S3::Bucket" => "bucket",
        "AWS::IAM::Role" => "IAM role",
        "AWS::Lambda::Function" => "Lambda function",
        "AWS::DynamoDB::Table" => "DynamoDB table",
        "AWS::ElasticLoadBalancingV2::LoadBalancer" => "load balancer",
        "AWS::EC2::LaunchTemplate" => "launch template",
        other => other,
    };
    let physical = physical_id
        .filter(|id| !id.is_empty() && *id != logical_id)
        .map(|id| format!(" ({})", escape(id)))
        .unwrap_or_default();
    format!("{noun} {}{physical}", escape(logical_id))
}

/// One difference in rack terms: `ingress 0.0.0.0/0:22 added`, `retention 7 -> 30 days`.
pub fn difference_words(resource_type: &str, difference: &Difference) -> String {
    let path = difference.path.as_str();
    let kind = difference.kind;
    let rule_direction = ["/SecurityGroupIngress", "/SecurityGroupEgress"]
        .into_iter()
        .find(|prefix| is_whole_item(path, prefix));
    if resource_type == "AWS::EC2::SecurityGroup"
        && let Some(prefix) = rule_direction
    {
        let direction = if prefix.ends_with("Ingress") {
            "ingress"
        } else {
            "egress"
        };
        let rule = match kind {
            DifferenceKind::Remove => &difference.expected,
            _ => &difference.actual,
        };
        let verb = match kind {
            DifferenceKind::Add => "added",
            DifferenceKind::Remove => "removed",
            DifferenceKind::NotEqual => "changed",
        };
        return format!("{direction} {} {verb}", rule_words(rule));
    }
    let named = match (resource_type, path) {
        ("AWS::Logs::LogGroup", "/RetentionInDays") => Some(("retention", " days")),
        ("AWS::AutoScaling::AutoScalingGroup", "/DesiredCapacity") => {
            Some(("desired capacity", ""))
        }
        ("AWS::AutoScaling::AutoScalingGroup", "/MinSize") => Some(("minimum size", "")),
        ("AWS::AutoScaling::AutoScalingGroup", "/MaxSize") => Some(("maximum size", "")),
        ("AWS::ECS::Service", "/DesiredCount") => Some(("desired count", "")),
        _ => None,
    };
    let (name, unit) = named.unwrap_or((path, ""));
    let name = escape(name);
    match kind {
        DifferenceKind::Add => format!("{name} {}{unit} added", shown(&difference.actual)),
        DifferenceKind::Remove => format!("{name} {}{unit} removed", shown(&difference.expected)),
        DifferenceKind::NotEqual => format!(
            "{name} {} -> {}{unit}",
            shown(&difference.expected),
            shown(&difference.actual)
        ),
    }
}

/// Whether `path` is `prefix/N`: a whole rule, not a field inside one.
fn is_whole_item(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(|index| !index.is_empty() && index.chars().all(|c| c.is_ascii_digit()))
}

/// A security group rule as `0.0.0.0/0:22` (`:all`, `:8000-8010`, `/udp` when not TCP).
fn rule_words(json: &str) -> String {
    let Ok(rule) = serde_json::from_str::<serde_json::Value>(json) else {
        return escape(json).into_owned();
    };
    let text = |key: &str| {
        rule.get(key).and_then(|value| match value {
            serde_json::Value::String(text) => Some(text.clone()),
            serde_json::Value::Number(number) => Some(number.to_string()),
            _ => None,
        })
    };
    let source = text("CidrIp")
        .or_else(|| text("CidrIpv6"))
        .or_else(|| text("SourceSecurityGroupId"))
        .or_else(|| text("DestinationSecurityGroupId"))
        .or_else(|| text("SourcePrefixListId"))
        .unwrap_or_else(|| "?".into());
    let protocol = text("IpProtocol").unwrap_or_else(|| "tcp".into());
    let ports = match (text("FromPort"), text("ToPort")) {
        _ if protocol == "-1" => "all".to_string(),
        (Some(from), Some(to)) if from == to => from,
        (Some(from), Some(to)) => format!("{from}-{to}"),
        (Some(port), None) | (None, Some(port)) => port,
        (None, None) => "all".to_string(),
    };
    let protocol = match protocol.as_str() {
        "tcp" | "6" | "-1" => String::new(),
        other => format!("/{other}"),
    };
    escape(&format!("{source}:{ports}{protocol}")).into_owned()
}

/// A JSON value as text: a string without its quotes; nothing as `(none)`.
fn shown(json: &str) -> String {
    if json.is_empty() || json == "null" {
        return "(none)".into();
    }
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::String(text)) => escape(&text).into_owned(),
        _ => escape(json).into_owned(),
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn why_drift_was_not_checked_is_said_with_aws_s_error_as_it_is() {
        for (why, said) in [
            (
                DriftUnchecked::Busy {
                    status: "UPDATE_IN_PROGRESS".into(),
                },
                "the stack is UPDATE_IN_PROGRESS",
            ),
            (
                DriftUnchecked::Failed {
                    error: "Throttling: slow down".into(),
                },
                "Throttling: slow down",
            ),
            (
                DriftUnchecked::TimedOut { after_seconds: 300 },
                "the detection was still running after 300 s",
            ),
        ] {
            assert_eq!(unchecked_words(&why), said);
        }
    }

    fn difference(path: &str, expected: &str, actual: &str, kind: DifferenceKind) -> Difference {
        Difference {
            path: path.into(),
            expected: expected.into(),
            actual: actual.into(),
            kind,
        }
    }

    #[test]
    fn a_rule_added_to_a_security_group_reads_as_the_rule() {
        let added = difference(
            "/SecurityGroupIngress/2",
            "null",
            r#"{"CidrIp":"0.0.0.0/0","FromPort":22,"IpProtocol":"tcp","ToPort":22}"#,
            DifferenceKind::Add,
        );
        assert_eq!(
            format!(
                "{}: {}",
                resource_words(
                    "AWS::EC2::SecurityGroup",
                    "RackSecurityGroup",
                    Some("sg-0abc")
                ),
                difference_words("AWS::EC2::SecurityGroup", &added)
            ),
            "security group RackSecurityGroup (sg-0abc): ingress 0.0.0.0/0:22 added"
        );
        let removed = difference(
            "/SecurityGroupEgress/0",
            r#"{"CidrIp":"10.0.0.0/8","IpProtocol":"-1"}"#,
            "null",
            DifferenceKind::Remove,
        );
        assert_eq!(
            difference_words("AWS::EC2::SecurityGroup", &removed),
            "egress 10.0.0.0/8:all removed"
        );
    }

    #[test]
    fn a_retention_and_a_group_size_read_as_what_they_are() {
        let retention = difference("/RetentionInDays", "7", "30", DifferenceKind::NotEqual);
        assert_eq!(
            difference_words("AWS::Logs::LogGroup", &retention),
            "retention 7 -> 30 days"
        );
        let size = difference("/DesiredCapacity", "\"3\"", "0", DifferenceKind::NotEqual);
        assert_eq!(
            difference_words("AWS::AutoScaling::AutoScalingGroup", &size),
            "desired capacity 3 -> 0"
        );
        let other = difference("/Tags/0/Value", "\"a\"", "\"b\"", DifferenceKind::NotEqual);
        assert_eq!(
            difference_words("AWS::EC2::VPC", &other),
            "/Tags/0/Value a -> b"
        );
    }

    #[test]
    fn text_from_aws_cannot_move_the_terminal() {
        let hostile = difference(
            "/Description",
            "\"a\"",
            "\"\u{1b}[2J\"",
            DifferenceKind::NotEqual,
        );
        assert!(!difference_words("AWS::EC2::VPC", &hostile).contains('\u{1b}'));
    }
}
