//! The stack options of a rack planned like settings: the service role, the notification topics, the
//! stack policy and the rollback triggers. Each is sent with every CreateStack and UpdateStack of the rack
//! (the policy on a live stack by SetStackPolicy), so a difference from the live stack is a change that
//! reaches no resource. Unset in racks.toml, an option is not managed and the live one stays.

use serde_json::{Value, json};

use crate::cloud::{CloudError, RollbackConfiguration, Stack, StackKey};
use crate::config::{CONVOX_STATEFUL, Rack, StackPolicy};
use crate::live::LiveState;
use crate::plan::checks::PlanProblem;
use crate::plan::{Change, ChangeKind, PlannedOptions, PlannedStackPolicy};

use super::templates::planned_document;

/// The resource types "convox-stateful" protects: what holds a rack's data, which a replacement or a
/// deletion would lose.
const STATEFUL_TYPES: [&str; 4] = [
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::EFS::FileSystem",
    "AWS::Logs::LogGroup",
];

/// The options racks.toml manages for `rack` in `account`, as CreateStack and UpdateStack send them.
pub(super) fn planned_options(
    rack: &Rack,
    account: &str,
    live: &LiveState,
) -> Result<PlannedOptions, Vec<PlanProblem>> {
    let stack_policy = match &rack.stack_policy {
        None => None,
        Some(StackPolicy::File { path, body }) => Some(PlannedStackPolicy {
            source: path.display().to_string(),
            protects: describe_policy(body),
            body: body.clone(),
        }),
        Some(StackPolicy::ConvoxStateful) => {
            // The planned template is unknown only when read through GetTemplateSummary.
            let document = planned_document(rack, live).map_err(|_| {
                vec![PlanProblem {
                    rack: rack.id(),
                    message: format!(
                        "stack_policy = \"{CONVOX_STATEFUL}\" is decided from the template's resources, and {} is read through GetTemplateSummary, which does not return its resources",
                        rack.template.describe()
                    ),
                    hint: Some("give the stack policy as a JSON file instead".into()),
                    span: None,
                }]
            })?;
            let body = convox_stateful(&document);
            Some(PlannedStackPolicy {
                source: CONVOX_STATEFUL.into(),
                protects: describe_policy(&body),
                body,
            })
        }
    };
    Ok(PlannedOptions {
        notification_arns: rack.notification_arns.clone(),
        stack_policy,
        rollback: rack.rollback_minutes.map(|minutes| RollbackConfiguration {
            alarm_arns: rack
                .alarms
                .iter()
                .map(|name| format!("arn:aws:cloudwatch:{}:{account}:alarm:{name}", rack.region))
                .collect(),
            monitoring_minutes: minutes,
        }),
    })
}

/// The built-in policy: every update allowed but a replacement or deletion of the template's stateful
/// resources (a stack policy denies everything it does not allow).
fn convox_stateful(document: &Value) -> String {
    let mut stateful: Vec<String> = document
        .get("Resources")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, resource)| {
            resource
                .get("Type")
                .and_then(Value::as_str)
                .is_some_and(|kind| STATEFUL_TYPES.contains(&kind))
        })
        .map(|(id, _)| format!("LogicalResourceId/{id}"))
        .collect();
    stateful.sort();
    let mut statements = vec![json!({
        "Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"
    })];
    if !stateful.is_empty() {
        statements.push(json!({
            "Effect": "Deny",
            "Action": ["Update:Replace", "Update:Delete"],
            "Principal": "*",
            "Resource": stateful,
        }));
    }
    serde_json::to_string(&json!({ "Statement": statements })).expect("a JSON value serialises")
}

/// A stack policy by what it protects: the actions each Deny statement denies and on what, e.g. "denies
/// Update:Replace, Update:Delete on Bucket, Table".
pub fn describe_policy(body: &str) -> String {
    let Ok(policy) = serde_json::from_str::<Value>(body) else {
        return "a policy that is not JSON".into();
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
    let denials: Vec<String> = policy
        .get("Statement")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|statement| statement.get("Effect").and_then(Value::as_str) == Some("Deny"))
        .map(|statement| {
            let resources: Vec<String> = strings(statement.get("Resource"))
                .iter()
                .map(|resource| {
                    resource
                        .strip_prefix("LogicalResourceId/")
                        .unwrap_or(resource)
                        .to_string()
                })
                .collect();
            let resources = if resources.is_empty() {
                strings(statement.get("NotResource"))
                    .first()
                    .map(|_| "resources but some".to_string())
                    .unwrap_or_else(|| "(no resource)".into())
            } else {
                resources.join(", ")
            };
            format!(
                "denies {} on {resources}",
                strings(statement.get("Action")).join(", ")
            )
        })
        .collect();
    if denials.is_empty() {
        "denies nothing".into()
    } else {
        denials.join("; ")
    }
}

