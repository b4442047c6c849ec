//! The resolution of defaults into fully-specified racks: each rack's own settings over [defaults], its org
//! declared, its stack unique, its template and rollout settings resolved. Each setting's own rule is checked
//! in `checks`, the local template read in `template_file`. Every check reports into the shared diagnostics
//! list and carries on, so one run shows every problem.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::Path;

use super::MAX_ROLLBACK_TRIGGERS;
use super::checks::{
    check_drift_ignore, check_env_name, check_ignore_changes, check_instance_count,
    check_parameters, check_refresh, check_region, check_stack_name, check_tags, is_valid_count,
    parsed_drift_ignore,
};
use super::model::{RackEntry, RacksFile, Shared, Sp};
use super::password_store::resolve_password_ssm;
use super::rollout::{Rollout, rack_alarms, resolve_rollout};
use super::service_role::{ReportedRoles, check_role_arn, resolve_role_arn};
use super::stack_options::{resolve_notification_arns, resolve_stack_policy};
use super::template_file::{TemplateFiles, resolve_template};
use super::{OrgSettings, Rack, RackSpans};
use crate::diag::{Diagnostic, did_you_mean};

pub struct Resolved {
    pub orgs: BTreeMap<String, OrgSettings>,
    pub racks: Vec<Rack>,
    pub rollout: Option<Rollout>,
}

pub fn resolve(file: &RacksFile, base_dir: &Path, diagnostics: &mut Vec<Diagnostic>) -> Resolved {
    let orgs = resolve_orgs(file, diagnostics);
    let no_defaults = Shared::default();
    let defaults = file.defaults.as_ref().map_or(&no_defaults, |d| &d.shared);
    if let Some(org) = &defaults.org {
        check_org_declared(org, &orgs, diagnostics);
    }
    if let Some(count) = &defaults.instance_count {
        check_instance_count(count, diagnostics);
    }
    if let Some(region) = &defaults.region {
        check_region(region, diagnostics);
    }
    check_ignore_changes(&defaults.ignore_changes, diagnostics);
    check_refresh(&defaults.refresh, diagnostics);
    check_drift_ignore(&defaults.drift_ignore, diagnostics);
    if let Some(role) = &defaults.role_arn {
        check_role_arn(role, diagnostics);
    }
    for role in file.org.values().filter_map(|org| org.role_arn.as_ref()) {
        check_role_arn(role, diagnostics);
    }

    let mut templates = TemplateFiles::default();
    let mut roles = ReportedRoles::default();
    let mut racks = Vec::new();
    let mut seen: HashMap<(String, String, String), Range<usize>> = HashMap::new();
    for entry in &file.rack {
        // A rack without a name was already reported by the reader, and there is nothing to point at.
        let Some(name) = &entry.name else { continue };
        check_duplicate(entry, name, defaults, &orgs, &mut seen, diagnostics);
        if let Some(rack) = resolve_rack(
            entry,
            name,
            file,
            &orgs,
            base_dir,
            (&mut templates, &mut roles),
            diagnostics,
        ) {
            racks.push(rack);
        }
    }
    let rollout = file
        .rollout
        .as_ref()
        .and_then(|table| resolve_rollout(table, table.span.clone(), &racks, diagnostics));
    if let (Some(rollout), Some(table)) = (&rollout, &file.rollout) {
        pass_rollback_triggers(rollout, table, &mut racks, diagnostics);
    }
    Resolved {
        orgs,
        racks,
        rollout,
    }
}

/// Two racks are the same stack when they share account, region and name. Offline, an org's account is its
/// `account_id` when it has one, else the org itself.
fn check_duplicate(
    entry: &RackEntry,
    name: &Sp<String>,
    defaults: &Shared,
    orgs: &BTreeMap<String, OrgSettings>,
    seen: &mut HashMap<(String, String, String), Range<usize>>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let settings = entry.shared.over(defaults);
    let (Some(org), Some(region)) = (&settings.org, &settings.region) else {
        return;
    };
    let account = orgs
        .get(&org.value)
        .and_then(|o| o.account_id.clone())
        .unwrap_or_else(|| format!("org {}", org.value));
    let key = (account, region.value.clone(), name.value.clone());
    if let Some(first) = seen.get(&key) {
        diagnostics.push(
            Diagnostic::error(
                format!(
                    "duplicate rack `{}` in {}: two racks would be the same stack",
                    name.value, region.value
                ),
                name.span.clone(),
            )
            .with_related(first.clone(), "first declared here")
            .with_hint("stack names are unique per account and region; rename one of them"),
        );
    } else {
        seen.insert(key, name.span.clone());
    }
}

