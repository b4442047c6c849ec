//! What was read: facts, each keyed by where it is (`StackKey`, `RegionKey`, (account, `TemplateSource`)),
//! private to `live` behind accessors that answer `None` for what was not read. No decision is made here:
//! which facts a plan needs is `plan::needs`'s to say, and what they mean is `plan::diff`'s.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::cloud::{
    AlarmState, CloudError, RegionKey, Secret, SsmParameter, Stack, StackKey, TemplateSource,
    TemplateSummary,
};
use crate::config::Rack;
use crate::convox::Releases;

/// An SSM parameter the plan needs the current value of, and whose credentials read it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SsmWanted {
    pub org: String,
    pub place: RegionKey,
    pub name: String,
}

/// A rack being planned and where its stack is (the account its org's credentials belong to).
#[derive(Debug, Clone)]
pub struct RackAt {
    pub rack: Rack,
    pub key: StackKey,
}

/// What is known of one alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlarmRead {
    State(AlarmState),
    /// DescribeAlarms answered without it: there is no alarm of that name there.
    Missing,
    Unreadable(CloudError),
}

/// What was read for the racks being planned (`racks`) and the fleet they are in.
#[derive(Debug, Clone, Default)]
pub struct LiveState {
    /// org -> the account its credentials belong to.
    pub(super) accounts: BTreeMap<String, String>,
    /// Every stack of each (account, region) swept, by name.
    pub(super) stacks: BTreeMap<RegionKey, BTreeMap<String, Stack>>,
    /// The racks being planned, in the order they were given.
    pub(super) racks: Vec<RackAt>,
    /// Each template's parameters as an account reads it: the racks' own, and those of the releases an
    /// upgrade passes through.
    pub(super) summaries: HashMap<(String, TemplateSource), Result<TemplateSummary, CloudError>>,
    /// Each planned template whose body was read (a local file, an S3 object), parsed: the impact analysis
    /// compares it with the live template. Templates read through GetTemplateSummary have none.
    pub(super) template_documents: HashMap<TemplateSource, Arc<serde_json::Value>>,
    /// GetTemplate of each stack read.
    pub(super) live_templates: HashMap<StackKey, Result<String, CloudError>>,
    /// The stacks whose live template the template cache shows to be their rack's template file.
    pub(super) unchanged_since_cached: BTreeSet<StackKey>,
    /// GetStackPolicy of each stack read; `Ok(None)`: it has none.
    pub(super) stack_policies: HashMap<StackKey, Result<Option<String>, CloudError>>,
    /// The `password_env` variables read that are set and not empty.
    pub(super) password_env: BTreeMap<String, Secret>,
    /// Convox's release list, read when some rack is built from Convox's published templates.
    pub(super) releases: Option<Arc<Releases>>,
    /// Each SSM parameter read in an (account, region): a `password_ssm`, or the current value of one an
    /// SSM-typed template parameter names (CloudFormation resolves the name again at an update).
    pub(super) ssm_values: BTreeMap<(RegionKey, String), Result<Option<SsmParameter>, CloudError>>,
    /// The alarms that exist, of those asked for, in each (account, region) read.
    pub(super) alarms: BTreeMap<RegionKey, Result<BTreeMap<String, AlarmState>, CloudError>>,
    /// The preflight checks' facts of the racks a plan changes, and the day (YYYY-MM-DD) they are judged on.
    pub(super) preflight: Option<(super::PreflightFacts, String)>,
    /// When the facts were read (the connector's clock): a rollout's gates are decided at that time.
    pub(super) read_at: Option<std::time::SystemTime>,
    /// CloudFormation's drift detection of each rack the plan updates (`--drift`): `None` when not asked for.
    pub(super) drift: Option<BTreeMap<StackKey, super::drift::DriftRead>>,
    /// CloudFormation's own view of each update planned (`plan --changeset`): `None` when not asked for.
    pub(super) change_sets: Option<BTreeMap<StackKey, super::ChangeSetFact>>,
}

impl LiveState {
    /// Whether the plan is made with change sets (`plan --changeset`, `apply --auto-approve=in-place`).
    pub fn change_sets_asked(&self) -> bool {
        self.change_sets.is_some()
    }

    /// The change set made for the rack's update (its first step, for an upgrade).
    pub fn change_set(&self, key: &StackKey) -> Option<&super::ChangeSetFact> {
        self.change_sets.as_ref()?.get(key)
    }

    /// The drift detected on the racks a plan updates (`--drift`): each update is then held for the drifted
    /// resources it puts back, or for drift that could not be detected.
    pub fn set_drift(&mut self, reads: BTreeMap<StackKey, super::drift::DriftRead>) {
        self.drift = Some(reads);
    }

