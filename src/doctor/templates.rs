//! Each distinct template, as each account reads it: readable, and declaring every parameter the racks
//! using it set.

use std::collections::HashMap;

use super::Check;
use crate::cloud::{CloudError, TemplateSource, TemplateSummary};
use crate::config::Rack;
use crate::plan::unknown_parameters;

/// The summaries of the templates read, by (account, source).
pub type Summaries = HashMap<(String, TemplateSource), Result<TemplateSummary, CloudError>>;

/// A template as read for the racks using it, named `name` (with its account).
pub fn template_read_check(
    name: &str,
    read: Option<&Result<TemplateSummary, CloudError>>,
    racks: &[&Rack],
) -> Check {
    match read {
        Some(Ok(summary)) => template_coverage(name, summary, racks),
        Some(Err(error)) => Check::fail(
            format!("template {name}: cannot be read: {error}"),
            error.hint().map(str::to_string).or_else(|| {
                Some(
                    "check `version` and `template_url`: the URL must name a published template"
                        .into(),
                )
            }),
        ),
        None => Check::fail(format!("template {name}: was not read"), None),
    }
}

/// Whether the template has every parameter the racks using it set.
pub fn template_coverage(template: &str, summary: &TemplateSummary, racks: &[&Rack]) -> Check {
    let mut missing = Vec::new();
    for rack in racks {
        for (name, suggestion) in unknown_parameters(rack, summary) {
            let hint = suggestion
                .map(|close| format!(" (did you mean `{close}`?)"))
                .unwrap_or_default();
            missing.push(format!("{} sets `{name}`{hint}", rack.id()));
        }
    }
    let users: Vec<String> = racks.iter().map(|r| r.id()).collect();
    if missing.is_empty() {
        Check::pass(format!(
            "template {template}: reachable, {} parameters cover {}",
            summary.parameters.len(),
            users.join(", ")
        ))
    } else {
        Check::fail(
            format!(
                "template {template}: reachable, but it has no such parameter:\n{}",
                missing.join("\n")
            ),
            Some("fix the name under [rack.parameters], or use a template that has it".into()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::Mark;
    use super::super::test_support::rack;
    use super::*;

    #[test]
    fn a_template_without_a_parameter_the_file_sets_fails_with_a_suggestion() {
        let rack = rack();
        let mut summary = TemplateSummary::default();
        for name in [
            "Autoscale",
            "InstanceType",
            "InstanceCount",
            "Private",
            "Version",
        ] {
            summary.parameters.insert(name.into(), Default::default());
        }
        let check = template_coverage("rack.yml", &summary, &[&rack]);
        assert_eq!(check.mark, Mark::Fail);
        assert!(
            check
                .text
                .ends_with("personal/example sets `Autoscal` (did you mean `Autoscale`?)"),
            "{}",
            check.text
        );
        summary
            .parameters
            .insert("Autoscal".into(), Default::default());
        assert_eq!(
            template_coverage("rack.yml", &summary, &[&rack]).mark,
            Mark::Pass
        );
    }
}
