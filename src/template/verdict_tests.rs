//! The verdicts that were laxer than AWS or surer than rackfile can be (issue 32): conditional create-only
//! properties, update policies, attributes of resources modified in place, nested stacks, values only AWS
//! knows, and values written differently that evaluate the same. Small hostile templates, then Convox's own.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::test_support::{pseudo, values};
use super::{
    Cause, PolicyUnknown, ResourceAction, ResourceImpact, Rolling, StackTemplate, analyse,
};
// The words of a verdict are the views' (`render::impact`); this whole file is test code (`template/mod.rs`
// includes it under `cfg(test)`), marked here too for the architecture test, which reads it as a file.
#[cfg(test)]
use crate::render::impact::{describe_reach, disruption, verdict};

fn change(
    template: &Value,
    before: &[(&str, &str)],
    after: &[(&str, &str)],
) -> Vec<ResourceImpact> {
    let (before, after) = (values(before), values(after));
    analyse(
        StackTemplate::new(template, &before),
        StackTemplate::new(template, &after),
        &pseudo(),
    )
}

fn between(before: &Value, after: &Value) -> Vec<ResourceImpact> {
    let empty = BTreeMap::new();
    analyse(
        StackTemplate::new(before, &empty),
        StackTemplate::new(after, &empty),
        &pseudo(),
    )
}

fn actions(impacts: &[ResourceImpact]) -> Vec<(&str, ResourceAction)> {
    impacts
        .iter()
        .map(|i| (i.logical_id.as_str(), i.action))
        .collect()
}

fn find<'i>(impacts: &'i [ResourceImpact], id: &str) -> &'i ResourceImpact {
    impacts
        .iter()
        .find(|i| i.logical_id == id)
        .unwrap_or_else(|| panic!("{id} is not reached: {impacts:#?}"))
}

/// One resource of `resource_type` whose `property` is the parameter `Value`.
fn one_resource(resource_type: &str, property: &str, extra: Value) -> Value {
    let mut properties = extra;
    properties[property] = json!({"Ref": "Value"});
    json!({
        "Parameters": {"Value": {"Type": "String"}},
        "Resources": {"It": {"Type": resource_type, "Properties": properties}},
    })
}

#[test]
fn a_conditional_create_only_property_may_replace_never_in_place() {
    let cases = [
        (
            "AWS::DynamoDB::Table",
            "KeySchema",
            json!({"BillingMode": "PAY_PER_REQUEST"}),
        ),
        (
            "AWS::RDS::DBInstance",
            "Engine",
            json!({"DBInstanceClass": "db.t3.micro"}),
        ),
        ("AWS::ECS::Service", "LaunchType", json!({"Cluster": "c"})),
        (
            "AWS::EC2::Instance",
            "InstanceType",
            json!({"ImageId": "ami-1"}),
        ),
    ];
    for (resource_type, property, extra) in cases {
        let template = one_resource(resource_type, property, extra);
        let impacts = change(&template, &[("Value", "a")], &[("Value", "b")]);
        assert_eq!(
            actions(&impacts),
            [("It", ResourceAction::MayReplace)],
            "{resource_type}"
        );
        assert_eq!(
            impacts[0].cause,
            Cause::ConditionalCreateOnly {
                property: property.into(),
                certain: true
            }
        );
        assert_eq!(verdict(&impacts), "may replace 1 resource");
        assert!(disruption(&impacts).is_some());
        assert!(change(&template, &[("Value", "a")], &[("Value", "a")]).is_empty());
    }
}

