//! The `Cloud` and `Connector` traits over AWS: CloudFormation, S3 and STS through their SDK crates, the
//! other services through their own files (`aws_protocol` requests). One SDK config per (profile, region),
//! built the same way for every command: standard credential chain or the org's profile, `--endpoint-url` /
//! AWS_ENDPOINT_URL honoured, adaptive bounded retries and timeouts so a dead endpoint fails instead of hanging.
//! Over 600 lines on purpose: the `Cloud` implementation is one trait impl (Rust does not split a trait impl
//! across files), one short SDK call and translation per CloudFormation operation; the other services live
//! apart.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudformation::config::retry::RetryPartition;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::primitives::DateTimeFormat;
use aws_sdk_cloudformation::types::{Capability, Parameter, Tag};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use tokio::sync::Mutex;

use super::aws_ec2::AwsEc2;
use super::aws_quotas::AwsQuotas;
use super::aws_setup::{self, SetupError};
use super::aws_ssm::AwsSsm;
use super::call_log::CallLog;
use super::rate_limit::RateLimit;
use super::{
    ChangeDetail, ChangeSet, ChangeSetRef, Cloud, CloudError, Connector, CreateStackRequest,
    Declarations, ParameterValue, PutOutcome, Replacement, ResourceChange, RollbackConfiguration,
    S3Object, Secret, SsmParameter, Stack, StackEvent, StackOptions, StackResource, StackStatus,
    TemplateParameter, TemplateSource, TemplateSummary, UpdateOutcome, UpdateStackRequest,
};
use crate::config::OrgSettings;

/// Attempts per request, first try included, with exponential backoff between them. (Calls are also spaced
/// out per account and region when AWS throttles: see `rate_limit`.)
pub const MAX_ATTEMPTS: u32 = 5;

pub struct AwsConnector {
    endpoint_url: Option<String>,
    configs: Mutex<HashMap<(Option<String>, String), SdkConfig>>,
    /// profile (None: the default chain) -> the account STS said its credentials belong to.
    accounts: Mutex<HashMap<Option<String>, String>>,
    /// (account, region) -> the request rate every CloudFormation client of that account and region shares.
    limits: Mutex<HashMap<(String, String), Arc<RateLimit>>>,
}

/// The retry partition of CloudFormation calls to one account and region: clients in it share one retry
/// quota (the SDK keeps a token bucket per partition name for the whole process), so a failing account
/// cannot use up the retries of another. The SDK's default partition is per region only.
pub fn retry_partition(account: &str, region: &str) -> RetryPartition {
    RetryPartition::new(format!("cloudformation-{account}-{region}"))
}

impl AwsConnector {
    /// A connector, once what the SDK would be given is checked: the shared config and credentials files
    /// and the endpoint override (`--endpoint-url`, else AWS_ENDPOINT_URL, which the SDK reads itself).
    pub fn connect(endpoint_url: Option<String>) -> Result<Self, SetupError> {
        aws_setup::check_shared_files(&aws_setup::shared_files())?;
        match &endpoint_url {
            Some(url) => aws_setup::check_endpoint_url(url, "--endpoint-url")?,
            None => {
                if let Some(url) = std::env::var("AWS_ENDPOINT_URL")
                    .ok()
                    .filter(|url| !url.trim().is_empty())
                {
                    aws_setup::check_endpoint_url(&url, "AWS_ENDPOINT_URL")?;
                }
            }
        }
        Ok(Self::new(endpoint_url))
    }

    pub fn new(endpoint_url: Option<String>) -> Self {
        Self {
            endpoint_url,
            configs: Mutex::new(HashMap::new()),
            accounts: Mutex::new(HashMap::new()),
            limits: Mutex::new(HashMap::new()),
        }
    }

    /// The request rate shared by every CloudFormation call to `account` in `region`.
    pub async fn rate_limit(&self, account: &str, region: &str) -> Arc<RateLimit> {
        self.limits
            .lock()
            .await
            .entry((account.to_string(), region.to_string()))
            .or_default()
            .clone()
    }

