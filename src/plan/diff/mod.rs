//! The planner: a pure, synchronous function of (config, facts) -> plan. It decides everything apply will
//! do from the facts `live` fetched, including what a stack's status means (busy, a failed install, an
//! uninstall), the route of an upgrade and the exact parameter list of each UpdateStack call.
//!
//! A thin dispatcher: each kind of change is planned in its own file.

mod blocked;
mod fleet;
mod install;
mod options;
mod recover;
mod ssm;
mod templates;
#[cfg(test)]
pub(super) mod test_support;
mod uninstall;
mod update;
mod upgrade;

use crate::cloud::{Stack, StackKey, StackState};
use crate::config::{Config, Rack, Template};
use crate::convox::releases::RELEASES_URL;
use crate::convox::{Releases, Route, names};
use crate::live::{LiveState, RackAt};
use crate::plan::checks::PlanProblem;
use crate::plan::{
    Action, BlockedWhy, Deletion, FORMAT_VERSION, FileFingerprint, Held, Note, Plan,
    PlannedOptions, RackPlan, ReleaseListRead, StackFingerprint, Warning,
};

use blocked::{blocked, blocked_as, failed_install, moving, not_a_rack, protected};
use fleet::{accounts_read, same_stack_twice, summarise, undeclared};
use install::{password_read, plan_install};
use options::planned_options;
pub use options::{describe_policy, describe_rollback};
use recover::plan_reinstall;
pub use ssm::ssm_wanted;
use templates::{applying, live_document, live_template, not_read, read_summary, unchecked};
use uninstall::plan_uninstall;
use update::{Remarks, Templates, plan_update};
use upgrade::{Passing, check_release, plan_upgrade, route};