fn resolve_orgs(
    file: &RacksFile,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<String, OrgSettings> {
    let mut orgs = BTreeMap::new();
    for (name, org) in &file.org {
        if let Some(account) = &org.account_id
            && !(account.value.len() == 12 && account.value.bytes().all(|b| b.is_ascii_digit()))
        {
            diagnostics.push(Diagnostic::error(
                format!(
                    "`account_id` of org `{name}` must be 12 digits, not \"{}\"",
                    account.value
                ),
                account.span.clone(),
            ));
        }
        if let Some(profile) = &org.profile
            && profile.value.trim().is_empty()
        {
            diagnostics.push(
                Diagnostic::error(
                    format!("`profile` of org `{name}` is empty"),
                    profile.span.clone(),
                )
                .with_hint("remove the line to use the default credential chain"),
            );
        }
        orgs.insert(
            name.clone(),
            OrgSettings {
                name: name.clone(),
                profile: org.profile.as_ref().map(|p| p.value.clone()),
                account_id: org.account_id.as_ref().map(|a| a.value.clone()),
            },
        );
    }
    orgs
}

fn check_org_declared(
    org: &Sp<String>,
    orgs: &BTreeMap<String, OrgSettings>,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    if orgs.contains_key(&org.value) {
        return true;
    }
    let hint = match did_you_mean(&org.value, orgs.keys().map(String::as_str)) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!(
            "declare it with an [org.{}] table (an empty one is fine)",
            org.value
        ),
    };
    diagnostics.push(
        Diagnostic::error(
            format!("org `{}` is not declared", org.value),
            org.span.clone(),
        )
        .with_hint(hint),
    );
    false
}

