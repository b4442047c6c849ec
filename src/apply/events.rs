//! What a stack event is to an apply: the stack's own or a resource's, a resource done, worth a line of
//! progress or plumbing Convox hides (`render::apply::stack_events` words it).

use crate::cloud::StackEvent;

/// Plumbing Convox does not show while installing.
fn is_hidden(resource_type: &str) -> bool {
    matches!(
        resource_type,
        "AWS::AutoScaling::LaunchConfiguration"
            | "AWS::AutoScaling::LifecycleHook"
            | "AWS::EC2::Route"
            | "AWS::EC2::SubnetRouteTableAssociation"
            | "AWS::EC2::VPCGatewayAttachment"
            | "AWS::EFS::MountTarget"
            | "AWS::IAM::InstanceProfile"
            | "AWS::IAM::Role"
            | "AWS::Lambda::Permission"
            | "AWS::Logs::SubscriptionFilter"
            | "AWS::SNS::Topic"
            | "Custom::EC2AvailabilityZones"
    )
}

/// Whether the event is about the stack itself rather than one of its resources.
pub fn is_stack_event(event: &StackEvent, stack_name: &str) -> bool {
    event.resource_type == "AWS::CloudFormation::Stack" && event.logical_id == stack_name
}

/// Whether the event is worth a line of progress: not an in-progress resource step, nor plumbing Convox
/// does not show while installing (a failure always is).
pub fn shown(event: &StackEvent, stack_name: &str) -> bool {
    if is_stack_event(event, stack_name) || event.status.ends_with("_FAILED") {
        return true;
    }
    !is_hidden(&event.resource_type)
        && matches!(
            event.status.as_str(),
            "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "DELETE_COMPLETE"
        )
}

/// Whether the event marks a resource as done, for progress counts.
pub fn completes_resource(event: &StackEvent, stack_name: &str) -> bool {
    !is_stack_event(event, stack_name)
        && matches!(
            event.status.as_str(),
            "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "DELETE_COMPLETE"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(resource_type: &str, status: &str) -> StackEvent {
        StackEvent {
            event_id: "1".into(),
            logical_id: "Vpc".into(),
            physical_id: None,
            resource_type: resource_type.into(),
            status: status.into(),
            reason: None,
            timestamp: String::new(),
            token: None,
        }
    }

    #[test]
    fn hides_plumbing_and_in_progress_steps_but_never_failures() {
        assert!(!shown(
            &event("AWS::EC2::Route", "CREATE_COMPLETE"),
            "example"
        ));
        assert!(shown(&event("AWS::EC2::Route", "CREATE_FAILED"), "example"));
        assert!(!shown(
            &event("AWS::EC2::VPC", "CREATE_IN_PROGRESS"),
            "example"
        ));
        assert!(shown(&event("AWS::EC2::VPC", "CREATE_COMPLETE"), "example"));
    }
}
