//! The templates a rack is planned with and has live, as the planner reads them from `LiveState`.

use std::sync::Arc;

use serde_json::Value;

use crate::cloud::{Declarations, TemplateSummary};
use crate::config::{Rack, Template, sha256_hex};
use crate::live::{LiveState, template_source};
use crate::plan::TemplatePlan;
use crate::plan::checks::PlanProblem;
use crate::template::parse_document;

/// What the plan could not check because the template's body was not read.
pub(super) fn unchecked(rack: &Rack, summary: &TemplateSummary) -> Option<String> {
    (summary.declarations == Declarations::SummaryOnly).then(|| {
        format!(
            "{} is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)",
            rack.template.describe()
        )
    })
}

pub(super) fn template_summary(
    rack: &Rack,
    account: &str,
    live: &LiveState,
) -> Result<TemplateSummary, Vec<PlanProblem>> {
    let source = template_source(&rack.template);
    match live.templates.get(&(account.to_string(), source)) {
        Some(Ok(summary)) => Ok(summary.clone()),
        Some(Err(error)) => Err(vec![PlanProblem {
            rack: rack.id(),
            message: format!("cannot read the template {}: {error}", rack.template.describe()),
            hint: error.hint().map(str::to_string).or_else(|| match &rack.template {
                Template::Url { .. } => Some("check `version` and `template_url`: the URL must name a published template".into()),
                Template::File { .. } => None,
            }),
            span: None,
        }]),
        None => Err(vec![PlanProblem {
            rack: rack.id(),
            message: format!("the template {} was not read", rack.template.describe()),
            hint: Some("this is a bug in rackfile: please report it".into()),
            span: None,
        }]),
    }
}

pub(super) fn template_plan(rack: &Rack) -> TemplatePlan {
    match &rack.template {
        Template::Url { url, .. } => TemplatePlan::Url { url: url.clone() },
        Template::File { path, body } => TemplatePlan::File {
            path: path.display().to_string(),
            sha256: sha256_hex(body.as_bytes()),
            body: body.clone(),
        },
    }
}

/// The live template of a rack's stack, parsed, or why it is not known.
pub(super) fn live_document(
    rack: &Rack,
    account: &str,
    live: &LiveState,
) -> Result<Arc<Value>, String> {
    let key = (account.to_string(), rack.region.clone(), rack.name.clone());
    // The template cache showed the live template to be this very file.
    if live.unchanged_templates.contains(&key)
        && let Template::File { .. } = &rack.template
    {
        return planned_document(rack, live);
    }
    match live.stack_templates.get(&key) {
        Some(Ok(body)) => parse_document(body)
            .map(Arc::new)
            .map_err(|error| format!("the live template cannot be parsed: {error}")),
        Some(Err(error)) => Err(format!("cannot read the live template: {error}")),
        None => Err("the live template was not read".into()),
    }
}

/// The template a rack is planned with, parsed, or why its resources are not known.
pub(super) fn planned_document(rack: &Rack, live: &LiveState) -> Result<Arc<Value>, String> {
    live.template_documents
        .get(&template_source(&rack.template))
        .cloned()
        .ok_or_else(|| {
            format!(
                "{} is read through GetTemplateSummary, which does not return its resources",
                rack.template.describe()
            )
        })
}
