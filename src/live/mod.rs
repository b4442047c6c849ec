//! LiveState: plain facts of what AWS holds for the racks being planned, read through the `Cloud` traits as
//! cheaply as possible. Order of reads: STS once per org (the account guard must hold before any
//! CloudFormation call), then one paginated DescribeStacks per (account, region) (`read_stacks`), then
//! Convox's release list when a rack is built from its templates; then each round of a plan's reads
//! fetches exactly the `Needs` the planner lists (`Reading::fetch`). Nothing here decides what a rack
//! needs or what a fact means: that is `plan`'s. Independent reads run concurrently. `survey` holds the
//! reads of import and doctor; `preflight` the reads of the plan's preflight checks.

mod builder;
mod change_sets;
pub mod drift;
mod events;
mod fetch;
mod needs;
mod preflight;
mod privilege;
mod reader;
mod state;
mod survey;
mod templates;

pub use builder::LiveStateBuilder;
pub use change_sets::{
    ChangeSetFact, ChangeSetLedger, ChangeSetWanted, client_token, read_change_sets,
};
pub use events::{EventsRead, read_events};
pub use fetch::Reading;
pub use needs::{ChangeSetNeeds, Needs};
pub use preflight::{Place, PreflightFacts, PreflightReads, read_preflight};
pub use privilege::{service_roles, simulated_denials};
pub use state::{AlarmRead, LiveState, RackAt, SsmWanted};
pub use survey::{SurveyedStack, identify_org, password_parameters, survey_region};
pub use templates::{TemplateReads, read_template_summaries, template_source};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::FutureExt;
use futures::future::join_all;

use crate::cloud::{Cloud, CloudError, Connector, RegionKey, S3Object, Stack, StackKey};
use crate::config::{Config, OrgSettings, Rack};
use crate::convox::Releases;
use crate::convox::releases::{MAX_RELEASES_BYTES, RELEASES_KEY, RELEASES_URL};
use crate::template::CONVOX_BUCKET;
use reader::Memo;

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

/// Every stack of the (account, region)s some racks live in, each of those racks with where its stack is,
/// and the cloud that read each (account, region).
pub struct Swept {
    /// The accounts, the racks and the stacks; nothing else read yet.
    pub state: LiveState,
    clouds: BTreeMap<RegionKey, Arc<dyn Cloud>>,
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
    let mut clouds = BTreeMap::new();
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
                clouds.entry(key.region_key()).or_insert(cloud);
                state.racks.push(RackAt {
                    rack: rack.clone(),
                    key,
                });
            }
            Err(error) => {
                errors.entry(key.region_key()).or_insert(error);
            }
        }
    }
    if errors.is_empty() {
        Ok(Swept { state, clouds })
    } else {
        Err(errors.into_values().collect())
    }
}

/// Reads an environment variable: the process environment in the binary, a map in tests.
pub type EnvLookup = dyn Fn(&str) -> Option<String> + Send + Sync;

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
