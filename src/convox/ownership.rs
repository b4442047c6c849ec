//! Which stacks are Convox's: a rack, and the apps and resources Convox made for a rack. This is the one
//! answer to "may rackfile touch this stack?": plan, apply, import, status and doctor all ask it here, so a
//! stack that is not Convox's is never updated, recovered or deleted, whatever its name or tags.
//!
//! Read from convox/rack (HEAD 3fc6cc6d5, and tag 20161102160040):
//! - Racks: `provider/aws/system.go:266-268` (SystemInstall) and `:779-781` tag the rack's stack
//!   `System=convox`, `Type=rack`. 2016 racks carry no tags: the 2016 uninstall recognised the rack as the
//!   stack of that name with a `Dashboard` output (`cmd/convox/uninstall.go:468` at 20161102160040), and every
//!   rack template declares `Version` and `InstanceType`.
//! - Apps: `provider/aws/apps.go:67-74` and `:107-114` (AppCreate) tag `System=convox`, `Type=app`, `Rack=<rack>`,
//!   `Name=<app>` (2016: `api/models/app.go:166-171`); AppList keeps exactly those (`apps.go:211`).
//! - Resources: `provider/aws/resource.go:204-210` and `:721-727` tags `System=convox`, `Type=resource`, `Rack=<rack>`;
//!   SystemResourceList also keeps the 2016 `Type=service` (`resource.go:361`; 2016:
//!   `provider/aws/service.go:80-86`).
//! - Convox's own uninstall deletes every top-level stack tagged `Rack=<name>` (`system.go:905-934`
//!   rackDependencies; 2016 `uninstall.go:458` by `Rack` and `Type`): a cost tag `Rack=old` on a database
//!   stack would be deleted with the rack. rackfile asks for all of System, Type and Rack, and never takes a
//!   rack (or any declared rack) for an app.

use serde::{Deserialize, Serialize};

use crate::cloud::Stack;

/// Tags Convox (and rackfile) put on every rack they install; racks.toml declares them (the lowest layer), so
/// that validate can refuse them offline.
pub use crate::config::{RESERVED_TAG_KEYS, SYSTEM_TAGS as RACK_TAGS};

/// What Convox made a stack for, as its `Type` tag says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dependent {
    /// A Convox app (`Type=app`).
    App,
    /// A Convox resource (`Type=resource`, or `Type=service` as 2016 racks made them).
    Resource,
}

impl Dependent {
    pub fn word(self) -> &'static str {
        match self {
            Dependent::App => "app",
            Dependent::Resource => "resource",
        }
    }
}

/// Whether `stack` is a Convox rack: a top-level stack tagged `System=convox`, `Type=rack`, or an untagged
/// 2016 rack (no `System` tag at all) with the rack template's `Version`, `InstanceType` and `Password`
/// parameters and its `Dashboard` output. A nested stack is never a rack: CloudFormation gives it its
/// parent's tags, so a rack's own nested stacks carry `Type=rack`. `Version` and `InstanceType` alone are
/// common names (any stack that launches a versioned service may declare them); the rack API's `Password`
/// is the rack template's own.
pub fn is_rack(stack: &Stack) -> bool {
    stack.parent_id.is_none()
        && (has_rack_tags(stack)
            || (!stack.tags.contains_key("System")
                && ["Version", "InstanceType", "Password"]
                    .iter()
                    .all(|name| stack.parameters.contains_key(*name))
                && stack.outputs.contains_key("Dashboard")))
}

/// Tagged `System=convox`, `Type=rack`, as Convox (and rackfile) tag the racks they install.
pub fn has_rack_tags(stack: &Stack) -> bool {
    RACK_TAGS
        .iter()
        .all(|(key, value)| stack.tags.get(*key).map(String::as_str) == Some(*value))
}

