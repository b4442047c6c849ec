//! `LiveStateBuilder`: a `LiveState` made from facts recorded by hand, for tests and benches. It answers the
//! same decisions as a real read (`reads::reads_of`), so a state built here holds the records a read of
//! the same facts would. A fact a rack needs and the test did not record reads as an error naming it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use super::reads::{Answers, UrlLiveTemplate, reads_of};
use super::state::LiveState;
use super::template_source;
use crate::cloud::{
    AlarmState, CloudError, CloudErrorKind, RegionKey, Secret, SsmParameter, Stack, StackKey,
    TemplateSource, TemplateSummary,
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
    /// The state `read` of `racks` would make of these facts. A rack of an org with no recorded account
    /// is left out.
    pub fn build(&self, racks: &[Rack]) -> LiveState {
        let records = racks.iter().filter_map(|rack| {
            let key = StackKey::new(self.accounts.get(&rack.org)?, &rack.region, &rack.name);
            let stack = self
                .stacks
                .get(&key.region_key())
                .and_then(|stacks| stacks.get(&rack.name))
                .cloned();
            Some(async move { reads_of(rack, key, stack, &(), self).await })
        });
        let mut state = LiveState::default();
        state.accounts = self.accounts.clone();
        state.stacks = self.stacks.clone();
        state.template_documents = self.documents.clone();
        state.releases = self.releases.clone();
        // Every SSM value recorded reads as read: which a plan asks for is `plan::ssm_wanted`'s to say.
        state.ssm_values = self.ssm_parameters.clone();
        state.set_racks(futures::executor::block_on(futures::future::join_all(
            records,
        )));
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
    /// second read had read it.
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

fn not_recorded(what: String) -> CloudError {
    CloudError::new(
        CloudErrorKind::Other,
        format!("{what} was not recorded in the LiveStateBuilder"),
    )
}

impl Answers for LiveStateBuilder {
    type Place = ();

    fn releases(&self) -> Option<Arc<Releases>> {
        self.releases.clone()
    }

    fn password_env(&self, variable: &str) -> Option<Secret> {
        self.password_env.get(variable).cloned()
    }

    fn unchanged_since_cached(&self, key: &StackKey, _body: &str, _stack: &Stack) -> bool {
        self.unchanged_since_cached.contains(key)
    }

    fn url_live_template(&self, key: &StackKey) -> UrlLiveTemplate {
        match self.live_templates.get(key) {
            Some(read) => UrlLiveTemplate::Read(read.clone()),
            None => UrlLiveTemplate::NotWanted,
        }
    }

    async fn summary(
        &self,
        rack: &Rack,
        key: &StackKey,
        _place: &(),
    ) -> Result<TemplateSummary, CloudError> {
        self.templates
            .get(&(key.account.clone(), template_source(&rack.template)))
            .cloned()
            .unwrap_or_else(|| Err(not_recorded(rack.template.describe())))
    }

    async fn stack_template(&self, key: &StackKey, _place: &()) -> Result<String, CloudError> {
        self.live_templates
            .get(key)
            .cloned()
            .unwrap_or_else(|| Err(not_recorded(format!("the live template of {key}"))))
    }

    async fn stack_policy(
        &self,
        key: &StackKey,
        _place: &(),
    ) -> Result<Option<String>, CloudError> {
        // A stack with no policy recorded has none.
        self.stack_policies.get(key).cloned().unwrap_or(Ok(None))
    }

    async fn ssm_parameter(
        &self,
        _rack: &Rack,
        key: &StackKey,
        name: &str,
    ) -> Result<Option<SsmParameter>, CloudError> {
        self.ssm_parameters
            .get(&(key.region_key(), name.to_string()))
            .cloned()
            .unwrap_or_else(|| Err(not_recorded(format!("SSM parameter {name}"))))
    }

    async fn alarms(
        &self,
        _rack: &Rack,
        key: &StackKey,
    ) -> Result<BTreeMap<String, AlarmState>, CloudError> {
        // An (account, region) with no alarm recorded has none.
        self.alarms
            .get(&key.region_key())
            .cloned()
            .unwrap_or_else(|| Ok(BTreeMap::new()))
    }
}
