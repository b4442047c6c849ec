//! The module graph of src/ (DESIGN.md section 5): which top-level module's code names which through
//! `crate::`, outside test items (whole files are read; only the `#[cfg(test)]` items are left out).
//! Dependencies point one way, in DESIGN's order: each module has a layer and names only lower layers.

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
        let code = without_test_items(&text);
        for name in crate_modules_named(&code) {
            if name != top {
                edges.entry(top.clone()).or_default().insert(name);
            }
        }
    }
    edges
}

/// `text` without its `#[cfg(test)]` items (test modules, test-only functions and `use`s). Braces are matched
/// outside strings, characters and comments: test modules hold JSON templates in raw strings, whose braces
/// would otherwise end the module early and let test-only dependencies into the graph.
fn without_test_items(text: &str) -> String {
    const MARK: &str = "#[cfg(test)]";
    let mut kept = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(MARK) {
        kept.push_str(&rest[..at]);
        let item = &rest[at + MARK.len()..];
        rest = &item[item_len(item)..];
    }
    kept.push_str(rest);
    kept
}

/// The length of the item `code` starts with: to its first `;` outside braces, or to its closing brace.
fn item_len(code: &str) -> usize {
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut depth = 0usize;
    let mut at = 0;
    while at < bytes.len() {
        let rest = &code[at..];
        let skip = match bytes[at] {
            b'/' if rest.starts_with("//") => rest.find('\n').unwrap_or(rest.len()),
            b'/' if rest.starts_with("/*") => rest.find("*/").map_or(rest.len(), |end| end + 2),
            b'"' => quoted_len(rest),
            b'r' if at == 0 || !is_ident(bytes[at - 1]) => raw_string_len(rest).unwrap_or(1),
            b'\'' => char_literal_len(rest).unwrap_or(1),
            b'{' => {
                depth += 1;
                1
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return at + 1;
                }
                1
            }
            b';' if depth == 0 => return at + 1,
            _ => 1,
        };
        at += skip;
    }
    code.len()
}

/// The length of the `"..."` string `code` starts with, escapes included.
fn quoted_len(code: &str) -> usize {
    let mut escaped = false;
    for (at, c) in code.char_indices().skip(1) {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return at + 1,
            _ => escaped = false,
        }
    }
    code.len()
}

/// The length of the raw string (`r"..."`, `r#"..."#`) `code` starts with, if it starts with one.
fn raw_string_len(code: &str) -> Option<usize> {
    let hashes = code[1..].bytes().take_while(|b| *b == b'#').count();
    let body = code[1 + hashes..].strip_prefix('"')?;
    let close = format!("\"{}", "#".repeat(hashes));
    let end = body.find(&close)?;
    Some(1 + hashes + 1 + end + close.len())
}

/// The length of the character literal (`'{'`, `'\''`, `'\u{7b}'`) `code` starts with; None for a lifetime.
fn char_literal_len(code: &str) -> Option<usize> {
    let body = &code[1..];
    if let Some(escape) = body.strip_prefix('\\') {
        let close = escape[1..].find('\'')?;
        return Some(1 + 1 + 1 + close + 1);
    }
    let c = body.chars().next()?;
    body[c.len_utf8()..]
        .starts_with('\'')
        .then(|| 1 + c.len_utf8() + 1)
}

/// The top-level modules `code` names through `crate::`, in paths (`crate::plan::Plan`) and in groups
/// (`use crate::{config, plan::{Plan, diff}}` names config and plan).
fn crate_modules_named(code: &str) -> BTreeSet<String> {
    modules_named(code, "crate::")
}

/// The modules `code` names through `prefix` (`crate::`, `super::`), in paths and in groups.
fn modules_named(code: &str, prefix: &str) -> BTreeSet<String> {
    names_after(code, prefix, |c| c.is_ascii_lowercase() || c == '_')
}