/// What `stack` is of the rack named `rack`, if it is one of the apps or resources Convox made for it: a
/// top-level stack (deleting it deletes its nested stacks; they carry their parent's tags) tagged
/// `System=convox`, `Rack=<rack>` and an app or resource `Type`, that is not itself a rack. The caller also
/// leaves out every declared rack (`is_declared`), whatever its tags say.
pub fn dependent_of(
    stack: &Stack,
    rack: &str,
    is_declared: impl Fn(&str) -> bool,
) -> Option<Dependent> {
    if stack.name == rack
        || stack.parent_id.is_some()
        || is_rack(stack)
        || is_declared(&stack.name)
        || stack.tags.get("System").map(String::as_str) != Some("convox")
        || stack.tags.get("Rack").map(String::as_str) != Some(rack)
    {
        return None;
    }
    match stack.tags.get("Type").map(String::as_str) {
        Some("app") => Some(Dependent::App),
        Some("resource" | "service") => Some(Dependent::Resource),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn stack(name: &str, tags: &[(&str, &str)]) -> Stack {
        Stack {
            stack_id: format!("arn:aws:cloudformation:us-east-1:1:stack/{name}/1"),
            name: name.into(),
            status: "CREATE_COMPLETE".into(),
            status_reason: None,
            last_updated: "2026-01-01T00:00:00Z".into(),
            parameters: BTreeMap::new(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            outputs: BTreeMap::new(),
            termination_protection: false,
            parent_id: None,
            resolved: BTreeMap::new(),
            role_arn: None,
            notification_arns: Vec::new(),
            rollback: None,
        }
    }

    fn nothing_declared(_: &str) -> bool {
        false
    }

    #[test]
    fn a_rack_is_tagged_as_convox_tags_racks_or_has_the_2016_shape_untagged() {
        assert!(is_rack(&stack(
            "r",
            &[("System", "convox"), ("Type", "rack")]
        )));
        assert!(!is_rack(&stack("r", &[("System", "convox")])));
        assert!(!is_rack(&stack("r", &[])));
        let mut old = stack("r", &[]);
        old.parameters.insert("Version".into(), "1".into());
        old.parameters
            .insert("InstanceType".into(), "t2.small".into());
        old.outputs.insert("Dashboard".into(), "elb".into());
        assert!(
            !is_rack(&old),
            "Version, InstanceType and a Dashboard: a lookalike without the rack API's Password"
        );
        old.parameters.insert("Password".into(), "****".into());
        assert!(is_rack(&old));
        let mut nested = stack("r-Nested", &[("System", "convox"), ("Type", "rack")]);
        nested.parent_id = Some("arn:aws:cloudformation:us-east-1:1:stack/r/1".into());
        assert!(!is_rack(&nested), "a rack's nested stack carries its tags");
        nested.parent_id = None;
        nested.parameters = old.parameters.clone();
        nested.outputs = old.outputs.clone();
        nested.tags.clear();
        nested.parent_id = Some("arn:parent".into());
        assert!(!is_rack(&nested), "nor is an untagged nested one");
        old.tags.insert("System".into(), "billing".into());
        assert!(
            !is_rack(&old),
            "a stack tagged by another system is not an untagged 2016 rack"
        );
    }

    #[test]
    fn apps_and_resources_need_every_convox_tag_and_are_never_racks() {
        let app = stack(
            "old-web",
            &[("System", "convox"), ("Type", "app"), ("Rack", "old")],
        );
        assert_eq!(
            dependent_of(&app, "old", nothing_declared),
            Some(Dependent::App)
        );
        assert_eq!(dependent_of(&app, "other", nothing_declared), None);
        for resource_type in ["resource", "service"] {
            let resource = stack(
                "old-db",
                &[
                    ("System", "convox"),
                    ("Type", resource_type),
                    ("Rack", "old"),
                ],
            );
            assert_eq!(
                dependent_of(&resource, "old", nothing_declared),
                Some(Dependent::Resource)
            );
        }
        let cost_tag = stack("billing-db", &[("Rack", "old")]);
        assert_eq!(dependent_of(&cost_tag, "old", nothing_declared), None);
        let other_system = stack(
            "db",
            &[("System", "terraform"), ("Type", "app"), ("Rack", "old")],
        );
        assert_eq!(dependent_of(&other_system, "old", nothing_declared), None);
        let unknown_type = stack(
            "x",
            &[("System", "convox"), ("Type", "database"), ("Rack", "old")],
        );
        assert_eq!(dependent_of(&unknown_type, "old", nothing_declared), None);
        let rack = stack(
            "staging",
            &[("System", "convox"), ("Type", "rack"), ("Rack", "old")],
        );
        assert_eq!(dependent_of(&rack, "old", nothing_declared), None);
        assert_eq!(
            dependent_of(&app, "old", |name| name == "old-web"),
            None,
            "a declared rack is never an app, whatever its tags"
        );
        let mut nested = app.clone();
        nested.parent_id = Some("arn:parent".into());
        assert_eq!(dependent_of(&nested, "old", nothing_declared), None);
    }
}
