//! The IAM reads doctor makes: whether a service role exists and whom it trusts (GetRole), and whether the
//! org's own credentials are allowed a policy's actions (SimulatePrincipalPolicy).

use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_xml::decode::{XmlDecodeError, try_data};

use super::aws_connector::AwsConnector;
use super::aws_error::sdk_error;
use super::aws_protocol::{
    Page, Protocol, Service, ServiceClient, child_texts, query_list, visit_path,
};
use super::call_log::CallLog;
use super::{CloudError, CloudErrorKind};
use crate::config::OrgSettings;

/// IAM is global; its calls are signed for us-east-1.
const IAM_REGION: &str = "us-east-1";

pub(super) const IAM: Service = Service {
    name: "IAM",
    signing_name: "iam",
    endpoint_prefix: "iam",
    global: true,
    protocol: Protocol::Query {
        version: "2010-05-08",
    },
    names_codeless_errors: false,
};

impl AwsConnector {
    async fn iam(&self, org: &OrgSettings) -> ServiceClient {
        let config = self.sdk_config(org, IAM_REGION).await;
        iam_client(&config)
    }

    pub(super) async fn get_role_trust(
        &self,
        org: &OrgSettings,
        role_arn: &str,
    ) -> Result<Option<String>, CloudError> {
        role_trust(&self.iam(org).await, role_arn).await
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
        denied_actions(&self.iam(org).await, &principal, statements).await
    }
}

fn iam_client(config: &aws_config::SdkConfig) -> ServiceClient {
    ServiceClient::new(
        &IAM,
        config,
        IAM_REGION,
        CallLog::outside_rate_limit(IAM_REGION),
    )
}

/// The trust policy of the role `role_arn` names (GetRole), `None` when there is no such role.
async fn role_trust(iam: &ServiceClient, role_arn: &str) -> Result<Option<String>, CloudError> {
    let name = role_arn.rsplit('/').next().unwrap_or(role_arn);
    let params = [("RoleName".to_string(), name.to_string())];
    match iam.query("GetRole", &params, trust_policy).await? {
        Ok(document) => Ok(Some(percent_decode(&document.unwrap_or_default()))),
        Err(error) if error.code() == Some("NoSuchEntity") => Ok(None),
        Err(error) => Err(sdk_error(error)),
    }
}

/// The actions of `statements` (actions, resources) that `principal` is not allowed, sorted, one
/// SimulatePrincipalPolicy per statement.
async fn denied_actions(
    iam: &ServiceClient,
    principal: &str,
    statements: &[(Vec<String>, Vec<String>)],
) -> Result<Vec<String>, CloudError> {
    let mut denied = Vec::new();
    for (actions, resources) in statements {
        let mut params = vec![("PolicySourceArn".to_string(), principal.to_string())];
        params.extend(query_list("ActionNames", actions));
        params.extend(query_list("ResourceArns", resources));
        let decisions = iam
            .query_pages(
                "SimulatePrincipalPolicy",
                &params,
                "Marker",
                evaluation_results,
            )
            .await?;
        for (action, decision) in decisions {
            if decision != "allowed" {
                denied.push(action);
            }
        }
    }
    denied.sort();
    denied.dedup();
    Ok(denied)
}

/// GetRole's AssumeRolePolicyDocument (URL-encoded).
fn trust_policy(body: &[u8]) -> Result<Option<String>, XmlDecodeError> {
    let mut document = None;
    visit_path(
        body,
        &[
            "GetRoleResponse",
            "GetRoleResult",
            "Role",
            "AssumeRolePolicyDocument",
        ],
        &mut |element| {
            document = Some(try_data(element)?.into_owned());
            Ok(())
        },
    )?;
    Ok(document)
}

