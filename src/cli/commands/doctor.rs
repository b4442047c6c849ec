//! `rackfile doctor`: every check an operator would make before trusting a plan, each passed or failed
//! with a hint: the file, each org's credentials and account guard, each template, each rack's stack.
//! A failed check skips the checks that depend on it; the rest still run. Last, the plan's preflight checks
//! for every declared rack. This file reads (through `live`); `doctor` decides each check;
//! `render::doctor` prints them.

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::cli::commands::validate;
pub use crate::cli::options::DoctorOptions;
use crate::cloud::{Connector, RegionKey, TemplateSource};
use crate::config::{self, Config, Rack};
use crate::doctor::{self, Check, Mark, Summaries};
use crate::error::Error;
use crate::live::{self, EnvLookup, Sweep, template_source};
use crate::outcome::Outcome;
use crate::plan::{self, preflight};
use crate::render;

pub async fn run(options: &DoctorOptions, connector: &dyn Connector) -> Result<Outcome, Error> {
    let checks = match config::load(&options.file) {
        Err(error) => vec![
            Check::fail(
                format!(
                    "{} is not valid:\n{}",
                    options.file.display(),
                    error.render().trim_end()
                ),
                Some("fix racks.toml; `rackfile validate` checks it offline".into()),
            ),
            Check::skip("AWS checks (they need a valid racks.toml)"),
        ],
        Ok(config) => {
            let env = |name: &str| std::env::var(name).ok();
            check_config(&config, connector, &env).await
        }
    };
    crate::output::print(&render::doctor::checks(&checks))?;
    Ok(if checks.iter().any(|c| c.mark == Mark::Fail) {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}

async fn check_config(config: &Config, connector: &dyn Connector, env: &EnvLookup) -> Vec<Check> {
    let mut checks = vec![Check::pass(format!(
        "{} is valid: {}",
        config.path.display(),
        validate::contents(config)
    ))];

    let mut accounts = BTreeMap::new();
    for (org, identity) in live::identify_each(config, &config.racks, connector).await {
        checks.extend(doctor::account_checks(config, &org, &identity));
        if let Ok(account) = identity {
            accounts.insert(org, account);
        }
    }

    checks.extend(privilege_checks(config, &accounts, connector).await);
    checks.extend(release_checks(config, connector).await);
    let sweeps = live::sweep(config, &config.racks, &accounts, connector).await;
    let (template_checks, summaries) = template_checks(config, &accounts, &sweeps, connector).await;
    checks.extend(template_checks);
    checks.extend(
        live::password_parameters(config, &accounts, connector)
            .await
            .iter()
            .map(|(rack, parameter, found)| doctor::password_store_check(rack, parameter, found)),
    );
    checks.extend(doctor::password_env_checks(
        config, &accounts, &sweeps, &summaries, env,
    ));
    checks.extend(doctor::stack_checks(
        config,
        &accounts,
        &sweeps,
        SystemTime::now(),
    ));
    checks.extend(preflight_checks(config, connector, env).await);
    checks
}

/// The plan's preflight checks for every declared rack: those that change as the plan would make them,
/// the others on their live state (their instances, their functions' runtimes). Read as plan reads, plus
/// every live template.
async fn preflight_checks(
    config: &Config,
    connector: &dyn Connector,
    env: &EnvLookup,
) -> Vec<Check> {
    let Ok(mut reading) = plan::read(config, &config.racks, connector, env, None).await else {
        return vec![Check::skip(
            "preflight checks (the racks' accounts or stacks could not be read)",
        )];
    };
    let wanted = plan::needs::every_live_template(reading.state());
    reading.fetch(config, connector, env, None, &wanted).await;
    let state = reading.finish(None);
    let mut checks = doctor::alarm_checks(&state);
    let Ok(plan) = plan::diff(config, &state, false) else {
        checks.push(Check::skip(
            "preflight checks (racks.toml does not fit the templates: `rackfile plan` says why)",
        ));
        return checks;
    };
    let reads = preflight::wanted_for_every_rack(&plan, &state);
    let facts = live::read_preflight(config, &reads, connector).await;
    let today = preflight::day_of(SystemTime::now());
    checks.extend(
        preflight::every_rack(&plan, &state, &facts, &today)
            .into_iter()
            .flat_map(|(rack, checks)| {
                checks.into_iter().map(move |check| {
                    let says = render::preflight::says(&check.finding);
                    let read = render::preflight::read_words(&check);
                    doctor::preflight_check(&rack, check, &says, &read)
                })
            }),
    );
    checks
}

/// Each org's credentials against the plan policy, and each service role (once, with the racks using it).
async fn privilege_checks(
    config: &Config,
    accounts: &BTreeMap<String, String>,
    connector: &dyn Connector,
) -> Vec<Check> {
    let policy = crate::permissions::policy(config, crate::permissions::Command::Plan);
    let statements: Vec<(Vec<String>, Vec<String>)> = policy
        .statements
        .iter()
        .map(|statement| {
            (
                statement.actions.iter().map(|a| a.to_string()).collect(),
                statement.resources.clone(),
            )
        })
        .collect();
    let mut checks: Vec<Check> = live::simulated_denials(config, accounts, &statements, connector)
        .await
        .iter()
        .map(|(org, simulated)| doctor::plan_policy_check(org, simulated))
        .collect();
    checks.extend(
        live::service_roles(config, accounts, connector)
            .await
            .iter()
            .map(|(role, racks, read)| doctor::service_role_check(role, racks, read)),
    );
    checks
}

/// Convox's release list, read only when some rack is built from Convox's published templates.
async fn release_checks(config: &Config, connector: &dyn Connector) -> Vec<Check> {
    let racks: Vec<&Rack> = config
        .racks
        .iter()
        .filter(|rack| !rack.absent && rack.uses_convox_releases())
        .collect();
    if racks.is_empty() {
        return Vec::new();
    }
    doctor::release_checks(&racks, &live::read_releases(connector).await)
}

/// Each distinct template and account once, read as plan reads it, through a cloud whose sweep worked.
async fn template_checks(
    config: &Config,
    accounts: &BTreeMap<String, String>,
    sweeps: &[Sweep],
    connector: &dyn Connector,
) -> (Vec<Check>, Summaries) {
    let mut users: BTreeMap<(String, TemplateSource), (String, Vec<&Rack>)> = BTreeMap::new();
    let mut clouds = live::Clouds::new();
    for sweep in sweeps {
        if let (Ok(_), Some(cloud)) = (&sweep.stacks, &sweep.cloud) {
            clouds.insert(RegionKey::new(&sweep.account, &sweep.region), cloud.clone());
        }
    }
    for rack in &config.racks {
        let Some(account) = accounts.get(&rack.org) else {
            continue;
        };
        if !clouds.contains_key(&RegionKey::new(account, &rack.region)) {
            continue;
        }
        users
            .entry((account.clone(), template_source(&rack.template)))
            .or_insert_with(|| (rack.template.describe(), Vec::new()))
            .1
            .push(rack);
    }
    let readable: Vec<&Rack> = users
        .values()
        .flat_map(|(_, racks)| racks.iter().copied())
        .collect();
    let summaries = live::read_template_summaries(config, &readable, accounts, &clouds, connector)
        .await
        .summaries;
    let checks = users
        .into_iter()
        .map(|(key, (name, racks))| {
            let name = format!("{name} (account {})", key.0);
            doctor::template_read_check(&name, summaries.get(&key), &racks)
        })
        .collect();
    (checks, summaries)
}
