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

use super::{
    Ec2Quota, Finding, Operation, PreflightCheck, PreflightKind, QuotaNeed, RackOperations, Read,
    Unknown, Verdict, ZoneSubnets,
};
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
    unknown: Vec<Unknown>,
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
            SubnetZone::Unknown(why) => zones.unknown.push(Unknown::SubnetZone { why }),
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
    let instance_type = &need.instance_type;
    let region = &place.region;
    let mut read = vec![Read::DescribeInstanceTypeOfferings {
        instance_type: instance_type.clone(),
        region: region.clone(),
    }];
    let check = |verdict, read, finding| PreflightCheck {
        check: PreflightKind::InstanceTypeOffered,
        verdict,
        read,
        finding,
    };
    let offered: BTreeSet<String> = match facts
        .offered_in
        .get(&(place.clone(), instance_type.clone()))
    {
        Some(Ok(zones)) => zones.iter().cloned().collect(),
        Some(Err(error)) => {
            return check(
                Verdict::NotChecked,
                read,
                Finding::OfferingsUnreadable {
                    instance_type: instance_type.clone(),
                    region: region.clone(),
                    error: error.to_string(),
                },
            );
        }
        None => {
            return check(
                Verdict::NotChecked,
                read,
                Finding::OfferingsNotRead {
                    instance_type: instance_type.clone(),
                },
            );
        }
    };
    let zones = zones_of(need);
    let mut needed = zones.named.clone();
    if !zones.by_index.is_empty() {
        read.push(Read::DescribeAvailabilityZones {
            region: region.clone(),
        });
        match facts.zones.get(place) {
            Some(Ok(region_zones)) => {
                for (index, subnet) in &zones.by_index {
                    match region_zones.get(*index) {
                        Some(zone) => needed.entry(zone.clone()).or_default().push(subnet.clone()),
                        None => {
                            return check(
                                Verdict::Blocked,
                                read,
                                Finding::ZoneBeyondRegion {
                                    subnet: subnet.clone(),
                                    index: *index,
                                    region: region.clone(),
                                    available: region_zones.len(),
                                },
                            );
                        }
                    }
                }
            }
            Some(Err(error)) => {
                return check(
                    Verdict::NotChecked,
                    read,
                    Finding::ZonesUnreadable {
                        region: region.clone(),
                        error: error.to_string(),
                    },
                );
            }
            None => {
                return check(
                    Verdict::NotChecked,
                    read,
                    Finding::ZonesNotRead {
                        region: region.clone(),
                    },
                );
            }
        }
    }
    let missing: Vec<ZoneSubnets> = needed
        .iter()
        .filter(|(zone, _)| !offered.contains(*zone))
        .map(|(zone, subnets)| ZoneSubnets {
            zone: zone.clone(),
            subnets: subnets.clone(),
        })
        .collect();
    if !missing.is_empty() {
        return check(
            Verdict::Blocked,
            read,
            Finding::NotOfferedInZones {
                instance_type: instance_type.clone(),
                region: region.clone(),
                missing,
                offered: offered.into_iter().collect(),
            },
        );
    }
    if zones.any && offered.is_empty() {
        return check(
            Verdict::Blocked,
            read,
            Finding::NotOfferedInRegion {
                instance_type: instance_type.clone(),
                region: region.clone(),
            },
        );
    }
    if !zones.unknown.is_empty() {
        return check(
            Verdict::NotChecked,
            read,
            Finding::SubnetZonesUnknown { why: zones.unknown },
        );
    }
    check(
        Verdict::Passed,
        read,
        Finding::Offered {
            instance_type: instance_type.clone(),
            zones: needed.into_keys().collect(),
        },
    )
}

fn quota_check(
    need: &Need<'_>,
    facts: &PreflightFacts,
    asked: &mut BTreeMap<(Place, &'static str), (u64, Vec<String>)>,
) -> PreflightCheck {
    let place = &need.rack.place;
    let instance_type = &need.instance_type;
    let region = &place.region;
    let not_checked = |read: Vec<Read>, finding: Finding| PreflightCheck {
        check: PreflightKind::InstanceQuota,
        verdict: Verdict::NotChecked,
        read,
        finding,
    };
    let Some((code, name)) = quota_of(instance_type) else {
        return not_checked(
            Vec::new(),
            Finding::NoQuotaKnown {
                instance_type: instance_type.clone(),
            },
        );
    };
    let quota = Ec2Quota {
        code: code.to_string(),
        name: name.to_string(),
    };
    let mut read = vec![Read::DescribeInstanceTypes {
        instance_type: instance_type.clone(),
    }];
    let vcpus_each = match facts.vcpus.get(&(place.clone(), instance_type.clone())) {
        Some(Ok(Some(vcpus))) => u64::from(*vcpus),
        Some(Ok(None)) => {
            return not_checked(
                read,
                Finding::InstanceTypeUnknown {
                    instance_type: instance_type.clone(),
                },
            );
        }
        Some(Err(error)) => {
            return not_checked(
                read,
                Finding::VcpusUnreadable {
                    instance_type: instance_type.clone(),
                    error: error.to_string(),
                },
            );
        }
        None => {
            return not_checked(
                read,
                Finding::VcpusNotRead {
                    instance_type: instance_type.clone(),
                },
            );
        }
    };
    read.push(Read::GetServiceQuota {
        code: code.to_string(),
        region: region.clone(),
    });
    let quota_vcpus = match facts.quotas.get(&(place.clone(), code.to_string())) {
        Some(Ok(value)) => value.max(0.0).floor() as u64,
        Some(Err(error)) => {
            return not_checked(
                read,
                Finding::QuotaUnreadable {
                    quota,
                    error: error.to_string(),
                },
            );
        }
        None => return not_checked(read, Finding::QuotaNotRead { quota }),
    };
    let entry = asked.entry((place.clone(), code)).or_default();
    let compared = QuotaNeed {
        instance_type: instance_type.clone(),
        count: need.count,
        batch: need.batch,
        vcpus_each,
        earlier_racks: entry.1.clone(),
        earlier_vcpus: entry.0,
        quota,
        quota_vcpus,
    };
    entry.0 += compared.vcpus();
    entry.1.push(need.rack.pseudo.stack_name.clone());
    PreflightCheck {
        check: PreflightKind::InstanceQuota,
        verdict: if compared.exceeds_quota() {
            Verdict::Blocked
        } else {
            Verdict::Passed
        },
        read,
        finding: Finding::QuotaCompared(compared),
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