/// A page of SimulatePrincipalPolicy's (action, decision) pairs; the next page's `Marker` when
/// `IsTruncated` says there is one.
fn evaluation_results(body: &[u8]) -> Result<Page<(String, String)>, XmlDecodeError> {
    let mut results = Vec::new();
    visit_path(
        body,
        &[
            "SimulatePrincipalPolicyResponse",
            "SimulatePrincipalPolicyResult",
            "EvaluationResults",
            "member",
        ],
        &mut |member| match child_texts(member, ["EvalActionName", "EvalDecision"])? {
            [Some(action), Some(decision)] => {
                results.push((action, decision));
                Ok(())
            }
            _ => Err(XmlDecodeError::custom(
                "an evaluation result without EvalActionName or EvalDecision",
            )),
        },
    )?;
    let result = |field: &'static str| {
        let mut text = None;
        visit_path(
            body,
            &[
                "SimulatePrincipalPolicyResponse",
                "SimulatePrincipalPolicyResult",
                field,
            ],
            &mut |element| {
                text = Some(try_data(element)?.into_owned());
                Ok(())
            },
        )
        .map(|()| text)
    };
    let truncated = result("IsTruncated")?.is_some_and(|text| text.trim() == "true");
    let marker = result("Marker")?.filter(|marker| !marker.is_empty());
    if truncated && marker.is_none() {
        return Err(XmlDecodeError::custom(
            "a truncated answer (IsTruncated true) without a Marker for the rest",
        ));
    }
    Ok(Page {
        items: results,
        next_token: marker.filter(|_| truncated),
    })
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
    use super::super::aws_protocol::testing::{Recorder, sdk_config};
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

    fn iam(recorder: &Recorder) -> ServiceClient {
        iam_client(&sdk_config(recorder, IAM_REGION, None))
    }

    const ROLE: &str = r#"<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <GetRoleResult>
    <Role>
      <Path>/</Path>
      <AssumeRolePolicyDocument>%7B%22Statement%22%3A%5B%7B%22Principal%22%3A%7B%22Service%22%3A%22cloudformation.amazonaws.com%22%7D%7D%5D%7D</AssumeRolePolicyDocument>
      <RoleName>racks-deploy</RoleName>
      <Arn>arn:aws:iam::123456789012:role/racks-deploy</Arn>
      <Tags><member><Key>team</Key><Value>ops</Value></member></Tags>
    </Role>
  </GetRoleResult>
  <ResponseMetadata><RequestId>df37e965-9967-11e1-a4c3-270EXAMPLE04</RequestId></ResponseMetadata>
