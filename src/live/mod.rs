//! LiveState: a plain-data snapshot of what AWS holds for the racks being planned, read through the `Cloud`
//! traits as cheaply as possible. Order of reads: STS once per org (the account guard must hold before any
//! CloudFormation call), then one paginated DescribeStacks per (account, region), then each distinct
//! template once (see `read_template_summaries`) and GetTemplate for racks built from a local file; last,
//! GetTemplate for the racks a first plan finds with a parameter or template change, for the impact
//! analysis. Independent reads run concurrently. `survey` holds the reads of import and doctor; `preflight`
//! the reads of the plan's preflight checks, made after the plan is known.

mod alarms;
mod preflight;
mod state;
mod survey;

pub use alarms::{AlarmRead, AlarmReads, read_alarms};
pub use preflight::{Place, PreflightFacts, PreflightReads, read_preflight};
pub use state::{LiveState, LiveTemplate, NotRead};
pub use survey::{SurveyedStack, identify_org, password_parameters, survey_region};

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use futures::future::join_all;

use crate::cloud::{
    Cloud, CloudError, CloudErrorKind, Connector, RegionKey, S3Object, Secret, SsmParameter, Stack,
    StackKey, StackState, TemplateSource, TemplateSummary,
};
use crate::config::{Config, OrgSettings, Rack, Template, sha256_hex};
use crate::convox::releases::{MAX_RELEASES_BYTES, RELEASES_KEY, RELEASES_URL};
use crate::convox::{Releases, Route};
use crate::template::{
    CONVOX_BUCKET, DocumentError, MAX_URL_TEMPLATE_BYTES, S3Location, parse_document,
    summary_of_document,
};
use crate::template_cache::TemplateCache;

