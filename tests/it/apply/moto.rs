//! `rackfile apply` against moto: installs in two regions (local template and the default template URL
//! served from moto's S3), a clean second plan, an idle second apply, saved plans applied exactly and
//! refused when stale, a version upgrade switching the template, and passwords.

use crate::common::{run, snapshot_settings};
use crate::moto::{self, MotoSession, PERSONAL_ACCOUNT, WORK_ACCOUNT};

/// The racks of this module's tests, in the two orgs of `moto::TWO_ORGS`.
const RACK_ENTRIES: &str = r#"
[[rack]]
name = "example"

[[rack]]
org = "work"
name = "staging"
region = "eu-west-1"
private = true
template = "rack.yml"
password_env = "STAGING_PASSWORD"

[rack.parameters]
Autoscale = "Yes"

[rack.tags]
team = "platform"
"#;

fn racks() -> String {
    format!("{}{RACK_ENTRIES}", moto::TWO_ORGS)
}

fn setup() -> MotoSession {
    let moto = moto::session();
    moto.write("racks.toml", &racks());
    moto.write("rack.yml", &moto::rack_template());
    moto.publish_template(PERSONAL_ACCOUNT, "20161102160040", &moto::rack_template());
    moto
}

/// Live parameters of a stack, as JSON.
fn live_parameters(
    moto: &MotoSession,
    account: &str,
    region: &str,
    name: &str,
) -> serde_json::Value {
    let text = moto.python(&format!(
        "s = client('cloudformation', region='{region}', account='{account}').describe_stacks(StackName='{name}')['Stacks'][0]\n\
         print(json.dumps({{p['ParameterKey']: p['ParameterValue'] for p in s['Parameters']}}))\n"
    ));
    serde_json::from_str(&text).unwrap()
}

fn generated_password(output: &str, rack: &str) -> String {
    let marker = format!("Password for {rack} (shown only this once; store it now): ");
    output
        .lines()
        .find_map(|line| line.strip_prefix(&marker))
        .unwrap_or_else(|| panic!("no password printed for {rack}:\n{output}"))
        .to_string()
}

#[test]
fn apply_installs_in_two_regions_then_plan_is_clean_and_apply_does_nothing() {
    let moto = setup();
    let output = run(moto
        .rackfile()
        .args(["apply", "--auto-approve"])
        .env("STAGING_PASSWORD", "staging-secret-1"));
    assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
    assert!(
        output
            .stdout
            .contains("Apply complete: 2 installed, 0 updated, 0 failed."),
        "{}",
        output.stdout
    );

    let example = live_parameters(&moto, PERSONAL_ACCOUNT, "us-east-1", "example");
    assert_eq!(
        example["Password"],
        generated_password(&output.stdout, "personal/example")
    );
    assert_eq!(example["InstanceCount"], "3");
    let staging = live_parameters(&moto, WORK_ACCOUNT, "eu-west-1", "staging");
    assert_eq!(
        staging["Password"], "staging-secret-1",
        "the password comes from password_env"
    );
    assert_eq!(staging["Private"], "Yes");
    assert_eq!(staging["Autoscale"], "Yes");
    assert!(
        !output.stdout.contains("Password for work/staging"),
        "an env password is never printed"
    );

    let plan = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    assert_eq!(plan.code, 0, "a second plan has changes:\n{}", plan.stdout);
    assert!(
        plan.stdout
            .ends_with("Plan: 0 to install, 0 to update, 2 unchanged, 0 blocked.\n")
    );

    let again = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again
            .stdout
            .ends_with("No changes. The racks match racks.toml.\n"),
        "{}",
        again.stdout
    );
}

#[test]
fn apply_without_a_terminal_refuses_unless_auto_approved_and_changes_nothing() {
    let moto = setup();
    let output = run(moto.rackfile().arg("apply").env("STAGING_PASSWORD", "x"));
    assert_eq!(output.code, 1);
    assert!(
        output
            .stderr
            .contains("stdin is not a terminal; nothing was changed"),
        "{}",
        output.stderr
    );
    let plan = run(moto
        .rackfile()
        .args(["plan", "--json"])
        .env("STAGING_PASSWORD", "x"));
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(plan["summary"]["install"], 2, "something was installed");
}

