//! The reads of the plan's preflight checks, made only for what the planner asks (`PreflightReads`): a
//! ListImports per export an update would remove, and for racks that install or change their instances the
//! region's zones, where the instance type is offered, its vCPUs and the account's EC2 vCPU quota. Each is
//! read once per (account, region) and key however many racks need it; an unchanged rack needs none. A read
//! that fails is kept as its error: the check it feeds says it could not be made.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::future::join_all;

use crate::cloud::{Cloud, CloudError, Connector, RegionKey};
use crate::config::Config;

/// (account, region).
pub type Place = RegionKey;

/// What the preflight checks need read, each key once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreflightReads {
    /// (account, region) -> an org whose credentials reach it, to open the clients with.
    pub orgs: BTreeMap<Place, String>,
    /// ListImports of each export name.
    pub imports: BTreeSet<(Place, String)>,
    /// DescribeAvailabilityZones, for templates that place subnets with `Fn::GetAZs`.
    pub zones: BTreeSet<Place>,
    /// DescribeInstanceTypeOfferings and DescribeInstanceTypes of each instance type.
    pub instance_types: BTreeSet<(Place, String)>,
    /// GetServiceQuota of each EC2 quota code.
    pub quotas: BTreeSet<(Place, String)>,
}

impl PreflightReads {
    pub fn is_empty(&self) -> bool {
        self.imports.is_empty()
            && self.zones.is_empty()
            && self.instance_types.is_empty()
            && self.quotas.is_empty()
    }
}

/// What each preflight read found, by the same keys.
#[derive(Debug, Clone, Default)]
pub struct PreflightFacts {
    /// The stacks importing each export.
    pub imports: BTreeMap<(Place, String), Result<Vec<String>, CloudError>>,
    /// The region's zones, in name order.
    pub zones: BTreeMap<Place, Result<Vec<String>, CloudError>>,
    /// The zones offering each instance type.
    pub offered_in: BTreeMap<(Place, String), Result<Vec<String>, CloudError>>,
    /// Each instance type's vCPUs; `None` when EC2 does not know the type.
    pub vcpus: BTreeMap<(Place, String), Result<Option<u32>, CloudError>>,
    /// Each EC2 quota's value.
    pub quotas: BTreeMap<(Place, String), Result<f64, CloudError>>,
}

/// Makes the reads, every one concurrently. A place whose clients cannot be opened answers each of its
/// reads with that error.
pub async fn read_preflight(
    config: &Config,
    reads: &PreflightReads,
    connector: &dyn Connector,
) -> PreflightFacts {
    let mut facts = PreflightFacts::default();
    if reads.is_empty() {
        return facts;
    }
    let opened = join_all(reads.orgs.iter().map(|(place, org)| async move {
        let cloud = match config.orgs.get(org) {
            Some(settings) => connector.cloud(settings, &place.region).await,
            None => Err(CloudError::new(
                crate::cloud::CloudErrorKind::Other,
                format!("no org {org}"),
            )),
        };
        (place.clone(), cloud)
    }))
    .await;
    let clouds: BTreeMap<Place, Result<Arc<dyn Cloud>, CloudError>> = opened.into_iter().collect();
    let cloud_of = |place: &Place| -> Result<Arc<dyn Cloud>, CloudError> {
        match clouds.get(place) {
            Some(Ok(cloud)) => Ok(cloud.clone()),
            Some(Err(error)) => Err(error.clone()),
            None => Err(CloudError::new(
                crate::cloud::CloudErrorKind::Other,
                format!(
                    "no credentials were found for account {} in {}",
                    place.account, place.region
                ),
            )),
        }
    };
    let imports = join_all(reads.imports.iter().map(|key| {
        let cloud = cloud_of(&key.0);
        async move {
            let answer = match cloud {
                Ok(cloud) => cloud.list_imports(&key.1).await,
                Err(error) => Err(error),
            };
            (key.clone(), answer)
        }
    }));
    let zones = join_all(reads.zones.iter().map(|place| {
        let cloud = cloud_of(place);
        async move {
            let answer = match cloud {
                Ok(cloud) => cloud.availability_zones().await,
                Err(error) => Err(error),
            };
            (place.clone(), answer)
        }
    }));
    let types = join_all(reads.instance_types.iter().map(|key| {
        let cloud = cloud_of(&key.0);
        async move {
            let (offered, vcpus) = match cloud {
                Ok(cloud) => {
                    futures::join!(
                        cloud.instance_type_zones(&key.1),
                        cloud.instance_type_vcpus(&key.1)
                    )
                }
                Err(error) => (Err(error.clone()), Err(error)),
            };
            (key.clone(), offered, vcpus)
        }
    }));
    let quotas = join_all(reads.quotas.iter().map(|key| {
        let cloud = cloud_of(&key.0);
        async move {
            let answer = match cloud {
                Ok(cloud) => cloud.ec2_quota(&key.1).await,
                Err(error) => Err(error),
            };
            (key.clone(), answer)
        }
    }));
    let (imports, zones, types, quotas) = futures::join!(imports, zones, types, quotas);
    facts.imports = imports.into_iter().collect();
    facts.zones = zones.into_iter().collect();
    for (key, offered, vcpus) in types {
        facts.offered_in.insert(key.clone(), offered);
        facts.vcpus.insert(key, vcpus);
    }
    facts.quotas = quotas.into_iter().collect();
    facts
}