/// The names `code` takes through `prefix`, in paths and in groups, each made of the characters `part`
/// takes: modules (lowercase) or any item (a type a `mod.rs` re-exports).
fn names_after(code: &str, prefix: &str, part: fn(char) -> bool) -> BTreeSet<String> {
    let ident =
        |text: &str| -> String { text.trim_start().chars().take_while(|c| part(*c)).collect() };
    let mut names = BTreeSet::new();
    for (index, _) in code.match_indices(prefix) {
        let rest = &code[index + prefix.len()..];
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
    assert!(module_graph()["cli"].contains("status"));
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

/// DESIGN.md section 5's order, lowest layer first: a module names only modules of lower layers
/// (main -> cli -> (apply, render) -> plan -> (live, template, convox) -> cloud -> config). The modules
/// DESIGN does not name sit where what they use puts them.
const LAYERS: &[&[&str]] = &[
    &["diag", "atomic_file", "outcome"],
    &["config"],
    &["cloud", "template_cache"],
    &["convox", "template"],
    &["live", "import", "permissions"],
    &["plan", "status"],
    &["history"],
    &["error", "doctor"],
    &["output"],
    // The apply views (`render::apply`) word what the executor reports: render sits above apply.
    &["apply"],
    &["render"],
    // The command line: clap derive, the checked options, and one file per command (`cli/commands/`).
    &["cli"],
];

/// Where the code still goes against DESIGN's order (issue 34: views own every sentence, so neither apply nor
/// error names render). Each must still be needed: one that is gone is struck from this list.
const KNOWN_EXCEPTIONS: &[(&str, &str)] = &[];

fn layer_of(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|layer| layer.contains(&module))
        .unwrap_or_else(|| {
            panic!("src/{module} has no layer in LAYERS: give it one (DESIGN.md section 5)")
        })
}

#[test]
fn dependencies_point_down_designs_layers() {
    let edges = module_graph();
    let mut against = Vec::new();
    for (from, names) in &edges {
        for to in names {
            if layer_of(to) >= layer_of(from)
                && !KNOWN_EXCEPTIONS.contains(&(from.as_str(), to.as_str()))
            {
                against.push(format!("{from} -> {to}"));
            }
        }
    }
    assert!(
        against.is_empty(),
        "against DESIGN's order: {against:?}\n{edges:#?}"
    );
    for (from, to) in KNOWN_EXCEPTIONS {
        assert!(
            edges.get(*from).is_some_and(|names| names.contains(*to)),
            "{from} no longer names {to}: strike it from KNOWN_EXCEPTIONS"
        );
    }
}

#[test]
fn test_items_are_left_out_whole_and_only_they() {
    let text = r##"use crate::config;
#[cfg(test)]
use crate::render;
fn f() {}
#[cfg(test)]
mod tests {
    const JSON: &str = r#"{"a": "}"}
}"#;
    fn g() { let _ = ('}', '\'', "}\"}"); crate::render::x(); }
}
fn h<'a>(x: &'a str) { crate::live::read(x) }
"##;
    let code = without_test_items(text);
    assert_eq!(
        crate_modules_named(&code),
        BTreeSet::from(["config".into(), "live".into()]),
        "{code}"
    );
    assert!(
        code.contains("fn f()") && code.contains("fn h<'a>"),
        "{code}"
    );
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
    collect(&repo_root().join("src/cli/commands"), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let code = without_test_items(&text);
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

/// The release profile builds every AWS SDK crate at opt-level 0 (Cargo.toml says why): a new SDK crate
/// left at opt-level 3 would add minutes to every clean release build.
#[test]
fn every_sdk_crate_is_built_at_the_release_profiles_lower_opt_level() {
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap()).unwrap();
    let packages = &manifest["profile"]["release"]["package"];
    let sdk_crates: Vec<&String> = manifest["dependencies"]
        .as_table()
        .unwrap()
        .keys()
        .filter(|name| name.starts_with("aws-sdk-"))
        .collect();
    // The manifest was read: the SDK crates rackfile keeps (CloudFormation, most of what it calls; S3;
    // STS, which aws-config needs) are there.
    for kept in ["aws-sdk-cloudformation", "aws-sdk-s3", "aws-sdk-sts"] {
        assert!(
            sdk_crates.iter().any(|name| name.as_str() == kept),
            "{sdk_crates:?}"
        );
    }
    for name in sdk_crates {
        assert_eq!(
            packages
                .get(name.as_str())
                .and_then(|package| package.get("opt-level"))
                .and_then(|level| level.as_integer()),
            Some(0),
            "{name} has no [profile.release.package.{name}] opt-level = 0"
        );
    }
}

/// Within each module directory, which file names which of its siblings (`super::x`, or `crate::dir::x`),
/// outside test items: `dir -> file -> siblings`.
fn sibling_graphs() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let src = repo_root().join("src");
    let mut files = Vec::new();
    collect(&src, &mut files);
    let mut graphs: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let Some(dir) = relative.parent().filter(|dir| !dir.as_os_str().is_empty()) else {
            continue;
        };
        let stem = file.file_stem().unwrap().to_string_lossy().to_string();
        if stem == "mod" {
            continue;
        }
        let siblings: BTreeSet<String> = files
            .iter()
            .filter(|other| other.parent() == file.parent())
            .map(|other| other.file_stem().unwrap().to_string_lossy().to_string())
            .filter(|name| name != "mod")
            .chain(
                // A sibling directory module (`dir/x/mod.rs`) is a sibling too.
                std::fs::read_dir(file.parent().unwrap())
                    .unwrap()
                    .map(|entry| entry.unwrap().path())
                    .filter(|path| path.join("mod.rs").exists())
                    .map(|path| path.file_name().unwrap().to_string_lossy().to_string()),
            )
            .collect();
        let code = without_test_items(&std::fs::read_to_string(file).unwrap());
        let dir_path = format!("crate::{}::", dir.to_string_lossy().replace('/', "::"));
        let reexported = reexports(&file.parent().unwrap().join("mod.rs"));
        let item = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let named: BTreeSet<String> = names_after(&code, "super::", item)
            .into_iter()
            .chain(names_after(&code, &dir_path, item))
            .filter_map(|name| {
                if siblings.contains(&name) {
                    Some(name)
                } else {
                    reexported.get(&name).cloned()
                }
            })
            .filter(|name| *name != stem)
            .collect();
        graphs
            .entry(dir.to_string_lossy().to_string())
            .or_default()
            .insert(stem, named);
    }
    graphs
}