/// At most this many GetTemplate calls at once per (account, region), to stay clear of throttling.
const STACK_TEMPLATE_CONCURRENCY: usize = 8;

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
    #[error("cannot read Convox's release list {url}: {message}")]
    Releases {
        url: String,
        message: String,
        hint: Option<String>,
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
            ReadError::Releases { hint, .. } => hint.clone(),
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
    // Each org is identified in the first region one of its racks lives in.
    let lookups = regions.iter().filter_map(|(org, regions)| {
        let settings = &config.orgs[org];
        let region = regions.first()?.clone();
        Some(async move { (settings, identify_org(settings, &region, connector).await) })
    });
    join_all(lookups)
        .await
        .into_iter()
        .map(|(settings, account)| {
            let org = settings.name.clone();
            let checked = account.and_then(|actual| match &settings.account_id {
                Some(expected) if *expected != actual => Err(ReadError::WrongAccount {
                    org: org.clone(),
                    expected: expected.clone(),
                    actual,
                }),
                _ => Ok(actual),
            });
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
pub type Clouds = BTreeMap<RegionKey, Arc<dyn Cloud>>;

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
    let mut clouds: BTreeMap<RegionKey, &OrgSettings> = BTreeMap::new();
    for rack in racks {
        if let Some(account) = accounts.get(&rack.org) {
            clouds
                .entry(RegionKey::new(account, &rack.region))
                .or_insert(&config.orgs[&rack.org]);
        }
    }
    join_all(
        clouds
            .into_iter()
            .map(|(RegionKey { account, region }, org)| async move {
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
                let region = RegionKey::new(account, region);
                state.record_stacks(region.clone(), stacks);
                if let Some(cloud) = cloud {
                    clouds.insert(region, cloud);
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

/// Reads an environment variable: the process environment in the binary, a map in tests.
pub type EnvLookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// A read in progress: everything but the live templates of racks with a change to analyse, which only a
/// plan made of the rest can name (`read_live_templates`), then `finish`.
pub struct Reading {
    state: LiveState,
    clouds: Clouds,
}

impl Reading {
    /// What has been read so far.
    pub fn state(&self) -> &LiveState {
        &self.state
    }

    /// The live templates of these stacks (account, region, name), beyond those already read or known from
    /// the template cache.
    pub async fn read_live_templates(&mut self, wanted: Vec<StackKey>) {
        let state = &self.state;
        let more: Vec<StackKey> = wanted
            .into_iter()
            .filter(|key| !state.live_templates.contains_key(key))
            .collect();
        let more = read_stack_templates(more, &self.clouds).await;
        self.state.live_templates.extend(
            more.into_iter()
                .map(|(key, body)| (key, LiveTemplate::Read(body))),
        );
    }

    /// The live state; `cache`, when given, learns each live template read.
    pub fn finish(self, cache: Option<&mut TemplateCache>) -> LiveState {
        let state = self.state;
        if let Some(cache) = cache {
            for (key, template) in &state.live_templates {
                if let (LiveTemplate::Read(Ok(body)), Some(stack)) = (template, state.stack(key)) {
                    cache.remember(
                        &stack.stack_id,
                        &stack.last_updated,
                        sha256_hex(body.trim_end().as_bytes()),
                    );
                }
            }
        }
        state
    }
}

/// Reads everything the planner needs for `racks` but the live templates of racks with a change to
/// analyse (see `Reading`): an unchanged rack costs no GetTemplate. `env` gives the values of
/// `password_env` variables, which installs check against the template.
///
/// `cache`, when given, lets a rack built from a local template whose live template it shows to be that file
/// go without a GetTemplate. Apply passes none: a cached fact may make a plan cheap, never make apply skip
/// a change (a cache file is the user's, and can be edited).
pub async fn read(
    config: &Config,
    racks: &[Rack],
    connector: &dyn Connector,
    env: &EnvLookup,
    cache: Option<&TemplateCache>,
) -> Result<Reading, Vec<ReadError>> {
    let (mut state, clouds) = read_stacks(config, racks, connector).await?;
    // After the account guard and the sweep, as every other read: a run that stops there reads nothing else.
    if racks
        .iter()
        .any(|rack| !rack.absent && rack.uses_convox_releases())
    {
        state.releases = Some(
            read_releases(connector)
                .await
                .map_err(|error| vec![error])?,
        );
    }
    // A stack that cannot be changed now is planned as blocked; its template does not matter yet. A rack
    // to uninstall needs none either: only its live template, for what the deletion leaves behind.
    let needing: Vec<&Rack> = racks
        .iter()
        .filter(|rack| {
            !state
                .key_of(rack)
                .ok()
                .and_then(|key| state.stack(&key))
                .is_some_and(|s| s.status.is_moving())
        })
        .collect();
    let present: Vec<&Rack> = needing.iter().copied().filter(|r| !r.absent).collect();
    // The templates of the required releases an upgrade passes through are planned too.
    let stepping_stones = stepping_stones(&state, &present);
    let mut templates_of: Vec<&Rack> = present.clone();
    templates_of.extend(&stepping_stones);
    let (unchanged, reading) = match cache {
        Some(cache) => split_by_template_cache(&state, &needing, cache),
        None => (BTreeSet::new(), needing.clone()),
    };
    let (templates, bodies, ssm_passwords, alarms) = futures::join!(
        read_template_summaries(config, &templates_of, &state.accounts, &clouds, connector),
        read_stack_templates(stack_template_keys(&state, &reading), &clouds),
        read_ssm_passwords(config, &state, &present, connector),
        read_alarms(config, racks, &state.accounts, connector)
    );
    state.alarms = alarms;
    state.templates = templates.summaries;
    state.template_documents = templates.documents;
    state.live_templates = bodies
        .into_iter()
        .map(|(key, body)| (key, LiveTemplate::Read(body)))
        .chain(
            unchanged
                .into_iter()
                .map(|key| (key, LiveTemplate::UnchangedSinceCached)),
        )
        .collect();
    state.ssm_passwords = ssm_passwords;
    state.password_env_values = racks
        .iter()
        .filter_map(|rack| rack.password_env.as_ref())
        .filter_map(|variable| {
            let value = env(variable).filter(|v| !v.is_empty())?;
            Some((variable.clone(), Secret::new(value)))
        })
        .collect();
    Ok(Reading { state, clouds })
}

/// The racks built from a local template whose live template the cache shows to be that file (no
/// GetTemplate needed), and the racks whose live template must be read.
fn split_by_template_cache<'a>(
    state: &LiveState,
    racks: &[&'a Rack],
    cache: &TemplateCache,
) -> (BTreeSet<StackKey>, Vec<&'a Rack>) {
    let mut unchanged = BTreeSet::new();
    let mut reading = Vec::new();
    for rack in racks {
        let Ok(key) = state.key_of(rack) else {
            continue;
        };
        let known = match (&rack.template, state.stack(&key)) {
            (Template::File { body, .. }, Some(stack)) if !rack.absent => cache
                .template_sha256(&stack.stack_id, &stack.last_updated)
                .is_some_and(|sha| sha == sha256_hex(body.trim_end().as_bytes())),
            _ => false,
        };
        if known {
            unchanged.insert(key);
        } else {
            reading.push(*rack);
        }
    }
    (unchanged, reading)
}

/// Convox's release list: one unsigned S3 GetObject of its public bucket.
pub async fn read_releases(connector: &dyn Connector) -> Result<Releases, ReadError> {
    let object = S3Object {
        region: CONVOX_BUCKET_REGION.to_string(),
        bucket: CONVOX_BUCKET.to_string(),
        key: RELEASES_KEY.to_string(),
    };
    let unreadable = |message: String, hint: Option<String>| ReadError::Releases {
        url: RELEASES_URL.to_string(),
        message,
        hint,
    };
    let text = connector
        .s3_object(None, &object, MAX_RELEASES_BYTES)
        .await
        .map_err(|error| unreadable(error.to_string(), error.hint().map(str::to_string)))?;
    Releases::parse(&text).map_err(|message| {
        unreadable(
            message,
            Some("racks with a `template` or `template_url` of their own do not need it".into()),
        )
    })
}

/// Each rack upgrading across required releases, at each release it passes through before its own.
fn stepping_stones(state: &LiveState, racks: &[&Rack]) -> Vec<Rack> {
    let Some(releases) = &state.releases else {
        return Vec::new();
    };
    let mut stones = Vec::new();
    for rack in racks.iter().filter(|rack| rack.uses_convox_releases()) {
        let Some(live_version) = state
            .key_of(rack)
            .ok()
            .and_then(|key| state.stack(&key))
            .and_then(|stack| stack.parameters.get("Version"))
        else {
            continue;
        };
        if let Route::Steps(steps) = releases.route(live_version, &rack.version) {
            let before_last = &steps[..steps.len() - 1];
            stones.extend(before_last.iter().map(|r| rack.passing_through(&r.version)));
        }
    }
    stones
}

/// The planned templates as read: each one's summary per account, and the parsed body of those read whole.
#[derive(Debug, Default)]
pub struct TemplateReads {
    pub summaries: HashMap<(String, TemplateSource), Result<TemplateSummary, CloudError>>,
    pub documents: HashMap<TemplateSource, Arc<serde_json::Value>>,
}

/// The parameter declarations of each rack's template, keyed by (account, template), each template read
/// once however many racks and accounts use it: a local file is parsed here; an S3-hosted URL is one S3
/// GetObject (unsigned for Convox's public bucket, else with the credentials of the first org that uses
/// it); any other URL is one GetTemplateSummary per account, which reports less (`Declarations`).
/// Racks whose (account, region) has no open cloud are left out.
pub async fn read_template_summaries(
    config: &Config,
    racks: &[&Rack],
    accounts: &BTreeMap<String, String>,
    clouds: &Clouds,
    connector: &dyn Connector,
) -> TemplateReads {
    enum Read<'a> {
        Body(&'a str),
        Object(S3Object, Option<&'a OrgSettings>),
        Summary(Arc<dyn Cloud>),
    }
    // What to read, once each, and the (account, template) keys each read answers.
    let mut reads: BTreeMap<ReadKey, (Read, Vec<(String, TemplateSource)>)> = BTreeMap::new();
    for rack in racks {
        let Some(account) = accounts.get(&rack.org) else {
            continue;
        };
        let Some(cloud) = clouds.get(&RegionKey::new(account, &rack.region)) else {
            continue;
        };
        let source = template_source(&rack.template);
        let (key, read) = match &rack.template {
            Template::File { body, .. } => (ReadKey::Body(body.clone()), Read::Body(body)),
            Template::Url { url, .. } => match S3Location::parse(url) {
                Some(location) => {
                    let public = location.is_public_convox_release();
                    let object = S3Object {
                        region: location.region.clone().unwrap_or_else(|| {
                            if public {
                                CONVOX_BUCKET_REGION.to_string()
                            } else {
                                rack.region.clone()
                            }
                        }),
                        bucket: location.bucket,
                        key: location.key,
                    };
                    let org = (!public).then(|| &config.orgs[&rack.org]);
                    (ReadKey::Url(url.clone()), Read::Object(object, org))
                }
                None => (
                    ReadKey::Summary(account.clone(), url.clone()),
                    Read::Summary(cloud.clone()),
                ),
            },
        };
        let users = &mut reads.entry(key).or_insert_with(|| (read, Vec::new())).1;
        let user = (account.clone(), source);
        if !users.contains(&user) {
            users.push(user);
        }
    }
    let reads = reads.into_values().map(|(read, users)| async move {
        let (summary, document) = match read {
            Read::Body(body) => summarise(body),
            Read::Object(object, org) => {
                match connector
                    .s3_object(org, &object, MAX_URL_TEMPLATE_BYTES)
                    .await
                {
                    Ok(body) => summarise(&body),
                    Err(error) => (Err(error), None),
                }
            }
            Read::Summary(cloud) => (cloud.template_summary(&users[0].1).await, None),
        };
        (users, summary, document)
    });
    let mut reads_done = TemplateReads::default();
    for (users, summary, document) in join_all(reads).await {
        for user in users {
            if let Some(document) = &document {
                reads_done
                    .documents
                    .insert(user.1.clone(), document.clone());
            }
            reads_done.summaries.insert(user, summary.clone());
        }
    }
    reads_done
}

/// A template body's summary, and the body parsed for the impact analysis.
fn summarise(
    body: &str,
) -> (
    Result<TemplateSummary, CloudError>,
    Option<Arc<serde_json::Value>>,
) {
    match parse_document(body).and_then(|document| {
        let summary = summary_of_document(&document)?;
        Ok::<_, DocumentError>((summary, document))
    }) {
        Ok((summary, document)) => (Ok(summary), Some(Arc::new(document))),
        Err(error) => (Err(template_error(error)), None),
    }
}

/// The SSM parameters of racks to install with `password_ssm`, each read once with the org's credentials in
/// the rack's region, so plan can say whether the password exists and check it against the template.
async fn read_ssm_passwords(
    config: &Config,
    state: &LiveState,
    racks: &[&Rack],
    connector: &dyn Connector,
) -> BTreeMap<(RegionKey, String), Result<Option<SsmParameter>, CloudError>> {
    let mut wanted: BTreeMap<(RegionKey, String), &OrgSettings> = BTreeMap::new();
    for rack in racks {
        let Ok(key) = state.key_of(rack) else {
            continue;
        };
        // A failed install may be installed again (`--recover`).
        let installing = state
            .stack(&key)
            .is_none_or(|stack| stack.state() == StackState::FailedInstall);
        if let (true, Some(name)) = (installing, &rack.password_ssm) {
            wanted
                .entry((key.region_key(), name.clone()))
                .or_insert(&config.orgs[&rack.org]);
        }
    }
    join_all(wanted.into_iter().map(|(key, org)| async move {
        let parameter = connector.ssm_parameter(org, &key.0.region, &key.1).await;
        (key, parameter)
    }))
    .await
    .into_iter()
    .collect()
}

/// Convox publishes its releases from a bucket in us-east-1.
const CONVOX_BUCKET_REGION: &str = "us-east-1";

/// One read of a template: a body, an S3 URL (any account), or a URL GetTemplateSummary reads per account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum ReadKey {
    Body(String),
    Url(String),
    Summary(String, String),
}

fn template_error(error: crate::template::DocumentError) -> CloudError {
    CloudError::new(CloudErrorKind::Validation, error.message)
}

/// The live stacks whose template the plan needs before it knows what changes: each one built from a local
/// file, so the planner can show how the file differs from what is live; and each rack to uninstall, for
/// what its deletion leaves behind.
fn stack_template_keys(state: &LiveState, racks: &[&Rack]) -> Vec<StackKey> {
    racks
        .iter()
        .filter(|rack| rack.absent || matches!(rack.template, Template::File { .. }))
        .filter_map(|rack| {
            let key = state.key_of(rack).ok()?;
            state.stack(&key)?;
            Some(key)
        })
        .collect()
}

/// GetTemplate of each of these stacks, at most `STACK_TEMPLATE_CONCURRENCY` at a time per (account,
/// region). A stack whose (account, region) has no open cloud is left out.
async fn read_stack_templates(
    keys: Vec<StackKey>,
    clouds: &Clouds,
) -> HashMap<StackKey, Result<String, CloudError>> {
    let mut stack_templates: BTreeMap<RegionKey, Vec<String>> = BTreeMap::new();
    for key in keys {
        let region = key.region_key();
        if clouds.contains_key(&region) {
            stack_templates.entry(region).or_default().push(key.name);
        }
    }
    let body_reads = stack_templates
        .into_iter()
        .filter_map(|(region, names)| Some((clouds.get(&region)?.clone(), region, names)))
        .map(|(cloud, region, names)| async move {
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
                .map(move |(name, body)| (region.stack(name), body))
                .collect::<Vec<_>>()
        });
    join_all(body_reads).await.into_iter().flatten().collect()
}

/// How CloudFormation is given a rack's template.
pub fn template_source(template: &Template) -> TemplateSource {
    match template {
        Template::Url { url, .. } => TemplateSource::Url(url.clone()),
        Template::File { body, .. } => TemplateSource::Body(body.clone()),
    }
}