    /// The CloudFormation client for an org in a region, in its (account, region) retry partition.
    async fn cloudformation(
        &self,
        org: &OrgSettings,
        region: &str,
    ) -> Result<AwsCloud, CloudError> {
        let known = self.accounts.lock().await.get(&org.profile).cloned();
        let account = match known {
            Some(account) => account,
            None => self.account_id(org, region).await?,
        };
        let limit = self.rate_limit(&account, region).await;
        let config = self.sdk_config(org, region).await;
        let config = aws_sdk_cloudformation::config::Builder::from(&config)
            .retry_partition(retry_partition(&account, region))
            .interceptor(CallLog {
                region: region.to_string(),
                limit: Some((account.clone(), limit.clone())),
            })
            .build();
        let sdk = self.sdk_config(org, region).await;
        let log = call_log(region);
        Ok(AwsCloud {
            client: aws_sdk_cloudformation::Client::from_conf(config),
            ec2: AwsEc2::new(&sdk, region, log.clone()),
            quotas: AwsQuotas::new(&sdk, region, log),
            limit,
        })
    }

    pub(super) async fn sdk_config(&self, org: &OrgSettings, region: &str) -> SdkConfig {
        let key = (org.profile.clone(), region.to_string());
        let mut configs = self.configs.lock().await;
        if let Some(config) = configs.get(&key) {
            return config.clone();
        }
        let mut loader = self.loader(region);
        if let Some(profile) = &org.profile {
            // The profile's own credentials, as the AWS CLI's --profile gives: the default chain would
            // prefer AWS_ACCESS_KEY_ID from the environment and act for every org in that one account.
            loader = loader.profile_name(profile).credentials_provider(
                aws_config::profile::ProfileFileCredentialsProvider::builder()
                    .configure(
                        &aws_config::provider_config::ProviderConfig::default()
                            .with_region(Some(Region::new(region.to_string()))),
                    )
                    .profile_name(profile)
                    .build(),
            );
        }
        let config = loader.load().await;
        configs.insert(key, config.clone());
        config
    }

    /// How every SDK config starts: region, bounded retries, timeouts and the endpoint override.
    fn loader(&self, region: &str) -> aws_config::ConfigLoader {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(MAX_ATTEMPTS)
                    .with_initial_backoff(Duration::from_millis(200)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(30))
                    // An endpoint that accepts connections and never answers fails the call within 30 s,
                    // retries included, instead of once per attempt.
                    .operation_timeout(Duration::from_secs(30))
                    .build(),
            );
        if let Some(endpoint) = &self.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        loader
    }

    /// SSM with the org's credentials in a region.
    async fn ssm(&self, org: &OrgSettings, region: &str) -> AwsSsm {
        let config = self.sdk_config(org, region).await;
        AwsSsm::new(&config, region, call_log(region))
    }

    /// An S3 client with the org's credentials, or unsigned (`None`) for a public bucket.
    async fn s3(&self, org: Option<&OrgSettings>, region: &str) -> aws_sdk_s3::Client {
        let config = match org {
            Some(org) => self.sdk_config(org, region).await,
            None => self.loader(region).no_credentials().load().await,
        };
        let config = aws_sdk_s3::config::Builder::from(&config)
            // An endpoint override (a local emulator) has no per-bucket host names.
            .force_path_style(self.endpoint_url.is_some() || config.endpoint_url().is_some())
            .interceptor(CallLog {
                region: region.to_string(),
                limit: None,
            })
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }
}

#[async_trait]
impl Connector for AwsConnector {
    async fn account_id(&self, org: &OrgSettings, region: &str) -> Result<String, CloudError> {
        // A profile that does not exist would otherwise fail as if AWS were unreachable.
        if let Some(profile) = &org.profile {
            aws_setup::check_profile(profile, &aws_setup::shared_files()).map_err(|error| {
                CloudError::new(super::CloudErrorKind::NoSuchProfile, error.message)
            })?;
        }
        let config = self.sdk_config(org, region).await;
        let config = aws_sdk_sts::config::Builder::from(&config)
            .interceptor(CallLog {
                region: region.to_string(),
                limit: None,
            })
            .build();
        let identity = aws_sdk_sts::Client::from_conf(config)
            .get_caller_identity()
            .send()
            .await
            .map_err(sdk_error)?;
        let account = identity.account().map(str::to_string).ok_or_else(|| {
            CloudError::new(super::CloudErrorKind::Other, "STS returned no account")
        })?;
        self.accounts
            .lock()
            .await
            .insert(org.profile.clone(), account.clone());
        Ok(account)
    }

    async fn cloud(&self, org: &OrgSettings, region: &str) -> Result<Arc<dyn Cloud>, CloudError> {
        Ok(Arc::new(self.cloudformation(org, region).await?))
    }

    async fn role_trust_policy(
        &self,
        org: &OrgSettings,
        role_arn: &str,
    ) -> Result<Option<String>, CloudError> {
        self.get_role_trust(org, role_arn).await
    }

