//! The IAM reads doctor makes: whether a service role exists and whom it trusts (GetRole), and whether the
//! org's own credentials are allowed a policy's actions (SimulatePrincipalPolicy).

use aws_sdk_iam::error::ProvideErrorMetadata;

use super::aws_connector::AwsConnector;
use super::aws_error::sdk_error;
use super::call_log::CallLog;
use super::{CloudError, CloudErrorKind};
use crate::config::OrgSettings;

/// IAM is global; its calls are signed for us-east-1.
const IAM_REGION: &str = "us-east-1";

impl AwsConnector {
    async fn iam(&self, org: &OrgSettings) -> aws_sdk_iam::Client {
        let config = self.sdk_config(org, IAM_REGION).await;
        let config = aws_sdk_iam::config::Builder::from(&config)
            .interceptor(CallLog {
                region: IAM_REGION.to_string(),
                limit: None,
            })
            .build();
        aws_sdk_iam::Client::from_conf(config)
    }

    pub(super) async fn get_role_trust(
        &self,
        org: &OrgSettings,
        role_arn: &str,
    ) -> Result<Option<String>, CloudError> {
        let name = role_arn.rsplit('/').next().unwrap_or(role_arn);
        match self.iam(org).await.get_role().role_name(name).send().await {
            Ok(output) => Ok(Some(percent_decode(
                output
                    .role()
                    .and_then(|role| role.assume_role_policy_document())
                    .unwrap_or_default(),
            ))),
            Err(error) if error.code() == Some("NoSuchEntity") => Ok(None),
            Err(error) => Err(sdk_error(error)),
        }
    }

    pub(super) async fn simulate(
        &self,
        org: &OrgSettings,
        statements: &[(Vec<String>, Vec<String>)],
    ) -> Result<Vec<String>, CloudError> {
        let sts = aws_sdk_sts::Client::new(&self.sdk_config(org, IAM_REGION).await);
        let identity = sts.get_caller_identity().send().await.map_err(sdk_error)?;
        let principal = principal_of(identity.arn().unwrap_or_default()).ok_or_else(|| {
            CloudError::new(
                CloudErrorKind::Other,
                format!(
                    "{} is not a user or role IAM can simulate",
                    identity.arn().unwrap_or_default()
                ),
            )
        })?;
        let iam = self.iam(org).await;
        let mut denied = Vec::new();
        for (actions, resources) in statements {
            let output = iam
                .simulate_principal_policy()
                .policy_source_arn(&principal)
                .set_action_names(Some(actions.clone()))
                .set_resource_arns(Some(resources.clone()))
                .send()
                .await
                .map_err(sdk_error)?;
            for result in output.evaluation_results() {
                if result.eval_decision().as_str() != "allowed" {
                    denied.push(result.eval_action_name().to_string());
                }
            }
        }
        denied.sort();
        denied.dedup();
        Ok(denied)
    }
}

/// The IAM principal behind a caller ARN: a user as it is, an assumed role's session as its role (IAM
/// simulates roles, not sessions; a role's path is not in the session ARN, so only roles at `/` match).
fn principal_of(caller: &str) -> Option<String> {
    let (prefix, resource) = caller.split_once(":assumed-role/").map_or_else(
        || (None, caller),
        |(prefix, resource)| (Some(prefix), resource),
    );
    match prefix {
        None => caller.contains(":user/").then(|| caller.to_string()),
        Some(prefix) => {
            let role = resource.split('/').next()?;
            Some(format!(
                "{}:role/{role}",
                prefix.replacen(":sts:", ":iam:", 1)
            ))
        }
    }
}

/// GetRole's AssumeRolePolicyDocument is URL-encoded JSON.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[index], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                index += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_simulated_as_its_role_and_a_user_as_itself() {
        assert_eq!(
            principal_of("arn:aws:sts::123456789012:assumed-role/racks-plan/ci-42").as_deref(),
            Some("arn:aws:iam::123456789012:role/racks-plan")
        );
        assert_eq!(
            principal_of("arn:aws:iam::123456789012:user/deployer").as_deref(),
            Some("arn:aws:iam::123456789012:user/deployer")
        );
        assert_eq!(principal_of("arn:aws:iam::123456789012:root"), None);
    }

    #[test]
    fn the_trust_policy_is_url_decoded() {
        assert_eq!(
            percent_decode("%7B%22Statement%22%3A%5B%5D%7D"),
            r#"{"Statement":[]}"#
        );
        assert_eq!(percent_decode("100%"), "100%");
    }
}
