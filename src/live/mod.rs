//! LiveState: a plain-data snapshot of what AWS holds for the racks being planned, read through the `Cloud`
//! traits as cheaply as possible. Order of reads: STS once per org (the account guard must hold before any
//! CloudFormation call), then one paginated DescribeStacks per (account, region), then Convox's release
//! list when a rack is built from its templates, then what each rack needs (`reads::reads_of` decides;
//! `reader::Reader` reads each thing once however many racks need it); last, GetTemplate for the racks a
//! first plan finds with a parameter or template change, for the impact analysis. Independent reads run
//! concurrently. `survey` holds the reads of import and doctor; `preflight` the reads of the plan's
//! preflight checks, made after the plan is known.

mod builder;
mod change_sets;
pub mod drift;
mod events;
mod preflight;
mod privilege;
mod reader;
mod reads;
mod state;
mod survey;
mod templates;

pub use builder::LiveStateBuilder;
pub use change_sets::{
    ChangeSetFact, ChangeSetLedger, ChangeSetWanted, client_token, read_change_sets,
};
pub use events::{EventsRead, read_events};
pub use preflight::{Place, PreflightFacts, PreflightReads, read_preflight};
pub use privilege::{service_roles, simulated_denials};
pub use reads::{
    AlarmRead, FileLiveTemplate, InstallReads, InstalledReads, KnownLiveTemplate, LiveTemplate,
    PasswordRead, PresentReads, PresentStack, RackReads, Reads, Route, SteppingStone, Steps,
    UninstallReads, UrlLiveTemplate,
};
pub use state::{LiveState, SsmWanted};
pub use survey::{SurveyedStack, identify_org, password_parameters, survey_region};
pub use templates::{TemplateReads, read_template_summaries, template_source};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::FutureExt;
use futures::future::join_all;

use crate::cloud::{Cloud, CloudError, Connector, RegionKey, S3Object, Stack, StackKey};
use crate::config::{Config, OrgSettings, Rack, sha256_hex};
use crate::convox::Releases;
use crate::convox::releases::{MAX_RELEASES_BYTES, RELEASES_KEY, RELEASES_URL};
use crate::template::CONVOX_BUCKET;
use crate::template_cache::TemplateCache;
use reader::{Memo, Reader, StackTemplatePermits};
use reads::reads_of;
use templates::{ReadKey, TemplateAnswer, read_template, template_read};

/// Why the live state could not be read. Each names the org or region and what to do.
#[derive(Debug, Clone, thiserror::Error)]
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
    /// DescribeStackEvents of a rack (`events`, and `status` for a rack being updated).
    #[error("{rack}: cannot read the stack's events: {error}")]
    Events { rack: String, error: CloudError },
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
            ReadError::Identity { error, .. }
            | ReadError::Stacks { error, .. }
            | ReadError::Events { error, .. } => error.hint().map(str::to_string),
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

/// The account an org's credentials belong to, identified in `region`, refused when it is not the org's
/// `account_id`.
async fn identify_guarded(
    settings: &OrgSettings,
    region: &str,
    connector: &dyn Connector,
) -> Result<String, ReadError> {
    let actual = identify_org(settings, region, connector).await?;
    match &settings.account_id {
        Some(expected) if *expected != actual => Err(ReadError::WrongAccount {
            org: settings.name.clone(),
            expected: expected.clone(),
            actual,
        }),
        _ => Ok(actual),
    }
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
        Some(async move {
            (
                org.clone(),
                identify_guarded(settings, &region, connector).await,
            )
        })
    });
    join_all(lookups).await.into_iter().collect()
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

/// One paginated DescribeStacks of an (account, region), with `org`'s credentials, and the cloud that read it.
async fn sweep_region(
    org: &OrgSettings,
    account: &str,
    region: &str,
    connector: &dyn Connector,
) -> Result<(Arc<dyn Cloud>, Vec<Stack>), ReadError> {
    let unreadable = |error| ReadError::Stacks {
        account: account.to_string(),
        region: region.to_string(),
        error,
    };
    let cloud = connector.cloud(org, region).await.map_err(unreadable)?;
    let stacks = cloud.describe_stacks().await.map_err(unreadable)?;
    Ok((cloud, stacks))
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
    join_all(clouds.into_iter().map(|(place, org)| async move {
        let (cloud, stacks) =
            match sweep_region(org, &place.account, &place.region, connector).await {
                Ok((cloud, stacks)) => (Some(cloud), Ok(stacks)),
                Err(error) => (None, Err(error)),
            };
        Sweep {
            account: place.account,
            region: place.region,
            cloud,
            stacks,
        }
    }))
    .await
}