    async fn denied_actions(
        &self,
        org: &OrgSettings,
        statements: &[(Vec<String>, Vec<String>)],
    ) -> Result<Vec<String>, CloudError> {
        self.simulate(org, statements).await
    }

    async fn alarms(
        &self,
        org: &OrgSettings,
        region: &str,
    ) -> Result<Arc<dyn super::Alarms>, CloudError> {
        let sdk = self.sdk_config(org, region).await;
        Ok(Arc::new(super::aws_alarms::AwsAlarms::new(
            &sdk,
            region,
            call_log(region),
        )))
    }

    async fn rack_services(
        &self,
        org: &OrgSettings,
        region: &str,
    ) -> Result<Arc<dyn super::RackServices>, CloudError> {
        let sdk = self.sdk_config(org, region).await;
        Ok(Arc::new(super::aws_rack_services::AwsRackServices::new(
            &sdk,
            region,
            call_log(region),
        )))
    }

    async fn drift(
        &self,
        org: &OrgSettings,
        region: &str,
    ) -> Result<Arc<dyn super::Drift>, CloudError> {
        let cloud = self.cloudformation(org, region).await?;
        Ok(Arc::new(super::aws_drift::AwsDrift::new(
            cloud.client,
            cloud.limit,
        )))
    }

    async fn ssm_parameter(
        &self,
        org: &OrgSettings,
        region: &str,
        name: &str,
    ) -> Result<Option<SsmParameter>, CloudError> {
        self.ssm(org, region).await.parameter(name).await
    }

    async fn put_ssm_secure_string(
        &self,
        org: &OrgSettings,
        region: &str,
        name: &str,
        value: &Secret,
    ) -> Result<PutOutcome, CloudError> {
        self.ssm(org, region)
            .await
            .put_secure_string(name, value)
            .await
    }

    async fn s3_object(
        &self,
        org: Option<&OrgSettings>,
        object: &S3Object,
        limit: usize,
    ) -> Result<String, CloudError> {
        let output = self
            .s3(org, &object.region)
            .await
            .get_object()
            .bucket(&object.bucket)
            .key(&object.key)
            .send()
            .await
            .map_err(|error| {
                // S3's denial is a bare "Access Denied": the action and object it was refused are named here.
                let mut error = sdk_error(error);
                if error.kind == super::CloudErrorKind::AccessDenied {
                    error.message = format!(
                        "{} (not authorized to perform: s3:GetObject on arn:aws:s3:::{}/{})",
                        error.message, object.bucket, object.key
                    );
                }
                error
            })?;
        let too_large = || {
            CloudError::new(
                super::CloudErrorKind::Validation,
                format!("the template is larger than {limit} bytes"),
            )
        };
        if output
            .content_length()
            .is_some_and(|length| length > limit as i64)
        {
            return Err(too_large());
        }
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|error| {
                CloudError::new(super::CloudErrorKind::Unreachable, error.to_string())
            })?
            .into_bytes();
        if bytes.len() > limit {
            return Err(too_large());
        }
        String::from_utf8(bytes.to_vec()).map_err(|_| {
            CloudError::new(
                super::CloudErrorKind::Validation,
                "the template is not UTF-8 text",
            )
        })
    }
}

pub struct AwsCloud {
    client: aws_sdk_cloudformation::Client,
    // EC2 and Service Quotas are read only by the preflight checks, a few calls a plan: they do not share
    // CloudFormation's request rate.
    ec2: AwsEc2,
    quotas: AwsQuotas,
    limit: Arc<RateLimit>,
}

/// The call log of a service that does not share CloudFormation's request rate.
fn call_log(region: &str) -> CallLog {
    CallLog {
        region: region.to_string(),
        limit: None,
    }
}

