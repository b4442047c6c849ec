//! Which properties of each resource type CloudFormation cannot change without replacing the resource: the
//! `createOnlyProperties` of AWS's resource provider schemas, extracted by `scripts/gen-create-only` into
//! `create_only.txt` (which names the schema release it came from).

use std::collections::HashMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("create_only.txt");

/// The create-only property paths of a resource type (`CidrBlock`, `VpcConfig/SubnetIds`, `Tags/*/Key`),
/// or `None` when AWS publishes no schema for it (a custom resource, a type newer than the table).
pub fn create_only_properties(resource_type: &str) -> Option<&'static [&'static str]> {
    static BY_TYPE: OnceLock<HashMap<&'static str, Vec<&'static str>>> = OnceLock::new();
    BY_TYPE
        .get_or_init(|| {
            TABLE
                .lines()
                .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
                .filter_map(|line| {
                    let mut words = line.split_whitespace();
                    Some((words.next()?, words.collect()))
                })
                .collect()
        })
        .get(resource_type)
        .map(Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_knows_a_racks_types_and_not_custom_ones() {
        assert!(
            create_only_properties("AWS::EC2::VPC")
                .unwrap()
                .contains(&"CidrBlock")
        );
        assert!(
            create_only_properties("AWS::AutoScaling::LaunchConfiguration")
                .unwrap()
                .contains(&"InstanceType")
        );
        assert!(
            !create_only_properties("AWS::EC2::LaunchTemplate")
                .unwrap()
                .contains(&"LaunchTemplateData")
        );
        assert_eq!(create_only_properties("Custom::SGIngresses"), None);
        assert!(TABLE.lines().next().unwrap().contains("cfn-lint"));
    }
}
