//! What IAM must allow for each command, for the racks of one racks.toml: one table of every AWS operation
//! rackfile calls (`OPERATIONS`), its IAM action, the narrowest resource AWS lets a policy name for it, and
//! the commands that call it. `rackfile permissions` prints the policy built from it; the tests hold the
//! table to what the code calls (every call a command makes against moto must be in that command's policy).

use std::collections::BTreeSet;

use serde::Serialize;

use crate::config::{Config, Rack, Template};
use crate::template::S3Location;

/// The commands that talk to AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    Plan,
    Apply,
    Status,
    Events,
    Cancel,
    Import,
    Doctor,
    Drift,
}

use Command::{Apply, Cancel, Doctor, Drift, Events, Import, Plan, Status};

/// Which resources a policy may name for an operation, at the narrowest AWS allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The declared racks' stacks.
    RackStacks,
    /// The declared racks' stacks and, for a rack to uninstall, the stacks of its apps and resources
    /// (Convox names them `RACK-...`).
    RackAndAppStacks,
    /// The templates in S3 buckets other than Convox's public one (read signed; CloudFormation also reads a
    /// TemplateURL with the caller's credentials).
    TemplateObjects,
    /// The racks' `password_ssm` parameters.
    PasswordParameters,
    /// The racks' `password_ssm` parameters and AWS's public parameters, which templates' SSM-typed
    /// parameters name (Convox's `DefaultAmi`: `/aws/service/ecs/...`).
    PasswordAndPublicParameters,
    /// The racks' `[rollout] alarms`.
    Alarms,
    /// The EC2 quotas of the racks' accounts and regions.
    Ec2Quotas,
    /// For a rack to uninstall, the EventBridge rules CloudFormation made for its stacks (named
    /// `RACK-LOGICALID-...`): Convox's autoscaler rule.
    UninstallRules,
    /// For a rack to uninstall, the AutoScalingGroups CloudFormation made for its stacks and its apps'
    /// (named `RACK-...`).
    UninstallGroups,
    /// For a rack kept, its releases table (Convox names it `RACK-releases`).
    ReleasesTables,
    /// For a rack kept, its notification topic (Convox names it `RACK-notifications`).
    NotificationTopics,
    /// The racks' CloudFormation service roles (`role_arn`).
    ServiceRoles,
    /// The stacks of the racks whose `stack_policy` racks.toml manages.
    PolicyStacks,
    /// Every resource: AWS allows nothing narrower for this action.
    Any(&'static str),
    /// Every resource, as `Any`, and only when some rack's template is at a URL outside S3.
    AnyForTemplatesOutsideS3(&'static str),
}

/// One AWS operation rackfile calls.
struct Operation {
    /// The service as the AWS SDK names it (the `-v` call log's `Service.Operation`).
    service: &'static str,
    operation: &'static str,
    action: &'static str,
    scope: Scope,
    commands: &'static [Command],
}

const READERS: &[Command] = &[Plan, Apply, Doctor];

/// `drift`, and `plan --drift` / `apply --drift`.
const DRIFT_READERS: &[Command] = &[Plan, Apply, Drift];

/// Every AWS operation rackfile calls but STS GetCallerIdentity (which IAM always allows).
const OPERATIONS: &[Operation] = &[
    Operation {
        service: "CloudFormation",
        operation: "DescribeStacks",
        action: "cloudformation:DescribeStacks",
        scope: Scope::Any(
            "each region is read with one paginated DescribeStacks of every stack, which IAM allows only on *",
        ),
        commands: &[Plan, Apply, Status, Events, Cancel, Import, Doctor, Drift],
    },
    Operation {
        service: "CloudFormation",
        operation: "GetTemplate",
        action: "cloudformation:GetTemplate",
        scope: Scope::RackStacks,
        commands: READERS,
    },
    Operation {
        service: "CloudFormation",
        operation: "GetTemplate",
        action: "cloudformation:GetTemplate",
        scope: Scope::Any(
            "import reads the template of every stack that may be a rack, which no racks.toml names yet",
        ),
        commands: &[Import],
    },
    Operation {
        service: "CloudFormation",
        operation: "GetTemplateSummary",
        action: "cloudformation:GetTemplateSummary",
        scope: Scope::AnyForTemplatesOutsideS3(
            "a template at a URL outside S3 is read through GetTemplateSummary, which names no stack",
        ),
        commands: READERS,
    },
    Operation {
        service: "CloudFormation",
        operation: "ListImports",
        action: "cloudformation:ListImports",
        scope: Scope::Any("ListImports names an export, not a resource IAM can scope"),
        commands: READERS,
    },
    Operation {
        service: "CloudFormation",
        operation: "CreateStack",
        action: "cloudformation:CreateStack",
        scope: Scope::RackStacks,
        commands: &[Apply],
    },
    Operation {
        service: "CloudFormation",
        operation: "UpdateStack",
        action: "cloudformation:UpdateStack",
        scope: Scope::RackStacks,
        commands: &[Apply],
    },
    // `plan --changeset` and `apply --auto-approve=in-place`: CloudFormation's own view of each update, which
    // changes no stack until ExecuteChangeSet.
    Operation {
        service: "CloudFormation",
        operation: "CreateChangeSet",
        action: "cloudformation:CreateChangeSet",
        scope: Scope::RackStacks,
        commands: &[Plan, Apply],
    },
    Operation {
        service: "CloudFormation",
        operation: "DescribeChangeSet",
        action: "cloudformation:DescribeChangeSet",
        scope: Scope::RackStacks,
        commands: &[Plan, Apply],
    },
    Operation {
        service: "CloudFormation",
        operation: "ExecuteChangeSet",
        action: "cloudformation:ExecuteChangeSet",
        scope: Scope::RackStacks,
        commands: &[Apply],
    },
    Operation {
        service: "CloudFormation",
        operation: "DeleteChangeSet",
        action: "cloudformation:DeleteChangeSet",
        scope: Scope::RackStacks,
        commands: &[Plan, Apply],
    },
    Operation {
        service: "CloudFormation",
        operation: "DeleteStack",
        action: "cloudformation:DeleteStack",
        scope: Scope::RackAndAppStacks,
        commands: &[Apply],
    },
    Operation {
        service: "CloudFormation",
        operation: "CancelUpdateStack",
        action: "cloudformation:CancelUpdateStack",
        scope: Scope::RackStacks,
        commands: &[Apply, Cancel],
    },
    Operation {
        service: "CloudFormation",
        operation: "ContinueUpdateRollback",
        action: "cloudformation:ContinueUpdateRollback",
        scope: Scope::RackStacks,
        commands: &[Apply],
    },
    Operation {
        service: "CloudFormation",
        operation: "GetStackPolicy",
        action: "cloudformation:GetStackPolicy",
        scope: Scope::PolicyStacks,
        commands: READERS,
    },
    Operation {
        service: "CloudFormation",
        operation: "SetStackPolicy",
        action: "cloudformation:SetStackPolicy",
        scope: Scope::PolicyStacks,
        commands: &[Apply],
    },
    Operation {
        service: "IAM",
        operation: "GetRole",
        action: "iam:GetRole",
        scope: Scope::ServiceRoles,
        commands: &[Doctor],
    },
    Operation {
        service: "IAM",
        operation: "SimulatePrincipalPolicy",
        action: "iam:SimulatePrincipalPolicy",
        scope: Scope::Any(
            "doctor simulates the credentials' own user or role, known only when it runs (optional: without it doctor says it cannot tell)",
        ),
        commands: &[Doctor],
    },
    Operation {
        service: "CloudFormation",
        operation: "UpdateTerminationProtection",
        action: "cloudformation:UpdateTerminationProtection",
        scope: Scope::RackStacks,
        commands: &[Apply],
    },
    Operation {
        service: "CloudFormation",
        operation: "DescribeStackEvents",
        action: "cloudformation:DescribeStackEvents",
        scope: Scope::RackAndAppStacks,
        commands: &[Apply],
    },
    // DetectStackDrift reads each resource with the caller's own credentials: a role without a resource
    // type's Describe/Get/List actions gets that resource UNKNOWN, which `drift` names.
    Operation {
        service: "CloudFormation",
        operation: "DetectStackDrift",
        action: "cloudformation:DetectStackDrift",
        scope: Scope::RackStacks,
        commands: DRIFT_READERS,
    },
    Operation {
        service: "CloudFormation",
        operation: "DescribeStackDriftDetectionStatus",
        action: "cloudformation:DescribeStackDriftDetectionStatus",
        scope: Scope::Any(
            "DescribeStackDriftDetectionStatus names a detection id, not a stack IAM can scope",
        ),
        commands: DRIFT_READERS,
    },
    Operation {
        service: "CloudFormation",
        operation: "DescribeStackResourceDrifts",
        action: "cloudformation:DescribeStackResourceDrifts",
        scope: Scope::RackStacks,
        commands: DRIFT_READERS,
    },
    Operation {
        service: "CloudFormation",
        operation: "ListStackResources",
        action: "cloudformation:ListStackResources",
        scope: Scope::RackStacks,
        commands: DRIFT_READERS,
    },
    Operation {
        service: "CloudFormation",
        operation: "DescribeStackEvents",
        action: "cloudformation:DescribeStackEvents",
        // `status` reads the events of a rack being updated (is it converging?); `events` and `cancel`
        // those of the racks they name.
        scope: Scope::RackStacks,
        commands: &[Status, Events, Cancel],
    },
    Operation {
        service: "CloudFormation",
        operation: "ListStackResources",
        action: "cloudformation:ListStackResources",
        // The uninstall preparation finds the rack's groups and rules; `apply --recover --skip` checks that
        // each resource to skip has failed.
        scope: Scope::RackAndAppStacks,
        commands: &[Apply],
    },
    Operation {
        service: "EventBridge",
        operation: "DisableRule",
        action: "events:DisableRule",
        scope: Scope::UninstallRules,
        commands: &[Apply],
    },
    Operation {
        service: "Auto Scaling",
        operation: "DeleteAutoScalingGroup",
        action: "autoscaling:DeleteAutoScalingGroup",
        scope: Scope::UninstallGroups,
        commands: &[Apply],
    },
    Operation {
        service: "DynamoDB",
        operation: "PutItem",
        action: "dynamodb:PutItem",
        scope: Scope::ReleasesTables,
        commands: &[Apply],
    },
    Operation {
        service: "SNS",
        operation: "Publish",
        action: "sns:Publish",
        scope: Scope::NotificationTopics,
        commands: &[Apply],
    },
    Operation {
        service: "S3",
        operation: "GetObject",
        action: "s3:GetObject",
        scope: Scope::TemplateObjects,
        commands: READERS,
    },
    Operation {
        service: "SSM",
        operation: "GetParameter",
        action: "ssm:GetParameter",
        scope: Scope::PasswordAndPublicParameters,
        commands: READERS,
    },
    Operation {
        service: "SSM",
        operation: "PutParameter",
        action: "ssm:PutParameter",
        scope: Scope::PasswordParameters,
        commands: &[Apply],
    },
    Operation {
        service: "CloudWatch",
        operation: "DescribeAlarms",
        action: "cloudwatch:DescribeAlarms",
        scope: Scope::Alarms,
        commands: READERS,
    },
    Operation {
        service: "EC2",
        operation: "DescribeAvailabilityZones",
        action: "ec2:DescribeAvailabilityZones",
        scope: Scope::Any("EC2's Describe actions allow no resource-level permissions"),
        commands: READERS,
    },
    Operation {
        service: "EC2",
        operation: "DescribeInstanceTypeOfferings",
        action: "ec2:DescribeInstanceTypeOfferings",
        scope: Scope::Any("EC2's Describe actions allow no resource-level permissions"),
        commands: READERS,
    },
    Operation {
        service: "EC2",
        operation: "DescribeInstanceTypes",
        action: "ec2:DescribeInstanceTypes",
        scope: Scope::Any("EC2's Describe actions allow no resource-level permissions"),
        commands: READERS,
    },
    Operation {
        service: "Service Quotas",
        operation: "GetServiceQuota",
        action: "servicequotas:GetServiceQuota",
        scope: Scope::Ec2Quotas,
        commands: READERS,
    },
];

/// Actions IAM checks on what a call passes rather than on a call of their own: CloudFormation's writes
/// with a RoleARN need iam:PassRole on that role (action, scope, commands).
const PASSED: &[(&str, Scope, &[Command])] = &[("iam:PassRole", Scope::ServiceRoles, &[Apply])];

/// Operations IAM allows to everyone: called, but never in a policy.
const ALWAYS_ALLOWED: &[(&str, &str)] = &[("STS", "GetCallerIdentity")];

/// The IAM action of an operation as the SDK names it (`CloudFormation`, `DescribeStacks`), if rackfile's
/// table knows it; `Some(None)` for an operation IAM always allows.
pub fn action_of(service: &str, operation: &str) -> Option<Option<&'static str>> {
    if ALWAYS_ALLOWED.contains(&(service, operation)) {
        return Some(None);
    }
    OPERATIONS
        .iter()
        .find(|o| o.service == service && o.operation == operation)
        .map(|o| Some(o.action))
}

