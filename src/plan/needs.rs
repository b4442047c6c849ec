//! What a plan needs read, decided from racks.toml and the stacks as swept: the first round of a plan's
//! reads (`needs`), and the later rounds a plan made of the first names (SSM values, live templates, change
//! sets). Pure: `live` fetches exactly what these list, and `diff` finds every fact it needs among what was
//! fetched.
//!
//! A stack CloudFormation is working on is blocked until it settles, so it needs nothing more; a rack to
//! uninstall needs its live template, to name what its deletion leaves behind; an install (or a failed
//! one, which `--recover` installs again) needs its template's parameters and its password's source; a
//! live rack needs its template's parameters, its live template when racks.toml gives a local file (to
//! compare; a URL's is read only for the analysis of a change, in a later round), its stack policy when
//! racks.toml manages it, and, for an upgrade across required releases, each release's template; every
//! rack that stays needs its alarms.

use crate::cloud::{ChangeSetRef, Stack, StackKey, StackState};
use crate::config::{Rack, Template};
use crate::convox::Releases;
use crate::convox::names;
use crate::live::{
    ChangeSetLedger, ChangeSetNeeds, ChangeSetWanted, LiveState, Needs, RackAt, SsmWanted,
};

use super::{Action, Plan};

/// The first round: what each rack of `swept` (the racks, their stacks and Convox's release list) needs.
pub fn needs(swept: &LiveState) -> Needs {
    let mut needs = Needs::default();
    for RackAt { rack, key } in swept.racks() {
        let stack = swept.stack(key);
        if rack.absent {
            if stack.is_some_and(|stack| !stack.status.is_moving()) {
                needs.live_templates.insert(key.clone());
            }
            continue;
        }
        if !rack.alarms.is_empty() {
            needs
                .alarms
                .entry(key.region_key())
                .or_insert_with(|| (rack.org.clone(), Default::default()))
                .1
                .extend(rack.alarms.iter().cloned());
        }
        match stack {
            Some(stack) if stack.status.is_moving() => {}
            Some(stack) if stack.state() != StackState::FailedInstall => {
                let releases = swept.releases().filter(|_| rack.uses_convox_releases());
                live_rack_needs(rack, key, stack, releases, &mut needs);
            }
            _ => install_needs(rack, key, &mut needs),
        }
    }
    needs
}

fn install_needs(rack: &Rack, key: &StackKey, needs: &mut Needs) {
    needs.summaries.push((rack.clone(), key.clone()));
    match (&rack.password_env, &rack.password_ssm) {
        (Some(variable), _) => {
            needs.password_env.insert(variable.clone());
        }
        (None, Some(parameter)) => {
            needs.ssm_values.insert(SsmWanted {
                org: rack.org.clone(),
                place: key.region_key(),
                name: parameter.clone(),
            });
        }
        (None, None) => {}
    }
}

fn live_rack_needs(
    rack: &Rack,
    key: &StackKey,
    stack: &Stack,
    releases: Option<&Releases>,
    needs: &mut Needs,
) {
    needs.summaries.extend(
        planned_templates(rack, stack, releases)
            .into_iter()
            .map(|planned| (planned, key.clone())),
    );
    if let Template::File { body, .. } = &rack.template {
        needs
            .live_templates_unless_cached
            .insert(key.clone(), body.clone());
    }
    if rack.stack_policy.is_some() {
        needs.stack_policies.insert(key.clone());
    }
}

/// The racks whose templates a live rack is planned with: itself, then the rack at each required release
/// an upgrade passes through (`releases`: Convox's list, for a rack built from Convox's templates).
pub(crate) fn planned_templates(
    rack: &Rack,
    stack: &Stack,
    releases: Option<&Releases>,
) -> Vec<Rack> {
    let mut racks = vec![rack.clone()];
    if let (Some(releases), Some(live_version)) = (releases, stack.parameters.get(names::VERSION)) {
        racks.extend(
            releases
                .passed(live_version, &rack.version)
                .into_iter()
                .map(|release| rack.passing_through(&release.version)),
        );
    }
    racks
}

/// The second round, once a plan of the first names the racks that change (or ask to, `refresh`): the
/// values their SSM-typed parameters resolve to now. A rack `refresh` makes an update is only known after.
pub fn ssm_needs(live: &LiveState, plan: &Plan) -> Needs {
    Needs {
        ssm_values: super::ssm_wanted(live, plan).into_iter().collect(),
        ..Needs::default()
    }
}

