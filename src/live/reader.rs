//! `Reader`: the answers `reads_of` asks for, read from AWS. Racks that need the same thing share one read
//! (`Memo`): a template once per account (or once, for one read whole), a stack's template once, an SSM
//! parameter once per account and region, the alarms of an account and region in one DescribeAlarms.
//! Every rack's reads run concurrently; GetTemplate at most `STACK_TEMPLATE_CONCURRENCY` at a time per
//! (account, region).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use tokio::sync::Semaphore;

use super::reads::{Answers, UrlLiveTemplate};
use super::{EnvLookup, ReadKey, TemplateAnswer, read_template, template_read, template_source};
use crate::cloud::{
    AlarmState, Cloud, CloudError, Connector, RegionKey, Secret, SsmParameter, Stack, StackKey,
    TemplateSource, TemplateSummary,
};
use crate::config::{Config, Rack, sha256_hex};
use crate::convox::Releases;
use crate::template_cache::TemplateCache;

/// At most this many GetTemplate calls at once per (account, region), to stay clear of throttling.
const STACK_TEMPLATE_CONCURRENCY: usize = 8;

/// One read per key however many racks ask for it: the first asker starts it, every asker awaits the same
/// answer.
pub(super) struct Memo<'a, K, V: Clone> {
    reads: Mutex<HashMap<K, Shared<BoxFuture<'a, V>>>>,
}

impl<K, V: Clone> Default for Memo<'_, K, V> {
    fn default() -> Self {
        Self {
            reads: Mutex::new(HashMap::new()),
        }
    }
}

impl<'a, K: Eq + Hash, V: Clone> Memo<'a, K, V> {
    pub(super) fn get(
        &self,
        key: K,
        read: impl FnOnce() -> BoxFuture<'a, V>,
    ) -> Shared<BoxFuture<'a, V>> {
        self.reads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_insert_with(|| read().shared())
            .clone()
    }
}

/// The permits of each (account, region)'s GetTemplate calls.
#[derive(Default)]
pub(super) struct StackTemplatePermits {
    regions: Mutex<HashMap<RegionKey, Arc<Semaphore>>>,
}

impl StackTemplatePermits {
    /// GetTemplate of the stack, waiting for a permit of its (account, region).
    pub(super) async fn stack_template(
        &self,
        key: &StackKey,
        cloud: &dyn Cloud,
    ) -> Result<String, CloudError> {
        let permits = self
            .regions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.region_key())
            .or_insert_with(|| Arc::new(Semaphore::new(STACK_TEMPLATE_CONCURRENCY)))
            .clone();
        // The semaphore is never closed, so a permit always comes.
        let _permit = permits.acquire().await.ok();
        cloud.stack_template(&key.name).await
    }
}

/// The answers of a plan's first read, from AWS.
pub(super) struct Reader<'a> {
    config: &'a Config,
    connector: &'a dyn Connector,
    env: &'a EnvLookup,
    cache: Option<&'a TemplateCache>,
    releases: Option<Arc<Releases>>,
    /// The alarms named by racks in each (account, region): one DescribeAlarms reads them all.
    alarm_names: BTreeMap<RegionKey, BTreeSet<String>>,
    templates: Memo<'a, ReadKey, TemplateAnswer>,
    stack_templates: Memo<'a, StackKey, Result<String, CloudError>>,
    permits: Arc<StackTemplatePermits>,
    ssm_parameters: Memo<'a, (RegionKey, String), Result<Option<SsmParameter>, CloudError>>,
    alarms: Memo<'a, RegionKey, Result<BTreeMap<String, AlarmState>, CloudError>>,
    /// Each planned template read whole, parsed, for the impact analysis.
    documents: Mutex<HashMap<TemplateSource, Arc<serde_json::Value>>>,
}