/// Where one rack is, what is there, and the cloud that reads it.
struct SweptRack {
    key: StackKey,
    stack: Option<Stack>,
    cloud: Arc<dyn Cloud>,
}

/// Every stack of the (account, region)s some racks live in, and each of those racks, in their order.
pub struct Swept {
    /// The accounts and the stacks; no rack's reads yet.
    pub state: LiveState,
    racks: Vec<SweptRack>,
}

/// The account of each rack's org (STS once per org, the account guard enforced before any CloudFormation
/// call), then one paginated DescribeStacks per (account, region), all concurrently; no template is read.
/// Each org is identified in the first region one of its racks lives in; each (account, region) is read
/// with the credentials of the first rack's org that reaches it.
pub async fn read_stacks(
    config: &Config,
    racks: &[Rack],
    connector: &dyn Connector,
) -> Result<Swept, Vec<ReadError>> {
    let regions = regions_by_org(racks);
    let identities: Memo<String, Result<String, ReadError>> = Memo::default();
    let accounts = join_all(racks.iter().map(|rack| {
        let settings = &config.orgs[&rack.org];
        let region = regions
            .get(&rack.org)
            .and_then(BTreeSet::first)
            .unwrap_or(&rack.region)
            .clone();
        identities.get(rack.org.clone(), move || {
            async move { identify_guarded(settings, &region, connector).await }.boxed()
        })
    }))
    .await;
    let mut keys = Vec::new();
    let mut errors: BTreeMap<String, ReadError> = BTreeMap::new();
    for (rack, account) in racks.iter().zip(accounts) {
        match account {
            Ok(account) => keys.push(StackKey::new(account, &rack.region, &rack.name)),
            Err(error) => {
                errors.entry(rack.org.clone()).or_insert(error);
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors.into_values().collect());
    }
    type RegionSweep = Result<(Arc<dyn Cloud>, Arc<Vec<Stack>>), ReadError>;
    let sweeps: Memo<RegionKey, RegionSweep> = Memo::default();
    let swept = join_all(racks.iter().zip(&keys).map(|(rack, key)| {
        let org = &config.orgs[&rack.org];
        let place = key.region_key();
        sweeps.get(place.clone(), move || {
            async move {
                let (cloud, stacks) =
                    sweep_region(org, &place.account, &place.region, connector).await?;
                Ok((cloud, Arc::new(stacks)))
            }
            .boxed()
        })
    }))
    .await;
    let mut state = LiveState::default();
    let mut swept_racks = Vec::new();
    let mut errors: BTreeMap<RegionKey, ReadError> = BTreeMap::new();
    for ((rack, key), sweep) in racks.iter().zip(keys).zip(swept) {
        state
            .accounts
            .entry(rack.org.clone())
            .or_insert_with(|| key.account.clone());
        match sweep {
            Ok((cloud, stacks)) => {
                state.stacks.entry(key.region_key()).or_insert_with(|| {
                    stacks
                        .iter()
                        .map(|stack| (stack.name.clone(), stack.clone()))
                        .collect()
                });
                let stack = stacks.iter().find(|stack| stack.name == key.name).cloned();
                swept_racks.push(SweptRack { key, stack, cloud });
            }
            Err(error) => {
                errors.entry(key.region_key()).or_insert(error);
            }
        }
    }
    if errors.is_empty() {
        Ok(Swept {
            state,
            racks: swept_racks,
        })
    } else {
        Err(errors.into_values().collect())
    }
}

/// Reads an environment variable: the process environment in the binary, a map in tests.
pub type EnvLookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// A read in progress: everything but the live templates of racks with a change to analyse, which only a
/// plan made of the rest can name (`read_live_templates`), then `finish`.
pub struct Reading {
    state: LiveState,
    /// The cloud of each of `state`'s racks, in the same order.
    clouds: Vec<Arc<dyn Cloud>>,
    permits: Arc<StackTemplatePermits>,
}

impl Reading {
    /// What has been read so far.
    pub fn state(&self) -> &LiveState {
        &self.state
    }

    /// The live templates of these stacks that are wanted and not read yet (those of racks built from a
    /// template URL: the rest are read with everything else).
    pub async fn read_live_templates(&mut self, wanted: &[StackKey]) {
        let wanted: BTreeSet<&StackKey> = wanted.iter().collect();
        let permits = &self.permits;
        let reads = self
            .state
            .racks_mut()
            .iter_mut()
            .zip(&self.clouds)
            .filter_map(|(record, cloud)| {
                let RackReads { key, reads, .. } = record;
                let Reads::Present(present) = reads else {
                    return None;
                };
                let PresentStack::Installed(InstalledReads {
                    live_template:
                        LiveTemplate::OfUrl {
                            live: live @ UrlLiveTemplate::NotWanted,
                            ..
                        },
                    ..
                }) = &mut present.stack
                else {
                    return None;
                };
                if !wanted.contains(key) {
                    return None;
                }
                let key = &*key;
                Some(async move {
                    *live =
                        UrlLiveTemplate::Read(permits.stack_template(key, cloud.as_ref()).await);
                })
            });
        join_all(reads).await;
    }

    /// The current values of these SSM parameters, each distinct (account, region, name) read once, all
    /// concurrently, with the credentials of the first org that wants it; a value read before is kept.
    pub async fn read_ssm_values(
        &mut self,
        config: &Config,
        connector: &dyn Connector,
        wanted: &[SsmWanted],
    ) {
        let mut distinct: BTreeMap<(RegionKey, String), &OrgSettings> = BTreeMap::new();
        for want in wanted {
            let key = (want.place.clone(), want.name.clone());
            if self.state.ssm_values.contains_key(&key) {
                continue;
            }
            if let Some(org) = config.orgs.get(&want.org) {
                distinct.entry(key).or_insert(org);
            }
        }
        let reads = distinct.into_iter().map(|((place, name), org)| async move {
            let read = connector.ssm_parameter(org, &place.region, &name).await;
            ((place, name), read)
        });
        let values = join_all(reads).await;
        self.state.ssm_values.extend(values);
    }

    /// The live state; `cache`, when given, learns each live template read.
    pub fn finish(self, cache: Option<&mut TemplateCache>) -> LiveState {
        let state = self.state;
        if let Some(cache) = cache {
            for record in state.racks() {
                if let (Some(KnownLiveTemplate::Read(Ok(body))), Some(stack)) =
                    (record.live_template(), record.stack())
                {
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
/// analyse (see `Reading`): an unchanged rack costs no GetTemplate. What each rack needs is decided in
/// `reads::reads_of`. `env` gives the values of `password_env` variables, which installs check against the
/// template.
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
    let Swept {
        mut state,
        racks: swept,
    } = read_stacks(config, racks, connector).await?;
    // After the account guard and the sweep, as every other read: a run that stops there reads nothing else.
    if racks
        .iter()
        .any(|rack| !rack.absent && rack.uses_convox_releases())
    {
        state.releases = Some(Arc::new(
            read_releases(connector)
                .await
                .map_err(|error| vec![error])?,
        ));
    }
    let places: Vec<(&Rack, &StackKey)> = racks.iter().zip(swept.iter().map(|s| &s.key)).collect();
    let reader = Reader::new(
        config,
        connector,
        env,
        cache,
        state.releases.clone(),
        &places,
    );
    let records = {
        let reader = &reader;
        join_all(racks.iter().zip(swept).map(
            |(rack, SweptRack { key, stack, cloud })| async move {
                let record = reads_of(rack, key, stack, &cloud, reader).await;
                (record, cloud)
            },
        ))
        .await
    };
    let permits = reader.permits();
    state.template_documents = reader.into_documents();
    let (records, clouds) = records.into_iter().unzip();
    state.set_racks(records);
    Ok(Reading {
        state,
        clouds,
        permits,
    })
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

/// Convox publishes its releases from a bucket in us-east-1.
const CONVOX_BUCKET_REGION: &str = "us-east-1";
