//! What a preflight check found, as data: the names, numbers and dates it decided on, and AWS's own error
//! text where a read failed. `render::preflight::says` words each finding; the plan holds no sentence.
//!
//! `step` is the release of the upgrade step the finding is about (`None` for an install or an update): an
//! upgrade is checked step by step, and the same export or function can be judged at several steps.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// Exports: which exports the operation removes is not known offline.
    ExportsUnknown {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        why: Vec<Unknown>,
    },
    /// Exports: the operation removes an export no stack imports.
    ExportUnused {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        export: String,
    },
    /// Exports: the operation removes an export these stacks import; CloudFormation would roll it back.
    ExportImported {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        export: String,
        importers: Vec<String>,
    },
    /// Exports: ListImports of a removed export failed, with AWS's error.
    ImportsUnreadable {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        export: String,
        error: String,
    },
    /// Exports: the importers of a removed export were not read.
    ImportsNotRead {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        export: String,
    },
    /// Lambda runtimes: the planned template's functions are not known.
    RuntimesUnknown {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        why: Unknown,
    },
    /// Lambda runtimes: a function's runtime is not known offline; `why` is the template evaluation's.
    RuntimeUnknown {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        function: String,
        why: String,
    },
    /// Lambda runtimes: the checked-in runtime table does not parse (the parser's error).
    RuntimeTableUnreadable { error: String },
    /// Lambda runtimes: a function on a runtime AWS deprecates, what the operation does to it, and where
    /// that stands on the day planned.
    DeprecatedRuntime {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        function: String,
        runtime: DeprecatedRuntime,
        operation: FunctionUse,
        standing: RuntimeStanding,
    },
    /// Instance type offered: DescribeInstanceTypeOfferings failed, with AWS's error.
    OfferingsUnreadable {
        instance_type: String,
        region: String,
        error: String,
    },
    /// Instance type offered: where the type is offered was not read.
    OfferingsNotRead { instance_type: String },
    /// Instance type offered: DescribeAvailabilityZones failed, with AWS's error.
    ZonesUnreadable { region: String, error: String },
    /// Instance type offered: the region's zones were not read.
    ZonesNotRead { region: String },
    /// Instance type offered: a subnet takes the region's zone at `index` (from 0), and the account has
    /// only `available` zones there.
    ZoneBeyondRegion {
        subnet: String,
        index: usize,
        region: String,
        available: usize,
    },
    /// Instance type offered: zones the rack's subnets use do not offer the type.
    NotOfferedInZones {
        instance_type: String,
        region: String,
        missing: Vec<ZoneSubnets>,
        /// The region's zones that offer it.
        offered: Vec<String>,
    },
    /// Instance type offered: AWS chooses the zones, and no zone of the region offers the type.
    NotOfferedInRegion {
        instance_type: String,
        region: String,
    },
    /// Instance type offered: the zones of some subnets are not known offline.
    SubnetZonesUnknown { why: Vec<Unknown> },
    /// Instance type offered in every zone the subnets use; none listed: AWS chooses the zones.
    Offered {
        instance_type: String,
        zones: Vec<String>,
    },
    /// Instance quota: rackfile knows no EC2 vCPU quota for the type's family.
    NoQuotaKnown { instance_type: String },
    /// Instance quota: DescribeInstanceTypes does not know the type.
    InstanceTypeUnknown { instance_type: String },
    /// Instance quota: DescribeInstanceTypes failed, with AWS's error.
    VcpusUnreadable {
        instance_type: String,
        error: String,
    },
    /// Instance quota: the type's vCPUs were not read.
    VcpusNotRead { instance_type: String },
    /// Instance quota: GetServiceQuota failed, with AWS's error.
    QuotaUnreadable { quota: Ec2Quota, error: String },
    /// Instance quota: the quota was not read.
    QuotaNotRead { quota: Ec2Quota },
    /// Instance quota: what the rack's instances need against the quota (blocked when it does not cover
    /// them and what racks planned before it ask).
    QuotaCompared(QuotaNeed),
}