</GetRoleResponse>"#;

    #[tokio::test]
    async fn get_role_is_a_signed_query_to_the_global_endpoint_and_reads_the_decoded_trust() {
        let recorder = Recorder::answering(&[(200, ROLE)]);
        let trust = role_trust(
            &iam(&recorder),
            "arn:aws:iam::123456789012:role/racks-deploy",
        )
        .await
        .unwrap();
        assert_eq!(
            trust.as_deref(),
            Some(r#"{"Statement":[{"Principal":{"Service":"cloudformation.amazonaws.com"}}]}"#)
        );
        assert_eq!(recorder.uri(0), "https://iam.amazonaws.com/");
        assert_eq!(
            recorder.bodies(),
            ["Action=GetRole&Version=2010-05-08&RoleName=racks-deploy"]
        );
        let authorization = recorder.header(0, "authorization").unwrap();
        assert!(
            authorization.contains("/20260102/us-east-1/iam/aws4_request"),
            "{authorization}"
        );
    }

    #[tokio::test]
    async fn a_missing_role_is_none_and_other_errors_name_iams_code() {
        let error = |code: &str, message: &str| {
            format!(
                r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"#
            )
        };
        let recorder = Recorder::answering(&[
            (
                404,
                &error(
                    "NoSuchEntity",
                    "The role with name racks-deploy cannot be found.",
                ),
            ),
            (
                403,
                &error(
                    "AccessDenied",
                    "User: arn:aws:iam::123456789012:user/planner is not authorized to perform: iam:GetRole",
                ),
            ),
        ]);
        let iam = iam(&recorder);
        assert_eq!(role_trust(&iam, "racks-deploy").await.unwrap(), None);
        let denied = role_trust(&iam, "racks-deploy").await.unwrap_err();
        assert_eq!(denied.kind, CloudErrorKind::AccessDenied);
        assert_eq!(
            denied.message,
            "AccessDenied: User: arn:aws:iam::123456789012:user/planner is not authorized to perform: iam:GetRole"
        );
    }

    fn simulation(results: &[(&str, &str)]) -> String {
        simulation_page(results, None)
    }

    /// A page of SimulatePrincipalPolicy: truncated, with `marker` for the rest, when there is one.
    fn simulation_page(results: &[(&str, &str)], marker: Option<&str>) -> String {
        let members: String = results
            .iter()
            .map(|(action, decision)| {
                format!(
                    "<member><EvalResourceName>*</EvalResourceName><EvalActionName>{action}</EvalActionName><MatchedStatements><member><SourcePolicyId>p</SourcePolicyId></member></MatchedStatements><EvalDecision>{decision}</EvalDecision></member>"
                )
            })
            .collect();
        let rest = marker.map_or_else(
            || "<IsTruncated>false</IsTruncated>".to_string(),
            |marker| format!("<IsTruncated>true</IsTruncated><Marker>{marker}</Marker>"),
        );
        format!(
            r#"<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulatePrincipalPolicyResult>{rest}<EvaluationResults>{members}</EvaluationResults></SimulatePrincipalPolicyResult></SimulatePrincipalPolicyResponse>"#
        )
    }

    /// IAM answers a long action list a page at a time: an action denied on a later page is still
    /// reported (the simulation once read only the first page).
    #[tokio::test]
    async fn a_denial_on_a_later_page_of_the_simulation_is_reported() {
        let recorder = Recorder::answering(&[
            (
                200,
                &simulation_page(&[("cloudformation:DescribeStacks", "allowed")], Some("m/2")),
            ),
            (
                200,
                &simulation(&[("cloudformation:UpdateStack", "implicitDeny")]),
            ),
        ]);
        let statements = [(
            vec![
                "cloudformation:DescribeStacks".to_string(),
                "cloudformation:UpdateStack".to_string(),
            ],
            vec!["*".to_string()],
        )];
        let denied = denied_actions(
            &iam(&recorder),
            "arn:aws:iam::123456789012:role/racks-apply",
            &statements,
        )
        .await
        .unwrap();
        assert_eq!(denied, ["cloudformation:UpdateStack"]);
        let bodies = recorder.bodies();
        assert_eq!(bodies.len(), 2);
        assert_eq!(bodies[1], format!("{}&Marker=m%2F2", bodies[0]));
    }

    #[test]
    fn a_truncated_simulation_without_a_marker_is_an_unreadable_answer() {
        let body = simulation(&[("a", "allowed")]).replace(
            "<IsTruncated>false</IsTruncated>",
            "<IsTruncated>true</IsTruncated>",
        );
        assert!(evaluation_results(body.as_bytes()).is_err());
    }

    #[tokio::test]
    async fn each_statement_is_simulated_and_the_denied_actions_are_listed_once() {
        let recorder = Recorder::answering(&[
            (
                200,
                &simulation(&[
                    ("cloudformation:DescribeStacks", "allowed"),
                    ("cloudformation:GetTemplate", "implicitDeny"),
                ]),
            ),
            (
                200,
                &simulation(&[
                    ("ssm:GetParameter", "explicitDeny"),
                    ("cloudformation:GetTemplate", "implicitDeny"),
                ]),
            ),
        ]);
        let statements = [
            (
                vec![
                    "cloudformation:DescribeStacks".to_string(),
                    "cloudformation:GetTemplate".to_string(),
                ],
                vec!["*".to_string()],
            ),
            (
                vec![
                    "ssm:GetParameter".to_string(),
                    "cloudformation:GetTemplate".to_string(),
                ],
                vec![],
            ),
        ];
        let denied = denied_actions(
            &iam(&recorder),
            "arn:aws:iam::123456789012:role/racks-plan",
            &statements,
        )
        .await
        .unwrap();
        assert_eq!(denied, ["cloudformation:GetTemplate", "ssm:GetParameter"]);
        assert_eq!(
            recorder.bodies(),
            [
                "Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fracks-plan&ActionNames.member.1=cloudformation%3ADescribeStacks&ActionNames.member.2=cloudformation%3AGetTemplate&ResourceArns.member.1=%2A",
                "Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fracks-plan&ActionNames.member.1=ssm%3AGetParameter&ActionNames.member.2=cloudformation%3AGetTemplate&ResourceArns=",
            ]
        );
    }

    #[test]
    fn an_evaluation_result_without_its_decision_is_an_unreadable_answer() {
        assert!(evaluation_results(b"<SimulatePrincipalPolicyResponse><SimulatePrincipalPolicyResult><EvaluationResults><member><EvalActionName>a</EvalActionName></member></EvaluationResults></SimulatePrincipalPolicyResult></SimulatePrincipalPolicyResponse>").is_err());
        assert!(evaluation_results(ROLE.as_bytes()).is_err());
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