pub(super) fn sdk_error<E>(error: SdkError<E, HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut code = error.code().map(str::to_string);
    // A service error without a body (S3 answers an anonymous request it refuses with a bare 403) is
    // named by its HTTP status.
    let status = match &error {
        SdkError::ServiceError(service) => Some(service.raw().status().as_u16()),
        _ => None,
    };
    // A denial in an XML body from a service that speaks JSON (moto answers SSM's, CloudWatch's and
    // Service Quotas' denials so) has no code the SDK can read: AWS's own message names the action.
    let raw = match &error {
        SdkError::ServiceError(service) => Some(service.raw()),
        SdkError::ResponseError(response) => Some(response.raw()),
        _ => None,
    };
    let status = status.or_else(|| raw.map(|raw| raw.status().as_u16()));
    let mut message = error.message().map(str::to_string);
    if code.is_none()
        && let Some((xml_code, xml_message)) =
            raw.and_then(|raw| raw.body().bytes()).and_then(xml_error)
    {
        code = Some(xml_code);
        message = Some(xml_message);
    }
    let message = match (message.as_deref(), &code, status) {
        (Some(message), Some(code), _) => format!("{code}: {message}"),
        (Some(message), None, _) => message.to_string(),
        (None, Some(code), _) => code.clone(),
        (None, None, Some(403)) => "HTTP 403 Forbidden: access denied".to_string(),
        (None, None, Some(404)) => "HTTP 404 Not Found".to_string(),
        // An answer the SDK cannot read as an AWS error (an emulator that does not serve the call, a proxy's
        // page): its status says more than the parser's complaint about the body.
        (None, None, Some(status)) if status >= 400 => {
            format!("HTTP {status}, with no AWS error in the answer")
        }
        (None, None, _) => error_chain(&error),
    };
    let kind = match (code.as_deref(), status) {
        (None, Some(403)) => super::CloudErrorKind::AccessDenied,
        (None, Some(404)) => super::CloudErrorKind::NotFound,
        _ => CloudError::classify(code.as_deref(), &message),
    };
    CloudError::new(kind, message)
}

/// ListStackResources, every page, each under the (account, region)'s rate limit: the one reader of a
/// stack's resources, for the uninstall, the release record, `--skip` and drift alike.
pub(super) async fn list_stack_resources(
    client: &aws_sdk_cloudformation::Client,
    limit: &RateLimit,
    name: &str,
) -> Result<Vec<StackResource>, CloudError> {
    let mut pages = client
        .list_stack_resources()
        .stack_name(name)
        .into_paginator()
        .send();
    let mut resources = Vec::new();
    loop {
        limit.acquire().await;
        let Some(page) = pages.next().await else {
            break;
        };
        let page = page.map_err(sdk_error)?;
        resources.extend(page.stack_resource_summaries().iter().map(|resource| {
            StackResource {
                logical_id: resource
                    .logical_resource_id()
                    .unwrap_or_default()
                    .to_string(),
                physical_id: resource.physical_resource_id().map(str::to_string),
                resource_type: resource.resource_type().unwrap_or_default().to_string(),
                status: resource
                    .resource_status()
                    .map(|status| status.as_str().to_string())
                    .unwrap_or_default(),
            }
        }));
    }
    Ok(resources)
}

/// `<Code>` and `<Message>` of an XML error body (`<ErrorResponse><Errors><Error>...`), when it has both.
fn xml_error(body: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(body).ok()?;
    let element = |name: &str| -> Option<String> {
        let start = text.find(&format!("<{name}>"))? + name.len() + 2;
        let end = start + text[start..].find(&format!("</{name}>"))?;
        Some(text[start..end].trim().to_string())
    };
    Some((element("Code")?, element("Message")?))
}

/// The error and its causes, joined, without the Debug dump `DisplayErrorContext` appends and without the
/// repeats the SDK's nested credential errors produce.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(error) = current {
        let text = error.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        current = error.source();
    }
    parts.join(": ")
}

fn time(value: Option<&aws_sdk_cloudformation::primitives::DateTime>) -> String {
    value
        .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
        .unwrap_or_default()
}

/// The SDK's RollbackConfiguration of the options; `None` sends none (an update keeps the stack's).
fn sdk_rollback(
    options: &StackOptions,
) -> Option<aws_sdk_cloudformation::types::RollbackConfiguration> {
    let rollback = options.rollback.as_ref()?;
    let triggers = rollback
        .alarm_arns
        .iter()
        .map(|arn| {
            aws_sdk_cloudformation::types::RollbackTrigger::builder()
                .arn(arn)
                .r#type("AWS::CloudWatch::Alarm")
                .build()
        })
        .collect();
    Some(
        aws_sdk_cloudformation::types::RollbackConfiguration::builder()
            .set_rollback_triggers(Some(triggers))
            .monitoring_time_in_minutes(i32::try_from(rollback.monitoring_minutes).unwrap_or(0))
            .build(),
    )
}

