//! What the plan's preflight checks read from a template evaluated with a stack's parameter values: the
//! names it exports, the runtimes of its Lambda functions, and the availability zones of its subnets. The
//! evaluation is the impact analysis's own (`evaluate`), so a name built with `Fn::Sub` from the stack name
//! or a parameter is the name AWS would give it; what cannot be evaluated offline is said, never guessed.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::evaluate::{Side, Truth, Val};
use super::{Pseudo, StackTemplate};

/// An output's export, as the stack would publish it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportName {
    /// The output's logical name.
    pub output: String,
    /// The evaluated name, or why it cannot be known offline.
    pub name: Result<String, String>,
}

/// A Lambda function of the template and its evaluated `Runtime`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRuntime {
    pub logical_id: String,
    /// The runtime identifier, or why it cannot be known offline.
    pub runtime: Result<String, String>,
}

/// Where a subnet of the template is placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubnetZone {
    /// A zone named in the template or by a parameter.
    Named(String),
    /// `Fn::Select [n, Fn::GetAZs ""]`: the region's zone at this index, in name order.
    NthOfRegion(usize),
    /// The template names no zone: AWS chooses one of the region's.
    ChosenByAws,
    /// Not known offline, and why.
    Unknown(String),
}

/// The export names of the outputs that exist with these values (an output whose condition cannot be
/// decided offline counts as existing).
pub fn export_names(stack: StackTemplate<'_>, pseudo: &Pseudo) -> Vec<ExportName> {
    let side = side(stack, pseudo);
    let Some(outputs) = stack.template.get("Outputs").and_then(Value::as_object) else {
        return Vec::new();
    };
    outputs
        .iter()
        .filter(|(_, output)| exists(&side, output))
        .filter_map(|(logical, output)| {
            let name = output.get("Export")?.get("Name")?;
            Some(ExportName {
                output: logical.clone(),
                name: text(side.evaluate(name)),
            })
        })
        .collect()
}

/// The runtimes of the template's `AWS::Lambda::Function` and `AWS::Serverless::Function` resources that
/// exist with these values. A function without a `Runtime` (a container image) has none to check.
pub fn function_runtimes(stack: StackTemplate<'_>, pseudo: &Pseudo) -> Vec<FunctionRuntime> {
    let side = side(stack, pseudo);
    let serverless_default = stack
        .template
        .get("Globals")
        .and_then(|globals| globals.get("Function"))
        .and_then(|function| function.get("Runtime"));
    side.resources()
        .filter(|(_, resource)| exists(&side, resource))
        .filter_map(|(logical_id, resource)| {
            let kind = resource.get("Type").and_then(Value::as_str)?;
            let declared = resource.get("Properties").and_then(|p| p.get("Runtime"));
            let runtime = match kind {
                "AWS::Lambda::Function" => declared?,
                "AWS::Serverless::Function" => declared.or(serverless_default)?,
                _ => return None,
            };
            Some(FunctionRuntime {
                logical_id: logical_id.clone(),
                runtime: text(side.evaluate(runtime)),
            })
        })
        .collect()
}

/// The zone of each `AWS::EC2::Subnet` that exists with these values, by logical id.
pub fn subnet_zones(stack: StackTemplate<'_>, pseudo: &Pseudo) -> BTreeMap<String, SubnetZone> {
    let side = side(stack, pseudo);
    side.resources()
        .filter(|(_, resource)| {
            resource.get("Type").and_then(Value::as_str) == Some("AWS::EC2::Subnet")
                && exists(&side, resource)
        })
        .map(|(logical_id, resource)| {
            let zone = match resource
                .get("Properties")
                .and_then(|p| p.get("AvailabilityZone"))
            {
                None => SubnetZone::ChosenByAws,
                Some(zone) => zone_of(side.evaluate(zone), logical_id),
            };
            (logical_id.clone(), zone)
        })
        .collect()
}

fn zone_of(value: Val, logical_id: &str) -> SubnetZone {
    match value {
        Val::Text(zone) => SubnetZone::Named(zone.to_string()),
        Val::Call { function, args } if function == "Fn::Select" && args.len() == 2 => {
            match (&args[0], &args[1]) {
                (
                    Val::Text(index),
                    Val::Call {
                        function: azs,
                        args: region,
                    },
                ) if azs == "Fn::GetAZs"
                    && region
                        .iter()
                        .all(|r| matches!(r, Val::Text(t) if t.is_empty())) =>
                {
                    match index.parse() {
                        Ok(index) => SubnetZone::NthOfRegion(index),
                        Err(_) => SubnetZone::Unknown(format!(
                            "subnet {logical_id}: zone index {index} is not a number"
                        )),
                    }
                }
                _ => SubnetZone::Unknown(format!(
                    "subnet {logical_id}: its zone is chosen at deploy time"
                )),
            }
        }
        Val::Unknown(why) => SubnetZone::Unknown(format!("subnet {logical_id}: {why}")),
        _ => SubnetZone::Unknown(format!(
            "subnet {logical_id}: its zone is chosen at deploy time"
        )),
    }
}

