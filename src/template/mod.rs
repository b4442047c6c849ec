//! Template bodies: what rackfile reads from a CloudFormation template itself, without asking AWS. One
//! parser of documents (JSON, or YAML with the short-form `!Ref`-style tags) serves plan, doctor and import;
//! `parameters` turns a document into the parameter declarations plan checks values against, and
//! `constraints` does that checking; `resources` names what outlives a deleted stack; `impact` says what an
//! update does to each resource (with `evaluate` for the intrinsic functions and `create_only` for AWS's
//! resource schemas).

mod budget;
mod condition_cycles;
mod constraints;
mod create_only;
mod declaration_checks;
mod document;
mod evaluate;
mod impact;
mod parameters;
mod references;
mod resources;
mod s3_url;
mod symbolic;
#[cfg(test)]
pub(crate) mod test_support;

pub use constraints::{Violation, check_value};
pub use document::{DocumentError, parse_document};
pub use evaluate::Pseudo;
pub use impact::{
    ResourceAction, ResourceImpact, Rolling, StackTemplate, analyse, describe_reach, disruption,
    verdict,
};
pub use parameters::{summary_of_body, summary_of_document};
pub use resources::{RetainedResource, retained_resources};
pub use s3_url::{CONVOX_BUCKET, S3Location};

/// The largest template body rackfile reads from S3: CloudFormation's own limit for a TemplateURL.
pub const MAX_URL_TEMPLATE_BYTES: usize = 1_000_000;
