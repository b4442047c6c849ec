//! `rackfile show PLANFILE`: a saved plan printed again from the file alone, exactly as `plan --out` printed
//! it, in each format, with no AWS to talk to.

use crate::common::{rackfile, run};
use crate::moto;
use crate::plan::seed_world;

#[test]
fn show_prints_a_saved_plan_exactly_as_plan_did_in_every_format_without_aws() {
    let moto = moto::session();
    seed_world(&moto);
    for format in ["human", "json", "markdown"] {
        let planned =
            run(moto
                .rackfile()
                .args(["plan", "--out", "saved.plan", "--format", format]));
        assert_eq!(planned.code, 0, "{format}: {}", planned.stderr);
        let printed = planned
            .stdout
            .strip_suffix(
                "\nSaved the plan to saved.plan. Apply exactly this plan with: rackfile apply saved.plan\n",
            )
            .unwrap_or(&planned.stdout);
        // No endpoint, no credentials: a show that called AWS would fail here.
        let shown = run(rackfile(moto.path()).args(["show", "saved.plan", "--format", format]));
        assert_eq!(shown.code, 0, "{format}: {}", shown.stderr);
        assert_eq!(shown.stdout, printed, "{format}");
        assert_eq!(shown.stderr, "", "{format}");
    }
    assert!(
        run(rackfile(moto.path()).args(["show", "saved.plan"]))
            .stdout
            .contains("personal/example")
    );
}

#[test]
fn show_of_a_file_that_is_no_plan_names_it_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("racks.toml"), "[defaults]\n").unwrap();
    let output = run(rackfile(dir.path()).args(["show", "racks.toml"]));
    insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: cannot use the saved plan racks.toml: not a saved plan: expected value at line 1 column 2
        "#);
    let json = run(rackfile(dir.path()).args(["show", "missing.plan", "--json"]));
    assert_eq!(json.code, 1);
    let error: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(
        error["error"].to_string().contains("missing.plan"),
        "{error}"
    );
}
