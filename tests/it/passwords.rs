//! Rack passwords in SSM Parameter Store (`password_ssm`), against moto's SSM: created before the install
//! and never shown, an existing one used, a String-typed one refused at plan time, and an install that failed
//! after the password was stored finding it there again.

use crate::common::{Output, run, stable_snapshots};
use crate::faults::proxy::{FaultProxy, Faults};
use crate::moto::{self, MotoSession, PERSONAL_ACCOUNT};

const PARAMETER: &str = "/racks/personal/web/password";

fn session() -> MotoSession {
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    moto.write(
        "racks.toml",
        &format!(
            "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"20161102160040\"\n\
             password_ssm = \"/racks/{{org}}/{{name}}/password\"\n\n\
             [org.personal]\nprofile = \"personal\"\naccount_id = \"{PERSONAL_ACCOUNT}\"\n\n\
             [[rack]]\nname = \"web\"\ntemplate = \"rack.yml\"\n"
        ),
    );
    moto
}

/// The SSM parameter's (type, decrypted value), or `None`.
fn stored(moto: &MotoSession) -> Option<(String, String)> {
    let text = moto.python(&format!(
        "ssm = client('ssm')\n\
         try:\n    p = ssm.get_parameter(Name='{PARAMETER}', WithDecryption=True)['Parameter']\n    print(p['Type'] + ' ' + p['Value'])\n\
         except ssm.exceptions.ParameterNotFound:\n    print('none')\n"
    ));
    let text = text.trim();
    (text != "none").then(|| {
        let (kind, value) = text.split_once(' ').unwrap();
        (kind.to_string(), value.to_string())
    })
}

fn put(moto: &MotoSession, kind: &str, value: &str) {
    moto.python(&format!(
        "client('ssm').put_parameter(Name='{PARAMETER}', Value='{value}', Type='{kind}')\n"
    ));
}

/// The stack's Password parameter.
fn stack_password(moto: &MotoSession) -> String {
    moto.live_parameter("web", "Password")
}

fn assert_nowhere(secret: &str, outputs: &[&Output]) {
    for output in outputs {
        assert!(
            !output.stdout.contains(secret) && !output.stderr.contains(secret),
            "the password was shown:\n{}\n{}",
            output.stdout,
            output.stderr
        );
    }
}

#[test]
fn apply_stores_a_new_password_in_ssm_before_the_install_and_never_shows_it() {
    let moto = session();
    let plan = run(moto.rackfile().args(["plan"]));
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(plan.snapshot(), @"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        + personal/web (us-east-1) will be installed
            template: rack.yml
            InstanceCount: 3 (template default)
            InstanceType: t2.small (template default)
            Private: No (template default)
            Version: 20161102160040
            Password: (sensitive, from SSM /racks/personal/web/password, created at install)
            tags: System=convox, Type=rack
            budget: up to 30m

        Plan: 1 to install, 0 to update, 0 unchanged, 0 blocked.
        --- stderr
        ")
    });
    let json = run(moto.rackfile().args(["plan", "--json"]));
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        document["racks"][0]["password"],
        serde_json::json!({"from": "ssm", "parameter": PARAMETER, "existing": false})
    );

    let apply = run(moto.rackfile().args(["apply", "--auto-approve", "-vv"]));
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let (kind, password) = stored(&moto).expect("the password was stored in SSM");
    assert_eq!(kind, "SecureString");
    assert_eq!(password.len(), 30);
    assert_eq!(
        stack_password(&moto),
        password,
        "the stack got the stored password"
    );
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(apply.snapshot_of_stdout(), @"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        + personal/web (us-east-1) will be installed
            template: rack.yml
            InstanceCount: 3 (template default)
            InstanceType: t2.small (template default)
            Private: No (template default)
            Version: 20161102160040
            Password: (sensitive, from SSM /racks/personal/web/password, created at install)
            tags: System=convox, Type=rack
            budget: up to 30m

        Plan: 1 to install, 0 to update, 0 unchanged, 0 blocked.

        personal/web: installing (11 resources)
        personal/web: CREATE_IN_PROGRESS
        personal/web: CREATE_COMPLETE
        personal/web: installed in [time]

        Apply complete: 1 installed, 0 updated, 0 failed.
            personal/web: installed in [time]

        Password for personal/web is in SSM parameter /racks/personal/web/password (SecureString)
        Dashboard: web.us-east-1.elb.amazonaws.com
        ")
    });
    assert!(
        !apply.stdout.contains("warning:"),
        "no CI warning for an SSM password:\n{}",
        apply.stdout
    );
    assert!(
        apply.stderr.contains("SSM.PutParameter"),
        "-vv logs the call, not the value"
    );
    assert_nowhere(&password, &[&plan, &json, &apply]);
}