fn side<'a>(stack: StackTemplate<'a>, pseudo: &'a Pseudo) -> Side<'a> {
    Side::bounded(stack.template, stack.parameters, stack.hidden, pseudo)
}

/// Whether a resource or output exists: its `Condition` is not known to be false.
fn exists(side: &Side<'_>, item: &Value) -> bool {
    match item.get("Condition").and_then(Value::as_str) {
        None => true,
        Some(condition) => side.condition(condition) != Truth::False,
    }
}

fn text(value: Val) -> Result<String, String> {
    match value {
        Val::Text(text) => Ok(text.to_string()),
        Val::Unknown(why) => Err(why.to_string()),
        _ => Err("it is computed by AWS at deploy time".into()),
    }
}

/// The export names `before` publishes and `after` no longer does: what an update would take away.
pub fn exports_removed(before: &[ExportName], after: &[ExportName]) -> Vec<String> {
    let kept: BTreeSet<&str> = after
        .iter()
        .filter_map(|export| export.name.as_deref().ok())
        .collect();
    let mut removed: Vec<String> = before
        .iter()
        .filter_map(|export| export.name.as_deref().ok())
        .filter(|name| !kept.contains(name))
        .map(str::to_string)
        .collect();
    removed.sort();
    removed.dedup();
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pseudo() -> Pseudo {
        Pseudo {
            region: "us-east-1".into(),
            stack_name: "web".into(),
            account_id: "123456789012".into(),
        }
    }

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn export_names_are_evaluated_with_the_stack_name_and_conditions() {
        let template = json!({
            "Parameters": {"Private": {"Type": "String", "Default": "No"}},
            "Conditions": {"IsPrivate": {"Fn::Equals": [{"Ref": "Private"}, "Yes"]}},
            "Outputs": {
                "Cluster": {"Value": "x", "Export": {"Name": {"Fn::Sub": "${AWS::StackName}:Cluster"}}},
                "Nat": {"Condition": "IsPrivate", "Value": "x", "Export": {"Name": "web:Nat"}},
                "Plain": {"Value": "x"},
                "Made": {"Value": "x", "Export": {"Name": {"Fn::GetAtt": ["Thing", "Arn"]}}}
            }
        });
        let public = values(&[("Private", "No")]);
        let names = export_names(StackTemplate::new(&template, &public), &pseudo());
        let known: Vec<_> = names.iter().filter_map(|e| e.name.clone().ok()).collect();
        assert_eq!(known, vec!["web:Cluster".to_string()]);
        assert!(names.iter().any(|e| e.output == "Made" && e.name.is_err()));
        let private = values(&[("Private", "Yes")]);
        let after = export_names(StackTemplate::new(&template, &private), &pseudo());
        assert_eq!(exports_removed(&after, &names), vec!["web:Nat".to_string()]);
        assert!(exports_removed(&names, &after).is_empty());
    }

    #[test]
    fn runtimes_and_subnet_zones_are_read_as_aws_would_see_them() {
        let template = json!({
            "Parameters": {"Zone": {"Type": "String", "Default": "us-east-1f"}},
            "Globals": {"Function": {"Runtime": "python2.7"}},
            "Resources": {
                "Old": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "nodejs4.3"}},
                "Sam": {"Type": "AWS::Serverless::Function", "Properties": {}},
                "Image": {"Type": "AWS::Lambda::Function", "Properties": {"PackageType": "Image"}},
                "A": {"Type": "AWS::EC2::Subnet", "Properties": {"AvailabilityZone": {"Fn::Select": [1, {"Fn::GetAZs": ""}]}}},
                "B": {"Type": "AWS::EC2::Subnet", "Properties": {"AvailabilityZone": {"Ref": "Zone"}}},
                "C": {"Type": "AWS::EC2::Subnet", "Properties": {}}
            }
        });
        let none = BTreeMap::new();
        let stack = StackTemplate::new(&template, &none);
        let runtimes = function_runtimes(stack, &pseudo());
        assert_eq!(
            runtimes,
            vec![
                FunctionRuntime {
                    logical_id: "Old".into(),
                    runtime: Ok("nodejs4.3".into())
                },
                FunctionRuntime {
                    logical_id: "Sam".into(),
                    runtime: Ok("python2.7".into())
                },
            ]
        );
        let zones = subnet_zones(stack, &pseudo());
        assert_eq!(zones["A"], SubnetZone::NthOfRegion(1));
        assert_eq!(zones["B"], SubnetZone::Named("us-east-1f".into()));
        assert_eq!(zones["C"], SubnetZone::ChosenByAws);
    }
}
