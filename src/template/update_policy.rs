//! What an AutoScalingGroup's `UpdatePolicy` does to the group and its instances when an update changes what
//! they are launched from. The policy is evaluated like a property (`Fn::If`, conditions, parameters), in the
//! planned template: CloudFormation applies the policy the update sends. With `AutoScalingReplacingUpdate`
//! and `WillReplace: true` CloudFormation builds a new group and deletes the old one (it takes precedence over
//! a rolling update); with `AutoScalingRollingUpdate` it replaces the instances batch by batch.

use super::cause::{Cause, PolicyUnknown};
use super::evaluate::{Side, Val};
use super::resource_impact::{ResourceAction, ResourceImpact, Rolling};

/// The properties whose change makes an update policy replace the group's instances.
const ROLLING_PROPERTIES: &[&str] = &[
    "LaunchConfigurationName",
    "LaunchTemplate",
    "MixedInstancesPolicy",
    "PlacementGroup",
    "VPCZoneIdentifier",
];

/// Whether the update replaces the whole group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replaces {
    No,
    /// `AutoScalingReplacingUpdate` with `WillReplace: true`.
    Yes,
    /// The policy, or its `WillReplace`, is known only to AWS: which part.
    Maybe(PolicyUnknown),
}

/// What the policy does to a group whose properties `changed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupUpdate {
    pub replaces: Replaces,
    pub rolling: Option<Rolling>,
}

const NOTHING: GroupUpdate = GroupUpdate {
    replaces: Replaces::No,
    rolling: None,
};

/// Whether the group's update policy, not AWS's schema, decides what a change of this property does: the
/// schema lists the launch properties as conditional create-only because an `AutoScalingReplacingUpdate`
/// replaces the group for them, which `group_update` reads from the policy itself.
pub fn decides(resource_type: &str, path: &str) -> bool {
    resource_type == "AWS::AutoScaling::AutoScalingGroup" && ROLLING_PROPERTIES.contains(&path)
}

/// The properties among `changed` that make the policy act, if any.
pub fn launch_changes<'n>(changed: &[&'n str]) -> Vec<&'n str> {
    changed
        .iter()
        .copied()
        .filter(|name| ROLLING_PROPERTIES.contains(name))
        .collect()
}

/// What the update policy of the group `id` (in the planned template, on `side`) does when `changed`
/// properties change.
pub fn group_update(side: &Side<'_>, id: &str, changed: &[&str]) -> GroupUpdate {
    if launch_changes(changed).is_empty() {
        return NOTHING;
    }
    let Some(policy) = side
        .resource(id)
        .and_then(|group| group.get("UpdatePolicy"))
    else {
        return NOTHING;
    };
    let entries = match side.evaluate_in(id, policy) {
        Val::Map(entries) => entries,
        Val::NoValue | Val::Null => return NOTHING,
        _ => {
            return GroupUpdate {
                replaces: Replaces::Maybe(PolicyUnknown::UpdatePolicy),
                rolling: Some(Rolling {
                    max_batch_size: None,
                }),
            };
        }
    };
    let replaces = match entries.get("AutoScalingReplacingUpdate") {
        None | Some(Val::NoValue) => Replaces::No,
        Some(Val::Map(replacing)) => match replacing.get("WillReplace") {
            None => Replaces::No,
            Some(Val::Text(flag)) if flag.eq_ignore_ascii_case("true") => Replaces::Yes,
            Some(Val::Text(_)) => Replaces::No,
            Some(_) => Replaces::Maybe(PolicyUnknown::WillReplace),
        },
        Some(_) => Replaces::Maybe(PolicyUnknown::ReplacingUpdate),
    };
    if replaces == Replaces::Yes {
        return GroupUpdate {
            replaces,
            rolling: None,
        };
    }
    let rolling = match entries.get("AutoScalingRollingUpdate") {
        None | Some(Val::NoValue) => None,
        Some(Val::Map(rolling)) => Some(Rolling {
            max_batch_size: match rolling.get("MaxBatchSize") {
                None => Some("1".to_string()),
                Some(Val::Text(size)) => Some(size.to_string()),
                Some(_) => None,
            },
        }),
        Some(_) => Some(Rolling {
            max_batch_size: None,
        }),
    };
    GroupUpdate { replaces, rolling }
}

/// What an AutoScalingGroup's update policy does when `names` change: replace the group (WillReplace), or
/// roll its instances.
pub(super) fn group_rolls(
    after: &Side<'_>,
    id: &str,
    names: &[&str],
    decided: &mut ResourceImpact,
) {
    if matches!(
        decided.action,
        ResourceAction::Modify | ResourceAction::MayReplace
    ) {
        let policy = group_update(after, id, names);
        let launch = launch_changes(names);
        match policy.replaces {
            Replaces::Yes => {
                decided.action = ResourceAction::Replace;
                decided.cause = Cause::ReplacingUpdate {
                    launch: launch.iter().map(|name| name.to_string()).collect(),
                };
            }
            Replaces::Maybe(unknown) if decided.action == ResourceAction::Modify => {
                decided.action = ResourceAction::MayReplace;
                decided.cause = Cause::UpdatePolicyUnknown {
                    unknown,
                    launch: launch.iter().map(|name| name.to_string()).collect(),
                };
            }
            Replaces::Maybe(_) | Replaces::No => {}
        }
        if decided.action != ResourceAction::Replace {
            decided.rolling = policy.rolling;
        }
    }
}
