//! Instances: a rack that installs, or changes its InstanceType or InstanceCount, needs its type offered in
//! every availability zone its subnets use (convox/rack#117) and enough of the account's running on-demand
//! vCPU quota for its instances plus one rolling batch (a rolling update that hits the limit rolls back:
//! convox/rack#2539), counting the other racks of the same account, region and quota planned in this run.
//! Read only for such racks: one DescribeInstanceTypeOfferings and one DescribeInstanceTypes per (account,
//! region, type), one GetServiceQuota per (account, region, quota), and DescribeAvailabilityZones once per
//! (account, region) when a template places subnets with `Fn::GetAZs`.
//!
//! The quota is compared with what the planned racks need, not with what else already runs in the account
//! (that would take a DescribeInstances sweep of every account and region).

use std::collections::{BTreeMap, BTreeSet};

use super::{Operation, PreflightCheck, PreflightKind, RackOperations, Verdict};
use crate::convox::names;
use crate::live::{Place, PreflightFacts, PreflightReads};
use crate::template::{SubnetZone, subnet_zones};

/// The EC2 running on-demand vCPU quota an instance type counts against: (quota code, its name), as the
/// "On-Demand Instance quotas" table of the EC2 User Guide (ec2-on-demand-instances.html#ec2-on-demand-
/// instances-limits) names them. `None` for a family with no vCPU quota (Mac instances run on dedicated
/// hosts) or one rackfile does not know.
pub(super) fn quota_of(instance_type: &str) -> Option<(&'static str, &'static str)> {
    let family: String = instance_type
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    // Prefixes that start like a standard family's letter but have quotas of their own come first.
    let own = [
        ("hpc", "L-F7808C92", "Running On-Demand HPC instances"),
        ("inf", "L-1945791B", "Running On-Demand Inf instances"),
        ("dl", "L-6E869C2A", "Running On-Demand DL instances"),
        ("trn", "L-2C3B7624", "Running On-Demand Trn instances"),
        ("u", "L-43DA4232", "Running On-Demand High Memory instances"),
    ];
    if let Some((_, code, name)) = own.iter().find(|(prefix, ..)| family.starts_with(prefix)) {
        return Some((code, name));
    }
    if family.starts_with("mac") {
        return None;
    }
    match family.chars().next()? {
        'a' | 'c' | 'd' | 'h' | 'i' | 'm' | 'r' | 't' | 'z' => Some((
            "L-1216C47A",
            "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
        )),
        'g' => Some(("L-DB2E81BA", "Running On-Demand G and VT instances")),
        'v' if family == "vt" => Some(("L-DB2E81BA", "Running On-Demand G and VT instances")),
        'p' => Some(("L-417A185B", "Running On-Demand P instances")),
        'x' => Some(("L-7295265B", "Running On-Demand X instances")),
        'f' => Some(("L-74FC7D96", "Running On-Demand F instances")),
        _ => None,
    }
}

/// What a rack's instances need, from the operation that leaves it with its final type and count.
struct Need<'a> {
    rack: &'a RackOperations,
    instance_type: String,
    count: u64,
    /// Instances a rolling update adds at once (none for an install).
    batch: u64,
    operation: &'a Operation,
}

fn need_of(rack: &RackOperations) -> Option<Need<'_>> {
    let operation = rack
        .operations
        .iter()
        .rev()
        .find(|operation| operation.changes_instances)?;
    let instance_type = operation.setting(names::INSTANCE_TYPE)?;
    let count = operation
        .setting(names::INSTANCE_COUNT)
        .and_then(|count| count.trim().parse().ok())
        .unwrap_or(0);
    let batch = if rack.installs {
        0
    } else {
        operation
            .setting(names::INSTANCE_UPDATE_BATCH_SIZE)
            .and_then(|size| size.trim().parse().ok())
            .unwrap_or(1)
    };
    Some(Need {
        rack,
        instance_type,
        count,
        batch,
        operation,
    })
}

/// The zones a rack's subnets need, as far as the template says.
struct Zones {
    /// Zone -> the subnets in it.
    named: BTreeMap<String, Vec<String>>,
    /// Subnets placed by index into the region's zones.
    by_index: Vec<(usize, String)>,
    /// Some subnet leaves the zone to AWS.
    any: bool,
    /// Why some zones are not known.
    unknown: Vec<String>,
}