/// An unset or empty `password_env` is refused at plan time, naming the rack and its racks.toml line,
/// before anything is installed; plan and doctor say the same. The value is never printed.
#[test]
fn a_missing_or_empty_password_env_is_refused_at_plan_time_and_nothing_is_installed() {
    let moto = setup();
    for value in [None, Some(""), Some(&*"p".repeat(51))] {
        let mut command = moto.rackfile();
        command.args(["apply", "--auto-approve"]);
        if let Some(value) = value {
            command.env("STAGING_PASSWORD", value);
        }
        let output = run(&mut command);
        assert_eq!(output.code, 1, "{value:?}: {}", output.stdout);
        let expected = match value {
            Some(long) if !long.is_empty() => {
                "work/staging: the password in $STAGING_PASSWORD is refused by the template's MaxLength of Password"
            }
            _ => {
                "work/staging: `password_env` names $STAGING_PASSWORD, which is not set or is empty"
            }
        };
        assert!(
            output.stderr.contains(expected),
            "{value:?}:\n{}",
            output.stderr
        );
        // The error points at the line of `password_env` (line 24 of racks.toml).
        assert!(
            output.stderr.contains("racks.toml:24:"),
            "{value:?}:\n{}",
            output.stderr
        );
        assert!(
            !output.stderr.contains(&"p".repeat(51)),
            "the password was shown"
        );
        assert!(
            !output.stdout.contains("Apply"),
            "{value:?}: apply started:\n{}",
            output.stdout
        );
    }
    let plan = run(moto
        .rackfile()
        .args(["plan", "--json"])
        .env("STAGING_PASSWORD", "pw"));
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let doctor = run(moto.rackfile().args(["doctor"]).env("STAGING_PASSWORD", ""));
    assert_eq!(doctor.code, 1, "{}", doctor.stdout);
    assert!(
        doctor.stdout.contains(
            "[✗] rack work/staging: `password_env` names $STAGING_PASSWORD, which is not set or is empty"
        ) && doctor.stdout.contains("racks.toml:24:"),
        "{}",
        doctor.stdout
    );
}

