//! The templates a rack is planned with and has live, as the planner reads them from `LiveState`.

use std::sync::Arc;

use serde_json::Value;

use crate::cloud::{Declarations, StackKey, TemplateSummary};
use crate::config::{Rack, Template, sha256_hex};
use crate::live::{LiveState, LiveTemplate, template_source};
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
    match live.template(account, &rack.template) {
        Ok(Ok(summary)) => Ok(summary.clone()),
        Ok(Err(error)) => Err(vec![PlanProblem {
            rack: rack.id(),
            message: format!("cannot read the template {}: {error}", rack.template.describe()),
            hint: error.hint().map(str::to_string).or_else(|| match &rack.template {
                Template::Url { .. } => Some("check `version` and `template_url`: the URL must name a published template".into()),
                Template::File { .. } => None,
            }),
            span: None,
        }]),
        Err(missing) => Err(vec![PlanProblem::not_read(rack, missing)]),
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
    let key = StackKey::new(account, &rack.region, &rack.name);
    match live.live_template(&key) {
        // The template cache showed the live template to be this very file.
        Ok(LiveTemplate::UnchangedSinceCached) => planned_document(rack, live),
        Ok(LiveTemplate::Read(Ok(body))) => parse_document(body)
            .map(Arc::new)
            .map_err(|error| format!("the live template cannot be parsed: {error}")),
        Ok(LiveTemplate::Read(Err(error))) => {
            Err(format!("cannot read the live template: {error}"))
        }
        // Read only for the racks a first plan finds with a change to analyse.
        Err(_) => Err("the live template was not read".into()),
    }
}

/// The template a rack is planned with, parsed, or why its resources are not known.
pub(super) fn planned_document(rack: &Rack, live: &LiveState) -> Result<Arc<Value>, String> {
    live.template_document(&template_source(&rack.template))
        .cloned()
        .ok_or_else(|| {
            format!(
                "{} is read through GetTemplateSummary, which does not return its resources",
                rack.template.describe()
            )
        })
}
