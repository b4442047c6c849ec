//! `rackfile doctor`: every check an operator would make before trusting a plan, each passed or failed
//! with a hint: the file, each org's credentials and account guard, each template, each rack's stack.
//! A failed check skips the checks that depend on it; the rest still run. Last, the plan's preflight checks
//! for every declared rack.

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::cloud::{CloudError, Connector, Stack, StackState, TemplateSource, TemplateSummary};
use crate::commands::validate;
use crate::config::{self, Config, Rack};
use crate::diag;
use crate::doctor::{self, Check};
use crate::error::Error;
use crate::live::{self, AlarmRead, ReadError, Sweep, template_source};
pub use crate::options::DoctorOptions;
use crate::outcome::Outcome;
use crate::plan::{self, Verdict, preflight};
use crate::template::check_value;

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
        Ok(config) => check_config(&config, connector).await,
    };
    crate::output::print(&doctor::render(&checks))?;
    Ok(if checks.iter().any(|c| c.mark == doctor::Mark::Fail) {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}

async fn check_config(config: &Config, connector: &dyn Connector) -> Vec<Check> {
    let mut checks = vec![Check::pass(format!(
        "{} is valid: {}",
        config.path.display(),
        validate::contents(config)
    ))];

    let mut accounts = BTreeMap::new();
    for (org, identity) in live::identify_each(config, &config.racks, connector).await {
        checks.extend(account_checks(config, &org, &identity));
        if let Ok(account) = identity {
            accounts.insert(org, account);
        }
    }

    checks.extend(release_checks(config, connector).await);
    let sweeps = live::sweep(config, &config.racks, &accounts, connector).await;
    let (template_checks, summaries) = template_checks(config, &accounts, &sweeps, connector).await;
    checks.extend(template_checks);
    checks.extend(password_store_checks(config, &accounts, connector).await);
    checks.extend(password_env_checks(config, &accounts, &sweeps, &summaries));
    checks.extend(stack_checks(config, &accounts, &sweeps));
    checks.extend(preflight_checks(config, connector).await);
    checks
}

/// The plan's preflight checks for every declared rack: those that change as the plan would make them,
/// the others on their live state (their instances, their functions' runtimes). Read as plan reads, plus
/// every live template.
async fn preflight_checks(config: &Config, connector: &dyn Connector) -> Vec<Check> {
    let every_stack = |state: &live::LiveState| -> Vec<(String, String, String)> {
        config
            .racks
            .iter()
            .filter_map(|rack| {
                let account = state.accounts.get(&rack.org)?;
                state.stack(account, &rack.region, &rack.name)?;
                Some((account.clone(), rack.region.clone(), rack.name.clone()))
            })
            .collect()
    };
    let env = |name: &str| std::env::var(name).ok();
    let Ok(mut reading) = live::read(config, &config.racks, connector, &env, None).await else {
        return vec![Check::skip(
            "preflight checks (the racks' accounts or stacks could not be read)",
        )];
    };
    let wanted = every_stack(reading.state());
    reading.read_live_templates(wanted).await;
    let state = reading.finish(None);
    let mut checks = alarm_checks(config, &state);
    let Ok(plan) = plan::diff(config, &config.racks, &state, false) else {
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
                    let text = format!("rack {rack}: preflight: {}", check.says);
                    let read = format!("read: {}", check.read.join(", "));
                    match check.verdict {
                        Verdict::Passed => Check::pass(text),
                        Verdict::Warning => Check::pass(format!("{text} (warning)")),
                        Verdict::NotChecked => Check::skip(format!("{text} ({read})")),
                        Verdict::Blocked => Check::fail(text, Some(read)),
                    }
                })
            }),
    );
    checks
}

