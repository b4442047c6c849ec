//! An update of a live rack: what differs, the whole UpdateStack parameter list (managed values, live
//! values kept), the parameters held at their live value, and the impact analysis of what changes.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use similar::TextDiff;

use crate::cloud::{CloudError, ParameterValue, RegionKey, Stack, StackKey, TemplateSummary};
use crate::config::Rack;
use crate::convox::{AUTOSCALED_PARAMETERS, Effect, names};
use crate::live::LiveState;
use crate::plan::budget::budget_of_update;
use crate::plan::checks::{
    Origin, PlanProblem, interlocks, is_secret, parameters_exist, value_allowed,
};
use crate::plan::impact::{rule_impact_of, supersede_rules_the_template_answers};
use crate::plan::{
    Action, Blocked, BlockedWhy, Change, ChangeKind, Held, HeldReason, InstallOnlyChange, Note,
    UnresolvedSsm, Update,
};
use crate::template::{Pseudo, TemplateUnknown};

use super::blocked::blocked_as;
use super::options::{option_changes, planned_options, role_change};
use super::ssm::{SsmResolutions, refresh_declared};
use super::templates::{Applying, FileLiveTemplate, planned_document, template_plan};

/// The stack as a completed update leaves it, for planning the next step against: the values sent, the
/// values kept, and the new template's defaults for parameters new to it.
pub(super) fn after_update(stack: &Stack, update: &Update, summary: &TemplateSummary) -> Stack {
    let parameters = summary
        .parameters
        .iter()
        .filter_map(|(name, declared)| {
            let value = match update.parameters.get(name) {
                Some(ParameterValue::Value(value)) => Some(value.clone()),
                Some(ParameterValue::UsePrevious) => stack.parameters.get(name).cloned(),
                None => declared.default.clone(),
            }?;
            Some((name.clone(), value))
        })
        .collect();
    // What the update resolved its SSM-typed parameters to, as far as the plan knows.
    let mut resolved = stack.resolved.clone();
    for change in &update.changes {
        if let (ChangeKind::SsmValue, Some(value)) = (change.kind, &change.after) {
            resolved.insert(change.name.clone(), value.clone());
        }
    }
    let role_arn = update
        .changes
        .iter()
        .find(|change| change.kind == ChangeKind::Role)
        .map_or_else(|| stack.role_arn.clone(), |change| change.after.clone());
    Stack {
        status: "UPDATE_COMPLETE".into(),
        parameters,
        tags: update.tags.clone(),
        resolved,
        role_arn,
        ..stack.clone()
    }
}

/// Parameters of a live rack that racks.toml does not change after install: `ignore_changes`, and the
/// counts Convox's autoscaler owns while the rack's Autoscale is Yes (racks.toml's value, else the live
/// one, else the template's default).
pub(super) fn held_parameters(
    rack: &Rack,
    stack: &Stack,
    summary: &TemplateSummary,
    managed: &BTreeMap<String, String>,
) -> BTreeMap<String, HeldReason> {
    let autoscale = managed
        .get(names::AUTOSCALE)
        .or_else(|| stack.parameters.get(names::AUTOSCALE))
        .or_else(|| {
            summary
                .parameters
                .get(names::AUTOSCALE)
                .and_then(|p| p.default.as_ref())
        });
    let mut held: BTreeMap<String, HeldReason> = rack
        .ignore_changes
        .iter()
        .map(|name| (name.clone(), HeldReason::IgnoreChanges))
        .collect();
    if autoscale.map(String::as_str) == Some("Yes") {
        for name in AUTOSCALED_PARAMETERS {
            if summary.parameters.contains_key(name) {
                held.insert(name.to_string(), HeldReason::Autoscaled);
            }
        }
    }
    held
}

/// The template an update applies, and the one the stack has before it.
pub(super) struct Templates<'a> {
    pub(super) applying: Applying<'a>,
    /// Parsed only when something is to be analysed.
    pub(super) before: &'a dyn Fn() -> Result<Arc<Value>, TemplateUnknown>,
}

/// What a rack's plan says beside its action: parameters held at their live value, and notes.
pub(super) struct Remarks<'a> {
    pub(super) held: &'a mut Vec<Held>,
    pub(super) notes: &'a mut Vec<Note>,
}

