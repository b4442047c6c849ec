//! `rackfile apply` against moto: installs in two regions (local template and the default template URL
//! served from moto's S3), a clean second plan, an idle second apply, saved plans applied exactly and
//! refused when stale, a version upgrade switching the template, and passwords.

use crate::common::{exit_and_summary, run, stable_snapshots};
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
    // The two regions' progress lines interleave as they go: the summary on is pinned.
    assert_eq!(output.stderr, "");
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(exit_and_summary(output.code, &output.stdout), @"
            exit: 0
            --- stdout from the summary on
            Apply complete: 2 installed, 0 updated, 0 failed.
                personal/example: installed in [time]
                work/staging: installed in [time]

            Password for personal/example (shown only this once; store it now): [password]
            Dashboard: example.us-east-1.elb.amazonaws.com
            ")
    });

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
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(plan.snapshot(), @r#"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1
        Read account 210987654321 (org work): eu-west-1

          personal/example (us-east-1) no changes

          work/staging (eu-west-1) no changes

        Plan: 0 to install, 0 to update, 2 unchanged, 0 blocked.
        --- stderr
        "#)
    });

    let again = run(moto.rackfile().args(["apply", "--auto-approve"]));
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(again.snapshot(), @r#"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1
        Read account 210987654321 (org work): eu-west-1

          personal/example (us-east-1) no changes

          work/staging (eu-west-1) no changes

        Plan: 0 to install, 0 to update, 2 unchanged, 0 blocked.

        No changes. The racks match racks.toml.
        --- stderr
        "#)
    });
}