/// Every alarm `[rollout] alarms` names for a declared rack exists where the rack is, readable with the
/// org's credentials: a rollout would otherwise stop at the plan, or watch nothing.
fn alarm_checks(config: &Config, state: &live::LiveState) -> Vec<Check> {
    let mut checks = Vec::new();
    for rack in config.racks.iter().filter(|rack| !rack.absent) {
        let Some(account) = state.accounts.get(&rack.org) else {
            continue;
        };
        let installed = state.stack(account, &rack.region, &rack.name).is_some();
        let place = format!("account {account} ({})", rack.region);
        for name in &rack.alarms {
            let what = format!("alarm {name} of {}", rack.id());
            checks.push(match state.alarm(account, &rack.region, name) {
                AlarmRead::State(alarm_state) => Check::pass(format!(
                    "{what}: exists in {place} ({})",
                    alarm_state.word()
                )),
                AlarmRead::Missing if !installed => Check::skip(format!(
                    "{what}: does not exist yet in {place}; the rack is not installed"
                )),
                AlarmRead::Missing => Check::fail(
                    format!("{what}: does not exist in {place}"),
                    Some("create it, or correct `alarms` in [rollout]".into()),
                ),
                AlarmRead::Unreadable(error) => Check::fail(
                    format!("{what}: cannot be read in {place}: {error}"),
                    Some(format!(
                        "the credentials of org `{}` need cloudwatch:DescribeAlarms there",
                        rack.org
                    )),
                ),
                AlarmRead::NotRead => Check::skip(format!("{what}: not read")),
            });
        }
    }
    checks
}

/// Convox's release list is readable, and names each version racks.toml uses; only when some rack is
/// built from Convox's published templates.
async fn release_checks(config: &Config, connector: &dyn Connector) -> Vec<Check> {
    let racks: Vec<_> = config
        .racks
        .iter()
        .filter(|rack| !rack.absent && rack.uses_convox_releases())
        .collect();
    if racks.is_empty() {
        return Vec::new();
    }
    let releases = match live::read_releases(connector).await {
        Ok(releases) => releases,
        Err(error) => return vec![Check::fail(error.to_string(), error.hint())],
    };
    let mut checks = vec![Check::pass(format!(
        "Convox's release list is readable: {} release{}, the latest published is {}",
        releases.len(),
        if releases.len() == 1 { "" } else { "s" },
        releases
            .latest_published()
            .map_or("none", |release| release.version.as_str())
    ))];
    for rack in racks {
        if releases.get(&rack.version).is_none() {
            checks.push(Check::fail(
                format!(
                    "rack {}: version {} is not one of Convox's releases",
                    rack.id(),
                    rack.version
                ),
                releases.suggestion_for(&rack.version),
            ));
        }
    }
    checks
}

/// Each rack's SSM password parameter can be read with its org's credentials (or does not exist yet, and
/// apply will create it).
async fn password_store_checks(
    config: &Config,
    accounts: &BTreeMap<String, String>,
    connector: &dyn Connector,
) -> Vec<Check> {
    live::password_parameters(config, accounts, connector)
        .await
        .into_iter()
        .map(|(rack, parameter, found)| {
            let what = format!("password store of {}: SSM parameter {parameter}", rack.id());
            match found {
                Ok(Some(found)) if found.is_secure() => {
                    Check::pass(format!("{what} is a readable SecureString"))
                }
                Ok(Some(found)) => Check::fail(
                    format!("{what} is a {}, not a SecureString", found.kind),
                    Some("store the password again with --type SecureString, or delete it to have one generated at install".into()),
                ),
                Ok(None) => Check::pass(format!(
                    "{what} does not exist yet; the install creates it"
                )),
                Err(error) => Check::fail(
                    format!("{what} cannot be read: {error}"),
                    Some(error.hint().map_or_else(
                        || "the org's credentials need ssm:GetParameter (and kms:Decrypt) on it".to_string(),
                        str::to_string,
                    )),
                ),
            }
        })
        .collect()
}

fn account_checks(config: &Config, org: &str, identity: &Result<String, ReadError>) -> Vec<Check> {
    let settings = &config.orgs[org];
    let via = match &settings.profile {
        Some(profile) => format!("profile {profile}"),
        None => "the default credential chain".into(),
    };
    match identity {
        Ok(account) => vec![
            Check::pass(format!(
                "org {org}: credentials ({via}) resolve to account {account}"
            )),
            match &settings.account_id {
                Some(_) => Check::pass(format!("org {org}: account guard holds ({account})")),
                None => Check::pass(format!(
                    "org {org}: no account_id guard; any account the credentials reach is used"
                )),
            },
        ],
        Err(
            error @ ReadError::WrongAccount {
                actual, expected, ..
            },
        ) => vec![
            Check::pass(format!(
                "org {org}: credentials ({via}) resolve to account {actual}"
            )),
            Check::fail(
                format!(
                    "org {org}: account guard fails: the credentials reach account {actual}, racks.toml says account_id = \"{expected}\""
                ),
                error.hint(),
            ),
            Check::skip(format!(
                "org {org}: templates and stacks not checked (the account guard failed)"
            )),
        ],
        Err(error) => vec![
            Check::fail(
                format!("org {org}: credentials ({via}): {error}"),
                error.hint(),
            ),
            Check::skip(format!(
                "org {org}: account guard, templates and stacks not checked (no credentials)"
            )),
        ],
    }
}

