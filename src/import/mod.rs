//! `rackfile import`'s decisions, without I/O: which live stacks are racks, and how each is declared in
//! racks.toml so that `rackfile plan` on the result finds nothing to change. `write` renders the file.

mod write;

use std::collections::BTreeMap;

pub use write::{Origin, racks_toml};

use crate::cloud::{Stack, StackState, TemplateSummary};
use crate::config::{RESERVED_TAG_KEYS, TYPED_PARAMETERS};
use crate::convox::AUTOSCALED_PARAMETERS;
use crate::convox::names;

/// A live stack read for import, with the summary of the template it was built from.
pub struct Candidate {
    pub region: String,
    pub stack: Stack,
    /// The template's summary, or why it was not read (stacks that are not racks never are).
    pub summary: Result<TemplateSummary, String>,
}

/// A rack as racks.toml declares it: only what differs from its template's defaults, so the file says
/// what is particular about each rack and plan finds it unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedRack {
    pub name: String,
    pub region: String,
    pub version: String,
    /// `None` where the live value is the template's default (or, for the count, the autoscaler's).
    pub instance_type: Option<String>,
    pub instance_count: Option<u32>,
    pub private: Option<bool>,
    /// Live parameters the template exposes whose value is not the template's default (never NoEcho ones).
    pub parameters: BTreeMap<String, String>,
    /// Live tags other than Convox's own.
    pub tags: BTreeMap<String, String>,
    /// A 2016 rack without Convox's tags: the first apply adds them.
    pub untagged: bool,
    /// Termination protection is on: written as `protect = true`, so a plan never turns it off.
    pub protected: bool,
}

/// A stack import left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub region: String,
    pub name: String,
    pub reason: String,
}

/// Sorts candidates into racks to declare and stacks to leave out, racks by region, then name.
pub fn sort(candidates: Vec<Candidate>) -> (Vec<ImportedRack>, Vec<Skipped>) {
    let mut racks = Vec::new();
    let mut skipped = Vec::new();
    for candidate in candidates {
        let skip = |reason: String| Skipped {
            region: candidate.region.clone(),
            name: candidate.stack.name.clone(),
            reason,
        };
        if !crate::convox::is_rack(&candidate.stack) {
            skipped.push(skip("not a rack".into()));
            continue;
        }
        match declare(&candidate) {
            Ok(rack) => racks.push(rack),
            Err(reason) => skipped.push(skip(reason)),
        }
    }
    racks.sort_by(|a, b| (&a.region, &a.name).cmp(&(&b.region, &b.name)));
    skipped.sort_by(|a, b| (&a.region, &a.name).cmp(&(&b.region, &b.name)));
    (racks, skipped)
}

