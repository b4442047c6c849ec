//! What Convox itself changes on a running rack, outside CloudFormation: CloudFormation's drift detection sees
//! it as drift, and an operator who "fixed" it would fight Convox. `drift` reports these properties as
//! "managed by Convox", listed and counted, never as drift. One entry per property, each with where convox/rack
//! changes it, and the rack parameters under which it does.

use std::collections::BTreeMap;

/// The convox/rack commit the sources below are read at ("nlb config params, usage gaps", 2026-04-21).
const AT: &str = "convox/rack@3fc6cc6d5";

#[derive(Debug, Clone, Copy)]
pub struct ManagedByConvox {
    pub resource_type: &'static str,
    /// The rack template's logical ids it applies to.
    pub logical_ids: &'static [&'static str],
    /// The property (CloudFormation's PropertyPath), and everything under it.
    pub path: &'static str,
    /// What changes it, in a few words.
    pub by: &'static str,
    pub source: &'static str,
    /// Whether Convox changes it on a rack with these (live) parameters.
    applies: fn(&BTreeMap<String, String>) -> bool,
}

const GROUP: &str = "AWS::AutoScaling::AutoScalingGroup";

fn set(parameters: &BTreeMap<String, String>, name: &str) -> bool {
    parameters
        .get(name)
        .is_some_and(|value| !value.trim().is_empty())
}

fn autoscaled(parameters: &BTreeMap<String, String>) -> bool {
    parameters
        .get("Autoscale")
        .is_some_and(|value| value == "Yes")
}

fn scheduled(parameters: &BTreeMap<String, String>) -> bool {
    set(parameters, "ScheduleRackScaleDown") && set(parameters, "ScheduleRackScaleUp")
}

fn spot(parameters: &BTreeMap<String, String>) -> bool {
    set(parameters, "SpotInstanceBid")
}

/// Every property Convox changes on a running rack.
pub const MANAGED_BY_CONVOX: &[ManagedByConvox] = &[
    ManagedByConvox {
        resource_type: GROUP,
        logical_ids: &["Instances"],
        path: "/DesiredCapacity",
        by: "Convox's autoscaler (Autoscale=Yes) resizes the instances, then records the count as InstanceCount",
        source: "provider/aws/lambda/autoscale/handler.go:128 (UpdateStack of InstanceCount/NoHaInstanceCount)",
        applies: autoscaled,
    },
    ManagedByConvox {
        resource_type: GROUP,
        logical_ids: &["Instances", "SpotInstances"],
        path: "/DesiredCapacity",
        by: "Convox's spot replacement worker sets the on-demand and spot groups' desired capacity",
        source: "provider/aws/workers_spotreplace.go:96,106 (SetDesiredCapacity)",
        applies: spot,
    },
    ManagedByConvox {
        resource_type: GROUP,
        logical_ids: &["Instances", "BuildInstances", "SpotInstances"],
        path: "/DesiredCapacity",
        by: "the rack's scheduled scale down and up (ScheduleRackScaleDown/Up)",
        source: "provider/aws/formation/rack.json:2554-2613 (AWS::AutoScaling::ScheduledAction)",
        applies: scheduled,
    },
    ManagedByConvox {
        resource_type: GROUP,
        logical_ids: &["Instances", "BuildInstances", "SpotInstances"],
        path: "/MinSize",
        by: "the rack's scheduled scale down and up (ScheduleRackScaleDown/Up)",
        source: "provider/aws/formation/rack.json:2554-2613 (AWS::AutoScaling::ScheduledAction)",
        applies: scheduled,
    },
    ManagedByConvox {
        resource_type: GROUP,
        logical_ids: &["Instances", "BuildInstances", "SpotInstances"],
        path: "/MaxSize",
        by: "the rack's scheduled scale down and up (ScheduleRackScaleDown/Up)",
        source: "provider/aws/formation/rack.json:2554-2613 (AWS::AutoScaling::ScheduledAction)",
        applies: scheduled,
    },
];

/// The entry that says Convox manages property `path` of resource `logical_id`, on a rack with `parameters`.
pub fn managed_by_convox(
    resource_type: &str,
    logical_id: &str,
    path: &str,
    parameters: &BTreeMap<String, String>,
) -> Option<&'static ManagedByConvox> {
    MANAGED_BY_CONVOX.iter().find(|entry| {
        entry.resource_type == resource_type
            && entry.logical_ids.contains(&logical_id)
            && (path == entry.path
                || path
                    .strip_prefix(entry.path)
                    .is_some_and(|rest| rest.starts_with('/')))
            && (entry.applies)(parameters)
    })
}

impl ManagedByConvox {
    /// Where convox/rack does it, with the commit.
    pub fn cited(&self) -> String {
        format!("{AT} {}", self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameters(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_autoscalers_desired_capacity_is_convoxs_only_while_autoscale_is_on() {
        let on = parameters(&[("Autoscale", "Yes")]);
        let off = parameters(&[("Autoscale", "No")]);
        assert!(managed_by_convox(GROUP, "Instances", "/DesiredCapacity", &on).is_some());
        assert!(managed_by_convox(GROUP, "Instances", "/DesiredCapacity", &off).is_none());
        assert!(
            managed_by_convox(GROUP, "Instances", "/MinSize", &on).is_none(),
            "the autoscaler leaves the group's bounds alone"
        );
        assert!(
            managed_by_convox(
                "AWS::EC2::SecurityGroup",
                "Instances",
                "/DesiredCapacity",
                &on
            )
            .is_none()
        );
    }

    #[test]
    fn scheduled_scaling_owns_the_groups_sizes_only_when_both_schedules_are_set() {
        let both = parameters(&[
            ("ScheduleRackScaleDown", "0 18 * * 1-5"),
            ("ScheduleRackScaleUp", "0 7 * * 1-5"),
        ]);
        let half = parameters(&[("ScheduleRackScaleDown", "0 18 * * 1-5")]);
        assert!(managed_by_convox(GROUP, "BuildInstances", "/MinSize", &both).is_some());
        assert!(managed_by_convox(GROUP, "BuildInstances", "/MinSize", &half).is_none());
    }

    #[test]
    fn every_entry_cites_its_source_at_the_commit_read() {
        for entry in MANAGED_BY_CONVOX {
            assert!(entry.cited().starts_with("convox/rack@3fc6cc6d5 "));
            assert!(entry.source.contains(".go:") || entry.source.contains("rack.json:"));
            assert!(entry.path.starts_with('/'));
        }
    }
}
