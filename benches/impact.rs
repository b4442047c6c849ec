//! The impact analysis on the largest template at hand: Convox's own rack template of release
//! 20260421192651 (110 parameters, 148 resources, tests/templates). Each case is one `analyse` of the whole
//! template before and after a change; a planned update runs one for the rack and one per changed parameter.
//!
//!     cargo bench --bench impact

use std::collections::BTreeMap;

use rackfile::template::{Pseudo, StackTemplate, analyse, parse_document};
use serde_json::Value;

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
