//! The planner: a pure, synchronous function of (config, live state) -> plan. It decides everything apply
//! will do, including the exact parameter list of each UpdateStack call.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;

use similar::TextDiff;

use super::BlockedKind;
use super::checks::{
    Origin, PlanProblem, env_password, parameters_exist, ssm_password, value_allowed,
};
use super::{
    AccountRead, Action, Blocked, Change, ChangeKind, DependentStack, FORMAT_VERSION,
    FileFingerprint, Held, HeldReason, Impact, Install, PasswordSource, Plan, RackPlan,
    ReleaseListRead, StackFingerprint, Step, Summary, TemplatePlan, UndeclaredRack, Uninstall,
    Update, Upgrade,
};
use crate::cloud::{Declarations, ParameterValue, Stack, StackState, TemplateSummary};
use crate::config::{Config, Rack, TYPED_PARAMETERS, Template, sha256_hex};
use crate::convox::releases::RELEASES_URL;
use crate::convox::{AUTOSCALED_PARAMETERS, Effect, Release, Releases, Route, rule_for};
use crate::live::{LiveState, template_source};
use crate::template::{Pseudo, parse_document, retained_resources, summary_of_body};

/// `recover`: failed racks are planned for recovery (`--recover`) instead of blocked.
pub fn diff(
    config: &Config,
    racks: &[Rack],
    live: &LiveState,
    recover: bool,
) -> Result<Plan, Vec<PlanProblem>> {
    let mut problems = same_stack_twice(racks, live);
    let mut planned = Vec::new();
    for rack in racks {
        match plan_rack(rack, &config.racks, live, recover) {
            Ok(plan) => planned.push(plan),
            Err(mut found) => problems.append(&mut found),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let summary = summarise(&planned);
    Ok(Plan {
        format_version: FORMAT_VERSION.into(),
        recover,
        racks_file: FileFingerprint {
            path: config.path.display().to_string(),
            sha256: config.fingerprint.clone(),
        },
        accounts: accounts_read(racks, live),
        not_in_racks_toml: undeclared(racks, live),
        releases: live.releases.as_ref().map(|releases| ReleaseListRead {
            url: RELEASES_URL.into(),
            sha256: releases.sha256.clone(),
            latest_published: releases.latest_published().map(|r| r.version.clone()),
        }),
        racks: planned,
        summary,
    })
}

/// Two racks of orgs that turn out to reach one account, with the same region and name, are one stack:
/// planning both would race two changes on it.
fn same_stack_twice(racks: &[Rack], live: &LiveState) -> Vec<PlanProblem> {
    let mut first: BTreeMap<(&str, &str, &str), &Rack> = BTreeMap::new();
    let mut problems = Vec::new();
    for rack in racks {
        let Some(account) = live.accounts.get(&rack.org) else {
            continue;
        };
        let key = (account.as_str(), rack.region.as_str(), rack.name.as_str());
        match first.get(&key) {
            Some(earlier) => problems.push(PlanProblem {
                rack: rack.id(),
                message: format!(
                    "is the same stack as {} (account {account}, {}, stack {}): both orgs' credentials reach that account",
                    earlier.id(),
                    rack.region,
                    rack.name
                ),
                hint: Some("declare the rack once, or give each org its `account_id` and the right profile".into()),
                span: Some(rack.spans.name.clone()),
            }),
            None => {
                first.insert(key, rack);
            }
        }
    }
    problems
}

fn summarise(racks: &[RackPlan]) -> Summary {
    let mut summary = Summary::default();
    for rack in racks {
        match rack.action {
            Action::Install(_) => summary.install += 1,
            Action::Update(_) => summary.update += 1,
            Action::Upgrade(_) => summary.upgrade += 1,
            Action::Reinstall(_) => summary.reinstall += 1,
            Action::ContinueRollback => summary.continue_rollback += 1,
            Action::Uninstall(_) => summary.uninstall += 1,
            Action::Unchanged => summary.unchanged += 1,
            Action::Blocked(_) => summary.blocked += 1,
        }
    }
    summary
}

fn accounts_read(racks: &[Rack], live: &LiveState) -> Vec<AccountRead> {
    let mut regions: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for rack in racks {
        regions.entry(&rack.org).or_default().insert(&rack.region);
    }
    regions
        .into_iter()
        .filter_map(|(org, regions)| {
            Some(AccountRead {
                org: org.to_string(),
                account_id: live.accounts.get(org)?.clone(),
                regions: regions.into_iter().map(str::to_string).collect(),
            })
        })
        .collect()
}

/// Stacks that are racks (see `Stack::is_rack`) in the accounts and regions read, that no planned rack names.
fn undeclared(racks: &[Rack], live: &LiveState) -> Vec<UndeclaredRack> {
    let declared: BTreeSet<(&str, &str, &str)> = racks
        .iter()
        .filter_map(|r| {
            Some((
                live.accounts.get(&r.org)?.as_str(),
                r.region.as_str(),
                r.name.as_str(),
            ))
        })
        .collect();
    let mut org_of_account: BTreeMap<&str, &str> = BTreeMap::new();
    for rack in racks {
        if let Some(account) = live.accounts.get(&rack.org) {
            org_of_account.entry(account).or_insert(&rack.org);
        }
    }
    let mut found = Vec::new();
    for ((account, region), stacks) in &live.stacks {
        for stack in stacks.values() {
            if crate::convox::is_rack(stack)
                && !declared.contains(&(account.as_str(), region.as_str(), stack.name.as_str()))
            {
                found.push(UndeclaredRack {
                    org: org_of_account
                        .get(account.as_str())
                        .copied()
                        .unwrap_or_default()
                        .to_string(),
                    account_id: account.clone(),
                    region: region.clone(),
                    name: stack.name.clone(),
                    status: stack.status.clone(),
                });
            }
        }
    }
    found
}

/// `declared`: every rack of racks.toml, targeted or not; none of them is ever deleted as another's app.
fn plan_rack(
    rack: &Rack,
    declared: &[Rack],
    live: &LiveState,
    recover: bool,
) -> Result<RackPlan, Vec<PlanProblem>> {
    let Some(account) = live.accounts.get(&rack.org).cloned() else {
        return Err(vec![PlanProblem {
            rack: rack.id(),
            message: format!("the account of org `{}` was not read", rack.org),
            hint: Some("this is a bug in rackfile: please report it".into()),
            span: None,
        }]);
    };
    let stack = live.stack(&account, &rack.region, &rack.name);
    let mut held = Vec::new();
    let mut notes = Vec::new();
    let mut warnings = Vec::new();
    let action = if let Some(stack) = stack.filter(|stack| !crate::convox::is_rack(stack)) {
        Action::Blocked(not_a_rack(stack))
    } else if rack.absent {
        match stack {
            None => Action::Unchanged,
            Some(stack) => plan_uninstall(rack, stack, declared, &account, live)?,
        }
    } else {
        let releases = convox_releases(rack, live)?;
        if let Some(releases) = releases {
            check_release(rack, releases, &mut notes, &mut warnings)?;
        }
        match stack {
            Some(stack) => match stack.state() {
                StackState::FailedInstall if recover => {
                    match protected(stack, "reinstalled (deleted, then installed again)") {
                        Some(blocked) => Action::Blocked(blocked),
                        None => {
                            let summary = template_summary(rack, &account, live)?;
                            notes.extend(unchecked(rack, &summary));
                            Action::Reinstall(plan_install(rack, &summary, &account, live)?)
                        }
                    }
                }
                StackState::RollbackFailed if recover => Action::ContinueRollback,
                _ => match blocked(stack) {
                    Some(blocked) => Action::Blocked(blocked),
                    None => plan_live_rack(
                        rack, stack, releases, &account, live, &mut held, &mut notes,
                    )?,
                },
            },
            None => {
                let summary = template_summary(rack, &account, live)?;
                notes.extend(unchecked(rack, &summary));
                Action::Install(plan_install(rack, &summary, &account, live)?)
            }
        }
    };
    Ok(RackPlan {
        rack: rack.id(),
        org: rack.org.clone(),
        name: rack.name.clone(),
        region: rack.region.clone(),
        account_id: account,
        action,
        stack: stack.map(StackFingerprint::of),
        held,
        notes,
        warnings,
        preflight: Vec::new(),
    })
}

/// A live rack that accepts changes: an update, an upgrade in steps, or a downgrade refused.
fn plan_live_rack(
    rack: &Rack,
    stack: &Stack,
    releases: Option<&Releases>,
    account: &str,
    live: &LiveState,
    held: &mut Vec<Held>,
    notes: &mut Vec<String>,
) -> Result<Action, Vec<PlanProblem>> {
    let summary = template_summary(rack, account, live)?;
    notes.extend(unchecked(rack, &summary));
    let live_version = stack.parameters.get("Version");
    let route = match (releases, live_version) {
        (Some(releases), Some(live_version)) => releases.route(live_version, &rack.version),
        _ => Route::Direct,
    };
    Ok(match route {
        Route::Downgrade => {
            let live_version = live_version.map_or("", String::as_str);
            Action::Blocked(Blocked {
                kind: BlockedKind::Downgrade,
                status: stack.status.clone(),
                reason: format!(
                    "racks.toml's version {} is an earlier Convox release than the live {live_version}: Convox does not downgrade racks; set `version` back to {live_version} (or a later release)",
                    rack.version,
                ),
            })
        }
        Route::Steps(steps) => plan_upgrade(rack, stack, &steps, account, live, held)?,
        Route::UnknownStart => {
            notes.push(format!(
                "the live version {} is not in Convox's release list, so which required releases lie between it and {} is unknown: planned as one update",
                live_version.map_or("", String::as_str),
                rack.version
            ));
            let before = || live_document(rack, account, live);
            plan_update(rack, stack, &before, &summary, account, live, held)?
        }
        Route::Stay | Route::Direct => {
            let before = || live_document(rack, account, live);
            plan_update(rack, stack, &before, &summary, account, live, held)?
        }
    })
}

/// A stack that has a declared rack's name and is not a rack: another system's, never Convox's to change.
fn not_a_rack(stack: &Stack) -> Blocked {
    Blocked {
        kind: BlockedKind::NotARack,
        status: stack.status.clone(),
        reason: format!(
            "the stack {} is not a Convox rack (it is not tagged System=convox, Type=rack, nor shaped like an untagged 2016 rack), so rackfile never updates, recovers or deletes it; give the rack another `name`, or remove it from racks.toml",
            stack.name
        ),
    }
}

/// A stack that termination protection keeps from being deleted, as a blocked rack; `None` when it is
/// not protected.
fn protected(stack: &Stack, what: &str) -> Option<Blocked> {
    stack.termination_protection.then(|| Blocked {
        kind: BlockedKind::Protected,
        status: stack.status.clone(),
        reason: format!(
            "termination protection is on, so the stack cannot be {what}; set `protect = false`, apply that, then apply this"
        ),
    })
}

/// `ensure = "absent"` of a live rack: the apps and resources Convox made for it (`convox::dependent_of`, never
/// a rack racks.toml declares in its account and region) go first, then the
/// rack; what the live template retains is named as left behind.
fn plan_uninstall(
    rack: &Rack,
    stack: &Stack,
    declared: &[Rack],
    account: &str,
    live: &LiveState,
) -> Result<Action, Vec<PlanProblem>> {
    if let Some(blocked) = protected(stack, "uninstalled") {
        return Ok(Action::Blocked(blocked));
    }
    match stack.state() {
        StackState::InProgress | StackState::Deleting | StackState::Other => {
            if let Some(blocked) = blocked(stack) {
                return Ok(Action::Blocked(blocked));
            }
        }
        _ => {}
    }
    let key = (account.to_string(), rack.region.clone(), rack.name.clone());
    let body = match live.stack_templates.get(&key) {
        Some(Ok(body)) => body,
        Some(Err(error)) => {
            return Err(vec![PlanProblem {
                rack: rack.id(),
                message: format!(
                    "cannot read the live template of stack {}, to name what its deletion leaves behind: {error}",
                    rack.name
                ),
                hint: error.hint().map(str::to_string),
                span: rack.spans.ensure.clone(),
            }]);
        }
        None => {
            return Err(vec![PlanProblem {
                rack: rack.id(),
                message: format!("the live template of stack {} was not read", rack.name),
                hint: Some("this is a bug in rackfile: please report it".into()),
                span: None,
            }]);
        }
    };
    let retained = retained_resources(body).map_err(|error| {
        vec![PlanProblem {
            rack: rack.id(),
            message: format!(
                "the live template of stack {} cannot be read: {}",
                rack.name, error.message
            ),
            hint: None,
            span: rack.spans.ensure.clone(),
        }]
    })?;
    // An org not read (not targeted) may reach this account too: its racks count as declared here.
    let declared: BTreeSet<&str> = declared
        .iter()
        .filter(|other| {
            other.region == rack.region
                && live
                    .accounts
                    .get(&other.org)
                    .is_none_or(|other_account| other_account == account)
        })
        .map(|other| other.name.as_str())
        .collect();
    let dependents = live
        .stacks
        .get(&(account.to_string(), rack.region.clone()))
        .map(|stacks| {
            stacks
                .values()
                .filter_map(|other| {
                    let kind = crate::convox::dependent_of(other, &rack.name, |name| {
                        declared.contains(name)
                    })?;
                    Some(DependentStack {
                        name: other.name.clone(),
                        stack_id: other.stack_id.clone(),
                        kind,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let resource_count = summary_of_body(body).map_or(0, |summary| summary.resource_count);
    Ok(Action::Uninstall(Uninstall {
        dependents,
        retained,
        resource_count,
    }))
}

/// Convox's release list, for a rack built from Convox's published templates; `None` for any other.
fn convox_releases<'a>(
    rack: &Rack,
    live: &'a LiveState,
) -> Result<Option<&'a Releases>, Vec<PlanProblem>> {
    if !rack.uses_convox_releases() {
        return Ok(None);
    }
    match &live.releases {
        Some(releases) => Ok(Some(releases)),
        None => Err(vec![PlanProblem {
            rack: rack.id(),
            message: "Convox's release list was not read".into(),
            hint: Some("this is a bug in rackfile: please report it".into()),
            span: None,
        }]),
    }
}

/// racks.toml's version against Convox's list: a version Convox never released is a problem at its line,
/// with the nearest releases; an unpublished one is a warning; one behind the latest published release
/// gets a note.
fn check_release(
    rack: &Rack,
    releases: &Releases,
    notes: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<(), Vec<PlanProblem>> {
    let version = &rack.version;
    let Some(release) = releases.get(version) else {
        let hint = releases.suggestion_for(version);
        return Err(vec![PlanProblem {
            rack: rack.id(),
            message: format!(
                "version {version} is not one of Convox's releases ({} listed in {RELEASES_URL})",
                releases.len()
            ),
            hint,
            span: rack.spans.parameters.get("Version").cloned(),
        }]);
    };
    if !release.published {
        warnings.push(format!(
            "version {version} is a Convox release that is not published (Convox publishes a release once it is tested)"
        ));
    }
    let ahead = releases.published_after(version);
    if let Some(latest) = releases.latest_published().filter(|_| ahead > 0) {
        notes.push(format!(
            "Convox's latest published release is {} ({ahead} published release{} after {version})",
            latest.version,
            if ahead == 1 { "" } else { "s" }
        ));
    }
    Ok(())
}

/// An upgrade through required releases: one full update per step, each planned against the stack as the
/// step before leaves it. Steps before the last change the release and nothing else; the last applies
/// racks.toml (its parameters, tags and version). A step that cannot be made blocks the whole upgrade.
fn plan_upgrade(
    rack: &Rack,
    stack: &Stack,
    steps: &[&Release],
    account: &str,
    live: &LiveState,
    held: &mut Vec<Held>,
) -> Result<Action, Vec<PlanProblem>> {
    let mut current = stack.clone();
    let mut planned = Vec::new();
    // Each step is analysed against the template the step before it leaves the stack with.
    let mut previous: Option<Rack> = None;
    for (index, release) in steps.iter().enumerate() {
        let last = index + 1 == steps.len();
        let step_rack = if last {
            rack.clone()
        } else {
            rack.passing_through(&release.version)
        };
        let summary = template_summary(&step_rack, account, live)?;
        let mut step_held = Vec::new();
        let before = || match &previous {
            None => live_document(rack, account, live),
            Some(previous) => planned_document(previous, live),
        };
        match plan_update(
            &step_rack,
            &current,
            &before,
            &summary,
            account,
            live,
            &mut step_held,
        )? {
            Action::Update(update) => {
                current = after_update(&current, &update, &summary);
                planned.push(Step {
                    version: release.version.clone(),
                    required: release.required,
                    update,
                });
            }
            Action::Blocked(blocked) => {
                return Ok(Action::Blocked(Blocked {
                    kind: blocked.kind,
                    status: blocked.status,
                    reason: format!(
                        "step {} of {} of the upgrade (to {}): {}",
                        index + 1,
                        steps.len(),
                        release.version,
                        blocked.reason
                    ),
                }));
            }
            _ => {}
        }
        if last {
            held.append(&mut step_held);
        }
        previous = Some(step_rack);
    }
    Ok(Action::Upgrade(Upgrade {
        from: stack.parameters.get("Version").cloned().unwrap_or_default(),
        steps: planned,
    }))
}

/// The stack as a completed update leaves it, for planning the next step against: the values sent, the
/// values kept, and the new template's defaults for parameters new to it.
fn after_update(stack: &Stack, update: &Update, summary: &TemplateSummary) -> Stack {
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
    Stack {
        status: "UPDATE_COMPLETE".into(),
        parameters,
        tags: update.tags.clone(),
        ..stack.clone()
    }
}

/// What the plan could not check because the template's body was not read.
fn unchecked(rack: &Rack, summary: &TemplateSummary) -> Option<String> {
    (summary.declarations == Declarations::SummaryOnly).then(|| {
        format!(
            "{} is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)",
            rack.template.describe()
        )
    })
}

/// Why a stack accepts no change now, as Convox and CloudFormation see it, and the way out.
fn blocked(stack: &Stack) -> Option<Blocked> {
    let (kind, reason) = match stack.state() {
        StackState::Settled | StackState::RolledBack => return None,
        StackState::InProgress => (
            BlockedKind::Busy,
            "CloudFormation is changing the stack; wait for it to finish (`rackfile status` shows when it has)",
        ),
        StackState::Deleting | StackState::Deleted => (
            BlockedKind::Deleting,
            "the stack is being deleted; plan again once it is gone",
        ),
        StackState::DeleteFailed => (
            BlockedKind::DeleteFailed,
            "its deletion failed and the stack is left half-deleted; finish the deletion (aws cloudformation delete-stack) first",
        ),
        StackState::FailedInstall => (
            BlockedKind::FailedInstall,
            "the install failed; `--recover` deletes the stack and installs it again",
        ),
        StackState::RollbackFailed => (
            BlockedKind::RollbackFailed,
            "an update failed to roll back; `--recover` continues the rollback (ContinueUpdateRollback), then applies the update",
        ),
        StackState::Other => (
            BlockedKind::Other,
            "rackfile does not change a stack in this status; see it in the CloudFormation console",
        ),
    };
    Some(Blocked {
        kind,
        status: stack.status.clone(),
        reason: reason.to_string(),
    })
}

fn template_summary(
    rack: &Rack,
    account: &str,
    live: &LiveState,
) -> Result<TemplateSummary, Vec<PlanProblem>> {
    let source = template_source(&rack.template);
    match live.templates.get(&(account.to_string(), source)) {
        Some(Ok(summary)) => Ok(summary.clone()),
        Some(Err(error)) => Err(vec![PlanProblem {
            rack: rack.id(),
            message: format!("cannot read the template {}: {error}", rack.template.describe()),
            hint: error.hint().map(str::to_string).or_else(|| match &rack.template {
                Template::Url { .. } => Some("check `version` and `template_url`: the URL must name a published template".into()),
                Template::File { .. } => None,
            }),
            span: None,
        }]),
        None => Err(vec![PlanProblem {
            rack: rack.id(),
            message: format!("the template {} was not read", rack.template.describe()),
            hint: Some("this is a bug in rackfile: please report it".into()),
            span: None,
        }]),
    }
}

fn template_plan(rack: &Rack) -> TemplatePlan {
    match &rack.template {
        Template::Url { url, .. } => TemplatePlan::Url { url: url.clone() },
        Template::File { path, body } => TemplatePlan::File {
            path: path.display().to_string(),
            sha256: sha256_hex(body.as_bytes()),
            body: body.clone(),
        },
    }
}

fn plan_install(
    rack: &Rack,
    summary: &TemplateSummary,
    account: &str,
    live: &LiveState,
) -> Result<Install, Vec<PlanProblem>> {
    let mut problems = parameters_exist(rack, summary);
    let mut parameters = rack.managed_parameters();
    // SSM-typed parameters are given explicitly (their default path), so updates can keep them with
    // UsePreviousValue: DescribeStacks may show their resolved value, which is not what was set.
    for (name, declared) in &summary.parameters {
        if declared.names_ssm_parameter()
            && let Some(default) = &declared.default
        {
            parameters
                .entry(name.clone())
                .or_insert_with(|| default.clone());
        }
    }
    let has_password = summary.parameters.contains_key("Password");
    for (name, parameter) in &summary.parameters {
        if parameter.default.is_none() && !parameters.contains_key(name) && name != "Password" {
            problems.push(PlanProblem {
                rack: rack.id(),
                message: format!(
                    "the template requires parameter `{name}`, which racks.toml does not set"
                ),
                hint: Some(format!("add it under [rack.parameters]: {name} = \"...\"")),
                span: Some(rack.spans.name.clone()),
            });
        }
    }
    for (name, value) in &parameters {
        problems.extend(value_allowed(rack, summary, name, value, Origin::RacksToml));
    }
    if let Some(variable) = &rack.password_env
        && has_password
    {
        problems.extend(env_password(
            rack,
            summary,
            variable,
            live.password_env_values.get(variable),
        ));
    }
    let password = match (has_password, &rack.password_env, &rack.password_ssm) {
        (false, _, _) => None,
        (true, Some(variable), _) => Some(PasswordSource::Env {
            variable: variable.clone(),
        }),
        (true, None, Some(parameter)) => {
            let key = (account.to_string(), rack.region.clone(), parameter.clone());
            match ssm_password(rack, summary, parameter, live.ssm_passwords.get(&key)) {
                Ok(source) => Some(source),
                Err(mut found) => {
                    problems.append(&mut found);
                    None
                }
            }
        }
        (true, None, None) => Some(PasswordSource::Generate),
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let template_defaults = TYPED_PARAMETERS
        .iter()
        .filter(|(name, _)| !parameters.contains_key(*name))
        .filter_map(|(name, _)| {
            let declared = summary.parameters.get(*name)?;
            Some((name.to_string(), declared.default.clone()?))
        })
        .collect();
    Ok(Install {
        template: template_plan(rack),
        parameters,
        template_defaults,
        password,
        tags: rack.managed_tags(),
        termination_protection: rack.protect.unwrap_or(false),
        resource_count: summary.resource_count,
    })
}

/// Parameters of a live rack that racks.toml does not change after install: `ignore_changes`, and the
/// counts Convox's autoscaler owns while the rack's Autoscale is Yes (racks.toml's value, else the live
/// one, else the template's default).
fn held_parameters(
    rack: &Rack,
    stack: &Stack,
    summary: &TemplateSummary,
    managed: &BTreeMap<String, String>,
) -> BTreeMap<String, HeldReason> {
    let autoscale = managed
        .get("Autoscale")
        .or_else(|| stack.parameters.get("Autoscale"))
        .or_else(|| {
            summary
                .parameters
                .get("Autoscale")
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

/// Convox's rule for a parameter change, in the words the plan shows. A rolling replacement says how
/// many instances at a time, from the batch size the update leaves the rack with.
fn impact_of(name: &str, batch_size: Option<&str>) -> Option<Impact> {
    let rule = rule_for(name)?;
    let says = match rule.effect {
        Effect::RollingReplacement => format!(
            "{} (rolling, {} at a time)",
            rule.says,
            batch_size.unwrap_or("1")
        ),
        _ => rule.says.to_string(),
    };
    Some(Impact {
        effect: rule.effect,
        says,
        source: rule.source.to_string(),
    })
}

/// Convox's rules for instances and subnets are what its templates do; where both templates can be analysed,
/// the analysis says it of the template at hand (which may differ) and the rule's label goes. Install-only
/// and data-loss rules stay: they say what no template can.
fn supersede_rules_the_template_answers(
    update: &mut Update,
    before: &Result<Arc<Value>, String>,
    after: &Result<Arc<Value>, String>,
) {
    if before.is_err() || after.is_err() {
        return;
    }
    for change in &mut update.changes {
        if change.impact.as_ref().is_some_and(|impact| {
            matches!(
                impact.effect,
                Effect::RollingReplacement | Effect::RecreatesSubnets
            )
        }) {
            change.impact = None;
        }
    }
}

/// The live template of a rack's stack, parsed, or why it is not known.
fn live_document(rack: &Rack, account: &str, live: &LiveState) -> Result<Arc<Value>, String> {
    let key = (account.to_string(), rack.region.clone(), rack.name.clone());
    // The template cache showed the live template to be this very file.
    if live.unchanged_templates.contains(&key)
        && let Template::File { .. } = &rack.template
    {
        return planned_document(rack, live);
    }
    match live.stack_templates.get(&key) {
        Some(Ok(body)) => parse_document(body)
            .map(Arc::new)
            .map_err(|error| format!("the live template cannot be parsed: {error}")),
        Some(Err(error)) => Err(format!("cannot read the live template: {error}")),
        None => Err("the live template was not read".into()),
    }
}

/// The template a rack is planned with, parsed, or why its resources are not known.
fn planned_document(rack: &Rack, live: &LiveState) -> Result<Arc<Value>, String> {
    live.template_documents
        .get(&template_source(&rack.template))
        .cloned()
        .ok_or_else(|| {
            format!(
                "{} is read through GetTemplateSummary, which does not return its resources",
                rack.template.describe()
            )
        })
}

/// `before`: the template the stack has before this update (read only when something is to be analysed).
fn plan_update(
    rack: &Rack,
    stack: &Stack,
    before: &dyn Fn() -> Result<Arc<Value>, String>,
    summary: &TemplateSummary,
    account: &str,
    live: &LiveState,
    held: &mut Vec<Held>,
) -> Result<Action, Vec<PlanProblem>> {
    // Destructured so that a new setting breaks the build here until someone decides how it is planned.
    let Rack {
        org: _,
        name: _,
        region,
        version,
        instance_type: _,
        instance_count: _,
        private: _,
        template,
        password_env: _, // only read at install; updates keep the live password
        password_ssm: _,
        parameters: _,
        tags: _,
        ignore_changes: _, // read by held_parameters
        absent: _,         // an absent rack is uninstalled, never updated
        protect,
        declared_at: _,
        spans: _,
    } = rack;
    let problems = parameters_exist(rack, summary);
    if !problems.is_empty() {
        return Err(problems);
    }
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
    let parameters = update_parameters(&managed, stack, summary);
    let batch_size = match parameters.get("InstanceUpdateBatchSize") {
        Some(ParameterValue::Value(size)) => Some(size.as_str()),
        _ => None,
    };
    let mut changes = Vec::new();
    let mut install_only = Vec::new();

    for (name, desired) in &managed {
        let declared = summary.parameters.get(name);
        // A parameter new to the template has its default on the rack until now.
        let live_value = stack
            .parameters
            .get(name)
            .or_else(|| declared.and_then(|p| p.default.as_ref()));
        if live_value == Some(desired) {
            continue;
        }
        let sensitive = declared.is_some_and(|p| p.no_echo);
        let impact = impact_of(name, batch_size);
        if let Some(impact) = &impact
            && impact.effect == Effect::InstallOnly
            && live_value.is_some()
        {
            // Quoted (and so escaped): the reason is shown a line per change.
            install_only.push(format!(
                "{name} is set at install only ({:?} -> {:?}): {}; keep racks.toml at the live value, or install a new rack (source: {})",
                live_value.map_or("(none)", String::as_str),
                desired,
                impact.says,
                impact.source
            ));
            continue;
        }
        changes.push(Change {
            kind: ChangeKind::Parameter,
            name: name.clone(),
            before: if sensitive { None } else { live_value.cloned() },
            after: if sensitive {
                None
            } else {
                Some(desired.clone())
            },
            sensitive,
            diff: None,
            impact,
            reach: None,
        });
    }
    if !install_only.is_empty() {
        return Ok(Action::Blocked(Blocked {
            kind: BlockedKind::InstallOnly,
            status: stack.status.clone(),
            reason: install_only.join("\n"),
        }));
    }

    match template {
        Template::Url { url, pattern } => {
            // A live stack does not record its template URL; with Convox the URL follows the version, so a
            // version change is a template change. Showing the old URL beside the new one says so.
            if let Some(live_version) = stack.parameters.get("Version")
                && live_version != version
                && pattern.contains("{version}")
            {
                changes.push(Change {
                    kind: ChangeKind::Template,
                    name: "template".into(),
                    before: Some(pattern.replace("{version}", live_version)),
                    after: Some(url.clone()),
                    sensitive: false,
                    diff: None,
                    impact: None,
                    reach: None,
                });
            }
        }
        Template::File { .. }
            if live.unchanged_templates.contains(&(
                account.to_string(),
                region.clone(),
                rack.name.clone(),
            )) => {}
        Template::File { path, body } => {
            let key = (account.to_string(), region.clone(), rack.name.clone());
            match live.stack_templates.get(&key) {
                Some(Ok(live_body)) if live_body.trim_end() == body.trim_end() => {}
                Some(Ok(live_body)) => {
                    let file = path.display().to_string();
                    let text_diff = TextDiff::from_lines(live_body.as_str(), body.as_str())
                        .unified_diff()
                        .context_radius(2)
                        .header("live template", &file)
                        .to_string();
                    changes.push(Change {
                        kind: ChangeKind::Template,
                        name: "template".into(),
                        before: Some("live template".into()),
                        after: Some(file),
                        sensitive: false,
                        diff: Some(text_diff),
                        impact: None,
                        reach: None,
                    });
                }
                Some(Err(error)) => {
                    return Err(vec![PlanProblem {
                        rack: rack.id(),
                        message: format!(
                            "cannot read the live template of stack {}: {error}",
                            rack.name
                        ),
                        hint: error.hint().map(str::to_string),
                        span: None,
                    }]);
                }
                None => {
                    return Err(vec![PlanProblem {
                        rack: rack.id(),
                        message: format!("the live template of stack {} was not read", rack.name),
                        hint: Some("this is a bug in rackfile: please report it".into()),
                        span: None,
                    }]);
                }
            }
        }
    }

    let mut tags = stack.tags.clone();
    for (key, desired) in rack.managed_tags() {
        let live_value = stack.tags.get(&key);
        if live_value != Some(&desired) {
            changes.push(Change {
                kind: ChangeKind::Tag,
                name: key.clone(),
                before: live_value.cloned(),
                after: Some(desired.clone()),
                sensitive: false,
                diff: None,
                impact: None,
                reach: None,
            });
        }
        tags.insert(key, desired);
    }

    let termination_protection = protect.filter(|wanted| *wanted != stack.termination_protection);
    if let Some(wanted) = termination_protection {
        changes.push(Change {
            kind: ChangeKind::TerminationProtection,
            name: "termination protection".into(),
            before: Some(on_off(stack.termination_protection).into()),
            after: Some(on_off(wanted).into()),
            sensitive: false,
            diff: None,
            impact: None,
            reach: None,
        });
    }

    if changes.is_empty() {
        return Ok(Action::Unchanged);
    }
    // Every value the update sends must satisfy the template it is applied with, the live ones kept
    // included: a new release can refuse what the old one accepted.
    let mut problems = Vec::new();
    for (name, value) in &parameters {
        if let ParameterValue::Value(value) = value {
            let origin = if managed.contains_key(name) {
                Origin::RacksToml
            } else {
                Origin::Live
            };
            problems.extend(value_allowed(rack, summary, name, value, origin));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut update = Update {
        template: template_plan(rack),
        parameters,
        changes,
        tags,
        resource_count: summary.resource_count,
        termination_protection,
        impact: None,
    };
    if !update
        .changes
        .iter()
        .any(|change| change.kind.reaches_resources())
    {
        return Ok(Action::Update(update));
    }
    let after_values = after_update(stack, &update, summary).parameters;
    let pseudo = Pseudo {
        region: region.clone(),
        stack_name: rack.name.clone(),
        account_id: account.to_string(),
    };
    let (before, after) = (before(), planned_document(rack, live));
    supersede_rules_the_template_answers(&mut update, &before, &after);
    update.impact = super::impact::analyse_update(
        before.as_deref().map_err(Clone::clone),
        &stack.parameters,
        after.as_deref().map_err(Clone::clone),
        &after_values,
        &pseudo,
        &mut update.changes,
    );
    Ok(Action::Update(update))
}

fn on_off(enabled: bool) -> &'static str {
    if enabled { "on" } else { "off" }
}

/// The UpdateStack parameter list, over the parameters of the template being applied: managed ones get
/// their value; other live ones are kept, by value when CloudFormation shows it and by UsePreviousValue for
/// NoEcho and SSM-typed ones (always set explicitly at install: DescribeStacks hides the first and may show
/// the second resolved); parameters new to the template take their default.
/// (DESIGN.md section 6: this is right on AWS and also works on moto.)
fn update_parameters(
    managed: &BTreeMap<String, String>,
    stack: &Stack,
    summary: &TemplateSummary,
) -> BTreeMap<String, ParameterValue> {
    let mut parameters = BTreeMap::new();
    for (name, declared) in &summary.parameters {
        let value = if let Some(desired) = managed.get(name) {
            ParameterValue::Value(desired.clone())
        } else if let Some(live_value) = stack.parameters.get(name) {
            if declared.no_echo || declared.names_ssm_parameter() {
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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};
    use std::path::PathBuf;

    use std::collections::BTreeSet;

    use super::*;
    use crate::cloud::{CloudError, CloudErrorKind, TemplateParameter, TemplateSource};
    use crate::config::{OrgSettings, RackSpans};
    use crate::convox::Dependent;
    use crate::diag::Location;

    const ACCOUNT: &str = "123456789012";
    const URL: &str = "https://convox.s3.amazonaws.com/release/2/formation.json";
    const PATTERN: &str = crate::config::DEFAULT_TEMPLATE_URL;

    fn rack() -> Rack {
        Rack {
            org: "personal".into(),
            name: "example".into(),
            region: "us-east-1".into(),
            version: "2".into(),
            instance_type: Some("t2.small".into()),
            instance_count: Some(3),
            private: Some(false),
            template: Template::Url {
                url: URL.into(),
                pattern: PATTERN.into(),
            },
            password_env: None,
            password_ssm: None,
            parameters: BTreeMap::new(),
            tags: BTreeMap::new(),
            ignore_changes: BTreeSet::new(),
            absent: false,
            protect: None,
            declared_at: Location { line: 1, column: 1 },
            spans: RackSpans::default(),
        }
    }

    fn config() -> Config {
        Config {
            path: PathBuf::from("racks.toml"),
            fingerprint: "f".repeat(64),
            source: String::new(),
            orgs: BTreeMap::from([(
                "personal".to_string(),
                OrgSettings {
                    name: "personal".into(),
                    profile: None,
                    account_id: None,
                },
            )]),
            racks: Vec::new(),
        }
    }

    fn summary() -> TemplateSummary {
        let parameter = |default: Option<&str>, no_echo| TemplateParameter {
            kind: "String".into(),
            default: default.map(str::to_string),
            no_echo,
            ..TemplateParameter::default()
        };
        TemplateSummary {
            parameters: BTreeMap::from([
                ("Ami".to_string(), parameter(Some(""), false)),
                ("Autoscale".to_string(), parameter(Some("No"), false)),
                ("InstanceCount".to_string(), parameter(Some("3"), false)),
                (
                    "InstanceType".to_string(),
                    parameter(Some("t2.small"), false),
                ),
                ("Key".to_string(), parameter(Some(""), true)),
                ("NewInRelease".to_string(), parameter(Some("x"), false)),
                ("Password".to_string(), parameter(None, true)),
                ("Private".to_string(), parameter(Some("No"), false)),
                ("Version".to_string(), parameter(None, false)),
            ]),
            resource_count: 11,
            declarations: Declarations::Complete,
        }
    }

    /// A stack exactly as `rack()` would be installed, plus an unmanaged parameter and tag set by hand.
    fn stack(status: &str) -> Stack {
        Stack {
            stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/example/1".into(),
            name: "example".into(),
            status: status.into(),
            status_reason: None,
            last_updated: "2026-11-01T00:00:00Z".into(),
            parameters: BTreeMap::from([
                ("Ami".to_string(), "ami-123".to_string()),
                ("Autoscale".to_string(), "No".to_string()),
                ("InstanceCount".to_string(), "3".to_string()),
                ("InstanceType".to_string(), "t2.small".to_string()),
                ("Key".to_string(), "****".to_string()),
                ("Password".to_string(), "****".to_string()),
                ("Private".to_string(), "No".to_string()),
                ("Version".to_string(), "2".to_string()),
            ]),
            tags: BTreeMap::from([
                ("System".to_string(), "convox".to_string()),
                ("Type".to_string(), "rack".to_string()),
                ("cost-center".to_string(), "42".to_string()),
            ]),
            outputs: BTreeMap::new(),
            termination_protection: false,
            parent_id: None,
        }
    }

    fn live(stacks: Vec<Stack>, rack: &Rack) -> LiveState {
        let mut state = LiveState::default();
        state.accounts.insert("personal".into(), ACCOUNT.into());
        state.stacks.insert(
            (ACCOUNT.into(), "us-east-1".into()),
            stacks.into_iter().map(|s| (s.name.clone(), s)).collect(),
        );
        state.templates.insert(
            (ACCOUNT.into(), template_source(&rack.template)),
            Ok(summary()),
        );
        state.releases = Some(releases(&[
            ("1", true, false),
            ("2", true, false),
            ("3", true, false),
        ]));
        // A rack's `password_env` is set, to a password the template accepts.
        if let Some(variable) = &rack.password_env {
            state
                .password_env_values
                .insert(variable.clone(), crate::cloud::Secret::new("pw"));
        }
        if let Template::File { .. } = rack.template {
            state.stack_templates = HashMap::from([(
                (
                    ACCOUNT.to_string(),
                    "us-east-1".to_string(),
                    "example".to_string(),
                ),
                Ok("Resources: {}\n".to_string()),
            )]);
        }
        state
    }

    fn releases(list: &[(&str, bool, bool)]) -> Releases {
        let json: Vec<String> = list
            .iter()
            .map(|(version, published, required)| {
                format!(r#"{{"version": "{version}", "published": {published}, "required": {required}}}"#)
            })
            .collect();
        Releases::parse(&format!("[{}]", json.join(","))).unwrap()
    }

    fn url_of(version: &str) -> String {
        PATTERN.replace("{version}", version)
    }

    /// Releases 1 to 5, 3 required, 5 not published yet, with a template for each.
    fn with_required_release(state: &mut LiveState) {
        state.releases = Some(releases(&[
            ("1", true, false),
            ("2", true, false),
            ("3", true, true),
            ("4", true, false),
            ("5", false, false),
        ]));
        for version in ["3", "4", "5"] {
            state.templates.insert(
                (ACCOUNT.into(), TemplateSource::Url(url_of(version))),
                Ok(summary()),
            );
        }
    }

    fn plan_with_required_release(rack: Rack) -> Result<Plan, Vec<PlanProblem>> {
        let mut state = live(vec![stack("UPDATE_COMPLETE")], &rack);
        with_required_release(&mut state);
        diff(&config(), &[rack], &state, false)
    }

    #[test]
    fn a_version_change_across_a_required_release_is_planned_in_steps() {
        let mut rack = rack();
        rack.version = "4".into();
        rack.template = Template::Url {
            url: url_of("4"),
            pattern: PATTERN.into(),
        };
        rack.instance_type = Some("m5.large".into());
        rack.protect = Some(true);
        let plan = plan_with_required_release(rack).unwrap();
        assert_eq!(plan.summary.upgrade, 1);
        let Action::Upgrade(upgrade) = &plan.racks[0].action else {
            panic!("not an upgrade: {:?}", plan.racks[0].action);
        };
        assert_eq!(upgrade.path(), "2 > 3 (required) > 4");
        let [first, second] = &upgrade.steps[..] else {
            panic!("two steps: {upgrade:?}");
        };
        // The step through the required release changes the release and nothing else.
        let names = |step: &Step| -> Vec<String> {
            step.update.changes.iter().map(|c| c.name.clone()).collect()
        };
        assert_eq!(names(first), ["Version", "template"]);
        assert_eq!(first.update.termination_protection, None);
        assert_eq!(
            first.update.template,
            TemplatePlan::Url { url: url_of("3") }
        );
        assert_eq!(
            first.update.parameters["InstanceType"],
            ParameterValue::Value("t2.small".into())
        );
        // The last step starts where the first leaves the rack, and applies racks.toml.
        assert_eq!(
            names(second),
            [
                "InstanceType",
                "Version",
                "template",
                "termination protection"
            ]
        );
        assert_eq!(second.update.termination_protection, Some(true));
        assert_eq!(
            second.update.changes[1].before.as_deref(),
            Some("3"),
            "{second:?}"
        );
        assert_eq!(
            second.update.changes[2].before.as_deref(),
            Some(url_of("3").as_str())
        );
        assert_eq!(
            second.update.parameters["InstanceType"],
            ParameterValue::Value("m5.large".into())
        );
        assert_eq!(second.update.parameters["Key"], ParameterValue::UsePrevious);
    }

    #[test]
    fn each_step_of_an_upgrade_is_analysed_against_the_template_the_step_before_leaves() {
        let mut rack = rack();
        rack.version = "4".into();
        rack.template = Template::Url {
            url: url_of("4"),
            pattern: PATTERN.into(),
        };
        let mut state = live(vec![stack("UPDATE_COMPLETE")], &rack);
        with_required_release(&mut state);
        // Release 3 adds a queue; release 4 keeps the template of 3.
        let live_body = INSTANCES_TEMPLATE;
        let mut with_queue = parse_document(live_body).unwrap();
        with_queue["Resources"]["Queue"] = serde_json::json!({"Type": "AWS::SQS::Queue"});
        let with_queue = Arc::new(with_queue);
        state
            .template_documents
            .insert(TemplateSource::Url(url_of("3")), with_queue.clone());
        state
            .template_documents
            .insert(TemplateSource::Url(url_of("4")), with_queue);
        state.stack_templates.insert(
            (ACCOUNT.into(), "us-east-1".into(), "example".into()),
            Ok(live_body.into()),
        );
        let plan = diff(&config(), std::slice::from_ref(&rack), &state, false).unwrap();
        let Action::Upgrade(upgrade) = &plan.racks[0].action else {
            panic!("not an upgrade: {:?}", plan.racks[0].action);
        };
        let reach = |step: &Step| -> Vec<Option<String>> {
            step.update
                .changes
                .iter()
                .filter(|c| c.kind == ChangeKind::Template)
                .map(|c| c.reach.clone())
                .collect()
        };
        assert_eq!(reach(&upgrade.steps[0]), [Some("adds Queue".to_string())]);
        // Against the live template it would add the queue again; against step 1's, nothing differs.
        assert_eq!(
            reach(&upgrade.steps[1]),
            [Some("reaches no resource".to_string())]
        );
    }

    #[test]
    fn a_version_change_with_no_required_release_between_is_one_update() {
        let mut rack = rack();
        rack.version = "3".into();
        rack.template = Template::Url {
            url: url_of("3"),
            pattern: PATTERN.into(),
        };
        let plan = plan_with_required_release(rack).unwrap();
        assert!(matches!(plan.racks[0].action, Action::Update(_)));
    }

    #[test]
    fn a_downgrade_is_blocked_with_the_reason() {
        let mut rack = rack();
        rack.version = "1".into();
        rack.template = Template::Url {
            url: url_of("1"),
            pattern: PATTERN.into(),
        };
        let mut state = live(vec![stack("UPDATE_COMPLETE")], &rack);
        with_required_release(&mut state);
        let plan = diff(&config(), &[rack], &state, false).unwrap();
        let Action::Blocked(blocked) = &plan.racks[0].action else {
            panic!("not blocked: {:?}", plan.racks[0].action);
        };
        assert!(
            blocked
                .reason
                .contains("earlier Convox release than the live 2"),
            "{}",
            blocked.reason
        );
    }

    #[test]
    fn an_unknown_version_is_a_problem_at_its_line_naming_the_nearest_releases() {
        let mut beyond = rack();
        beyond.version = "35".into();
        beyond.spans.parameters.insert("Version".into(), 10..14);
        let problems = plan_with_required_release(beyond).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0]
                .message
                .contains("version 35 is not one of Convox's releases")
        );
        assert_eq!(
            problems[0].hint.as_deref(),
            Some("the last release is 5; the latest published one is 4")
        );
        assert_eq!(problems[0].span, Some(10..14));
        let mut between = rack();
        between.version = "2.5".into();
        let problems = plan_with_required_release(between).unwrap_err();
        assert_eq!(
            problems[0].hint.as_deref(),
            Some("the nearest releases are 2 (before) and 3 (after)")
        );
    }

    #[test]
    fn an_unpublished_version_is_a_warning_and_a_rack_behind_the_latest_gets_a_note() {
        let mut ahead = rack();
        ahead.version = "5".into();
        ahead.template = Template::Url {
            url: url_of("5"),
            pattern: PATTERN.into(),
        };
        let plan = plan_with_required_release(ahead).unwrap();
        assert_eq!(plan.racks[0].warnings.len(), 1, "{:?}", plan.racks[0]);
        assert!(plan.racks[0].warnings[0].contains("not published"));
        assert!(plan.racks[0].notes.is_empty());

        let mut behind = rack();
        behind.instance_count = Some(4);
        let plan = plan_with_required_release(behind).unwrap();
        assert_eq!(
            plan.racks[0].notes,
            ["Convox's latest published release is 4 (2 published releases after 2)"]
        );
        assert!(matches!(plan.racks[0].action, Action::Update(_)));
    }

    #[test]
    fn a_rack_with_its_own_template_url_never_needs_the_release_list() {
        let mut own = rack();
        own.version = "not-a-release".into();
        own.template = Template::Url {
            url: "https://example.com/not-a-release/rack.json".into(),
            pattern: "https://example.com/{version}/rack.json".into(),
        };
        let mut state = live(vec![], &own);
        state.releases = None;
        let plan = diff(&config(), &[own], &state, false).unwrap();
        assert!(matches!(plan.racks[0].action, Action::Install(_)));
        assert_eq!(plan.releases, None);
    }

    fn plan_of(rack: Rack, stacks: Vec<Stack>) -> Result<Plan, Vec<PlanProblem>> {
        let state = live(stacks, &rack);
        diff(&config(), &[rack], &state, false)
    }

    fn only_action(rack: Rack, stacks: Vec<Stack>) -> Action {
        plan_of(rack, stacks).unwrap().racks.remove(0).action
    }

    fn changes(rack: Rack) -> Vec<(String, Option<String>, Option<String>)> {
        match only_action(rack, vec![stack("UPDATE_COMPLETE")]) {
            Action::Update(update) => update
                .changes
                .into_iter()
                .map(|c| (c.name, c.before, c.after))
                .collect(),
            other => panic!("expected an update, got {other:?}"),
        }
    }

    fn change(name: &str, before: &str, after: &str) -> (String, Option<String>, Option<String>) {
        (name.into(), Some(before.into()), Some(after.into()))
    }

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
    fn a_missing_stack_is_installed_with_every_managed_parameter_and_tag() {
        let mut rack = rack();
        rack.password_env = Some("RACK_PASSWORD".into());
        rack.parameters.insert("Autoscale".into(), "Yes".into());
        rack.tags.insert("team".into(), "platform".into());
        let Action::Install(install) = only_action(rack, vec![]) else {
            panic!("expected an install")
        };
        assert_eq!(
            install.parameters,
            BTreeMap::from([
                ("Autoscale".to_string(), "Yes".to_string()),
                ("InstanceCount".to_string(), "3".to_string()),
                ("InstanceType".to_string(), "t2.small".to_string()),
                ("Private".to_string(), "No".to_string()),
                ("Version".to_string(), "2".to_string()),
            ])
        );
        assert_eq!(
            install.password,
            Some(PasswordSource::Env {
                variable: "RACK_PASSWORD".into()
            })
        );
        assert_eq!(install.tags["System"], "convox");
        assert_eq!(install.tags["team"], "platform");
        assert_eq!(install.template, TemplatePlan::Url { url: URL.into() });
        assert_eq!(install.resource_count, 11);
    }

    #[test]
    fn without_password_env_the_password_is_generated() {
        let Action::Install(install) = only_action(rack(), vec![]) else {
            panic!()
        };
        assert_eq!(install.password, Some(PasswordSource::Generate));
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
        assert_eq!(blocked.status, "UPDATE_COMPLETE");
        assert!(
            blocked
                .reason
                .starts_with("Private is set at install only (\"No\" -> \"Yes\")")
                && blocked.reason.contains("convox/rack#2975"),
            "{}",
            blocked.reason
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
        state.templates.insert(
            (ACCOUNT.into(), template_source(&upgraded.template)),
            Ok(strict),
        );
        let problems = diff(&config(), &[upgraded], &state, false).unwrap_err();
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
    fn org_region_and_name_choose_the_stack() {
        let mut elsewhere = rack();
        elsewhere.name = "other".into();
        assert!(matches!(
            only_action(elsewhere, vec![stack("CREATE_COMPLETE")]),
            Action::Install(_)
        ));
        let mut other_region = rack();
        other_region.region = "eu-west-1".into();
        let mut state = live(vec![stack("CREATE_COMPLETE")], &other_region);
        state
            .stacks
            .insert((ACCOUNT.into(), "eu-west-1".into()), BTreeMap::new());
        let plan = diff(&config(), &[other_region], &state, false).unwrap();
        assert!(matches!(plan.racks[0].action, Action::Install(_)));
        assert_eq!(
            plan.not_in_racks_toml.len(),
            1,
            "the us-east-1 rack is not declared any more"
        );
    }

    #[test]
    fn busy_or_broken_stacks_are_blocked_with_a_reason() {
        for (status, kind, reason) in [
            ("CREATE_IN_PROGRESS", BlockedKind::Busy, "wait for it"),
            (
                "UPDATE_ROLLBACK_IN_PROGRESS",
                BlockedKind::Busy,
                "wait for it",
            ),
            ("DELETE_IN_PROGRESS", BlockedKind::Deleting, "being deleted"),
            (
                "ROLLBACK_COMPLETE",
                BlockedKind::FailedInstall,
                "`--recover` deletes the stack",
            ),
            (
                "UPDATE_ROLLBACK_FAILED",
                BlockedKind::RollbackFailed,
                "`--recover` continues the rollback",
            ),
            ("DELETE_FAILED", BlockedKind::DeleteFailed, "deletion"),
            ("REVIEW_IN_PROGRESS", BlockedKind::Other, "does not change"),
        ] {
            match only_action(rack(), vec![stack(status)]) {
                Action::Blocked(blocked) => {
                    assert_eq!((blocked.status.as_str(), blocked.kind), (status, kind));
                    assert!(
                        blocked.reason.contains(reason),
                        "{status}: {}",
                        blocked.reason
                    );
                }
                other => panic!("{status}: expected blocked, got {other:?}"),
            }
        }
    }

    fn recovering(stack: Stack) -> Action {
        let rack = rack();
        let state = live(vec![stack], &rack);
        diff(&config(), &[rack], &state, true)
            .unwrap()
            .racks
            .remove(0)
            .action
    }

    #[test]
    fn with_recover_a_failed_install_is_reinstalled_and_a_failed_rollback_continued() {
        assert!(matches!(
            recovering(stack("ROLLBACK_COMPLETE")),
            Action::Reinstall(Install {
                password: Some(PasswordSource::Generate),
                ..
            })
        ));
        assert_eq!(
            recovering(stack("UPDATE_ROLLBACK_FAILED")),
            Action::ContinueRollback
        );
        // In progress is still waited for, never interrupted.
        assert!(matches!(
            recovering(stack("UPDATE_ROLLBACK_IN_PROGRESS")),
            Action::Blocked(Blocked {
                kind: BlockedKind::Busy,
                ..
            })
        ));
        let mut protected = stack("ROLLBACK_COMPLETE");
        protected.termination_protection = true;
        let Action::Blocked(blocked) = recovering(protected) else {
            panic!("a protected failed install cannot be deleted");
        };
        assert_eq!(blocked.kind, BlockedKind::Protected);
        assert!(
            blocked.reason.contains("`protect = false`"),
            "{}",
            blocked.reason
        );
    }

    const RETAINING_TEMPLATE: &str = "Resources:\n  Settings:\n    Type: AWS::S3::Bucket\n    DeletionPolicy: Retain\n  Vpc:\n    Type: AWS::EC2::VPC\n";

    fn uninstalling(stacks: Vec<Stack>) -> Action {
        uninstalling_among(stacks, &[])
    }

    /// The uninstall of `example` in a racks.toml that also declares `others` (by name, same org and region).
    fn uninstalling_among(stacks: Vec<Stack>, others: &[&str]) -> Action {
        let mut rack = rack();
        rack.absent = true;
        let mut state = live(stacks, &rack);
        state.stack_templates.insert(
            (ACCOUNT.into(), "us-east-1".into(), "example".into()),
            Ok(RETAINING_TEMPLATE.into()),
        );
        // Nothing but the live template is read for a rack to uninstall: no template, no release list.
        state.templates.clear();
        state.releases = None;
        let mut config = config();
        config.racks.push(rack.clone());
        for name in others {
            let mut other = self::rack();
            other.name = name.to_string();
            config.racks.push(other);
        }
        diff(&config, &[rack], &state, false)
            .unwrap()
            .racks
            .remove(0)
            .action
    }

    fn tagged(name: &str, tags: &[(&str, &str)], parent: Option<&str>) -> Stack {
        let mut tagged = stack("UPDATE_COMPLETE");
        tagged.name = name.into();
        tagged.stack_id = format!("arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/{name}/1");
        tagged.tags = tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        tagged.parent_id = parent.map(str::to_string);
        tagged
    }

    fn convox_stack(name: &str, kind: &str, rack: &str) -> Stack {
        tagged(
            name,
            &[("System", "convox"), ("Type", kind), ("Rack", rack)],
            None,
        )
    }

    fn dependents(action: &Action) -> Vec<(&str, Dependent)> {
        let Action::Uninstall(uninstall) = action else {
            panic!("not an uninstall: {action:?}");
        };
        uninstall
            .dependents
            .iter()
            .map(|d| (d.name.as_str(), d.kind))
            .collect()
    }

    #[test]
    fn an_absent_rack_is_uninstalled_with_its_apps_first_and_names_what_is_left_behind() {
        let action = uninstalling(vec![
            stack("UPDATE_COMPLETE"),
            convox_stack("example-web", "app", "example"),
            convox_stack("example-db", "resource", "example"),
            convox_stack("example-cache", "service", "example"),
            tagged(
                "example-web-ResourceDatabase",
                &[("System", "convox"), ("Type", "app"), ("Rack", "example")],
                Some("arn:parent"),
            ),
            convox_stack("other-web", "app", "other"),
        ]);
        assert_eq!(
            dependents(&action),
            [
                ("example-cache", Dependent::Resource),
                ("example-db", Dependent::Resource),
                ("example-web", Dependent::App)
            ],
            "top-level apps and resources of this rack only"
        );
        let Action::Uninstall(uninstall) = action else {
            unreachable!()
        };
        assert_eq!(
            uninstall.dependents[2].stack_id,
            format!("arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/example-web/1"),
            "apply deletes the stack planned, by its StackId"
        );
        assert_eq!(uninstall.retained.len(), 1);
        assert_eq!(uninstall.retained[0].logical_id, "Settings");
        assert_eq!(uninstall.resource_count, 2);

        assert_eq!(uninstalling(vec![]), Action::Unchanged, "already gone");
        let mut protected = stack("UPDATE_COMPLETE");
        protected.termination_protection = true;
        assert!(matches!(
            uninstalling(vec![protected]),
            Action::Blocked(Blocked {
                kind: BlockedKind::Protected,
                ..
            })
        ));
    }

    #[test]
    fn an_uninstall_never_deletes_a_stack_that_only_carries_the_rack_tag_nor_any_rack() {
        let mut undeclared_rack = convox_stack("staging", "rack", "example");
        undeclared_rack.name = "staging".into();
        let action = uninstalling_among(
            vec![
                stack("UPDATE_COMPLETE"),
                // A cost tag: not Convox's.
                tagged("billing-db", &[("Rack", "example")], None),
                tagged(
                    "terraformed",
                    &[
                        ("System", "terraform"),
                        ("Type", "app"),
                        ("Rack", "example"),
                    ],
                    None,
                ),
                // Racks, declared or not, whatever their Rack tag.
                undeclared_rack,
                convox_stack("declared-with-app-tags", "app", "example"),
                convox_stack("example-web", "app", "example"),
            ],
            &["declared-with-app-tags"],
        );
        assert_eq!(dependents(&action), [("example-web", Dependent::App)]);
    }

    #[test]
    fn a_declared_name_whose_stack_is_not_a_rack_is_blocked_whatever_racks_toml_asks() {
        let plain = tagged("example", &[("team", "data")], None);
        for absent in [false, true] {
            let mut declared = rack();
            declared.absent = absent;
            let action = only_action(declared, vec![plain.clone()]);
            let Action::Blocked(blocked) = &action else {
                panic!("not blocked: {action:?}");
            };
            assert_eq!(blocked.kind, BlockedKind::NotARack);
            assert!(
                blocked.reason.contains("is not a Convox rack"),
                "{}",
                blocked.reason
            );
        }
        let mut failed_plain = plain;
        failed_plain.status = "ROLLBACK_COMPLETE".into();
        let mut recovering = rack();
        recovering.absent = false;
        let plan = diff(
            &config(),
            &[recovering.clone()],
            &live(vec![failed_plain], &recovering),
            true,
        )
        .unwrap();
        assert!(
            matches!(&plan.racks[0].action, Action::Blocked(b) if b.kind == BlockedKind::NotARack),
            "--recover does not delete it either"
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

    #[test]
    fn an_unknown_parameter_is_a_problem_naming_the_rack_with_a_suggestion() {
        let mut typo = rack();
        typo.parameters.insert("Autoscal".into(), "Yes".into());
        let problems = plan_of(typo, vec![]).unwrap_err();
        assert_eq!(problems[0].rack, "personal/example");
        assert!(problems[0].message.contains("no parameter `Autoscal`"));
        assert_eq!(
            problems[0].hint.as_deref(),
            Some("did you mean `Autoscale`?")
        );
    }

    #[test]
    fn an_unreadable_template_is_a_problem_naming_the_url() {
        let rack = rack();
        let mut state = live(vec![], &rack);
        state.templates.insert(
            (ACCOUNT.into(), TemplateSource::Url(URL.into())),
            Err(CloudError::new(CloudErrorKind::Validation, "NoSuchBucket")),
        );
        let problems = diff(&config(), &[rack], &state, false).unwrap_err();
        assert!(problems[0].message.contains(URL), "{}", problems[0].message);
    }

    /// Instances from a launch configuration, replaced a batch at a time.
    const INSTANCES_TEMPLATE: &str = r#"{
        "Parameters": {"InstanceType": {"Type": "String"}, "InstanceCount": {"Type": "Number"},
                       "Version": {"Type": "String"}},
        "Resources": {
            "LaunchConfiguration": {"Type": "AWS::AutoScaling::LaunchConfiguration",
                "Properties": {"ImageId": "ami-1", "InstanceType": {"Ref": "InstanceType"}}},
            "Instances": {"Type": "AWS::AutoScaling::AutoScalingGroup",
                "Properties": {"LaunchConfigurationName": {"Ref": "LaunchConfiguration"},
                               "MinSize": "1", "MaxSize": "9", "DesiredCapacity": {"Ref": "InstanceCount"}},
                "UpdatePolicy": {"AutoScalingRollingUpdate": {"MaxBatchSize": 1}}}
        }
    }"#;

    #[test]
    fn the_rendered_plan_of_every_action() {
        let mut updated = rack();
        updated.name = "updated".into();
        updated.instance_count = Some(4);
        let mut blocked = rack();
        blocked.name = "blocked".into();
        let mut installed = rack();
        installed.name = "installed".into();
        let unchanged = rack();
        let mut stacks = vec![stack("CREATE_COMPLETE")];
        for (name, status) in [
            ("updated", "UPDATE_COMPLETE"),
            ("blocked", "UPDATE_IN_PROGRESS"),
            ("legacy", "CREATE_COMPLETE"),
        ] {
            let mut extra = stack(status);
            extra.name = name.into();
            stacks.push(extra);
        }
        let mut upgraded = rack();
        upgraded.name = "upgraded".into();
        upgraded.version = "4".into();
        upgraded.template = Template::Url {
            url: url_of("4"),
            pattern: PATTERN.into(),
        };
        upgraded.instance_type = Some("m5.large".into());
        let mut extra = stack("UPDATE_COMPLETE");
        extra.name = "upgraded".into();
        stacks.push(extra);
        let mut recovered = Vec::new();
        for (name, status) in [
            ("reinstalled", "ROLLBACK_COMPLETE"),
            ("rolledback", "UPDATE_ROLLBACK_FAILED"),
            ("old", "UPDATE_COMPLETE"),
        ] {
            let mut failed = stack(status);
            failed.name = name.into();
            stacks.push(failed);
            let mut declared = rack();
            declared.name = name.into();
            declared.absent = name == "old";
            recovered.push(declared);
        }
        let mut app = stack("UPDATE_COMPLETE");
        app.name = "old-web".into();
        app.tags = BTreeMap::from([
            ("System".to_string(), "convox".to_string()),
            ("Type".to_string(), "app".to_string()),
            ("Rack".to_string(), "old".to_string()),
        ]);
        stacks.push(app);
        let mut racks = vec![installed, updated, upgraded, unchanged, blocked];
        racks.extend(recovered);
        let mut state = live(stacks, &racks[0]);
        with_required_release(&mut state);
        state.stack_templates.insert(
            (ACCOUNT.into(), "us-east-1".into(), "old".into()),
            Ok(RETAINING_TEMPLATE.into()),
        );
        // Every release has the same small rack: what each change reaches is analysed.
        let document = Arc::new(parse_document(INSTANCES_TEMPLATE).unwrap());
        for version in ["2", "3", "4"] {
            state
                .template_documents
                .insert(TemplateSource::Url(url_of(version)), document.clone());
        }
        for name in ["updated", "upgraded"] {
            state.stack_templates.insert(
                (ACCOUNT.into(), "us-east-1".into(), name.into()),
                Ok(INSTANCES_TEMPLATE.into()),
            );
        }
        let plan = diff(&config(), &racks, &state, true).unwrap();
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| {
            insta::assert_snapshot!(crate::render::human_plan(
                &plan,
                crate::render::Style::Plain
            ));
            insta::assert_snapshot!(
                "the_markdown_plan_of_every_action",
                crate::render::markdown_plan(&plan)
            )
        });
    }
}
