//! The module graph of src/ (DESIGN.md section 5): which top-level module's code names which through
//! `crate::`, outside test modules. Dependencies point one way: no cycle, and the command line never reaches
//! into the commands.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::repo_root;

fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let src = repo_root().join("src");
    let mut files = Vec::new();
    collect(&src, &mut files);
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "main" || top == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for name in crate_modules_named(code) {
            if name != top {
                edges.entry(top.clone()).or_default().insert(name);
            }
        }
    }
    edges
}

/// The top-level modules `code` names through `crate::`, in paths (`crate::plan::Plan`) and in groups
/// (`use crate::{config, plan::{Plan, diff}}` names config and plan).
fn crate_modules_named(code: &str) -> BTreeSet<String> {
    let ident = |text: &str| -> String {
        text.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect()
    };
    let mut names = BTreeSet::new();
    for (index, _) in code.match_indices("crate::") {
        let rest = &code[index + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The group's top-level entries: split at commas outside nested braces.
            let mut depth = 0;
            let mut entry_start = 0;
            for (at, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        names.insert(ident(&group[entry_start..at]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.insert(ident(&group[entry_start..at]));
                        entry_start = at + 1;
                    }
                    _ => {}
                }
            }
        } else {
            names.insert(ident(rest));
        }
    }
    names.remove("");
    names
}

#[test]
fn the_module_graph_sees_paths_and_use_groups() {
    let code = "use crate::{config, plan::{Plan, diff}};\nfn f() { crate::live::read(); }\n";
    assert_eq!(
        crate_modules_named(code),
        BTreeSet::from(["config".into(), "live".into(), "plan".into()])
    );
    // Groups in the real tree: status reads the live state through one.
    assert!(module_graph()["commands"].contains("status"));
}

fn collect(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// A cycle through `from`, if there is one.
fn cycle(
    edges: &BTreeMap<String, BTreeSet<String>>,
    from: &str,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    if let Some(start) = path.iter().position(|m| m == from) {
        let mut found = path[start..].to_vec();
        found.push(from.to_string());
        return Some(found);
    }
    path.push(from.to_string());
    for next in edges.get(from).into_iter().flatten() {
        if let Some(found) = cycle(edges, next, path) {
            return Some(found);
        }
    }
    path.pop();
    None
}

#[test]
fn dependencies_point_one_way() {
    let edges = module_graph();
    for module in edges.keys() {
        if let Some(found) = cycle(&edges, module, &mut Vec::new()) {
            panic!("a cycle: {}\n{edges:#?}", found.join(" -> "));
        }
    }
    assert!(
        !edges["cli"].contains("commands"),
        "cli builds plain options; it must not reach into commands: {:?}",
        edges["cli"]
    );
    for low in [
        "config", "cloud", "plan", "apply", "live", "template", "convox",
    ] {
        assert!(
            !edges
                .get(low)
                .is_some_and(|to| to.contains("commands") || to.contains("cli")),
            "{low} depends on a command: {:?}",
            edges[low]
        );
    }
}

/// The methods of a trait of src/cloud/mod.rs, read from its declaration.
fn trait_methods(trait_name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo_root().join("src/cloud/mod.rs")).unwrap();
    let start = text
        .find(&format!("pub trait {trait_name}"))
        .unwrap_or_else(|| panic!("no trait {trait_name}"));
    let body = &text[start..];
    let body = &body[..body.find("\n}\n").unwrap()];
    body.match_indices("fn ")
        .map(|(index, _)| {
            body[index + 3..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn no_command_reads_or_writes_aws_itself() {
    let mut methods = trait_methods("Cloud");
    methods.extend(trait_methods("Connector"));
    assert!(
        methods.contains(&"describe_stacks".to_string())
            && methods.contains(&"ssm_parameter".to_string()),
        "{methods:?}"
    );
    let mut files = Vec::new();
    collect(&repo_root().join("src/commands"), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for method in &methods {
            assert!(
                !code.contains(&format!(".{method}(")),
                "{} calls `{method}` of the cloud traits; reads belong in live, writes in apply",
                file.display()
            );
        }
    }
}

/// A script that builds rackfile runs the binary cargo built, wherever `CARGO_TARGET_DIR` puts it: a
/// hard-coded `target/debug/rackfile` runs a stale binary, or none, when the variable is set.
#[test]
fn scripts_run_the_binary_where_cargo_target_dir_puts_it() {
    let scripts = repo_root().join("scripts");
    let mut checked = 0;
    for entry in std::fs::read_dir(&scripts).unwrap() {
        let path = entry.unwrap().path();
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if !text.contains("cargo build") {
            continue;
        }
        checked += 1;
        for profile in ["debug", "release"] {
            assert!(
                !text.contains(&format!("target/{profile}/rackfile")),
                "{} runs target/{profile}/rackfile, ignoring CARGO_TARGET_DIR",
                path.display()
            );
        }
        assert!(
            text.contains("${CARGO_TARGET_DIR:-"),
            "{} builds rackfile but never reads CARGO_TARGET_DIR",
            path.display()
        );
    }
    assert!(checked >= 1, "no script builds rackfile");
}
