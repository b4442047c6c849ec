//! LiveState: a plain-data snapshot of what AWS holds for the racks being planned, read through the `Cloud`
//! traits as cheaply as possible. Order of reads: STS once per org (the account guard must hold before any
//! CloudFormation call), then one paginated DescribeStacks per (account, region), then GetTemplateSummary once
//! per distinct template per account and GetTemplate for racks built from a local file. Independent reads run
//! concurrently.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use futures::future::join_all;

use crate::cloud::{
    Cloud, CloudError, Connector, Stack, TemplateSource, TemplateSummary, is_in_progress,
};
use crate::config::{Config, OrgSettings, Rack, Template};

/// At most this many GetTemplate calls at once per (account, region), to stay clear of throttling.
const STACK_TEMPLATE_CONCURRENCY: usize = 8;

#[derive(Debug, Clone, Default)]
pub struct LiveState {
    /// org -> the account its credentials belong to.
    pub accounts: BTreeMap<String, String>,
    /// (account, region) -> stacks by name.
    pub stacks: BTreeMap<(String, String), BTreeMap<String, Stack>>,
    /// (account, template) -> its summary, or why it could not be read.
    pub templates: HashMap<(String, TemplateSource), Result<TemplateSummary, CloudError>>,
    /// (account, region, stack) -> the live template body, for racks built from a local template file.
    pub stack_templates: HashMap<(String, String, String), Result<String, CloudError>>,
}

impl LiveState {
    pub fn stack(&self, account: &str, region: &str, name: &str) -> Option<&Stack> {
        self.stacks
            .get(&(account.to_string(), region.to_string()))
            .and_then(|stacks| stacks.get(name))
    }
}

/// Why the live state could not be read. Each names the org or region and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("org `{org}`: cannot identify the AWS account ({region}): {error}")]
    Identity {
        org: String,
        region: String,
        error: CloudError,
    },
    #[error(
        "org `{org}`: the credentials belong to account {actual}, but racks.toml says account_id = \"{expected}\"; nothing was read or changed"
    )]
    WrongAccount {
        org: String,
        expected: String,
        actual: String,
    },
    #[error("account {account} ({region}): cannot list stacks: {error}")]
    Stacks {
        account: String,
        region: String,
        error: CloudError,
    },
}

impl ReadError {
    pub fn hint(&self) -> Option<String> {
        match self {
            ReadError::Identity { error, .. } | ReadError::Stacks { error, .. } => {
                error.hint().map(str::to_string)
            }
            ReadError::WrongAccount { org, .. } => Some(format!(
                "check the profile of [org.{org}] or the credentials in the environment"
            )),
        }
    }
}

/// The regions of each org that racks live in, in a stable order.
fn regions_by_org(racks: &[Rack]) -> BTreeMap<String, BTreeSet<String>> {
    let mut regions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for rack in racks {
        regions
            .entry(rack.org.clone())
            .or_default()
            .insert(rack.region.clone());
    }
    regions
}

/// Resolves each org's account and enforces its `account_id` guard, org by org, so a caller can report
/// every org's outcome. No CloudFormation call is made here.
pub async fn identify_each(
    config: &Config,
    racks: &[Rack],
    connector: &dyn Connector,
) -> BTreeMap<String, Result<String, ReadError>> {
    let regions = regions_by_org(racks);
    let lookups = regions.iter().map(|(org, regions)| {
        let settings = &config.orgs[org];
        let region = regions
            .iter()
            .next()
            .expect("an org is listed for its racks")
            .clone();
        async move {
            let account = connector.account_id(settings, &region).await;
            (settings, region, account)
        }
    });
    join_all(lookups)
        .await
        .into_iter()
        .map(|(settings, region, account)| {
            let org = settings.name.clone();
            let checked = match account {
                Err(error) => Err(ReadError::Identity {
                    org: org.clone(),
                    region,
                    error,
                }),
                Ok(actual) => match &settings.account_id {
                    Some(expected) if *expected != actual => Err(ReadError::WrongAccount {
                        org: org.clone(),
                        expected: expected.clone(),
                        actual,
                    }),
                    _ => Ok(actual),
                },
            };
            (org, checked)
        })
        .collect()
}