fn stack_from_sdk(stack: &aws_sdk_cloudformation::types::Stack) -> Stack {
    Stack {
        stack_id: stack.stack_id().unwrap_or_default().to_string(),
        name: stack.stack_name().unwrap_or_default().to_string(),
        status: StackStatus::parse(stack.stack_status().map_or("", |s| s.as_str())),
        status_reason: stack.stack_status_reason().map(str::to_string),
        last_updated: time(stack.last_updated_time().or(stack.creation_time())),
        parameters: stack
            .parameters()
            .iter()
            .filter_map(|p| {
                Some((
                    p.parameter_key()?.to_string(),
                    p.parameter_value().unwrap_or_default().to_string(),
                ))
            })
            .collect(),
        tags: stack
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect(),
        outputs: stack
            .outputs()
            .iter()
            .filter_map(|o| {
                Some((
                    o.output_key()?.to_string(),
                    o.output_value().unwrap_or_default().to_string(),
                ))
            })
            .collect(),
        termination_protection: stack.enable_termination_protection().unwrap_or(false),
        parent_id: stack.parent_id().map(str::to_string),
        resolved: stack
            .parameters()
            .iter()
            .filter_map(|p| {
                Some((
                    p.parameter_key()?.to_string(),
                    p.resolved_value()?.to_string(),
                ))
            })
            .collect(),
        role_arn: stack.role_arn().map(str::to_string),
        notification_arns: stack.notification_arns().to_vec(),
        rollback: stack
            .rollback_configuration()
            .filter(|configuration| !configuration.rollback_triggers().is_empty())
            .map(|configuration| RollbackConfiguration {
                alarm_arns: configuration
                    .rollback_triggers()
                    .iter()
                    .filter_map(|trigger| trigger.arn().map(str::to_string))
                    .collect(),
                monitoring_minutes: configuration
                    .monitoring_time_in_minutes()
                    .and_then(|minutes| u32::try_from(minutes).ok())
                    .unwrap_or(0),
            }),
    }
}

fn summary_from_sdk(
    summary: &aws_sdk_cloudformation::operation::get_template_summary::GetTemplateSummaryOutput,
) -> TemplateSummary {
    TemplateSummary {
        parameters: summary
            .parameters()
            .iter()
            .filter_map(|p| {
                Some((
                    p.parameter_key()?.to_string(),
                    TemplateParameter {
                        kind: p.parameter_type().unwrap_or("String").to_string(),
                        default: p.default_value().map(str::to_string),
                        no_echo: p.no_echo().unwrap_or(false),
                        allowed_values: p
                            .parameter_constraints()
                            .map(|c| c.allowed_values().to_vec())
                            .unwrap_or_default(),
                        ..TemplateParameter::default()
                    },
                ))
            })
            .collect(),
        resource_count: summary.resource_types().len(),
        declarations: Declarations::SummaryOnly,
    }
}

fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect()
}

/// The input UpdateStack and CreateChangeSet share, set on either call from the one request value, so
/// that a change set is made of exactly what the update would send. The request is taken apart field by
/// field: a field added to `UpdateStackRequest` does not compile until it is set here, for both calls.
macro_rules! with_update_input {
    ($call:expr, $request:expr) => {{
        let UpdateStackRequest {
            name,
            template,
            parameters,
            tags,
            role_arn,
            options,
            // UpdateStack's ClientRequestToken; CreateChangeSet's ClientToken: set by each caller.
            token: _,
        } = $request;
        let call = $call
            .stack_name(name)
            .capabilities(Capability::CapabilityIam)
            .set_role_arn(role_arn.clone())
            .set_notification_arns(options.notification_arns.clone())
            .set_rollback_configuration(sdk_rollback(options))
            .set_parameters(Some(sdk_parameters(parameters)))
            .set_tags(Some(sdk_tags(tags)));
        match template {
            TemplateSource::Url(url) => call.template_url(url),
            TemplateSource::Body(body) => call.template_body(body),
        }
    }};
}

fn sdk_parameters(parameters: &BTreeMap<String, ParameterValue>) -> Vec<Parameter> {
    parameters
        .iter()
        .map(|(key, value)| match value {
            ParameterValue::Value(value) => Parameter::builder()
                .parameter_key(key)
                .parameter_value(value)
                .build(),
            ParameterValue::UsePrevious => Parameter::builder()
                .parameter_key(key)
                .use_previous_value(true)
                .build(),
        })
        .collect()
}

