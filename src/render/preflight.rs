//! The preflight checks of a rack in words: what each finding says, a `preflight:` line for each check with
//! something to say (a warning, or a check that could not be made), naming what it read, and the reason of a
//! rack a check blocked. A check that passed says nothing under the rack.

use std::borrow::Cow;

use super::escape;
use crate::plan::{
    Blocked, BlockedKind, DeprecatedRuntime, Finding, FunctionUse, PreflightCheck, QuotaNeed,
    RackPlan, RuntimeStanding, Unknown, Verdict,
};

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
        format!(
            "{} (read: {})",
            escape(&says),
            escape(&check.read.join(", "))
        )
    }
}

/// Why a rack is blocked, unescaped: a preflight block's reason is its failed checks.
pub(super) fn reason_of<'a>(rack: &RackPlan, blocked: &'a Blocked) -> Cow<'a, str> {
    match blocked.kind {
        BlockedKind::Preflight => Cow::Owned(blocked_reason(&rack.preflight)),
        _ => Cow::Borrowed(&blocked.reason),
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
                check.read.join(", ")
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
            ", and racks {} planned before it in this account and region ask {earlier_vcpus}",
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
