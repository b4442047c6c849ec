//! The CloudFormation and STS calls rackfile needs, as a trait over plain data, implemented by the `aws_*`
//! modules (the official SDK: `aws_connector` makes the clients, `aws_cloudformation` is the `Cloud`) and,
//! for tests and benches only, by the strict in-memory fake (the workspace crate `rackfile-fake`, a
//! dev-dependency: never in the shipped binary). Nothing else in rackfile touches the network.
//! `rack_services` holds the other services Convox calls around a rack's operations (Auto Scaling,
//! EventBridge, DynamoDB, SNS).

mod alarms;
mod aws_alarms;
mod aws_cloudformation;
pub mod aws_connector;
mod aws_convert;
mod aws_drift;
mod aws_ec2;
mod aws_error;
mod aws_iam;
mod aws_protocol;
mod aws_quotas;
mod aws_rack_services;
pub mod aws_setup;
mod aws_ssm;
mod call_log;
mod change_set;
pub mod drift;
mod error;
mod key;
mod rack_services;
pub mod rate_limit;
mod status;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use alarms::{AlarmState, Alarms, MAX_ALARM_NAMES_PER_CALL};
pub use change_set::{
    ChangeDetail, ChangeSet, ChangeSetRef, NO_CHANGES_REASON, Replacement, ResourceChange,
};
pub use drift::Drift;
pub use error::{CloudError, CloudErrorKind};
pub use key::{RegionKey, StackKey};
pub use rack_services::{GroupDeletion, RackServices, ReleaseItem, StackResource};
pub use status::{StackState, StackStatus};

use crate::config::OrgSettings;

/// A live stack as DescribeStacks reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stack {
    pub stack_id: String,
    pub name: String,
    pub status: StackStatus,
    pub status_reason: Option<String>,
    /// RFC 3339; the creation time for a stack never updated.
    pub last_updated: String,
    pub parameters: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub outputs: BTreeMap<String, String>,
    /// CloudFormation's termination protection: DeleteStack is refused while it is on.
    #[serde(default)]
    pub termination_protection: bool,
    /// The StackId of the stack this one is nested in.
    #[serde(default)]
    pub parent_id: Option<String>,
    /// DescribeStacks' ResolvedValue of each SSM-typed parameter (`AWS::SSM::Parameter::Value<...>`): what
    /// CloudFormation resolved the parameter's SSM name to at the stack's last create or update.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resolved: BTreeMap<String, String>,
    /// The service role CloudFormation uses for the stack's operations (RoleARN): the one the last write
    /// passed, kept by CloudFormation until another write passes another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// DescribeStacks' NotificationARNs: the SNS topics CloudFormation sends the stack's events to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notification_arns: Vec<String>,
    /// DescribeStacks' RollbackConfiguration; `None` when it has no trigger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<RollbackConfiguration>,
}

/// CloudFormation's rollback triggers: it rolls back a create or update when one of these alarms goes to
/// ALARM during the operation or the monitoring time after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackConfiguration {
    /// CloudWatch alarm ARNs (AWS allows up to five).
    pub alarm_arns: Vec<String>,
    pub monitoring_minutes: u32,
}

/// The stack options a CreateStack or UpdateStack sends beside the template, parameters, tags and role;
/// `None`: not sent (an update then keeps the stack's).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StackOptions {
    /// NotificationARNs; `Some(empty)` removes every topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_arns: Option<Vec<String>>,
    /// StackPolicyBody: the stack policy, kept by CloudFormation until another replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_policy_body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<RollbackConfiguration>,
}

impl Stack {
    pub fn state(&self) -> StackState {
        self.status.state()
    }
}

/// A template's parameter declarations and size, read from its body or from GetTemplateSummary.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TemplateSummary {
    pub parameters: BTreeMap<String, TemplateParameter>,
    pub resource_count: usize,
    pub declarations: Declarations,
}

/// How much of each parameter's declaration is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Declarations {
    /// Read from the template body: every constraint.
    #[default]
    Complete,
    /// Read through GetTemplateSummary, which reports types and AllowedValues but not AllowedPattern,
    /// lengths or numeric bounds.
    SummaryOnly,
}

