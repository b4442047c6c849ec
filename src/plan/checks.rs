//! What the planner checks against a rack's template before it plans a change: every parameter racks.toml
//! names exists, and every value rackfile would send satisfies the template's declaration. Each problem
//! points at the racks.toml text that causes it, when there is one.

use std::collections::BTreeMap;
use std::ops::Range;

use super::PasswordSource;
use crate::cloud::{CloudError, Secret, SsmParameter, TemplateParameter, TemplateSummary};
use crate::config::Rack;
use crate::convox::names;
use crate::convox::{InterlockValues, refusals};
use crate::diag::did_you_mean;
use crate::template::check_value;

/// Something about a rack that makes the plan impossible, found against AWS rather than in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanProblem {
    pub rack: String,
    pub message: String,
    pub hint: Option<String>,
    /// Where in racks.toml the problem is written, when it is.
    pub span: Option<Range<usize>>,
}

impl std::fmt::Display for PlanProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rack {}: {}", self.rack, self.message)
    }
}

/// Whether a parameter's value must never be shown or carried in a plan: every NoEcho parameter, and the
/// rack's Password.
pub(crate) fn is_secret(name: &str, declared: &TemplateParameter) -> bool {
    declared.no_echo || name == names::PASSWORD
}

/// The parameters a rack sets that its template does not have, each with the template's closest name.
pub fn unknown_parameters<'a>(
    rack: &Rack,
    summary: &'a TemplateSummary,
) -> Vec<(String, Option<&'a str>)> {
    rack.managed_parameters()
        .into_keys()
        .filter(|key| !summary.parameters.contains_key(key))
        .map(|key| {
            let suggestion = did_you_mean(&key, summary.parameters.keys().map(String::as_str));
            (key, suggestion)
        })
        .collect()
}