/// Every org's account, or every reason one could not be identified or is refused by its guard.
pub async fn identify(
    config: &Config,
    racks: &[Rack],
    connector: &dyn Connector,
) -> Result<BTreeMap<String, String>, Vec<ReadError>> {
    let mut accounts = BTreeMap::new();
    let mut errors = Vec::new();
    for (org, account) in identify_each(config, racks, connector).await {
        match account {
            Ok(account) => {
                accounts.insert(org, account);
            }
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(accounts)
    } else {
        Err(errors)
    }
}

/// An open cloud per (account, region).
pub type Clouds = BTreeMap<(String, String), Arc<dyn Cloud>>;

/// What one DescribeStacks sweep of an (account, region) found.
pub struct Sweep {
    pub account: String,
    pub region: String,
    pub cloud: Option<Arc<dyn Cloud>>,
    pub stacks: Result<Vec<Stack>, ReadError>,
}

/// One paginated DescribeStacks per (account, region) that `racks` live in, all concurrently. Racks of orgs
/// missing from `accounts` are left out.
pub async fn sweep(
    config: &Config,
    racks: &[Rack],
    accounts: &BTreeMap<String, String>,
    connector: &dyn Connector,
) -> Vec<Sweep> {
    // One cloud per (account, region), opened with the first org that reaches it.
    let mut clouds: BTreeMap<(String, String), &OrgSettings> = BTreeMap::new();
    for rack in racks {
        if let Some(account) = accounts.get(&rack.org) {
            clouds
                .entry((account.clone(), rack.region.clone()))
                .or_insert(&config.orgs[&rack.org]);
        }
    }
    join_all(
        clouds
            .into_iter()
            .map(|((account, region), org)| async move {
                let cloud = connector.cloud(org, &region).await;
                let stacks = match &cloud {
                    Ok(cloud) => cloud.describe_stacks().await,
                    Err(error) => Err(error.clone()),
                };
                let stacks = stacks.map_err(|error| ReadError::Stacks {
                    account: account.clone(),
                    region: region.clone(),
                    error,
                });
                Sweep {
                    account,
                    region,
                    cloud: cloud.ok(),
                    stacks,
                }
            }),
    )
    .await
}

/// The accounts and every stack of the (account, region)s `racks` live in; no template is read.
pub async fn read_stacks(
    config: &Config,
    racks: &[Rack],
    connector: &dyn Connector,
) -> Result<(LiveState, Clouds), Vec<ReadError>> {
    let accounts = identify(config, racks, connector).await?;
    let sweeps = sweep(config, racks, &accounts, connector).await;
    let mut state = LiveState {
        accounts,
        ..LiveState::default()
    };
    let mut clouds = Clouds::new();
    let mut errors = Vec::new();
    for Sweep {
        account,
        region,
        cloud,
        stacks,
    } in sweeps
    {
        match stacks {
            Ok(stacks) => {
                let by_name = stacks.into_iter().map(|s| (s.name.clone(), s)).collect();
                state
                    .stacks
                    .insert((account.clone(), region.clone()), by_name);
                if let Some(cloud) = cloud {
                    clouds.insert((account, region), cloud);
                }
            }
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok((state, clouds))
    } else {
        Err(errors)
    }
}

/// Reads everything the planner needs for `racks`.
pub async fn read(
    config: &Config,
    racks: &[Rack],
    connector: &dyn Connector,
) -> Result<LiveState, Vec<ReadError>> {
    let (mut state, clouds) = read_stacks(config, racks, connector).await?;
    read_templates(&mut state, racks, &clouds).await;
    Ok(state)
}

async fn read_templates(state: &mut LiveState, racks: &[Rack], clouds: &Clouds) {
    let mut summaries: BTreeMap<(String, TemplateSource), Arc<dyn Cloud>> = BTreeMap::new();
    let mut stack_templates: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for rack in racks {
        let account = state.accounts[&rack.org].clone();
        let stack = state.stack(&account, &rack.region, &rack.name);
        // A stack that cannot be changed now is planned as blocked; its template does not matter yet.
        if stack.is_some_and(|s| is_in_progress(&s.status)) {
            continue;
        }
        let cloud = &clouds[&(account.clone(), rack.region.clone())];
        summaries
            .entry((account.clone(), template_source(&rack.template)))
            .or_insert_with(|| cloud.clone());
        if stack.is_some() && matches!(rack.template, Template::File { .. }) {
            stack_templates
                .entry((account, rack.region.clone()))
                .or_default()
                .push(rack.name.clone());
        }
    }

    let summary_reads = summaries
        .into_iter()
        .map(|((account, source), cloud)| async move {
            let summary = cloud.template_summary(&source).await;
            ((account, source), summary)
        });
    let body_reads = stack_templates
        .into_iter()
        .map(|((account, region), names)| {
            let cloud = clouds[&(account.clone(), region.clone())].clone();
            async move {
                use futures::StreamExt;
                futures::stream::iter(names)
                    .map(|name| {
                        let cloud = cloud.clone();
                        async move {
                            let body = cloud.stack_template(&name).await;
                            (name, body)
                        }
                    })
                    .buffer_unordered(STACK_TEMPLATE_CONCURRENCY)
                    .collect::<Vec<_>>()
                    .await
                    .into_iter()
                    .map(move |(name, body)| ((account.clone(), region.clone(), name), body))
                    .collect::<Vec<_>>()
            }
        });
    let (summaries, bodies) = futures::join!(join_all(summary_reads), join_all(body_reads));
    state.templates.extend(summaries);
    state.stack_templates.extend(bodies.into_iter().flatten());
}

/// How CloudFormation is given a rack's template.
pub fn template_source(template: &Template) -> TemplateSource {
    match template {
        Template::Url { url, .. } => TemplateSource::Url(url.clone()),
        Template::File { body, .. } => TemplateSource::Body(body.clone()),
    }
}
