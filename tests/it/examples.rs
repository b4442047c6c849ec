//! Every racks.toml under examples/ is valid.

use crate::common::{rackfile, repo_root, run};

#[test]
fn every_example_validates() {
    let examples = repo_root().join("examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let output = run(rackfile(&examples).arg("validate").arg("-f").arg(&path));
            assert_eq!(output.code, 0, "{}: {}", path.display(), output.stderr);
            assert!(output.stdout.contains("is valid"), "{}", output.stdout);
            checked += 1;
        }
    }
    assert!(checked > 0, "no examples found");
}

#[test]
fn the_example_file_points_editors_at_the_schema() {
    let text = std::fs::read_to_string(repo_root().join("examples/racks.toml")).unwrap();
    assert!(text.starts_with("#:schema ../schema/racks.schema.json\n"));
}

/// The CI workflow example only uses flags rackfile has: each `rackfile ...` command in it parses.
#[test]
fn the_github_actions_example_runs_real_commands() {
    use clap::Parser;
    let workflow =
        std::fs::read_to_string(repo_root().join("examples/github-actions.yml")).unwrap();
    let commands: Vec<&str> = workflow
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let line = line.strip_prefix("run: ").unwrap_or(line);
            line.starts_with("rackfile ").then_some(line)
        })
        .collect();
    assert!(commands.len() >= 4, "{commands:?}");
    for command in &commands {
        let words = command
            .split(" >")
            .next()
            .unwrap()
            .split_whitespace()
            .filter(|w| !w.starts_with("2>"));
        if let Err(error) = rackfile::cli::Cli::try_parse_from(words) {
            panic!("{command}: {error}");
        }
    }
    assert!(workflow.contains("rackfile plan --detailed-exitcode=in-place"));
    assert!(workflow.contains("rackfile apply --auto-approve=in-place --json"));
    let parsed: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&workflow).expect("the workflow is YAML");
    assert!(
        parsed["jobs"]["approve-held"]["environment"].as_str() == Some("racks-approval"),
        "held racks wait for a person in their own environment"
    );
}