/// One statement of a policy: actions allowed on resources, and why `*` where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub actions: Vec<&'static str>,
    pub resources: Vec<String>,
    /// Why the resource is `*`: AWS allows nothing narrower.
    pub why_any: Option<&'static str>,
}

/// What a command needs for the racks of a racks.toml.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub command: Command,
    pub statements: Vec<Statement>,
    /// The racks (`org/name`) that pass a CloudFormation service role, and those that do not: with one,
    /// CloudFormation changes the rack's resources with that role, not with these credentials.
    pub with_service_role: Vec<String>,
    pub without_service_role: Vec<String>,
}

impl Policy {
    pub fn allows(&self, action: &str) -> bool {
        self.statements
            .iter()
            .any(|statement| statement.actions.contains(&action))
    }

    /// The IAM policy document, as `aws iam put-role-policy` takes it.
    pub fn document(&self) -> serde_json::Value {
        let statements: Vec<serde_json::Value> = self
            .statements
            .iter()
            .enumerate()
            .map(|(index, statement)| {
                serde_json::json!({
                    "Sid": format!("Rackfile{}{}", command_word(self.command), index + 1),
                    "Effect": "Allow",
                    "Action": statement.actions,
                    "Resource": statement.resources,
                })
            })
            .collect();
        serde_json::json!({"Version": "2012-10-17", "Statement": statements})
    }
}