fn resource_change_from_sdk(
    change: &aws_sdk_cloudformation::types::ResourceChange,
) -> ResourceChange {
    use aws_sdk_cloudformation::types::Replacement as Sdk;
    ResourceChange {
        action: change
            .action()
            .map(|action| action.as_str().to_string())
            .unwrap_or_default(),
        logical_id: change.logical_resource_id().unwrap_or_default().to_string(),
        resource_type: change.resource_type().unwrap_or_default().to_string(),
        replacement: change.replacement().map(|replacement| match replacement {
            Sdk::False => Replacement::False,
            Sdk::True => Replacement::True,
            // Conditional, and any value this SDK does not know: never taken for "in place".
            _ => Replacement::Conditional,
        }),
        scope: change
            .scope()
            .iter()
            .map(|scope| scope.as_str().to_string())
            .collect(),
        details: change
            .details()
            .iter()
            .map(|detail| {
                let target = detail.target();
                ChangeDetail {
                    attribute: target
                        .and_then(|target| target.attribute())
                        .map(|attribute| attribute.as_str().to_string())
                        .unwrap_or_default(),
                    name: target.and_then(|target| target.name()).map(str::to_string),
                    requires_recreation: target
                        .and_then(|target| target.requires_recreation())
                        .map(|value| value.as_str().to_string()),
                    evaluation: detail.evaluation().map(|value| value.as_str().to_string()),
                    change_source: detail
                        .change_source()
                        .map(|value| value.as_str().to_string()),
                    causing_entity: detail.causing_entity().map(str::to_string),
                }
            })
            .collect(),
    }
}

#[async_trait]
impl Cloud for AwsCloud {
    async fn describe_stacks(&self) -> Result<Vec<Stack>, CloudError> {
        let mut pages = self.client.describe_stacks().into_paginator().send();
        let mut stacks = Vec::new();
        loop {
            self.limit.acquire().await;
            let Some(page) = pages.next().await else {
                break;
            };
            let page = page.map_err(sdk_error)?;
            stacks.extend(page.stacks().iter().map(stack_from_sdk));
        }
        Ok(stacks)
    }

    async fn describe_stack(&self, name: &str) -> Result<Option<Stack>, CloudError> {
        self.limit.acquire().await;
        match self.client.describe_stacks().stack_name(name).send().await {
            Ok(output) => Ok(output.stacks().first().map(stack_from_sdk)),
            Err(error) => {
                let error = sdk_error(error);
                // DescribeStacks names a missing stack with a ValidationError, not a NotFound.
                if error.message.contains("does not exist") {
                    Ok(None)
                } else {
                    Err(error)
                }
            }
        }
    }

    async fn template_summary(
        &self,
        template: &TemplateSource,
    ) -> Result<TemplateSummary, CloudError> {
        self.limit.acquire().await;
        let request = self.client.get_template_summary();
        let request = match template {
            TemplateSource::Url(url) => request.template_url(url),
            TemplateSource::Body(body) => request.template_body(body),
        };
        Ok(summary_from_sdk(&request.send().await.map_err(sdk_error)?))
    }

    async fn stack_template_summary(&self, name: &str) -> Result<TemplateSummary, CloudError> {
        self.limit.acquire().await;
        let summary = self
            .client
            .get_template_summary()
            .stack_name(name)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(summary_from_sdk(&summary))
    }

    async fn stack_template(&self, name: &str) -> Result<String, CloudError> {
        self.limit.acquire().await;
        let output = self
            .client
            .get_template()
            .stack_name(name)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(output.template_body().unwrap_or_default().to_string())
    }

    async fn create_stack(&self, request: &CreateStackRequest) -> Result<(), CloudError> {
        self.limit.acquire().await;
        let call = self
            .client
            .create_stack()
            .stack_name(&request.name)
            .client_request_token(&request.token)
            .capabilities(Capability::CapabilityIam)
            .enable_termination_protection(request.termination_protection)
            .set_role_arn(request.role_arn.clone())
            .set_notification_arns(request.options.notification_arns.clone())
            .set_stack_policy_body(request.options.stack_policy_body.clone())
            .set_rollback_configuration(sdk_rollback(&request.options))
            .set_timeout_in_minutes(
                request
                    .timeout_minutes
                    .and_then(|minutes| i32::try_from(minutes).ok()),
            )
            .set_parameters(Some(
                request
                    .parameters
                    .iter()
                    .map(|(key, value)| {
                        Parameter::builder()
                            .parameter_key(key)
                            .parameter_value(value)
                            .build()
                    })
                    .collect(),
            ))
            .set_tags(Some(sdk_tags(&request.tags)));
        let call = match &request.template {
            TemplateSource::Url(url) => call.template_url(url),
            TemplateSource::Body(body) => call.template_body(body),
        };
        call.send().await.map_err(sdk_error)?;
        Ok(())
    }

