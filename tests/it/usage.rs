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
    let outputs: Vec<String> = [
        &["apply", "-auto-approve"][..],
        &["plan", "-detailed-exitcode"],
        &["plan", "-target=personal/web"],
    ]
    .iter()
    .map(|arguments| {
        format!(
            "$ rackfile {}\n{}",
            arguments.join(" "),
            in_empty_dir(arguments).snapshot()
        )
    })
    .collect();
    insta::assert_snapshot!(outputs.join("\n"), @r#"
        $ rackfile apply -auto-approve
        exit: 1
        --- stdout
        --- stderr
        error: unexpected argument '-a' found

          tip: to pass '-a' as a value, use '-- -a'

        Usage: rackfile apply [OPTIONS] [PLANFILE]

        For more information, try '--help'.

        hint: rackfile's long flags take two dashes: write --auto-approve (Terraform's `-auto-approve`)

        $ rackfile plan -detailed-exitcode
        exit: 1
        --- stdout
        --- stderr
        error: unexpected argument '-d' found

        Usage: rackfile plan [OPTIONS]

        For more information, try '--help'.

        hint: rackfile's long flags take two dashes: write --detailed-exitcode (Terraform's `-detailed-exitcode`)

        $ rackfile plan -target=personal/web
        exit: 1
        --- stdout
        --- stderr
        error: unexpected argument '-t' found

        Usage: rackfile plan [OPTIONS]

        For more information, try '--help'.

        hint: rackfile's long flags take two dashes: write --target=personal/web (Terraform's `-target=personal/web`)
        "#);
}

#[test]
fn an_approval_value_after_a_space_says_to_write_equals() {
    let output = in_empty_dir(&["plan", "--detailed-exitcode", "in-place"]);
    insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: unexpected argument 'in-place' found

        Usage: rackfile plan [OPTIONS]

        For more information, try '--help'.

        hint: write --detailed-exitcode=in-place (the value needs `=`)
        "#);
    // clap takes `in-place` as apply's saved plan: refused before any file is read.
    let output = in_empty_dir(&["apply", "--auto-approve", "in-place"]);
    insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: `--auto-approve in-place`: `in-place` was read as a saved plan's file name, not as --auto-approve's value
           = help: write --auto-approve=in-place (the value needs `=`)
        "#);
    // The same flags written right are not hinted at.
    let output = in_empty_dir(&["plan", "--detailed-exitcode=in-place", "--nope"]);
    insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: unexpected argument '--nope' found

        Usage: rackfile plan --detailed-exitcode[=<WHICH>]

        For more information, try '--help'.
        "#);
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
    let rendered = format!("exit: {}\n{}", error.exit_code(), error.render());
    insta::assert_snapshot!(rendered, @r#"
        exit: 1
        error: apply cancelled; nothing was changed
           = help: only `yes` approves (you typed `y`): type yes to apply
        "#);
    assert!(harness.stack("web").is_none(), "{printed}");
}
