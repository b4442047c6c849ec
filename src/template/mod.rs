//! Template bodies: what rackfile reads from a CloudFormation template itself, without asking AWS. One
//! parser of documents (JSON, or YAML with the short-form `!Ref`-style tags) serves plan, doctor and import;
//! `parameters` turns a document into the parameter declarations plan checks values against, and
//! `constraints` does that checking; `resources` names what outlives a deleted stack; `preflight` reads the
//! exports, Lambda runtimes and subnet zones the plan's preflight checks need; `impact` says what an
//! update does to each resource (with `evaluate` for the intrinsic functions, `create_only` for AWS's
//! resource schemas, `update_policy` for what an AutoScalingGroup's UpdatePolicy does to its instances,
//! `symbolic` and `references` for values shared rather than copied, and `work_budget` for the bound on the
//! work one analysis may do; `render::impact` puts it in words); `budget` says how long a change should take.

mod budget;
mod cause;
mod condition_cycles;
mod constraints;
mod create_only;
mod declaration_checks;
mod document;
mod evaluate;
mod forced;
mod impact;
mod parameters;
mod preflight;
mod references;
mod resource_impact;
mod resources;
mod s3_url;
mod symbolic;
#[cfg(test)]
pub(crate) mod test_support;
mod unknown;
mod update_policy;
#[cfg(test)]
mod verdict_tests;
mod work_budget;
mod yaml_refusals;

pub use budget::{
    Budget, BudgetUnknown, ECS_SERVICE_ALLOWANCE_SECONDS, INSTALL_ALLOWANCE_SECONDS, InstancesFrom,
    RollingBudget, ServiceBudget, UPDATE_ALLOWANCE_SECONDS, install_budget, iso8601_seconds,
    update_budget,
};
pub use cause::{Cause, ChangeSource, PolicyUnknown};
pub use constraints::{Violation, check_value};
pub use declaration_checks::check_declaration;
pub use document::{DocumentError, parse_document};
pub use evaluate::{Pseudo, resolved_ssm};
pub use forced::{Forced, severity};
pub use impact::{StackTemplate, analyse, analyse_with_change_set};
pub use parameters::{summary_of_body, summary_of_document};
pub use preflight::{
    ExportName, FunctionRuntime, SubnetZone, export_names, exports_removed, function_runtimes,
    subnet_zones,
};
pub use resource_impact::{ResourceAction, ResourceImpact, Rolling};
pub use resources::{RetainedResource, retained_resources};
pub use s3_url::{CONVOX_BUCKET, S3Location};
pub use unknown::TemplateUnknown;

/// The largest template body rackfile reads from S3: CloudFormation's own limit for a TemplateURL.
pub const MAX_URL_TEMPLATE_BYTES: usize = 1_000_000;
