//! Every broken racks.toml in tests/bad-input is a clear error with a location, and exit 1.

use crate::common::{rackfile, repo_root, run, snapshot_settings};

#[test]
fn each_broken_file_is_reported_with_its_location_and_exit_1() {
    snapshot_settings().bind(|| {
        insta::glob!("../bad-input", "*.toml", |path| {
            let name = path.file_name().unwrap().to_str().unwrap();
            let output = run(rackfile(path.parent().unwrap()).args(["validate", "-f", name]));
            assert_eq!(output.code, 1, "{name}: {}", output.stderr);
            assert!(
                output.stdout.is_empty(),
                "{name} printed to stdout: {}",
                output.stdout
            );
            assert!(
                output.stderr.contains(&format!("{name}:")),
                "{name}: the error names no location:\n{}",
                output.stderr
            );
            insta::assert_snapshot!(output.snapshot());
        });
    });
}

#[test]
fn a_missing_file_is_an_error_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(rackfile(dir.path()).arg("validate"));
    assert_eq!(output.code, 1);
    snapshot_settings().bind(|| insta::assert_snapshot!(output.snapshot()));
}

#[test]
fn a_template_over_the_inline_limit_says_to_host_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.yml"), "#".repeat(51_201)).unwrap();
    std::fs::write(dir.path().join("just-right.yml"), "#".repeat(51_200)).unwrap();
    std::fs::write(
        dir.path().join("racks.toml"),
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n\n[org.personal]\n\n\
         [[rack]]\nname = \"big\"\ntemplate = \"big.yml\"\n\n[[rack]]\nname = \"fits\"\ntemplate = \"just-right.yml\"\n",
    )
    .unwrap();
    let output = run(rackfile(dir.path()).arg("validate"));
    assert_eq!(output.code, 1);
    snapshot_settings().bind(|| insta::assert_snapshot!(output.snapshot()));
}

#[test]
fn the_corpus_covers_every_case_the_foundation_promises() {
    let corpus = repo_root().join("tests/bad-input");
    for case in [
        "syntax-error",
        "unknown-key",
        "wrong-type",
        "instance-count-too-small",
        "no-version",
        "undeclared-org",
        "duplicate-rack",
        "invalid-name",
        "template-and-url",
        "typed-setting-in-parameters",
        "password-in-parameters",
        "missing-template",
        "not-utf8",
        "many-errors",
        "rollout",
        "rollout-rack-in-no-wave",
    ] {
        assert!(
            corpus.join(format!("{case}.toml")).is_file(),
            "no corpus file for {case}"
        );
    }
}

/// Every input the fuzzer kept (fuzz/corpus, seeded from examples/ and tests/bad-input/) loads or is
/// refused with a rendered error: the fuzzer's findings stay fixed without running the fuzzer.
#[test]
fn every_fuzz_corpus_input_loads_or_is_refused_without_a_panic() {
    let corpus = repo_root().join("fuzz/corpus/racks_toml");
    let mut checked = 0;
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        let path = std::path::Path::new("/nonexistent/racks.toml");
        if let Err(error) = rackfile::config::parse(path, text, String::new()) {
            // Every refusal names the file, and every located problem its line and column there.
            let rendered = error.render();
            assert!(rendered.contains("/nonexistent/racks.toml"), "{rendered}");
            if let rackfile::config::LoadError::Invalid { diagnostics, .. } = &error {
                let located = diagnostics.iter().filter(|d| d.span.is_some()).count();
                let drawn = rendered.matches("/nonexistent/racks.toml:").count();
                assert!(
                    drawn >= located,
                    "{located} located, {drawn} drawn:\n{rendered}"
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} corpus inputs");
}