/// A launch template the `Type` parameter changes, and a group launched from its latest version under
/// `policy`.
fn group_with_policy(policy: Value) -> Value {
    json!({
        "Parameters": {
            "Type": {"Type": "String", "Default": "t3.small"},
            "Replace": {"Type": "String", "Default": "true"},
            "Ami": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": "/aws/ami"},
        },
        "Conditions": {
            "Replacing": {"Fn::Equals": [{"Ref": "Replace"}, "true"]},
            "OnLatestAmi": {"Fn::Equals": [{"Ref": "Ami"}, "ami-1"]},
        },
        "Resources": {
            "Template": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {
                "LaunchTemplateData": {"InstanceType": {"Ref": "Type"}}}},
            "Instances": {"Type": "AWS::AutoScaling::AutoScalingGroup",
                "UpdatePolicy": policy,
                "Properties": {"MinSize": "1", "MaxSize": "3", "LaunchTemplate": {
                    "LaunchTemplateId": {"Ref": "Template"},
                    "Version": {"Fn::GetAtt": ["Template", "LatestVersionNumber"]}}}},
        },
    })
}

#[test]
fn a_replacing_update_policy_replaces_the_group_and_its_instances() {
    let literal = group_with_policy(json!({"AutoScalingReplacingUpdate": {"WillReplace": true}}));
    let impacts = change(&literal, &[], &[("Type", "m5.large")]);
    assert_eq!(
        actions(&impacts),
        [
            ("Template", ResourceAction::Modify),
            ("Instances", ResourceAction::Replace)
        ]
    );
    let group = find(&impacts, "Instances");
    assert_eq!(
        group.cause,
        Cause::ReplacingUpdate {
            launch: vec!["LaunchTemplate".into()]
        }
    );
    assert_eq!(group.rolling, None);
    assert_eq!(
        verdict(&impacts),
        "replaces 1 resource, modifies 1 in place"
    );
    assert_eq!(disruption(&impacts).as_deref(), Some("replaces Instances"));
    // Where the group is not launched anew, the policy does nothing.
    let names = group_with_policy(json!({"AutoScalingReplacingUpdate": {"WillReplace": true}}));
    assert!(change(&names, &[], &[("Replace", "false")]).is_empty());

    // WillReplace from a parameter, and from Fn::If: evaluated as a property is.
    let by_parameter = group_with_policy(
        json!({"AutoScalingReplacingUpdate": {"WillReplace": {"Ref": "Replace"}}}),
    );
    let impacts = change(&by_parameter, &[], &[("Type", "m5.large")]);
    assert_eq!(find(&impacts, "Instances").action, ResourceAction::Replace);
    let impacts = change(
        &by_parameter,
        &[("Replace", "false")],
        &[("Type", "m5.large"), ("Replace", "false")],
    );
    assert_eq!(find(&impacts, "Instances").action, ResourceAction::Modify);
    let by_condition = group_with_policy(json!({"AutoScalingReplacingUpdate": {
        "WillReplace": {"Fn::If": ["Replacing", true, false]}}}));
    let impacts = change(&by_condition, &[], &[("Type", "m5.large")]);
    assert_eq!(find(&impacts, "Instances").action, ResourceAction::Replace);

    // A condition only AWS can decide (an SSM-resolved AMI): the group may be replaced, never in place.
    let unknown = group_with_policy(json!({"AutoScalingReplacingUpdate": {
        "WillReplace": {"Fn::If": ["OnLatestAmi", true, false]}}}));
    let impacts = change(&unknown, &[], &[("Type", "m5.large")]);
    let group = find(&impacts, "Instances");
    assert_eq!(group.action, ResourceAction::MayReplace, "{group:?}");
    assert_eq!(
        group.cause,
        Cause::UpdatePolicyUnknown {
            unknown: PolicyUnknown::WillReplace,
            launch: vec!["LaunchTemplate".into()]
        },
        "{group:?}"
    );
}

#[test]
fn an_update_policy_written_with_fn_if_is_evaluated() {
    let policy = json!({"Fn::If": ["Replacing",
        {"AutoScalingRollingUpdate": {"MaxBatchSize": 2}},
        {"Ref": "AWS::NoValue"}]});
    let template = group_with_policy(policy);
    let impacts = change(&template, &[], &[("Type", "m5.large")]);
    assert_eq!(
        find(&impacts, "Instances").rolling,
        Some(Rolling {
            max_batch_size: Some("2".into())
        })
    );
    assert_eq!(
        describe_reach(&impacts),
        "rolling replacement of Instances, 2 at a time; modifies Template in place"
    );
    // The condition false: no policy, no roll (new instances only).
    let impacts = change(
        &template,
        &[("Replace", "false")],
        &[("Type", "m5.large"), ("Replace", "false")],
    );
    assert_eq!(find(&impacts, "Instances").rolling, None);
}

