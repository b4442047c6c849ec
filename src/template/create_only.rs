//! What AWS's resource provider schemas say about each resource type that decides what an update does to it:
//! the `createOnlyProperties` (a change replaces the resource), the `conditionalCreateOnlyProperties` (a change
//! may replace it), and the attributes that stay the same while it is updated in place. Extracted by
//! `scripts/gen-create-only` into `create_only.txt` (which names the schema release it came from, and where
//! the rule for stable attributes is written down).

use std::collections::HashMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("create_only.txt");

/// One resource type's line of the table.
#[derive(Debug, Default)]
pub struct TypeSchema {
    /// Property paths (`CidrBlock`, `VpcConfig/SubnetIds`, `Tags/*/Key`) whose change replaces the resource.
    pub create_only: Vec<&'static str>,
    /// Property paths whose change replaces the resource or not, as AWS decides from what rackfile cannot see.
    pub conditional_create_only: Vec<&'static str>,
    /// Attributes (as `Fn::GetAtt` names them) other than the create-only properties that keep their value
    /// while the resource is updated in place.
    stable_attributes: Vec<&'static str>,
}

impl TypeSchema {
    /// Whether `Fn::GetAtt` of this attribute keeps its value while the resource is updated in place.
    pub fn is_stable(&self, attribute: &str) -> bool {
        self.stable_attributes.contains(&attribute)
            || self
                .create_only
                .iter()
                .any(|path| !path.contains('*') && path.replace('/', ".") == attribute)
    }
}

/// What the schemas say of a resource type, or `None` when AWS publishes no schema for it (a custom
/// resource, a type newer than the table).
pub fn schema_of(resource_type: &str) -> Option<&'static TypeSchema> {
    static BY_TYPE: OnceLock<HashMap<&'static str, TypeSchema>> = OnceLock::new();
    BY_TYPE
        .get_or_init(|| {
            TABLE
                .lines()
                .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
                .filter_map(|line| {
                    let mut words = line.split_whitespace();
                    let resource_type = words.next()?;
                    let mut schema = TypeSchema::default();
                    for word in words {
                        if let Some(path) = word.strip_prefix('?') {
                            schema.conditional_create_only.push(path);
                        } else if let Some(attribute) = word.strip_prefix('=') {
                            schema.stable_attributes.push(attribute);
                        } else {
                            schema.create_only.push(word);
                        }
                    }
                    Some((resource_type, schema))
                })
                .collect()
        })
        .get(resource_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create_only(resource_type: &str) -> &'static [&'static str] {
        &schema_of(resource_type).unwrap().create_only
    }

    #[test]
    fn the_table_knows_a_racks_types_and_not_custom_ones() {
        assert!(create_only("AWS::EC2::VPC").contains(&"CidrBlock"));
        assert!(create_only("AWS::AutoScaling::LaunchConfiguration").contains(&"InstanceType"));
        assert!(!create_only("AWS::EC2::LaunchTemplate").contains(&"LaunchTemplateData"));
        assert!(schema_of("Custom::SGIngresses").is_none());
        assert!(TABLE.lines().next().unwrap().contains("cfn-lint"));
    }

    #[test]
    fn the_table_carries_conditional_create_only_properties_apart() {
        let conditional =
            |resource_type| &schema_of(resource_type).unwrap().conditional_create_only;
        assert_eq!(conditional("AWS::DynamoDB::Table"), &["KeySchema"]);
        assert!(conditional("AWS::RDS::DBInstance").contains(&"Engine"));
        assert!(conditional("AWS::EC2::Instance").contains(&"InstanceType"));
        assert_eq!(conditional("AWS::ECS::Service"), &["LaunchType"]);
        assert!(!create_only("AWS::EC2::Instance").contains(&"InstanceType"));
        let types = TABLE
            .lines()
            .filter(|line| !line.starts_with('#') && line.contains(" ?"))
            .count();
        assert!(
            TABLE
                .lines()
                .take(5)
                .any(|line| line
                    .contains(&format!("{types} with conditional create-only properties"))),
            "the header counts {types} types with conditional create-only properties"
        );
    }

    #[test]
    fn identifiers_and_create_only_properties_are_stable_attributes_and_the_rest_is_not() {
        let stable =
            |resource_type, attribute| schema_of(resource_type).unwrap().is_stable(attribute);
        assert!(stable("AWS::Lambda::Function", "Arn"));
        assert!(stable("AWS::SSM::Parameter", "Name"));
        assert!(stable("AWS::EC2::SecurityGroup", "GroupId"));
        assert!(stable("AWS::EC2::LaunchTemplate", "LaunchTemplateId"));
        assert!(!stable("AWS::SSM::Parameter", "Value"));
        assert!(!stable("AWS::CloudFormation::Stack", "Outputs.Vpc"));
        assert!(!stable("AWS::EC2::LaunchTemplate", "LatestVersionNumber"));
        assert!(!stable(
            "AWS::StepFunctions::StateMachine",
            "StateMachineRevisionId"
        ));
        assert!(!stable("AWS::RDS::DBInstance", "Endpoint.Address"));
    }
}
