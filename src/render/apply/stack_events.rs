//! How a stack event is told to a person, in Convox's own wording (`Created VPC: vpc-c4e80aa2`), with its
//! friendly resource names. Which events get a line is `apply::events::shown`.

use crate::apply::events::is_stack_event;
use crate::cloud::StackEvent;

/// Convox's names for the resources a rack is made of (cmd/convox/install.go).
fn friendly_name(resource_type: &str) -> Option<&'static str> {
    Some(match resource_type {
        "AWS::AutoScaling::AutoScalingGroup" => "AutoScalingGroup",
        "AWS::CloudFormation::Stack" => "CloudFormation Stack",
        "AWS::DynamoDB::Table" => "DynamoDB Table",
        "AWS::EC2::EIP" => "NAT Elastic IP",
        "AWS::EC2::InternetGateway" => "VPC Internet Gateway",
        "AWS::EC2::NatGateway" => "NAT Gateway",
        "AWS::EC2::RouteTable" => "Routing Table",
        "AWS::EC2::SecurityGroup" => "Security Group",
        "AWS::EC2::Subnet" => "VPC Subnet",
        "AWS::EC2::VPC" => "VPC",
        "AWS::ECS::Cluster" => "ECS Cluster",
        "AWS::ECS::Service" => "ECS Service",
        "AWS::ECS::TaskDefinition" => "ECS TaskDefinition",
        "AWS::EFS::FileSystem" => "EFS Filesystem",
        "AWS::ElasticLoadBalancing::LoadBalancer" => "Elastic Load Balancer",
        "AWS::IAM::AccessKey" => "Access Key",
        "AWS::IAM::User" => "IAM User",
        "AWS::Kinesis::Stream" => "Kinesis Stream",
        "AWS::KMS::Key" => "KMS Key",
        "AWS::Lambda::Function" => "Lambda Function",
        "AWS::Logs::LogGroup" => "CloudWatch Log Group",
        "AWS::S3::Bucket" => "S3 Bucket",
        _ => return None,
    })
}

/// The line for an event worth one (`apply::events::shown`).
pub fn describe(event: &StackEvent, stack_name: &str) -> String {
    if is_stack_event(event, stack_name) {
        return match &event.reason {
            Some(reason)
                if event.status.ends_with("_FAILED") || event.status.contains("ROLLBACK") =>
            {
                format!("{}: {reason}", event.status)
            }
            _ => event.status.clone(),
        };
    }
    let name = friendly_name(&event.resource_type).unwrap_or(&event.resource_type);
    // Convox names a resource by its physical id, unless that is an ARN, which says less than the logical id.
    let id = match &event.physical_id {
        Some(physical) if !physical.is_empty() && !physical.starts_with("arn:") => {
            physical.as_str()
        }
        _ => event.logical_id.as_str(),
    };
    let reason = event.reason.as_deref().unwrap_or("no reason given");
    match event.status.as_str() {
        status if status.ends_with("_FAILED") => format!("Failed {name}: {reason}"),
        "CREATE_COMPLETE" => format!("Created {name}: {id}"),
        "UPDATE_COMPLETE" => format!("Updated {name}: {id}"),
        "DELETE_COMPLETE" => format!("Deleted {name}: {id}"),
        status => format!("{status} {name}: {id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(
        resource_type: &str,
        physical: Option<&str>,
        status: &str,
        reason: Option<&str>,
    ) -> StackEvent {
        StackEvent {
            event_id: "1".into(),
            logical_id: "Vpc".into(),
            physical_id: physical.map(str::to_string),
            resource_type: resource_type.into(),
            status: status.into(),
            reason: reason.map(str::to_string),
            timestamp: String::new(),
            token: None,
        }
    }

    #[test]
    fn uses_convox_wording() {
        let created = event(
            "AWS::EC2::VPC",
            Some("vpc-c4e80aa2"),
            "CREATE_COMPLETE",
            None,
        );
        assert_eq!(describe(&created, "example"), "Created VPC: vpc-c4e80aa2");
        let arn = event(
            "AWS::ECS::Cluster",
            Some("arn:aws:ecs:x"),
            "CREATE_COMPLETE",
            None,
        );
        assert_eq!(describe(&arn, "example"), "Created ECS Cluster: Vpc");
        let failed = event(
            "AWS::EC2::Subnet",
            None,
            "CREATE_FAILED",
            Some("CIDR overlaps"),
        );
        assert_eq!(
            describe(&failed, "example"),
            "Failed VPC Subnet: CIDR overlaps"
        );
    }
}
