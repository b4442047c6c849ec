//! SSM re-resolution: CloudFormation resolves every SSM-typed parameter (`AWS::SSM::Parameter::Value<...>`,
//! e.g. Convox's `DefaultAmi`) again at every update, so an update changes what it feeds whenever Parameter
//! Store holds a newer value than the stack's `ResolvedValue`. Which parameters a rack's update resolves,
//! what each resolved to (DescribeStacks) and resolves to now (SSM GetParameter, read by `live`), and what
//! the plan makes of it: a change of an update, an update of its own (`refresh`), a note, or a value that
//! is not known (a read denied), which holds the rack from in-place approval.

use std::collections::BTreeMap;

use crate::cloud::{ParameterValue, RegionKey, Stack, TemplateSummary};
use crate::config::Rack;
use crate::live::{LiveState, SsmWanted, template_source};
use crate::plan::checks::PlanProblem;
use crate::plan::{Action, Change, Note, Plan, SsmUnknown, UnresolvedSsm};
use crate::template::resolved_ssm;

/// What an SSM name resolves to now, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Current {
    Value(String),
    /// The read failed (denied, throttled past retries) or there is no such parameter: why.
    Unknown(SsmUnknown),
    /// Not read: the rack is neither updated nor asks for it.
    NotRead,
}

/// One SSM-typed parameter of the template an update applies.
#[derive(Debug, Clone)]
struct Resolution {
    parameter: String,
    /// The SSM name the update sends.
    name: String,
    /// Whether the live stack names the same SSM parameter, so that its ResolvedValue is the value before.
    same_name: bool,
    /// DescribeStacks' ResolvedValue.
    before: Option<String>,
    current: Current,
}

/// The SSM re-resolution of one update.
#[derive(Debug, Default)]
pub(super) struct SsmResolutions {
    resolutions: Vec<Resolution>,
}

impl SsmResolutions {
    /// The SSM-typed parameters of `summary`, with the name each update sends (`parameters`, the UpdateStack
    /// list) and what it resolves to now in the rack's account and region, as `live` read it.
    pub(super) fn of(
        stack: &Stack,
        summary: &TemplateSummary,
        parameters: &BTreeMap<String, ParameterValue>,
        live: &LiveState,
        place: &RegionKey,
    ) -> Self {
        let resolutions = summary
            .parameters
            .iter()
            .filter(|(_, declared)| declared.names_ssm_parameter())
            .filter_map(|(parameter, declared)| {
                let name = match parameters.get(parameter) {
                    Some(ParameterValue::Value(name)) => name.clone(),
                    Some(ParameterValue::UsePrevious) => stack.parameters.get(parameter)?.clone(),
                    None => declared.default.clone()?,
                };
                let current = match live.ssm_value(place, &name) {
                    None => Current::NotRead,
                    Some(Ok(Some(value))) => Current::Value(value.value.expose().to_string()),
                    Some(Ok(None)) => Current::Unknown(SsmUnknown::Missing {
                        name: name.clone(),
                        region: place.region.clone(),
                    }),
                    Some(Err(error)) => Current::Unknown(SsmUnknown::Unreadable {
                        name: name.clone(),
                        error: error.to_string(),
                    }),
                };
                Some(Resolution {
                    parameter: parameter.clone(),
                    same_name: stack.parameters.get(parameter) == Some(&name),
                    before: stack.resolved.get(parameter).cloned(),
                    name,
                    current,
                })
            })
            .collect();
        Self { resolutions }
    }

    /// The changes of the values this update resolves anew: those `refresh` lists (an update of their
    /// own), and the others (`newer`), which are changes only of an update made for another reason.
    /// A value not read or not known is no change here; `unresolved` says what is unknown.
    pub(super) fn changes(&self, rack: &Rack) -> (Vec<Change>, Vec<Change>) {
        let (mut refreshed, mut newer) = (Vec::new(), Vec::new());
        for resolution in &self.resolutions {
            let Current::Value(current) = &resolution.current else {
                continue;
            };
            if !resolution.same_name || resolution.before.as_ref() == Some(current) {
                continue;
            }
            let change = ssm_change(resolution, Some(current.clone()));
            if rack.refresh.contains(&resolution.parameter) {
                refreshed.push(change);
            } else {
                newer.push(change);
            }
        }
        (refreshed, newer)
    }