/// One parameter as the template declares it. Bounds keep the template's own text.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TemplateParameter {
    /// The parameter's `Type` (`String`, `Number`, `CommaDelimitedList`, `AWS::...`).
    pub kind: String,
    pub default: Option<String>,
    pub no_echo: bool,
    pub allowed_values: Vec<String>,
    pub allowed_pattern: Option<AllowedPattern>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub min_value: Option<String>,
    pub max_value: Option<String>,
}

/// A parameter's AllowedPattern: the template's text, compiled once, on first use, for every value checked
/// against it (clones of a summary share the compiled form).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AllowedPattern {
    text: String,
    #[serde(skip)]
    compiled: Arc<std::sync::OnceLock<Result<regex::Regex, String>>>,
}

impl AllowedPattern {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            compiled: Arc::default(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The pattern as CloudFormation applies it, to the whole value; or why this engine cannot compile it.
    pub fn regex(&self) -> Result<&regex::Regex, &str> {
        self.compiled
            .get_or_init(|| {
                regex::Regex::new(&format!("^(?:{})$", self.text))
                    .map_err(|error| error.to_string())
            })
            .as_ref()
            .map_err(String::as_str)
    }
}

impl PartialEq for AllowedPattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for AllowedPattern {}

impl From<&str> for AllowedPattern {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl TemplateParameter {
    /// Whether the value names an SSM parameter that CloudFormation resolves (DescribeStacks may show the
    /// resolved value, which is not what was set).
    pub fn names_ssm_parameter(&self) -> bool {
        self.kind.starts_with("AWS::SSM::Parameter::Value<")
    }
}

/// Where CloudFormation gets a template from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateSource {
    Url(String),
    Body(String),
}

/// One parameter of an UpdateStack call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParameterValue {
    Value(String),
    /// Keep the live value without reading it: only for NoEcho parameters, whose value is never returned.
    UsePrevious,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateStackRequest {
    pub name: String,
    pub template: TemplateSource,
    pub parameters: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub termination_protection: bool,
    /// CreateStack's TimeoutInMinutes: CloudFormation fails and rolls back a create that takes longer.
    pub timeout_minutes: Option<u32>,
    /// RoleARN: the service role CloudFormation creates the stack with; `None`: the caller's credentials.
    pub role_arn: Option<String>,
    pub options: StackOptions,
    /// Marks the request (and the stack events it causes) as this apply's, so a retry of a write whose
    /// answer was lost is recognised as the same write.
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateStackRequest {
    pub name: String,
    pub template: TemplateSource,
    pub parameters: BTreeMap<String, ParameterValue>,
    pub tags: BTreeMap<String, String>,
    /// RoleARN; `None`: CloudFormation keeps the stack's role (or the caller's credentials, without one).
    pub role_arn: Option<String>,
    pub options: StackOptions,
    /// See `CreateStackRequest::token`.
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateOutcome {
    Started,
    /// CloudFormation said "No updates are to be performed": success, nothing to wait for.
    NothingToDo,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackEvent {
    pub event_id: String,
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
    pub timestamp: String,
    /// The ClientRequestToken of the operation that caused the event.
    pub token: Option<String>,
}

/// CloudFormation in one account and region, already authenticated.
#[async_trait]
pub trait Cloud: Send + Sync {
    /// Every stack, all pages.
    async fn describe_stacks(&self) -> Result<Vec<Stack>, CloudError>;
    /// One stack, or `None` when there is no stack of that name.
    async fn describe_stack(&self, name: &str) -> Result<Option<Stack>, CloudError>;
    async fn template_summary(
        &self,
        template: &TemplateSource,
    ) -> Result<TemplateSummary, CloudError>;
    /// GetTemplateSummary of the template a stack was last created or updated with.
    async fn stack_template_summary(&self, name: &str) -> Result<TemplateSummary, CloudError>;
    /// The template body a stack was last created or updated with.
    async fn stack_template(&self, name: &str) -> Result<String, CloudError>;
    /// CreateStack; the stack is then followed by name.
    async fn create_stack(&self, request: &CreateStackRequest) -> Result<(), CloudError>;
    async fn update_stack(&self, request: &UpdateStackRequest)
    -> Result<UpdateOutcome, CloudError>;
    /// CreateChangeSet (UPDATE) named `name`, made of exactly the input `update` would send to UpdateStack:
    /// the change set's id.
    async fn create_change_set(
        &self,
        update: &UpdateStackRequest,
        name: &str,
    ) -> Result<String, CloudError>;
    /// DescribeChangeSet with IncludePropertyValues, every page.
    async fn describe_change_set(&self, change_set: &ChangeSetRef)
    -> Result<ChangeSet, CloudError>;
    /// ExecuteChangeSet; `token` marks the update it starts, as UpdateStack's ClientRequestToken does.
    async fn execute_change_set(
        &self,
        change_set: &ChangeSetRef,
        token: &str,
    ) -> Result<(), CloudError>;
    /// DeleteChangeSet.
    async fn delete_change_set(&self, change_set: &ChangeSetRef) -> Result<(), CloudError>;
    /// The stack's events, newest first (the first page is enough to follow a running operation).
    async fn stack_events(&self, name: &str) -> Result<Vec<StackEvent>, CloudError>;
    /// DeleteStack; refused while termination protection is on. `role_arn` as in `UpdateStackRequest`.
    async fn delete_stack(
        &self,
        name: &str,
        role_arn: Option<&str>,
        token: &str,
    ) -> Result<(), CloudError>;
    /// ContinueUpdateRollback of a stack in UPDATE_ROLLBACK_FAILED. `role_arn` as in `UpdateStackRequest`;
    /// CloudFormation marks the resources of `skip` (ResourcesToSkip: logical ids, failed ones)
    /// UPDATE_COMPLETE without rolling them back.
    async fn continue_update_rollback(
        &self,
        name: &str,
        role_arn: Option<&str>,
        token: &str,
        skip: &[String],
    ) -> Result<(), CloudError>;
    /// CancelUpdateStack of a stack in UPDATE_IN_PROGRESS: the update stops and rolls back. AWS refuses it
    /// in any other status (a validation error), e.g. when the update completed meanwhile.
    async fn cancel_update_stack(&self, name: &str, token: &str) -> Result<(), CloudError>;
    /// GetStackPolicy: the stack's policy body, `None` when it has none.
    async fn stack_policy(&self, name: &str) -> Result<Option<String>, CloudError>;
    /// SetStackPolicy: immediate, no stack operation.
    async fn set_stack_policy(&self, name: &str, body: &str) -> Result<(), CloudError>;
    /// UpdateTerminationProtection.
    async fn set_termination_protection(&self, name: &str, enabled: bool)
    -> Result<(), CloudError>;
    /// ListStackResources, all pages: every resource of the stack (DescribeStackResources stops at 100,
    /// fewer than a rack has).
    async fn stack_resources(&self, name: &str) -> Result<Vec<StackResource>, CloudError>;
    /// ListImports, all pages: the stacks that import an export; empty when none does (CloudFormation
    /// answers that with an error, which this hides).
    async fn list_imports(&self, export: &str) -> Result<Vec<String>, CloudError>;
    /// EC2 DescribeAvailabilityZones: the names of the region's zones available to the account, in name
    /// order (the order `Fn::GetAZs` gives them in).
    async fn availability_zones(&self) -> Result<Vec<String>, CloudError>;
    /// EC2 DescribeInstanceTypeOfferings, location type availability-zone, of one type: the zones that
    /// offer it.
    async fn instance_type_zones(&self, instance_type: &str) -> Result<Vec<String>, CloudError>;
    /// EC2 DescribeInstanceTypes of one type: its default vCPUs; `None` when EC2 does not know the type.
    async fn instance_type_vcpus(&self, instance_type: &str) -> Result<Option<u32>, CloudError>;
    /// Service Quotas GetServiceQuota of an EC2 quota (e.g. L-1216C47A, running on-demand standard
    /// instances, in vCPUs): its applied value.
    async fn ec2_quota(&self, code: &str) -> Result<f64, CloudError>;
}

/// Opens clouds for an org's credentials in a region.
#[async_trait]
pub trait Connector: Send + Sync {
    /// STS GetCallerIdentity: the account the org's credentials belong to.
    async fn account_id(&self, org: &OrgSettings, region: &str) -> Result<String, CloudError>;
    async fn cloud(&self, org: &OrgSettings, region: &str) -> Result<Arc<dyn Cloud>, CloudError>;
    /// CloudWatch alarms with the org's credentials in a region.
    async fn alarms(&self, org: &OrgSettings, region: &str) -> Result<Arc<dyn Alarms>, CloudError>;
    /// Auto Scaling, EventBridge, DynamoDB and SNS with the org's credentials in a region: what Convox calls
    /// around a rack's operations.
    async fn rack_services(
        &self,
        org: &OrgSettings,
        region: &str,
    ) -> Result<Arc<dyn RackServices>, CloudError>;
    /// CloudFormation's drift detection with the org's credentials in a region, under the same shared rate
    /// limit as its other CloudFormation calls.
    async fn drift(&self, org: &OrgSettings, region: &str) -> Result<Arc<dyn Drift>, CloudError>;
    /// IAM GetRole of a service role with the org's credentials: its trust policy (JSON), `None` when there
    /// is no such role.
    async fn role_trust_policy(
        &self,
        org: &OrgSettings,
        role_arn: &str,
    ) -> Result<Option<String>, CloudError>;
    /// IAM SimulatePrincipalPolicy of the org's own principal against each (actions, resources): the
    /// actions it is not allowed.
    async fn denied_actions(
        &self,
        org: &OrgSettings,
        statements: &[(Vec<String>, Vec<String>)],
    ) -> Result<Vec<String>, CloudError>;
    /// S3 GetObject of a template (at most `limit` bytes), with the org's credentials, or unsigned when
    /// `org` is `None` (a public bucket such as Convox's).
    async fn s3_object(
        &self,
        org: Option<&OrgSettings>,
        object: &S3Object,
        limit: usize,
    ) -> Result<String, CloudError>;
    /// SSM GetParameter, decrypted; `None` when there is no such parameter.
    async fn ssm_parameter(
        &self,
        org: &OrgSettings,
        region: &str,
        name: &str,
    ) -> Result<Option<SsmParameter>, CloudError>;
    /// SSM PutParameter of a new SecureString (the account's default key); never overwrites.
    async fn put_ssm_secure_string(
        &self,
        org: &OrgSettings,
        region: &str,
        name: &str,
        value: &Secret,
    ) -> Result<PutOutcome, CloudError>;
    /// The time now, to compare with the times AWS reports (a stack's LastUpdatedTime): the system clock,
    /// or a fake's own.
    fn now(&self) -> std::time::SystemTime {
        std::time::SystemTime::now()
    }
}

/// An SSM parameter as read: its type and (decrypted) value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsmParameter {
    /// `String`, `StringList` or `SecureString`.
    pub kind: String,
    pub value: Secret,
}

impl SsmParameter {
    pub fn is_secure(&self) -> bool {
        self.kind == "SecureString"
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Stored,
    /// Someone stored one first; it is the one to use.
    AlreadyExists,
}

/// A secret (a rack password) in memory; `Debug` never shows it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// An object in S3, and the region to ask for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct S3Object {
    pub bucket: String,
    pub key: String,
    pub region: String,
}

/// When a stack was last changed, from `Stack::last_updated` (RFC 3339); `None` when the text is not.
pub fn parse_time(text: &str) -> Option<std::time::SystemTime> {
    use aws_sdk_cloudformation::primitives::{DateTime, DateTimeFormat};
    DateTime::from_str(text, DateTimeFormat::DateTime)
        .ok()
        .and_then(|time| std::time::SystemTime::try_from(time).ok())
}
