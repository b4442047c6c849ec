//! `Reading`: the facts a plan's rounds of reads fetch, each round exactly the `Needs` the planner lists.
//! What several racks need is read once: a template once per account (or once, for one read whole), a
//! stack's template once, an SSM parameter once per account and region, the alarms of an account and
//! region in one DescribeAlarms. Every read of a round runs concurrently; GetTemplate at most
//! `STACK_TEMPLATE_CONCURRENCY` at a time per (account, region), change sets at most the parallelism their
//! needs give (`read_change_sets`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures::FutureExt;
use futures::future::join_all;

use super::needs::ChangeSetNeeds;
use super::reader::{Memo, StackTemplatePermits};
use super::templates::{ReadKey, TemplateAnswer, read_template, template_read, template_source};
use super::{EnvLookup, LiveState, Needs, Swept, read_change_sets};
use crate::cloud::{Cloud, Connector, RegionKey, Secret};
use crate::config::{Config, sha256_hex};
use crate::convox::Releases;
use crate::template_cache::TemplateCache;

/// The facts read so far, and the clouds that read them, for the next round.
pub struct Reading {
    state: LiveState,
    clouds: BTreeMap<RegionKey, Arc<dyn Cloud>>,
    permits: Arc<StackTemplatePermits>,
}

impl Reading {
    /// A reading that starts from the sweep (and Convox's release list, when it was read).
    pub fn new(swept: Swept, releases: Option<Releases>) -> Self {
        let Swept { mut state, clouds } = swept;
        state.releases = releases.map(Arc::new);
        Self {
            state,
            clouds,
            permits: Arc::default(),
        }
    }

    /// What has been read so far.
    pub fn state(&self) -> &LiveState {
        &self.state
    }

    /// Reads what `needs` lists and was not read before. `env` gives the values of `password_env`
    /// variables; `cache`, when given, lets a stack whose live template it shows to be its rack's template
    /// file go without a GetTemplate (apply passes none: a cached fact may make a plan cheap, never make
    /// apply skip a change).
    pub async fn fetch(
        &mut self,
        config: &Config,
        connector: &dyn Connector,
        env: &EnvLookup,
        cache: Option<&TemplateCache>,
        needs: &Needs,
    ) {
        let state = &mut self.state;
        for variable in &needs.password_env {
            if let Some(value) = env(variable).filter(|value| !value.is_empty()) {
                state
                    .password_env
                    .insert(variable.clone(), Secret::new(value));
            }
        }
        for (key, body) in &needs.live_templates_unless_cached {
            let cached = cache.zip(state.stack(key)).is_some_and(|(cache, stack)| {
                cache
                    .template_sha256(&stack.stack_id, &stack.last_updated)
                    .is_some_and(|sha| sha == sha256_hex(body.trim_end().as_bytes()))
            });
            if cached {
                state.unchanged_since_cached.insert(key.clone());
            }
        }
        let live_templates: Vec<_> = needs
            .live_templates
            .iter()
            .chain(needs.live_templates_unless_cached.keys())
            .filter(|key| {
                !state.live_templates.contains_key(*key)
                    && !state.unchanged_since_cached.contains(*key)
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .filter_map(|key| Some((key.clone(), self.clouds.get(&key.region_key())?.clone())))
            .collect();
        let stack_policies: Vec<_> = needs
            .stack_policies
            .iter()
            .filter(|key| !state.stack_policies.contains_key(*key))
            .filter_map(|key| Some((key.clone(), self.clouds.get(&key.region_key())?.clone())))
            .collect();
        // Each distinct (account, region, name) once, with the credentials of the first org that wants it.
        let mut ssm_values = BTreeMap::new();
        for want in &needs.ssm_values {
            let key = (want.place.clone(), want.name.clone());
            if state.ssm_values.contains_key(&key) {
                continue;
            }
            if let Some(org) = config.orgs.get(&want.org) {
                ssm_values.entry(key).or_insert(org);
            }
        }
        let alarms: Vec<_> = needs
            .alarms
            .iter()
            .filter(|(region, _)| !state.alarms.contains_key(*region))
            .filter_map(|(region, (org, names))| {
                Some((region.clone(), config.orgs.get(org)?, names.clone()))
            })
            .collect();

        let templates: Memo<ReadKey, TemplateAnswer> = Memo::default();
        let summaries = join_all(needs.summaries.iter().filter_map(|(rack, key)| {
            let cloud = self.clouds.get(&key.region_key())?;
            let (read_key, read) = template_read(config, rack, &key.account, cloud);
            let answer = templates.get(read_key, || read_template(read, connector).boxed());
            let source = template_source(&rack.template);
            Some(async move { (key.account.clone(), source, answer.await) })
        }));
        let permits = &self.permits;
        let live_templates = join_all(live_templates.into_iter().map(|(key, cloud)| async move {
            let read = permits.stack_template(&key, cloud.as_ref()).await;
            (key, read)
        }));
        let stack_policies = join_all(stack_policies.into_iter().map(|(key, cloud)| async move {
            let read = cloud.stack_policy(&key.name).await;
            (key, read)
        }));
        let ssm_values = join_all(
            ssm_values
                .into_iter()
                .map(|((place, name), org)| async move {
                    let read = connector.ssm_parameter(org, &place.region, &name).await;
                    ((place, name), read)
                }),
        );
        let alarms = join_all(alarms.into_iter().map(|(region, org, names)| async move {
            let names: Vec<String> = names.into_iter().collect();
            let read = match connector.alarms(org, &region.region).await {
                Ok(alarms) => alarms.describe_alarms(&names).await,
                Err(error) => Err(error),
            };
            (region, read)
        }));
        let change_sets = async {
            match &needs.change_sets {
                Some(ChangeSetNeeds {
                    wanted,
                    ledger,
                    parallelism,
                }) => Some(
                    read_change_sets(
                        &config.orgs,
                        connector,
                        wanted.clone(),
                        ledger,
                        *parallelism,
                    )
                    .await,
                ),
                None => None,
            }
        };
        let (summaries, live_templates, stack_policies, ssm_values, alarms, change_sets) = futures::join!(
            summaries,
            live_templates,
            stack_policies,
            ssm_values,
            alarms,
            change_sets
        );
        let mut documents = HashMap::new();
        for (account, source, (summary, document)) in summaries {
            if let Some(document) = document {
                documents.insert(source.clone(), document);
            }
            state.summaries.insert((account, source), summary);
        }
        state.template_documents.extend(documents);
        state.live_templates.extend(live_templates);
        state.stack_policies.extend(stack_policies);
        state.ssm_values.extend(ssm_values);
        state.alarms.extend(alarms);
        // Asked for, even with no update to make one of: the plan holds each update it has none for.
        if let Some(change_sets) = change_sets {
            state
                .change_sets
                .get_or_insert_with(BTreeMap::new)
                .extend(change_sets);
        }
    }

    /// The live state; `cache`, when given, learns each live template read.
    pub fn finish(self, cache: Option<&mut TemplateCache>) -> LiveState {
        let state = self.state;
        if let Some(cache) = cache {
            for rack in state.racks() {
                if let (Some(Ok(body)), Some(stack)) =
                    (state.live_template(&rack.key), state.stack(&rack.key))
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