#[test]
fn apply_without_a_terminal_refuses_unless_auto_approved_and_changes_nothing() {
    let moto = setup();
    let output = run(moto.rackfile().arg("apply").env("STAGING_PASSWORD", "x"));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        Read account 123456789012 (org personal): us-east-1
        Read account 210987654321 (org work): eu-west-1

        + personal/example (us-east-1) will be installed
            template: https://convox.s3.amazonaws.com/release/20161102160040/formation.json
            InstanceCount: 3 (template default)
            InstanceType: t2.small (template default)
            Private: No (template default)
            Version: 20161102160040
            Password: (sensitive, generated and printed once at install)
            tags: System=convox, Type=rack
            budget: up to 30m

        + work/staging (eu-west-1) will be installed
            template: rack.yml
            Autoscale: Yes
            InstanceCount: 3 (template default)
            InstanceType: t2.small (template default)
            Private: Yes
            Version: 20161102160040
            Password: (sensitive, from $STAGING_PASSWORD)
            tags: System=convox, Type=rack, team=platform
            budget: up to 30m

        Plan: 2 to install, 0 to update, 0 unchanged, 0 blocked.
        --- stderr
        error: apply needs a confirmation, and stdin is not a terminal; nothing was changed
           = help: review the plan, then run `rackfile apply --auto-approve`, or save it with `rackfile plan --out PLANFILE` and run `rackfile apply PLANFILE`
        "#));
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
fn apply_refuses_a_missing_or_empty_password_env_at_plan_time_and_installs_nothing() {
    let moto = setup();
    let mut outputs = String::new();
    for value in [None, Some(""), Some(&*"p".repeat(51))] {
        let mut command = moto.rackfile();
        command.args(["apply", "--auto-approve"]);
        if let Some(value) = value {
            command.env("STAGING_PASSWORD", value);
        }
        let output = run(&mut command);
        assert!(
            !output.stderr.contains(&"p".repeat(51)),
            "the password was shown"
        );
        outputs.push_str(&output.snapshot());
    }
    // Each error points at the line of `password_env` (line 24 of racks.toml).
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(outputs, @r#"
        exit: 1
        --- stdout
        --- stderr
        error: work/staging: `password_env` names $STAGING_PASSWORD, which is not set or is empty: the install has no password to send
          --> racks.toml:24:16
           |
        24 | password_env = "STAGING_PASSWORD"
           |                ^^^^^^^^^^^^^^^^^^
           = help: set STAGING_PASSWORD to the rack's password in the environment of plan and apply (it is never printed), or remove `password_env` to have one generated

        error: cannot plan: 1 problem; nothing was changed
        exit: 1
        --- stdout
        --- stderr
        error: work/staging: `password_env` names $STAGING_PASSWORD, which is not set or is empty: the install has no password to send
          --> racks.toml:24:16
           |
        24 | password_env = "STAGING_PASSWORD"
           |                ^^^^^^^^^^^^^^^^^^
           = help: set STAGING_PASSWORD to the rack's password in the environment of plan and apply (it is never printed), or remove `password_env` to have one generated

        error: cannot plan: 1 problem; nothing was changed
        exit: 1
        --- stdout
        --- stderr
        error: work/staging: the password in $STAGING_PASSWORD is refused by the template's MaxLength of Password: must be at most 50 characters long, not 51
          --> racks.toml:24:16
           |
        24 | password_env = "STAGING_PASSWORD"
           |                ^^^^^^^^^^^^^^^^^^
           = help: put a password the template accepts in $STAGING_PASSWORD

        error: cannot plan: 1 problem; nothing was changed
        "#));
    let plan = run(moto
        .rackfile()
        .args(["plan", "--json"])
        .env("STAGING_PASSWORD", "pw"));
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let doctor = run(moto.rackfile().args(["doctor"]).env("STAGING_PASSWORD", ""));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(doctor.snapshot(), @r#"
        exit: 1
        --- stdout
        [✓] racks.toml is valid: 2 racks in 2 orgs, 2 regions
        [✓] org personal: credentials (profile personal) resolve to account 123456789012
        [✓] org personal: account guard holds (123456789012)
        [✓] org work: credentials (profile work) resolve to account 210987654321
        [✓] org work: account guard holds (210987654321)
        [-] org personal's credentials against the plan policy: cannot tell (iam:SimulatePrincipalPolicy: HTTP 500, with no AWS error in the answer)
        [-] org work's credentials against the plan policy: cannot tell (iam:SimulatePrincipalPolicy: HTTP 500, with no AWS error in the answer)
        [✓] Convox's release list is readable: 1 release, the latest published is 20161102160040
        [✓] template https://convox.s3.amazonaws.com/release/20161102160040/formation.json (account 123456789012): reachable, 15 parameters cover personal/example
        [✓] template rack.yml (account 210987654321): reachable, 15 parameters cover work/staging
        [✗] rack work/staging: `password_env` names $STAGING_PASSWORD, which is not set or is empty (racks.toml:24:16)
            help: set STAGING_PASSWORD to the rack's password in the environment of plan and apply, or remove `password_env` to have one generated
        [✓] personal/example: not installed (apply installs it)
        [✓] work/staging: not installed (apply installs it)
        [-] preflight checks (racks.toml does not fit the templates: `rackfile plan` says why)

        Doctor: 10 passed, 1 failed, 3 skipped.
        --- stderr
        "#));
}

#[test]
fn apply_of_an_update_changes_managed_values_and_keeps_the_rest() {
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
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ~ personal/example (us-east-1) will be updated
            InstanceCount: 3 -> 4
              ↳ reaches no resource
            InstanceType: t2.small -> t3.small
              ↳ reaches no resource
            impact: no resource changes
            budget: up to 5m

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

        personal/example: updating (11 resources)
        personal/example: UPDATE_IN_PROGRESS
        personal/example: UPDATE_COMPLETE
        personal/example: updated in [time]

        Apply complete: 0 installed, 1 updated, 0 failed.
            personal/example: updated in [time]
        --- stderr
        "#)
    });
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
fn apply_of_a_version_upgrade_switches_the_template() {
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
    insta::assert_snapshot!(plan.snapshot(), @r#"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ~ personal/example (us-east-1) will be updated
            Version: 20161102160040 -> 20170101000000
              ↳ reaches no resource
            template: https://convox.s3.amazonaws.com/release/20161102160040/formation.json -> https://convox.s3.amazonaws.com/release/20170101000000/formation.json
              ↳ reaches no resource
            impact: no resource changes
            budget: up to 5m

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
        --- stderr
        "#);

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
fn apply_of_a_saved_plan_applies_exactly_and_without_a_prompt() {
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
    assert!(
        output
            .stdout
            .starts_with("Applying the saved plan install.plan."),
        "{}",
        output.stdout
    );
    assert_eq!(output.stderr, "");
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(exit_and_summary(output.code, &output.stdout), @"
            exit: 0
            --- stdout from the summary on
            Apply complete: 2 installed, 0 updated, 0 failed.
                personal/example: installed in [time]
                work/staging: installed in [time]

            Password for personal/example (shown only this once; store it now): [password]
            Dashboard: example.us-east-1.elb.amazonaws.com
            ")
    });
    // The same saved plan again is stale: the stacks it planned to install now exist.
    let again = run(moto
        .rackfile()
        .args(["apply", "install.plan"])
        .env("STAGING_PASSWORD", "pw"));
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(again.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: the saved plan is stale; nothing was changed
            personal/example: a stack of that name was created since the plan was made
            work/staging: a stack of that name was created since the plan was made
           = help: run `rackfile plan --out PLANFILE` again, review it, and apply the new plan
        "#)
    });
}

#[test]
fn apply_refuses_a_stale_saved_plan_naming_what_changed_and_changes_nothing() {
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
    assert!(output.stdout.is_empty(), "{}", output.stdout);
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: the saved plan is stale; nothing was changed
            personal/example: its status changed from CREATE_COMPLETE to UPDATE_COMPLETE since the plan was made
           = help: run `rackfile plan --out PLANFILE` again, review it, and apply the new plan
        "#));
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
    insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: the saved plan is stale; nothing was changed
            racks.toml changed since the plan was made
           = help: run `rackfile plan --out PLANFILE` again, review it, and apply the new plan
        "#);
    assert_eq!(
        live_parameters(&moto, PERSONAL_ACCOUNT, "us-east-1", "example")["InstanceCount"],
        "9"
    );
}

#[test]
fn apply_reports_a_create_that_fails_on_moto_with_the_stack_it_left() {
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
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        + personal/broken (us-east-1) will be installed
            template: broken.yml
            Version: 1
            tags: System=convox, Type=rack
            budget: up to 30m

        Plan: 1 to install, 0 to update, 0 unchanged, 0 blocked.

        personal/broken: installing (1 resource)
        personal/broken: failed after [time]: CreateStack failed, but the stack exists: InvalidVpcID.NotFound: VpcID vpc-missing does not exist.; the stack is CREATE_IN_PROGRESS

        Apply failed: 0 installed, 0 updated, 1 failed.
            personal/broken: failed after [time]: CreateStack failed, but the stack exists: InvalidVpcID.NotFound: VpcID vpc-missing does not exist.; the stack is CREATE_IN_PROGRESS
        --- stderr
        "#));
    // A later plan waits for it rather than trying to install it again.
    let plan = run(moto.rackfile().args(["plan"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(plan.snapshot(), @r#"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        … personal/broken (us-east-1) is waited for, then planned again
            CREATE_IN_PROGRESS: CloudFormation is changing the stack; apply waits for it to finish, then plans it again and applies that plan if this run allows it

        Plan: 0 to install, 0 to update, 1 to wait for, 0 unchanged, 0 blocked.
        --- stderr
        "#));
}
