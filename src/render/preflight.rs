//! The preflight checks of a rack in words: what each finding says, a `preflight:` line for each check with
//! something to say (a warning, or a check that could not be made), naming what it read, and the reason of a
//! rack a check blocked. A check that passed says nothing under the rack.

use super::escape;
use crate::plan::preflight::{
    DeprecatedRuntime, Finding, FunctionUse, QuotaNeed, Read, RuntimeStanding, Unknown,
};
use crate::plan::{PreflightCheck, RackPlan, Verdict};

/// The rack's preflight lines, unindented and escaped.
pub(super) fn lines(rack: &RackPlan) -> Vec<String> {
    rack.preflight
        .iter()
        .filter_map(|check| {
            let verdict = match check.verdict {
                Verdict::Warning => "warning",
                Verdict::NotChecked => "not checked",
                Verdict::Passed | Verdict::Blocked => return None,
            };
            Some(format!("preflight: {verdict}: {}", words(check)))
        })
        .collect()
}

/// A check's finding and what it read.
fn words(check: &PreflightCheck) -> String {
    let says = says(&check.finding);
    if check.read.is_empty() {
        escape(&says).into_owned()
    } else {
        format!("{} (read: {})", escape(&says), escape(&read_words(check)))
    }
}

/// What a check read, in the order it read it: `ListImports web:Cluster, ...`.
pub fn read_words(check: &PreflightCheck) -> String {
    read_words_each(check).join(", ")
}

/// Each thing a check read, in words.
pub fn read_words_each(check: &PreflightCheck) -> Vec<String> {
    check.read.iter().map(read).collect()
}

fn read(read: &Read) -> String {
    match read {
        Read::LiveAndPlannedTemplates => "the live and planned templates".into(),
        Read::PlannedTemplate => "the planned template".into(),
        Read::RuntimeTableFile => "lambda_runtimes.toml".into(),
        Read::RuntimeTable { source, read_on } => {
            format!("the runtime table ({source}, read {read_on})")
        }
        Read::ListImports { export } => format!("ListImports {export}"),
        Read::DescribeInstanceTypeOfferings {
            instance_type,
            region,
        } => format!("DescribeInstanceTypeOfferings {instance_type} in {region}"),
        Read::DescribeAvailabilityZones { region } => format!("DescribeAvailabilityZones {region}"),
        Read::DescribeInstanceTypes { instance_type } => {
            format!("DescribeInstanceTypes {instance_type}")
        }
        Read::GetServiceQuota { code, region } => format!("GetServiceQuota ec2 {code} in {region}"),
    }
}

