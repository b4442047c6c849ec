//! Version changes across Convox's releases: the release list checked, and an upgrade through required
//! releases planned as one update per step.

use crate::cloud::{Stack, TemplateSummary};
use crate::config::{Rack, Template};
use crate::convox::names;
use crate::convox::releases::RELEASES_URL;
use crate::convox::{Release, Releases, Route};
use crate::live::LiveState;
use crate::plan::checks::PlanProblem;
use crate::plan::{Action, Blocked, Note, Step, StepOf, Upgrade, Warning};

use super::templates::{
    Applying, LiveTemplate, applying, live_document, planned_document, read_summary,
};
use super::update::{Remarks, Templates, after_update, plan_update};

/// racks.toml's version against Convox's list: a version Convox never released is a problem at its line,
/// with the nearest releases; an unpublished one is a warning; one behind the latest published release
/// gets a note.
pub(super) fn check_release(
    rack: &Rack,
    releases: &Releases,
    notes: &mut Vec<Note>,
    warnings: &mut Vec<Warning>,
) -> Result<(), Vec<PlanProblem>> {
    let version = &rack.version;
    let Some(release) = releases.get(version) else {
        let hint = releases.suggestion_for(version);
        return Err(vec![PlanProblem {
            rack: rack.id(),
            message: format!(
                "version {version} is not one of Convox's releases ({} listed in {RELEASES_URL})",
                releases.len()
            ),
            hint,
            span: rack.spans.parameters.get(names::VERSION).cloned(),
        }]);
    };
    if !release.published {
        warnings.push(Warning::UnpublishedRelease {
            version: version.clone(),
        });
    }
    let ahead = releases.published_after(version);
    if let Some(latest) = releases.latest_published().filter(|_| ahead > 0) {
        notes.push(Note::LaterPublished {
            version: version.clone(),
            latest: latest.version.clone(),
            ahead,
        });
    }
    Ok(())
}

/// How a live rack gets from its live version to racks.toml's: by Convox's release list (`releases`, given
/// for a rack built from Convox's published templates) when its stack says its version; else straight.
pub(super) fn route<'a>(rack: &Rack, stack: &Stack, releases: Option<&'a Releases>) -> Route<'a> {
    match (
        releases,
        stack.parameters.get(names::VERSION),
        &rack.template,
    ) {
        (Some(releases), Some(live_version), Template::Url { .. }) => {
            releases.route(live_version, &rack.version)
        }
        _ => Route::Direct,
    }
}

/// The required releases an upgrade passes through (in order) and the one it ends at, racks.toml's.
pub(super) struct Passing<'a> {
    pub through: &'a [&'a Release],
    pub to: &'a Release,
    /// The rack's template URL pattern: each release's template is its own URL.
    pub pattern: &'a str,
}

/// A required release an upgrade passes through: the rack at that release (`Rack::passing_through`).
struct SteppingStone<'a> {
    release: &'a Release,
    rack: Rack,
    url: String,
}

