//! The words for a change set's cross-check with the analysis (`plan::change_set`): one line when they
//! agree; otherwise a line per resource where one view says more, with both views and CloudFormation's
//! ChangeSource and CausingEntity; and the rows of the Markdown table that carries both views.

use crate::cloud::ResourceChange;
use crate::plan::change_set::{
    Agreement, ChangeSetCheck, ChangeSetFinding, CheckStatus, ResourceHold, cloudformation_says,
};
use crate::template::ResourceAction;

use super::escape;

fn verb(action: ResourceAction) -> &'static str {
    match action {
        ResourceAction::Add => "add",
        ResourceAction::Remove => "remove",
        ResourceAction::Modify => "modify in place",
        ResourceAction::Replace => "replace",
        ResourceAction::MayReplace => "may replace",
    }
}

/// `replace (Modify, Replacement True; ImageId from ParameterReference Key)`.
fn cloudformation_words(change: &ResourceChange) -> String {
    let mut facts = change.action.clone();
    match change.replacement {
        Some(replacement) => facts.push_str(&format!(", Replacement {replacement:?}")),
        None if change.action == "Modify" => facts.push_str(", no Replacement given"),
        None => {}
    }
    let details: Vec<String> = change
        .details
        .iter()
        .map(|detail| {
            let mut text = detail
                .name
                .clone()
                .unwrap_or_else(|| detail.attribute.clone());
            if detail.evaluation.as_deref() == Some("Dynamic") {
                text.push_str(" (Dynamic)");
            }
            if let Some(source) = &detail.change_source {
                text.push_str(&format!(" from {source}"));
                if let Some(entity) = &detail.causing_entity {
                    text.push_str(&format!(" {entity}"));
                }
            }
            text
        })
        .collect();
    if !details.is_empty() {
        facts.push_str(&format!("; {}", details.join(", ")));
    }
    escape(&format!("{} ({facts})", verb(cloudformation_says(change)))).into_owned()
}

fn analysis_words(action: Option<ResourceAction>, rolling: bool) -> &'static str {
    match (action, rolling) {
        (_, true) => "rolling replacement of its instances",
        (Some(action), false) => verb(action),
        (None, false) => "nothing",
    }
}

/// The human view's lines (without indentation).
pub fn lines(check: &ChangeSetCheck) -> Vec<String> {
    match &check.status {
        CheckStatus::NoChanges => {
            return vec!["change set: CloudFormation finds nothing to change".into()];
        }
        CheckStatus::Failed { error } => {
            return vec![format!("change set failed: {}", escape(error))];
        }
        CheckStatus::Ready => {}
    }
    let differing: Vec<String> = check
        .resources
        .iter()
        .filter_map(|resource| {
            let id = escape(&resource.logical_id);
            let analysis = analysis_words(resource.analysis, resource.rolling);
            match resource.agreement {
                Agreement::Agrees => None,
                Agreement::ChangeSetSaysMore => Some(format!(
                    "change set: {id}: CloudFormation says {}, the analysis said {analysis}",
                    resource
                        .change_set
                        .as_ref()
                        .map_or_else(|| "nothing".into(), cloudformation_words)
                )),
                Agreement::AnalysisOnly => Some(format!(
                    "change set: {id}: analysis only: {analysis} (CloudFormation says {})",
                    resource
                        .change_set
                        .as_ref()
                        .map_or("nothing", |change| verb(cloudformation_says(change)))
                )),
            }
        })
        .collect();
    if differing.is_empty() {
        return vec![format!(
            "change set agrees ({})",
            escape(&check.change_set.name)
        )];
    }
    let agreeing = check.resources.len() - differing.len();
    let mut lines = differing;
    if agreeing > 0 {
        lines.push(format!(
            "change set agrees on the other {agreeing} resource{}",
            if agreeing == 1 { "" } else { "s" }
        ));
    }
    lines
}

/// The Markdown rows `| resource | analysis | CloudFormation | verdict |` of one change set (unescaped
/// cells: the caller makes them inert).
pub fn rows(check: &ChangeSetCheck) -> Vec<[String; 4]> {
    check
        .resources
        .iter()
        .map(|resource| {
            [
                resource.logical_id.clone(),
                analysis_words(resource.analysis, resource.rolling).to_string(),
                resource
                    .change_set
                    .as_ref()
                    .map_or_else(|| "nothing".into(), cloudformation_words),
                match resource.agreement {
                    Agreement::Agrees => "agree",
                    Agreement::ChangeSetSaysMore => "CloudFormation says more",
                    Agreement::AnalysisOnly => "analysis only",
                }
                .to_string(),
            ]
        })
        .collect()
}

/// What a change set says that holds an update for a person, unescaped: `Modify Replacement True`.
pub(super) fn finding_words(finding: &ChangeSetFinding) -> String {
    match finding {
        ChangeSetFinding::NotMade => {
            "no change set (it can be made only once the step before has run)".into()
        }
        ChangeSetFinding::Failed { error } => format!("the change set failed: {error}"),
        ChangeSetFinding::Resource { action, holds } => {
            let words = match holds {
                ResourceHold::Unpredicted => "a change the analysis did not predict",
                ResourceHold::Replacement => "Replacement True",
                ResourceHold::ConditionalReplacement => "Replacement Conditional",
                ResourceHold::DynamicReplacement => "Replacement decided while updating (Dynamic)",
                ResourceHold::NoReplacementGiven => "no Replacement given",
                ResourceHold::Remove => "Remove",
            };
            format!("{action} {words}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_holds_an_update_for_its_change_set_is_said_with_cloudformation_s_action() {
        let resource = |holds| ChangeSetFinding::Resource {
            action: "Modify".into(),
            holds,
        };
        for (finding, said) in [
            (
                ChangeSetFinding::NotMade,
                "no change set (it can be made only once the step before has run)",
            ),
            (
                ChangeSetFinding::Failed {
                    error: "AccessDenied: no".into(),
                },
                "the change set failed: AccessDenied: no",
            ),
            (
                resource(ResourceHold::Unpredicted),
                "Modify a change the analysis did not predict",
            ),
            (
                resource(ResourceHold::Replacement),
                "Modify Replacement True",
            ),
            (
                resource(ResourceHold::ConditionalReplacement),
                "Modify Replacement Conditional",
            ),
            (
                resource(ResourceHold::DynamicReplacement),
                "Modify Replacement decided while updating (Dynamic)",
            ),
            (
                resource(ResourceHold::NoReplacementGiven),
                "Modify no Replacement given",
            ),
            (
                ChangeSetFinding::Resource {
                    action: "Remove".into(),
                    holds: ResourceHold::Remove,
                },
                "Remove Remove",
            ),
        ] {
            assert_eq!(finding_words(&finding), said);
        }
    }
}