fn resolve_rack(
    entry: &RackEntry,
    name: &Sp<String>,
    file: &RacksFile,
    orgs: &BTreeMap<String, OrgSettings>,
    base_dir: &Path,
    (templates, roles): (&mut TemplateFiles, &mut ReportedRoles),
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Rack> {
    let errors_before = diagnostics.len();
    let no_defaults = Shared::default();
    let defaults = file.defaults.as_ref().map_or(&no_defaults, |d| &d.shared);
    let own = &entry.shared;
    let settings = own.over(defaults);
    check_stack_name(name, diagnostics);

    // What a rack sets itself is checked here; what it inherits was checked once, at [defaults].
    let org = match (&own.org, &defaults.org) {
        (Some(org), _) => check_org_declared(org, orgs, diagnostics).then(|| org.value.clone()),
        // An undeclared default org was reported once, at [defaults].
        (None, Some(org)) => orgs.contains_key(&org.value).then(|| org.value.clone()),
        (None, None) => {
            diagnostics.push(
                Diagnostic::error(
                    format!("rack `{}` has no org", name.value),
                    name.span.clone(),
                )
                .with_hint("set `org` in this rack or in [defaults]"),
            );
            None
        }
    };

    let region = match (&own.region, &defaults.region) {
        (Some(region), _) => check_region(region, diagnostics).then(|| region.value.clone()),
        (None, Some(region)) => Some(region.value.clone()),
        (None, None) => {
            diagnostics.push(
                Diagnostic::error(
                    format!("rack `{}` has no region", name.value),
                    name.span.clone(),
                )
                .with_hint("set `region` in this rack or in [defaults]"),
            );
            None
        }
    };

    let version = match (&own.version, &defaults.version) {
        (Some(version), _) | (None, Some(version)) if !version.value.trim().is_empty() => {
            Some(version.value.clone())
        }
        (Some(version), _) | (None, Some(version)) => {
            diagnostics.push(Diagnostic::error(
                "`version` is empty",
                version.span.clone(),
            ));
            None
        }
        (None, None) => {
            diagnostics.push(
                Diagnostic::error(format!("rack `{}` has no version", name.value), name.span.clone())
                    .with_hint("set `version` (a Convox release, e.g. \"20161102160040\") in this rack or in [defaults]"),
            );
            None
        }
    };

    // Either way a setting's span is where its value is written.
    let count = &settings.instance_count;
    let instance_count = match count {
        Some(count) if own.instance_count.is_some() => {
            check_instance_count(count, diagnostics).then_some(Some(count.value as u32))
        }
        Some(count) => Some(is_valid_count(count.value).then_some(count.value as u32)),
        None => Some(None),
    };
    let instance_type = settings.instance_type.as_ref();
    let private = settings.private.as_ref();
    let version_span = settings.version.as_ref().map(|v| v.span.clone());
    let mut parameter_spans: BTreeMap<String, Range<usize>> = entry
        .parameters
        .0
        .iter()
        .map(|(key, value)| (key.value.clone(), value.span.clone()))
        .collect();
    for (parameter, span) in [
        ("InstanceType", instance_type.map(|t| t.span.clone())),
        ("InstanceCount", count.as_ref().map(|c| c.span.clone())),
        ("Private", private.map(|p| p.span.clone())),
        ("Version", version_span),
    ] {
        if let Some(span) = span {
            parameter_spans.insert(parameter.to_string(), span);
        }
    }
    check_ignore_changes(&own.ignore_changes, diagnostics);
    check_refresh(&own.refresh, diagnostics);
    check_drift_ignore(&own.drift_ignore, diagnostics);
    let drift_ignore = parsed_drift_ignore(&settings.drift_ignore);
    let refresh_spans: BTreeMap<String, Range<usize>> = settings
        .refresh
        .iter()
        .map(|name| (name.value.clone(), name.span.clone()))
        .collect();
    let ignore_spans: BTreeMap<String, Range<usize>> = settings
        .ignore_changes
        .iter()
        .map(|name| (name.value.clone(), name.span.clone()))
        .collect();

    check_parameters(entry, diagnostics);
    check_tags(entry, diagnostics);
    if let Some(env) = &entry.password_env {
        check_env_name(env, diagnostics);
    }
    let password_ssm = resolve_password_ssm(
        entry,
        defaults.password_ssm.as_ref(),
        [
            ("org", org.as_deref()),
            ("name", Some(name.value.as_str())),
            ("region", region.as_deref()),
        ],
        diagnostics,
    );
    if let Some(role) = &own.role_arn {
        check_role_arn(role, diagnostics);
    }
    let role_arn = resolve_role_arn(
        own,
        defaults,
        org.as_deref()
            .and_then(|name| Some((name, file.org.get(name)?))),
        roles,
        diagnostics,
    );
    let notification_arns = resolve_notification_arns(
        settings.notification_arns.as_ref(),
        region.as_deref(),
        diagnostics,
    );
    let stack_policy = resolve_stack_policy(settings.stack_policy.as_ref(), base_dir, diagnostics);
    let template = resolve_template(entry, version.as_deref(), base_dir, templates, diagnostics);
    let alarms = match (&file.rollout, &org, &region) {
        (Some(rollout), Some(org), Some(region)) => {
            rack_alarms(&rollout.alarms, org, &name.value, region, diagnostics)
        }
        _ => BTreeMap::new(),
    };

    if diagnostics.len() > errors_before {
        return None;
    }
    Some(Rack {
        org: org?,
        name: name.value.clone(),
        region: region?,
        version: version?,
        instance_type: instance_type.map(|t| t.value.clone()),
        instance_count: instance_count?,
        private: private.map(|p| p.value),
        template: template?,
        password_env: entry.password_env.as_ref().map(|e| e.value.clone()),
        password_ssm: password_ssm.as_ref().map(|(name, _)| name.clone()),
        parameters: entry.parameters.to_map(),
        tags: entry.tags.to_map(),
        ignore_changes: ignore_spans.keys().cloned().collect(),
        refresh: refresh_spans.keys().cloned().collect(),
        drift_ignore,
        absent: entry
            .ensure
            .as_ref()
            .is_some_and(|e| e.value == super::model::Ensure::Absent),
        protect: settings.protect.as_ref().map(|p| p.value),
        role_arn: role_arn.as_ref().map(|(role, _)| role.clone()),
        notification_arns,
        stack_policy,
        rollback_minutes: None, // set once [rollout] is resolved
        alarms: alarms.keys().cloned().collect(),
        spans: RackSpans {
            name: name.span.clone(),
            parameters: parameter_spans,
            parameter_keys: entry
                .parameters
                .0
                .iter()
                .map(|(key, _)| (key.value.clone(), key.span.clone()))
                .collect(),
            ignore_changes: ignore_spans,
            refresh: refresh_spans,
            password_env: entry.password_env.as_ref().map(|e| e.span.clone()),
            password_ssm: password_ssm.map(|(_, span)| span),
            ensure: entry.ensure.as_ref().map(|e| e.span.clone()),
            role_arn: role_arn.map(|(_, span)| span),
            alarms,
        },
    })
}

/// `rollback_alarms = true`: each rack's alarms become its rollback triggers, at most
/// `MAX_ROLLBACK_TRIGGERS` of them (CloudFormation refuses more).
fn pass_rollback_triggers(
    rollout: &Rollout,
    table: &super::model::RolloutTable,
    racks: &mut [Rack],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some(minutes) = rollout.rollback_minutes else {
        return;
    };
    let span = table
        .rollback_alarms
        .as_ref()
        .map_or(table.span.clone(), |on| on.span.clone());
    for rack in racks {
        if rack.alarms.len() > MAX_ROLLBACK_TRIGGERS {
            diagnostics.push(
                Diagnostic::error(
                    format!(
                        "`rollback_alarms = true`, but {} has {} alarms: CloudFormation takes at most {MAX_ROLLBACK_TRIGGERS} rollback triggers",
                        rack.id(),
                        rack.alarms.len()
                    ),
                    span.clone(),
                )
                .with_hint("name at most 5 alarms per rack in [rollout] `alarms`"),
            );
            continue;
        }
        rack.rollback_minutes = Some(minutes);
    }
}
