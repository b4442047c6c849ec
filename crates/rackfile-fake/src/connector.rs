//! The fake as rackfile's `Connector`: STS (which account a profile's credentials reach), IAM (roles and
//! the policy simulation), SSM Parameter Store, S3, and the per-region clients of the other services.

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use rackfile::cloud::{
    Alarms, Cloud, CloudError, CloudErrorKind, Connector, Drift, PutOutcome, RackServices,
    S3Object, Secret, SsmParameter,
};
use rackfile::config::OrgSettings;
use tokio::time::Instant;

use crate::alarms::FakeAlarms;
use crate::{Call, FakeAws, World, now, rack_services};

#[async_trait]
impl Connector for FakeAws {
    async fn account_id(&self, org: &OrgSettings, region: &str) -> Result<String, CloudError> {
        let mut world = self.world();
        let account = world.accounts.get(&org.profile).cloned();
        world.calls.push(Call {
            at: Instant::now(),
            operation: "GetCallerIdentity",
            account: account.clone().unwrap_or_default(),
            region: region.to_string(),
        });
        account.ok_or_else(|| {
            CloudError::new(
                CloudErrorKind::NoCredentials,
                format!("no credentials for profile {:?}", org.profile),
            )
        })
    }

    async fn cloud(&self, org: &OrgSettings, region: &str) -> Result<Arc<dyn Cloud>, CloudError> {
        let account = self
            .world()
            .accounts
            .get(&org.profile)
            .cloned()
            .ok_or_else(|| CloudError::new(CloudErrorKind::NoCredentials, "no credentials"))?;
        Ok(Arc::new(self.cloud_for(&account, region)))
    }

    async fn role_trust_policy(
        &self,
        _org: &OrgSettings,
        role_arn: &str,
    ) -> Result<Option<String>, CloudError> {
        let mut world = self.world();
        world.calls.push(Call {
            at: Instant::now(),
            operation: "GetRole",
            account: String::new(),
            region: String::new(),
        });
        Ok(world.iam_roles.get(role_arn).cloned())
    }

    async fn denied_actions(
        &self,
        _org: &OrgSettings,
        statements: &[(Vec<String>, Vec<String>)],
    ) -> Result<Vec<String>, CloudError> {
        let mut world = self.world();
        world.calls.push(Call {
            at: Instant::now(),
            operation: "SimulatePrincipalPolicy",
            account: String::new(),
            region: String::new(),
        });
        let denied = world.simulation.clone().ok_or_else(|| {
            CloudError::new(
                CloudErrorKind::AccessDenied,
                "AccessDenied: not authorized to perform: iam:SimulatePrincipalPolicy",
            )
        })?;
        Ok(statements
            .iter()
            .flat_map(|(actions, _)| actions)
            .filter(|action| denied.contains(action))
            .cloned()
            .collect())
    }

    async fn alarms(&self, org: &OrgSettings, region: &str) -> Result<Arc<dyn Alarms>, CloudError> {
        let account = self
            .world()
            .accounts
            .get(&org.profile)
            .cloned()
            .ok_or_else(|| CloudError::new(CloudErrorKind::NoCredentials, "no credentials"))?;
        Ok(Arc::new(FakeAlarms {
            aws: self.clone(),
            account,
            region: region.to_string(),
        }))
    }

    async fn rack_services(
        &self,
        org: &OrgSettings,
        region: &str,
    ) -> Result<Arc<dyn RackServices>, CloudError> {
        let account = self
            .world()
            .accounts
            .get(&org.profile)
            .cloned()
            .ok_or_else(|| CloudError::new(CloudErrorKind::NoCredentials, "no credentials"))?;
        Ok(Arc::new(rack_services::FakeRackServices {
            aws: self.clone(),
            account,
            region: region.to_string(),
        }))
    }

    async fn drift(&self, org: &OrgSettings, region: &str) -> Result<Arc<dyn Drift>, CloudError> {
        let account = self
            .world()
            .accounts
            .get(&org.profile)
            .cloned()
            .ok_or_else(|| CloudError::new(CloudErrorKind::NoCredentials, "no credentials"))?;
        Ok(self.drift_for(&account, region))
    }

    async fn ssm_parameter(
        &self,
        org: &OrgSettings,
        region: &str,
        name: &str,
    ) -> Result<Option<SsmParameter>, CloudError> {
        let mut world = self.world();
        let account = ssm_account(&mut world, org, region, "GetParameter")?;
        Ok(world
            .ssm
            .get(&(account, region.to_string(), name.to_string()))
            .map(|(kind, value)| SsmParameter {
                kind: kind.clone(),
                value: Secret::new(value.clone()),
            }))
    }

    async fn put_ssm_secure_string(
        &self,
        org: &OrgSettings,
        region: &str,
        name: &str,
        value: &Secret,
    ) -> Result<PutOutcome, CloudError> {
        let mut world = self.world();
        let account = ssm_account(&mut world, org, region, "PutParameter")?;
        let key = (account, region.to_string(), name.to_string());
        if world.ssm.contains_key(&key) {
            return Ok(PutOutcome::AlreadyExists);
        }
        world.ssm.insert(
            key,
            ("SecureString".to_string(), value.expose().to_string()),
        );
        Ok(PutOutcome::Stored)
    }

    async fn s3_object(
        &self,
        org: Option<&OrgSettings>,
        object: &S3Object,
        limit: usize,
    ) -> Result<String, CloudError> {
        let mut world = self.world();
        let account = match org {
            Some(org) => world
                .accounts
                .get(&org.profile)
                .cloned()
                .unwrap_or_default(),
            None => String::new(),
        };
        world.calls.push(Call {
            at: Instant::now(),
            operation: "GetObject",
            account,
            region: object.region.clone(),
        });
        let body = world
            .objects
            .get(&(object.bucket.clone(), object.key.clone()))
            .cloned()
            .ok_or_else(|| {
                CloudError::new(
                    CloudErrorKind::NotFound,
                    "NoSuchKey: The specified key does not exist.",
                )
            })?;
        if body.len() > limit {
            return Err(CloudError::new(
                CloudErrorKind::Validation,
                format!("the template is larger than {limit} bytes"),
            ));
        }
        Ok(body)
    }

    /// The fake's clock, on which its stacks' LastUpdatedTime is written (tokio's, paused in tests).
    fn now(&self) -> SystemTime {
        now()
    }
}

/// The account an org's credentials reach, with the SSM call recorded.
fn ssm_account(
    world: &mut World,
    org: &OrgSettings,
    region: &str,
    operation: &'static str,
) -> Result<String, CloudError> {
    let account = world
        .accounts
        .get(&org.profile)
        .cloned()
        .ok_or_else(|| CloudError::new(CloudErrorKind::NoCredentials, "no credentials"))?;
    world.calls.push(Call {
        at: Instant::now(),
        operation,
        account: account.clone(),
        region: region.to_string(),
    });
    if world.denied.contains(operation) {
        return Err(CloudError::new(
            CloudErrorKind::AccessDenied,
            format!("AccessDenied: not authorized to perform ssm:{operation}"),
        ));
    }
    Ok(account)
}