#[test]
fn apply_uses_an_existing_password_in_ssm() {
    let moto = session();
    put(&moto, "SecureString", "existing-password-1");
    let plan = run(moto.rackfile().args(["plan"]));
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(plan.snapshot(), @"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        + personal/web (us-east-1) will be installed
            template: rack.yml
            InstanceCount: 3 (template default)
            InstanceType: t2.small (template default)
            Private: No (template default)
            Version: 20161102160040
            Password: (sensitive, from SSM /racks/personal/web/password, existing)
            tags: System=convox, Type=rack
            budget: up to 30m

        Plan: 1 to install, 0 to update, 0 unchanged, 0 blocked.
        --- stderr
        ")
    });
    let apply = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(stack_password(&moto), "existing-password-1");
    assert_eq!(
        stored(&moto),
        Some(("SecureString".into(), "existing-password-1".into()))
    );
    assert_nowhere("existing-password-1", &[&plan, &apply]);
}

#[test]
fn plan_refuses_a_string_parameter_or_a_password_the_template_refuses() {
    let moto = session();
    put(&moto, "String", "plain-text-password");
    let output = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_eq!(output.code, 1);
    assert_nowhere("plain-text-password", &[&output]);
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: personal/web: SSM parameter /racks/personal/web/password is a String, not a SecureString: a rack password must be stored encrypted
         --> racks.toml:5:16
          |
        5 | password_ssm = "/racks/{org}/{name}/password"
          |                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
           = help: delete it (rackfile then generates one and stores it as a SecureString), or store it again with --type SecureString

        error: cannot plan: 1 problem; nothing was changed
        "#));
    let stacks = moto.python("print(len(client('cloudformation').describe_stacks()['Stacks']))");
    assert_eq!(stacks.trim(), "0", "nothing may be created");

    // The template's Password is at most 50 characters.
    moto.python(&format!(
        "client('ssm').delete_parameter(Name='{PARAMETER}')"
    ));
    put(&moto, "SecureString", &"x".repeat(60));
    let output = run(moto.rackfile().args(["plan"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: personal/web: the password in SSM parameter /racks/personal/web/password is refused by the template's MaxLength of Password: must be at most 50 characters long, not 60
         --> racks.toml:5:16
          |
        5 | password_ssm = "/racks/{org}/{name}/password"
          |                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
           = help: store a password the template accepts in /racks/personal/web/password, or delete the parameter to have one generated

        error: cannot plan: 1 problem; nothing was changed
        "#));
    assert_nowhere(&"x".repeat(60), &[&output]);
}

#[test]
fn apply_after_an_install_that_failed_past_storing_its_password_uses_it() {
    let moto = session();
    let proxy = FaultProxy::start(
        moto.port,
        Faults {
            fail_matching: vec!["Action=CreateStack".into()],
            ..Faults::default()
        },
    );
    let failed = run(crate::faults::through(&moto, &proxy).args(["apply", "--auto-approve"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(failed.snapshot(), @"
        exit: 1
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        + personal/web (us-east-1) will be installed
            template: rack.yml
            InstanceCount: 3 (template default)
            InstanceType: t2.small (template default)
            Private: No (template default)
            Version: 20161102160040
            Password: (sensitive, from SSM /racks/personal/web/password, created at install)
            tags: System=convox, Type=rack
            budget: up to 30m

        Plan: 1 to install, 0 to update, 0 unchanged, 0 blocked.

        personal/web: installing (11 resources)
        personal/web: failed after [time]: CreateStack failed, nothing was created: InternalFailure: injected by the fault proxy

        Apply failed: 0 installed, 0 updated, 1 failed.
            personal/web: failed after [time]: CreateStack failed, nothing was created: InternalFailure: injected by the fault proxy

        Password for personal/web (its install did not finish here; if CloudFormation completes it, this is its password) is in SSM parameter /racks/personal/web/password (SecureString)
        --- stderr
        "));
    let (_, password) = stored(&moto).expect("the password was stored before CreateStack");

    let plan = run(moto.rackfile().args(["plan"]));
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(plan.snapshot(), @"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        + personal/web (us-east-1) will be installed
            template: rack.yml
            InstanceCount: 3 (template default)
            InstanceType: t2.small (template default)
            Private: No (template default)
            Version: 20161102160040
            Password: (sensitive, from SSM /racks/personal/web/password, existing)
            tags: System=convox, Type=rack
            budget: up to 30m

        Plan: 1 to install, 0 to update, 0 unchanged, 0 blocked.
        --- stderr
        ")
    });
    let apply = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(
        stack_password(&moto),
        password,
        "the stored password is the rack's"
    );
}

#[test]
fn apply_in_ci_without_a_password_source_warns_before_printing_the_password() {
    let moto = session();
    let racks = std::fs::read_to_string(moto.path().join("racks.toml")).unwrap();
    moto.write(
        "racks.toml",
        &racks.replace("password_ssm = \"/racks/{org}/{name}/password\"\n", ""),
    );
    let apply = run(moto.rackfile().args(["apply", "--auto-approve"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(apply.snapshot(), @"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        + personal/web (us-east-1) will be installed
            template: rack.yml
            InstanceCount: 3 (template default)
            InstanceType: t2.small (template default)
            Private: No (template default)
            Version: 20161102160040
            Password: (sensitive, generated and printed once at install)
            tags: System=convox, Type=rack
            budget: up to 30m

        Plan: 1 to install, 0 to update, 0 unchanged, 0 blocked.
        warning: personal/web: its generated API password will be printed below, and stdout is not a terminal (a CI log?); set `password_ssm` to keep it in SSM Parameter Store instead

        personal/web: installing (11 resources)
        personal/web: CREATE_IN_PROGRESS
        personal/web: CREATE_COMPLETE
        personal/web: installed in [time]

        Apply complete: 1 installed, 0 updated, 0 failed.
            personal/web: installed in [time]

        Password for personal/web (shown only this once; store it now): [password]
        Dashboard: web.us-east-1.elb.amazonaws.com
        --- stderr
        "));
}

#[test]
fn apply_never_loses_the_generated_password_of_a_create_whose_answer_was_lost() {
    let moto = session();
    let racks = std::fs::read_to_string(moto.path().join("racks.toml")).unwrap();
    moto.write(
        "racks.toml",
        &racks.replace("password_ssm = \"/racks/{org}/{name}/password\"\n", ""),
    );
    let proxy = FaultProxy::start(
        moto.port,
        Faults {
            lose_answer_matching: vec!["Action=CreateStack".into()],
            ..Faults::default()
        },
    );
    let output = run(crate::faults::through(&moto, &proxy).args(["apply", "--auto-approve"]));
    // moto records no ClientRequestToken in its events, so the SDK's retry meeting AlreadyExists cannot be
    // proven ours there (on AWS the retry with the same token succeeds); the password is shown anyway.
    let marker = "Password for personal/web (its install did not finish here; if CloudFormation completes it, this is its password) (shown only this once; store it now): ";
    let password = output
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix(marker))
        .unwrap_or_else(|| panic!("the password was lost:\n{}", output.stdout));
    assert_eq!(
        stack_password(&moto),
        password,
        "the shown password is the stack's"
    );
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @"
        exit: 1
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        + personal/web (us-east-1) will be installed
            template: rack.yml
            InstanceCount: 3 (template default)
            InstanceType: t2.small (template default)
            Private: No (template default)
            Version: 20161102160040
            Password: (sensitive, generated and printed once at install)
            tags: System=convox, Type=rack
            budget: up to 30m

        Plan: 1 to install, 0 to update, 0 unchanged, 0 blocked.
        warning: personal/web: its generated API password will be printed below, and stdout is not a terminal (a CI log?); set `password_ssm` to keep it in SSM Parameter Store instead

        personal/web: installing (11 resources)
        personal/web: failed after [time]: CreateStack failed, but the stack exists: AlreadyExistsException: Stack web already exists; the stack is CREATE_COMPLETE

        Apply failed: 0 installed, 0 updated, 1 failed.
            personal/web: failed after [time]: CreateStack failed, but the stack exists: AlreadyExistsException: Stack web already exists; the stack is CREATE_COMPLETE

        Password for personal/web (its install did not finish here; if CloudFormation completes it, this is its password) (shown only this once; store it now): [password]
        --- stderr
        "));
}
