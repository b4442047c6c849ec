//! The templates a rack is planned with and has live, as the planner reads them from the rack's reads.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::cloud::{CloudError, Declarations, TemplateSummary};
use crate::config::{Rack, Template, sha256_hex};
use crate::live::{
    FileLiveTemplate, KnownLiveTemplate, LiveState, LiveTemplate, SteppingStone, template_source,
};
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

/// The parameters of the rack's template as read, or the problem of a template that could not be read.
pub(super) fn template_summary(
    rack: &Rack,
    read: &Result<TemplateSummary, CloudError>,
) -> Result<TemplateSummary, Vec<PlanProblem>> {
    match read {
        Ok(summary) => Ok(summary.clone()),
        Err(error) => Err(vec![PlanProblem {
            rack: rack.id(),
            message: format!("cannot read the template {}: {error}", rack.template.describe()),
            hint: error.hint().map(str::to_string).or_else(|| match &rack.template {
                Template::Url { .. } => Some("check `version` and `template_url`: the URL must name a published template".into()),
                Template::File { .. } => None,
            }),
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

/// The template an update applies, beside what the stack has.
#[derive(Clone, Copy)]
pub(super) enum Applying<'a> {
    /// A template URL (with Convox's, the URL follows the version).
    Url { url: &'a str, pattern: &'a str },
    /// A local file, compared with the live template.
    File {
        path: &'a Path,
        body: &'a str,
        live: &'a FileLiveTemplate,
    },
}

pub(super) fn applying(live_template: &LiveTemplate) -> Applying<'_> {
    match live_template {
        LiveTemplate::OfFile { path, body, live } => Applying::File { path, body, live },
        LiveTemplate::OfUrl { url, pattern, .. } => Applying::Url { url, pattern },
    }
}

/// What a step through a required release applies: that release's template.
pub(super) fn applying_stone(stone: &SteppingStone) -> Applying<'_> {
    Applying::Url {
        url: &stone.url,
        pattern: &stone.pattern,
    }
}

/// The live template of a rack's stack, parsed, or why it is not known.
pub(super) fn live_document(
    rack: &Rack,
    live_template: &LiveTemplate,
    live: &LiveState,
) -> Result<Arc<Value>, String> {
    match live_template.known() {
        // The template cache showed the live template to be this very file.
        KnownLiveTemplate::UnchangedSinceCached => planned_document(rack, live),
        KnownLiveTemplate::Read(Ok(body)) => parse_document(body)
            .map(Arc::new)
            .map_err(|error| format!("the live template cannot be parsed: {error}")),
        KnownLiveTemplate::Read(Err(error)) => {
            Err(format!("cannot read the live template: {error}"))
        }
        // Read only for the racks a first plan finds with a change to analyse.
        KnownLiveTemplate::NotWanted => Err("the live template was not read".into()),
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