#[test]
fn a_deletion_policy_is_compared_evaluated() {
    let template = json!({
        "Parameters": {"Keep": {"Type": "String", "Default": "yes"}},
        "Conditions": {"Keeping": {"Fn::Equals": [{"Ref": "Keep"}, "yes"]}},
        "Resources": {"Data": {"Type": "AWS::S3::Bucket",
            "DeletionPolicy": {"Fn::If": ["Keeping", "Retain", "Delete"]}}},
    });
    assert!(change(&template, &[], &[]).is_empty());
    let impacts = change(&template, &[], &[("Keep", "no")]);
    assert_eq!(actions(&impacts), [("Data", ResourceAction::Modify)]);
    assert_eq!(
        impacts[0].cause,
        Cause::AttributesChange {
            attributes: vec!["DeletionPolicy".into()]
        }
    );
    // Written differently, the same policy: no change.
    let mut literal = template.clone();
    literal["Resources"]["Data"]["DeletionPolicy"] = json!("Retain");
    assert!(between(&template, &literal).is_empty());
}

#[test]
fn an_attribute_of_a_resource_modified_in_place_may_change_unless_it_is_an_identifier() {
    let template = json!({
        "Parameters": {"Value": {"Type": "String"}},
        "Resources": {
            "Setting": {"Type": "AWS::SSM::Parameter",
                "Properties": {"Type": "String", "Value": {"Ref": "Value"}}},
            "ByValue": {"Type": "AWS::S3::Bucket",
                "Properties": {"BucketName": {"Fn::GetAtt": ["Setting", "Value"]}}},
            "ByName": {"Type": "AWS::SQS::Queue",
                "Properties": {"QueueName": {"Fn::GetAtt": ["Setting", "Name"]}}},
        },
    });
    let impacts = change(&template, &[("Value", "a")], &[("Value", "b")]);
    assert_eq!(
        actions(&impacts),
        [
            ("Setting", ResourceAction::Modify),
            ("ByValue", ResourceAction::MayReplace)
        ],
        "{impacts:#?}"
    );
    let by_value = find(&impacts, "ByValue");
    assert_eq!(
        by_value.cause,
        Cause::CreateOnly {
            property: "BucketName".into(),
            certain: false
        }
    );
    assert_eq!(by_value.through.as_deref(), Some("Setting"));
}

#[test]
fn a_nested_stack_whose_inputs_change_may_replace_and_so_may_what_reads_its_outputs() {
    let template = json!({
        "Parameters": {"Cidr": {"Type": "String"}},
        "Resources": {
            "Network": {"Type": "AWS::CloudFormation::Stack", "Properties": {
                "TemplateURL": "https://example.com/network.json",
                "Parameters": {"Cidr": {"Ref": "Cidr"}}}},
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {
                "CidrBlock": "10.0.0.0/24",
                "VpcId": {"Fn::GetAtt": ["Network", "Outputs.Vpc"]}}},
        },
    });
    let impacts = change(&template, &[("Cidr", "a")], &[("Cidr", "b")]);
    assert_eq!(
        actions(&impacts),
        [
            ("Network", ResourceAction::MayReplace),
            ("Subnet", ResourceAction::MayReplace)
        ]
    );
    assert_eq!(
        impacts[0].cause,
        Cause::NestedStack {
            properties: vec!["Parameters".into()]
        }
    );
    assert_eq!(impacts[1].through.as_deref(), Some("Network"));
    // Only its tags: modified in place, and its outputs may still change for what reads them.
    let mut tagged = template.clone();
    tagged["Resources"]["Network"]["Properties"]["Tags"] = json!([{"Key": "k", "Value": "v"}]);
    let impacts = between(&template, &tagged);
    assert_eq!(actions(&impacts)[0], ("Network", ResourceAction::Modify));
}

