//! The cross-check of an update with CloudFormation's own view of it (a change set), resource by resource:
//! both agree; CloudFormation says more (a replacement, a Conditional, a change the analysis did not
//! predict), and the analysis is run again with that taken as known; or the analysis says more (rolling
//! replacements, Convox's rules, "may replace" where CloudFormation says False), which is kept. Pure: the
//! change set was read by `live`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{HoldReason, StepRef, TemplateImpact, Update};
use crate::cloud::{ChangeSet, ChangeSetRef, Replacement, ResourceChange};
use crate::live::ChangeSetFact;
use crate::template::{Cause, ChangeSource, Forced, ResourceAction, ResourceImpact, severity};

/// CloudFormation's view of an update, beside the analysis'.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSetCheck {
    /// The change set: apply executes exactly it (`ExecuteChangeSet`), from a saved plan too.
    pub change_set: ChangeSetRef,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(flatten)]
    pub status: CheckStatus,
    /// Every resource either view changes, in the analysis' order, then CloudFormation's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ResourceCheck>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change_set_status", rename_all = "snake_case")]
pub enum CheckStatus {
    /// Made and executable.
    Ready,
    /// CloudFormation says the update changes nothing ("didn't contain changes"): nothing to execute.
    NoChanges,
    /// It could not be made or read, or it cannot be executed: AWS's own words.
    Failed { error: String },
}

/// One resource, as each view sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceCheck {
    pub logical_id: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub agreement: Agreement,
    /// What the analysis said before it saw the change set; absent: nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<ResourceAction>,
    /// Whether the analysis rolls the group's instances (which a change set never shows).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rolling: bool,
    /// What the change set says; absent: nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_set: Option<ResourceChange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agreement {
    Agrees,
    /// CloudFormation says more than the analysis: the analysis was run again with it.
    ChangeSetSaysMore,
    /// The analysis says more: kept.
    AnalysisOnly,
}

impl ChangeSetCheck {
    pub fn agrees(&self) -> bool {
        self.resources
            .iter()
            .all(|resource| resource.agreement != Agreement::ChangeSetSaysMore)
    }
}

/// What a change set's view of a resource amounts to, as an analysis verdict (CDK's reading: a
/// replacement CloudFormation derives only from values it learns while updating, Dynamic, "may replace").
/// A Modify with no Replacement (moto's) is "may replace": never taken for in place.
pub fn cloudformation_says(change: &ResourceChange) -> ResourceAction {
    match change.action.as_str() {
        "Add" => ResourceAction::Add,
        "Remove" => ResourceAction::Remove,
        "Modify" => match change.replacement {
            Some(Replacement::False) => ResourceAction::Modify,
            Some(Replacement::True) if only_dynamic_recreation(change) => {
                ResourceAction::MayReplace
            }
            Some(Replacement::True) => ResourceAction::Replace,
            Some(Replacement::Conditional) | None => ResourceAction::MayReplace,
        },
        _ => ResourceAction::MayReplace,
    }
}

fn only_dynamic_recreation(change: &ResourceChange) -> bool {
    let always: Vec<_> = change
        .details
        .iter()
        .filter(|detail| detail.requires_recreation.as_deref() == Some("Always"))
        .collect();
    !always.is_empty()
        && always
            .iter()
            .all(|detail| detail.evaluation.as_deref() == Some("Dynamic"))
}

/// The change set's check against the analysis of the update it was made for.
pub fn check(fact: &ChangeSetFact, analysis: Option<&TemplateImpact>) -> ChangeSetCheck {
    let (id, status, changes): (String, CheckStatus, &[ResourceChange]) = match &fact.read {
        Err(error) => (
            String::new(),
            CheckStatus::Failed {
                error: error.message.clone(),
            },
            &[],
        ),
        Ok(change_set) => (
            change_set.id.clone(),
            status_of(change_set),
            &change_set.changes,
        ),
    };
    let analysed: &[ResourceImpact] = match analysis {
        Some(TemplateImpact::Analysed { resources, .. }) => resources,
        _ => &[],
    };
    let mut resources: Vec<ResourceCheck> = analysed
        .iter()
        .map(|impact| {
            let change = changes
                .iter()
                .find(|change| change.logical_id == impact.logical_id);
            let agreement = match change {
                None => Agreement::AnalysisOnly,
                Some(change) => {
                    let says = cloudformation_says(change);
                    if severity(says) > severity(impact.action)
                        || (says != impact.action && severity(says) == severity(impact.action))
                    {
                        Agreement::ChangeSetSaysMore
                    } else if severity(impact.action) > severity(says) || impact.rolling.is_some() {
                        Agreement::AnalysisOnly
                    } else {
                        Agreement::Agrees
                    }
                }
            };
            ResourceCheck {
                logical_id: impact.logical_id.clone(),
                resource_type: impact.resource_type.clone(),
                agreement,
                analysis: Some(impact.action),
                rolling: impact.rolling.is_some(),
                change_set: change.cloned(),
            }
        })
        .collect();
    resources.extend(
        changes
            .iter()
            .filter(|change| {
                !analysed
                    .iter()
                    .any(|impact| impact.logical_id == change.logical_id)
            })
            .map(|change| ResourceCheck {
                logical_id: change.logical_id.clone(),
                resource_type: change.resource_type.clone(),
                agreement: Agreement::ChangeSetSaysMore,
                analysis: None,
                rolling: false,
                change_set: Some(change.clone()),
            }),
    );
    ChangeSetCheck {
        change_set: fact.reference.clone(),
        id,
        status,
        resources,
    }
}

