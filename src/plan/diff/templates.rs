//! The templates a rack is planned with and has live, as the planner finds them among the facts read.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::cloud::{CloudError, CloudErrorKind, Declarations, StackKey, TemplateSummary};
use crate::config::{Rack, Template, sha256_hex};
use crate::live::{LiveState, template_source};
use crate::plan::checks::PlanProblem;
use crate::plan::{Note, TemplatePlan};
use crate::template::{TemplateUnknown, check_declaration, parse_document};

/// What the plan could not check because the template's body was not read.
pub(super) fn unchecked(rack: &Rack, summary: &TemplateSummary) -> Option<Note> {
    (summary.declarations == Declarations::SummaryOnly).then(|| Note::SummaryOnly {
        template: rack.template.describe(),
    })
}

/// The parameters of the rack's template as `account` read it, or the problem of a template that could not
/// be read.
pub(super) fn read_summary(
    rack: &Rack,
    account: &str,
    live: &LiveState,
) -> Result<TemplateSummary, Vec<PlanProblem>> {
    match live.summary(account, &template_source(&rack.template)) {
        Some(read) => template_summary(rack, read),
        None => template_summary(rack, &Err(not_read())),
    }
}

/// Why a fact the plan needs is missing: `plan::needs` did not ask for it.
pub(super) fn not_read() -> CloudError {
    CloudError::new(CloudErrorKind::Other, "it was not read")
}

/// The parameters of the rack's template as read, or the problem of a template that could not be read.
pub(super) fn template_summary(
    rack: &Rack,
    read: &Result<TemplateSummary, CloudError>,
) -> Result<TemplateSummary, Vec<PlanProblem>> {
    match read {
        // A body read here was checked whole when it was summarised; GetTemplateSummary's declarations are
        // checked here, as far as they go (type, default, AllowedValues). CloudFormation refuses a template
        // whose own Default its constraints refuse, whatever value racks.toml passes for it.
        Ok(summary) if summary.declarations == Declarations::SummaryOnly => {
            let problems: Vec<PlanProblem> = summary
                .parameters
                .iter()
                .filter_map(|(name, declared)| check_declaration(name, declared).err())
                .map(|error| PlanProblem {
                    rack: rack.id(),
                    message: format!("the template {}: {error}", rack.template.describe()),
                    hint: Some("fix the template's declaration: CloudFormation refuses the template as it is".into()),
                    span: None,
                })
                .collect();
            if problems.is_empty() {
                Ok(summary.clone())
            } else {
                Err(problems)
            }
        }
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
        live: FileLiveTemplate<'a>,
    },
}

/// A live stack's template beside the rack's, by how racks.toml gives the rack's.
#[derive(Clone, Copy)]
pub(super) enum LiveTemplate<'a> {
    /// A local file: the live template is read in the first round (or known from the template cache), so
    /// the plan can show how the file differs from it.
    OfFile {
        path: &'a Path,
        body: &'a str,
        live: FileLiveTemplate<'a>,
    },
    /// A template URL: the live template is read only for the impact analysis of a change (`None`: not).
    OfUrl {
        url: &'a str,
        pattern: &'a str,
        live: Option<&'a Result<String, CloudError>>,
    },
}

#[derive(Clone, Copy)]
pub(super) enum FileLiveTemplate<'a> {
    /// The template cache shows it to be the rack's own template file, unchanged: no GetTemplate was needed.
    UnchangedSinceCached,
    /// GetTemplate's answer.
    Read(&'a Result<String, CloudError>),
    NotRead,
}

/// The live template of the rack's stack at `key`, as the facts give it.
pub(super) fn live_template<'a>(
    rack: &'a Rack,
    key: &StackKey,
    live: &'a LiveState,
) -> LiveTemplate<'a> {
    match &rack.template {
        Template::File { path, body } => LiveTemplate::OfFile {
            path,
            body,
            live: if live.unchanged_since_cached(key) {
                FileLiveTemplate::UnchangedSinceCached
            } else {
                live.live_template(key)
                    .map_or(FileLiveTemplate::NotRead, FileLiveTemplate::Read)
            },
        },
        Template::Url { url, pattern } => LiveTemplate::OfUrl {
            url,
            pattern,
            live: live.live_template(key),
        },
    }
}

pub(super) fn applying<'a>(live_template: &LiveTemplate<'a>) -> Applying<'a> {
    match *live_template {
        LiveTemplate::OfFile { path, body, live } => Applying::File { path, body, live },
        LiveTemplate::OfUrl { url, pattern, .. } => Applying::Url { url, pattern },
    }
}

/// The live template of a rack's stack, parsed, or why it is not known.
pub(super) fn live_document(
    rack: &Rack,
    live_template: &LiveTemplate,
    live: &LiveState,
) -> Result<Arc<Value>, TemplateUnknown> {
    let read = match *live_template {
        // The template cache showed the live template to be this very file.
        LiveTemplate::OfFile {
            live: FileLiveTemplate::UnchangedSinceCached,
            ..
        } => return planned_document(rack, live),
        LiveTemplate::OfFile {
            live: FileLiveTemplate::Read(read),
            ..
        }
        | LiveTemplate::OfUrl {
            live: Some(read), ..
        } => read,
        // A URL's is read only for the racks a first plan finds with a change to analyse.
        LiveTemplate::OfFile {
            live: FileLiveTemplate::NotRead,
            ..
        }
        | LiveTemplate::OfUrl { live: None, .. } => {
            return Err(TemplateUnknown::LiveNotRead);
        }
    };
    match read {
        Ok(body) => {
            parse_document(body)
                .map(Arc::new)
                .map_err(|error| TemplateUnknown::LiveUnparsable {
                    error: error.to_string(),
                })
        }
        Err(error) => Err(TemplateUnknown::LiveUnreadable {
            error: error.to_string(),
        }),
    }
}

/// The template a rack is planned with, parsed, or why its resources are not known.
pub(super) fn planned_document(
    rack: &Rack,
    live: &LiveState,
) -> Result<Arc<Value>, TemplateUnknown> {
    live.template_document(&template_source(&rack.template))
        .cloned()
        .ok_or_else(|| TemplateUnknown::SummaryOnly {
            template: rack.template.describe(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::diff::test_support::{rack, summary};

    /// A template read through GetTemplateSummary whose own Default is not among its AllowedValues is a
    /// problem, though racks.toml sets the parameter (CloudFormation refuses the template itself).
    #[test]
    fn a_summarised_templates_invalid_default_is_a_problem_even_when_racks_toml_sets_it() {
        let mut rack = rack();
        rack.parameters.insert("Autoscale".into(), "Yes".into());
        let mut read = summary();
        read.declarations = Declarations::SummaryOnly;
        let autoscale = read.parameters.get_mut("Autoscale").unwrap();
        autoscale.default = Some("Maybe".into());
        autoscale.allowed_values = vec!["Yes".into(), "No".into()];
        let problems = template_summary(&rack, &Ok(read.clone())).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].message.contains(
                "parameter `Autoscale`: its Default \"Maybe\" is refused by its own AllowedValues"
            ),
            "{}",
            problems[0].message
        );
        read.parameters.get_mut("Autoscale").unwrap().default = Some("No".into());
        assert!(template_summary(&rack, &Ok(read)).is_ok());
    }
}