/// Subnets placed in the zones a custom resource returns, or `Fn::GetAZs` gives.
fn zoned_subnets(zone: Value) -> Value {
    json!({
        "Resources": {
            "Zones": {"Type": "Custom::Zones", "Properties": {"ServiceToken": "arn:aws:lambda:x"}},
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Subnet0": {"Type": "AWS::EC2::Subnet", "Properties": {
                "VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24",
                "AvailabilityZone": {"Fn::Select": [0, zone]}}},
        },
    })
}

#[test]
fn a_value_only_aws_knows_makes_what_it_reaches_may_replace_never_replaced() {
    let before = zoned_subnets(json!({"Fn::GetAtt": ["Zones", "Zones"]}));
    let after = zoned_subnets(json!({"Fn::GetAZs": ""}));
    let impacts = between(&before, &after);
    let subnet = find(&impacts, "Subnet0");
    assert_eq!(subnet.action, ResourceAction::MayReplace, "{subnet:?}");
    assert_eq!(
        subnet.cause,
        Cause::CreateOnly {
            property: "AvailabilityZone".into(),
            certain: false
        }
    );
    // Two names that may resolve to the same value are not "different" either.
    let template = json!({
        "Parameters": {"Zone": {"Type": "String"}},
        "Resources": {"Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24",
            "AvailabilityZone": {"Fn::Select": [0, {"Fn::GetAZs": {"Ref": "Zone"}}]}}}},
    });
    let impacts = change(&template, &[("Zone", "")], &[("Zone", "us-east-1")]);
    assert_eq!(actions(&impacts), [("Subnet", ResourceAction::MayReplace)]);
    // What differs for certain still does.
    let impacts = between(
        &zoned_subnets(json!({"Fn::GetAZs": ""})),
        &zoned_subnets(json!(["us-east-1a"])),
    );
    assert_eq!(find(&impacts, "Subnet0").action, ResourceAction::MayReplace);
}

#[test]
fn a_refactor_that_leaves_the_value_the_same_changes_nothing() {
    // Whether the first zone is us-east-1a only AWS knows: the condition stays undecided on both sides.
    let conditions =
        json!({"InA": {"Fn::Equals": [{"Fn::Select": [0, {"Fn::GetAZs": ""}]}, "us-east-1a"]}});
    let bucket = |name: Value| {
        json!({
            "Parameters": {"Name": {"Type": "String", "Default": "rack"}},
            "Conditions": conditions,
            "Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": name}}},
        })
    };
    let outside = bucket(json!({"Fn::If": ["InA",
        {"Fn::Join": ["-", [{"Ref": "Name"}, {"Ref": "AWS::Region"}, "a"]]},
        {"Fn::Join": ["-", [{"Ref": "Name"}, {"Ref": "AWS::Region"}, "b"]]}]}));
    let inside = bucket(json!({"Fn::Join": ["-", [
        {"Ref": "Name"}, {"Ref": "AWS::Region"}, {"Fn::If": ["InA", "a", "b"]}]]}));
    let substituted = bucket(json!({"Fn::Sub": ["${Name}-${AWS::Region}-${Zone}",
        {"Zone": {"Fn::If": ["InA", "a", "b"]}}]}));
    assert_eq!(between(&outside, &inside), []);
    assert_eq!(between(&inside, &substituted), []);
    // With a resource's id among the parts too.
    let with_id = |name: Value| {
        let mut template = bucket(name);
        template["Resources"]["Queue"] = json!({"Type": "AWS::SQS::Queue"});
        template
    };
    let outside_with_id = with_id(json!({"Fn::If": ["InA",
        {"Fn::Join": ["", [{"Ref": "Queue"}, "-a"]]},
        {"Fn::Join": ["", [{"Ref": "Queue"}, "-b"]]}]}));
    let inside_with_id =
        with_id(json!({"Fn::Join": ["", [{"Ref": "Queue"}, "-", {"Fn::If": ["InA", "a", "b"]}]]}));
    assert_eq!(between(&outside_with_id, &inside_with_id), []);
    // A change in one branch only may or may not be taken: "may", not certain.
    let other = bucket(json!({"Fn::Join": ["-", [
        {"Ref": "Name"}, {"Ref": "AWS::Region"}, {"Fn::If": ["InA", "a", "c"]}]]}));
    let impacts = between(&inside, &other);
    assert_eq!(actions(&impacts), [("Bucket", ResourceAction::MayReplace)]);
}