fn command_word(command: Command) -> &'static str {
    match command {
        Plan => "Plan",
        Apply => "Apply",
        Status => "Status",
        Events => "Events",
        Cancel => "Cancel",
        Import => "Import",
        Doctor => "Doctor",
        Drift => "Drift",
    }
}

/// The policy `command` needs for the racks of `config`: each operation it calls, on the narrowest
/// resources, operations on the same resources in one statement. An operation whose resources are none
/// (no alarms, no private template, no `password_ssm`) is left out: the command never calls it.
pub fn policy(config: &Config, command: Command) -> Policy {
    let mut statements: Vec<Statement> = Vec::new();
    let actions = OPERATIONS
        .iter()
        .map(|o| (o.action, o.scope, o.commands))
        .chain(PASSED.iter().copied());
    for (action, scope, _) in actions.filter(|(_, _, commands)| commands.contains(&command)) {
        let (resources, why_any) = match scope {
            Scope::Any(why) => (vec!["*".to_string()], Some(why)),
            Scope::AnyForTemplatesOutsideS3(why) => {
                let outside_s3 = config.racks.iter().any(|rack| match &rack.template {
                    Template::Url { url, .. } => S3Location::parse(url).is_none(),
                    Template::File { .. } => false,
                });
                (
                    outside_s3.then(|| "*".to_string()).into_iter().collect(),
                    Some(why),
                )
            }
            scope => (resources(config, scope), None),
        };
        if resources.is_empty() {
            continue;
        }
        match statements
            .iter_mut()
            .find(|s| s.resources == resources && s.why_any == why_any)
        {
            Some(statement) => statement.actions.push(action),
            None => statements.push(Statement {
                actions: vec![action],
                resources,
                why_any,
            }),
        }
    }
    let (with, without): (Vec<&Rack>, Vec<&Rack>) = config
        .racks
        .iter()
        .partition(|rack| rack.role_arn.is_some());
    Policy {
        command,
        statements,
        with_service_role: with.iter().map(|rack| rack.id()).collect(),
        without_service_role: without.iter().map(|rack| rack.id()).collect(),
    }
}

