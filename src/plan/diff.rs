//! The planner: a pure, synchronous function of (config, live state) -> plan. It decides everything apply
//! will do, including the exact parameter list of each UpdateStack call.

use std::collections::{BTreeMap, BTreeSet};

use similar::TextDiff;

use super::{
    AccountRead, Action, Blocked, Change, ChangeKind, FORMAT_VERSION, FileFingerprint, Install,
    PasswordSource, Plan, RackPlan, StackFingerprint, Summary, TemplatePlan, UndeclaredRack,
    Update,
};
use crate::cloud::{ParameterValue, Stack, TemplateSummary, is_in_progress};
use crate::config::{Config, Rack, SYSTEM_TAGS, Template, sha256_hex};
use crate::diag::did_you_mean;
use crate::live::{LiveState, template_source};

/// Something about a rack that makes the plan impossible, found against AWS rather than in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanProblem {
    pub rack: String,
    pub message: String,
    pub hint: Option<String>,
}

pub fn diff(config: &Config, racks: &[Rack], live: &LiveState) -> Result<Plan, Vec<PlanProblem>> {
    let mut problems = Vec::new();
    let mut planned = Vec::new();
    for rack in racks {
        match plan_rack(rack, live) {
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
        racks_file: FileFingerprint {
            path: config.path.display().to_string(),
            sha256: config.fingerprint.clone(),
        },
        accounts: accounts_read(racks, live),
        not_in_racks_toml: undeclared(racks, live),
        racks: planned,
        summary,
    })
}