    async fn update_stack(
        &self,
        request: &UpdateStackRequest,
    ) -> Result<UpdateOutcome, CloudError> {
        self.limit.acquire().await;
        // CreateChangeSet has no StackPolicyBody (apply sets a changed policy with SetStackPolicy first), so
        // only UpdateStack sends it.
        let call = with_update_input!(self.client.update_stack(), request)
            .set_stack_policy_body(request.options.stack_policy_body.clone())
            .client_request_token(&request.token);
        match call.send().await {
            Ok(_) => Ok(UpdateOutcome::Started),
            Err(error) => {
                let error = sdk_error(error);
                if error.message.contains("No updates are to be performed") {
                    Ok(UpdateOutcome::NothingToDo)
                } else {
                    Err(error)
                }
            }
        }
    }

    async fn create_change_set(
        &self,
        update: &UpdateStackRequest,
        name: &str,
    ) -> Result<String, CloudError> {
        self.limit.acquire().await;
        let call = with_update_input!(self.client.create_change_set(), update)
            .change_set_name(name)
            .change_set_type(aws_sdk_cloudformation::types::ChangeSetType::Update)
            .client_token(&update.token);
        let answer = call.send().await.map_err(sdk_error)?;
        Ok(answer.id().unwrap_or(name).to_string())
    }

    async fn describe_change_set(
        &self,
        change_set: &ChangeSetRef,
    ) -> Result<ChangeSet, CloudError> {
        let mut next: Option<String> = None;
        let mut described: Option<ChangeSet> = None;
        loop {
            self.limit.acquire().await;
            let page = self
                .client
                .describe_change_set()
                .stack_name(&change_set.stack)
                .change_set_name(&change_set.name)
                .include_property_values(true)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(sdk_error)?;
            let changes = page
                .changes()
                .iter()
                .filter_map(|change| change.resource_change())
                .map(resource_change_from_sdk);
            match &mut described {
                Some(described) => described.changes.extend(changes),
                None => {
                    described = Some(ChangeSet {
                        id: page.change_set_id().unwrap_or_default().to_string(),
                        status: page
                            .status()
                            .map(|status| status.as_str().to_string())
                            .unwrap_or_default(),
                        status_reason: page.status_reason().map(str::to_string),
                        execution_status: page
                            .execution_status()
                            .map(|status| status.as_str().to_string())
                            .unwrap_or_default(),
                        changes: changes.collect(),
                    })
                }
            }
            match page.next_token() {
                Some(token) if !token.is_empty() => next = Some(token.to_string()),
                _ => break,
            }
        }
        Ok(described.expect("the loop reads at least one page"))
    }