/// The summaries of the templates read, by (account, source).
type Summaries =
    std::collections::HashMap<(String, TemplateSource), Result<TemplateSummary, CloudError>>;

/// Each rack to install with `password_env`: the variable is set, not empty, and holds a password the
/// template's Password accepts, as plan will require. The value is never shown.
fn password_env_checks(
    config: &Config,
    accounts: &BTreeMap<String, String>,
    sweeps: &[Sweep],
    summaries: &Summaries,
) -> Vec<Check> {
    let map = diag::SourceMap::new(&config.source);
    let mut checks = Vec::new();
    for rack in config.racks.iter().filter(|rack| !rack.absent) {
        let Some(variable) = &rack.password_env else {
            continue;
        };
        let account = accounts.get(&rack.org);
        // A live rack keeps its password: the variable is read at install only.
        let live = account.and_then(|account| {
            sweeps
                .iter()
                .find(|s| s.account == *account && s.region == rack.region)
                .and_then(|s| s.stacks.as_ref().ok())
                .and_then(|stacks| stacks.iter().find(|s| s.name == rack.name))
        });
        if live.is_some_and(|stack| stack.state() != StackState::FailedInstall) {
            continue;
        }
        let at = rack
            .spans
            .password_env
            .as_ref()
            .map_or_else(String::new, |span| {
                format!(" ({}:{})", config.path.display(), map.location(span.start))
            });
        let value = std::env::var(variable)
            .ok()
            .filter(|value| !value.is_empty());
        let Some(value) = value else {
            checks.push(Check::fail(
                format!(
                    "rack {}: `password_env` names ${variable}, which is not set or is empty{at}",
                    rack.id()
                ),
                Some(format!(
                    "set {variable} to the rack's password in the environment of plan and apply, or remove `password_env` to have one generated"
                )),
            ));
            continue;
        };
        let declared = account
            .and_then(|account| summaries.get(&(account.clone(), template_source(&rack.template))))
            .and_then(|summary| summary.as_ref().ok())
            .and_then(|summary| summary.parameters.get("Password"));
        let refused =
            declared.and_then(|declared| check_value(declared, &value).into_iter().next());
        checks.push(match refused {
            Some(violation) => Check::fail(
                format!(
                    "rack {}: the password in ${variable} is refused by the template's {} of Password: {}{at}",
                    rack.id(),
                    violation.constraint,
                    violation.message
                ),
                Some(format!("put a password the template accepts in ${variable}")),
            ),
            None => Check::pass(format!(
                "rack {}: the install's password is set in ${variable}",
                rack.id()
            )),
        });
    }
    checks
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
            clouds.insert((sweep.account.clone(), sweep.region.clone()), cloud.clone());
        }
    }
    for rack in &config.racks {
        let Some(account) = accounts.get(&rack.org) else {
            continue;
        };
        if !clouds.contains_key(&(account.clone(), rack.region.clone())) {
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
            match summaries.get(&key) {
                Some(Ok(summary)) => doctor::template_coverage(&name, summary, &racks),
                Some(Err(error)) => Check::fail(
                    format!("template {name}: cannot be read: {error}"),
                    error.hint().map(str::to_string).or_else(|| {
                        Some("check `version` and `template_url`: the URL must name a published template".into())
                    }),
                ),
                None => Check::fail(format!("template {name}: was not read"), None),
            }
        })
        .collect();
    (checks, summaries)
}

fn stack_checks(
    config: &Config,
    accounts: &BTreeMap<String, String>,
    sweeps: &[Sweep],
) -> Vec<Check> {
    let now = SystemTime::now();
    let mut checks: Vec<Check> = sweeps
        .iter()
        .filter_map(|sweep| sweep.stacks.as_ref().err())
        .map(|error| Check::fail(error.to_string(), error.hint()))
        .collect();
    for rack in &config.racks {
        let Some(account) = accounts.get(&rack.org) else {
            continue;
        };
        let Some(Ok(stacks)) = sweeps
            .iter()
            .find(|s| s.account == *account && s.region == rack.region)
            .map(|s| s.stacks.as_ref())
        else {
            continue;
        };
        let stack: Option<&Stack> = stacks.iter().find(|s| s.name == rack.name);
        checks.push(doctor::stack_health(rack, stack, now));
    }
    checks
}
