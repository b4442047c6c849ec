//! Rack passwords in SSM Parameter Store (`password_ssm`), against moto's SSM: created before the install
//! and never shown, an existing one used, a String-typed one refused at plan time, and an install that failed
//! after the password was stored finding it there again.

use crate::common::{Output, run, snapshot_settings};
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
fn an_install_stores_a_new_password_in_ssm_first_and_never_shows_it() {
    let moto = session();
    let plan = run(moto.rackfile().args(["plan"]));
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout.contains(&format!(
            "    Password: (sensitive, from SSM {PARAMETER}, created at install)\n"
        )),
        "{}",
        plan.stdout
    );
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
    assert!(
        apply.stdout.contains(&format!(
            "Password for personal/web is in SSM parameter {PARAMETER} (SecureString)"
        )),
        "{}",
        apply.stdout
    );
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
fn an_existing_password_in_ssm_is_used() {
    let moto = session();
    put(&moto, "SecureString", "existing-password-1");
    let plan = run(moto.rackfile().args(["plan"]));
    assert!(
        plan.stdout.contains(&format!(
            "    Password: (sensitive, from SSM {PARAMETER}, existing)\n"
        )),
        "{}",
        plan.stdout
    );
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
fn a_string_parameter_or_one_the_template_refuses_is_an_error_at_plan_time() {
    let moto = session();
    put(&moto, "String", "plain-text-password");
    let output = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_eq!(output.code, 1);
    assert_nowhere("plain-text-password", &[&output]);
    snapshot_settings().bind(|| insta::assert_snapshot!(output.snapshot()));
    let stacks = moto.python("print(len(client('cloudformation').describe_stacks()['Stacks']))");
    assert_eq!(stacks.trim(), "0", "nothing may be created");

    // The template's Password is at most 50 characters.
    moto.python(&format!(
        "client('ssm').delete_parameter(Name='{PARAMETER}')"
    ));
    put(&moto, "SecureString", &"x".repeat(60));
    let output = run(moto.rackfile().args(["plan"]));
    assert_eq!(output.code, 1);
    assert!(
        output.stderr.contains(&format!(
            "error: personal/web: the password in SSM parameter {PARAMETER} is refused by the template's MaxLength of Password: must be at most 50 characters long, not 60"
        )),
        "{}",
        output.stderr
    );
    assert_nowhere(&"x".repeat(60), &[&output]);
}

#[test]
fn an_install_that_failed_after_storing_its_password_uses_it_on_the_next_apply() {
    let moto = session();
    let proxy = FaultProxy::start(
        moto.port,
        Faults {
            fail_matching: vec!["Action=CreateStack".into()],
            ..Faults::default()
        },
    );
    let failed = run(crate::faults::through(&moto, &proxy).args(["apply", "--auto-approve"]));
    assert_eq!(failed.code, 1, "{}", failed.stdout);
    assert!(
        failed
            .stdout
            .contains("CreateStack failed, nothing was created"),
        "{}",
        failed.stdout
    );
    let (_, password) = stored(&moto).expect("the password was stored before CreateStack");

    let plan = run(moto.rackfile().args(["plan"]));
    assert!(
        plan.stdout
            .contains(&format!("from SSM {PARAMETER}, existing)")),
        "{}",
        plan.stdout
    );
    let apply = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(
        stack_password(&moto),
        password,
        "the stored password is the rack's"
    );
}

#[test]
fn without_a_password_source_a_ci_apply_warns_before_printing_the_generated_password() {
    let moto = session();
    let racks = std::fs::read_to_string(moto.path().join("racks.toml")).unwrap();
    moto.write(
        "racks.toml",
        &racks.replace("password_ssm = \"/racks/{org}/{name}/password\"\n", ""),
    );
    let apply = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let warning = apply
        .stdout
        .find("warning: personal/web: its generated API password will be printed below")
        .unwrap_or_else(|| panic!("no warning:\n{}", apply.stdout));
    let password = apply
        .stdout
        .find("Password for personal/web (shown only this once")
        .expect("the password is still printed");
    assert!(warning < password);
}

#[test]
fn a_create_whose_answer_was_lost_never_loses_the_generated_password() {
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
    assert!(
        output
            .stdout
            .contains("CreateStack failed, but the stack exists"),
        "{}",
        output.stdout
    );
}
