//! `Needs`: what one round of a plan's reads fetches, as `plan::needs` lists it. Data only (but for the
//! change sets' ledger): which facts a rack needs is the planner's decision, and `fetch` reads exactly
//! these, each once.

use std::collections::{BTreeMap, BTreeSet};

use super::{ChangeSetLedger, ChangeSetWanted, SsmWanted};
use crate::cloud::{RegionKey, StackKey};
use crate::config::Rack;

#[derive(Debug, Clone, Default)]
pub struct Needs {
    /// The parameters of each rack's template (or of the rack at a release an upgrade passes through), as
    /// the account of its stack reads it.
    pub summaries: Vec<(Rack, StackKey)>,
    /// GetTemplate of these stacks.
    pub live_templates: BTreeSet<StackKey>,
    /// GetTemplate of these stacks, unless the template cache shows the live template to be this body (the
    /// rack's template file): a cached fact spares the read.
    pub live_templates_unless_cached: BTreeMap<StackKey, String>,
    /// GetStackPolicy of these stacks.
    pub stack_policies: BTreeSet<StackKey>,
    /// The values of these `password_env` variables.
    pub password_env: BTreeSet<String>,
    /// These SSM parameters (`password_ssm`, the values SSM-typed parameters resolve to).
    pub ssm_values: BTreeSet<SsmWanted>,
    /// The alarms named in each (account, region), read with the credentials of the org given.
    pub alarms: BTreeMap<RegionKey, (String, BTreeSet<String>)>,
    /// CloudFormation's change set of each of these updates (`plan --changeset`); `None` when the plan is
    /// made without change sets.
    pub change_sets: Option<ChangeSetNeeds>,
}

/// The change sets a round makes (or reads again, a saved plan's).
#[derive(Debug, Clone)]
pub struct ChangeSetNeeds {
    pub wanted: Vec<ChangeSetWanted>,
    /// Where each change set made is written before it is asked for. Not a fact to read, but it goes with
    /// the change sets: each is an AWS object that this run must delete on every way out unless it runs it.
    pub ledger: ChangeSetLedger,
    /// How many are made (and waited for) at a time.
    pub parallelism: usize,
}

impl Needs {
    pub fn is_empty(&self) -> bool {
        self.summaries.is_empty()
            && self.live_templates.is_empty()
            && self.live_templates_unless_cached.is_empty()
            && self.stack_policies.is_empty()
            && self.password_env.is_empty()
            && self.ssm_values.is_empty()
            && self.alarms.is_empty()
            && self.change_sets.is_none()
    }
}
