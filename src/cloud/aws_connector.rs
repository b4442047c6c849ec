//! The `Connector` over the official AWS SDK: one SDK config per (profile, region), built the same way for
//! every command: standard credential chain or the org's profile, `--endpoint-url` / AWS_ENDPOINT_URL honoured,
//! standard bounded retries and timeouts so a dead endpoint fails instead of hanging. It makes each service's
//! client from that config (the CloudFormation one in `aws_cloudformation`, the `aws_protocol` ones in their
//! files) and answers the few reads of its own (STS's account, an SSM parameter through `aws_ssm`, an S3
//! object).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudformation::config::retry::RetryPartition;
use tokio::sync::Mutex;

use super::aws_cloudformation::AwsCloud;
use super::aws_ec2::AwsEc2;
use super::aws_error::sdk_error;
use super::aws_quotas::AwsQuotas;
use super::aws_setup::{self, SetupError};
use super::aws_ssm::AwsSsm;
use super::call_log::CallLog;
use super::rate_limit::RateLimit;
use super::{Cloud, CloudError, Connector, PutOutcome, S3Object, Secret, SsmParameter};
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
        let log = CallLog::outside_rate_limit(region);
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
        AwsSsm::new(&config, region, CallLog::outside_rate_limit(region))
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
            .interceptor(CallLog::outside_rate_limit(region))
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
            .interceptor(CallLog::outside_rate_limit(region))
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
            CallLog::outside_rate_limit(region),
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
            CallLog::outside_rate_limit(region),
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

#[cfg(test)]
mod tests {
    use super::*;

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