    /// The values an update resolves that cannot be known, with why: changes whose after value is unknown,
    /// and what holds the rack from in-place approval.
    pub(super) fn unresolved(&self) -> (Vec<Change>, Vec<UnresolvedSsm>) {
        self.resolutions
            .iter()
            .filter_map(|resolution| match &resolution.current {
                Current::Unknown(why) => Some((
                    ssm_change(resolution, None),
                    UnresolvedSsm {
                        parameter: resolution.parameter.clone(),
                        ssm_name: resolution.name.clone(),
                        why: why.clone(),
                    },
                )),
                Current::Value(_) | Current::NotRead => None,
            })
            .unzip()
    }

    /// The notes of a rack left unchanged: newer values the next update resolves, and reads that failed.
    pub(super) fn notes_of_unchanged(&self, rack: &Rack) -> Vec<Note> {
        let (_, newer) = self.changes(rack);
        let mut notes: Vec<Note> = newer
            .into_iter()
            .map(|change| Note::NewerSsmValue {
                parameter: change.name,
                ssm_name: change.ssm_name.unwrap_or_default(),
                before: change.before,
                after: change.after,
            })
            .collect();
        notes.extend(self.unreadable_notes());
        notes
    }

    /// A note for each value that could not be read.
    pub(super) fn unreadable_notes(&self) -> Vec<Note> {
        self.resolutions
            .iter()
            .filter_map(|resolution| match &resolution.current {
                Current::Unknown(why) => Some(Note::SsmUnresolved {
                    parameter: resolution.parameter.clone(),
                    why: why.clone(),
                }),
                Current::Value(_) | Current::NotRead => None,
            })
            .collect()
    }

    /// `values` (a side's parameter values) with each SSM-typed parameter's value carrying what it resolves
    /// to on that side, for the impact analysis: `before` the stack's ResolvedValue, else the value now.
    /// A value not known makes what it reaches "may change"; the value before is unknown when the stack
    /// does not show it (an SSM name other than the one sent now included).
    pub(super) fn for_analysis(
        &self,
        values: &BTreeMap<String, String>,
        before: bool,
    ) -> BTreeMap<String, String> {
        let mut values = values.clone();
        for resolution in &self.resolutions {
            let unknown;
            let Some(name) = values.get(&resolution.parameter).cloned() else {
                continue;
            };
            let resolved = if before {
                match &resolution.before {
                    Some(value) => Ok(value.as_str()),
                    None => Err("the stack does not show what its SSM parameter resolved to"),
                }
            } else {
                match &resolution.current {
                    Current::Value(value) => Ok(value.as_str()),
                    Current::Unknown(why) => {
                        unknown = unknown_to_the_analysis(why);
                        Err(unknown.as_str())
                    }
                    Current::NotRead => Err("its SSM parameter was not read"),
                }
            };
            values.insert(resolution.parameter.clone(), resolved_ssm(&name, resolved));
        }
        values
    }
}

/// What the analysis's unknown value says of itself: the evaluation tells unknown values apart by this text
/// (and a "may change" of what the value reaches may quote it), so it stays what it was when the plan held
/// these words. A person reads a note's words from `render::notes`.
fn unknown_to_the_analysis(why: &SsmUnknown) -> String {
    match why {
        SsmUnknown::Missing { name, region } => {
            format!("SSM parameter {name} does not exist in {region}")
        }
        SsmUnknown::Unreadable { name, error } => {
            format!("cannot read SSM parameter {name}: {error}")
        }
    }
}

fn ssm_change(resolution: &Resolution, after: Option<String>) -> Change {
    Change::ssm_value(
        resolution.parameter.clone(),
        resolution.name.clone(),
        resolution.before.clone(),
        after,
    )
}