    /// The drift detected on the rack at `key`; `None` when it was not detected.
    pub fn drift(&self, key: &StackKey) -> Option<&super::drift::DriftRead> {
        self.drift.as_ref()?.get(key)
    }

    /// The preflight checks' facts, and the day they are judged on.
    pub fn set_preflight(&mut self, facts: super::PreflightFacts, today: String) {
        self.preflight = Some((facts, today));
    }

    pub fn preflight(&self) -> Option<(&super::PreflightFacts, &str)> {
        self.preflight
            .as_ref()
            .map(|(facts, today)| (facts, today.as_str()))
    }

    /// Records when the facts were read.
    pub fn set_read_at(&mut self, at: std::time::SystemTime) {
        self.read_at = Some(at);
    }

    pub fn read_at(&self) -> Option<std::time::SystemTime> {
        self.read_at
    }

    /// The racks being planned, each with where its stack is, in the order they were given.
    pub fn racks(&self) -> &[RackAt] {
        &self.racks
    }

    /// The account an org's credentials belong to; `None` for an org no read rack belongs to.
    pub fn account_of(&self, org: &str) -> Option<&str> {
        self.accounts.get(org).map(String::as_str)
    }

    /// Where a rack's stack is; `None` when its org was not read.
    pub fn key_of(&self, rack: &Rack) -> Option<StackKey> {
        Some(StackKey::new(
            self.account_of(&rack.org)?,
            &rack.region,
            &rack.name,
        ))
    }

    /// The stack at `key`; `None` when there is none (or its account and region were not swept).
    pub fn stack(&self, key: &StackKey) -> Option<&Stack> {
        self.stacks
            .get(&key.region_key())
            .and_then(|stacks| stacks.get(&key.name))
    }

    /// The stacks of one (account, region); none when it was not swept.
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

    /// A template's parameters as `account` reads it; `None`: not read.
    pub fn summary(
        &self,
        account: &str,
        source: &TemplateSource,
    ) -> Option<&Result<TemplateSummary, CloudError>> {
        self.summaries.get(&(account.to_string(), source.clone()))
    }

    /// A planned template, parsed; `None` for one read through GetTemplateSummary, which gives no body.
    pub fn template_document(&self, source: &TemplateSource) -> Option<&Arc<serde_json::Value>> {
        self.template_documents.get(source)
    }

    /// GetTemplate of the stack at `key`; `None`: not read.
    pub fn live_template(&self, key: &StackKey) -> Option<&Result<String, CloudError>> {
        self.live_templates.get(key)
    }

    /// Whether the template cache shows the stack's live template to be its rack's template file.
    pub fn unchanged_since_cached(&self, key: &StackKey) -> bool {
        self.unchanged_since_cached.contains(key)
    }

    /// GetStackPolicy of the stack at `key` (`None`: not read).
    pub fn stack_policy(&self, key: &StackKey) -> Option<&Result<Option<String>, CloudError>> {
        self.stack_policies.get(key)
    }

    /// The value of a `password_env` variable at plan time, when it is set and not empty.
    pub fn password_env(&self, variable: &str) -> Option<&Secret> {
        self.password_env.get(variable)
    }

    /// SSM parameter `name` in an (account, region), as read (`None`: not read; `Ok(None)`: there is no
    /// such parameter).
    pub fn ssm_value(
        &self,
        place: &RegionKey,
        name: &str,
    ) -> Option<&Result<Option<SsmParameter>, CloudError>> {
        self.ssm_values.get(&(place.clone(), name.to_string()))
    }

    /// Each of the rack's `[rollout] alarms` as read where its stack is, in racks.toml's order; an alarm of an
    /// (account, region) whose alarms were not read reads as unreadable.
    pub fn alarms_of(&self, rack: &Rack, key: &StackKey) -> Vec<(String, AlarmRead)> {
        let states = self.alarms.get(&key.region_key());
        rack.alarms
            .iter()
            .map(|name| {
                let read = match states {
                    None => AlarmRead::Unreadable(CloudError::new(
                        crate::cloud::CloudErrorKind::Other,
                        "the alarms were not read",
                    )),
                    Some(Err(error)) => AlarmRead::Unreadable(error.clone()),
                    Some(Ok(states)) => match states.get(name) {
                        Some(state) => AlarmRead::State(*state),
                        None => AlarmRead::Missing,
                    },
                };
                (name.clone(), read)
            })
            .collect()
    }

    /// Convox's release list, when some rack is built from Convox's published templates.
    pub fn releases(&self) -> Option<&Releases> {
        self.releases.as_deref()
    }

    /// Records Convox's release list, read apart (`status` reads it after the stacks).
    pub fn record_releases(&mut self, releases: Option<Releases>) {
        self.releases = releases.map(Arc::new);
    }
}