fn change(kind: ChangeKind, name: &str, before: String, after: String) -> Change {
    Change::new(kind, name, Some(before), Some(after))
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".into()
    } else {
        items.join(", ")
    }
}

/// Rollback triggers in words: the alarms by name, and the monitoring time.
pub fn describe_rollback(rollback: Option<&RollbackConfiguration>) -> String {
    match rollback {
        None => "(none)".into(),
        Some(rollback) => {
            let names: Vec<String> = rollback
                .alarm_arns
                .iter()
                .map(|arn| arn.rsplit(":alarm:").next().unwrap_or(arn).to_string())
                .collect();
            format!(
                "alarms {}, monitored {}m after",
                list_or_none(&names),
                rollback.monitoring_minutes
            )
        }
    }
}

/// How the managed options differ from the live stack's. The stack policy is compared as JSON, so a
/// reformatted file is no change.
pub(super) fn option_changes(
    rack: &Rack,
    planned: &PlannedOptions,
    stack: &Stack,
    key: &StackKey,
    live: &LiveState,
) -> Result<Vec<Change>, Vec<PlanProblem>> {
    let mut changes = Vec::new();
    if let Some(wanted) = &planned.notification_arns {
        let mut sorted_wanted = wanted.clone();
        sorted_wanted.sort();
        let mut sorted_live = stack.notification_arns.clone();
        sorted_live.sort();
        if sorted_wanted != sorted_live {
            changes.push(change(
                ChangeKind::NotificationArns,
                "notification_arns",
                list_or_none(&stack.notification_arns),
                list_or_none(wanted),
            ));
        }
    }
    if let Some(wanted) = &planned.stack_policy {
        let live_policy = match live.stack_policy(key) {
            Some(Ok(policy)) => policy.clone(),
            Some(Err(error)) => return Err(vec![unreadable_policy(rack, error)]),
            None => {
                return Err(vec![unreadable_policy(
                    rack,
                    &CloudError::new(crate::cloud::CloudErrorKind::Other, "it was not read"),
                )]);
            }
        };
        let as_json = |body: &str| serde_json::from_str::<Value>(body).ok();
        let same = live_policy
            .as_deref()
            .is_some_and(|live| as_json(live).is_some() && as_json(live) == as_json(&wanted.body));
        if !same {
            changes.push(change(
                ChangeKind::StackPolicy,
                "stack_policy",
                live_policy
                    .as_deref()
                    .map_or_else(|| "(none)".into(), describe_policy),
                wanted.protects.clone(),
            ));
        }
    }
    if let Some(wanted) = &planned.rollback {
        let sorted = |rollback: &RollbackConfiguration| {
            let mut arns = rollback.alarm_arns.clone();
            arns.sort();
            (arns, rollback.monitoring_minutes)
        };
        if stack.rollback.as_ref().map(sorted) != Some(sorted(wanted)) {
            changes.push(change(
                ChangeKind::Rollback,
                "rollback triggers",
                describe_rollback(stack.rollback.as_ref()),
                describe_rollback(Some(wanted)),
            ));
        }
    }
    Ok(changes)
}

fn unreadable_policy(rack: &Rack, error: &CloudError) -> PlanProblem {
    PlanProblem {
        rack: rack.id(),
        message: format!("cannot read the stack's policy (GetStackPolicy): {error}"),
        hint: error.hint().map(str::to_string),
        span: None,
    }
}

/// The service role (`role_arn`): an update without RoleARN keeps the stack's, so only a declared role
/// that differs from the live one is a change.
pub(super) fn role_change(declared: Option<&String>, stack: &Stack) -> Option<Change> {
    let wanted = declared?;
    (stack.role_arn.as_ref() != Some(wanted)).then(|| {
        Change::new(
            ChangeKind::Role,
            "role",
            stack.role_arn.clone(),
            Some(wanted.clone()),
        )
    })
}