/// Every `refresh` entry must be an SSM-typed parameter of the rack's template: a typo, or a parameter
/// CloudFormation does not resolve, is caught at its line.
pub(super) fn refresh_declared(rack: &Rack, summary: &TemplateSummary) -> Vec<PlanProblem> {
    rack.refresh
        .iter()
        .filter(|name| {
            !summary
                .parameters
                .get(*name)
                .is_some_and(|declared| declared.names_ssm_parameter())
        })
        .map(|name| {
            let ssm_typed: Vec<&str> = summary
                .parameters
                .iter()
                .filter(|(_, declared)| declared.names_ssm_parameter())
                .map(|(name, _)| name.as_str())
                .collect();
            PlanProblem {
                rack: rack.id(),
                message: format!(
                    "`refresh` names `{name}`, which the template {} does not declare as an SSM-typed parameter (AWS::SSM::Parameter::Value<...>)",
                    rack.template.describe()
                ),
                hint: Some(if ssm_typed.is_empty() {
                    "the template has no SSM-typed parameter".to_string()
                } else {
                    format!("its SSM-typed parameters: {}", ssm_typed.join(", "))
                }),
                span: rack.spans.refresh.get(name).cloned(),
            }
        })
        .collect()
}

/// The SSM parameters a plan needs read: those every SSM-typed parameter names in the templates of the
/// racks it updates or upgrades, or that ask for it (`refresh`). Others are not read: an unchanged rack
/// costs no GetParameter.
pub fn ssm_wanted(live: &LiveState, plan: &Plan) -> Vec<SsmWanted> {
    let mut wanted = Vec::new();
    for record in live.racks() {
        let Some(planned) = plan
            .racks
            .iter()
            .find(|planned| planned.rack == record.rack.id())
        else {
            continue;
        };
        let updated = matches!(planned.action, Action::Update(_) | Action::Upgrade(_));
        if !updated && (record.rack.refresh.is_empty() || planned.action != Action::Unchanged) {
            continue;
        }
        // A live rack that stays and that CloudFormation is not working on, nor a failed install.
        let Some(stack) = live.stack(&record.key).filter(|stack| {
            !record.rack.absent
                && !stack.status.is_moving()
                && stack.state() != crate::cloud::StackState::FailedInstall
        }) else {
            continue;
        };
        let releases = live
            .releases()
            .filter(|_| record.rack.uses_convox_releases());
        let templates = crate::plan::needs::planned_templates(&record.rack, stack, releases);
        let summaries = templates.iter().filter_map(|planned| {
            live.summary(&record.key.account, &template_source(&planned.template))
        });
        let managed = record.rack.managed_parameters();
        for summary in summaries.flatten() {
            for (parameter, declared) in &summary.parameters {
                if !declared.names_ssm_parameter() {
                    continue;
                }
                let name = managed
                    .get(parameter)
                    .or_else(|| stack.parameters.get(parameter))
                    .or(declared.default.as_ref());
                if let Some(name) = name {
                    wanted.push(SsmWanted {
                        org: record.rack.org.clone(),
                        place: record.key.region_key(),
                        name: name.clone(),
                    });
                }
            }
        }
    }
    wanted.sort();
    wanted.dedup();
    wanted
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::ssm_wanted;
    use crate::cloud::{ParameterValue, SsmParameter};
    use crate::plan::{Note, SsmUnknown};

    const AMI_NAME: &str = "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id";

    /// A rack's instances from an SSM-typed AMI, and a log group beside them: a LogRetention change
    /// reaches only the log group, unless the AMI resolves to a new image.
    fn template(image: &str) -> String {
        format!(
            r#"{{
    "Parameters": {{"DefaultAmi": {{"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": "{AMI_NAME}"}},
                   "LogRetention": {{"Type": "String", "Default": "7"}}, "Version": {{"Type": "String"}}}},
    "Resources": {{
        "Logs": {{"Type": "AWS::Logs::LogGroup", "Properties": {{"RetentionInDays": {{"Ref": "LogRetention"}}}}}},
        "LaunchConfiguration": {{"Type": "AWS::AutoScaling::LaunchConfiguration",
            "Properties": {{"ImageId": {image}, "InstanceType": "t3.small"}}}},
        "Instances": {{"Type": "AWS::AutoScaling::AutoScalingGroup",
            "Properties": {{"LaunchConfigurationName": {{"Ref": "LaunchConfiguration"}}, "MinSize": "1", "MaxSize": "9"}},
            "UpdatePolicy": {{"AutoScalingRollingUpdate": {{"MaxBatchSize": 1}}}}}}
    }}
}}"#
        )
    }

    fn ssm_summary() -> TemplateSummary {
        let parameter = |kind: &str, default: Option<&str>| TemplateParameter {
            kind: kind.into(),
            default: default.map(str::to_string),
            ..TemplateParameter::default()
        };
        TemplateSummary {
            parameters: BTreeMap::from([
                (
                    "DefaultAmi".to_string(),
                    parameter(
                        "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                        Some(AMI_NAME),
                    ),
                ),
                ("LogRetention".to_string(), parameter("String", Some("7"))),
                ("Version".to_string(), parameter("String", None)),
            ]),
            resource_count: 3,
            declarations: Declarations::Complete,
        }
    }

    fn ssm_stack() -> Stack {
        let mut stack = stack("UPDATE_COMPLETE");
        stack.parameters = BTreeMap::from([
            ("DefaultAmi".to_string(), AMI_NAME.to_string()),
            ("LogRetention".to_string(), "7".to_string()),
            ("Version".to_string(), "2".to_string()),
        ]);
        stack.resolved = BTreeMap::from([("DefaultAmi".to_string(), "ami-0aaa".to_string())]);
        stack
    }

    fn ssm_rack(log_retention: &str) -> Rack {
        let mut rack = rack();
        rack.instance_type = None;
        rack.instance_count = None;
        rack.private = None;
        rack.parameters
            .insert("LogRetention".into(), log_retention.into());
        rack
    }

    /// `rack` against `ssm_stack()`, with Parameter Store's answer for the AMI's name (`None`: not read).
    fn plan_with(
        rack: &Rack,
        image: &str,
        ami: Option<Result<Option<SsmParameter>, CloudError>>,
    ) -> Result<Plan, Vec<PlanProblem>> {
        let mut state = LiveStateBuilder::default();
        state.record_account("personal", ACCOUNT);
        state.record_stacks(RegionKey::new(ACCOUNT, "us-east-1"), [ssm_stack()]);
        state.record_template(ACCOUNT, template_source(&rack.template), Ok(ssm_summary()));
        state.record_releases(Some(releases(&[("2", true, false)])));
        let body = template(image);
        state.record_template_document(
            template_source(&rack.template),
            Arc::new(parse_document(&body).unwrap()),
        );
        state.record_live_template(StackKey::new(ACCOUNT, "us-east-1", "example"), Ok(body));
        if let Some(read) = ami {
            state.record_ssm_parameter(RegionKey::new(ACCOUNT, "us-east-1"), AMI_NAME, read);
        }
        diff(&config(), &state.build(std::slice::from_ref(rack)), false)
    }

    fn newer() -> Option<Result<Option<SsmParameter>, CloudError>> {
        Some(Ok(Some(SsmParameter {
            kind: "String".into(),
            value: crate::cloud::Secret::new("ami-0bbb"),
        })))
    }

    const SSM_IMAGE: &str = r#"{"Ref": "DefaultAmi"}"#;

    fn human(plan: &Plan) -> String {
        crate::render::human_plan(plan, crate::render::Style::Plain)
    }

    #[test]
    fn an_unrelated_change_resolves_a_newer_ami_and_rolls_every_instance() {
        let plan = plan_with(&ssm_rack("30"), SSM_IMAGE, newer()).unwrap();
        let rack = &plan.racks[0];
        let Action::Update(update) = &rack.action else {
            panic!("an update: {:?}", rack.action);
        };
        let ssm: Vec<_> = update
            .changes
            .iter()
            .filter(|change| change.kind == ChangeKind::SsmValue)
            .collect();
        assert_eq!(ssm.len(), 1, "{:?}", update.changes);
        assert_eq!(
            (ssm[0].before.as_deref(), ssm[0].after.as_deref()),
            (Some("ami-0aaa"), Some("ami-0bbb"))
        );
        let Some(TemplateImpact::Analysed { resources, .. }) = &update.analysis else {
            panic!("analysed: {:?}", update.analysis);
        };
        let instances = resources
            .iter()
            .find(|resource| resource.logical_id == "Instances")
            .unwrap_or_else(|| panic!("the group rolls: {resources:?}"));
        assert!(instances.rolling.is_some(), "{instances:?}");
        assert!(
            rack.hold.contains(&HoldReason::Disruptive),
            "{:?}",
            rack.hold
        );
        let text = human(&plan);
        assert!(
            text.contains(&format!(
                "DefaultAmi (SSM {AMI_NAME}): ami-0aaa -> ami-0bbb, resolved at update"
            )),
            "{text}"
        );
        // LogRetention alone reaches the log group only.
        let log = update
            .changes
            .iter()
            .find(|change| change.name == "LogRetention")
            .unwrap();
        let Some(reached) = &log.reached else {
            panic!("LogRetention's reach is analysed: {log:?}");
        };
        assert!(
            reached
                .iter()
                .all(|resource| resource.logical_id != "Instances"),
            "{log:?}"
        );
    }

    #[test]
    fn the_same_value_in_parameter_store_changes_nothing_the_update_does() {
        let same = Some(Ok(Some(SsmParameter {
            kind: "String".into(),
            value: crate::cloud::Secret::new("ami-0aaa"),
        })));
        let plan = plan_with(&ssm_rack("30"), SSM_IMAGE, same).unwrap();
        let Action::Update(update) = &plan.racks[0].action else {
            panic!("an update");
        };
        assert!(
            update
                .changes
                .iter()
                .all(|c| c.kind != ChangeKind::SsmValue),
            "{:?}",
            update.changes
        );
        assert_eq!(plan.racks[0].hold, [], "{:?}", update.analysis);
    }

    #[test]
    fn an_unchanged_rack_with_a_newer_value_stays_unchanged_with_a_note() {
        let plan = plan_with(&ssm_rack("7"), SSM_IMAGE, newer()).unwrap();
        let rack = &plan.racks[0];
        assert_eq!(rack.action, Action::Unchanged);
        assert!(
            rack.notes.iter().any(|note| matches!(
                note,
                Note::NewerSsmValue { parameter, before, after, .. }
                    if parameter == "DefaultAmi"
                        && before.as_deref() == Some("ami-0aaa")
                        && after.as_deref() == Some("ami-0bbb")
            )),
            "{:?}",
            rack.notes
        );
    }

    #[test]
    fn refresh_makes_a_newer_value_an_update_of_its_own() {
        let mut rack = ssm_rack("7");
        rack.refresh.insert("DefaultAmi".into());
        let plan = plan_with(&rack, SSM_IMAGE, newer()).unwrap();
        let Action::Update(update) = &plan.racks[0].action else {
            panic!("an update: {:?}", plan.racks[0].action);
        };
        assert_eq!(update.changes.len(), 1, "{:?}", update.changes);
        assert_eq!(update.changes[0].kind, ChangeKind::SsmValue);
        assert_eq!(
            update.parameters["DefaultAmi"],
            ParameterValue::UsePrevious,
            "CloudFormation resolves the name it has again"
        );
        assert!(plan.racks[0].hold.contains(&HoldReason::Disruptive));
        // Unread (the first plan of `make_plan`), nothing is known to differ.
        assert_eq!(
            plan_with(&rack, SSM_IMAGE, None).unwrap().racks[0].action,
            Action::Unchanged
        );
    }

    #[test]
    fn refresh_of_a_parameter_that_is_not_ssm_typed_is_a_problem_at_its_line() {
        let mut rack = ssm_rack("7");
        rack.refresh.insert("LogRetention".into());
        rack.spans.refresh.insert("LogRetention".into(), 40..54);
        let problems = plan_with(&rack, SSM_IMAGE, newer()).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0]
                .message
                .contains("`refresh` names `LogRetention`"),
            "{}",
            problems[0].message
        );
        assert_eq!(problems[0].span, Some(40..54));
        assert_eq!(
            problems[0].hint.as_deref(),
            Some("its SSM-typed parameters: DefaultAmi")
        );
    }

    #[test]
    fn a_denied_read_is_a_note_and_holds_the_rack_from_in_place_approval() {
        let denied = Some(Err(CloudError::new(
            CloudErrorKind::AccessDenied,
            "AccessDenied: not authorized to perform ssm:GetParameter",
        )));
        let plan = plan_with(&ssm_rack("30"), SSM_IMAGE, denied).unwrap();
        let rack = &plan.racks[0];
        let Action::Update(update) = &rack.action else {
            panic!("an update");
        };
        assert!(
            rack.notes.iter().any(|note| matches!(
                note,
                Note::SsmUnresolved { parameter, why: SsmUnknown::Unreadable { .. } }
                    if parameter == "DefaultAmi"
            )),
            "{:?}",
            rack.notes
        );
        // Saved (`plan --out` writes the JSON view) and read back, the note and what is unresolved are
        // the same data.
        let saved: Plan = serde_json::from_str(&crate::render::json_plan(&plan)).unwrap();
        assert_eq!(saved.racks[0].notes, rack.notes);
        let Action::Update(saved_update) = &saved.racks[0].action else {
            panic!("an update");
        };
        assert_eq!(saved_update.unresolved, update.unresolved);
        assert_eq!(saved.racks[0].hold, rack.hold);
        assert!(
            rack.hold.iter().any(|reason| matches!(
                reason,
                HoldReason::SsmUnresolved { parameter, .. } if parameter == "DefaultAmi"
            )),
            "{:?}",
            rack.hold
        );
        // What the AMI reaches may change: never "in place", never "unchanged".
        let Some(TemplateImpact::Analysed { resources, .. }) = &update.analysis else {
            panic!("analysed: {:?}", update.analysis);
        };
        let launch = resources
            .iter()
            .find(|resource| resource.logical_id == "LaunchConfiguration")
            .unwrap_or_else(|| panic!("{resources:?}"));
        assert_ne!(launch.action, crate::template::ResourceAction::Modify);
        assert!(
            human(&plan).contains("resolves SSM") || !rack.hold.is_empty(),
            "{}",
            human(&plan)
        );
    }

    #[test]
    fn an_unversioned_dynamic_reference_may_change_at_any_update_and_a_versioned_one_does_not() {
        let unversioned = format!(r#""{{{{resolve:ssm:{AMI_NAME}}}}}""#);
        let plan = plan_with(&ssm_rack("30"), &unversioned, None).unwrap();
        let Action::Update(update) = &plan.racks[0].action else {
            panic!("an update");
        };
        let Some(TemplateImpact::Analysed { resources, .. }) = &update.analysis else {
            panic!("analysed: {:?}", update.analysis);
        };
        assert!(
            resources
                .iter()
                .any(|resource| resource.logical_id == "LaunchConfiguration"
                    && resource.action != crate::template::ResourceAction::Modify),
            "{resources:?}"
        );
        assert!(plan.racks[0].hold.contains(&HoldReason::Disruptive));

        let versioned = format!(r#""{{{{resolve:ssm:{AMI_NAME}:3}}}}""#);
        let plan = plan_with(&ssm_rack("30"), &versioned, None).unwrap();
        assert_eq!(plan.racks[0].hold, [], "{}", human(&plan));
    }

    #[test]
    fn only_racks_that_change_or_ask_for_it_read_parameter_store() {
        let wanted = |rack: &Rack| {
            let mut state = LiveStateBuilder::default();
            state.record_account("personal", ACCOUNT);
            state.record_stacks(RegionKey::new(ACCOUNT, "us-east-1"), [ssm_stack()]);
            state.record_template(ACCOUNT, template_source(&rack.template), Ok(ssm_summary()));
            state.record_releases(Some(releases(&[("2", true, false)])));
            let live = state.build(std::slice::from_ref(rack));
            let plan = diff(&config(), &live, false).unwrap();
            ssm_wanted(&live, &plan)
                .into_iter()
                .map(|want| want.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(wanted(&ssm_rack("7")), Vec::<String>::new());
        assert_eq!(wanted(&ssm_rack("30")), [AMI_NAME]);
        let mut refreshing = ssm_rack("7");
        refreshing.refresh.insert("DefaultAmi".into());
        assert_eq!(wanted(&refreshing), [AMI_NAME]);
    }
}
