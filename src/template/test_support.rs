//! What the template tests (and the plan's impact tests) share: a rack's pseudo parameters and parameter
//! values written as pairs.

use std::collections::BTreeMap;

use super::Pseudo;

pub fn pseudo() -> Pseudo {
    Pseudo {
        region: "us-east-1".into(),
        stack_name: "rack".into(),
        account_id: "123456789012".into(),
    }
}

pub fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `C0: !Equals [!Ref AWS::StackId, <first>]`, `Ci: !Or [!Condition Ci-1, !Condition Ci-1]` up to `levels`,
/// the last one deciding whether a bucket exists and what it is named: written out, condition `i` holds
/// 2^i copies of `C0`. (benches/impact.rs builds the same.)
pub fn condition_chain(levels: usize, first: serde_json::Value) -> serde_json::Value {
    use serde_json::json;
    let mut conditions = serde_json::Map::new();
    conditions.insert("C0".into(), json!({"Fn::Equals": [first, "x"]}));
    for level in 1..=levels {
        let previous = format!("C{}", level - 1);
        conditions.insert(
            format!("C{level}"),
            json!({"Fn::Or": [{"Condition": previous}, {"Condition": previous}]}),
        );
    }
    let last = format!("C{levels}");
    json!({
        "Parameters": {
            "Name": {"Type": "String", "Default": "a"},
            "Secret": {"Type": "String", "Default": "s", "NoEcho": true},
        },
        "Conditions": conditions,
        "Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Condition": last, "Properties": {
            "BucketName": {"Fn::If": [last, {"Ref": "Name"}, "other"]}}}},
    })
}

/// `R0 <- R1 <- ... <- R(length-1)`: each bucket named after the one before, by `Fn::Sub` of its id or
/// `Fn::GetAtt` of its Arn in turn, `R0` by the `Name` parameter. Written last to first.
pub fn resource_chain(length: usize) -> serde_json::Value {
    use serde_json::json;
    let mut resources = serde_json::Map::new();
    for index in (0..length).rev() {
        let name = match index {
            0 => json!({"Ref": "Name"}),
            odd if odd % 2 == 1 => json!({"Fn::Sub": format!("${{R{}}}-next", odd - 1)}),
            even => {
                json!({"Fn::Join": ["-", [{"Fn::GetAtt": [format!("R{}", even - 1), "Arn"]}, "next"]]})
            }
        };
        resources.insert(
            format!("R{index}"),
            json!({"Type": "AWS::S3::Bucket", "Properties": {"BucketName": name}}),
        );
    }
    json!({
        "Parameters": {"Name": {"Type": "String", "Default": "a"}},
        "Resources": resources,
    })
}
