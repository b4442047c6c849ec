//! What CloudFormation's change set says of a resource, taken as known when the analysis runs again
//! (`plan --changeset`): a resource is changed at least as much as the change set says, and what that
//! reaches follows, as the analysis follows any change.

use std::collections::BTreeMap;

use super::cause::Cause;
use super::evaluate::Side;
use super::resource_impact::{ResourceAction, ResourceImpact};
use super::update_policy::group_rolls;

/// What CloudFormation's change set says of a resource beyond what the analysis found: the analysis run
/// again takes the resource as changed at least so (its properties changed, replaced or possibly
/// replaced), and follows what that reaches, so that a new image behind a launch template still rolls the
/// instances of the group that uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forced {
    pub action: ResourceAction,
    /// The properties CloudFormation names as changed.
    pub properties: Vec<String>,
    /// What the change set says of it (`Cause::ChangeSet`).
    pub cause: Cause,
}

/// How much a resource action changes the resource, for "at least": the change set's view only ever adds.
pub fn severity(action: ResourceAction) -> u8 {
    match action {
        ResourceAction::Modify => 1,
        ResourceAction::MayReplace => 2,
        ResourceAction::Add | ResourceAction::Remove | ResourceAction::Replace => 3,
    }
}

/// The analysis' impact on a resource, raised to what CloudFormation's change set says of it, if that is
/// more.
pub(super) fn with_forced(
    computed: Option<ResourceImpact>,
    id: &str,
    side: &Side<'_>,
    forced: &BTreeMap<String, Forced>,
) -> Option<ResourceImpact> {
    let Some(forced) = forced.get(id) else {
        return computed;
    };
    if let Some(computed) = &computed
        && severity(computed.action) >= severity(forced.action)
    {
        return Some(computed.clone());
    }
    let resource_type = side.resource_type(id).unwrap_or("(no type)").to_string();
    let mut decided = ResourceImpact {
        logical_id: id.to_string(),
        resource_type: resource_type.clone(),
        action: forced.action,
        cause: forced.cause.clone(),
        through: None,
        rolling: None,
        too_complex: false,
    };
    if resource_type == "AWS::AutoScaling::AutoScalingGroup" {
        let names: Vec<&str> = forced.properties.iter().map(String::as_str).collect();
        group_rolls(side, id, &names, &mut decided);
    }
    Some(decided)
}