/// A live rack's update, step by step: the parameters held at their live value, the UpdateStack parameter
/// list, then each kind of change (parameters, template, tags, protection, role, stack options, SSM
/// values), the checks of what is sent, and the analysis of what it reaches.
pub(super) fn plan_update(
    rack: &Rack,
    stack: &Stack,
    templates: Templates<'_>,
    summary: &TemplateSummary,
    account: &str,
    live: &LiveState,
    remarks: Remarks<'_>,
) -> Result<Action, Vec<PlanProblem>> {
    let Remarks { held, notes } = remarks;
    // Destructured so that a new setting breaks the build here until someone decides how it is planned.
    let Rack {
        org: _,
        name: _,
        region,
        version,
        instance_type: _,
        instance_count: _,
        private: _,
        template: _,     // `templates` carries it, beside the live one
        password_env: _, // only read at install; updates keep the live password
        password_ssm: _,
        parameters: _,
        tags: _,
        ignore_changes: _, // read by held_parameters
        refresh: _,        // read by ssm::resolutions
        drift_ignore: _,   // read by drift detection, never sent
        absent: _,         // an absent rack is uninstalled, never updated
        protect,
        role_arn,
        notification_arns: _, // with the other stack options, by options::option_changes
        stack_policy: _,
        rollback_minutes: _,
        alarms: _, // watched by apply during a bake, never sent
        spans: _,
    } = rack;
    check_declared(rack, summary)?;
    let managed = hold_at_live(rack, stack, summary, held);
    let parameters = update_parameters(&managed, stack, summary);
    let ssm = SsmResolutions::of(
        stack,
        summary,
        &parameters,
        live,
        &RegionKey::new(account, region),
    );
    let (refreshed, newer) = ssm.changes(rack);
    let mut changes = match parameter_changes(&managed, &parameters, stack, summary) {
        Ok(changes) => changes,
        Err(blocked) => return Ok(Action::Blocked(blocked)),
    };
    let Templates { applying, before } = templates;
    changes.extend(template_change(rack, stack, applying, version)?);
    let (tag_changes, tags) = tag_changes(rack, stack);
    changes.extend(tag_changes);
    let termination_protection = protect.filter(|wanted| *wanted != stack.termination_protection);
    changes.extend(termination_protection.map(|wanted| protection_change(stack, wanted)));
    changes.extend(role_change(role_arn.as_ref(), stack));
    let options = planned_options(rack, account, live)?;
    let key = StackKey::new(account, region, &stack.name);
    changes.extend(option_changes(rack, &options, stack, &key, live)?);
    changes.extend(refreshed);
    let unresolved = ssm_changes(rack, &ssm, newer, &mut changes, notes);
    if changes.is_empty() {
        return Ok(Action::Unchanged);
    }
    check_values_sent(rack, summary, &parameters, &managed)?;
    let update = Update {
        template: template_plan(rack),
        parameters,
        changes,
        tags,
        resource_count: summary.resource_count,
        termination_protection,
        analysis: None,
        budget: None,
        unresolved,
        change_set: None,
    };
    let after_values = after_update(stack, &update, summary).parameters;
    let refused = interlocks(rack, summary, &after_values, Some(&stack.parameters));
    if !refused.is_empty() {
        return Err(refused);
    }
    let subject = Subject {
        rack,
        stack,
        account,
        live,
    };
    Ok(analysed(
        &subject,
        update,
        notes,
        before,
        &ssm,
        &after_values,
    ))
}