/// The items a directory's `mod.rs` re-exports (`pub use file::{A, B}`, `pub use file::A`), each with the
/// file it comes from: `use super::A` in a sibling names that file.
fn reexports(mod_rs: &Path) -> BTreeMap<String, String> {
    let Ok(text) = std::fs::read_to_string(mod_rs) else {
        return BTreeMap::new();
    };
    let mut items = BTreeMap::new();
    for statement in text.split(';') {
        let Some(at) = statement.find("pub use ") else {
            continue;
        };
        let path = statement[at + "pub use ".len()..].trim();
        let Some((file, rest)) = path.split_once("::") else {
            continue;
        };
        let names = rest.trim().trim_start_matches('{').trim_end_matches('}');
        for name in names.split(',') {
            let name = name.trim();
            if !name.is_empty() && !name.contains("::") && !name.contains(' ') {
                items.insert(name.to_string(), file.trim().to_string());
            }
        }
    }
    items
}

/// The files of one graph that reach themselves again, each cycle as its sorted members.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<Vec<String>> {
    let reaches = |from: &String| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut next: Vec<&String> = graph.get(from).into_iter().flatten().collect();
        while let Some(at) = next.pop() {
            if seen.insert(at.clone()) {
                next.extend(graph.get(at).into_iter().flatten());
            }
        }
        seen
    };
    let reached: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|file| (file, reaches(file))).collect();
    graph
        .keys()
        .filter(|file| reached[file].contains(*file))
        .map(|file| {
            let mut members: Vec<String> = graph
                .keys()
                .filter(|other| reached[file].contains(*other) && reached[other].contains(file))
                .cloned()
                .collect();
            members.sort();
            members
        })
        .collect()
}

/// Import cycles among a module's files still there, each to be struck when it goes (issue 34 ended the
/// cycle among apply's drive, follow and cancel, the ones through apply's context, and template's among
/// the analysis, its forced re-run and the update policies).
const KNOWN_FILE_CYCLES: &[(&str, &[&str])] = &[];

/// Files of one module name each other one way: an effect names the context and the effects it runs, never
/// the driver; a view names the words it uses, never the view that uses it.
#[test]
fn no_files_of_a_module_name_each_other_in_a_circle() {
    let graphs = sibling_graphs();
    assert!(
        graphs["apply"]["drive"].contains("update"),
        "the graph sees apply's driver name its effects: {:?}",
        graphs["apply"]
    );
    assert!(
        graphs["apply"]["reporter"].contains("outcome"),
        "the graph sees a name apply/mod.rs re-exports (`use super::RackOutcome`) as its file: {:?}",
        graphs["apply"]
    );
    let mut found = Vec::new();
    for (dir, graph) in &graphs {
        for cycle in cycles(graph) {
            let known = KNOWN_FILE_CYCLES
                .iter()
                .any(|(known_dir, members)| known_dir == dir && *members == cycle.as_slice());
            if !known {
                found.push(format!("src/{dir}: {}", cycle.join(" <-> ")));
            }
        }
    }
    assert!(found.is_empty(), "import cycles among files: {found:#?}");
    for (dir, members) in KNOWN_FILE_CYCLES {
        let members: Vec<String> = members.iter().map(|m| m.to_string()).collect();
        assert!(
            cycles(&graphs[*dir]).contains(&members),
            "src/{dir}: {members:?} is no longer a cycle: strike it from KNOWN_FILE_CYCLES"
        );
    }
}

#[test]
fn a_cycle_is_found_through_a_third_file() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(file, names)| {
        (
            file.to_string(),
            names.into_iter().map(str::to_string).collect(),
        )
    })
    .collect();
    assert_eq!(
        cycles(&graph),
        BTreeSet::from([vec!["a".to_string(), "b".to_string(), "c".to_string()]])
    );
}