fn status_of(change_set: &ChangeSet) -> CheckStatus {
    if change_set.is_empty_update() {
        CheckStatus::NoChanges
    } else if change_set.is_executable() {
        CheckStatus::Ready
    } else {
        CheckStatus::Failed {
            error: match &change_set.status_reason {
                Some(reason) => format!("{}: {reason}", change_set.status),
                None => format!(
                    "{} (execution status {})",
                    change_set.status, change_set.execution_status
                ),
            },
        }
    }
}

/// What the analysis, run again, takes as known: each resource CloudFormation says more of.
pub fn forced(check: &ChangeSetCheck) -> BTreeMap<String, Forced> {
    check
        .resources
        .iter()
        .filter(|resource| resource.agreement == Agreement::ChangeSetSaysMore)
        .filter_map(|resource| {
            let change = resource.change_set.as_ref()?;
            let properties: Vec<String> = change
                .details
                .iter()
                .filter(|detail| detail.attribute == "Properties")
                .filter_map(|detail| detail.name.clone())
                .collect();
            Some((
                resource.logical_id.clone(),
                Forced {
                    action: cloudformation_says(change),
                    cause: Cause::ChangeSet {
                        action: change.action.clone(),
                        replacement: change.replacement,
                        properties: properties.clone(),
                        sources: sources(change),
                    },
                    properties,
                },
            ))
        })
        .collect()
}

/// What caused the change set's changes of a resource, as its details name it.
fn sources(change: &ResourceChange) -> Vec<ChangeSource> {
    change
        .details
        .iter()
        .filter_map(|detail| {
            Some(ChangeSource {
                source: detail.change_source.clone()?,
                entity: detail.causing_entity.clone(),
            })
        })
        .collect()
}

/// What CloudFormation's change set says (or that there is none) that holds an update for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum ChangeSetFinding {
    /// No change set: it can be made only once the step before has run.
    NotMade,
    /// It could not be made, read or executed: AWS's own error.
    Failed { error: String },
    /// Of a resource: CloudFormation's action for it (Add, Modify, Remove, ...) and what of it holds the
    /// update.
    Resource { action: String, holds: ResourceHold },
}

/// What of a change set's resource change holds the update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceHold {
    /// A change the template analysis did not predict.
    Unpredicted,
    /// Replacement True.
    Replacement,
    /// Replacement Conditional.
    ConditionalReplacement,
    /// A replacement CloudFormation decides while updating (Dynamic).
    DynamicReplacement,
    /// A Modify with no Replacement given.
    NoReplacementGiven,
    /// The resource is removed.
    Remove,
}