/// Every parameter racks.toml sets or refreshes is one the template declares.
fn check_declared(rack: &Rack, summary: &TemplateSummary) -> Result<(), Vec<PlanProblem>> {
    let mut problems = parameters_exist(rack, summary);
    problems.extend(refresh_declared(rack, summary));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// racks.toml's parameter values less the ones held at their live value; each held one with a live value
/// is recorded in `held`, for the plan to say so.
fn hold_at_live(
    rack: &Rack,
    stack: &Stack,
    summary: &TemplateSummary,
    held: &mut Vec<Held>,
) -> BTreeMap<String, String> {
    let mut managed = rack.managed_parameters();
    for (name, reason) in held_parameters(rack, stack, summary, &managed) {
        let Some(declared) = managed.remove(&name) else {
            continue;
        };
        if let Some(live_value) = stack.parameters.get(&name) {
            held.push(Held {
                parameter: name,
                live: live_value.clone(),
                declared,
                reason,
            });
        }
    }
    managed
}

/// The parameters racks.toml changes, or the rack blocked when one of them is set at install only.
fn parameter_changes(
    managed: &BTreeMap<String, String>,
    parameters: &BTreeMap<String, ParameterValue>,
    stack: &Stack,
    summary: &TemplateSummary,
) -> Result<Vec<Change>, Blocked> {
    let batch_size = match parameters.get(names::INSTANCE_UPDATE_BATCH_SIZE) {
        Some(ParameterValue::Value(size)) => Some(size.as_str()),
        _ => None,
    };
    let mut changes = Vec::new();
    let mut install_only = Vec::new();
    for (name, desired) in managed {
        let declared = summary.parameters.get(name);
        // A parameter new to the template has its default on the rack until now.
        let live_value = stack
            .parameters
            .get(name)
            .or_else(|| declared.and_then(|p| p.default.as_ref()));
        if live_value == Some(desired) {
            continue;
        }
        let sensitive = declared.is_some_and(|p| is_secret(name, p));
        let rule = rule_impact_of(name, batch_size);
        if let Some(impact) = &rule
            && impact.effect == Effect::InstallOnly
            && let Some(live_value) = live_value
        {
            install_only.push(InstallOnlyChange {
                parameter: name.clone(),
                live: live_value.clone(),
                declared: desired.clone(),
                rule: impact.clone(),
            });
            continue;
        }
        changes.push(Change::parameter(
            name.clone(),
            live_value.cloned(),
            desired.clone(),
            sensitive,
            rule,
        ));
    }
    if !install_only.is_empty() {
        return Err(blocked_as(
            stack,
            BlockedWhy::InstallOnly {
                parameters: install_only,
            },
        ));
    }
    Ok(changes)
}

/// The template change, if the update applies another template than the live one.
fn template_change(
    rack: &Rack,
    stack: &Stack,
    applying: Applying<'_>,
    version: &str,
) -> Result<Option<Change>, Vec<PlanProblem>> {
    match applying {
        Applying::Url { url, pattern } => {
            // A live stack does not record its template URL; with Convox the URL follows the version, so a
            // version change is a template change. Showing the old URL beside the new one says so.
            if let Some(live_version) = stack.parameters.get(names::VERSION)
                && live_version != version
                && pattern.contains("{version}")
            {
                return Ok(Some(Change::new(
                    ChangeKind::Template,
                    "template",
                    Some(pattern.replace("{version}", live_version)),
                    Some(url.to_string()),
                )));
            }
            Ok(None)
        }
        Applying::File { path, body, live } => match live {
            FileLiveTemplate::UnchangedSinceCached => Ok(None),
            FileLiveTemplate::Read(Ok(live_body)) if live_body.trim_end() == body.trim_end() => {
                Ok(None)
            }
            FileLiveTemplate::Read(Ok(live_body)) => {
                let file = path.display().to_string();
                let text_diff = TextDiff::from_lines(live_body.as_str(), body)
                    .unified_diff()
                    .context_radius(2)
                    .header("live template", &file)
                    .to_string();
                Ok(Some(
                    Change::new(
                        ChangeKind::Template,
                        "template",
                        Some("live template".into()),
                        Some(file),
                    )
                    .with_diff(text_diff),
                ))
            }
            FileLiveTemplate::Read(Err(error)) => Err(vec![unreadable_live_template(rack, error)]),
            FileLiveTemplate::NotRead => Err(vec![unreadable_live_template(
                rack,
                &super::templates::not_read(),
            )]),
        },
    }
}

/// The tags racks.toml changes, and the stack's tags after the update (live ones kept).
fn tag_changes(rack: &Rack, stack: &Stack) -> (Vec<Change>, BTreeMap<String, String>) {
    let mut changes = Vec::new();
    let mut tags = stack.tags.clone();
    for (key, desired) in rack.managed_tags() {
        let live_value = stack.tags.get(&key);
        if live_value != Some(&desired) {
            changes.push(Change::new(
                ChangeKind::Tag,
                key.clone(),
                live_value.cloned(),
                Some(desired.clone()),
            ));
        }
        tags.insert(key, desired);
    }
    (changes, tags)
}

fn protection_change(stack: &Stack, wanted: bool) -> Change {
    Change::new(
        ChangeKind::TerminationProtection,
        "termination protection",
        Some(on_off(stack.termination_protection).into()),
        Some(on_off(wanted).into()),
    )
}

/// The SSM-typed parameters' changes and the ones left unresolved. Only an UpdateStack resolves them again
/// (termination protection and the stack policy are set apart): without one, the plan only notes them.
fn ssm_changes(
    rack: &Rack,
    ssm: &SsmResolutions,
    newer: Vec<Change>,
    changes: &mut Vec<Change>,
    notes: &mut Vec<Note>,
) -> Vec<UnresolvedSsm> {
    if changes.iter().any(|change| change.kind.is_update_stack()) {
        changes.extend(newer);
        let (unknown, unresolved) = ssm.unresolved();
        changes.extend(unknown);
        notes.extend(ssm.unreadable_notes());
        unresolved
    } else {
        notes.extend(ssm.notes_of_unchanged(rack));
        Vec::new()
    }
}

/// Every value the update sends must satisfy the template it is applied with, the live ones kept
/// included: a new release can refuse what the old one accepted.
fn check_values_sent(
    rack: &Rack,
    summary: &TemplateSummary,
    parameters: &BTreeMap<String, ParameterValue>,
    managed: &BTreeMap<String, String>,
) -> Result<(), Vec<PlanProblem>> {
    let mut problems = Vec::new();
    for (name, value) in parameters {
        if let ParameterValue::Value(value) = value {
            let origin = if managed.contains_key(name) {
                Origin::RacksToml
            } else {
                Origin::Live
            };
            problems.extend(value_allowed(rack, summary, name, value, origin));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The rack being updated and what the plan knows of it, for the steps that look at all of it.
struct Subject<'a> {
    rack: &'a Rack,
    stack: &'a Stack,
    account: &'a str,
    live: &'a LiveState,
}

/// The update with what it reaches: the impact analysis of the templates before and after (none when
/// nothing reaches resources), checked against CloudFormation's change set, and the budget.
fn analysed(
    subject: &Subject<'_>,
    mut update: Update,
    notes: &mut Vec<Note>,
    before: &dyn Fn() -> Result<Arc<Value>, TemplateUnknown>,
    ssm: &SsmResolutions,
    after_values: &BTreeMap<String, String>,
) -> Action {
    let Subject {
        rack,
        stack,
        account,
        live,
    } = *subject;
    let pseudo = Pseudo {
        region: rack.region.clone(),
        stack_name: rack.name.clone(),
        account_id: account.to_string(),
    };
    if !update
        .changes
        .iter()
        .any(|change| change.kind.reaches_resources())
    {
        // Without an analysis the budget reads no template.
        update.budget = Some(budget_of_update(
            None,
            Ok(&Value::Null),
            after_values,
            &stack.parameters,
            &pseudo,
        ));
        // Tags alone: nothing for the analysis, and the change set is compared with that nothing.
        return cross_check(subject, update, notes, |_, _| None);
    }
    let (before, after) = (before(), planned_document(rack, live));
    supersede_rules_the_template_answers(&mut update, &before, &after);
    // The analysis sees each SSM-typed parameter as what it resolves to on each side.
    let (before_values, after_values) = (
        ssm.for_analysis(&stack.parameters, true),
        ssm.for_analysis(after_values, false),
    );
    let analyse = |changes: &mut [Change], forced: &_| {
        crate::plan::impact::analyse_update(
            before.as_deref(),
            &before_values,
            after.as_deref(),
            &after_values,
            &pseudo,
            changes,
            forced,
        )
    };
    update.analysis = analyse(&mut update.changes, &BTreeMap::new());
    let action = cross_check(subject, update, notes, |changes, forced| {
        Some(analyse(changes, forced))
    });
    let Action::Update(mut update) = action else {
        return action;
    };
    update.budget = Some(budget_of_update(
        update.analysis.as_ref(),
        after.as_deref(),
        &after_values,
        &before_values,
        &pseudo,
    ));
    Action::Update(update)
}

/// The update, checked against CloudFormation's change set of exactly it when the plan has one: where the
/// change set says more, `reanalyse` runs the analysis again with that taken as known. A change set that
/// failed blocks the rack with AWS's error; one that says nothing changes leaves the rack unchanged (unless
/// termination protection changes, which is no stack update).
fn cross_check(
    subject: &Subject<'_>,
    mut update: Update,
    notes: &mut Vec<Note>,
    reanalyse: impl FnOnce(
        &mut [Change],
        &BTreeMap<String, crate::template::Forced>,
    ) -> Option<Option<crate::plan::TemplateImpact>>,
) -> Action {
    use crate::plan::change_set::{CheckStatus, check, forced};
    let Subject {
        rack,
        stack,
        account,
        live,
    } = *subject;
    let key = StackKey::new(account, &rack.region, &rack.name);
    let Some(fact) = live.change_set(&key).filter(|fact| {
        // The rack's service role and stack options are planned beside the update, from the same
        // racks.toml in the same run: the change set must match the update in everything else.
        let expected = crate::cloud::UpdateStackRequest {
            role_arn: fact.request.role_arn.clone(),
            options: fact.request.options.clone(),
            ..update.request(&rack.name, fact.request.token.clone())
        };
        fact.request == expected
    }) else {
        return Action::Update(update);
    };
    let checked = check(fact, update.analysis.as_ref());
    let forced = forced(&checked);
    if !forced.is_empty()
        && let Some(analysis) = reanalyse(&mut update.changes, &forced)
    {
        update.analysis = analysis;
    }
    match &checked.status {
        CheckStatus::Failed { error } => {
            return Action::Blocked(blocked_as(
                stack,
                BlockedWhy::ChangeSet {
                    change_set: checked.change_set.name.clone(),
                    error: error.clone(),
                },
            ));
        }
        // Termination protection, the stack policy and the stack's own settings are not in a change set's
        // view: "didn't contain changes" leaves them to do.
        CheckStatus::NoChanges
            if update.termination_protection.is_none()
                && !update.changes_stack_settings()
                && !update
                    .changes
                    .iter()
                    .any(|change| change.kind == crate::plan::ChangeKind::StackPolicy) =>
        {
            notes.push(Note::ChangeSetNoChanges);
            return Action::Unchanged;
        }
        CheckStatus::NoChanges | CheckStatus::Ready => {}
    }
    update.change_set = Some(checked);
    Action::Update(update)
}

pub(super) fn on_off(enabled: bool) -> &'static str {
    if enabled { "on" } else { "off" }
}

/// The UpdateStack parameter list, over the parameters of the template being applied: managed ones get
/// their value; other live ones are kept, by value when CloudFormation shows it and by UsePreviousValue for
/// secret and SSM-typed ones (always set explicitly at install: DescribeStacks hides NoEcho values, shows the
/// Password of a template that does not hide it, which the plan must never carry, and may show an
/// SSM-typed one resolved); parameters new to the template take their default.
/// (DESIGN.md section 6: this is right on AWS and also works on moto.)
pub(super) fn update_parameters(
    managed: &BTreeMap<String, String>,
    stack: &Stack,
    summary: &TemplateSummary,
) -> BTreeMap<String, ParameterValue> {
    let mut parameters = BTreeMap::new();
    for (name, declared) in &summary.parameters {
        let value = if let Some(desired) = managed.get(name) {
            ParameterValue::Value(desired.clone())
        } else if let Some(live_value) = stack.parameters.get(name) {
            if is_secret(name, declared) || declared.names_ssm_parameter() {
                ParameterValue::UsePrevious
            } else {
                ParameterValue::Value(live_value.clone())
            }
        } else {
            continue;
        };
        parameters.insert(name.clone(), value);
    }
    parameters
}

fn unreadable_live_template(rack: &Rack, error: &CloudError) -> PlanProblem {
    PlanProblem {
        rack: rack.id(),
        message: format!(
            "cannot read the live template of stack {}: {error}",
            rack.name
        ),
        hint: error.hint().map(str::to_string),
        span: None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn a_rack_matching_its_stack_is_unchanged() {
        assert_eq!(
            only_action(rack(), vec![stack("CREATE_COMPLETE")]),
            Action::Unchanged
        );
        assert_eq!(
            only_action(rack(), vec![stack("UPDATE_ROLLBACK_COMPLETE")]),
            Action::Unchanged
        );
    }

    #[test]
    fn each_typed_setting_is_a_parameter_change() {
        let mut changed = rack();
        changed.instance_type = Some("m5.large".into());
        changed.instance_count = Some(5);
        assert_eq!(
            changes(changed),
            [
                change("InstanceCount", "3", "5"),
                change("InstanceType", "t2.small", "m5.large"),
            ]
        );
    }

    #[test]
    fn unset_typed_settings_are_left_to_the_template_at_install_and_kept_live_afterwards() {
        let mut bare = rack();
        bare.instance_type = None;
        bare.instance_count = None;
        bare.private = None;
        let Action::Install(install) = only_action(bare.clone(), vec![]) else {
            panic!("expected an install")
        };
        assert!(!install.parameters.contains_key("InstanceType"));
        assert_eq!(install.template_defaults["InstanceType"], "t2.small");
        let mut live = stack("UPDATE_COMPLETE");
        live.parameters
            .insert("InstanceType".into(), "m5.large".into());
        assert_eq!(only_action(bare, vec![live]), Action::Unchanged);
    }

    #[test]
    fn while_autoscale_is_yes_the_count_is_held_at_its_live_value() {
        let mut scaled = rack();
        scaled.instance_count = Some(4);
        let mut live = stack("UPDATE_COMPLETE");
        live.parameters.insert("Autoscale".into(), "Yes".into());
        live.parameters.insert("InstanceCount".into(), "7".into());
        let plan = plan_of(scaled.clone(), vec![live.clone()]).unwrap();
        assert_eq!(plan.racks[0].action, Action::Unchanged);
        assert_eq!(
            plan.racks[0].held,
            [Held {
                parameter: "InstanceCount".into(),
                live: "7".into(),
                declared: "4".into(),
                reason: HeldReason::Autoscaled,
            }]
        );
        // Turning the autoscaler off in racks.toml hands the count back.
        scaled.parameters.insert("Autoscale".into(), "No".into());
        assert_eq!(
            changes(scaled.clone())
                .into_iter()
                .map(|c| c.0)
                .collect::<Vec<_>>(),
            ["InstanceCount"]
        );
        let Action::Update(update) = only_action(scaled, vec![live]) else {
            panic!("expected an update")
        };
        assert_eq!(
            update.parameters["InstanceCount"],
            ParameterValue::Value("4".into())
        );
    }

    #[test]
    fn ignore_changes_keeps_the_live_value_in_the_update_too() {
        let mut ignoring = rack();
        ignoring.parameters.insert("Ami".into(), "ami-new".into());
        ignoring.ignore_changes.insert("Ami".into());
        ignoring.instance_count = Some(5);
        let Action::Update(update) = only_action(ignoring, vec![stack("UPDATE_COMPLETE")]) else {
            panic!("expected an update")
        };
        assert_eq!(update.changes.len(), 1, "{:?}", update.changes);
        assert_eq!(
            update.parameters["Ami"],
            ParameterValue::Value("ami-123".into())
        );
    }

    #[test]
    fn an_install_only_change_blocks_the_rack_naming_the_rule() {
        let mut private = rack();
        private.private = Some(true);
        private.instance_count = Some(5);
        let Action::Blocked(blocked) = only_action(private, vec![stack("UPDATE_COMPLETE")]) else {
            panic!("expected blocked")
        };
        assert_eq!(blocked.stack_status(), "UPDATE_COMPLETE");
        let BlockedWhy::InstallOnly { parameters } = &blocked.why else {
            panic!("not install-only: {blocked:?}")
        };
        let [private] = &parameters[..] else {
            panic!("one parameter: {parameters:?}")
        };
        assert_eq!(
            (
                private.parameter.as_str(),
                private.live.as_str(),
                private.declared.as_str()
            ),
            ("Private", "No", "Yes")
        );
        assert!(
            private.rule.source.contains("convox/rack#2975"),
            "{:?}",
            private.rule
        );
    }

    #[test]
    fn a_kept_live_value_the_new_template_refuses_is_a_problem_before_anything_is_sent() {
        let mut upgraded = rack();
        upgraded.instance_count = None;
        upgraded.version = "3".into();
        let mut strict = summary();
        let count = strict.parameters.get_mut("InstanceCount").unwrap();
        count.kind = "Number".into();
        count.min_value = Some("4".into());
        let mut state = live(vec![stack("UPDATE_COMPLETE")], &upgraded);
        state.record_template(ACCOUNT, template_source(&upgraded.template), Ok(strict));
        let problems = diff(&config(), &state.build(&[upgraded]), false).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].message.starts_with(
                "the live InstanceCount = \"3\" is refused by the template's MinValue"
            ),
            "{}",
            problems[0].message
        );
        assert_eq!(problems[0].span, None);
    }

    #[test]
    fn a_version_change_is_a_template_change_too() {
        let mut upgraded = rack();
        upgraded.version = "3".into();
        upgraded.template = Template::Url {
            url: URL.replace("/2/", "/3/"),
            pattern: PATTERN.into(),
        };
        assert_eq!(
            changes(upgraded),
            [
                change("Version", "2", "3"),
                change("template", URL, &URL.replace("/2/", "/3/"))
            ]
        );
    }

    #[test]
    fn extra_parameters_and_tags_are_managed_and_others_kept() {
        let mut changed = rack();
        changed.parameters.insert("Autoscale".into(), "Yes".into());
        changed.tags.insert("team".into(), "platform".into());
        let Action::Update(update) = only_action(changed, vec![stack("UPDATE_COMPLETE")]) else {
            panic!()
        };
        let listed: Vec<_> = update
            .changes
            .iter()
            .map(|c| (c.kind, c.name.as_str()))
            .collect();
        assert_eq!(
            listed,
            [
                (ChangeKind::Parameter, "Autoscale"),
                (ChangeKind::Tag, "team")
            ]
        );
        assert_eq!(
            update.tags["cost-center"], "42",
            "an unmanaged live tag was dropped"
        );
        assert_eq!(update.tags["team"], "platform");
        // The whole UpdateStack list: managed values, live values by value, NoEcho kept unread, new ones defaulted.
        let value = |v: &str| ParameterValue::Value(v.to_string());
        assert_eq!(
            update.parameters,
            BTreeMap::from([
                ("Ami".to_string(), value("ami-123")),
                ("Autoscale".to_string(), value("Yes")),
                ("InstanceCount".to_string(), value("3")),
                ("InstanceType".to_string(), value("t2.small")),
                ("Key".to_string(), ParameterValue::UsePrevious),
                ("Password".to_string(), ParameterValue::UsePrevious),
                ("Private".to_string(), value("No")),
                ("Version".to_string(), value("2")),
            ])
        );
    }

    #[test]
    fn noecho_values_are_never_in_the_plan() {
        let mut changed = rack();
        changed.parameters.insert("Key".into(), "ssh-secret".into());
        let plan = plan_of(changed, vec![stack("UPDATE_COMPLETE")]).unwrap();
        let json = serde_json::to_string(&plan).unwrap();
        assert!(
            json.contains(r#""name":"Key","before":null,"after":null,"sensitive":true"#),
            "{json}"
        );
        assert!(
            crate::render::human_plan(&plan, crate::render::Style::Plain)
                .contains("Key: (sensitive) -> (sensitive)")
        );
    }

    #[test]
    fn a_local_template_that_differs_from_the_live_one_is_a_diff() {
        let mut local = rack();
        local.template = Template::File {
            path: "rack.yml".into(),
            body: "Resources:\n  Vpc: {}\n".into(),
        };
        let Action::Update(update) = only_action(local.clone(), vec![stack("UPDATE_COMPLETE")])
        else {
            panic!()
        };
        assert_eq!(update.changes.len(), 1);
        let diff = update.changes[0].diff.as_deref().unwrap();
        assert!(
            diff.contains("-Resources: {}") && diff.contains("+  Vpc: {}"),
            "{diff}"
        );
        local.template = Template::File {
            path: "rack.yml".into(),
            body: "Resources: {}\n".into(),
        };
        assert_eq!(
            only_action(local, vec![stack("UPDATE_COMPLETE")]),
            Action::Unchanged
        );
    }

    #[test]
    fn protect_is_set_at_install_and_changed_on_a_live_rack_without_an_update_of_the_stack() {
        let mut protect = rack();
        protect.protect = Some(true);
        let Action::Install(install) = only_action(protect.clone(), vec![]) else {
            panic!("an install");
        };
        assert!(install.termination_protection);
        let Action::Update(update) = only_action(protect.clone(), vec![stack("UPDATE_COMPLETE")])
        else {
            panic!("an update");
        };
        assert_eq!(update.termination_protection, Some(true));
        assert_eq!(update.changes.len(), 1);
        assert_eq!(update.changes[0].kind, ChangeKind::TerminationProtection);
        assert!(!update.changes_the_stack());
        // Unset: the live setting is not managed.
        let mut live_protected = stack("UPDATE_COMPLETE");
        live_protected.termination_protection = true;
        assert_eq!(only_action(rack(), vec![live_protected]), Action::Unchanged);
    }
}