fn zones_of(need: &Need<'_>) -> Zones {
    let mut zones = Zones {
        named: BTreeMap::new(),
        by_index: Vec::new(),
        any: false,
        unknown: Vec::new(),
    };
    let after = match &need.operation.after {
        Ok(after) => after,
        Err(why) => {
            zones.unknown.push(why.clone());
            return zones;
        }
    };
    let subnets = subnet_zones(after.stack(), &need.rack.pseudo);
    if subnets.is_empty() {
        // No subnet of its own (an existing VPC's, say): AWS places the instances in zones the template
        // does not name; the type must at least be offered in the region.
        zones.any = true;
    }
    for (subnet, zone) in subnets {
        match zone {
            SubnetZone::Named(zone) => zones.named.entry(zone).or_default().push(subnet),
            SubnetZone::NthOfRegion(index) => zones.by_index.push((index, subnet)),
            SubnetZone::ChosenByAws => zones.any = true,
            SubnetZone::Unknown(why) => zones.unknown.push(why),
        }
    }
    zones
}

pub(super) fn wanted(rack: &RackOperations, reads: &mut PreflightReads) {
    let Some(need) = need_of(rack) else {
        return;
    };
    let place = rack.place.clone();
    reads
        .instance_types
        .insert((place.clone(), need.instance_type.clone()));
    if !zones_of(&need).by_index.is_empty() {
        reads.zones.insert(place.clone());
    }
    if let Some((code, _)) = quota_of(&need.instance_type) {
        reads.quotas.insert((place, code.to_string()));
    }
}