/// The last round: the live templates of the racks whose change the impact analysis reads (those of racks
/// built from a local file were read with the first).
pub fn live_template_needs(plan: &Plan) -> Needs {
    Needs {
        live_templates: plan.live_templates_wanted().into_iter().collect(),
        ..Needs::default()
    }
}

/// Change sets in a plan (`plan --changeset`, `apply --auto-approve=in-place`, a saved plan's).
#[derive(Clone, Copy, Default)]
pub enum ChangeSets<'a> {
    #[default]
    None,
    /// Make one per update (the first step of an upgrade; a later one can only be made once the step
    /// before has run), each written in the ledger before it is asked for.
    Make {
        ledger: &'a ChangeSetLedger,
        parallelism: usize,
    },
    /// Read again the ones a saved plan kept, by stack; never make one.
    Kept {
        ledger: &'a ChangeSetLedger,
        kept: &'a std::collections::BTreeMap<StackKey, ChangeSetRef>,
    },
}

/// The round after the plan is made of every other fact, when it is made with change sets: the change set
/// of each update (its first step's, for an upgrade) that changes the stack, made of exactly its
/// UpdateStack input; or, for a saved plan, the one it kept. Asked for even when no update wants one.
pub fn change_set_needs(plan: &Plan, change_sets: ChangeSets<'_>) -> Needs {
    let (ledger, parallelism, kept) = match change_sets {
        ChangeSets::None => return Needs::default(),
        ChangeSets::Make {
            ledger,
            parallelism,
        } => (ledger, parallelism, None),
        ChangeSets::Kept { ledger, kept } => (ledger, 10, Some(kept)),
    };
    let wanted = plan
        .racks
        .iter()
        .filter_map(|rack| {
            let update = match &rack.action {
                Action::Update(update) => update,
                Action::Upgrade(upgrade) => &upgrade.steps.first()?.update,
                _ => return None,
            };
            if !update.changes_the_stack() {
                return None;
            }
            let kept = match kept {
                Some(kept) => Some(kept.get(&rack.key())?.clone()),
                None => None,
            };
            Some(ChangeSetWanted {
                key: rack.key(),
                org: rack.org.clone(),
                request: rack.update_request(update, crate::live::client_token()),
                kept,
            })
        })
        .collect();
    Needs {
        change_sets: Some(ChangeSetNeeds {
            wanted,
            ledger: ledger.clone(),
            parallelism,
        }),
        ..Needs::default()
    }
}