#[test]
fn through_names_the_replaced_resource_the_deciding_property_refers_to() {
    let template = json!({
        "Parameters": {"Cidr": {"Type": "String"}, "Name": {"Type": "String"}},
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "Name"}}},
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {
                "VpcId": {"Ref": "Vpc"}, "CidrBlock": {"Ref": "Cidr"},
                "Tags": [{"Key": "queue", "Value": {"Ref": "Queue"}}]}},
        },
    });
    // The subnet is replaced by its own CidrBlock, not through the queue its tag names.
    let impacts = change(
        &template,
        &[("Cidr", "10.0.0.0/24"), ("Name", "a")],
        &[("Cidr", "10.0.1.0/24"), ("Name", "b")],
    );
    assert_eq!(
        actions(&impacts),
        [
            ("Queue", ResourceAction::Replace),
            ("Subnet", ResourceAction::Replace)
        ]
    );
    assert_eq!(find(&impacts, "Subnet").through, None);
    assert_eq!(describe_reach(&impacts), "replaces Queue and Subnet");
}

fn convox() -> Value {
    serde_json::from_str(include_str!(
        "../../tests/templates/convox-rack-20260421192651.json"
    ))
    .unwrap()
}

#[test]
fn on_convox_s_own_template_a_replacing_update_policy_replaces_the_instances_group() {
    let mut template = convox();
    template["Resources"]["Instances"]["UpdatePolicy"]["AutoScalingReplacingUpdate"] =
        json!({"WillReplace": {"Fn::If": ["HighAvailability", true, false]}});
    let impacts = change(&template, &[], &[("InstanceType", "m5.large")]);
    let instances = find(&impacts, "Instances");
    assert_eq!(instances.action, ResourceAction::Replace, "{instances:?}");
    assert_eq!(instances.rolling, None);
    assert!(
        disruption(&impacts).unwrap().contains("Instances"),
        "{impacts:#?}"
    );
    // The rack as Convox ships it still rolls, and calls nothing a replacement.
    let impacts = change(&convox(), &[], &[("InstanceType", "m5.large")]);
    assert_eq!(
        find(&impacts, "Instances").rolling,
        Some(Rolling {
            max_batch_size: Some("1".into())
        })
    );
    assert!(
        impacts.iter().all(|i| i.action == ResourceAction::Modify),
        "{impacts:#?}"
    );
}

#[test]
fn on_convox_s_own_template_a_dynamodb_key_schema_change_may_replace_the_table() {
    let template = convox();
    let table = template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, r)| r["Type"] == "AWS::DynamoDB::Table")
        .map(|(id, _)| id.clone())
        .unwrap();
    let mut changed = template.clone();
    changed["Resources"][&table]["Properties"]["KeySchema"] =
        json!([{"AttributeName": "other", "KeyType": "HASH"}]);
    let impacts = between(&template, &changed);
    let replaced = find(&impacts, &table);
    assert_eq!(replaced.action, ResourceAction::MayReplace);
    assert!(
        matches!(&replaced.cause, Cause::ConditionalCreateOnly { property, .. } if property == "KeySchema"),
        "{replaced:?}"
    );
    // What reads the table's attributes may change with it (a task definition's environment): "may", never
    // certain, never in place when create-only.
    assert!(
        impacts.iter().all(|i| i.action != ResourceAction::Replace),
        "{impacts:#?}"
    );
    assert!(
        impacts
            .iter()
            .filter(|i| i.logical_id != table)
            .all(|i| i.through.as_deref() == Some(table.as_str())
                || i.action == ResourceAction::Modify),
        "{impacts:#?}"
    );
}