/// An upgrade through required releases: one full update per step, each planned against the stack as the
/// step before leaves it. Steps before the last change the release and nothing else; the last applies
/// racks.toml (its parameters, tags and version). A step that cannot be made blocks the whole upgrade.
#[allow(clippy::too_many_arguments)]
pub(super) fn plan_upgrade(
    rack: &Rack,
    stack: &Stack,
    live_template: &LiveTemplate,
    summary: &TemplateSummary,
    passing: Passing<'_>,
    account: &str,
    live: &LiveState,
    remarks: Remarks<'_>,
) -> Result<Action, Vec<PlanProblem>> {
    let Remarks { held, notes } = remarks;
    let mut current = stack.clone();
    let mut planned = Vec::new();
    // Each step is analysed against the template the step before it leaves the stack with.
    let mut previous: Option<&Rack> = None;
    let count = passing.through.len() + 1;
    let stones: Vec<SteppingStone> = passing
        .through
        .iter()
        .map(|release| SteppingStone {
            release,
            rack: rack.passing_through(&release.version),
            url: passing.pattern.replace("{version}", &release.version),
        })
        .collect();
    let through = stones.iter().map(|stone| {
        read_summary(&stone.rack, account, live).map(|summary| {
            let applying = Applying::Url {
                url: &stone.url,
                pattern: passing.pattern,
            };
            (stone.release, &stone.rack, summary, applying)
        })
    });
    let last = std::iter::once(Ok((
        passing.to,
        rack,
        summary.clone(),
        applying(live_template),
    )));
    for (index, step) in through.chain(last).enumerate() {
        let (release, step_rack, summary, template) = step?;
        let last = index + 1 == count;
        let mut step_held = Vec::new();
        let mut step_notes = Vec::new();
        let before = || match previous {
            None => live_document(rack, live_template, live),
            Some(previous) => planned_document(previous, live),
        };
        let templates = Templates {
            applying: template,
            before: &before,
        };
        match plan_update(
            step_rack,
            &current,
            templates,
            &summary,
            account,
            live,
            Remarks {
                held: &mut step_held,
                notes: &mut step_notes,
            },
        )? {
            Action::Update(mut update) => {
                // Every step's UpdateStack passes the stack options, so the first sets them: a later step
                // finds them set, though the live options the plan read are from before the first.
                if !planned.is_empty() {
                    update.changes.retain(|change| {
                        !matches!(
                            change.kind,
                            crate::plan::ChangeKind::StackPolicy
                                | crate::plan::ChangeKind::NotificationArns
                                | crate::plan::ChangeKind::Rollback
                        )
                    });
                }
                current = after_update(&current, &update, &summary);
                planned.push(Step {
                    version: release.version.clone(),
                    required: release.required,
                    update,
                });
            }
            Action::Blocked(blocked) => {
                return Ok(Action::Blocked(Blocked {
                    step: Some(StepOf {
                        number: index + 1,
                        count,
                        version: release.version.clone(),
                    }),
                    ..blocked
                }));
            }
            _ => {}
        }
        if last {
            held.append(&mut step_held);
        }
        // Each step resolves the same SSM parameters: one note of each is enough.
        for note in step_notes {
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
        previous = Some(step_rack);
    }
    Ok(Action::Upgrade(Upgrade {
        from: stack
            .parameters
            .get(names::VERSION)
            .cloned()
            .unwrap_or_default(),
        steps: planned,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::plan::{Note, Warning};
    use crate::template::ResourceAction;

    #[test]
    fn a_version_change_across_a_required_release_is_planned_in_steps() {
        let mut rack = rack();
        rack.version = "4".into();
        rack.template = Template::Url {
            url: url_of("4"),
            pattern: PATTERN.into(),
        };
        rack.instance_type = Some("m5.large".into());
        rack.protect = Some(true);
        let plan = plan_with_required_release(rack).unwrap();
        assert_eq!(plan.summary.upgrade, 1);
        let Action::Upgrade(upgrade) = &plan.racks[0].action else {
            panic!("not an upgrade: {:?}", plan.racks[0].action);
        };
        assert_eq!(upgrade.path(), "2 > 3 (required) > 4");
        let [first, second] = &upgrade.steps[..] else {
            panic!("two steps: {upgrade:?}");
        };
        // The step through the required release changes the release and nothing else.
        let names = |step: &Step| -> Vec<String> {
            step.update.changes.iter().map(|c| c.name.clone()).collect()
        };
        assert_eq!(names(first), ["Version", "template"]);
        assert_eq!(first.update.termination_protection, None);
        assert_eq!(
            first.update.template,
            TemplatePlan::Url { url: url_of("3") }
        );
        assert_eq!(
            first.update.parameters["InstanceType"],
            ParameterValue::Value("t2.small".into())
        );
        // The last step starts where the first leaves the rack, and applies racks.toml.
        assert_eq!(
            names(second),
            [
                "InstanceType",
                "Version",
                "template",
                "termination protection"
            ]
        );
        assert_eq!(second.update.termination_protection, Some(true));
        assert_eq!(
            second.update.changes[1].before.as_deref(),
            Some("3"),
            "{second:?}"
        );
        assert_eq!(
            second.update.changes[2].before.as_deref(),
            Some(url_of("3").as_str())
        );
        assert_eq!(
            second.update.parameters["InstanceType"],
            ParameterValue::Value("m5.large".into())
        );
        assert_eq!(second.update.parameters["Key"], ParameterValue::UsePrevious);
    }

    #[test]
    fn each_step_of_an_upgrade_is_analysed_against_the_template_the_step_before_leaves() {
        let plan = upgrade_adding_a_queue();
        let Action::Upgrade(upgrade) = &plan.racks[0].action else {
            panic!("not an upgrade: {:?}", plan.racks[0].action);
        };
        // What each step's template change alone reaches, as (logical id, action).
        let reach = |step: &Step| -> Vec<Vec<(String, ResourceAction)>> {
            step.update
                .changes
                .iter()
                .filter(|c| c.kind == ChangeKind::Template)
                .map(|c| match &c.reached {
                    Some(resources) => resources
                        .iter()
                        .map(|resource| (resource.logical_id.clone(), resource.action))
                        .collect(),
                    other => panic!("not analysed: {other:?}"),
                })
                .collect()
        };
        assert_eq!(
            reach(&upgrade.steps[0]),
            [[("Queue".to_string(), ResourceAction::Add)]]
        );
        // Against the live template it would add the queue again; against step 1's, nothing differs.
        assert_eq!(reach(&upgrade.steps[1]), [Vec::new()]);
    }

    #[test]
    fn a_saved_upgrade_reads_back_to_the_same_data_and_words_and_is_not_stale() {
        let plan = upgrade_adding_a_queue();
        let saved = crate::render::json_plan(&plan);
        assert!(saved.contains("\"reach\": \"adds Queue\""), "{saved}");
        assert!(
            saved.contains("\"verdict\": \"adds 1 resource\""),
            "{saved}"
        );
        let loaded: Plan = serde_json::from_str(&saved).unwrap();
        let Action::Upgrade(upgrade) = &loaded.racks[0].action else {
            panic!("not an upgrade: {:?}", loaded.racks[0].action);
        };
        let reached = &upgrade.steps[0]
            .update
            .changes
            .iter()
            .find(|c| c.kind == ChangeKind::Template)
            .unwrap()
            .reached;
        let reached: Vec<(&str, ResourceAction)> = reached
            .iter()
            .flatten()
            .map(|resource| (resource.logical_id.as_str(), resource.action))
            .collect();
        assert_eq!(reached, [("Queue", ResourceAction::Add)]);
        assert_eq!(loaded, plan);
        assert_eq!(crate::render::json_plan(&loaded), saved);
        assert_eq!(
            crate::render::human_plan(&loaded, crate::render::Style::Plain),
            crate::render::human_plan(&plan, crate::render::Style::Plain)
        );
        assert_eq!(
            crate::render::markdown_plan(&loaded),
            crate::render::markdown_plan(&plan)
        );
        assert_eq!(crate::plan::stale_reasons(&loaded, &plan), Vec::new());
    }

    /// An upgrade from 2 through the required release 3 to 4, where release 3 adds a queue and 4 keeps
    /// the template of 3.
    fn upgrade_adding_a_queue() -> Plan {
        let mut rack = rack();
        rack.version = "4".into();
        rack.template = Template::Url {
            url: url_of("4"),
            pattern: PATTERN.into(),
        };
        let mut state = live(vec![stack("UPDATE_COMPLETE")], &rack);
        with_required_release(&mut state);
        // Release 3 adds a queue; release 4 keeps the template of 3.
        let live_body = INSTANCES_TEMPLATE;
        let mut with_queue = parse_document(live_body).unwrap();
        with_queue["Resources"]["Queue"] = serde_json::json!({"Type": "AWS::SQS::Queue"});
        let with_queue = Arc::new(with_queue);
        state.record_template_document(TemplateSource::Url(url_of("3")), with_queue.clone());
        state.record_template_document(TemplateSource::Url(url_of("4")), with_queue);
        state.record_live_template(
            StackKey::new(ACCOUNT, "us-east-1", "example"),
            Ok(live_body.into()),
        );
        diff(&config(), &state.build(std::slice::from_ref(&rack)), false).unwrap()
    }

    #[test]
    fn a_version_change_with_no_required_release_between_is_one_update() {
        let mut rack = rack();
        rack.version = "3".into();
        rack.template = Template::Url {
            url: url_of("3"),
            pattern: PATTERN.into(),
        };
        let plan = plan_with_required_release(rack).unwrap();
        assert!(matches!(plan.racks[0].action, Action::Update(_)));
    }

    #[test]
    fn a_downgrade_is_blocked_naming_both_versions() {
        let mut rack = rack();
        rack.version = "1".into();
        rack.template = Template::Url {
            url: url_of("1"),
            pattern: PATTERN.into(),
        };
        let mut state = live(vec![stack("UPDATE_COMPLETE")], &rack);
        with_required_release(&mut state);
        let plan = diff(&config(), &state.build(&[rack]), false).unwrap();
        let Action::Blocked(blocked) = &plan.racks[0].action else {
            panic!("not blocked: {:?}", plan.racks[0].action);
        };
        assert_eq!(
            blocked.why,
            BlockedWhy::Downgrade {
                declared: "1".into(),
                live: "2".into()
            }
        );
    }

    #[test]
    fn an_unknown_version_is_a_problem_at_its_line_naming_the_nearest_releases() {
        let mut beyond = rack();
        beyond.version = "35".into();
        beyond.spans.parameters.insert("Version".into(), 10..14);
        let problems = plan_with_required_release(beyond).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0]
                .message
                .contains("version 35 is not one of Convox's releases")
        );
        assert_eq!(
            problems[0].hint.as_deref(),
            Some("the last release is 5; the latest published one is 4")
        );
        assert_eq!(problems[0].span, Some(10..14));
        let mut between = rack();
        between.version = "2.5".into();
        let problems = plan_with_required_release(between).unwrap_err();
        assert_eq!(
            problems[0].hint.as_deref(),
            Some("the nearest releases are 2 (before) and 3 (after)")
        );
    }

    #[test]
    fn an_unpublished_version_is_a_warning_and_a_rack_behind_the_latest_gets_a_note() {
        let mut ahead = rack();
        ahead.version = "5".into();
        ahead.template = Template::Url {
            url: url_of("5"),
            pattern: PATTERN.into(),
        };
        let plan = plan_with_required_release(ahead).unwrap();
        assert_eq!(
            plan.racks[0].warnings,
            [Warning::UnpublishedRelease {
                version: "5".into()
            }],
            "{:?}",
            plan.racks[0]
        );
        assert!(plan.racks[0].notes.is_empty());

        let mut behind = rack();
        behind.instance_count = Some(4);
        let plan = plan_with_required_release(behind).unwrap();
        assert_eq!(
            plan.racks[0].notes,
            [Note::LaterPublished {
                version: "2".into(),
                latest: "4".into(),
                ahead: 2
            }]
        );
        assert!(matches!(plan.racks[0].action, Action::Update(_)));
    }

    #[test]
    fn a_rack_with_its_own_template_url_never_needs_the_release_list() {
        let mut own = rack();
        own.version = "not-a-release".into();
        own.template = Template::Url {
            url: "https://example.com/not-a-release/rack.json".into(),
            pattern: "https://example.com/{version}/rack.json".into(),
        };
        let mut state = live(vec![], &own);
        state.record_releases(None);
        let plan = diff(&config(), &state.build(&[own]), false).unwrap();
        assert!(matches!(plan.racks[0].action, Action::Install(_)));
        assert_eq!(plan.releases, None);
    }
}
