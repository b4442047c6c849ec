//! The stack options of a rack, checked offline: `notification_arns` (SNS topics in the rack's region),
//! `stack_policy` (a JSON file relative to racks.toml, or the built-in "convox-stateful") and `[rollout]`'s
//! `rollback_alarms` with `rollback_monitoring`. Each problem is an error at its line, not a refused write
//! halfway through a rollout.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::model::{RolloutTable, Sp};
use crate::diag::Diagnostic;

/// The built-in stack policy's name in racks.toml.
pub const CONVOX_STATEFUL: &str = "convox-stateful";

/// CloudFormation's limits on rollback triggers.
pub const MAX_ROLLBACK_TRIGGERS: usize = 5;
const MAX_ROLLBACK_MONITORING_MINUTES: u64 = 180;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StackPolicy {
    /// Denies Update:Replace and Update:Delete on the stateful resources the rack's template declares.
    ConvoxStateful,
    /// A policy file, read and checked at load time.
    File { path: PathBuf, body: String },
}

/// The declared topics, each an SNS topic ARN in `region` (CloudFormation refuses a topic in another
/// region). `None` when unset or wrong (reported).
pub(super) fn resolve_notification_arns(
    declared: Option<&Sp<Vec<Sp<String>>>>,
    region: Option<&str>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Vec<String>> {
    let declared = declared?;
    let mut topics = Vec::new();
    for topic in &declared.value {
        let parts: Vec<&str> = topic.value.splitn(6, ':').collect();
        let valid = parts.len() == 6
            && parts[0] == "arn"
            && parts[1].starts_with("aws")
            && parts[2] == "sns"
            && parts[4].len() == 12
            && parts[4].bytes().all(|b| b.is_ascii_digit())
            && !parts[5].is_empty();
        if !valid {
            diagnostics.push(
                Diagnostic::error(
                    format!("\"{}\" is not an SNS topic ARN", topic.value.escape_debug()),
                    topic.span.clone(),
                )
                .with_hint("a topic looks like \"arn:aws:sns:us-east-1:123456789012:NAME\""),
            );
            continue;
        }
        if let Some(region) = region.filter(|region| parts[3] != *region) {
            diagnostics.push(
                Diagnostic::error(
                    format!(
                        "the topic {} is in {}, not in the rack's region {region}",
                        topic.value, parts[3]
                    ),
                    topic.span.clone(),
                )
                .with_hint(
                    "CloudFormation sends a stack's events only to topics in its own region",
                ),
            );
            continue;
        }
        topics.push(topic.value.clone());
    }
    if topics.len() > 5 {
        diagnostics.push(
            Diagnostic::error(
                format!("{} topics: a stack has at most 5", topics.len()),
                declared.span.clone(),
            )
            .with_hint("CloudFormation refuses more than 5 NotificationARNs"),
        );
    }
    Some(topics)
}

/// "convox-stateful", or a JSON policy file relative to racks.toml with a `Statement` array.
pub(super) fn resolve_stack_policy(
    declared: Option<&Sp<String>>,
    base_dir: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<StackPolicy> {
    let declared = declared?;
    if declared.value == CONVOX_STATEFUL {
        return Some(StackPolicy::ConvoxStateful);
    }
    let path = base_dir.join(&declared.value);
    let body = match std::fs::read_to_string(&path) {
        Ok(body) => body,
        Err(error) => {
            diagnostics.push(
                Diagnostic::error(
                    format!("cannot read the stack policy {}: {error}", path.display()),
                    declared.span.clone(),
                )
                .with_hint(format!(
                    "a JSON file relative to racks.toml, or \"{CONVOX_STATEFUL}\" for the built-in policy"
                )),
            );
            return None;
        }
    };
    let statements = serde_json::from_str::<serde_json::Value>(&body)
        .map_err(|error| error.to_string())
        .and_then(|policy| match policy.get("Statement") {
            Some(serde_json::Value::Array(_)) => Ok(()),
            _ => Err("it has no `Statement` array".to_string()),
        });
    if let Err(why) = statements {
        diagnostics.push(
            Diagnostic::error(
                format!("the stack policy {} is not a policy: {why}", path.display()),
                declared.span.clone(),
            )
            .with_hint("a stack policy is a JSON object {\"Statement\": [...]}"),
        );
        return None;
    }
    Some(StackPolicy::File { path, body })
}

/// `rollback_alarms` and `rollback_monitoring`: the monitoring minutes when the alarms are passed as
/// rollback triggers, `None` when they are not (or on an error, reported).
pub(super) fn resolve_rollback(
    table: &RolloutTable,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<u32> {
    let enabled = table.rollback_alarms.as_ref().is_some_and(|on| on.value);
    let minutes = match &table.rollback_monitoring {
        None => 0,
        Some(text) => {
            let minutes = match humantime::parse_duration(&text.value) {
                Ok(duration)
                    if duration.as_secs() % 60 == 0
                        && duration.subsec_nanos() == 0
                        && duration
                            <= Duration::from_secs(MAX_ROLLBACK_MONITORING_MINUTES * 60) =>
                {
                    Ok(duration.as_secs() / 60)
                }
                Ok(_) => Err("whole minutes, at most 3h".to_string()),
                Err(error) => Err(error.to_string()),
            };
            match minutes {
                Ok(minutes) if enabled => minutes,
                Ok(_) => {
                    diagnostics.push(
                        Diagnostic::error(
                            "`rollback_monitoring` without `rollback_alarms = true` has no effect",
                            text.span.clone(),
                        )
                        .with_hint("set `rollback_alarms = true` in [rollout], or remove it"),
                    );
                    return None;
                }
                Err(why) => {
                    diagnostics.push(
                        Diagnostic::error(
                            format!(
                                "`rollback_monitoring` \"{}\" is not a monitoring time: {why}",
                                text.value.escape_debug()
                            ),
                            text.span.clone(),
                        )
                        .with_hint("CloudFormation watches its rollback triggers for 0 to 180 whole minutes, e.g. \"10m\""),
                    );
                    return None;
                }
            }
        }
    };
    if !enabled {
        return None;
    }
    if table.alarms.is_empty() {
        let span = table
            .rollback_alarms
            .as_ref()
            .map_or(table.span.clone(), |on| on.span.clone());
        diagnostics.push(
            Diagnostic::error(
                "`rollback_alarms = true` but [rollout] names no `alarms`",
                span,
            )
            .with_hint("name the racks' alarms in `alarms`: they become the rollback triggers"),
        );
        return None;
    }
    u32::try_from(minutes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp<T>(value: T) -> Sp<T> {
        Sp::new(value, 3..9)
    }

    #[test]
    fn topics_must_be_sns_arns_in_the_racks_region() {
        let mut diagnostics = Vec::new();
        let topics = sp(vec![
            sp("arn:aws:sns:eu-west-1:123456789012:racks".to_string()),
            sp("arn:aws:sqs:eu-west-1:123456789012:queue".to_string()),
            sp("arn:aws:sns:us-east-1:123456789012:elsewhere".to_string()),
        ]);
        let kept = resolve_notification_arns(Some(&topics), Some("eu-west-1"), &mut diagnostics);
        assert_eq!(
            kept,
            Some(vec!["arn:aws:sns:eu-west-1:123456789012:racks".to_string()])
        );
        let messages: Vec<_> = diagnostics.iter().map(|d| d.message.clone()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            messages[0].contains("is not an SNS topic ARN"),
            "{messages:?}"
        );
        assert!(
            messages[1].contains("is in us-east-1, not in the rack's region eu-west-1"),
            "{messages:?}"
        );
    }

    #[test]
    fn a_policy_file_must_be_a_json_object_of_statements() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("good.json"), r#"{"Statement": []}"#).unwrap();
        std::fs::write(dir.path().join("bad.json"), r#"{"Effect": "Deny"}"#).unwrap();
        let mut diagnostics = Vec::new();
        assert!(matches!(
            resolve_stack_policy(Some(&sp("good.json".into())), dir.path(), &mut diagnostics),
            Some(StackPolicy::File { .. })
        ));
        assert_eq!(
            resolve_stack_policy(
                Some(&sp(CONVOX_STATEFUL.into())),
                dir.path(),
                &mut diagnostics
            ),
            Some(StackPolicy::ConvoxStateful)
        );
        assert!(diagnostics.is_empty());
        for missing_or_bad in ["bad.json", "missing.json"] {
            assert_eq!(
                resolve_stack_policy(
                    Some(&sp(missing_or_bad.into())),
                    dir.path(),
                    &mut diagnostics
                ),
                None
            );
        }
        assert_eq!(diagnostics.len(), 2);
        assert!(
            diagnostics[0]
                .message
                .contains("it has no `Statement` array")
        );
        assert!(
            diagnostics[1]
                .message
                .contains("cannot read the stack policy")
        );
    }

    #[test]
    fn rollback_monitoring_is_whole_minutes_up_to_three_hours_and_needs_the_alarms() {
        let table = |on: Option<bool>, monitoring: Option<&str>, alarms: &[&str]| RolloutTable {
            rollback_alarms: on.map(sp),
            rollback_monitoring: monitoring.map(|text| sp(text.to_string())),
            alarms: alarms.iter().map(|a| sp(a.to_string())).collect(),
            ..RolloutTable::default()
        };
        let mut diagnostics = Vec::new();
        let mut resolve = |t: RolloutTable| resolve_rollback(&t, &mut diagnostics);
        assert_eq!(resolve(table(Some(true), Some("10m"), &["a"])), Some(10));
        assert_eq!(resolve(table(Some(true), None, &["a"])), Some(0));
        assert_eq!(resolve(table(None, None, &["a"])), None);
        assert_eq!(resolve(table(Some(true), Some("4h"), &["a"])), None);
        assert_eq!(resolve(table(Some(true), Some("90s"), &["a"])), None);
        assert_eq!(resolve(table(Some(false), Some("10m"), &["a"])), None);
        assert_eq!(resolve(table(Some(true), Some("10m"), &[])), None);
        let messages: Vec<_> = diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages[0].contains("not a monitoring time: whole minutes, at most 3h"));
        assert!(messages[1].contains("not a monitoring time: whole minutes, at most 3h"));
        assert!(messages[2].contains("without `rollback_alarms = true` has no effect"));
        assert!(messages[3].contains("names no `alarms`"));
    }
}
