//! What a rack's drift detection means, decided once as data for every view: which resources drifted (each
//! property that differs), which differences are what Convox itself changes (`convox::managed_by_convox`) or
//! what racks.toml's `drift_ignore` names (reported as "managed outside CloudFormation", not drift), which
//! resources CloudFormation did not check (NOT_CHECKED: left out of the results; UNKNOWN: it could not), and
//! racks whose detection failed, timed out or could not start. Nothing unchecked is ever "in sync". Which
//! stacks detection runs on is decided here too (`detectable`): not on one busy or deleted.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::cloud::drift::{DetectionStatus, DifferenceKind, ResourceDriftStatus};
use crate::cloud::{Stack, StackState};
use crate::config::{DriftIgnore, Rack};
use crate::live::drift::DriftRead;
use crate::plan::{Action, HoldReason, TemplateImpact};

/// The drift of every rack asked for: `rackfile drift`'s model, printed by `render::drift`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftReport {
    pub format_version: String,
    pub racks: Vec<RackDrift>,
    pub summary: DriftSummary,
}

pub const DRIFT_FORMAT_VERSION: &str = "1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RackDrift {
    /// `org/name`.
    pub rack: String,
    pub region: String,
    #[serde(flatten)]
    pub outcome: DriftOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DriftOutcome {
    /// The detection ran; `findings` says what it found and what it could not check.
    Detected(DriftFindings),
    /// No stack of that name: nothing to detect.
    NotInstalled,
    /// Not checked: the stack is in the middle of an operation.
    Busy { status: String },
    /// Not checked: a call failed (the AWS error).
    Failed { error: String },
    /// Not checked: the detection was still running when rackfile stopped waiting (it goes on in AWS).
    TimedOut { after_seconds: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DriftFindings {
    /// DETECTION_FAILED: CloudFormation could not check some resources (`unknown`); the rest was checked.
    pub detection_failed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection_reason: Option<String>,
    /// MODIFIED or DELETED resources, with only the differences nothing else manages.
    pub drifted: Vec<DriftedResource>,
    /// Differences Convox or `drift_ignore` accounts for.
    pub managed: Vec<ManagedDifference>,
    /// Resources CloudFormation does not check (custom resources, types without drift support).
    pub not_checked: Vec<UncheckedResource>,
    /// Resources CloudFormation tried and could not check.
    pub unknown: Vec<UncheckedResource>,
    pub in_sync: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftedResource {
    pub logical_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_id: Option<String>,
    #[serde(rename = "type")]
    pub resource_type: String,
    /// MODIFIED or DELETED.
    pub status: ResourceDriftStatus,
    pub differences: Vec<Difference>,
}

/// A property that differs; values are CloudFormation's JSON text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    pub path: String,
    pub expected: String,
    pub actual: String,
    pub kind: DifferenceKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedDifference {
    pub logical_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_id: Option<String>,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub difference: Difference,
    pub by: ManagedBy,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum ManagedBy {
    /// Convox changes it on a running rack.
    Convox { what: String, source: String },
    /// racks.toml's `drift_ignore` names it.
    DriftIgnore { entry: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UncheckedResource {
    pub logical_id: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DriftSummary {
    pub racks: usize,
    pub drifted: usize,
    pub in_sync: usize,
    /// Racks whose detection could not be run or finished (busy, failed, timed out).
    pub not_checked: usize,
    pub not_installed: usize,
    /// Resources, over every rack, CloudFormation did not check (NOT_CHECKED) or could not (UNKNOWN).
    pub resources_not_checked: usize,
    pub resources_unknown: usize,
}

impl DriftSummary {
    /// Whether some rack drifted: `--detailed-exitcode` exits 2.
    pub fn differs(&self) -> bool {
        self.drifted > 0
    }

    /// Whether some rack could not be checked: an error, exit 1 (never "in sync").
    pub fn incomplete(&self) -> bool {
        self.not_checked > 0
    }
}

impl DriftFindings {
    pub fn has_drifted(&self) -> bool {
        !self.drifted.is_empty()
    }
}

/// Whether drift detection runs on `stack`: not while CloudFormation is in the middle of an operation on it
/// (it cannot detect drift then: the rack is reported busy), nor on a stack deleted (nothing to detect).
pub fn detectable(stack: &Stack) -> bool {
    !matches!(
        stack.state(),
        StackState::InProgress | StackState::Deleting | StackState::Deleted
    )
}

/// The report of `racks`' reads, in their order.
pub fn drift_report(racks: &[Rack], reads: Vec<DriftRead>) -> DriftReport {
    let racks: Vec<RackDrift> = racks
        .iter()
        .zip(reads)
        .map(|(rack, read)| RackDrift {
            rack: rack.id(),
            region: rack.region.clone(),
            outcome: outcome(&rack.drift_ignore, read),
        })
        .collect();
    let mut summary = DriftSummary {
        racks: racks.len(),
        ..DriftSummary::default()
    };
    for rack in &racks {
        match &rack.outcome {
            DriftOutcome::Detected(findings) => {
                if findings.has_drifted() {
                    summary.drifted += 1;
                } else {
                    summary.in_sync += 1;
                }
                summary.resources_not_checked += findings.not_checked.len();
                summary.resources_unknown += findings.unknown.len();
            }
            DriftOutcome::NotInstalled => summary.not_installed += 1,
            DriftOutcome::Busy { .. }
            | DriftOutcome::Failed { .. }
            | DriftOutcome::TimedOut { .. } => summary.not_checked += 1,
        }
    }
    DriftReport {
        format_version: DRIFT_FORMAT_VERSION.to_string(),
        racks,
        summary,
    }
}

/// What one rack's read means.
pub fn outcome(ignore: &[DriftIgnore], read: DriftRead) -> DriftOutcome {
    match read {
        DriftRead::Detected {
            detection,
            drifts,
            resources,
            parameters,
        } => {
            let mut findings = DriftFindings {
                detection_failed: detection.status == DetectionStatus::DetectionFailed,
                detection_reason: detection.reason,
                ..DriftFindings::default()
            };
            let reported: BTreeSet<&str> = drifts.iter().map(|d| d.logical_id.as_str()).collect();
            // AWS leaves the resources it does not check out of the results: they are the stack's other
            // resources.
            findings.not_checked = resources
                .iter()
                .filter(|resource| !reported.contains(resource.logical_id.as_str()))
                .map(|resource| UncheckedResource {
                    logical_id: resource.logical_id.clone(),
                    resource_type: resource.resource_type.clone(),
                    reason: None,
                })
                .collect();
            for drift in drifts {
                match drift.status {
                    ResourceDriftStatus::InSync => findings.in_sync += 1,
                    ResourceDriftStatus::NotChecked => {
                        findings.not_checked.push(UncheckedResource {
                            logical_id: drift.logical_id,
                            resource_type: drift.resource_type,
                            reason: drift.reason,
                        })
                    }
                    ResourceDriftStatus::Unknown => findings.unknown.push(UncheckedResource {
                        logical_id: drift.logical_id,
                        resource_type: drift.resource_type,
                        reason: drift.reason,
                    }),
                    ResourceDriftStatus::Deleted => findings.drifted.push(DriftedResource {
                        logical_id: drift.logical_id,
                        physical_id: drift.physical_id,
                        resource_type: drift.resource_type,
                        status: ResourceDriftStatus::Deleted,
                        differences: Vec::new(),
                    }),
                    ResourceDriftStatus::Modified => {
                        let mut remaining = Vec::new();
                        for difference in drift.differences {
                            let difference = Difference {
                                path: difference.path,
                                expected: difference.expected,
                                actual: difference.actual,
                                kind: difference.kind,
                            };
                            match managed_by(
                                ignore,
                                &drift.resource_type,
                                &drift.logical_id,
                                &difference.path,
                                &parameters,
                            ) {
                                Some(by) => findings.managed.push(ManagedDifference {
                                    logical_id: drift.logical_id.clone(),
                                    physical_id: drift.physical_id.clone(),
                                    resource_type: drift.resource_type.clone(),
                                    difference,
                                    by,
                                }),
                                None => remaining.push(difference),
                            }
                        }
                        // A MODIFIED resource without a difference listed is still drift: AWS said so.
                        let still_drifted = !remaining.is_empty()
                            || findings
                                .managed
                                .iter()
                                .all(|managed| managed.logical_id != drift.logical_id);
                        if still_drifted {
                            findings.drifted.push(DriftedResource {
                                logical_id: drift.logical_id,
                                physical_id: drift.physical_id,
                                resource_type: drift.resource_type,
                                status: ResourceDriftStatus::Modified,
                                differences: remaining,
                            });
                        }
                    }
                }
            }
            DriftOutcome::Detected(findings)
        }
        DriftRead::NoStack => DriftOutcome::NotInstalled,
        DriftRead::NotRun { status } => match status.state() {
            StackState::Deleted => DriftOutcome::NotInstalled,
            _ => DriftOutcome::Busy {
                status: status.as_str().to_string(),
            },
        },
        DriftRead::Failed { error } => DriftOutcome::Failed {
            error: error.message,
        },
        DriftRead::TimedOut { after } => DriftOutcome::TimedOut {
            after_seconds: after.as_secs(),
        },
    }
}

/// Why a rack's drift could not be detected for `plan --drift` (`DriftOutcome`'s not-checked cases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "detection", rename_all = "snake_case")]
pub enum DriftUnchecked {
    /// The stack is in the middle of an operation.
    Busy { status: String },
    /// A call failed: AWS's error.
    Failed { error: String },
    /// The detection was still running when rackfile stopped waiting.
    TimedOut { after_seconds: u64 },
}

/// A drifted resource an update changes, so puts back as its template says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverwrittenDrift {
    #[serde(flatten)]
    pub resource: DriftedResource,
    /// False when the update could not be analysed: it may or may not touch the resource.
    pub certain: bool,
}

/// What `plan --drift` holds an update or upgrade for: the drifted resources it changes (every one, "may",
/// when what it changes is not known), or a detection that could not be made. Nothing for other actions.
pub fn drift_holds(action: &Action, drift: &DriftOutcome) -> Vec<HoldReason> {
    let updates = action.updates();
    if updates.is_empty() {
        return Vec::new();
    }
    let not_checked = |why| vec![HoldReason::DriftNotChecked { why }];
    let findings = match drift {
        DriftOutcome::Detected(findings) => findings,
        DriftOutcome::NotInstalled => return Vec::new(),
        DriftOutcome::Busy { status } => {
            return not_checked(DriftUnchecked::Busy {
                status: status.clone(),
            });
        }
        DriftOutcome::Failed { error } => {
            return not_checked(DriftUnchecked::Failed {
                error: error.clone(),
            });
        }
        DriftOutcome::TimedOut { after_seconds } => {
            return not_checked(DriftUnchecked::TimedOut {
                after_seconds: *after_seconds,
            });
        }
    };
    let mut overwritten = Vec::new();
    for resource in &findings.drifted {
        let mut touched = None;
        for update in &updates {
            match &update.analysis {
                Some(TemplateImpact::Analysed { resources, .. }) => {
                    if resources
                        .iter()
                        .any(|impact| impact.logical_id == resource.logical_id)
                    {
                        touched = Some(true);
                    }
                }
                // What an update not analysed changes is unknown: it may put any drift back.
                Some(TemplateImpact::NotAnalysed { .. }) | None => {
                    touched = touched.or(Some(false));
                }
            }
        }
        if let Some(certain) = touched {
            overwritten.push(OverwrittenDrift {
                resource: resource.clone(),
                certain,
            });
        }
    }
    if overwritten.is_empty() {
        Vec::new()
    } else {
        vec![HoldReason::OverwritesDrift {
            resources: overwritten,
        }]
    }
}

fn managed_by(
    ignore: &[DriftIgnore],
    resource_type: &str,
    logical_id: &str,
    path: &str,
    parameters: &BTreeMap<String, String>,
) -> Option<ManagedBy> {
    if let Some(entry) =
        crate::convox::managed_by_convox(resource_type, logical_id, path, parameters)
    {
        return Some(ManagedBy::Convox {
            what: entry.by.to_string(),
            source: entry.cited(),
        });
    }
    ignore
        .iter()
        .find(|entry| entry.covers(logical_id, path))
        .map(|entry| ManagedBy::DriftIgnore {
            entry: entry.text(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::StackResource;
    use crate::cloud::drift::{Detection, PropertyDifference, ResourceDrift, StackDriftStatus};
    use crate::plan::Update;

    fn resource(logical_id: &str, resource_type: &str) -> StackResource {
        StackResource {
            logical_id: logical_id.into(),
            physical_id: Some(format!("{logical_id}-1")),
            resource_type: resource_type.into(),
            status: "CREATE_COMPLETE".into(),
        }
    }

    fn drift(
        logical_id: &str,
        resource_type: &str,
        status: ResourceDriftStatus,
        differences: &[(&str, &str, &str)],
    ) -> ResourceDrift {
        ResourceDrift {
            logical_id: logical_id.into(),
            physical_id: Some(format!("{logical_id}-1")),
            resource_type: resource_type.into(),
            status,
            differences: differences
                .iter()
                .map(|(path, expected, actual)| PropertyDifference {
                    path: path.to_string(),
                    expected: expected.to_string(),
                    actual: actual.to_string(),
                    kind: DifferenceKind::NotEqual,
                })
                .collect(),
            reason: None,
        }
    }

    fn detected(
        drifts: Vec<ResourceDrift>,
        resources: Vec<StackResource>,
        parameters: &[(&str, &str)],
    ) -> DriftRead {
        DriftRead::Detected {
            detection: Detection {
                status: DetectionStatus::DetectionComplete,
                stack_drift: Some(StackDriftStatus::Drifted),
                reason: None,
                drifted_resources: None,
            },
            drifts,
            resources,
            parameters: parameters
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    const GROUP: &str = "AWS::AutoScaling::AutoScalingGroup";

    #[test]
    fn what_convox_changes_is_managed_and_the_rest_of_the_resource_is_still_drift() {
        let read = detected(
            vec![drift(
                "Instances",
                GROUP,
                ResourceDriftStatus::Modified,
                &[("/DesiredCapacity", "3", "5"), ("/MaxSize", "1000", "10")],
            )],
            vec![resource("Instances", GROUP)],
            &[("Autoscale", "Yes")],
        );
        let DriftOutcome::Detected(findings) = outcome(&[], read) else {
            panic!("detected")
        };
        assert_eq!(findings.managed.len(), 1);
        assert!(matches!(findings.managed[0].by, ManagedBy::Convox { .. }));
        assert_eq!(findings.drifted.len(), 1);
        assert_eq!(findings.drifted[0].differences[0].path, "/MaxSize");
    }

    #[test]
    fn a_resource_whose_every_difference_is_managed_has_not_drifted() {
        let read = detected(
            vec![drift(
                "Instances",
                GROUP,
                ResourceDriftStatus::Modified,
                &[("/DesiredCapacity", "3", "5"), ("/MaxSize", "1000", "10")],
            )],
            vec![resource("Instances", GROUP)],
            &[("Autoscale", "Yes")],
        );
        let ignore = [DriftIgnore::parse("Instances.MaxSize").unwrap()];
        let DriftOutcome::Detected(findings) = outcome(&ignore, read) else {
            panic!("detected")
        };
        assert!(!findings.has_drifted());
        assert!(matches!(
            &findings.managed[1].by,
            ManagedBy::DriftIgnore { entry } if entry == "Instances.MaxSize"
        ));
    }

    #[test]
    fn the_same_change_with_autoscale_off_is_drift() {
        let read = detected(
            vec![drift(
                "Instances",
                GROUP,
                ResourceDriftStatus::Modified,
                &[("/DesiredCapacity", "3", "0")],
            )],
            vec![resource("Instances", GROUP)],
            &[("Autoscale", "No")],
        );
        let DriftOutcome::Detected(findings) = outcome(&[], read) else {
            panic!("detected")
        };
        assert!(findings.has_drifted());
        assert!(findings.managed.is_empty());
    }

    #[test]
    fn resources_left_out_of_the_results_are_not_checked_and_never_in_sync() {
        let read = detected(
            vec![
                drift("Vpc", "AWS::EC2::VPC", ResourceDriftStatus::InSync, &[]),
                ResourceDrift {
                    reason: Some("Internal Failure".into()),
                    ..drift("Odd", "AWS::Made::Up", ResourceDriftStatus::Unknown, &[])
                },
            ],
            vec![
                resource("Vpc", "AWS::EC2::VPC"),
                resource("Odd", "AWS::Made::Up"),
                resource("Custom", "Custom::Thing"),
            ],
            &[],
        );
        let rack = crate::plan::diff::test_support::rack();
        let report = drift_report(std::slice::from_ref(&rack), vec![read]);
        let DriftOutcome::Detected(findings) = &report.racks[0].outcome else {
            panic!("detected")
        };
        assert_eq!(findings.in_sync, 1);
        assert_eq!(findings.not_checked[0].logical_id, "Custom");
        assert_eq!(findings.unknown[0].logical_id, "Odd");
        assert_eq!(report.summary.resources_not_checked, 1);
        assert_eq!(report.summary.resources_unknown, 1);
        assert!(!report.summary.differs());
        let text = crate::render::drift::human(&report);
        assert!(
            text.contains("no drift in the 1 resource checked; 2 not checked"),
            "{text}"
        );
        assert!(!text.contains("in sync"), "{text}");
        assert!(text.contains("Custom (Custom::Thing)"), "{text}");
        assert!(
            text.contains("Odd (AWS::Made::Up): Internal Failure"),
            "{text}"
        );
    }

    #[test]
    fn a_rack_that_could_not_be_checked_makes_the_report_incomplete() {
        let rack = crate::plan::diff::test_support::rack();
        for read in [
            DriftRead::NotRun {
                status: "UPDATE_IN_PROGRESS".into(),
            },
            DriftRead::TimedOut {
                after: std::time::Duration::from_secs(900),
            },
            DriftRead::Failed {
                error: crate::cloud::CloudError::new(
                    crate::cloud::CloudErrorKind::AccessDenied,
                    "AccessDenied",
                ),
            },
        ] {
            let report = drift_report(std::slice::from_ref(&rack), vec![read]);
            assert!(report.summary.incomplete());
            assert_eq!(report.summary.in_sync, 0);
        }
        let gone = drift_report(std::slice::from_ref(&rack), vec![DriftRead::NoStack]);
        assert!(!gone.summary.incomplete());
    }

    #[test]
    fn detection_runs_on_a_settled_stack_and_not_on_one_busy_or_deleted() {
        use crate::plan::diff::test_support::stack;
        for status in [
            "CREATE_COMPLETE",
            "UPDATE_ROLLBACK_COMPLETE",
            "ROLLBACK_COMPLETE",
        ] {
            assert!(detectable(&stack(status)), "{status}");
        }
        for status in [
            "UPDATE_IN_PROGRESS",
            "DELETE_IN_PROGRESS",
            "DELETE_COMPLETE",
        ] {
            assert!(!detectable(&stack(status)), "{status}");
        }
        let not_run = |status: &str| {
            outcome(
                &[],
                DriftRead::NotRun {
                    status: status.into(),
                },
            )
        };
        assert_eq!(
            not_run("UPDATE_IN_PROGRESS"),
            DriftOutcome::Busy {
                status: "UPDATE_IN_PROGRESS".into()
            }
        );
        assert_eq!(not_run("DELETE_COMPLETE"), DriftOutcome::NotInstalled);
    }

    fn update(analysis: Option<TemplateImpact>) -> Update {
        Update {
            template: crate::plan::TemplatePlan::Url { url: "u".into() },
            changes: Vec::new(),
            parameters: BTreeMap::new(),
            tags: BTreeMap::new(),
            resource_count: 2,
            budget: None,
            termination_protection: None,
            analysis,
            unresolved: Vec::new(),
            change_set: None,
        }
    }

    fn drifted_logs_and_group() -> DriftOutcome {
        outcome(
            &[],
            detected(
                vec![
                    drift(
                        "Logs",
                        "AWS::Logs::LogGroup",
                        ResourceDriftStatus::Modified,
                        &[("/RetentionInDays", "7", "30")],
                    ),
                    drift(
                        "Sg",
                        "AWS::EC2::SecurityGroup",
                        ResourceDriftStatus::Modified,
                        &[("/GroupDescription", "\"a\"", "\"b\"")],
                    ),
                ],
                vec![
                    resource("Logs", "AWS::Logs::LogGroup"),
                    resource("Sg", "AWS::EC2::SecurityGroup"),
                ],
                &[],
            ),
        )
    }

    #[test]
    fn an_update_is_held_for_the_drifted_resources_it_changes_and_only_those() {
        let touches_logs = Action::Update(update(Some(TemplateImpact::Analysed {
            resources: vec![crate::template::ResourceImpact {
                logical_id: "Logs".into(),
                resource_type: "AWS::Logs::LogGroup".into(),
                action: crate::template::ResourceAction::Modify,
                cause: crate::template::Cause::PropertiesChange {
                    properties: vec!["RetentionInDays".into()],
                    certain: true,
                },
                through: None,
                rolling: None,
                too_complex: false,
            }],
        })));
        let holds = drift_holds(&touches_logs, &drifted_logs_and_group());
        let [HoldReason::OverwritesDrift { resources }] = holds.as_slice() else {
            panic!("{holds:?}")
        };
        assert_eq!(resources.len(), 1);
        assert_eq!(resources[0].resource.logical_id, "Logs");
        assert!(resources[0].certain);
        let plan_rack = |hold: Vec<HoldReason>| crate::plan::RackPlan {
            rack: "personal/web".into(),
            org: "personal".into(),
            name: "web".into(),
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            action: Action::Unchanged,
            stack: None,
            held: Vec::new(),
            notes: Vec::new(),
            warnings: Vec::new(),
            disruptions: Vec::new(),
            hold,
            preflight: Vec::new(),
            role_arn: None,
            options: Default::default(),
        };
        let lines = crate::render::drift::overwrite_lines(&plan_rack(holds.clone()));
        assert_eq!(
            lines[0],
            "will overwrite a change made outside CloudFormation: log group Logs (Logs-1): retention 7 -> 30 days"
        );
    }

    #[test]
    fn an_update_not_analysed_may_overwrite_every_drifted_resource_and_unknown_drift_holds_too() {
        let unknown = Action::Update(update(Some(TemplateImpact::NotAnalysed {
            why: crate::template::TemplateUnknown::LiveNotRead,
        })));
        let holds = drift_holds(&unknown, &drifted_logs_and_group());
        let [HoldReason::OverwritesDrift { resources }] = holds.as_slice() else {
            panic!("{holds:?}")
        };
        assert_eq!(resources.len(), 2);
        assert!(resources.iter().all(|r| !r.certain));
        let busy = DriftOutcome::Busy {
            status: "UPDATE_IN_PROGRESS".into(),
        };
        assert!(matches!(
            drift_holds(&unknown, &busy).as_slice(),
            [HoldReason::DriftNotChecked { .. }]
        ));
        assert!(drift_holds(&Action::Unchanged, &drifted_logs_and_group()).is_empty());
    }
}