/// What a preflight check read: an AWS call with what it asked for, a template, the runtime table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Read {
    /// The exports of both sides of an update, from the templates alone.
    LiveAndPlannedTemplates,
    PlannedTemplate,
    /// The checked-in table of deprecated runtimes, which did not parse.
    RuntimeTableFile,
    /// The checked-in table of deprecated runtimes: where it comes from, and the day it was read there.
    RuntimeTable {
        source: String,
        read_on: String,
    },
    ListImports {
        export: String,
    },
    DescribeInstanceTypeOfferings {
        instance_type: String,
        region: String,
    },
    DescribeAvailabilityZones {
        region: String,
    },
    DescribeInstanceTypes {
        instance_type: String,
    },
    GetServiceQuota {
        code: String,
        region: String,
    },
}

/// Why something a check needs is not known offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Unknown {
    /// The planned template was read through GetTemplateSummary, which returns neither its outputs nor
    /// its resources.
    SummaryOnly {
        template: String,
    },
    LiveTemplateNotRead,
    /// GetTemplate failed, with AWS's error.
    LiveTemplateUnreadable {
        error: String,
    },
    /// The live template does not parse (the parser's error).
    LiveTemplateUnparsable {
        error: String,
    },
    /// An output's export name only AWS computes; `why` is the template evaluation's.
    ExportName {
        output: String,
        why: String,
    },
    /// A subnet's zone only AWS knows; `why` is the template evaluation's.
    SubnetZone {
        why: String,
    },
}

/// A runtime of the checked-in table: AWS's dates (YYYY-MM-DD) for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeprecatedRuntime {
    pub identifier: String,
    pub name: String,
    pub deprecated: String,
    pub block_create: String,
    pub block_update: String,
}

impl DeprecatedRuntime {
    /// The day from which AWS refuses what the operation does to a function on this runtime.
    pub fn refused_from(&self, operation: FunctionUse) -> &str {
        if operation.is_create() {
            &self.block_create
        } else {
            &self.block_update
        }
    }
}

/// What an operation does to a Lambda function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FunctionUse {
    Create,
    /// A new function takes the old one's place: AWS judges it as a create.
    Replace,
    /// The analysis cannot tell whether the function is replaced or updated: judged as the stricter create.
    MayReplace,
    Update,
    /// The update was not analysed: a function the stack already has may be updated.
    MayUpdate,
    /// The operation sends nothing to Lambda for it.
    LeftAlone,
}

impl FunctionUse {
    /// Whether AWS judges it as a create (else as an update).
    pub fn is_create(self) -> bool {
        matches!(
            self,
            FunctionUse::Create | FunctionUse::Replace | FunctionUse::MayReplace
        )
    }
}

/// Where a deprecated runtime stands on the day planned, for what the operation does to the function (a
/// function left alone: for a later update to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuntimeStanding {
    /// Before the deprecation date.
    NotYetDeprecated,
    /// Deprecated, still accepted.
    Deprecated,
    /// AWS refuses it.
    Refused,
}

/// A zone the type is not offered in, and the rack's subnets in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneSubnets {
    pub zone: String,
    pub subnets: Vec<String>,
}

/// An EC2 running on-demand vCPU quota: its code and the name the EC2 User Guide gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ec2Quota {
    pub code: String,
    pub name: String,
}

/// A rack's instances against the account's vCPU quota for their family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaNeed {
    pub instance_type: String,
    pub count: u64,
    /// Instances a rolling update adds at once (0 for an install).
    pub batch: u64,
    pub vcpus_each: u64,
    /// The racks planned before it in the same account, region and quota, and the vCPUs they ask.
    pub earlier_racks: Vec<String>,
    pub earlier_vcpus: u64,
    pub quota: Ec2Quota,
    pub quota_vcpus: u64,
}

impl QuotaNeed {
    /// The vCPUs the rack's instances and one rolling batch need.
    pub fn vcpus(&self) -> u64 {
        (self.count + self.batch) * self.vcpus_each
    }

    pub fn exceeds_quota(&self) -> bool {
        self.earlier_vcpus + self.vcpus() > self.quota_vcpus
    }
}
