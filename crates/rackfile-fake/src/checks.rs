//! What CloudFormation refuses in a write's input, checked as it checks it: parameters against the
//! template, SSM-typed parameters against Parameter Store, stack options and policies.

use std::collections::{BTreeMap, HashMap};

use rackfile::cloud::{CloudError, Stack, StackOptions};

use crate::{FakeTemplate, validation};

/// What CloudFormation refuses in a write's stack options: more than five rollback triggers, a monitoring
/// time over three hours, a topic that is not an SNS ARN, a policy that is not a JSON object of statements.
pub(crate) fn check_options(options: &StackOptions) -> Result<(), CloudError> {
    if let Some(rollback) = &options.rollback {
        if rollback.alarm_arns.len() > 5 {
            return Err(validation(
                "RollbackConfiguration: at most 5 rollback triggers",
            ));
        }
        if rollback.monitoring_minutes > 180 {
            return Err(validation(
                "RollbackConfiguration: MonitoringTimeInMinutes must be at most 180",
            ));
        }
        if let Some(arn) = rollback
            .alarm_arns
            .iter()
            .find(|arn| !arn.starts_with("arn:aws:cloudwatch:") || !arn.contains(":alarm:"))
        {
            return Err(validation(format!(
                "RollbackTrigger: {arn} is not an alarm ARN"
            )));
        }
    }
    if let Some(arn) = options
        .notification_arns
        .iter()
        .flatten()
        .find(|arn| !arn.starts_with("arn:aws:sns:"))
    {
        return Err(validation(format!(
            "NotificationARNs: {arn} is not an SNS topic ARN"
        )));
    }
    if let Some(body) = &options.stack_policy_body {
        check_policy(body)?;
    }
    Ok(())
}

pub(crate) fn check_policy(body: &str) -> Result<(), CloudError> {
    let statements = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|policy| policy.get("Statement").cloned());
    match statements {
        Some(serde_json::Value::Array(_)) => Ok(()),
        _ => Err(validation(
            "Error validating stack policy: a JSON object with a Statement array is required",
        )),
    }
}

/// Checks parameters against a template as CloudFormation does.
pub(crate) fn check_parameters(
    template: &FakeTemplate,
    given: &BTreeMap<String, Option<&String>>,
    live: Option<&Stack>,
) -> Result<BTreeMap<String, String>, CloudError> {
    let mut values = BTreeMap::new();
    for name in given.keys() {
        if !template.parameters.contains_key(name) {
            return Err(validation(format!(
                "Parameters: [{name}] do not exist in the template"
            )));
        }
    }
    for (name, declared) in &template.parameters {
        let value = match given.get(name) {
            Some(Some(value)) => (*value).clone(),
            Some(None) => match live.and_then(|s| s.parameters.get(name)) {
                Some(previous) => previous.clone(),
                None => {
                    return Err(validation(format!(
                        "Parameter {name} has UsePreviousValue but the stack has no previous value"
                    )));
                }
            },
            None => match &declared.default {
                Some(default) => default.clone(),
                None => {
                    return Err(validation(format!("Parameters: [{name}] must have values")));
                }
            },
        };
        values.insert(name.clone(), value);
    }
    Ok(values)
}

/// What each SSM-typed parameter's name resolves to in the account and region's Parameter Store, as
/// CloudFormation resolves them at every create and update (DescribeStacks' ResolvedValue); a name with no
/// parameter fails the operation, as on AWS.
pub(crate) fn resolve_ssm(
    ssm: &HashMap<(String, String, String), (String, String)>,
    (account, region): (&str, &str),
    template: &FakeTemplate,
    parameters: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, CloudError> {
    let mut resolved = BTreeMap::new();
    for (name, declared) in &template.parameters {
        let Some(ssm_name) = parameters
            .get(name)
            .filter(|_| declared.names_ssm_parameter())
        else {
            continue;
        };
        let Some((_, value)) =
            ssm.get(&(account.to_string(), region.to_string(), ssm_name.clone()))
        else {
            return Err(validation(format!(
                "Parameters [{ssm_name}] referenced by template have types not supported by CloudFormation or do not exist"
            )));
        };
        resolved.insert(name.clone(), value.clone());
    }
    Ok(resolved)
}