/// Why `--auto-approve=in-place` holds an update for its change set: it could not be made, it says a
/// resource is replaced, may be, or removed, or it names a change the analysis did not predict. An update
/// planned with change sets that has none (a later step of an upgrade, made only when the step before has
/// run) is held too: CloudFormation's view of it is not known.
pub(super) fn hold_reasons(
    step: Option<StepRef>,
    update: &Update,
    asked: bool,
    reasons: &mut Vec<HoldReason>,
) {
    let Some(check) = &update.change_set else {
        if asked && update.changes_the_stack() {
            reasons.push(HoldReason::ChangeSet {
                step,
                logical_id: None,
                finding: ChangeSetFinding::NotMade,
            });
        }
        return;
    };
    if let CheckStatus::Failed { error } = &check.status {
        reasons.push(HoldReason::ChangeSet {
            step: step.clone(),
            logical_id: None,
            finding: ChangeSetFinding::Failed {
                error: error.clone(),
            },
        });
    }
    for resource in &check.resources {
        let Some(change) = &resource.change_set else {
            continue;
        };
        let says = cloudformation_says(change);
        let holds = match (says, resource.agreement) {
            (ResourceAction::Modify | ResourceAction::Add, Agreement::ChangeSetSaysMore) => {
                ResourceHold::Unpredicted
            }
            (ResourceAction::Modify | ResourceAction::Add, _) => continue,
            (ResourceAction::Replace, _) => ResourceHold::Replacement,
            (ResourceAction::MayReplace, _) => match change.replacement {
                Some(Replacement::Conditional) => ResourceHold::ConditionalReplacement,
                Some(_) => ResourceHold::DynamicReplacement,
                None => ResourceHold::NoReplacementGiven,
            },
            (ResourceAction::Remove, _) => ResourceHold::Remove,
        };
        reasons.push(HoldReason::ChangeSet {
            step: step.clone(),
            logical_id: Some(resource.logical_id.clone()),
            finding: ChangeSetFinding::Resource {
                action: change.action.clone(),
                holds,
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::{ChangeDetail, CloudError, CloudErrorKind, UpdateStackRequest};
    use crate::template::Rolling;

    fn change(
        replacement: Option<Replacement>,
        recreation: &str,
        evaluation: &str,
    ) -> ResourceChange {
        ResourceChange {
            action: "Modify".into(),
            logical_id: "LaunchTemplate".into(),
            resource_type: "AWS::EC2::LaunchTemplate".into(),
            replacement,
            scope: vec!["Properties".into()],
            details: vec![ChangeDetail {
                attribute: "Properties".into(),
                name: Some("LaunchTemplateData".into()),
                requires_recreation: Some(recreation.into()),
                evaluation: Some(evaluation.into()),
                change_source: Some("ParameterReference".into()),
                causing_entity: Some("DefaultAmi".into()),
            }],
        }
    }

    fn fact(read: Result<ChangeSet, CloudError>) -> ChangeSetFact {
        ChangeSetFact {
            reference: ChangeSetRef {
                stack: "web".into(),
                name: "rackfile-x".into(),
            },
            request: UpdateStackRequest {
                name: "web".into(),
                template: crate::cloud::TemplateSource::Url("u".into()),
                parameters: Default::default(),
                tags: Default::default(),
                role_arn: None,
                options: Default::default(),
                token: "t".into(),
            },
            read,
        }
    }

    fn ready(changes: Vec<ResourceChange>) -> Result<ChangeSet, CloudError> {
        Ok(ChangeSet {
            id: "arn:cs".into(),
            status: "CREATE_COMPLETE".into(),
            status_reason: None,
            execution_status: "AVAILABLE".into(),
            changes,
        })
    }

    fn analysed(action: ResourceAction, rolling: bool) -> TemplateImpact {
        TemplateImpact::Analysed {
            resources: vec![ResourceImpact {
                logical_id: "LaunchTemplate".into(),
                resource_type: "AWS::EC2::LaunchTemplate".into(),
                action,
                cause: Cause::PropertiesChange {
                    properties: vec!["LaunchTemplateData".into()],
                    certain: true,
                },
                through: None,
                rolling: rolling.then(|| Rolling {
                    max_batch_size: Some("1".into()),
                }),
                too_complex: false,
            }],
        }
    }

    #[test]
    fn cloudformation_s_replacement_reads_as_cdk_reads_it_and_never_laxer() {
        let says = |replacement, recreation, evaluation| {
            cloudformation_says(&change(replacement, recreation, evaluation))
        };
        assert_eq!(
            says(Some(Replacement::True), "Always", "Static"),
            ResourceAction::Replace
        );
        assert_eq!(
            says(Some(Replacement::True), "Always", "Dynamic"),
            ResourceAction::MayReplace
        );
        assert_eq!(
            says(Some(Replacement::Conditional), "Conditionally", "Static"),
            ResourceAction::MayReplace
        );
        assert_eq!(
            says(Some(Replacement::False), "Never", "Static"),
            ResourceAction::Modify
        );
        // moto's: no Replacement at all.
        assert_eq!(says(None, "Never", "Static"), ResourceAction::MayReplace);
    }

    #[test]
    fn each_resource_is_agreed_said_more_by_cloudformation_or_kept_from_the_analysis() {
        let agreed = check(
            &fact(ready(vec![change(
                Some(Replacement::False),
                "Never",
                "Static",
            )])),
            Some(&analysed(ResourceAction::Modify, false)),
        );
        assert_eq!(agreed.resources[0].agreement, Agreement::Agrees);
        assert!(agreed.agrees() && forced(&agreed).is_empty());

        let more = check(
            &fact(ready(vec![change(
                Some(Replacement::True),
                "Always",
                "Static",
            )])),
            Some(&analysed(ResourceAction::Modify, false)),
        );
        assert_eq!(more.resources[0].agreement, Agreement::ChangeSetSaysMore);
        let forced = forced(&more);
        assert_eq!(forced["LaunchTemplate"].action, ResourceAction::Replace);
        assert_eq!(forced["LaunchTemplate"].properties, ["LaunchTemplateData"]);
        // Worded by `render::impact::because`'s tests.
        assert_eq!(
            forced["LaunchTemplate"].cause,
            Cause::ChangeSet {
                action: "Modify".into(),
                replacement: Some(Replacement::True),
                properties: vec!["LaunchTemplateData".into()],
                sources: vec![ChangeSource {
                    source: "ParameterReference".into(),
                    entity: Some("DefaultAmi".into()),
                }],
            }
        );

        let rolling = check(
            &fact(ready(vec![change(
                Some(Replacement::False),
                "Never",
                "Static",
            )])),
            Some(&analysed(ResourceAction::Modify, true)),
        );
        assert_eq!(rolling.resources[0].agreement, Agreement::AnalysisOnly);
        let unseen = check(
            &fact(ready(Vec::new())),
            Some(&analysed(ResourceAction::Replace, false)),
        );
        assert_eq!(unseen.resources[0].agreement, Agreement::AnalysisOnly);
    }

    #[test]
    fn a_change_set_that_failed_or_found_nothing_says_so() {
        let failed = check(
            &fact(Err(CloudError::new(
                CloudErrorKind::AccessDenied,
                "AccessDenied: not authorized to perform cloudformation:CreateChangeSet",
            ))),
            None,
        );
        assert!(
            matches!(&failed.status, CheckStatus::Failed { error } if error.contains("CreateChangeSet"))
        );
        let nothing = check(
            &fact(Ok(ChangeSet {
                id: "arn:cs".into(),
                status: "FAILED".into(),
                status_reason: Some(crate::cloud::NO_CHANGES_REASON.into()),
                execution_status: "UNAVAILABLE".into(),
                changes: Vec::new(),
            })),
            None,
        );
        assert_eq!(nothing.status, CheckStatus::NoChanges);
        let obsolete = check(
            &fact(Ok(ChangeSet {
                execution_status: "OBSOLETE".into(),
                ..ready(Vec::new()).unwrap()
            })),
            None,
        );
        assert!(
            matches!(&obsolete.status, CheckStatus::Failed { error } if error.contains("OBSOLETE"))
        );
    }

    #[test]
    fn an_update_planned_with_change_sets_and_without_one_is_held() {
        let update = |change_set: Option<ChangeSetCheck>| Update {
            template: crate::plan::TemplatePlan::Url { url: "u".into() },
            changes: vec![crate::plan::Change {
                kind: crate::plan::ChangeKind::Parameter,
                name: "Version".into(),
                before: Some("1".into()),
                after: Some("2".into()),
                sensitive: false,
                diff: None,
                rule: None,
                reached: None,
                ssm_name: None,
            }],
            parameters: Default::default(),
            tags: Default::default(),
            resource_count: 1,
            termination_protection: None,
            analysis: None,
            budget: None,
            unresolved: Vec::new(),
            change_set,
        };
        let step = Some(StepRef {
            number: 2,
            version: "2".into(),
        });
        let mut reasons = Vec::new();
        hold_reasons(step.clone(), &update(None), true, &mut reasons);
        assert!(
            matches!(&reasons[..], [HoldReason::ChangeSet { step: Some(s), logical_id: None, finding: ChangeSetFinding::NotMade }]
                if s.number == 2),
            "{reasons:?}"
        );
        // Without change sets asked for, the analysis alone decides.
        let mut reasons = Vec::new();
        hold_reasons(step.clone(), &update(None), false, &mut reasons);
        assert_eq!(reasons, []);
        // A change set that says in place holds nothing.
        let agreed = check(
            &fact(ready(vec![change(
                Some(Replacement::False),
                "Never",
                "Static",
            )])),
            Some(&analysed(ResourceAction::Modify, false)),
        );
        let mut reasons = Vec::new();
        hold_reasons(step, &update(Some(agreed)), true, &mut reasons);
        assert_eq!(reasons, []);
    }
}
