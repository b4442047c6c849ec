//! Least privilege, checked from where doctor runs: each org's credentials against the plan policy
//! (IAM SimulatePrincipalPolicy, when the credentials may call it; otherwise doctor says it cannot tell),
//! and each `role_arn` exists and trusts cloudformation.amazonaws.com (GetRole).

use serde_json::Value;

use super::Check;
use crate::cloud::CloudError;

/// Whether a trust policy lets CloudFormation assume the role: an Allow statement of
/// `sts:AssumeRole` (or a wildcard over it) for the service principal cloudformation.amazonaws.com.
pub fn trusts_cloudformation(trust_policy: &str) -> bool {
    let Ok(policy) = serde_json::from_str::<Value>(trust_policy) else {
        return false;
    };
    let strings = |value: Option<&Value>| -> Vec<String> {
        match value {
            Some(Value::String(one)) => vec![one.clone()],
            Some(Value::Array(many)) => many
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    };
    let statements = match policy.get("Statement") {
        Some(Value::Array(many)) => many.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    };
    statements.iter().any(|statement| {
        statement.get("Effect").and_then(Value::as_str) == Some("Allow")
            && strings(statement.get("Principal").and_then(|p| p.get("Service")))
                .iter()
                .any(|service| service == "cloudformation.amazonaws.com")
            && strings(statement.get("Action"))
                .iter()
                .any(|action| ["sts:AssumeRole", "sts:*", "*"].contains(&action.as_str()))
    })
}

/// `role_arn` (used by `racks`), as GetRole answered with the org's credentials.
pub fn service_role_check(
    role_arn: &str,
    racks: &[String],
    read: &Result<Option<String>, CloudError>,
) -> Check {
    let used_by = racks.join(", ");
    match read {
        Ok(Some(trust)) if trusts_cloudformation(trust) => Check::pass(format!(
            "service role {role_arn} ({used_by}) exists and trusts cloudformation.amazonaws.com"
        )),
        Ok(Some(_)) => Check::fail(
            format!(
                "service role {role_arn} ({used_by}) does not let cloudformation.amazonaws.com assume it"
            ),
            Some("its trust policy needs an Allow of sts:AssumeRole for the service principal cloudformation.amazonaws.com".into()),
        ),
        Ok(None) => Check::fail(
            format!("service role {role_arn} ({used_by}) does not exist"),
            Some("create it, or fix `role_arn`: CloudFormation refuses a write with a role it cannot assume".into()),
        ),
        Err(error) => Check::skip(format!(
            "service role {role_arn} ({used_by}): cannot tell whether it exists (iam:GetRole: {error})"
        )),
    }
}

/// The org's credentials against the plan policy, as SimulatePrincipalPolicy answered.
pub fn plan_policy_check(org: &str, simulated: &Result<Vec<String>, CloudError>) -> Check {
    match simulated {
        Ok(denied) if denied.is_empty() => Check::pass(format!(
            "org {org}'s credentials are allowed every action of the plan policy (IAM simulation)"
        )),
        Ok(denied) => Check::fail(
            format!(
                "org {org}'s credentials are denied {} of the plan policy (IAM simulation)",
                denied.join(", ")
            ),
            Some("`rackfile permissions plan` prints the policy a plan needs".into()),
        ),
        Err(error) => Check::skip(format!(
            "org {org}'s credentials against the plan policy: cannot tell (iam:SimulatePrincipalPolicy: {error})"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::CloudErrorKind;
    use crate::doctor::Mark;

    const ROLE: &str = "arn:aws:iam::123456789012:role/cfn";

    #[test]
    fn a_role_passes_only_when_cloudformation_may_assume_it() {
        let racks = ["personal/web".to_string()];
        let trusting = r#"{"Statement": [{"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com", "cloudformation.amazonaws.com"]}, "Action": "sts:AssumeRole"}]}"#;
        let lambda_only = r#"{"Statement": {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}}"#;
        let denying = r#"{"Statement": [{"Effect": "Deny", "Principal": {"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#;
        let mark = |read| service_role_check(ROLE, &racks, &read).mark;
        assert_eq!(mark(Ok(Some(trusting.into()))), Mark::Pass);
        assert_eq!(mark(Ok(Some(lambda_only.into()))), Mark::Fail);
        assert_eq!(mark(Ok(Some(denying.into()))), Mark::Fail);
        assert_eq!(mark(Ok(None)), Mark::Fail);
        let denied = service_role_check(
            ROLE,
            &racks,
            &Err(CloudError::new(
                CloudErrorKind::AccessDenied,
                "no iam:GetRole",
            )),
        );
        assert_eq!(denied.mark, Mark::Skip);
        assert!(denied.text.contains("cannot tell"), "{}", denied.text);
    }

    #[test]
    fn the_simulation_passes_fails_naming_the_denied_actions_or_cannot_tell() {
        assert_eq!(plan_policy_check("personal", &Ok(vec![])).mark, Mark::Pass);
        let failed = plan_policy_check("personal", &Ok(vec!["cloudformation:ListImports".into()]));
        assert_eq!(failed.mark, Mark::Fail);
        assert!(failed.text.contains("denied cloudformation:ListImports"));
        assert!(failed.hint.unwrap().contains("rackfile permissions plan"));
        let refused = plan_policy_check(
            "personal",
            &Err(CloudError::new(CloudErrorKind::AccessDenied, "refused")),
        );
        assert_eq!(refused.mark, Mark::Skip);
        assert!(refused.text.contains("cannot tell"), "{}", refused.text);
    }
}
