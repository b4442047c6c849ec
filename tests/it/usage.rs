//! The slips of people who come from Terraform and stack_master: each gets a hint that says what to type,
//! and exit 1 as every usage error (never 2, which `plan --detailed-exitcode` means as "changes").

use std::time::Duration;

use crate::common::{rackfile, run};
use crate::fake_harness::{Harness, RACK_RESOURCES, console};
use rackfile::render::RenderError as _;

fn in_empty_dir(arguments: &[&str]) -> crate::common::Output {
    let dir = tempfile::tempdir().unwrap();
    run(rackfile(dir.path()).args(arguments))
}

#[test]
fn a_long_flag_with_one_dash_suggests_two() {
    for (arguments, hint) in [
        (
            &["apply", "-auto-approve"][..],
            "hint: rackfile's long flags take two dashes: write --auto-approve (Terraform's `-auto-approve`)",
        ),
        (
            &["plan", "-detailed-exitcode"][..],
            "hint: rackfile's long flags take two dashes: write --detailed-exitcode",
        ),
        (
            &["plan", "-target=personal/web"][..],
            "hint: rackfile's long flags take two dashes: write --target=personal/web",
        ),
    ] {
        let output = in_empty_dir(arguments);
        assert_eq!(output.code, 1, "{arguments:?}: {}", output.stderr);
        assert!(
            output.stderr.contains(hint),
            "{arguments:?}: {}",
            output.stderr
        );
    }
}

#[test]
fn an_approval_value_after_a_space_says_to_write_equals() {
    let output = in_empty_dir(&["plan", "--detailed-exitcode", "in-place"]);
    assert_eq!(output.code, 1, "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("hint: write --detailed-exitcode=in-place (the value needs `=`)"),
        "{}",
        output.stderr
    );
    // clap takes `in-place` as apply's saved plan: refused before any file is read.
    let output = in_empty_dir(&["apply", "--auto-approve", "in-place"]);
    assert_eq!(output.code, 1, "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("`in-place` was read as a saved plan's file name"),
        "{}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains("write --auto-approve=in-place (the value needs `=`)"),
        "{}",
        output.stderr
    );
    // The same flags written right are not hinted at.
    let output = in_empty_dir(&["plan", "--detailed-exitcode=in-place", "--nope"]);
    assert_eq!(output.code, 1);
    assert!(!output.stderr.contains("hint: write"), "{}", output.stderr);
}

#[tokio::test(start_paused = true)]
async fn y_at_the_prompt_says_to_type_yes_and_changes_nothing() {
    let harness = Harness::with_rack_template(Duration::from_secs(1), &RACK_RESOURCES);
    harness.declare(
        "version = \"20161102160040\"",
        "[[rack]]\nname = \"web\"\ntemplate_url = \"https://templates.example.com/rack.json\"\npassword_env = \"P\"\n",
    );
    let mut options = harness.options();
    options.auto_approve = None;
    let (mut prompt, buffer) = console();
    prompt.interactive = true;
    prompt.env = Box::new(|name| (name == "P").then(|| "password".to_string()));
    prompt.read_answer = Box::new(|| Some("y\n".into()));
    let (_sender, cancel) = tokio::sync::watch::channel(0);
    let (result, printed) = harness.run(&options, (prompt, buffer), cancel).await;
    let error = result.expect_err("`y` does not approve");
    assert_eq!(error.exit_code(), 1);
    let rendered = error.render();
    assert!(
        rendered.contains("apply cancelled; nothing was changed"),
        "{rendered}"
    );
    assert!(
        rendered.contains("only `yes` approves (you typed `y`): type yes to apply"),
        "{printed}{rendered}"
    );
    assert!(harness.stack("web").is_none(), "{printed}");
}
