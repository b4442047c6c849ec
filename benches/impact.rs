//! The impact analysis on the largest template at hand: Convox's own rack template of release
//! 20260421192651 (110 parameters, 148 resources, tests/templates). Each case is one `analyse` of the whole
//! template before and after a change; a planned update runs one for the rack and one per changed parameter.
//! Then the shapes that made it exponential or quadratic (issue 22): a chain of conditions each the `Fn::Or`
//! of the one before twice, on one resource, and a chain of resources each referring to the one before.
//!
//!     cargo bench --bench impact
//!     cargo bench --bench impact -- condition_chain_40 --sample-count 1 --sample-size 1   # one run

use std::collections::BTreeMap;

use rackfile::template::{Pseudo, StackTemplate, analyse, parse_document};
use serde_json::{Value, json};

fn main() {
    divan::main();
}

fn convox() -> Value {
    parse_document(include_str!(
        "../tests/templates/convox-rack-20260421192651.json"
    ))
    .unwrap()
}

fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn run(template: &Value, before: &[(&str, &str)], after: &[(&str, &str)]) -> usize {
    let pseudo = Pseudo {
        region: "us-east-1".into(),
        stack_name: "rack".into(),
        account_id: "123456789012".into(),
    };
    let (before, after) = (values(before), values(after));
    analyse(
        StackTemplate::new(template, &before),
        StackTemplate::new(template, &after),
        &pseudo,
    )
    .len()
}

#[divan::bench]
fn nothing_changes(bencher: divan::Bencher) {
    let template = convox();
    bencher.bench(|| run(&template, &[], &[]));
}

#[divan::bench]
fn instance_type(bencher: divan::Bencher) {
    let template = convox();
    bencher.bench(|| run(&template, &[], &[("InstanceType", "m5.large")]));
}

#[divan::bench]
fn private_flips(bencher: divan::Bencher) {
    let template = convox();
    bencher.bench(|| run(&template, &[("Private", "No")], &[("Private", "Yes")]));
}

#[divan::bench]
fn parse_the_template(bencher: divan::Bencher) {
    let body = include_str!("../tests/templates/convox-rack-20260421192651.json");
    bencher.bench(|| parse_document(body).unwrap());
}

/// `C0: !Equals [!Ref AWS::StackId, x]`, `Ci: !Or [!Condition Ci-1, !Condition Ci-1]`, the last one on a
/// bucket whose name a parameter sets: written out, condition `i` holds 2^i copies of `C0`.
fn condition_chain(levels: usize) -> Value {
    let mut conditions = serde_json::Map::new();
    conditions.insert(
        "C0".into(),
        json!({"Fn::Equals": [{"Ref": "AWS::StackId"}, "x"]}),
    );
    for level in 1..=levels {
        let previous = format!("C{}", level - 1);
        conditions.insert(
            format!("C{level}"),
            json!({"Fn::Or": [{"Condition": previous}, {"Condition": previous}]}),
        );
    }
    let last = format!("C{levels}");
    json!({
        "Parameters": {"Name": {"Type": "String", "Default": "a"}},
        "Conditions": conditions,
        "Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Condition": last, "Properties": {
            "BucketName": {"Fn::If": [last, {"Ref": "Name"}, "other"]}}}},
    })
}

/// `R0 <- R1 <- ... <- R(n-1)`: each bucket named after the one before (by `Ref`, or by `Fn::GetAtt` for
/// every other one), so that replacing `R0` replaces them all. Written last to first.
fn resource_chain(length: usize) -> Value {
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

#[divan::bench]
fn condition_chain_20(bencher: divan::Bencher) {
    let template = condition_chain(20);
    bencher.bench(|| run(&template, &[], &[("Name", "b")]));
}

#[divan::bench]
fn condition_chain_24(bencher: divan::Bencher) {
    let template = condition_chain(24);
    bencher.bench(|| run(&template, &[], &[("Name", "b")]));
}

#[divan::bench]
fn condition_chain_40(bencher: divan::Bencher) {
    let template = condition_chain(40);
    bencher.bench(|| run(&template, &[], &[("Name", "b")]));
}

#[divan::bench]
fn resource_chain_2000(bencher: divan::Bencher) {
    let template = resource_chain(2000);
    bencher.bench(|| run(&template, &[], &[("Name", "b")]));
}

/// Six buckets each splitting a 300 KB parameter into 300,000 items, on both sides: over three times the
/// work budget, so that the analysis stops and says "too complex to analyse". What hitting the budget costs.
#[divan::bench]
fn over_the_budget(bencher: divan::Bencher) {
    let mut resources = serde_json::Map::new();
    for index in 0..6 {
        resources.insert(
            format!("B{index}"),
            json!({"Type": "AWS::S3::Bucket", "Properties": {
                "Tags": {"Fn::Split": [",", {"Ref": "Many"}]}, "BucketName": {"Ref": "Name"}}}),
        );
    }
    let template = json!({
        "Parameters": {"Many": {"Type": "String", "Default": ",".repeat(300_000)},
            "Name": {"Type": "String", "Default": "a"}},
        "Resources": resources,
    });
    bencher.bench(|| run(&template, &[], &[("Name", "b")]));
}
