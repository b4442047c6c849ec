//! What was read, as the planner reads it: LiveState's maps, private to `live`, filed by `StackKey` and
//! `RegionKey`, behind typed accessors; what a stack's live template is known as; and `NotRead`, the one
//! error for a read the planner needs and lacks. The reads themselves are `mod.rs`'s.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::alarms::{self, AlarmRead, AlarmReads};
use super::template_source;
use crate::cloud::{
    CloudError, RegionKey, Secret, SsmParameter, Stack, StackKey, TemplateSource, TemplateSummary,
};
use crate::config::{Rack, Template};
use crate::convox::Releases;

/// What was read, filed by where it is. The maps are private: the planner asks through the accessors, and
/// a read the planner needs that is absent is a `NotRead`, one typed error named in one place, never a map
/// lookup each caller words on its own.
#[derive(Debug, Clone, Default)]
pub struct LiveState {
    /// org -> the account its credentials belong to.
    pub(super) accounts: BTreeMap<String, String>,
    /// Every stack of each (account, region) swept, by name.
    pub(super) stacks: BTreeMap<RegionKey, BTreeMap<String, Stack>>,
    /// (account, template) -> its summary, or why it could not be read.
    pub(super) templates: HashMap<(String, TemplateSource), Result<TemplateSummary, CloudError>>,
    /// Each planned template whose body was read (a local file, an S3 object), parsed: the impact analysis
    /// compares it with the live template. Templates read through GetTemplateSummary have none.
    pub(super) template_documents: HashMap<TemplateSource, Arc<serde_json::Value>>,
    /// The live template of racks built from a local template file, racks to uninstall, and racks with a
    /// change to analyse.
    pub(super) live_templates: HashMap<StackKey, LiveTemplate>,
    /// `password_env` variable -> its value at plan time, so installs check it against the template.
    pub(super) password_env_values: BTreeMap<String, Secret>,
    /// The SSM parameter (named in its account and region) holding the password of a rack to install with
    /// `password_ssm`: `None` when it does not exist yet (apply creates it).
    pub(super) ssm_passwords:
        BTreeMap<(RegionKey, String), Result<Option<SsmParameter>, CloudError>>,
    /// Convox's release list, read when some rack is built from Convox's published templates.
    pub(super) releases: Option<Releases>,
    /// The alarms `[rollout] alarms` names, per (account, region).
    pub(super) alarms: AlarmReads,
}

/// A stack's live template as known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveTemplate {
    /// The template cache shows it to be the rack's own template file, unchanged: no GetTemplate was needed.
    UnchangedSinceCached,
    /// GetTemplate's answer.
    Read(Result<String, CloudError>),
}

/// A read the planner relies on that was not made. It cannot happen when the planner plans the racks
/// `read` read for; it is an error rather than a panic so that a mistake says which read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotRead {
    #[error("the account of org `{0}` was not read")]
    Account(String),
    #[error("the template {0} was not read")]
    Template(String),
    #[error("the live template of stack {0} was not read")]
    LiveTemplate(StackKey),
    #[error("SSM parameter {0} was not read")]
    SsmParameter(String),
    #[error("Convox's release list was not read")]
    Releases,
    #[error("alarm {0} was not read")]
    Alarm(String),
}

impl NotRead {
    pub const HINT: &str = "this is a bug in rackfile: please report it";
}

impl LiveState {
    /// The account an org's credentials belong to.
    pub fn account_of(&self, org: &str) -> Result<&str, NotRead> {
        self.accounts
            .get(org)
            .map(String::as_str)
            .ok_or_else(|| NotRead::Account(org.to_string()))
    }

    /// Where a rack's stack is.
    pub fn key_of(&self, rack: &Rack) -> Result<StackKey, NotRead> {
        Ok(StackKey::new(
            self.account_of(&rack.org)?,
            &rack.region,
            &rack.name,
        ))
    }

    pub fn stack(&self, key: &StackKey) -> Option<&Stack> {
        self.stacks
            .get(&key.region_key())
            .and_then(|stacks| stacks.get(&key.name))
    }

    /// The stacks of one (account, region), by name; none when it was not swept.
    pub fn stacks_in(&self, region: &RegionKey) -> impl Iterator<Item = &Stack> {
        self.stacks
            .get(region)
            .into_iter()
            .flat_map(BTreeMap::values)
    }

    /// Every (account, region) swept, with its stacks by name.
    pub fn regions(&self) -> impl Iterator<Item = (&RegionKey, &BTreeMap<String, Stack>)> {
        self.stacks.iter()
    }

    /// The summary of a rack's template as its account reads it, or why it could not be read.
    pub fn template(
        &self,
        account: &str,
        template: &Template,
    ) -> Result<&Result<TemplateSummary, CloudError>, NotRead> {
        self.templates
            .get(&(account.to_string(), template_source(template)))
            .ok_or_else(|| NotRead::Template(template.describe()))
    }

    /// A planned template, parsed; `None` for one read through GetTemplateSummary, which gives no body.
    pub fn template_document(&self, source: &TemplateSource) -> Option<&Arc<serde_json::Value>> {
        self.template_documents.get(source)
    }

    /// A stack's live template as known.
    pub fn live_template(&self, key: &StackKey) -> Result<&LiveTemplate, NotRead> {
        self.live_templates
            .get(key)
            .ok_or_else(|| NotRead::LiveTemplate(key.clone()))
    }

    /// The value of a `password_env` variable at plan time, when it was set and not empty.
    pub fn password_env(&self, variable: &str) -> Option<&Secret> {
        self.password_env_values.get(variable)
    }

    /// The SSM parameter `name` in the rack's account and region, as read.
    pub fn ssm_password(
        &self,
        key: &StackKey,
        name: &str,
    ) -> Result<&Result<Option<SsmParameter>, CloudError>, NotRead> {
        self.ssm_passwords
            .get(&(key.region_key(), name.to_string()))
            .ok_or_else(|| NotRead::SsmParameter(name.to_string()))
    }

    /// Convox's release list, when some rack is built from Convox's published templates.
    pub fn releases(&self) -> Option<&Releases> {
        self.releases.as_ref()
    }

    /// An alarm of a rack's account and region, as read.
    pub fn alarm(&self, account: &str, region: &str, name: &str) -> AlarmRead<'_> {
        alarms::alarm(&self.alarms, account, region, name)
    }

    /// Records an org's account (the reader, and tests building a state by hand, record through these).
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

    pub fn record_template(
        &mut self,
        account: &str,
        source: TemplateSource,
        summary: Result<TemplateSummary, CloudError>,
    ) {
        self.templates
            .insert((account.to_string(), source), summary);
    }

    pub fn record_template_document(
        &mut self,
        source: TemplateSource,
        document: Arc<serde_json::Value>,
    ) {
        self.template_documents.insert(source, document);
    }

    pub fn record_live_template(&mut self, key: StackKey, template: LiveTemplate) {
        self.live_templates.insert(key, template);
    }

    pub fn record_password_env(&mut self, variable: &str, value: Secret) {
        self.password_env_values.insert(variable.to_string(), value);
    }

    pub fn record_releases(&mut self, releases: Option<Releases>) {
        self.releases = releases;
    }

    /// Records the alarms read in an (account, region).
    pub fn record_alarms(
        &mut self,
        region: RegionKey,
        states: Result<BTreeMap<String, crate::cloud::AlarmState>, CloudError>,
    ) {
        self.alarms.insert(region, states);
    }

    /// Forgets every template summary read (tests of what a plan needs without them).
    pub fn forget_templates(&mut self) {
        self.templates.clear();
    }
}
