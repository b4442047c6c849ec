//! What the plan says of the fleet as a whole rather than of one rack: the summary, the accounts read,
//! the live racks racks.toml does not declare, and two declared racks that turn out to be one stack.

use std::collections::{BTreeMap, BTreeSet};

use crate::cloud::StackKey;
use crate::config::Rack;
use crate::live::{LiveState, RackAt};
use crate::plan::checks::PlanProblem;
use crate::plan::{AccountRead, Action, RackPlan, Summary, UndeclaredRack};

/// Two racks of orgs that turn out to reach one account, with the same region and name, are one stack:
/// planning both would race two changes on it.
pub(super) fn same_stack_twice(live: &LiveState) -> Vec<PlanProblem> {
    let mut first: BTreeMap<&StackKey, &Rack> = BTreeMap::new();
    let mut problems = Vec::new();
    for RackAt { rack, key } in live.racks() {
        let account = &key.account;
        match first.get(&key) {
            Some(earlier) => problems.push(PlanProblem {
                rack: rack.id(),
                message: format!(
                    "is the same stack as {} (account {account}, {}, stack {}): both orgs' credentials reach that account",
                    earlier.id(),
                    rack.region,
                    rack.name
                ),
                hint: Some("declare the rack once, or give each org its `account_id` and the right profile".into()),
                span: Some(rack.spans.name.clone()),
            }),
            None => {
                first.insert(key, rack);
            }
        }
    }
    problems
}

pub(super) fn summarise(racks: &[RackPlan]) -> Summary {
    let mut summary = Summary::default();
    for rack in racks {
        match rack.action {
            Action::Install(_) => summary.install += 1,
            Action::Update(_) => summary.update += 1,
            Action::Upgrade(_) => summary.upgrade += 1,
            Action::Reinstall(_) => summary.reinstall += 1,
            Action::ContinueRollback => summary.continue_rollback += 1,
            Action::Uninstall(_) => summary.uninstall += 1,
            Action::Unchanged => summary.unchanged += 1,
            Action::Blocked(_) => summary.blocked += 1,
            Action::Wait(_) => summary.wait += 1,
        }
    }
    summary
}

pub(super) fn accounts_read(live: &LiveState) -> Vec<AccountRead> {
    let mut regions: BTreeMap<&str, (&str, BTreeSet<&str>)> = BTreeMap::new();
    for RackAt { rack, key } in live.racks() {
        regions
            .entry(&rack.org)
            .or_insert_with(|| (&key.account, BTreeSet::new()))
            .1
            .insert(&rack.region);
    }
    regions
        .into_iter()
        .map(|(org, (account, regions))| AccountRead {
            org: org.to_string(),
            account_id: account.to_string(),
            regions: regions.into_iter().map(str::to_string).collect(),
        })
        .collect()
}

/// Stacks that are racks (see `Stack::is_rack`) in the accounts and regions read, that no rack of racks.toml
/// names: a rack `--target` left out is declared all the same, and is not listed as one nobody declared.
pub(super) fn undeclared(live: &LiveState, declared: &[Rack]) -> Vec<UndeclaredRack> {
    let declared: BTreeSet<StackKey> = live
        .racks()
        .iter()
        .map(|reads| reads.key.clone())
        .chain(declared.iter().filter_map(|rack| live.key_of(rack)))
        .collect();
    let mut org_of_account: BTreeMap<&str, &str> = BTreeMap::new();
    for RackAt { rack, key } in live.racks() {
        org_of_account.entry(&key.account).or_insert(&rack.org);
    }
    let mut found = Vec::new();
    for (place, stacks) in live.regions() {
        let (account, region) = (&place.account, &place.region);
        for stack in stacks.values() {
            if crate::convox::is_rack(stack) && !declared.contains(&place.stack(&stack.name)) {
                found.push(UndeclaredRack {
                    org: org_of_account
                        .get(account.as_str())
                        .copied()
                        .unwrap_or_default()
                        .to_string(),
                    account_id: account.clone(),
                    region: region.clone(),
                    name: stack.name.clone(),
                    status: stack.status.clone(),
                });
            }
        }
    }
    found
}