/// How racks.toml declares a live rack, or why it cannot say it faithfully.
fn declare(candidate: &Candidate) -> Result<ImportedRack, String> {
    let stack = &candidate.stack;
    let status = stack.status.as_str();
    // The planner's classification (`StackState`): a DELETE_FAILED rack still exists and is planned, so it
    // is declared; a failed install (ROLLBACK_FAILED too) is not a rack anyone runs.
    match stack.state() {
        StackState::FailedInstall | StackState::Deleted => {
            return Err(format!(
                "{status}: a failed or deleted install, not a working rack"
            ));
        }
        StackState::InProgress | StackState::Deleting => {
            return Err(format!(
                "{status}: CloudFormation is changing it; import again when it settles"
            ));
        }
        StackState::Settled
        | StackState::RolledBack
        | StackState::RollbackFailed
        | StackState::DeleteFailed
        | StackState::Other => {}
    }
    let summary = candidate
        .summary
        .as_ref()
        .map_err(|error| format!("its template could not be read: {error}"))?;
    let parameter = |name: &str| {
        stack
            .parameters
            .get(name)
            .ok_or(format!("it has no {name} parameter"))
    };
    let version = parameter(names::VERSION)?.clone();
    let default_of = |name: &str| {
        summary
            .parameters
            .get(name)
            .and_then(|p| p.default.as_deref())
    };
    // What racks.toml must say for plan to find the rack unchanged: nothing where the live value is the
    // template's default.
    let differs = |name: &str| {
        stack
            .parameters
            .get(name)
            .filter(|value| Some(value.as_str()) != default_of(name))
    };
    let autoscaled = stack
        .parameters
        .get(names::AUTOSCALE)
        .map(String::as_str)
        .or_else(|| default_of(names::AUTOSCALE))
        == Some("Yes");
    let instance_type = differs(names::INSTANCE_TYPE).cloned();
    // While the autoscaler owns the count, racks.toml's count would apply at install only: leave it out.
    let instance_count = match differs(names::INSTANCE_COUNT).filter(|_| !autoscaled) {
        None => None,
        Some(count) => Some(
            count
                .parse()
                .ok()
                .filter(|count| *count >= 1)
                .ok_or(format!(
                    "InstanceCount is {count}; racks.toml needs a whole number of at least 1"
                ))?,
        ),
    };
    let private = match differs(names::PRIVATE).map(String::as_str) {
        Some("Yes") => Some(true),
        Some("No") => Some(false),
        None => None,
        Some(other) => return Err(format!("Private is {other}, neither Yes nor No")),
    };
    let typed = |name: &str| TYPED_PARAMETERS.iter().any(|(typed, _)| *typed == name);
    let parameters = stack
        .parameters
        .iter()
        .filter(|(name, value)| {
            let declared = summary.parameters.get(*name);
            let left_out = typed(name)
                || *name == names::PASSWORD
                || (autoscaled && AUTOSCALED_PARAMETERS.contains(&name.as_str()))
                || declared.is_some_and(|p| p.no_echo)
                // An SSM-typed value names a parameter CloudFormation resolves; left unmanaged, updates
                // keep whatever it names.
                || declared.is_some_and(|p| p.names_ssm_parameter())
                || declared.and_then(|p| p.default.as_ref()) == Some(*value);
            !left_out
        })
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    // racks.toml may not set them (see `config::RESERVED_TAG_KEYS`): the written file must validate.
    let reserved = |key: &str| RESERVED_TAG_KEYS.contains(&key);
    let tags = stack
        .tags
        .iter()
        .filter(|(key, _)| !reserved(key) && !key.starts_with("aws:"))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Ok(ImportedRack {
        name: stack.name.clone(),
        region: candidate.region.clone(),
        version,
        instance_type,
        instance_count,
        private,
        parameters,
        tags,
        untagged: !crate::convox::has_rack_tags(stack),
        protected: stack.termination_protection,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::TemplateParameter;

    fn summary() -> TemplateSummary {
        let parameter = |default: Option<&str>, no_echo| TemplateParameter {
            kind: "String".into(),
            default: default.map(str::to_string),
            no_echo,
            ..TemplateParameter::default()
        };
        TemplateSummary {
            parameters: [
                ("Autoscale", parameter(Some("No"), false)),
                ("Key", parameter(Some(""), false)),
                ("Secret", parameter(Some(""), true)),
                ("Password", parameter(None, true)),
                ("InstanceCount", parameter(Some("3"), false)),
                ("InstanceType", parameter(Some("t2.small"), false)),
                ("Private", parameter(Some("No"), false)),
                ("Version", parameter(None, false)),
            ]
            .into_iter()
            .map(|(name, p)| (name.to_string(), p))
            .collect(),
            resource_count: 10,
            declarations: Default::default(),
        }
    }

    fn stack(name: &str, tags: &[(&str, &str)], outputs: &[&str]) -> Stack {
        Stack {
            stack_id: format!("id-{name}"),
            name: name.into(),
            status: "UPDATE_COMPLETE".into(),
            status_reason: None,
            last_updated: String::new(),
            parameters: [
                ("Autoscale", "Yes"),
                ("Key", ""),
                ("Secret", "hidden"),
                ("Password", "pw"),
                ("InstanceCount", "4"),
                ("InstanceType", "t3.medium"),
                ("Private", "Yes"),
                ("Version", "20161102160040"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            outputs: outputs
                .iter()
                .map(|o| (o.to_string(), String::new()))
                .collect(),
            termination_protection: false,
            parent_id: None,
            resolved: BTreeMap::new(),
            role_arn: None,
            notification_arns: Vec::new(),
            rollback: None,
        }
    }

    fn candidate(stack: Stack) -> Candidate {
        Candidate {
            region: "us-east-1".into(),
            stack,
            summary: Ok(summary()),
        }
    }

    #[test]
    fn declares_typed_settings_non_default_parameters_and_own_tags_never_secrets() {
        let tagged = stack(
            "prod",
            &[("System", "convox"), ("Type", "rack"), ("team", "web")],
            &[],
        );
        let (racks, skipped) = sort(vec![candidate(tagged)]);
        assert!(skipped.is_empty());
        let rack = &racks[0];
        assert_eq!(
            (
                rack.version.as_str(),
                rack.instance_type.as_deref(),
                rack.instance_count,
                rack.private
            ),
            ("20161102160040", Some("t3.medium"), None, Some(true)),
            "the count is the autoscaler's (Autoscale=Yes)"
        );
        assert_eq!(
            rack.parameters,
            BTreeMap::from([("Autoscale".to_string(), "Yes".to_string())]),
            "defaults, typed settings, Password and NoEcho values are left out"
        );
        assert_eq!(
            rack.tags,
            BTreeMap::from([("team".to_string(), "web".to_string())])
        );
        assert!(!rack.untagged);
    }

    #[test]
    fn an_untagged_2016_rack_needs_its_dashboard_output_and_other_stacks_are_skipped() {
        let old_rack = stack("old", &[], &["Dashboard"]);
        let mut website = stack("website", &[], &[]);
        website.parameters.clear();
        let lookalike = stack("lookalike", &[], &[]);
        let (racks, skipped) = sort(vec![
            candidate(old_rack),
            candidate(website),
            candidate(lookalike),
        ]);
        assert_eq!(racks.len(), 1);
        assert!(racks[0].untagged);
        let names: Vec<&str> = skipped.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["lookalike", "website"]);
        assert!(skipped.iter().all(|s| s.reason == "not a rack"));
    }

    /// A rack's nested stacks carry its tags; a stack of another kind may declare `Version` and
    /// `InstanceType` and output a `Dashboard`. Neither is declared as a rack.
    #[test]
    fn a_racks_nested_stack_and_a_lookalike_without_the_rack_password_are_not_declared() {
        let tags = [("System", "convox"), ("Type", "rack")];
        let rack = stack("web", &tags, &[]);
        let mut nested = stack("web-Registry", &tags, &[]);
        nested.parent_id = Some("arn:aws:cloudformation:us-east-1:1:stack/web/1".into());
        let mut lookalike = stack("grafana", &[], &["Dashboard"]);
        lookalike.parameters.remove("Password");
        let (racks, skipped) = sort(vec![
            candidate(rack),
            candidate(nested),
            candidate(lookalike),
        ]);
        let declared: Vec<&str> = racks.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(declared, ["web"]);
        let names: Vec<&str> = skipped.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["grafana", "web-Registry"]);
        assert!(skipped.iter().all(|s| s.reason == "not a rack"));
    }

    #[test]
    fn failed_busy_and_odd_racks_are_skipped_with_the_reason() {
        let tags = [("System", "convox"), ("Type", "rack")];
        let mut failed = stack("failed", &tags, &[]);
        failed.status = "ROLLBACK_COMPLETE".into();
        let mut busy = stack("busy", &tags, &[]);
        busy.status = "UPDATE_IN_PROGRESS".into();
        let mut single = stack("single", &tags, &[]);
        single.parameters.insert("InstanceCount".into(), "0".into());
        single.parameters.insert("Autoscale".into(), "No".into());
        let mut half_failed = stack("halffailed", &tags, &[]);
        half_failed.status = "ROLLBACK_FAILED".into();
        let mut half_deleted = stack("halfdeleted", &tags, &[]);
        half_deleted.status = "DELETE_FAILED".into();
        let (racks, skipped) = sort(vec![
            candidate(failed),
            candidate(busy),
            candidate(single),
            candidate(half_failed),
            candidate(half_deleted),
        ]);
        let declared: Vec<&str> = racks.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            declared,
            ["halfdeleted"],
            "a DELETE_FAILED rack still exists and is planned, as the planner sees it"
        );
        let reasons: Vec<String> = skipped
            .iter()
            .map(|s| format!("{}: {}", s.name, s.reason))
            .collect();
        assert_eq!(
            reasons,
            [
                "busy: UPDATE_IN_PROGRESS: CloudFormation is changing it; import again when it settles",
                "failed: ROLLBACK_COMPLETE: a failed or deleted install, not a working rack",
                "halffailed: ROLLBACK_FAILED: a failed or deleted install, not a working rack",
                "single: InstanceCount is 0; racks.toml needs a whole number of at least 1",
            ]
        );
    }
}