#[test]
fn an_update_changes_managed_values_and_keeps_the_rest() {
    let moto = setup();
    let first = run(moto
        .rackfile()
        .args(["apply", "--auto-approve"])
        .env("STAGING_PASSWORD", "pw"));
    assert_eq!(first.code, 0, "{}", first.stdout);
    let password = generated_password(&first.stdout, "personal/example");
    // A parameter rackfile does not manage, set by hand.
    moto.python(
        "cfn = client('cloudformation')\n\
         s = cfn.describe_stacks(StackName='example')['Stacks'][0]\n\
         params = [{'ParameterKey': p['ParameterKey'], 'ParameterValue': p['ParameterValue']} for p in s['Parameters'] if p['ParameterKey'] not in ('Key', 'Password')]\n\
         params.append({'ParameterKey': 'Key', 'ParameterValue': 'my-ssh-key'})\n\
         params.append({'ParameterKey': 'Password', 'UsePreviousValue': True})\n\
         cfn.update_stack(StackName='example', UsePreviousTemplate=True, Parameters=params, Tags=s['Tags'])\n",
    );
    moto.write(
        "racks.toml",
        &racks().replace(
            "name = \"example\"",
            "name = \"example\"\ninstance_count = 4\ninstance_type = \"t3.small\"",
        ),
    );
    let output =
        run(moto
            .rackfile()
            .args(["apply", "--auto-approve", "--target", "personal/example"]));
    assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
    assert!(
        output
            .stdout
            .contains("    InstanceCount: 3 -> 4\n      ↳ reaches no resource\n    InstanceType: t2.small -> t3.small\n      ↳ reaches no resource\n"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("Apply complete: 0 installed, 1 updated, 0 failed."),
        "{}",
        output.stdout
    );
    let live = live_parameters(&moto, PERSONAL_ACCOUNT, "us-east-1", "example");
    assert_eq!(live["InstanceCount"], "4");
    assert_eq!(live["InstanceType"], "t3.small");
    assert_eq!(
        live["Key"], "my-ssh-key",
        "an unmanaged parameter was not kept"
    );
    assert_eq!(live["Password"], password, "the password was not kept");
}

#[test]
fn a_version_upgrade_switches_the_template() {
    let moto = setup();
    let first =
        run(moto
            .rackfile()
            .args(["apply", "--auto-approve", "--target", "personal/example"]));
    assert_eq!(first.code, 0, "{}", first.stdout);
    let newer = moto::rack_template().replace(
        "Description: Convox rack (rackfile example)",
        "Description: Convox rack 20170101000000",
    );
    moto.publish_template(PERSONAL_ACCOUNT, "20170101000000", &newer);
    moto.write(
        "racks.toml",
        &racks().replace(
            "name = \"example\"",
            "name = \"example\"\nversion = \"20170101000000\"",
        ),
    );

    let plan = run(moto
        .rackfile()
        .args(["plan", "--target", "personal/example"]));
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    snapshot_settings().bind(|| insta::assert_snapshot!(plan.snapshot()));

    let output =
        run(moto
            .rackfile()
            .args(["apply", "--auto-approve", "--target", "personal/example"]));
    assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
    let body = moto.python(
        "print(client('cloudformation').get_template(StackName='example')['TemplateBody'])",
    );
    assert!(
        body.contains("Convox rack 20170101000000"),
        "the stack still has the old template:\n{body}"
    );
    assert_eq!(
        live_parameters(&moto, PERSONAL_ACCOUNT, "us-east-1", "example")["Version"],
        "20170101000000"
    );
}

#[test]
fn a_saved_plan_applies_exactly_and_without_a_prompt() {
    let moto = setup();
    let plan = run(moto
        .rackfile()
        .args(["plan", "--out", "install.plan"])
        .env("STAGING_PASSWORD", "pw"));
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    // Applying a saved plan does not ask, even without a terminal.
    let output = run(moto
        .rackfile()
        .args(["apply", "install.plan"])
        .env("STAGING_PASSWORD", "pw"));
    assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
    assert!(
        output
            .stdout
            .starts_with("Applying the saved plan install.plan."),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("Apply complete: 2 installed"),
        "{}",
        output.stdout
    );
    // The same saved plan again is stale: the stacks it planned to install now exist.
    let again = run(moto
        .rackfile()
        .args(["apply", "install.plan"])
        .env("STAGING_PASSWORD", "pw"));
    assert_eq!(again.code, 1);
    assert!(
        again
            .stderr
            .contains("personal/example: a stack of that name was created since the plan was made"),
        "{}",
        again.stderr
    );
}

#[test]
fn a_stale_saved_plan_is_refused_naming_what_changed_and_nothing_is_changed() {
    let moto = setup();
    assert_eq!(
        run(moto
            .rackfile()
            .args(["apply", "--auto-approve"])
            .env("STAGING_PASSWORD", "pw"))
        .code,
        0
    );
    moto.write(
        "racks.toml",
        &racks().replace(
            "name = \"example\"",
            "name = \"example\"\ninstance_count = 5",
        ),
    );
    assert_eq!(
        run(moto.rackfile().args(["plan", "--out", "update.plan"])).code,
        0
    );

    // Someone changes the stack behind rackfile's back after the plan was made.
    moto.python(
        "cfn = client('cloudformation')\n\
         s = cfn.describe_stacks(StackName='example')['Stacks'][0]\n\
         params = [{'ParameterKey': p['ParameterKey'], 'ParameterValue': p['ParameterValue']} for p in s['Parameters'] if p['ParameterKey'] != 'InstanceCount']\n\
         params.append({'ParameterKey': 'InstanceCount', 'ParameterValue': '9'})\n\
         cfn.update_stack(StackName='example', UsePreviousTemplate=True, Parameters=params)\n",
    );
    let output = run(moto.rackfile().args(["apply", "update.plan"]));
    assert_eq!(output.code, 1);
    assert!(output.stdout.is_empty(), "{}", output.stdout);
    assert!(output.stderr.contains("personal/example: its status changed from CREATE_COMPLETE to UPDATE_COMPLETE since the plan was made"), "{}", output.stderr);
    assert_eq!(
        live_parameters(&moto, PERSONAL_ACCOUNT, "us-east-1", "example")["InstanceCount"],
        "9"
    );

    // And a racks.toml edited after the plan refuses it too.
    assert_eq!(
        run(moto.rackfile().args(["plan", "--out", "update.plan"])).code,
        0
    );
    moto.write(
        "racks.toml",
        &racks().replace(
            "name = \"example\"",
            "name = \"example\"\ninstance_count = 6",
        ),
    );
    let output = run(moto.rackfile().args(["apply", "update.plan"]));
    assert_eq!(output.code, 1);
    snapshot_settings().bind(|| insta::assert_snapshot!(output.snapshot()));
    assert_eq!(
        live_parameters(&moto, PERSONAL_ACCOUNT, "us-east-1", "example")["InstanceCount"],
        "9"
    );
}

#[test]
fn a_create_that_fails_on_moto_is_reported_with_the_stack_it_left() {
    let moto = setup();
    moto.write(
        "broken.yml",
        "Parameters:\n  Version:\n    Type: String\n\
         Resources:\n  Subnet:\n    Type: AWS::EC2::Subnet\n    Properties:\n      VpcId: vpc-missing\n      CidrBlock: 10.0.0.0/24\n",
    );
    moto.write(
        "racks.toml",
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n[org.personal]\n\
         [[rack]]\nname = \"broken\"\ntemplate = \"broken.yml\"\n",
    );
    let output = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_eq!(output.code, 1);
    assert!(
        output.stdout.contains("personal/broken: failed after"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("CreateStack failed"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("the stack is CREATE_IN_PROGRESS"),
        "the stack moto left is not reported:\n{}",
        output.stdout
    );
    // A later plan waits for it rather than trying to install it again.
    let plan = run(moto.rackfile().args(["plan"]));
    assert!(
        plan.stdout
            .contains("… personal/broken (us-east-1) is waited for, then planned again"),
        "{}",
        plan.stdout
    );
}