/// The resources of a scope for every declared rack, sorted and each once.
fn resources(config: &Config, scope: Scope) -> Vec<String> {
    let mut found = BTreeSet::new();
    for rack in &config.racks {
        let account = config
            .orgs
            .get(&rack.org)
            .and_then(|org| org.account_id.as_deref())
            .unwrap_or("*");
        let stack = |name: &str| {
            format!(
                "arn:aws:cloudformation:{}:{account}:stack/{name}/*",
                rack.region
            )
        };
        match scope {
            Scope::RackStacks => {
                found.insert(stack(&rack.name));
            }
            Scope::RackAndAppStacks => {
                found.insert(stack(&rack.name));
                if rack.absent {
                    found.insert(stack(&format!("{}-*", rack.name)));
                }
            }
            Scope::TemplateObjects => {
                if let Some(object) = private_template_object(rack) {
                    found.insert(format!("arn:aws:s3:::{}/{}", object.bucket, object.key));
                }
            }
            Scope::PasswordParameters | Scope::PasswordAndPublicParameters => {
                if let Some(name) = &rack.password_ssm {
                    found.insert(format!(
                        "arn:aws:ssm:{}:{account}:parameter/{}",
                        rack.region,
                        name.trim_start_matches('/')
                    ));
                }
                if scope == Scope::PasswordAndPublicParameters {
                    found.insert(format!(
                        "arn:aws:ssm:{}::parameter/aws/service/*",
                        rack.region
                    ));
                }
            }
            Scope::Alarms => {
                for alarm in &rack.alarms {
                    found.insert(format!(
                        "arn:aws:cloudwatch:{}:{account}:alarm:{alarm}",
                        rack.region
                    ));
                }
            }
            Scope::Ec2Quotas => {
                found.insert(format!(
                    "arn:aws:servicequotas:{}:{account}:ec2/*",
                    rack.region
                ));
            }
            Scope::UninstallRules if rack.absent => {
                found.insert(format!(
                    "arn:aws:events:{}:{account}:rule/{}-*",
                    rack.region, rack.name
                ));
            }
            Scope::UninstallGroups if rack.absent => {
                found.insert(format!(
                    "arn:aws:autoscaling:{}:{account}:autoScalingGroup:*:autoScalingGroupName/{}-*",
                    rack.region, rack.name
                ));
            }
            Scope::ReleasesTables if !rack.absent => {
                found.insert(format!(
                    "arn:aws:dynamodb:{}:{account}:table/{}-releases",
                    rack.region, rack.name
                ));
            }
            Scope::NotificationTopics if !rack.absent => {
                found.insert(format!(
                    "arn:aws:sns:{}:{account}:{}-notifications",
                    rack.region, rack.name
                ));
            }
            Scope::UninstallRules
            | Scope::UninstallGroups
            | Scope::ReleasesTables
            | Scope::NotificationTopics => {}
            Scope::ServiceRoles => found.extend(rack.role_arn.clone()),
            Scope::PolicyStacks => {
                if rack.stack_policy.is_some() && !rack.absent {
                    found.insert(stack(&rack.name));
                }
            }
            Scope::Any(_) | Scope::AnyForTemplatesOutsideS3(_) => {}
        }
    }
    found.into_iter().collect()
}