/// Why a rack is blocked by its preflight checks, unescaped: a line for each failed check, with what it
/// read.
pub fn blocked_reason(checks: &[PreflightCheck]) -> String {
    checks
        .iter()
        .filter(|check| check.verdict == Verdict::Blocked)
        .map(|check| {
            format!(
                "preflight: {} (read: {})",
                says(&check.finding),
                read_words(check)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The finding, in a sentence (unescaped).
pub fn says(finding: &Finding) -> String {
    match finding {
        Finding::ExportsUnknown { step, why } => format!(
            "the exports the update{} removes are not known: {}",
            step_words(step),
            why.iter().map(unknown).collect::<Vec<_>>().join("; ")
        ),
        Finding::ExportUnused { step, export } => format!(
            "the update{} removes export {export}, which no stack imports",
            step_words(step)
        ),
        Finding::ExportImported {
            step,
            export,
            importers,
        } => {
            let (stacks, them) = if importers.len() == 1 {
                ("stack", "it")
            } else {
                ("stacks", "them")
            };
            format!(
                "the update{} removes export {export}, which {stacks} {} imports: CloudFormation would roll it back; update or delete {them} first",
                step_words(step),
                importers.join(", ")
            )
        }
        Finding::ImportsUnreadable {
            step,
            export,
            error,
        } => format!(
            "the update{} removes export {export}; whether a stack imports it could not be read: {error}",
            step_words(step)
        ),
        Finding::ImportsNotRead { step, export } => format!(
            "the update{} removes export {export}; its importers were not read",
            step_words(step)
        ),
        Finding::RuntimesUnknown { step, why } => format!(
            "the Lambda runtimes{} are not known: {}",
            step_words(step),
            unknown(why)
        ),
        Finding::RuntimeUnknown {
            step,
            function,
            why,
        } => format!(
            "the runtime of function {function}{} is not known: {why}",
            step_words(step)
        ),
        Finding::RuntimeTableUnreadable { error } => {
            format!("the runtime table cannot be read: {error}")
        }
        Finding::DeprecatedRuntime {
            step,
            function,
            runtime,
            operation,
            standing,
        } => deprecated_runtime(
            &format!("{function}{}", step_words(step)),
            runtime,
            *operation,
            *standing,
        ),
        Finding::OfferingsUnreadable {
            instance_type,
            region,
            error,
        } => format!("where {instance_type} is offered in {region} could not be read: {error}"),
        Finding::OfferingsNotRead { instance_type } => {
            format!("where {instance_type} is offered was not read")
        }
        Finding::ZonesUnreadable { region, error } => {
            format!("the zones of {region} could not be read: {error}")
        }
        Finding::ZonesNotRead { region } => format!("the zones of {region} were not read"),
        Finding::ZoneBeyondRegion {
            subnet,
            index,
            region,
            available,
        } => format!(
            "subnet {subnet} takes zone {} of {region}, which has {available} available to the account",
            index + 1
        ),
        Finding::NotOfferedInZones {
            instance_type,
            region,
            missing,
            offered,
        } => {
            let missing = missing
                .iter()
                .map(|zone| format!("{} (subnets {})", zone.zone, zone.subnets.join(", ")))
                .collect::<Vec<_>>()
                .join(", ");
            let offered = if offered.is_empty() {
                "none".to_string()
            } else {
                offered.join(", ")
            };
            format!(
                "instance type {instance_type} is not offered in {missing}; zones of {region} offering it: {offered}"
            )
        }
        Finding::NotOfferedInRegion {
            instance_type,
            region,
        } => format!("instance type {instance_type} is not offered in any zone of {region}"),
        Finding::SubnetZonesUnknown { why } => format!(
            "the zones of the rack's subnets are not all known: {}",
            why.iter().map(unknown).collect::<Vec<_>>().join("; ")
        ),
        Finding::Offered {
            instance_type,
            zones,
        } => {
            let zones = if zones.is_empty() {
                "zones AWS chooses".to_string()
            } else {
                zones.join(", ")
            };
            format!(
                "instance type {instance_type} is offered in the rack's subnets' zones ({zones})"
            )
        }
        Finding::NoQuotaKnown { instance_type } => {
            format!("rackfile knows no EC2 vCPU quota for the family of {instance_type}")
        }
        Finding::InstanceTypeUnknown { instance_type } => {
            format!("EC2 does not know instance type {instance_type}")
        }
        Finding::VcpusUnreadable {
            instance_type,
            error,
        } => format!("the vCPUs of {instance_type} could not be read: {error}"),
        Finding::VcpusNotRead { instance_type } => {
            format!("the vCPUs of {instance_type} were not read")
        }
        Finding::QuotaUnreadable { quota, error } => format!(
            "the EC2 quota {} ({}) could not be read: {error}",
            quota.code, quota.name
        ),
        Finding::QuotaNotRead { quota } => format!("the EC2 quota {} was not read", quota.code),
        Finding::QuotaCompared(need) => quota_compared(need),
    }
}

/// A step's name in a finding's words: ` (upgrade step to 20230101000000)`, or nothing.
fn step_words(step: &Option<String>) -> String {
    step.as_ref()
        .map(|version| format!(" (upgrade step to {version})"))
        .unwrap_or_default()
}

/// Why something is not known offline.
fn unknown(why: &Unknown) -> String {
    match why {
        Unknown::SummaryOnly { template } => format!(
            "{template} was read through GetTemplateSummary, which does not return its outputs or resources"
        ),
        Unknown::LiveTemplateNotRead => "the live template was not read".into(),
        Unknown::LiveTemplateUnreadable { error } => {
            format!("cannot read the live template: {error}")
        }
        Unknown::LiveTemplateUnparsable { error } => {
            format!("the live template cannot be parsed: {error}")
        }
        Unknown::ExportName { output, why } => {
            format!("the export name of output {output}: {why}")
        }
        Unknown::SubnetZone { why } => why.clone(),
    }
}

/// A function (`id` with its step) on a deprecated runtime, by what the operation does to it and where the
/// runtime stands.
fn deprecated_runtime(
    id: &str,
    runtime: &DeprecatedRuntime,
    operation: FunctionUse,
    standing: RuntimeStanding,
) -> String {
    let DeprecatedRuntime {
        identifier,
        name,
        deprecated,
        block_create,
        block_update,
    } = runtime;
    let refused_from = runtime.refused_from(operation);
    let dates = format!(
        "deprecated {deprecated}, creates refused from {block_create}, updates from {block_update}"
    );
    let verb = match operation {
        FunctionUse::Create => "creates it",
        FunctionUse::Replace => "replaces it (a new function is created)",
        FunctionUse::MayReplace => "may replace it (a new function would be created)",
        FunctionUse::Update => "updates it",
        FunctionUse::MayUpdate => "may update it",
        FunctionUse::LeftAlone => "leaves it alone",
    };
    match (operation, standing) {
        (FunctionUse::LeftAlone, RuntimeStanding::NotYetDeprecated) => format!(
            "function {id} runs {identifier}, which AWS deprecates on {deprecated} ({dates}); the operation leaves it alone"
        ),
        (FunctionUse::LeftAlone, RuntimeStanding::Deprecated | RuntimeStanding::Refused) => {
            let stopped = if standing == RuntimeStanding::Refused {
                "stopped accepting updates to it on"
            } else {
                "stops accepting updates to it on"
            };
            format!(
                "function {id} runs {identifier} ({name}), which AWS {stopped} {refused_from}: the operation leaves it alone, but any later change to it will need a supported runtime ({dates})"
            )
        }
        (_, RuntimeStanding::Refused) => format!(
            "function {id} runs {identifier} ({name}), which AWS no longer accepts: the operation {verb} and AWS refuses that since {refused_from} ({dates})"
        ),
        (_, RuntimeStanding::Deprecated) => format!(
            "function {id} runs {identifier} ({name}), deprecated by AWS: the operation {verb}, which AWS refuses from {refused_from} ({dates})"
        ),
        (_, RuntimeStanding::NotYetDeprecated) => format!(
            "function {id} runs {identifier}, which AWS deprecates on {deprecated} ({dates})"
        ),
    }
}

/// A rack's instances against the vCPU quota.
fn quota_compared(need: &QuotaNeed) -> String {
    let QuotaNeed {
        instance_type,
        count,
        batch,
        vcpus_each,
        earlier_racks,
        earlier_vcpus,
        quota,
        quota_vcpus,
    } = need;
    let batch_words = if *batch == 0 {
        String::new()
    } else {
        format!(" plus a rolling batch of {batch}")
    };
    let earlier_words = if earlier_racks.is_empty() {
        String::new()
    } else {
        format!(
            ", and {} {} planned before it in this account and region ask {earlier_vcpus}",
            if earlier_racks.len() == 1 {
                "rack"
            } else {
                "racks"
            },
            earlier_racks.join(", ")
        )
    };
    format!(
        "{count} instances of {instance_type}{batch_words} need {} vCPUs ({vcpus_each} each){earlier_words}; quota {} ({}) is {quota_vcpus} vCPUs",
        need.vcpus(),
        quota.code,
        quota.name
    )
}

/// A read of every kind, with the words the plan stored before the words moved to this view.
#[cfg(test)]
pub(super) fn every_read() -> Vec<(Read, &'static str)> {
    vec![
        (
            Read::LiveAndPlannedTemplates,
            "the live and planned templates",
        ),
        (Read::PlannedTemplate, "the planned template"),
        (Read::RuntimeTableFile, "lambda_runtimes.toml"),
        (
            Read::RuntimeTable {
                source: "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html".into(),
                read_on: "2026-11-30".into(),
            },
            "the runtime table (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html, read 2026-11-30)",
        ),
        (
            Read::ListImports {
                export: "web:Cluster".into(),
            },
            "ListImports web:Cluster",
        ),
        (
            Read::DescribeInstanceTypeOfferings {
                instance_type: "t3.small".into(),
                region: "us-east-1".into(),
            },
            "DescribeInstanceTypeOfferings t3.small in us-east-1",
        ),
        (
            Read::DescribeAvailabilityZones {
                region: "us-east-1".into(),
            },
            "DescribeAvailabilityZones us-east-1",
        ),
        (
            Read::DescribeInstanceTypes {
                instance_type: "t3.small".into(),
            },
            "DescribeInstanceTypes t3.small",
        ),
        (
            Read::GetServiceQuota {
                code: "L-1216C47A".into(),
                region: "us-east-1".into(),
            },
            "GetServiceQuota ec2 L-1216C47A in us-east-1",
        ),
    ]
}

/// A finding of every kind, with the sentence the plan stored before the words moved to this view.
#[cfg(test)]
pub(super) fn every_finding_and_its_words() -> Vec<(Finding, String)> {
    use crate::plan::preflight::{Ec2Quota, ZoneSubnets};
    let step = || Some("20200101000000".to_string());
    let quota = || Ec2Quota {
        code: "L-1216C47A".into(),
        name: "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances".into(),
    };
    let node = || DeprecatedRuntime {
        identifier: "nodejs4.3".into(),
        name: "Node.js 4.3".into(),
        deprecated: "2018-04-30".into(),
        block_create: "2018-12-15".into(),
        block_update: "2020-03-06".into(),
    };
    let dates = "deprecated 2018-04-30, creates refused from 2018-12-15, updates from 2020-03-06";
    let function = |operation, standing| Finding::DeprecatedRuntime {
        step: None,
        function: "Api".into(),
        runtime: node(),
        operation,
        standing,
    };
    vec![
        (
            Finding::ExportsUnknown {
                step: step(),
                why: vec![
                    Unknown::SummaryOnly {
                        template: "https://example.com/rack.json".into(),
                    },
                    Unknown::LiveTemplateNotRead,
                    Unknown::LiveTemplateUnreadable {
                        error: "AccessDenied: no".into(),
                    },
                    Unknown::LiveTemplateUnparsable {
                        error: "not a valid JSON template: EOF".into(),
                    },
                    Unknown::ExportName {
                        output: "Cluster".into(),
                        why: "it refers to an attribute only AWS knows".into(),
                    },
                ],
            },
            "the exports the update (upgrade step to 20200101000000) removes are not known: https://example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources; the live template was not read; cannot read the live template: AccessDenied: no; the live template cannot be parsed: not a valid JSON template: EOF; the export name of output Cluster: it refers to an attribute only AWS knows".into(),
        ),
        (
            Finding::ExportUnused {
                step: None,
                export: "web:Cluster".into(),
            },
            "the update removes export web:Cluster, which no stack imports".into(),
        ),
        (
            Finding::ExportImported {
                step: None,
                export: "web:Cluster".into(),
                importers: vec!["web-myapp".into()],
            },
            "the update removes export web:Cluster, which stack web-myapp imports: CloudFormation would roll it back; update or delete it first".into(),
        ),
        (
            Finding::ExportImported {
                step: step(),
                export: "web:Cluster".into(),
                importers: vec!["web-a".into(), "web-b".into()],
            },
            "the update (upgrade step to 20200101000000) removes export web:Cluster, which stacks web-a, web-b imports: CloudFormation would roll it back; update or delete them first".into(),
        ),
        (
            Finding::ImportsUnreadable {
                step: None,
                export: "web:Cluster".into(),
                error: "AccessDenied: ListImports".into(),
            },
            "the update removes export web:Cluster; whether a stack imports it could not be read: AccessDenied: ListImports".into(),
        ),
        (
            Finding::ImportsNotRead {
                step: None,
                export: "web:Cluster".into(),
            },
            "the update removes export web:Cluster; its importers were not read".into(),
        ),
        (
            Finding::RuntimesUnknown {
                step: step(),
                why: Unknown::LiveTemplateNotRead,
            },
            "the Lambda runtimes (upgrade step to 20200101000000) are not known: the live template was not read".into(),
        ),
        (
            Finding::RuntimeUnknown {
                step: step(),
                function: "Api".into(),
                why: "it is computed by AWS at deploy time".into(),
            },
            "the runtime of function Api (upgrade step to 20200101000000) is not known: it is computed by AWS at deploy time".into(),
        ),
        (
            Finding::RuntimeTableUnreadable {
                error: "missing field `read`".into(),
            },
            "the runtime table cannot be read: missing field `read`".into(),
        ),
        (
            function(FunctionUse::LeftAlone, RuntimeStanding::NotYetDeprecated),
            format!(
                "function Api runs nodejs4.3, which AWS deprecates on 2018-04-30 ({dates}); the operation leaves it alone"
            ),
        ),
        (
            function(FunctionUse::LeftAlone, RuntimeStanding::Deprecated),
            format!(
                "function Api runs nodejs4.3 (Node.js 4.3), which AWS stops accepting updates to it on 2020-03-06: the operation leaves it alone, but any later change to it will need a supported runtime ({dates})"
            ),
        ),
        (
            function(FunctionUse::LeftAlone, RuntimeStanding::Refused),
            format!(
                "function Api runs nodejs4.3 (Node.js 4.3), which AWS stopped accepting updates to it on 2020-03-06: the operation leaves it alone, but any later change to it will need a supported runtime ({dates})"
            ),
        ),
        (
            Finding::DeprecatedRuntime {
                step: step(),
                function: "Api".into(),
                runtime: node(),
                operation: FunctionUse::Update,
                standing: RuntimeStanding::Refused,
            },
            format!(
                "function Api (upgrade step to 20200101000000) runs nodejs4.3 (Node.js 4.3), which AWS no longer accepts: the operation updates it and AWS refuses that since 2020-03-06 ({dates})"
            ),
        ),
        (
            function(FunctionUse::Create, RuntimeStanding::Refused),
            format!(
                "function Api runs nodejs4.3 (Node.js 4.3), which AWS no longer accepts: the operation creates it and AWS refuses that since 2018-12-15 ({dates})"
            ),
        ),
        (
            function(FunctionUse::Replace, RuntimeStanding::Deprecated),
            format!(
                "function Api runs nodejs4.3 (Node.js 4.3), deprecated by AWS: the operation replaces it (a new function is created), which AWS refuses from 2018-12-15 ({dates})"
            ),
        ),
        (
            function(FunctionUse::MayReplace, RuntimeStanding::Deprecated),
            format!(
                "function Api runs nodejs4.3 (Node.js 4.3), deprecated by AWS: the operation may replace it (a new function would be created), which AWS refuses from 2018-12-15 ({dates})"
            ),
        ),
        (
            function(FunctionUse::MayUpdate, RuntimeStanding::Refused),
            format!(
                "function Api runs nodejs4.3 (Node.js 4.3), which AWS no longer accepts: the operation may update it and AWS refuses that since 2020-03-06 ({dates})"
            ),
        ),
        (
            function(FunctionUse::Update, RuntimeStanding::NotYetDeprecated),
            format!(
                "function Api runs nodejs4.3, which AWS deprecates on 2018-04-30 ({dates})"
            ),
        ),
        (
            Finding::OfferingsUnreadable {
                instance_type: "m5.large".into(),
                region: "us-east-1".into(),
                error: "UnauthorizedOperation: no".into(),
            },
            "where m5.large is offered in us-east-1 could not be read: UnauthorizedOperation: no".into(),
        ),
        (
            Finding::OfferingsNotRead {
                instance_type: "m5.large".into(),
            },
            "where m5.large is offered was not read".into(),
        ),
        (
            Finding::ZonesUnreadable {
                region: "us-east-1".into(),
                error: "UnauthorizedOperation: no".into(),
            },
            "the zones of us-east-1 could not be read: UnauthorizedOperation: no".into(),
        ),
        (
            Finding::ZonesNotRead {
                region: "us-east-1".into(),
            },
            "the zones of us-east-1 were not read".into(),
        ),
        (
            Finding::ZoneBeyondRegion {
                subnet: "Subnet2".into(),
                index: 2,
                region: "us-west-1".into(),
                available: 2,
            },
            "subnet Subnet2 takes zone 3 of us-west-1, which has 2 available to the account".into(),
        ),
        (
            Finding::NotOfferedInZones {
                instance_type: "m5.xlarge".into(),
                region: "us-east-1".into(),
                missing: vec![
                    ZoneSubnets {
                        zone: "us-east-1b".into(),
                        subnets: vec!["Subnet1".into()],
                    },
                    ZoneSubnets {
                        zone: "us-east-1e".into(),
                        subnets: vec!["Subnet2".into(), "Subnet3".into()],
                    },
                ],
                offered: vec!["us-east-1a".into(), "us-east-1c".into()],
            },
            "instance type m5.xlarge is not offered in us-east-1b (subnets Subnet1), us-east-1e (subnets Subnet2, Subnet3); zones of us-east-1 offering it: us-east-1a, us-east-1c".into(),
        ),
        (
            Finding::NotOfferedInZones {
                instance_type: "m5.xlarge".into(),
                region: "us-east-1".into(),
                missing: vec![ZoneSubnets {
                    zone: "us-east-1b".into(),
                    subnets: vec!["Subnet1".into()],
                }],
                offered: Vec::new(),
            },
            "instance type m5.xlarge is not offered in us-east-1b (subnets Subnet1); zones of us-east-1 offering it: none".into(),
        ),
        (
            Finding::NotOfferedInRegion {
                instance_type: "m5.xlarge".into(),
                region: "us-east-1".into(),
            },
            "instance type m5.xlarge is not offered in any zone of us-east-1".into(),
        ),
        (
            Finding::SubnetZonesUnknown {
                why: vec![
                    Unknown::SubnetZone {
                        why: "subnet Subnet0's zone is a parameter only AWS resolves".into(),
                    },
                    Unknown::LiveTemplateNotRead,
                ],
            },
            "the zones of the rack's subnets are not all known: subnet Subnet0's zone is a parameter only AWS resolves; the live template was not read".into(),
        ),
        (
            Finding::Offered {
                instance_type: "t3.small".into(),
                zones: vec!["us-east-1a".into(), "us-east-1b".into()],
            },
            "instance type t3.small is offered in the rack's subnets' zones (us-east-1a, us-east-1b)".into(),
        ),
        (
            Finding::Offered {
                instance_type: "t3.small".into(),
                zones: Vec::new(),
            },
            "instance type t3.small is offered in the rack's subnets' zones (zones AWS chooses)".into(),
        ),
        (
            Finding::NoQuotaKnown {
                instance_type: "mac2.metal".into(),
            },
            "rackfile knows no EC2 vCPU quota for the family of mac2.metal".into(),
        ),
        (
            Finding::InstanceTypeUnknown {
                instance_type: "m9.huge".into(),
            },
            "EC2 does not know instance type m9.huge".into(),
        ),
        (
            Finding::VcpusUnreadable {
                instance_type: "m5.large".into(),
                error: "UnauthorizedOperation: no".into(),
            },
            "the vCPUs of m5.large could not be read: UnauthorizedOperation: no".into(),
        ),
        (
            Finding::VcpusNotRead {
                instance_type: "m5.large".into(),
            },
            "the vCPUs of m5.large were not read".into(),
        ),
        (
            Finding::QuotaUnreadable {
                quota: quota(),
                error: "AccessDeniedException: no".into(),
            },
            "the EC2 quota L-1216C47A (Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances) could not be read: AccessDeniedException: no".into(),
        ),
        (
            Finding::QuotaNotRead { quota: quota() },
            "the EC2 quota L-1216C47A was not read".into(),
        ),
        (
            Finding::QuotaCompared(QuotaNeed {
                instance_type: "t2.small".into(),
                count: 3,
                batch: 0,
                vcpus_each: 1,
                earlier_racks: Vec::new(),
                earlier_vcpus: 0,
                quota: quota(),
                quota_vcpus: 256,
            }),
            "3 instances of t2.small need 3 vCPUs (1 each); quota L-1216C47A (Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances) is 256 vCPUs".into(),
        ),
        (
            Finding::QuotaCompared(QuotaNeed {
                instance_type: "m5.large".into(),
                count: 2,
                batch: 1,
                vcpus_each: 2,
                earlier_racks: vec!["one".into(), "two".into()],
                earlier_vcpus: 6,
                quota: quota(),
                quota_vcpus: 12,
            }),
            "2 instances of m5.large plus a rolling batch of 1 need 6 vCPUs (2 each), and racks one, two planned before it in this account and region ask 6; quota L-1216C47A (Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances) is 12 vCPUs".into(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::PreflightKind;

    #[test]
    fn each_finding_says_what_the_plan_said_before_its_words_moved_here() {
        for (finding, words) in every_finding_and_its_words() {
            assert_eq!(says(&finding), words, "{finding:?}");
        }
    }

    #[test]
    fn each_read_in_the_words_the_plan_stored_before() {
        for (read, words) in every_read() {
            assert_eq!(super::read(&read), words, "{read:?}");
        }
    }

    #[test]
    fn a_blocked_rack_s_reason_is_a_line_per_failed_check_with_what_it_read() {
        let check = |verdict, exports: &[&str], finding| PreflightCheck {
            check: PreflightKind::Exports,
            verdict,
            read: exports
                .iter()
                .map(|export| Read::ListImports {
                    export: export.to_string(),
                })
                .collect(),
            finding,
        };
        let export = |name: &str| Finding::ImportsNotRead {
            step: None,
            export: name.into(),
        };
        let checks = [
            check(Verdict::Blocked, &["a", "b"], export("a")),
            check(Verdict::NotChecked, &["c"], export("c")),
            check(Verdict::Blocked, &[], export("d")),
        ];
        assert_eq!(
            blocked_reason(&checks),
            "preflight: the update removes export a; its importers were not read (read: ListImports a, ListImports b)\npreflight: the update removes export d; its importers were not read (read: )"
        );
    }
}