fn suggestion(summary: &TemplateSummary, close: Option<&str>) -> String {
    match close {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!(
            "the template's parameters are: {}",
            summary
                .parameters
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Every managed parameter, and every `ignore_changes` entry, must exist in the template: a typo is caught
/// now, not halfway through an apply.
pub(super) fn parameters_exist(rack: &Rack, summary: &TemplateSummary) -> Vec<PlanProblem> {
    let template = rack.template.describe();
    let mut problems: Vec<PlanProblem> = unknown_parameters(rack, summary)
        .into_iter()
        .map(|(key, close)| PlanProblem {
            rack: rack.id(),
            message: format!("the template {template} has no parameter `{key}`"),
            hint: Some(suggestion(summary, close)),
            span: rack
                .spans
                .parameter_keys
                .get(&key)
                .or_else(|| rack.spans.parameters.get(&key))
                .cloned(),
        })
        .collect();
    for name in &rack.ignore_changes {
        if !summary.parameters.contains_key(name) {
            let close = did_you_mean(name, summary.parameters.keys().map(String::as_str));
            problems.push(PlanProblem {
                rack: rack.id(),
                message: format!(
                    "`ignore_changes` names `{name}`, which the template {template} does not have"
                ),
                hint: Some(suggestion(summary, close)),
                span: rack.spans.ignore_changes.get(name).cloned(),
            });
        }
    }
    problems
}

/// The password of an install from SSM Parameter Store, as plan found it: where it comes from, or why the
/// install cannot use it (unreadable, not a SecureString, refused by the template).
pub(super) fn ssm_password(
    rack: &Rack,
    summary: &TemplateSummary,
    parameter: &str,
    read: &Result<Option<SsmParameter>, CloudError>,
) -> Result<PasswordSource, Vec<PlanProblem>> {
    let problem = |message: String, hint: String| {
        vec![PlanProblem {
            rack: rack.id(),
            message,
            hint: Some(hint),
            span: rack.spans.password_ssm.clone(),
        }]
    };
    match read {
        Ok(None) => Ok(PasswordSource::Ssm {
            parameter: parameter.to_string(),
            existing: false,
        }),
        Ok(Some(found)) if !found.is_secure() => Err(problem(
            format!(
                "SSM parameter {parameter} is a {}, not a SecureString: a rack password must be stored encrypted",
                found.kind
            ),
            "delete it (rackfile then generates one and stores it as a SecureString), or store it again with --type SecureString".to_string(),
        )),
        Ok(Some(found)) => {
            let problems = value_allowed(
                rack,
                summary,
                names::PASSWORD,
                found.value.expose(),
                Origin::PasswordSsm(parameter.to_string()),
            );
            if problems.is_empty() {
                Ok(PasswordSource::Ssm {
                    parameter: parameter.to_string(),
                    existing: true,
                })
            } else {
                Err(problems)
            }
        }
        Err(error) => Err(problem(
            format!("cannot read SSM parameter {parameter}: {error}"),
            error.hint().map_or_else(
                || {
                    "the org's credentials need ssm:GetParameter (and kms:Decrypt) on it (`rackfile permissions plan` prints the policy)"
                        .to_string()
                },
                str::to_string,
            ),
        )),
    }
}

/// The password of an install from `password_env`: the variable must be set and not empty (the plan has
/// no other password to send), and what it holds must satisfy the template's Password. The value is never
/// shown. `value` is the variable as live read it: absent when unset or empty.
pub(crate) fn env_password(
    rack: &Rack,
    summary: &TemplateSummary,
    variable: &str,
    value: Option<&Secret>,
) -> Vec<PlanProblem> {
    match value {
        Some(password) => value_allowed(
            rack,
            summary,
            names::PASSWORD,
            password.expose(),
            Origin::PasswordEnv(variable.to_string()),
        ),
        None => vec![PlanProblem {
            rack: rack.id(),
            message: format!(
                "`password_env` names ${variable}, which is not set or is empty: the install has no password to send"
            ),
            hint: Some(format!(
                "set {variable} to the rack's password in the environment of plan and apply (it is never printed), or remove `password_env` to have one generated"
            )),
            span: rack.spans.password_env.clone(),
        }],
    }
}

/// Convox's interlocks (`convox::refusals`) the values an operation leaves the rack with break: `after` is
/// every value it sends or keeps, `live` the rack's values before an update (`None` for an install). Each
/// problem quotes Convox, shows the values of the rule with where they come from, and points at the
/// racks.toml line of the refused parameter (else of another of the rule's that racks.toml sets).
pub(super) fn interlocks(
    rack: &Rack,
    summary: &TemplateSummary,
    after: &BTreeMap<String, String>,
    live: Option<&BTreeMap<String, String>>,
) -> Vec<PlanProblem> {
    let managed = rack.managed_parameters();
    let values = InterlockValues { after, live };
    let span_of = |name: &str| {
        managed.contains_key(name).then(|| {
            rack.spans
                .parameters
                .get(name)
                .or_else(|| rack.spans.parameter_keys.get(name))
                .cloned()
        })?
    };
    let shown = |name: &str| {
        let value = after.get(name).map_or("", String::as_str);
        let secret = summary
            .parameters
            .get(name)
            .is_some_and(|declared| is_secret(name, declared));
        let value = if secret {
            "(sensitive)".to_string()
        } else {
            format!("{value:?}")
        };
        let origin = if managed.contains_key(name) {
            "racks.toml"
        } else if live.is_some_and(|live| live.get(name) == after.get(name)) {
            "live"
        } else {
            "template default"
        };
        format!("{name} = {value} ({origin})")
    };
    refusals(|name| summary.parameters.contains_key(name), &values)
        .into_iter()
        .map(|refusal| {
            let rule = refusal.interlock;
            let span = std::iter::once(refusal.at)
                .chain(rule.parameters.iter().copied())
                .find_map(&span_of);
            let involved: Vec<String> = rule.parameters.iter().map(|name| shown(name)).collect();
            PlanProblem {
                rack: rack.id(),
                message: format!("Convox refuses {}: {}", involved.join(" with "), rule.says),
                hint: Some(format!(
                    "Convox's own check, made before AWS is called: {}",
                    rule.cited()
                )),
                span,
            }
        })
        .collect()
}

/// Where a value rackfile would send comes from.
pub(super) enum Origin {
    /// racks.toml: the problem points at it.
    RacksToml,
    /// The live stack, kept by an update: the new template may refuse what the old one accepted.
    Live,
    /// The environment variable `password_env` names; the value is never shown.
    PasswordEnv(String),
    /// The SSM parameter `password_ssm` names; the value is never shown.
    PasswordSsm(String),
}

/// Every constraint of the template the value breaks, each a problem naming the rack, the parameter and the
/// constraint. Secret values (`is_secret`, or read from `password_env` or `password_ssm`) are never shown.
pub(super) fn value_allowed(
    rack: &Rack,
    summary: &TemplateSummary,
    name: &str,
    value: &str,
    origin: Origin,
) -> Vec<PlanProblem> {
    let Some(declared) = summary.parameters.get(name) else {
        return Vec::new();
    };
    let shown = if is_secret(name, declared)
        || matches!(origin, Origin::PasswordEnv(_) | Origin::PasswordSsm(_))
    {
        "(sensitive)".to_string()
    } else {
        format!("{value:?}")
    };
    check_value(declared, value)
        .into_iter()
        .map(|violation| {
            let (what, span, hint) = match &origin {
                Origin::RacksToml => (
                    format!("{name} = {shown}"),
                    rack.spans.parameters.get(name).cloned(),
                    None,
                ),
                Origin::Live => (
                    format!("the live {name} = {shown}"),
                    None,
                    Some(format!(
                        "the new template no longer accepts the live value; set `{name}` in racks.toml to a value it accepts"
                    )),
                ),
                Origin::PasswordEnv(variable) => (
                    format!("the password in ${variable}"),
                    rack.spans.password_env.clone(),
                    Some(format!("put a password the template accepts in ${variable}")),
                ),
                Origin::PasswordSsm(parameter) => (
                    format!("the password in SSM parameter {parameter}"),
                    rack.spans.password_ssm.clone(),
                    Some(format!(
                        "store a password the template accepts in {parameter}, or delete the parameter to have one generated"
                    )),
                ),
            };
            PlanProblem {
                rack: rack.id(),
                message: format!(
                    "{what} is refused by the template's {} of {name}: {}",
                    violation.constraint, violation.message
                ),
                hint: hint.or_else(|| Some(format!("checked against {}", rack.template.describe()))),
                span,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::plan::diff::test_support::*;

    const DOWN: &str = "ScheduleRackScaleDown";
    const UP: &str = "ScheduleRackScaleUp";

    fn with_schedule(mut summary: TemplateSummary) -> TemplateSummary {
        for name in [DOWN, UP] {
            summary.parameters.insert(
                name.into(),
                TemplateParameter {
                    kind: "String".into(),
                    default: Some(String::new()),
                    ..TemplateParameter::default()
                },
            );
        }
        summary
    }

    /// `rack` planned against a live stack with `live_up` as its ScheduleRackScaleUp, and a template that
    /// declares the schedule pair.
    fn plan_schedule(rack: Rack, live_up: &str) -> Result<Plan, Vec<PlanProblem>> {
        let mut stack = stack("UPDATE_COMPLETE");
        stack.parameters.insert(DOWN.into(), String::new());
        stack.parameters.insert(UP.into(), live_up.into());
        let summary = with_schedule(summary());
        let mut state = live(vec![stack], &rack);
        state.record_template(ACCOUNT, template_source(&rack.template), Ok(summary));
        diff(&config(), &state.build(&[rack]), false)
    }

    fn setting_scale_down() -> Rack {
        let mut rack = rack();
        rack.parameters
            .insert(DOWN.into(), "cron(0 18 * * ? *)".into());
        rack.spans.parameters.insert(DOWN.into(), 120..140);
        rack
    }

    #[test]
    fn half_a_schedule_is_refused_at_its_racks_toml_value_quoting_convox() {
        let problems = plan_schedule(setting_scale_down(), "").unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        let problem = &problems[0];
        assert_eq!(problem.span, Some(120..140));
        assert_eq!(
            problem.message,
            "Convox refuses ScheduleRackScaleDown = \"cron(0 18 * * ? *)\" (racks.toml) with \
             ScheduleRackScaleUp = \"\" (live): to configure ScheduleAction you need both \
             ScheduleRackScaleDown and ScheduleRackScaleUp parameters"
        );
        assert!(
            problem
                .hint
                .as_deref()
                .unwrap()
                .contains("convox/rack@3fc6cc6d5 pkg/cli/rack.go:991 validateParams"),
            "{problem:?}"
        );
    }

    #[test]
    fn the_live_scale_up_completes_the_pair_racks_toml_sets_half_of() {
        let plan = plan_schedule(setting_scale_down(), "cron(0 6 * * ? *)").unwrap();
        assert!(matches!(plan.racks[0].action, Action::Update(_)));
    }

    #[test]
    fn an_install_with_half_a_schedule_is_refused_with_the_template_default_named() {
        let summary = with_schedule(summary());
        let rack = setting_scale_down();
        let mut state = live(vec![], &rack);
        state.record_template(ACCOUNT, template_source(&rack.template), Ok(summary));
        let problems = diff(&config(), &state.build(&[rack]), false).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0]
                .message
                .contains("ScheduleRackScaleUp = \"\" (template default)"),
            "{problems:?}"
        );
    }
}
