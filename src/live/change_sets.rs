//! CloudFormation's own view of the updates a plan makes: one change set per update, made of exactly the
//! request the update would send, waited for (DescribeChangeSet, backing off, one call per change set per
//! interval) and read whole (every page, IncludePropertyValues); or, for a saved plan, the change sets it
//! kept, read again. Every change set made is written in a ledger before it is asked for, so that it is
//! deleted on every way out, an interrupted CreateChangeSet included (deleted by name).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use rand::Rng;

use crate::cloud::{
    ChangeSet, ChangeSetRef, Cloud, CloudError, CloudErrorKind, Connector, StackKey,
    UpdateStackRequest,
};
use crate::config::OrgSettings;

/// A change set the plan wants for a rack's update.
#[derive(Debug, Clone)]
pub struct ChangeSetWanted {
    pub key: StackKey,
    pub org: String,
    /// Exactly what the update sends (its token is the change set's ClientToken).
    pub request: UpdateStackRequest,
    /// A change set a saved plan kept for this update: read again, never made anew.
    pub kept: Option<ChangeSetRef>,
}

/// A change set made (or kept) for an update, as read.
#[derive(Debug, Clone)]
pub struct ChangeSetFact {
    pub reference: ChangeSetRef,
    /// What it was made of; the planner cross-checks only the update that sends exactly this.
    pub request: UpdateStackRequest,
    /// The change set as DescribeChangeSet last reported it (settled: not in progress), or why it could not
    /// be made or read.
    pub read: Result<ChangeSet, CloudError>,
}

/// A change set made, with the CloudFormation of its account and region.
type Made = (Arc<dyn Cloud>, ChangeSetRef);

/// Change sets made by this run and not executed (yet): what `delete_left` deletes.
#[derive(Clone, Default)]
pub struct ChangeSetLedger {
    made: Arc<Mutex<Vec<Made>>>,
}

impl std::fmt::Debug for ChangeSetLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.entries().iter().map(|(_, made)| made))
            .finish()
    }
}

impl ChangeSetLedger {
    fn record(&self, cloud: Arc<dyn Cloud>, reference: ChangeSetRef) {
        self.entries().push((cloud, reference));
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Vec<Made>> {
        self.made
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A change set that was executed: it is the stack's history now, not something left behind.
    pub fn executed(&self, reference: &ChangeSetRef) {
        self.entries().retain(|(_, made)| made != reference);
    }

    /// Keeps every change set made (`plan --out`: the saved plan's apply executes them).
    pub fn keep(&self) {
        self.entries().clear();
    }

    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }

    /// Deletes every change set made and not executed; one already gone is fine. The ones that could not
    /// be deleted, and why.
    pub async fn delete_left(&self) -> Vec<(ChangeSetRef, CloudError)> {
        let left: Vec<Made> = std::mem::take(&mut *self.entries());
        let deletions = left.into_iter().map(|(cloud, reference)| async move {
            match cloud.delete_change_set(&reference).await {
                Ok(()) => None,
                Err(error) if is_gone(&error) => None,
                Err(error) => Some((reference, error)),
            }
        });
        futures::stream::iter(deletions)
            .buffer_unordered(10)
            .filter_map(|failed| async move { failed })
            .collect()
            .await
    }
}

fn is_gone(error: &CloudError) -> bool {
    error.message.contains("ChangeSetNotFound") || error.message.contains("does not exist")
}

/// The first wait between DescribeChangeSet calls, and the longest (as a stack is followed).
const FIRST_POLL: Duration = Duration::from_secs(2);
const MAX_POLL: Duration = Duration::from_secs(10);
/// How long a change set may take to be made before the plan gives up on it.
const PATIENCE: Duration = Duration::from_secs(15 * 60);

/// Makes (or reads again) the change set of each update wanted, at most `parallelism` at a time; every one
/// made is in `ledger` from before its CreateChangeSet is sent.
pub async fn read_change_sets(
    orgs: &BTreeMap<String, OrgSettings>,
    connector: &dyn Connector,
    wanted: Vec<ChangeSetWanted>,
    ledger: &ChangeSetLedger,
    parallelism: usize,
) -> BTreeMap<StackKey, ChangeSetFact> {
    let reads = wanted.into_iter().map(|wanted| async move {
        let key = wanted.key.clone();
        let fact = read_one(orgs, connector, wanted, ledger).await;
        (key, fact)
    });
    futures::stream::iter(reads)
        .buffer_unordered(parallelism.max(1))
        .collect()
        .await
}

async fn read_one(
    orgs: &BTreeMap<String, OrgSettings>,
    connector: &dyn Connector,
    wanted: ChangeSetWanted,
    ledger: &ChangeSetLedger,
) -> ChangeSetFact {
    let ChangeSetWanted {
        key,
        org,
        request,
        kept,
    } = wanted;
    let reference = kept.clone().unwrap_or_else(|| ChangeSetRef {
        stack: request.name.clone(),
        name: change_set_name(),
    });
    let fact = |read| ChangeSetFact {
        reference: reference.clone(),
        request: request.clone(),
        read,
    };
    let cloud = match orgs.get(&org) {
        Some(settings) => connector.cloud(settings, &key.region).await,
        None => Err(CloudError::new(
            CloudErrorKind::Other,
            format!("no org {org} in racks.toml"),
        )),
    };
    let cloud = match cloud {
        Ok(cloud) => cloud,
        Err(error) => return fact(Err(error)),
    };
    if kept.is_none() {
        ledger.record(Arc::clone(&cloud), reference.clone());
        if let Err(error) = cloud.create_change_set(&request, &reference.name).await {
            return fact(Err(error));
        }
    } else {
        // Kept by a saved plan: this run deletes it if it does not execute it.
        ledger.record(Arc::clone(&cloud), reference.clone());
    }
    fact(settled(cloud.as_ref(), &reference).await)
}

/// DescribeChangeSet until the change set is made or failed, backing off.
async fn settled(cloud: &dyn Cloud, reference: &ChangeSetRef) -> Result<ChangeSet, CloudError> {
    let started = tokio::time::Instant::now();
    let mut wait = FIRST_POLL;
    loop {
        let change_set = cloud.describe_change_set(reference).await?;
        if !change_set.is_pending() {
            return Ok(change_set);
        }
        if started.elapsed() >= PATIENCE {
            return Err(CloudError::new(
                CloudErrorKind::Other,
                format!(
                    "change set {} still {} after {} minutes",
                    reference.name,
                    change_set.status,
                    PATIENCE.as_secs() / 60
                ),
            ));
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(MAX_POLL);
    }
}

/// A fresh token for one CreateChangeSet (its ClientToken), so a retried call is not taken for another.
pub fn client_token() -> String {
    format!("rackfile-{}", random_suffix(24))
}

fn random_suffix(length: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..length)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// `rackfile-` and a random suffix: a change set name (`[a-zA-Z][-a-zA-Z0-9]*`) no other run picks.
fn change_set_name() -> String {
    format!("rackfile-{}", random_suffix(12))
}
