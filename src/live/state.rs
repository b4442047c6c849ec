//! What was read, as the planner reads it: a record of each rack read (`RackReads`), and the facts of the
//! fleet as a whole, private to `live` behind accessors. The reads themselves are `mod.rs`'s.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::reads::{KnownLiveTemplate, RackReads};
use crate::cloud::{CloudError, RegionKey, SsmParameter, Stack, StackKey, TemplateSource};
use crate::config::Rack;
use crate::convox::Releases;

/// An SSM parameter the plan needs the current value of, and whose credentials read it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SsmWanted {
    pub org: String,
    pub place: RegionKey,
    pub name: String,
}

/// What was read. The planner plans the racks it holds records for (`racks`), each record holding every
/// read the planner needs of that rack; the maps behind the other accessors are the fleet's.
#[derive(Debug, Clone, Default)]
pub struct LiveState {
    /// org -> the account its credentials belong to.
    pub(super) accounts: BTreeMap<String, String>,
    /// Every stack of each (account, region) swept, by name.
    pub(super) stacks: BTreeMap<RegionKey, BTreeMap<String, Stack>>,
    /// Each planned template whose body was read (a local file, an S3 object), parsed: the impact analysis
    /// compares it with the live template. Templates read through GetTemplateSummary have none.
    pub(super) template_documents: HashMap<TemplateSource, Arc<serde_json::Value>>,
    /// Convox's release list, read when some rack is built from Convox's published templates.
    pub(super) releases: Option<Arc<Releases>>,
    /// The current value of each SSM parameter an SSM-typed template parameter names, read in an (account,
    /// region) for the racks there that are updated or ask for it (`refresh`): CloudFormation resolves the
    /// name again at their update. Not read: absent.
    pub(super) ssm_values: BTreeMap<(RegionKey, String), Result<Option<SsmParameter>, CloudError>>,
    /// Each rack read, in the order it was given (`set_racks`).
    racks: Vec<RackReads>,
    /// Where each of `racks` is in it.
    rack_at: HashMap<StackKey, usize>,
    /// CloudFormation's own view of each update planned (`plan --changeset`): `None` when not asked for.
    change_sets: Option<BTreeMap<StackKey, super::ChangeSetFact>>,
}

impl LiveState {
    /// The change sets read for this plan: every update planned is then cross-checked with one.
    pub fn set_change_sets(&mut self, facts: BTreeMap<StackKey, super::ChangeSetFact>) {
        self.change_sets = Some(facts);
    }

    /// Whether the plan is made with change sets (`plan --changeset`, `apply --auto-approve=in-place`).
    pub fn change_sets_asked(&self) -> bool {
        self.change_sets.is_some()
    }

    /// The change set made for the rack's update (its first step, for an upgrade).
    pub fn change_set(&self, key: &StackKey) -> Option<&super::ChangeSetFact> {
        self.change_sets.as_ref()?.get(key)
    }

    pub(super) fn set_racks(&mut self, racks: Vec<RackReads>) {
        self.rack_at = racks
            .iter()
            .enumerate()
            .map(|(index, reads)| (reads.key.clone(), index))
            .collect();
        self.racks = racks;
    }

    /// The records, for the second read to fill in (their keys stay as they are).
    pub(super) fn racks_mut(&mut self) -> &mut [RackReads] {
        &mut self.racks
    }

    /// Each rack read, with everything read for it, in the order `read` was given them.
    pub fn racks(&self) -> &[RackReads] {
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

    /// A planned template, parsed; `None` for one read through GetTemplateSummary, which gives no body.
    pub fn template_document(&self, source: &TemplateSource) -> Option<&Arc<serde_json::Value>> {
        self.template_documents.get(source)
    }

    /// The live template of the stack at `key` as known; `None` when no rack read has a live stack there
    /// whose template was read or wanted.
    pub fn live_template(&self, key: &StackKey) -> Option<KnownLiveTemplate<'_>> {
        self.rack_at
            .get(key)
            .and_then(|index| self.racks.get(*index))
            .and_then(RackReads::live_template)
    }

    /// The stack's policy as GetStackPolicy read it, when racks.toml manages it (`None`: not read).
    pub fn stack_policy(&self, key: &StackKey) -> Option<&Result<Option<String>, CloudError>> {
        let reads = self
            .rack_at
            .get(key)
            .and_then(|index| self.racks.get(*index))?;
        let super::Reads::Present(present) = &reads.reads else {
            return None;
        };
        let super::PresentStack::Installed(installed) = &present.stack else {
            return None;
        };
        installed.stack_policy.as_ref()
    }

    /// The current value of SSM parameter `name` in an (account, region), as read (`None`: not read; `Ok(None)`:
    /// there is no such parameter).
    pub fn ssm_value(
        &self,
        place: &RegionKey,
        name: &str,
    ) -> Option<&Result<Option<SsmParameter>, CloudError>> {
        self.ssm_values.get(&(place.clone(), name.to_string()))
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