fn summarise(racks: &[RackPlan]) -> Summary {
    let mut summary = Summary::default();
    for rack in racks {
        match rack.action {
            Action::Install(_) => summary.install += 1,
            Action::Update(_) => summary.update += 1,
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
        .map(|(org, regions)| AccountRead {
            org: org.to_string(),
            account_id: live.accounts[org].clone(),
            regions: regions.into_iter().map(str::to_string).collect(),
        })
        .collect()
}

/// Stacks that look like racks (Convox's tags, or a 2016 rack's Version and InstanceType parameters) in the
/// accounts and regions read, that no planned rack names.
fn undeclared(racks: &[Rack], live: &LiveState) -> Vec<UndeclaredRack> {
    let declared: BTreeSet<(&str, &str, &str)> = racks
        .iter()
        .map(|r| {
            (
                live.accounts[&r.org].as_str(),
                r.region.as_str(),
                r.name.as_str(),
            )
        })
        .collect();
    let mut org_of_account: BTreeMap<&str, &str> = BTreeMap::new();
    for rack in racks {
        org_of_account
            .entry(&live.accounts[&rack.org])
            .or_insert(&rack.org);
    }
    let mut found = Vec::new();
    for ((account, region), stacks) in &live.stacks {
        for stack in stacks.values() {
            if looks_like_rack(stack)
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

pub fn looks_like_rack(stack: &Stack) -> bool {
    let tagged = SYSTEM_TAGS
        .iter()
        .all(|(key, value)| stack.tags.get(*key).map(String::as_str) == Some(*value));
    tagged
        || (stack.parameters.contains_key("Version")
            && stack.parameters.contains_key("InstanceType"))
}

fn plan_rack(rack: &Rack, live: &LiveState) -> Result<RackPlan, Vec<PlanProblem>> {
    let account = live.accounts[&rack.org].clone();
    let stack = live.stack(&account, &rack.region, &rack.name);
    let action = match stack {
        Some(stack) => match blocked(stack) {
            Some(blocked) => Action::Blocked(blocked),
            None => {
                let summary = template_summary(rack, &account, live)?;
                plan_update(rack, stack, &summary, &account, live)?
            }
        },
        None => {
            let summary = template_summary(rack, &account, live)?;
            Action::Install(plan_install(rack, &summary)?)
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
    })
}

/// Why a stack accepts no change now, as Convox and CloudFormation see it.
fn blocked(stack: &Stack) -> Option<Blocked> {
    let status = stack.status.as_str();
    let reason = if status.starts_with("DELETE_") {
        "the stack is being deleted (or its deletion failed); finish or retry the deletion first"
    } else if is_in_progress(status) || status == "REVIEW_IN_PROGRESS" {
        "CloudFormation is changing the stack; wait for it to finish (`rackfile status` shows it)"
    } else if matches!(
        status,
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" | "CREATE_FAILED"
    ) {
        "the install failed; delete the stack before installing it again"
    } else if status == "UPDATE_ROLLBACK_FAILED" {
        "an update failed to roll back; continue the rollback (aws cloudformation continue-update-rollback) first"
    } else {
        return None;
    };
    Some(Blocked {
        status: status.to_string(),
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
            message: format!("cannot read the template {}: {error}", describe_template(&rack.template)),
            hint: error.hint().map(str::to_string).or_else(|| match &rack.template {
                Template::Url(_) => Some("check `version` and `template_url`: the URL must be readable by CloudFormation".into()),
                Template::File { .. } => None,
            }),
        }]),
        None => unreachable!("live::read reads the template of every rack that is not blocked"),
    }
}

fn describe_template(template: &Template) -> String {
    match template {
        Template::Url(url) => url.clone(),
        Template::File { path, .. } => path.display().to_string(),
    }
}

fn template_plan(rack: &Rack) -> TemplatePlan {
    match &rack.template {
        Template::Url(url) => TemplatePlan::Url { url: url.clone() },
        Template::File { path, body } => TemplatePlan::File {
            path: path.display().to_string(),
            sha256: sha256_hex(body.as_bytes()),
            body: body.clone(),
        },
    }
}

/// Every managed parameter must exist in the template: a typo in [rack.parameters] is caught now, not
/// halfway through an apply.
fn check_parameters_exist(rack: &Rack, summary: &TemplateSummary) -> Vec<PlanProblem> {
    rack.managed_parameters()
        .keys()
        .filter(|key| !summary.parameters.contains_key(*key))
        .map(|key| {
            let suggestion = did_you_mean(key, summary.parameters.keys().map(String::as_str));
            PlanProblem {
                rack: rack.id(),
                message: format!(
                    "the template {} has no parameter `{key}`",
                    describe_template(&rack.template)
                ),
                hint: Some(match suggestion {
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
                }),
            }
        })
        .collect()
}

fn plan_install(rack: &Rack, summary: &TemplateSummary) -> Result<Install, Vec<PlanProblem>> {
    let mut problems = check_parameters_exist(rack, summary);
    let parameters = rack.managed_parameters();
    let has_password = summary.parameters.contains_key("Password");
    for (name, parameter) in &summary.parameters {
        if parameter.default.is_none() && !parameters.contains_key(name) && name != "Password" {
            problems.push(PlanProblem {
                rack: rack.id(),
                message: format!(
                    "the template requires parameter `{name}`, which racks.toml does not set"
                ),
                hint: Some(format!("add it under [rack.parameters]: {name} = \"...\"")),
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Install {
        template: template_plan(rack),
        parameters,
        password: has_password.then(|| match &rack.password_env {
            Some(variable) => PasswordSource::Env {
                variable: variable.clone(),
            },
            None => PasswordSource::Generate,
        }),
        tags: rack.managed_tags(),
        resource_count: summary.resource_count,
    })
}

fn plan_update(
    rack: &Rack,
    stack: &Stack,
    summary: &TemplateSummary,
    account: &str,
    live: &LiveState,
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
        parameters: _,
        tags: _,
        declared_at: _,
    } = rack;
    let problems = check_parameters_exist(rack, summary);
    if !problems.is_empty() {
        return Err(problems);
    }
    let managed = rack.managed_parameters();
    let mut changes = Vec::new();

    for (name, desired) in &managed {
        let live_value = stack.parameters.get(name);
        if live_value != Some(desired) {
            let sensitive = summary.parameters.get(name).is_some_and(|p| p.no_echo);
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
            });
        }
    }

    match template {
        Template::Url(url) => {
            // A live stack does not record its template URL; with Convox the URL follows the version, so a
            // version change is a template change. Showing the old URL beside the new one says so.
            if let Some(live_version) = stack.parameters.get("Version")
                && live_version != version
                && url.contains(version.as_str())
            {
                changes.push(Change {
                    kind: ChangeKind::Template,
                    name: "template".into(),
                    before: Some(url.replace(version.as_str(), live_version)),
                    after: Some(url.clone()),
                    sensitive: false,
                    diff: None,
                });
            }
        }
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
                    }]);
                }
                None => unreachable!(
                    "live::read reads the live template of every settled stack built from a file"
                ),
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
            });
        }
        tags.insert(key, desired);
    }

    if changes.is_empty() {
        return Ok(Action::Unchanged);
    }
    Ok(Action::Update(Update {
        template: template_plan(rack),
        parameters: update_parameters(&managed, stack, summary),
        changes,
        tags,
        resource_count: summary.resource_count,
    }))
}

/// The UpdateStack parameter list, over the parameters of the template being applied: managed ones get
/// their value; other live ones are kept, by value when CloudFormation shows it and by UsePreviousValue for
/// NoEcho ones (always set explicitly at install); parameters new to the template take their default.
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
            if declared.no_echo {
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