/// The service role (`role_arn`) planned like a setting: shown at install, a change of the live stack's
/// role an in-place update, an unset one never managed.
#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::cloud::RollbackConfiguration;
    use crate::config::StackPolicy;
    use serde_json::{Value, json};

    const A: &str = "arn:aws:iam::123456789012:role/cfn-a";
    const B: &str = "arn:aws:iam::123456789012:role/cfn-b";

    fn with_role(role: &str) -> Rack {
        let mut rack = rack();
        rack.role_arn = Some(role.into());
        rack
    }

    fn live_with_role(role: Option<&str>) -> Stack {
        let mut stack = stack("UPDATE_COMPLETE");
        stack.role_arn = role.map(str::to_string);
        stack
    }

    /// The Markdown plan breaks every `:` with a zero-width space so that GitHub links no ARN.
    fn unlinked(text: &str) -> String {
        text.replace(':', ":&#8203;")
    }

    #[test]
    fn an_install_passes_the_role_and_every_view_shows_it() {
        let plan = plan_of(with_role(A), vec![]).unwrap();
        assert!(matches!(plan.racks[0].action, Action::Install(_)));
        assert_eq!(plan.racks[0].role_arn.as_deref(), Some(A));
        let human = crate::render::human_plan(&plan, crate::render::Style::Plain);
        assert!(human.contains(&format!("    role: {A}\n")), "{human}");
        let json = serde_json::to_string(&plan).unwrap();
        assert!(json.contains(&format!(r#""role_arn":"{A}""#)), "{json}");
        let markdown = crate::render::markdown_plan(&plan);
        assert!(
            markdown.contains(&format!("new rack, role {}", unlinked(A))),
            "{markdown}"
        );

        let without = plan_of(rack(), vec![]).unwrap();
        assert_eq!(without.racks[0].role_arn, None);
        let json = serde_json::to_string(&without).unwrap();
        assert!(!json.contains("role_arn"), "{json}");
    }

    #[test]
    fn another_role_than_the_live_one_is_an_update_in_place_shown_in_every_view() {
        for live in [Some(A), None] {
            let plan = plan_of(with_role(B), vec![live_with_role(live)]).unwrap();
            let rack = &plan.racks[0];
            let Action::Update(update) = &rack.action else {
                panic!("an update, not {:?}", rack.action);
            };
            assert_eq!(update.changes.len(), 1, "{:?}", update.changes);
            let change = &update.changes[0];
            assert_eq!(
                (
                    change.kind,
                    change.before.as_deref(),
                    change.after.as_deref()
                ),
                (ChangeKind::Role, live, Some(B))
            );
            assert!(
                update.changes_the_stack(),
                "UpdateStack passes the new role"
            );
            assert!(rack.hold.is_empty(), "{:?}", rack.hold);
            assert!(rack.disruptions.is_empty(), "{:?}", rack.disruptions);
            assert_eq!(rack.role_arn.as_deref(), Some(B));
            let human = crate::render::human_plan(&plan, crate::render::Style::Plain);
            let before = live.unwrap_or("(none)");
            assert!(
                human.contains(&format!("role: {before} -> {B}\n")),
                "{human}"
            );
            let markdown = crate::render::markdown_plan(&plan);
            assert!(
                markdown.contains(&format!("role: {} → {}", unlinked(before), unlinked(B))),
                "{markdown}"
            );
        }
    }

    #[test]
    fn the_same_role_or_none_in_racks_toml_leaves_the_live_role_alone() {
        assert_eq!(
            only_action(with_role(A), vec![live_with_role(Some(A))]),
            Action::Unchanged
        );
        assert_eq!(
            only_action(rack(), vec![live_with_role(Some(A))]),
            Action::Unchanged
        );
        let mut count = rack();
        count.instance_count = Some(5);
        let Action::Update(update) = only_action(count, vec![live_with_role(Some(A))]) else {
            panic!("an update");
        };
        assert!(
            update.changes.iter().all(|c| c.kind != ChangeKind::Role),
            "{:?}",
            update.changes
        );
    }

    /// A rack template with one of each stateful resource and an instance group that is not one.
    const STATEFUL_TEMPLATE: &str = r#"{"Resources": {
        "Settings": {"Type": "AWS::S3::Bucket"},
        "Builds": {"Type": "AWS::DynamoDB::Table"},
        "Volumes": {"Type": "AWS::EFS::FileSystem"},
        "LogGroup": {"Type": "AWS::Logs::LogGroup"},
        "Instances": {"Type": "AWS::AutoScaling::AutoScalingGroup"}
    }}"#;
    const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:racks";

    fn with_options(rack: &mut Rack) {
        rack.notification_arns = Some(vec![TOPIC.into()]);
        rack.stack_policy = Some(StackPolicy::ConvoxStateful);
        rack.alarms = vec!["rack-example-5xx".into()];
        rack.rollback_minutes = Some(10);
    }

    /// The facts of `rack` with `stacks`, its template's resources known, and the live policy.
    fn plan_with(rack: Rack, stacks: Vec<Stack>, policy: Option<&str>) -> Plan {
        let mut state = live(stacks, &rack);
        state.record_template_document(
            template_source(&rack.template),
            Arc::new(serde_json::from_str(STATEFUL_TEMPLATE).unwrap()),
        );
        state.record_stack_policy(
            StackKey::new(ACCOUNT, "us-east-1", "example"),
            Ok(policy.map(str::to_string)),
        );
        diff(&config(), &state.build(&[rack]), false).unwrap()
    }

    const PROTECTS: &str =
        "denies Update:Replace, Update:Delete on Builds, LogGroup, Settings, Volumes";

    #[test]
    fn an_install_sends_every_option_and_shows_the_policy_by_what_it_protects() {
        let mut rack = rack();
        with_options(&mut rack);
        let plan = plan_with(rack, vec![], None);
        let planned = &plan.racks[0];
        assert!(matches!(planned.action, Action::Install(_)));
        let sent = planned.options.request();
        assert_eq!(sent.notification_arns, Some(vec![TOPIC.to_string()]));
        assert_eq!(
            sent.rollback,
            Some(RollbackConfiguration {
                alarm_arns: vec![format!(
                    "arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:rack-example-5xx"
                )],
                monitoring_minutes: 10,
            })
        );
        let policy: Value = serde_json::from_str(&sent.stack_policy_body.unwrap()).unwrap();
        assert_eq!(
            policy["Statement"][1]["Resource"],
            json!([
                "LogicalResourceId/Builds",
                "LogicalResourceId/LogGroup",
                "LogicalResourceId/Settings",
                "LogicalResourceId/Volumes"
            ]),
            "the instances are not stateful: {policy}"
        );
        assert_eq!(policy["Statement"][0]["Action"], "Update:*");
        let human = crate::render::human_plan(&plan, crate::render::Style::Plain);
        assert!(
            human.contains(&format!("    stack policy (convox-stateful): {PROTECTS}\n")),
            "{human}"
        );
        assert!(!human.contains("LogicalResourceId"), "no raw JSON: {human}");
        assert!(
            human.contains(&format!("    notification topics: {TOPIC}\n")),
            "{human}"
        );
        assert!(
            human.contains("    rollback triggers: alarms rack-example-5xx, monitored 10m after\n"),
            "{human}"
        );
        // A saved plan keeps them.
        let saved: Plan = serde_json::from_str(&serde_json::to_string(&plan).unwrap()).unwrap();
        assert_eq!(saved.racks[0].options, plan.racks[0].options);
    }

    #[test]
    fn options_that_differ_from_the_live_stack_are_an_update_in_place_and_equal_ones_are_not() {
        let mut rack = rack();
        with_options(&mut rack);
        let planned = plan_with(rack.clone(), vec![], None).racks[0]
            .options
            .clone();
        // Live as the install left it: nothing to do, the policy compared as JSON whatever its layout.
        let mut installed = stack("UPDATE_COMPLETE");
        installed.notification_arns = vec![TOPIC.into()];
        installed.rollback = planned.rollback.clone();
        let live_policy: Value =
            serde_json::from_str(&planned.stack_policy.as_ref().unwrap().body).unwrap();
        let compact = serde_json::to_string(&live_policy).unwrap();
        let plan = plan_with(rack.clone(), vec![installed.clone()], Some(&compact));
        assert_eq!(plan.racks[0].action, Action::Unchanged);

        // Live with none of them.
        let plan = plan_with(rack.clone(), vec![stack("UPDATE_COMPLETE")], None);
        let Action::Update(update) = &plan.racks[0].action else {
            panic!("an update, not {:?}", plan.racks[0].action);
        };
        let seen: Vec<_> = update
            .changes
            .iter()
            .map(|c| (c.kind, c.before.as_deref(), c.after.as_deref()))
            .collect();
        assert_eq!(
            seen,
            [
                (ChangeKind::NotificationArns, Some("(none)"), Some(TOPIC)),
                (ChangeKind::StackPolicy, Some("(none)"), Some(PROTECTS)),
                (
                    ChangeKind::Rollback,
                    Some("(none)"),
                    Some("alarms rack-example-5xx, monitored 10m after")
                ),
            ]
        );
        assert!(plan.racks[0].hold.is_empty(), "{:?}", plan.racks[0].hold);
        assert!(update.changes_the_stack());

        // Only the policy differs: SetStackPolicy, no UpdateStack.
        let plan = plan_with(
            rack.clone(),
            vec![installed.clone()],
            Some(
                r#"{"Statement": [{"Effect": "Deny", "Action": "Update:*", "Principal": "*", "Resource": "LogicalResourceId/Settings"}]}"#,
            ),
        );
        let Action::Update(update) = &plan.racks[0].action else {
            panic!("an update, not {:?}", plan.racks[0].action);
        };
        assert_eq!(update.changes.len(), 1, "{:?}", update.changes);
        assert_eq!(
            update.changes[0].before.as_deref(),
            Some("denies Update:* on Settings")
        );
        assert!(
            !update.changes_the_stack(),
            "a policy alone is no UpdateStack"
        );

        // Unmanaged options leave the live ones be.
        let mut unmanaged = rack.clone();
        unmanaged.notification_arns = None;
        unmanaged.stack_policy = None;
        unmanaged.rollback_minutes = None;
        let plan = plan_with(unmanaged, vec![installed], None);
        assert_eq!(plan.racks[0].action, Action::Unchanged);
    }

    #[test]
    fn an_unreadable_live_policy_is_a_problem_not_a_guess() {
        let mut rack = rack();
        rack.stack_policy = Some(StackPolicy::ConvoxStateful);
        let mut state = live(vec![stack("UPDATE_COMPLETE")], &rack);
        state.record_template_document(
            template_source(&rack.template),
            Arc::new(serde_json::from_str(STATEFUL_TEMPLATE).unwrap()),
        );
        state.record_stack_policy(
            StackKey::new(ACCOUNT, "us-east-1", "example"),
            Err(CloudError::new(CloudErrorKind::AccessDenied, "not allowed")),
        );
        let problems = diff(&config(), &state.build(&[rack]), false).unwrap_err();
        assert!(
            problems[0]
                .message
                .contains("cannot read the stack's policy (GetStackPolicy)"),
            "{problems:?}"
        );
    }

    #[test]
    fn convox_stateful_without_the_templates_resources_is_a_problem() {
        let mut rack = rack();
        rack.stack_policy = Some(StackPolicy::ConvoxStateful);
        let problems = plan_of(rack, vec![]).unwrap_err();
        assert!(
            problems[0].message.contains(
                "stack_policy = \"convox-stateful\" is decided from the template's resources"
            ),
            "{problems:?}"
        );
    }

    /// Every step of an upgrade passes the options: the first step's change sets them, and a later step
    /// does not show them changing again.
    #[test]
    fn an_upgrade_shows_an_option_change_on_its_first_step_only() {
        let mut rack = rack();
        rack.version = "4".into();
        rack.template = Template::Url {
            url: url_of("4"),
            pattern: PATTERN.into(),
        };
        rack.notification_arns = Some(vec![TOPIC.into()]);
        let plan = plan_with_required_release(rack).unwrap();
        let Action::Upgrade(upgrade) = &plan.racks[0].action else {
            panic!("an upgrade, not {:?}", plan.racks[0].action);
        };
        let topics_changed: Vec<bool> = upgrade
            .steps
            .iter()
            .map(|step| {
                step.update
                    .changes
                    .iter()
                    .any(|change| change.kind == ChangeKind::NotificationArns)
            })
            .collect();
        assert_eq!(topics_changed, [true, false]);
    }
}