    async fn execute_change_set(
        &self,
        change_set: &ChangeSetRef,
        token: &str,
    ) -> Result<(), CloudError> {
        self.limit.acquire().await;
        self.client
            .execute_change_set()
            .stack_name(&change_set.stack)
            .change_set_name(&change_set.name)
            .client_request_token(token)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn delete_change_set(&self, change_set: &ChangeSetRef) -> Result<(), CloudError> {
        self.limit.acquire().await;
        self.client
            .delete_change_set()
            .stack_name(&change_set.stack)
            .change_set_name(&change_set.name)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn delete_stack(
        &self,
        name: &str,
        role_arn: Option<&str>,
        token: &str,
    ) -> Result<(), CloudError> {
        self.limit.acquire().await;
        self.client
            .delete_stack()
            .stack_name(name)
            .set_role_arn(role_arn.map(str::to_string))
            .client_request_token(token)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn continue_update_rollback(
        &self,
        name: &str,
        role_arn: Option<&str>,
        token: &str,
        skip: &[String],
    ) -> Result<(), CloudError> {
        self.limit.acquire().await;
        self.client
            .continue_update_rollback()
            .stack_name(name)
            .set_role_arn(role_arn.map(str::to_string))
            .client_request_token(token)
            .set_resources_to_skip((!skip.is_empty()).then(|| skip.to_vec()))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn cancel_update_stack(&self, name: &str, token: &str) -> Result<(), CloudError> {
        self.limit.acquire().await;
        self.client
            .cancel_update_stack()
            .stack_name(name)
            .client_request_token(token)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn stack_policy(&self, name: &str) -> Result<Option<String>, CloudError> {
        self.limit.acquire().await;
        let output = self
            .client
            .get_stack_policy()
            .stack_name(name)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(output
            .stack_policy_body()
            .filter(|body| !body.trim().is_empty())
            .map(str::to_string))
    }

    async fn set_stack_policy(&self, name: &str, body: &str) -> Result<(), CloudError> {
        self.limit.acquire().await;
        self.client
            .set_stack_policy()
            .stack_name(name)
            .stack_policy_body(body)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn set_termination_protection(
        &self,
        name: &str,
        enabled: bool,
    ) -> Result<(), CloudError> {
        self.limit.acquire().await;
        self.client
            .update_termination_protection()
            .stack_name(name)
            .enable_termination_protection(enabled)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn stack_resources(&self, name: &str) -> Result<Vec<StackResource>, CloudError> {
        list_stack_resources(&self.client, &self.limit, name).await
    }

    async fn list_imports(&self, export: &str) -> Result<Vec<String>, CloudError> {
        let mut pages = self
            .client
            .list_imports()
            .export_name(export)
            .into_paginator()
            .send();
        let mut importers = Vec::new();
        loop {
            self.limit.acquire().await;
            let Some(page) = pages.next().await else {
                break;
            };
            match page {
                Ok(page) => importers.extend(page.imports().iter().cloned()),
                Err(error) => {
                    let error = sdk_error(error);
                    if error.message.contains("is not imported by any stack") {
                        break;
                    }
                    return Err(error);
                }
            }
        }
        Ok(importers)
    }

    async fn availability_zones(&self) -> Result<Vec<String>, CloudError> {
        self.ec2.availability_zones().await
    }

    async fn instance_type_zones(&self, instance_type: &str) -> Result<Vec<String>, CloudError> {
        self.ec2.instance_type_zones(instance_type).await
    }

    async fn instance_type_vcpus(&self, instance_type: &str) -> Result<Option<u32>, CloudError> {
        self.ec2.instance_type_vcpus(instance_type).await
    }

    async fn ec2_quota(&self, code: &str) -> Result<f64, CloudError> {
        self.quotas.ec2_quota(code).await
    }

    async fn stack_events(&self, name: &str) -> Result<Vec<StackEvent>, CloudError> {
        self.limit.acquire().await;
        let output = self
            .client
            .describe_stack_events()
            .stack_name(name)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(output
            .stack_events()
            .iter()
            .map(|event| StackEvent {
                event_id: event.event_id().unwrap_or_default().to_string(),
                logical_id: event.logical_resource_id().unwrap_or_default().to_string(),
                physical_id: event.physical_resource_id().map(str::to_string),
                resource_type: event.resource_type().unwrap_or_default().to_string(),
                status: event
                    .resource_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                reason: event.resource_status_reason().map(str::to_string),
                timestamp: time(event.timestamp()),
                token: event.client_request_token().map(str::to_string),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_denial_in_an_xml_body_gives_its_code_and_message() {
        let body = br#"<?xml version="1.0" encoding="utf-8"?>
<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/planner is not authorized to perform: ssm:GetParameter</Message><Type>Sender</Type></Error></Errors></ErrorResponse>"#;
        assert_eq!(
            xml_error(body),
            Some((
                "AccessDenied".to_string(),
                "User: arn:aws:iam::123456789012:user/planner is not authorized to perform: ssm:GetParameter".to_string()
            ))
        );
        assert_eq!(xml_error(b"{}"), None);
        assert_eq!(xml_error(b"<Code>AccessDenied</Code>"), None);
    }

    #[tokio::test]
    async fn clients_of_one_account_and_region_share_one_rate_limit_and_retry_partition() {
        let connector = AwsConnector::new(None);
        let one = connector.rate_limit("123456789012", "us-east-1").await;
        let same = connector.rate_limit("123456789012", "us-east-1").await;
        let other_region = connector.rate_limit("123456789012", "eu-west-1").await;
        let other_account = connector.rate_limit("210987654321", "us-east-1").await;
        assert!(Arc::ptr_eq(&one, &same));
        assert!(!Arc::ptr_eq(&one, &other_region));
        assert!(!Arc::ptr_eq(&one, &other_account));
        one.throttled();
        assert!(
            same.rate().is_some(),
            "a throttle slows every client of the pair"
        );
        assert!(other_account.rate().is_none(), "and no other account");
        assert_eq!(
            retry_partition("123456789012", "us-east-1").to_string(),
            "cloudformation-123456789012-us-east-1"
        );
    }
}
