//! The checked-in schema is exactly what `rackfile schema` prints.

use crate::common::{rackfile, repo_root, run};

#[test]
fn checked_in_schema_is_current() {
    let output = run(rackfile(&repo_root()).arg("schema"));
    assert_eq!(output.code, 0, "{}", output.stderr);
    let checked_in = std::fs::read_to_string(repo_root().join("schema/racks.schema.json")).unwrap();
    assert!(
        checked_in == output.stdout,
        "schema/racks.schema.json is stale: run `cargo run -- schema > schema/racks.schema.json`"
    );
}

#[test]
fn schema_describes_every_rack_key() {
    let output = run(rackfile(&repo_root()).arg("schema"));
    let schema: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    let rack = &schema["$defs"]["RackEntry"]["properties"];
    for key in [
        "org",
        "name",
        "region",
        "version",
        "instance_type",
        "instance_count",
        "private",
        "template",
        "template_url",
        "password_env",
        "parameters",
        "tags",
    ] {
        assert!(rack.get(key).is_some(), "schema lacks rack key {key}");
    }
    assert_eq!(schema["$defs"]["RackEntry"]["additionalProperties"], false);
}

#[test]
fn completions_are_generated_for_bash() {
    let output = run(rackfile(&repo_root()).args(["completions", "bash"]));
    assert_eq!(output.code, 0);
    assert!(output.stdout.contains("rackfile"));
    assert!(output.stdout.contains("validate"));
}
