//! The fake's EC2 and Service Quotas, for the plan's preflight, and CloudFormation's ListImports: zones,
//! instance type offerings and vCPUs, quotas, the stacks importing an export.

use rackfile::cloud::CloudError;

use crate::{FakeAws, FakeCloud};

/// The instance types the fake's EC2 knows, with their vCPUs; any other is unknown to it, as a made-up
/// type is to AWS.
const INSTANCE_TYPES: &[(&str, u32)] = &[
    ("t2.small", 1),
    ("t2.medium", 2),
    ("t3.small", 2),
    ("t3.medium", 2),
    ("t3.large", 2),
    ("m5.large", 2),
    ("m5.xlarge", 4),
    ("c5.xlarge", 4),
    ("p3.2xlarge", 8),
];

/// An EC2 vCPU quota no test plan reaches unless it sets a smaller one.
pub const DEFAULT_EC2_QUOTA: f64 = 256.0;

/// The zones of a region in the fake: a, b and c.
pub(crate) fn zones_of(region: &str) -> Vec<String> {
    ["a", "b", "c"]
        .iter()
        .map(|letter| format!("{region}{letter}"))
        .collect()
}

impl FakeAws {
    /// Stack `importer` imports `export` (in `account` and `region`), as ListImports reports it.
    pub fn add_import(&self, account: &str, region: &str, export: &str, importer: &str) {
        self.world()
            .imports
            .entry((account.to_string(), region.to_string(), export.to_string()))
            .or_default()
            .push(importer.to_string());
    }

    /// `instance_type` is offered only in these zones of `region`.
    pub fn set_offering(&self, region: &str, instance_type: &str, zones: &[&str]) {
        self.world().offerings.insert(
            (region.to_string(), instance_type.to_string()),
            zones.iter().map(|zone| zone.to_string()).collect(),
        );
    }

    /// Sets an EC2 quota (Service Quotas' value) of an account in a region.
    pub fn set_ec2_quota(&self, account: &str, region: &str, code: &str, value: f64) {
        self.world().quotas.insert(
            (account.to_string(), region.to_string(), code.to_string()),
            value,
        );
    }
}

impl FakeCloud {
    pub(crate) fn importers(&self, export: &str) -> Result<Vec<String>, CloudError> {
        let mut world = self.aws.world();
        self.read(&mut world, "ListImports")?;
        let key = (
            self.account.clone(),
            self.region.clone(),
            export.to_string(),
        );
        Ok(world.imports.get(&key).cloned().unwrap_or_default())
    }

    pub(crate) fn zones(&self) -> Result<Vec<String>, CloudError> {
        let mut world = self.aws.world();
        self.read(&mut world, "DescribeAvailabilityZones")?;
        Ok(zones_of(&self.region))
    }

    pub(crate) fn zones_offering(&self, instance_type: &str) -> Result<Vec<String>, CloudError> {
        let mut world = self.aws.world();
        self.read(&mut world, "DescribeInstanceTypeOfferings")?;
        if let Some(zones) = world
            .offerings
            .get(&(self.region.clone(), instance_type.to_string()))
        {
            return Ok(zones.clone());
        }
        // AWS offers nothing of a type it does not know: an empty answer, not an error.
        let known = INSTANCE_TYPES
            .iter()
            .any(|(name, _)| *name == instance_type);
        Ok(if known {
            zones_of(&self.region)
        } else {
            Vec::new()
        })
    }

    pub(crate) fn vcpus_of(&self, instance_type: &str) -> Result<Option<u32>, CloudError> {
        let mut world = self.aws.world();
        self.read(&mut world, "DescribeInstanceTypes")?;
        Ok(INSTANCE_TYPES
            .iter()
            .find(|(name, _)| *name == instance_type)
            .map(|(_, cpus)| *cpus))
    }

    pub(crate) fn quota(&self, code: &str) -> Result<f64, CloudError> {
        let mut world = self.aws.world();
        self.read(&mut world, "GetServiceQuota")?;
        let key = (self.account.clone(), self.region.clone(), code.to_string());
        Ok(world.quotas.get(&key).copied().unwrap_or(DEFAULT_EC2_QUOTA))
    }
}