pub(super) fn decide(
    racks: &[RackOperations],
    facts: &PreflightFacts,
) -> Vec<(usize, Vec<PreflightCheck>)> {
    let needs: Vec<Need<'_>> = racks.iter().filter_map(need_of).collect();
    // vCPUs already asked of each (place, quota) by racks earlier in the plan.
    let mut asked: BTreeMap<(Place, &'static str), (u64, Vec<String>)> = BTreeMap::new();
    let mut decided = Vec::new();
    for need in &needs {
        let offered = offered_check(need, facts);
        let quota = quota_check(need, facts, &mut asked);
        decided.push((need.rack.index, vec![offered, quota]));
    }
    decided
}

fn offered_check(need: &Need<'_>, facts: &PreflightFacts) -> PreflightCheck {
    let place = &need.rack.place;
    let kind = &need.instance_type;
    let region = &place.region;
    let mut read = vec![format!("DescribeInstanceTypeOfferings {kind} in {region}")];
    let not_checked = |read: Vec<String>, says: String| PreflightCheck {
        check: PreflightKind::InstanceTypeOffered,
        verdict: Verdict::NotChecked,
        read,
        says,
    };
    let offered: BTreeSet<String> = match facts.offered_in.get(&(place.clone(), kind.clone())) {
        Some(Ok(zones)) => zones.iter().cloned().collect(),
        Some(Err(error)) => {
            return not_checked(
                read,
                format!("where {kind} is offered in {region} could not be read: {error}"),
            );
        }
        None => return not_checked(read, format!("where {kind} is offered was not read")),
    };
    let zones = zones_of(need);
    let mut needed = zones.named.clone();
    if !zones.by_index.is_empty() {
        read.push(format!("DescribeAvailabilityZones {region}"));
        match facts.zones.get(place) {
            Some(Ok(region_zones)) => {
                for (index, subnet) in &zones.by_index {
                    match region_zones.get(*index) {
                        Some(zone) => needed.entry(zone.clone()).or_default().push(subnet.clone()),
                        None => {
                            return PreflightCheck {
                                check: PreflightKind::InstanceTypeOffered,
                                verdict: Verdict::Blocked,
                                read,
                                says: format!(
                                    "subnet {subnet} takes zone {} of {region}, which has {} available to the account",
                                    index + 1,
                                    region_zones.len()
                                ),
                            };
                        }
                    }
                }
            }
            Some(Err(error)) => {
                return not_checked(
                    read,
                    format!("the zones of {region} could not be read: {error}"),
                );
            }
            None => return not_checked(read, format!("the zones of {region} were not read")),
        }
    }
    let missing: Vec<String> = needed
        .iter()
        .filter(|(zone, _)| !offered.contains(*zone))
        .map(|(zone, subnets)| format!("{zone} (subnets {})", subnets.join(", ")))
        .collect();
    let offered_words = if offered.is_empty() {
        "none".to_string()
    } else {
        offered.iter().cloned().collect::<Vec<_>>().join(", ")
    };
    if !missing.is_empty() {
        return PreflightCheck {
            check: PreflightKind::InstanceTypeOffered,
            verdict: Verdict::Blocked,
            read,
            says: format!(
                "instance type {kind} is not offered in {}; zones of {region} offering it: {offered_words}",
                missing.join(", ")
            ),
        };
    }
    if zones.any && offered.is_empty() {
        return PreflightCheck {
            check: PreflightKind::InstanceTypeOffered,
            verdict: Verdict::Blocked,
            read,
            says: format!("instance type {kind} is not offered in any zone of {region}"),
        };
    }
    if !zones.unknown.is_empty() {
        return not_checked(
            read,
            format!(
                "the zones of the rack's subnets are not all known: {}",
                zones.unknown.join("; ")
            ),
        );
    }
    let zones_words = if needed.is_empty() {
        "zones AWS chooses".to_string()
    } else {
        needed.keys().cloned().collect::<Vec<_>>().join(", ")
    };
    PreflightCheck {
        check: PreflightKind::InstanceTypeOffered,
        verdict: Verdict::Passed,
        read,
        says: format!(
            "instance type {kind} is offered in the rack's subnets' zones ({zones_words})"
        ),
    }
}

fn quota_check(
    need: &Need<'_>,
    facts: &PreflightFacts,
    asked: &mut BTreeMap<(Place, &'static str), (u64, Vec<String>)>,
) -> PreflightCheck {
    let place = &need.rack.place;
    let kind = &need.instance_type;
    let region = &place.region;
    let not_checked = |read: Vec<String>, says: String| PreflightCheck {
        check: PreflightKind::InstanceQuota,
        verdict: Verdict::NotChecked,
        read,
        says,
    };
    let Some((code, name)) = quota_of(kind) else {
        return not_checked(
            Vec::new(),
            format!("rackfile knows no EC2 vCPU quota for the family of {kind}"),
        );
    };
    let mut read = vec![format!("DescribeInstanceTypes {kind}")];
    let vcpus = match facts.vcpus.get(&(place.clone(), kind.clone())) {
        Some(Ok(Some(vcpus))) => u64::from(*vcpus),
        Some(Ok(None)) => {
            return not_checked(read, format!("EC2 does not know instance type {kind}"));
        }
        Some(Err(error)) => {
            return not_checked(
                read,
                format!("the vCPUs of {kind} could not be read: {error}"),
            );
        }
        None => return not_checked(read, format!("the vCPUs of {kind} were not read")),
    };
    read.push(format!("GetServiceQuota ec2 {code} in {region}"));
    let quota = match facts.quotas.get(&(place.clone(), code.to_string())) {
        Some(Ok(quota)) => quota.max(0.0).floor() as u64,
        Some(Err(error)) => {
            return not_checked(
                read,
                format!("the EC2 quota {code} ({name}) could not be read: {error}"),
            );
        }
        None => return not_checked(read, format!("the EC2 quota {code} was not read")),
    };
    let own = (need.count + need.batch) * vcpus;
    let entry = asked.entry((place.clone(), code)).or_default();
    let (others, other_racks) = (entry.0, entry.1.clone());
    entry.0 += own;
    entry.1.push(need.rack.pseudo.stack_name.clone());
    let batch_words = if need.batch == 0 {
        String::new()
    } else {
        format!(" plus a rolling batch of {}", need.batch)
    };
    let others_words = if other_racks.is_empty() {
        String::new()
    } else {
        format!(
            ", and racks {} planned before it in this account and region ask {others}",
            other_racks.join(", ")
        )
    };
    let says = format!(
        "{} instances of {kind}{batch_words} need {own} vCPUs ({vcpus} each){others_words}; quota {code} ({name}) is {quota} vCPUs",
        need.count
    );
    PreflightCheck {
        check: PreflightKind::InstanceQuota,
        verdict: if others + own > quota {
            Verdict::Blocked
        } else {
            Verdict::Passed
        },
        read,
        says,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_map_to_their_quotas() {
        for (kind, code) in [
            ("t3.medium", Some("L-1216C47A")),
            ("m5.large", Some("L-1216C47A")),
            ("im4gn.large", Some("L-1216C47A")),
            ("g4dn.xlarge", Some("L-DB2E81BA")),
            ("vt1.3xlarge", Some("L-DB2E81BA")),
            ("p3.2xlarge", Some("L-417A185B")),
            ("x2iedn.xlarge", Some("L-7295265B")),
            ("inf2.xlarge", Some("L-1945791B")),
            ("hpc6a.48xlarge", Some("L-F7808C92")),
            ("dl1.24xlarge", Some("L-6E869C2A")),
            ("trn1.2xlarge", Some("L-2C3B7624")),
            ("u-6tb1.metal", Some("L-43DA4232")),
            ("mac2.metal", None),
            ("", None),
        ] {
            assert_eq!(quota_of(kind).map(|(code, _)| code), code, "{kind}");
        }
    }
}
