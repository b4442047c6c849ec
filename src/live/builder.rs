//! `LiveStateBuilder`: a `LiveState` made from facts recorded by hand, for tests and benches. A fact a plan
//! needs and the test did not record reads as not read, as a fetch that was not asked for it would leave
//! it; what a read would find of what was not recorded (no alarm in an (account, region), no stack policy)
//! is filled in by `build`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use super::state::{LiveState, RackAt};
use crate::cloud::{
    AlarmState, CloudError, RegionKey, Secret, SsmParameter, Stack, StackKey, TemplateSource,
    TemplateSummary,
};
use crate::config::Rack;
use crate::convox::Releases;

#[derive(Debug, Clone, Default)]
pub struct LiveStateBuilder {
    accounts: BTreeMap<String, String>,
    stacks: BTreeMap<RegionKey, BTreeMap<String, Stack>>,
    templates: HashMap<(String, TemplateSource), Result<TemplateSummary, CloudError>>,
    documents: HashMap<TemplateSource, Arc<serde_json::Value>>,
    live_templates: HashMap<StackKey, Result<String, CloudError>>,
    unchanged_since_cached: BTreeSet<StackKey>,
    password_env: BTreeMap<String, Secret>,
    ssm_parameters: BTreeMap<(RegionKey, String), Result<Option<SsmParameter>, CloudError>>,
    releases: Option<Arc<Releases>>,
    alarms: BTreeMap<RegionKey, Result<BTreeMap<String, AlarmState>, CloudError>>,
    stack_policies: HashMap<StackKey, Result<Option<String>, CloudError>>,
}

impl LiveStateBuilder {
    /// The state a read of `racks` would make of these facts. A rack of an org with no recorded account
    /// is left out.
    pub fn build(&self, racks: &[Rack]) -> LiveState {
        let mut state = LiveState {
            accounts: self.accounts.clone(),
            stacks: self.stacks.clone(),
            summaries: self.templates.clone(),
            template_documents: self.documents.clone(),
            live_templates: self.live_templates.clone(),
            unchanged_since_cached: self.unchanged_since_cached.clone(),
            stack_policies: self.stack_policies.clone(),
            password_env: self.password_env.clone(),
            releases: self.releases.clone(),
            ssm_values: self.ssm_parameters.clone(),
            alarms: self.alarms.clone(),
            ..LiveState::default()
        };
        state.racks = racks
            .iter()
            .filter_map(|rack| {
                let key = StackKey::new(self.accounts.get(&rack.org)?, &rack.region, &rack.name);
                Some(RackAt {
                    rack: rack.clone(),
                    key,
                })
            })
            .collect();
        for RackAt { rack, key } in &state.racks {
            if !rack.alarms.is_empty() {
                state
                    .alarms
                    .entry(key.region_key())
                    .or_insert_with(|| Ok(BTreeMap::new()));
            }
            if rack.stack_policy.is_some() {
                state.stack_policies.entry(key.clone()).or_insert(Ok(None));
            }
        }
        state
    }

    /// What GetStackPolicy of the stack answers (unrecorded: no policy).
    pub fn record_stack_policy(&mut self, key: StackKey, read: Result<Option<String>, CloudError>) {
        self.stack_policies.insert(key, read);
    }

    pub fn record_account(&mut self, org: &str, account: &str) {
        self.accounts.insert(org.to_string(), account.to_string());
    }

    /// Records the sweep of an (account, region): every stack there.
    pub fn record_stacks(&mut self, region: RegionKey, stacks: impl IntoIterator<Item = Stack>) {
        self.stacks
            .entry(region)
            .or_default()
            .extend(stacks.into_iter().map(|stack| (stack.name.clone(), stack)));
    }

    /// Records a template's summary as `account` reads it.
    pub fn record_template(
        &mut self,
        account: &str,
        source: TemplateSource,
        summary: Result<TemplateSummary, CloudError>,
    ) {
        self.templates
            .insert((account.to_string(), source), summary);
    }

    /// Forgets every template summary recorded.
    pub fn forget_templates(&mut self) {
        self.templates.clear();
    }

    /// Records a planned template's body, parsed.
    pub fn record_template_document(
        &mut self,
        source: TemplateSource,
        document: Arc<serde_json::Value>,
    ) {
        self.documents.insert(source, document);
    }

    /// Records GetTemplate's answer for a stack: a rack built from a template URL then has it as if the
    /// second round had read it.
    pub fn record_live_template(&mut self, key: StackKey, template: Result<String, CloudError>) {
        self.live_templates.insert(key, template);
    }

    /// Records that the template cache shows the stack's live template to be its rack's template file.
    pub fn record_unchanged_since_cached(&mut self, key: StackKey) {
        self.unchanged_since_cached.insert(key);
    }

    pub fn record_password_env(&mut self, variable: &str, value: Secret) {
        self.password_env.insert(variable.to_string(), value);
    }

    /// Records an SSM parameter as read: every one recorded reads as read, which a plan asks for being
    /// `plan::needs`'s to say.
    pub fn record_ssm_parameter(
        &mut self,
        region: RegionKey,
        name: &str,
        read: Result<Option<SsmParameter>, CloudError>,
    ) {
        self.ssm_parameters.insert((region, name.to_string()), read);
    }

    pub fn record_releases(&mut self, releases: Option<Releases>) {
        self.releases = releases.map(Arc::new);
    }

    /// Records the alarms read in an (account, region).
    pub fn record_alarms(
        &mut self,
        region: RegionKey,
        states: Result<BTreeMap<String, AlarmState>, CloudError>,
    ) {
        self.alarms.insert(region, states);
    }
}