/// The live template of every live rack that stays and is not blocked by an operation or a failed
/// install (doctor's checks evaluate each).
pub fn every_live_template(live: &LiveState) -> Needs {
    let live_templates = live
        .racks()
        .iter()
        .filter(|RackAt { rack, key }| {
            !rack.absent
                && live.stack(key).is_some_and(|stack| {
                    !stack.status.is_moving() && stack.state() != StackState::FailedInstall
                })
        })
        .map(|RackAt { key, .. }| key.clone())
        .collect();
    Needs {
        live_templates,
        ..Needs::default()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    use super::*;
    use crate::cloud::{RegionKey, TemplateSource};
    use crate::live::LiveStateBuilder;

    const ACCOUNT: &str = "123456789012";
    const REGION: &str = "us-east-1";
    const URL: &str = "https://example.com/rack.json";

    fn stack(name: &str, status: &str) -> Stack {
        Stack {
            stack_id: format!("arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{name}/1"),
            name: name.into(),
            status: status.into(),
            status_reason: None,
            last_updated: "2026-11-01T00:00:00Z".into(),
            parameters: BTreeMap::from([("Version".to_string(), "1".to_string())]),
            tags: BTreeMap::new(),
            outputs: BTreeMap::new(),
            termination_protection: false,
            parent_id: None,
            resolved: BTreeMap::new(),
            role_arn: None,
            notification_arns: Vec::new(),
            rollback: None,
        }
    }

    fn names(summaries: &[(Rack, StackKey)]) -> Vec<(&str, &str)> {
        summaries
            .iter()
            .map(|(rack, key)| (key.name.as_str(), rack.version.as_str()))
            .collect()
    }

    #[test]
    fn each_rack_needs_what_its_stack_calls_for_and_nothing_it_cannot_use() {
        let text = format!(
            "[defaults]\norg = \"personal\"\nregion = \"{REGION}\"\nversion = \"1\"\n\
             [org.personal]\naccount_id = \"{ACCOUNT}\"\n\
             [rollout]\nwaves = [[\"*\"]]\nalarms = [\"rack-{{name}}-5xx\"]\n\
             [[rack]]\nname = \"new\"\npassword_ssm = \"/racks/new/password\"\n\
             [[rack]]\nname = \"busy\"\n\
             [[rack]]\nname = \"failed\"\npassword_env = \"PASSWORD\"\n\
             [[rack]]\nname = \"live\"\n\
             [[rack]]\nname = \"gone\"\nensure = \"absent\"\n\
             [[rack]]\nname = \"going\"\nensure = \"absent\"\n"
        )
        .replace(
            "[[rack]]\n",
            &format!("[[rack]]\ntemplate_url = \"{URL}\"\n"),
        );
        let config = crate::config::parse(Path::new("racks.toml"), text, String::new()).unwrap();
        let place = RegionKey::new(ACCOUNT, REGION);
        let mut facts = LiveStateBuilder::default();
        facts.record_account("personal", ACCOUNT);
        facts.record_stacks(
            place.clone(),
            [
                stack("busy", "UPDATE_IN_PROGRESS"),
                stack("failed", "ROLLBACK_COMPLETE"),
                stack("live", "UPDATE_COMPLETE"),
                stack("gone", "UPDATE_COMPLETE"),
                stack("going", "DELETE_IN_PROGRESS"),
            ],
        );
        let needs = needs(&facts.build(&config.racks));

        // A stack CloudFormation is working on needs nothing but its alarms; a live rack built from a URL
        // needs no live template before a plan finds a change to analyse.
        assert_eq!(
            names(&needs.summaries),
            [("new", "1"), ("failed", "1"), ("live", "1")]
        );
        assert_eq!(
            needs.ssm_values,
            BTreeSet::from([SsmWanted {
                org: "personal".into(),
                place: place.clone(),
                name: "/racks/new/password".into(),
            }])
        );
        assert_eq!(needs.password_env, BTreeSet::from(["PASSWORD".to_string()]));
        assert_eq!(needs.live_templates, BTreeSet::from([place.stack("gone")]));
        assert!(needs.live_templates_unless_cached.is_empty());
        assert!(needs.stack_policies.is_empty());
        // One DescribeAlarms for the (account, region): every rack that stays, none to uninstall.
        let alarms: Vec<&str> = needs.alarms[&place].1.iter().map(String::as_str).collect();
        assert_eq!(
            alarms,
            [
                "rack-busy-5xx",
                "rack-failed-5xx",
                "rack-live-5xx",
                "rack-new-5xx"
            ]
        );
    }

    #[test]
    fn an_upgrade_across_a_required_release_needs_the_template_of_each_release_it_passes() {
        let text = format!(
            "[defaults]\norg = \"personal\"\nregion = \"{REGION}\"\n\
             [org.personal]\naccount_id = \"{ACCOUNT}\"\n\
             [[rack]]\nname = \"web\"\nversion = \"4\"\n"
        );
        let config = crate::config::parse(Path::new("racks.toml"), text, String::new()).unwrap();
        let mut facts = LiveStateBuilder::default();
        facts.record_account("personal", ACCOUNT);
        facts.record_stacks(
            RegionKey::new(ACCOUNT, REGION),
            [stack("web", "UPDATE_COMPLETE")],
        );
        facts.record_releases(Some(
            Releases::parse(
                r#"[{"version": "1", "published": true}, {"version": "2", "published": true, "required": true},
                    {"version": "3", "published": true, "required": true}, {"version": "4", "published": true}]"#,
            )
            .unwrap(),
        ));
        let needs = needs(&facts.build(&config.racks));
        assert_eq!(
            names(&needs.summaries),
            [("web", "4"), ("web", "2"), ("web", "3")]
        );
        let pattern = crate::config::DEFAULT_TEMPLATE_URL;
        assert_eq!(
            crate::live::template_source(&needs.summaries[1].0.template),
            TemplateSource::Url(pattern.replace("{version}", "2"))
        );
    }
}
