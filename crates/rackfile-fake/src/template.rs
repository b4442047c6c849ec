//! The templates the fake knows: parameters and resources, no properties.

use std::collections::BTreeMap;

use rackfile::cloud::{Declarations, TemplateParameter, TemplateSummary};

/// A template the fake knows: its parameters and its resources (logical id, type), in creation order.
#[derive(Debug, Clone, Default)]
pub struct FakeTemplate {
    pub parameters: BTreeMap<String, TemplateParameter>,
    pub resources: Vec<(String, String)>,
}

impl FakeTemplate {
    /// What GetTemplateSummary reports of it.
    pub(crate) fn summary(&self) -> TemplateSummary {
        TemplateSummary {
            parameters: self.parameters.clone(),
            resource_count: self.resources.len(),
            declarations: Declarations::SummaryOnly,
        }
    }

    /// A JSON body declaring its parameters and resources, as GetTemplate returns it.
    pub fn body(&self) -> String {
        let parameters: serde_json::Map<String, serde_json::Value> = self
            .parameters
            .iter()
            .map(|(name, p)| {
                let mut declared = serde_json::json!({"Type": p.kind});
                if let Some(default) = &p.default {
                    declared["Default"] = default.clone().into();
                }
                if p.no_echo {
                    declared["NoEcho"] = true.into();
                }
                (name.clone(), declared)
            })
            .collect();
        let resources: serde_json::Map<String, serde_json::Value> = self
            .resources
            .iter()
            .map(|(id, kind)| (id.clone(), serde_json::json!({"Type": kind})))
            .collect();
        serde_json::json!({"Parameters": parameters, "Resources": resources}).to_string()
    }

    /// The Convox-shaped template the tests use: the rack parameters, Password NoEcho and required.
    pub fn rack(resources: &[(&str, &str)]) -> Self {
        let mut parameters = BTreeMap::new();
        for (name, default) in [
            ("Ami", Some("")),
            ("Autoscale", Some("No")),
            ("InstanceCount", Some("3")),
            ("InstanceType", Some("t2.small")),
            ("Key", Some("")),
            ("Private", Some("No")),
            ("Version", None),
        ] {
            parameters.insert(
                name.to_string(),
                TemplateParameter {
                    kind: "String".into(),
                    default: default.map(str::to_string),
                    ..TemplateParameter::default()
                },
            );
        }
        parameters.insert(
            "Password".into(),
            TemplateParameter {
                kind: "String".into(),
                no_echo: true,
                ..TemplateParameter::default()
            },
        );
        Self {
            parameters,
            resources: resources
                .iter()
                .map(|(id, kind)| (id.to_string(), kind.to_string()))
                .collect(),
        }
    }
}
