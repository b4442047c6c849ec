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
