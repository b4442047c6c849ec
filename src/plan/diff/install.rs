//! An install: every parameter CreateStack gets, the password's source, the tags.

use crate::cloud::TemplateSummary;
use crate::cloud::{CloudError, Secret, SsmParameter, StackKey};
use crate::config::{Rack, TYPED_PARAMETERS};
use crate::convox::names;
use crate::live::LiveState;
use crate::plan::checks::{
    Origin, PlanProblem, env_password, interlocks, is_secret, parameters_exist, ssm_password,
    value_allowed,
};
use crate::plan::{Install, PasswordSource};

use super::templates::template_plan;

/// Where an install's password comes from, as read at plan time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PasswordRead {
    /// `password_env`: the variable's value, `None` when it is unset or empty.
    Env {
        variable: String,
        value: Option<Secret>,
    },
    /// `password_ssm`: the parameter in the rack's account and region, `None` when it does not exist yet
    /// (apply creates it).
    Ssm {
        parameter: String,
        read: Result<Option<SsmParameter>, CloudError>,
    },
    /// Neither: apply generates one.
    Generate,
}

/// The rack's password source, as the facts give it (`password_env` first).
pub(super) fn password_read(rack: &Rack, key: &StackKey, live: &LiveState) -> PasswordRead {
    match (&rack.password_env, &rack.password_ssm) {
        (Some(variable), _) => PasswordRead::Env {
            variable: variable.clone(),
            value: live.password_env(variable).cloned(),
        },
        (None, Some(parameter)) => PasswordRead::Ssm {
            parameter: parameter.clone(),
            read: live
                .ssm_value(&key.region_key(), parameter)
                .cloned()
                .unwrap_or_else(|| Err(super::templates::not_read())),
        },
        (None, None) => PasswordRead::Generate,
    }
}

pub(super) fn plan_install(
    rack: &Rack,
    summary: &TemplateSummary,
    password: &PasswordRead,
) -> Result<Install, Vec<PlanProblem>> {
    let mut problems = parameters_exist(rack, summary);
    problems.extend(super::ssm::refresh_declared(rack, summary));
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
    let has_password = summary.parameters.contains_key(names::PASSWORD);
    for (name, parameter) in &summary.parameters {
        if parameter.default.is_none() && !parameters.contains_key(name) && name != names::PASSWORD
        {
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
    let mut sent = parameters.clone();
    for (name, declared) in &summary.parameters {
        if let (false, Some(default)) = (sent.contains_key(name), &declared.default) {
            sent.insert(name.clone(), default.clone());
        }
    }
    problems.extend(interlocks(rack, summary, &sent, None));
    let password = match (has_password, password) {
        (false, _) => None,
        (true, PasswordRead::Env { variable, value }) => {
            problems.extend(env_password(rack, summary, variable, value.as_ref()));
            Some(PasswordSource::Env {
                variable: variable.clone(),
            })
        }
        (true, PasswordRead::Ssm { parameter, read }) => {
            match ssm_password(rack, summary, parameter, read) {
                Ok(source) => Some(source),
                Err(mut found) => {
                    problems.append(&mut found);
                    None
                }
            }
        }
        (true, PasswordRead::Generate) => Some(PasswordSource::Generate),
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
    let sensitive = parameters
        .keys()
        .filter(|name| {
            summary
                .parameters
                .get(*name)
                .is_some_and(|declared| is_secret(name, declared))
        })
        .cloned()
        .collect();
    Ok(Install {
        template: template_plan(rack),
        parameters,
        template_defaults,
        sensitive,
        password,
        tags: rack.managed_tags(),
        termination_protection: rack.protect.unwrap_or(false),
        resource_count: summary.resource_count,
        budget: Some(crate::template::install_budget()),
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn a_noecho_value_racks_toml_sets_is_sent_at_install_and_never_shown() {
        let mut rack = rack();
        rack.parameters
            .insert("Key".into(), "my-secret-key-material".into());
        let plan = plan_of(rack, vec![]).unwrap();
        let Action::Install(install) = &plan.racks[0].action else {
            panic!("expected an install")
        };
        assert_eq!(install.parameters["Key"], "my-secret-key-material");
        assert_eq!(install.sensitive.iter().collect::<Vec<_>>(), ["Key"]);
        let human = crate::render::human_plan(&plan, crate::render::Style::Plain);
        assert!(human.contains("    Key: (sensitive)\n"), "{human}");
        assert!(!human.contains("my-secret-key-material"), "{human}");
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
}