/// Plans each rack `live` was read for, in that order. `recover`: failed racks are planned for recovery
/// (`--recover`) instead of blocked.
pub fn diff(config: &Config, live: &LiveState, recover: bool) -> Result<Plan, Vec<PlanProblem>> {
    let mut problems = same_stack_twice(live);
    let mut planned = Vec::new();
    for rack in live.racks() {
        match plan_rack(rack, &config.racks, live, recover) {
            Ok(plan) => planned.push(plan),
            Err(mut found) => problems.append(&mut found),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let summary = summarise(&planned);
    Ok(Plan {
        format_version: FORMAT_VERSION.into(),
        recover,
        racks_file: FileFingerprint {
            path: config.path.display().to_string(),
            sha256: config.fingerprint.clone(),
        },
        accounts: accounts_read(live),
        not_in_racks_toml: undeclared(live, &config.racks),
        releases: live.releases().map(|releases| ReleaseListRead {
            url: RELEASES_URL.into(),
            sha256: releases.sha256.clone(),
            latest_published: releases.latest_published().map(|r| r.version.clone()),
        }),
        racks: planned,
        summary,
        waves: Vec::new(),
    })
}

/// `declared`: every rack of racks.toml, targeted or not; none of them is ever deleted as another's app.
fn plan_rack(
    at: &RackAt,
    declared: &[Rack],
    live: &LiveState,
    recover: bool,
) -> Result<RackPlan, Vec<PlanProblem>> {
    let RackAt { rack, key } = at;
    let account = key.account.clone();
    let stack = live.stack(key);
    let mut held = Vec::new();
    let mut notes = Vec::new();
    let mut warnings = Vec::new();
    let action = match stack {
        Some(stack) if !crate::convox::is_rack(stack) => Action::Blocked(not_a_rack(stack)),
        _ if rack.absent => plan_absent(rack, key, stack, declared, live)?,
        _ => plan_present(
            rack,
            key,
            stack,
            live,
            recover,
            &mut held,
            &mut notes,
            &mut warnings,
        )?,
    };
    // Sent with every CreateStack and UpdateStack: only an action that sends one needs them planned.
    let options = match &action {
        Action::Install(_) | Action::Reinstall(_) | Action::Update(_) | Action::Upgrade(_) => {
            planned_options(rack, &account, live)?
        }
        _ => PlannedOptions::default(),
    };
    let disruptions = crate::plan::impact::disruptions(&action);
    let mut hold =
        crate::plan::approval::hold_reasons(&action, &disruptions, live.change_sets_asked());
    if let Some(read) = live.drift(key) {
        let drift = crate::plan::drift::outcome(&rack.drift_ignore, read.clone());
        hold.extend(crate::plan::drift::drift_holds(&action, &drift));
    }
    Ok(RackPlan {
        rack: rack.id(),
        org: rack.org.clone(),
        name: rack.name.clone(),
        region: rack.region.clone(),
        account_id: account,
        action,
        role_arn: rack.role_arn.clone(),
        options,
        stack: stack.map(StackFingerprint::of),
        held,
        notes,
        warnings,
        disruptions,
        hold,
        preflight: Vec::new(),
    })
}

/// A rack to uninstall (`ensure = "absent"`): nothing to do without a stack; a stack CloudFormation is
/// working on waits (or is blocked by its termination protection).
fn plan_absent(
    rack: &Rack,
    key: &StackKey,
    stack: Option<&Stack>,
    declared: &[Rack],
    live: &LiveState,
) -> Result<Action, Vec<PlanProblem>> {
    Ok(match stack {
        None => Action::Unchanged,
        Some(stack) if stack.status.is_moving() => match protected(stack, Deletion::Uninstall) {
            Some(protected) => Action::Blocked(protected),
            None => moving(stack, true),
        },
        Some(stack) => {
            let not_read = Err(not_read());
            let live_template = live.live_template(key).unwrap_or(&not_read);
            plan_uninstall(rack, stack, live_template, declared, key, live)?
        }
    })
}

/// A rack that stays: installed, recovered, updated or upgraded, or blocked.
#[allow(clippy::too_many_arguments)]
fn plan_present(
    rack: &Rack,
    key: &StackKey,
    stack: Option<&Stack>,
    live: &LiveState,
    recover: bool,
    held: &mut Vec<Held>,
    notes: &mut Vec<Note>,
    warnings: &mut Vec<Warning>,
) -> Result<Action, Vec<PlanProblem>> {
    let account = key.account.as_str();
    let releases = live.releases().filter(|_| rack.uses_convox_releases());
    if let Some(releases) = releases {
        check_release(rack, releases, notes, warnings)?;
    }
    Ok(match stack {
        None => {
            let summary = read_summary(rack, account, live)?;
            notes.extend(unchecked(rack, &summary));
            let password = password_read(rack, key, live);
            Action::Install(plan_install(rack, &summary, &password)?)
        }
        Some(stack) if stack.status.is_moving() => moving(stack, false),
        Some(stack) if stack.state() == StackState::FailedInstall => {
            if recover {
                plan_reinstall(rack, stack, key, live, notes)?
            } else {
                Action::Blocked(failed_install(stack))
            }
        }
        Some(stack) if recover && stack.state() == StackState::RollbackFailed => {
            Action::ContinueRollback
        }
        Some(stack) => match blocked(stack, false) {
            Some(action) => action,
            None => plan_live_rack(rack, key, stack, releases, live, Remarks { held, notes })?,
        },
    })
}

/// A live rack that accepts changes: an update, an upgrade in steps, or a downgrade refused. `releases`:
/// Convox's release list, for a rack built from Convox's published templates.
fn plan_live_rack(
    rack: &Rack,
    key: &StackKey,
    stack: &Stack,
    releases: Option<&Releases>,
    live: &LiveState,
    remarks: Remarks<'_>,
) -> Result<Action, Vec<PlanProblem>> {
    let Remarks { held, notes } = remarks;
    let account = key.account.as_str();
    let summary = read_summary(rack, account, live)?;
    notes.extend(unchecked(rack, &summary));
    let live_version = stack.parameters.get(names::VERSION);
    let live_template = live_template(rack, key, live);
    let before = || live_document(rack, &live_template, live);
    let templates = || Templates {
        applying: applying(&live_template),
        before: &before,
    };
    let route = route(rack, stack, releases);
    if let (Route::Steps(steps), Template::Url { pattern, .. }) = (&route, &rack.template)
        && let Some((to, through)) = steps.split_last()
    {
        let passing = Passing {
            through,
            to,
            pattern,
        };
        let remarks = Remarks { held, notes };
        return plan_upgrade(
            rack,
            stack,
            &live_template,
            &summary,
            passing,
            account,
            live,
            remarks,
        );
    }
    Ok(match route {
        Route::Downgrade => {
            let live_version = live_version.map_or("", String::as_str);
            Action::Blocked(blocked_as(
                stack,
                BlockedWhy::Downgrade {
                    declared: rack.version.clone(),
                    live: live_version.to_string(),
                },
            ))
        }
        Route::UnknownStart => {
            notes.push(Note::UnknownLiveVersion {
                live: live_version.cloned().unwrap_or_default(),
                declared: rack.version.clone(),
            });
            plan_update(
                rack,
                stack,
                templates(),
                &summary,
                account,
                live,
                Remarks { held, notes },
            )?
        }
        Route::Stay | Route::Direct | Route::Steps(_) => plan_update(
            rack,
            stack,
            templates(),
            &summary,
            account,
            live,
            Remarks { held, notes },
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::test_support::*;

    #[test]
    fn org_region_and_name_choose_the_stack() {
        let mut elsewhere = rack();
        elsewhere.name = "other".into();
        assert!(matches!(
            only_action(elsewhere, vec![stack("CREATE_COMPLETE")]),
            Action::Install(_)
        ));
        let mut other_region = rack();
        other_region.region = "eu-west-1".into();
        let mut state = live(vec![stack("CREATE_COMPLETE")], &other_region);
        state.record_stacks(RegionKey::new(ACCOUNT, "eu-west-1"), Vec::new());
        let plan = diff(&config(), &state.build(&[other_region]), false).unwrap();
        assert!(matches!(plan.racks[0].action, Action::Install(_)));
        assert_eq!(
            plan.not_in_racks_toml.len(),
            1,
            "the us-east-1 rack is not declared any more"
        );
    }

    #[test]
    fn an_unknown_parameter_is_a_problem_naming_the_rack_with_a_suggestion() {
        let mut typo = rack();
        typo.parameters.insert("Autoscal".into(), "Yes".into());
        let problems = plan_of(typo, vec![]).unwrap_err();
        assert_eq!(problems[0].rack, "personal/example");
        assert!(problems[0].message.contains("no parameter `Autoscal`"));
        assert_eq!(
            problems[0].hint.as_deref(),
            Some("did you mean `Autoscale`?")
        );
    }

    #[test]
    fn an_unreadable_template_is_a_problem_naming_the_url() {
        let rack = rack();
        let mut state = live(vec![], &rack);
        state.record_template(
            ACCOUNT,
            TemplateSource::Url(URL.into()),
            Err(CloudError::new(CloudErrorKind::Validation, "NoSuchBucket")),
        );
        let problems = diff(&config(), &state.build(&[rack]), false).unwrap_err();
        assert!(problems[0].message.contains(URL), "{}", problems[0].message);
    }

    #[test]
    fn the_rendered_plan_of_every_action() {
        let mut updated = rack();
        updated.name = "updated".into();
        updated.instance_count = Some(4);
        let mut blocked = rack();
        blocked.name = "blocked".into();
        let mut installed = rack();
        installed.name = "installed".into();
        let unchanged = rack();
        let mut stacks = vec![stack("CREATE_COMPLETE")];
        for (name, status) in [
            ("updated", "UPDATE_COMPLETE"),
            ("blocked", "UPDATE_IN_PROGRESS"),
            ("legacy", "CREATE_COMPLETE"),
        ] {
            let mut extra = stack(status);
            extra.name = name.into();
            stacks.push(extra);
        }
        let mut upgraded = rack();
        upgraded.name = "upgraded".into();
        upgraded.version = "4".into();
        upgraded.template = Template::Url {
            url: url_of("4"),
            pattern: PATTERN.into(),
        };
        upgraded.instance_type = Some("m5.large".into());
        let mut extra = stack("UPDATE_COMPLETE");
        extra.name = "upgraded".into();
        stacks.push(extra);
        let mut recovered = Vec::new();
        for (name, status) in [
            ("reinstalled", "ROLLBACK_COMPLETE"),
            ("rolledback", "UPDATE_ROLLBACK_FAILED"),
            ("old", "UPDATE_COMPLETE"),
        ] {
            let mut failed = stack(status);
            failed.name = name.into();
            stacks.push(failed);
            let mut declared = rack();
            declared.name = name.into();
            declared.absent = name == "old";
            recovered.push(declared);
        }
        let mut app = stack("UPDATE_COMPLETE");
        app.name = "old-web".into();
        app.tags = BTreeMap::from([
            ("System".to_string(), "convox".to_string()),
            ("Type".to_string(), "app".to_string()),
            ("Rack".to_string(), "old".to_string()),
        ]);
        stacks.push(app);
        let mut racks = vec![installed, updated, upgraded, unchanged, blocked];
        racks.extend(recovered);
        let mut state = live(stacks, &racks[0]);
        with_required_release(&mut state);
        state.record_live_template(
            StackKey::new(ACCOUNT, "us-east-1", "old"),
            Ok(RETAINING_TEMPLATE.into()),
        );
        // Every release has the same small rack: what each change reaches is analysed.
        let document = Arc::new(parse_document(INSTANCES_TEMPLATE).unwrap());
        for version in ["2", "3", "4"] {
            state.record_template_document(TemplateSource::Url(url_of(version)), document.clone());
        }
        for name in ["updated", "upgraded"] {
            state.record_live_template(
                StackKey::new(ACCOUNT, "us-east-1", name),
                Ok(INSTANCES_TEMPLATE.into()),
            );
        }
        let plan = diff(&config(), &state.build(&racks), true).unwrap();
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| {
            insta::assert_snapshot!(crate::render::human_plan(
                &plan,
                crate::render::Style::Plain
            ));
            insta::assert_snapshot!(
                "the_markdown_plan_of_every_action",
                crate::render::markdown_plan(&plan)
            )
        });
    }
}