impl<'a> Reader<'a> {
    /// `racks`, each with where it is: the racks whose reads this will answer.
    pub(super) fn new(
        config: &'a Config,
        connector: &'a dyn Connector,
        env: &'a EnvLookup,
        cache: Option<&'a TemplateCache>,
        releases: Option<Arc<Releases>>,
        racks: &[(&Rack, &StackKey)],
    ) -> Self {
        let mut alarm_names: BTreeMap<RegionKey, BTreeSet<String>> = BTreeMap::new();
        for (rack, key) in racks.iter().filter(|(rack, _)| !rack.absent) {
            alarm_names
                .entry(key.region_key())
                .or_default()
                .extend(rack.alarms.iter().cloned());
        }
        Self {
            config,
            connector,
            env,
            cache,
            releases,
            alarm_names,
            templates: Memo::default(),
            stack_templates: Memo::default(),
            permits: Arc::default(),
            ssm_parameters: Memo::default(),
            alarms: Memo::default(),
            documents: Mutex::default(),
        }
    }

    pub(super) fn permits(&self) -> Arc<StackTemplatePermits> {
        self.permits.clone()
    }

    pub(super) fn into_documents(self) -> HashMap<TemplateSource, Arc<serde_json::Value>> {
        self.documents
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl<'a> Answers for Reader<'a> {
    type Place = Arc<dyn Cloud>;

    fn releases(&self) -> Option<Arc<Releases>> {
        self.releases.clone()
    }

    fn password_env(&self, variable: &str) -> Option<Secret> {
        (self.env)(variable)
            .filter(|value| !value.is_empty())
            .map(Secret::new)
    }

    fn unchanged_since_cached(&self, _key: &StackKey, body: &str, stack: &Stack) -> bool {
        self.cache.is_some_and(|cache| {
            cache
                .template_sha256(&stack.stack_id, &stack.last_updated)
                .is_some_and(|sha| sha == sha256_hex(body.trim_end().as_bytes()))
        })
    }

    fn url_live_template(&self, _key: &StackKey) -> UrlLiveTemplate {
        UrlLiveTemplate::NotWanted
    }

    async fn summary(
        &self,
        rack: &Rack,
        key: &StackKey,
        cloud: &Arc<dyn Cloud>,
    ) -> Result<TemplateSummary, CloudError> {
        let (read_key, read) = template_read(self.config, rack, &key.account, cloud);
        let connector = self.connector;
        let (summary, document) = self
            .templates
            .get(read_key, || read_template(read, connector).boxed())
            .await;
        if let Some(document) = document {
            self.documents
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(template_source(&rack.template), document);
        }
        summary
    }

    async fn stack_template(
        &self,
        key: &StackKey,
        cloud: &Arc<dyn Cloud>,
    ) -> Result<String, CloudError> {
        let (permits, cloud, owned_key) = (self.permits.clone(), cloud.clone(), key.clone());
        self.stack_templates
            .get(key.clone(), move || {
                async move { permits.stack_template(&owned_key, cloud.as_ref()).await }.boxed()
            })
            .await
    }

    async fn stack_policy(
        &self,
        key: &StackKey,
        cloud: &Arc<dyn Cloud>,
    ) -> Result<Option<String>, CloudError> {
        cloud.stack_policy(&key.name).await
    }

    async fn ssm_parameter(
        &self,
        rack: &Rack,
        key: &StackKey,
        name: &str,
    ) -> Result<Option<SsmParameter>, CloudError> {
        let org = &self.config.orgs[&rack.org];
        let (connector, region, owned_name) =
            (self.connector, key.region.clone(), name.to_string());
        self.ssm_parameters
            .get((key.region_key(), name.to_string()), move || {
                async move { connector.ssm_parameter(org, &region, &owned_name).await }.boxed()
            })
            .await
    }

    async fn alarms(
        &self,
        rack: &Rack,
        key: &StackKey,
    ) -> Result<BTreeMap<String, AlarmState>, CloudError> {
        let region = key.region_key();
        // Every name racks ask for here, and this rack's own whatever the others' were.
        let mut names = self.alarm_names.get(&region).cloned().unwrap_or_default();
        names.extend(rack.alarms.iter().cloned());
        let org = &self.config.orgs[&rack.org];
        let connector = self.connector;
        self.alarms
            .get(region.clone(), move || {
                async move {
                    let names: Vec<String> = names.into_iter().collect();
                    match connector.alarms(org, &region.region).await {
                        Ok(alarms) => alarms.describe_alarms(&names).await,
                        Err(error) => Err(error),
                    }
                }
                .boxed()
            })
            .await
    }
}