/// The S3 object of a rack's template when it is read with the org's credentials (Convox's public bucket
/// is read unsigned and needs no permission).
fn private_template_object(rack: &Rack) -> Option<S3Location> {
    match &rack.template {
        Template::Url { url, .. } => {
            S3Location::parse(url).filter(|location| !location.is_public_convox_release())
        }
        Template::File { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("racks.toml");
        std::fs::write(&path, text).unwrap();
        crate::config::load(&path).unwrap()
    }

    const RACKS: &str = r#"
[defaults]
org = "personal"
region = "us-east-1"
version = "20161102160040"

[org.personal]
account_id = "123456789012"

[org.loose]

[[rack]]
name = "web"
password_ssm = "/racks/{org}/{name}/password"
template_url = "https://my-templates.s3.amazonaws.com/rack.json"

[[rack]]
org = "loose"
name = "old"
region = "eu-west-1"
ensure = "absent"

[rollout]
alarms = ["rack-{name}-5xx"]
"#;

    #[test]
    fn each_command_gets_its_operations_on_the_racks_own_resources() {
        let config = config(RACKS);
        let status = policy(&config, Status);
        let stacks = vec![
            "arn:aws:cloudformation:eu-west-1:*:stack/old/*".to_string(),
            "arn:aws:cloudformation:us-east-1:123456789012:stack/web/*".to_string(),
        ];
        assert_eq!(
            status.statements,
            vec![
                Statement {
                    actions: vec!["cloudformation:DescribeStacks"],
                    resources: vec!["*".into()],
                    why_any: Some(
                        "each region is read with one paginated DescribeStacks of every stack, which IAM allows only on *"
                    ),
                },
                Statement {
                    actions: vec!["cloudformation:DescribeStackEvents"],
                    resources: stacks.clone(),
                    why_any: None,
                }
            ]
        );
        let cancel = policy(&config, Cancel);
        assert_eq!(cancel.statements.len(), 2);
        assert_eq!(
            cancel.statements[1].actions,
            [
                "cloudformation:CancelUpdateStack",
                "cloudformation:DescribeStackEvents"
            ]
        );
        assert_eq!(cancel.statements[1].resources, stacks);
        assert!(!policy(&config, Events).allows("cloudformation:CancelUpdateStack"));
        let apply = policy(&config, Apply);
        let on = |action: &str| -> Vec<String> {
            apply
                .statements
                .iter()
                .find(|s| s.actions.contains(&action))
                .unwrap_or_else(|| panic!("{action} not allowed"))
                .resources
                .clone()
        };
        assert_eq!(
            on("cloudformation:UpdateStack"),
            [
                "arn:aws:cloudformation:eu-west-1:*:stack/old/*",
                "arn:aws:cloudformation:us-east-1:123456789012:stack/web/*",
            ]
        );
        assert_eq!(
            on("cloudformation:DeleteStack"),
            [
                "arn:aws:cloudformation:eu-west-1:*:stack/old-*/*",
                "arn:aws:cloudformation:eu-west-1:*:stack/old/*",
                "arn:aws:cloudformation:us-east-1:123456789012:stack/web/*",
            ]
        );
        assert_eq!(
            on("ssm:PutParameter"),
            ["arn:aws:ssm:us-east-1:123456789012:parameter/racks/personal/web/password"]
        );
        assert_eq!(on("s3:GetObject"), ["arn:aws:s3:::my-templates/rack.json"]);
        // What Convox does around an uninstall, for the rack to uninstall only; its release records, for
        // the rack kept only.
        assert_eq!(
            on("events:DisableRule"),
            ["arn:aws:events:eu-west-1:*:rule/old-*"]
        );
        assert_eq!(
            on("autoscaling:DeleteAutoScalingGroup"),
            ["arn:aws:autoscaling:eu-west-1:*:autoScalingGroup:*:autoScalingGroupName/old-*"]
        );
        assert_eq!(
            on("dynamodb:PutItem"),
            ["arn:aws:dynamodb:us-east-1:123456789012:table/web-releases"]
        );
        assert_eq!(
            on("sns:Publish"),
            ["arn:aws:sns:us-east-1:123456789012:web-notifications"]
        );
        assert_eq!(
            on("cloudwatch:DescribeAlarms"),
            [
                "arn:aws:cloudwatch:eu-west-1:*:alarm:rack-old-5xx",
                "arn:aws:cloudwatch:us-east-1:123456789012:alarm:rack-web-5xx",
            ]
        );
        // GetTemplateSummary is left out: no template is at a URL outside S3.
        assert!(!apply.allows("cloudformation:GetTemplateSummary"));
        assert_eq!(
            apply
                .statements
                .iter()
                .map(|s| s.actions.len())
                .sum::<usize>(),
            31,
            "18, the 5 of Convox's uninstall preparation and release records, the 3 more of apply --drift, the change sets of in-place approval (Create, Describe, Execute, Delete), and ListStackResources a second time: on the rack stacks for drift, on the rack's and its apps' stacks for the uninstall"
        );
        assert_eq!(
            policy(&config, Plan)
                .statements
                .iter()
                .map(|s| s.actions.len())
                .sum::<usize>(),
            17,
            "10, the 4 drift actions of plan --drift, and plan --changeset's CreateChangeSet, DescribeChangeSet and DeleteChangeSet"
        );
        assert!(!policy(&config, Plan).allows("cloudformation:UpdateStack"));
        assert!(!policy(&config, Plan).allows("cloudformation:ExecuteChangeSet"));
        let drift = policy(&config, Drift);
        assert!(!drift.allows("cloudformation:UpdateStack"));
        assert!(!drift.allows("cloudformation:GetTemplate"));
        assert!(drift.allows("cloudformation:DescribeStacks"));
        assert_eq!(
            drift
                .statements
                .iter()
                .find(|s| s.actions.contains(&"cloudformation:DetectStackDrift"))
                .map(|s| s.resources.clone())
                .unwrap_or_default(),
            [
                "arn:aws:cloudformation:eu-west-1:*:stack/old/*",
                "arn:aws:cloudformation:us-east-1:123456789012:stack/web/*",
            ]
        );
        // Every `*` says why.
        for command in [Plan, Apply, Status, Events, Cancel, Import, Doctor, Drift] {
            for statement in policy(&config, command).statements {
                assert_eq!(
                    statement.resources == ["*"],
                    statement.why_any.is_some(),
                    "{statement:?}"
                );
            }
        }
    }

    #[test]
    fn what_a_config_never_calls_is_left_out() {
        let config = config(
            "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n[org.personal]\n\
             [[rack]]\nname = \"web\"\n",
        );
        let plan = policy(&config, Plan);
        assert!(
            !plan.allows("s3:GetObject"),
            "Convox's bucket is read unsigned"
        );
        assert!(!plan.allows("cloudwatch:DescribeAlarms"), "no alarms");
        assert!(
            plan.allows("ssm:GetParameter"),
            "SSM-typed template parameters"
        );
        let document = plan.document();
        assert_eq!(document["Version"], "2012-10-17");
        assert_eq!(document["Statement"][0]["Effect"], "Allow");
        assert_eq!(document["Statement"][0]["Sid"], "RackfilePlan1");
    }

    #[test]
    fn apply_may_pass_each_racks_service_role_and_says_which_racks_have_one() {
        let config = config(&format!(
            "{RACKS}\n[[rack]]\nname = \"api\"\nrole_arn = \"arn:aws:iam::123456789012:role/cfn\"\n\
             [[rack]]\nname = \"jobs\"\nrole_arn = \"arn:aws:iam::123456789012:role/cfn\"\n"
        ));
        let apply = policy(&config, Apply);
        let pass = apply
            .statements
            .iter()
            .find(|s| s.actions.contains(&"iam:PassRole"))
            .expect("iam:PassRole allowed");
        assert_eq!(pass.resources, ["arn:aws:iam::123456789012:role/cfn"]);
        assert_eq!(apply.with_service_role, ["personal/api", "personal/jobs"]);
        assert_eq!(apply.without_service_role, ["personal/web", "loose/old"]);
        assert!(!policy(&config, Plan).allows("iam:PassRole"));
        assert!(!policy(&self::config(RACKS), Apply).allows("iam:PassRole"));

        let text = crate::render::permissions::permissions(&apply, "apply", "racks.toml");
        assert!(
            text.contains("With its CloudFormation service role (role_arn), CloudFormation creates and changes the resources of personal/api, personal/jobs with that role"),
            "{text}"
        );
        assert!(
            text.contains(
                "Without a CloudFormation service role (personal/web, loose/old), CloudFormation"
            ),
            "{text}"
        );
    }

    #[test]
    fn the_sdk_names_of_an_operation_find_its_action() {
        assert_eq!(
            action_of("CloudFormation", "UpdateStack"),
            Some(Some("cloudformation:UpdateStack"))
        );
        assert_eq!(action_of("STS", "GetCallerIdentity"), Some(None));
        assert_eq!(action_of("Lambda", "Invoke"), None);
    }
}
