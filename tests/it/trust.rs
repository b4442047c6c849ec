//! Trust under hostile input and broken surroundings: no panic on a closed or full stdout, no plan saved
//! over racks.toml, no hang on a FIFO, an empty endpoint ignored, each org's profile winning over keys in
//! the environment, one stack declared twice through two orgs refused, and SIGTERM ending an apply like
//! Ctrl-C.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{Output, finish_within, rackfile, run, stable_snapshots};
use crate::moto::{self, PERSONAL_ACCOUNT};
use crate::plan::{seed_stuck_stack, seed_world};
use rackfile::render::RenderError as _;

const VALID: &str = "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n[org.personal]\n[[rack]]\nname = \"example\"\n";

fn dir_with_racks() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("racks.toml"), VALID).unwrap();
    dir
}

#[test]
fn validate_to_a_closed_stdout_ends_quietly_and_schema_to_a_full_one_is_an_error() {
    let dir = dir_with_racks();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let closed = rackfile(dir.path())
        .arg("validate")
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(closed.status.code(), Some(141));
    assert_eq!(String::from_utf8_lossy(&closed.stderr), "");

    let full = Output::from(
        rackfile(dir.path())
            .arg("schema")
            .stdout(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .unwrap(),
            )
            .stderr(Stdio::piped())
            .output()
            .unwrap(),
    );
    insta::assert_snapshot!(full.snapshot(), @"
        exit: 1
        --- stdout
        --- stderr
        error: cannot write stdout: No space left on device (os error 28)
        ");
}

#[test]
fn plan_out_never_saves_over_racks_toml() {
    let dir = dir_with_racks();
    let output = run(rackfile(dir.path()).args(["plan", "--out", "./racks.toml"]));
    stable_snapshots(dir.path()).bind(|| {
        insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: --out ./racks.toml: that is the racks file; the plan would overwrite it
           = help: save the plan elsewhere, e.g. --out racks.plan
        "#)
    });
    assert_eq!(
        std::fs::read_to_string(dir.path().join("racks.toml")).unwrap(),
        VALID
    );
}

/// `--out` writes only a regular file: a device (as root the plan's rename would replace `/dev/stdout`), a
/// link, a directory, and a template the racks use (a hard link to racks.toml included) are refused before
/// anything is read from AWS, each left as it was.
#[test]
fn plan_out_saves_only_to_a_regular_file_that_is_neither_racks_toml_nor_a_template() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("racks.toml"),
        format!("{VALID}template = \"rack.yml\"\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("rack.yml"), "Resources: {}\n").unwrap();
    std::fs::write(dir.path().join("elsewhere"), "keep me").unwrap();
    std::os::unix::fs::symlink("elsewhere", dir.path().join("link.plan")).unwrap();
    std::fs::hard_link(dir.path().join("racks.toml"), dir.path().join("hard.plan")).unwrap();
    std::fs::create_dir(dir.path().join("plans")).unwrap();
    let mut outputs = String::new();
    for out in ["/dev/null", "link.plan", "plans", "rack.yml", "hard.plan"] {
        let output = run(rackfile(dir.path()).args(["plan", "--out", out]));
        outputs.push_str(&output.snapshot());
    }
    stable_snapshots(dir.path()).bind(|| insta::assert_snapshot!(outputs, @"
        exit: 1
        --- stdout
        --- stderr
        error: --out /dev/null: that is a device, FIFO or socket; a plan is saved only to a regular file (or a new one)
           = help: save the plan elsewhere, e.g. --out racks.plan
        exit: 1
        --- stdout
        --- stderr
        error: --out link.plan: that is a symbolic link; a plan is saved only to a regular file (or a new one)
           = help: save the plan elsewhere, e.g. --out racks.plan
        exit: 1
        --- stdout
        --- stderr
        error: --out plans: that is a directory; a plan is saved only to a regular file (or a new one)
           = help: save the plan elsewhere, e.g. --out racks.plan
        exit: 1
        --- stdout
        --- stderr
        error: --out rack.yml: that is a template the racks use; the plan would overwrite it
           = help: save the plan elsewhere, e.g. --out racks.plan
        exit: 1
        --- stdout
        --- stderr
        error: --out hard.plan: that is the racks file; the plan would overwrite it
           = help: save the plan elsewhere, e.g. --out racks.plan
        "));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("rack.yml")).unwrap(),
        "Resources: {}\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("elsewhere")).unwrap(),
        "keep me"
    );
    assert!(
        std::fs::symlink_metadata(dir.path().join("link.plan"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn validate_and_apply_refuse_a_fifo_as_racks_toml_or_saved_plan_without_hanging() {
    let dir = dir_with_racks();
    let fifo = dir.path().join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let mut validate = rackfile(dir.path());
    validate.args(["validate", "-f", "fifo"]);
    let output = finish_within(validate, Duration::from_secs(20));
    stable_snapshots(dir.path()).bind(|| {
        insta::assert_snapshot!(output.snapshot(), @"
        exit: 1
        --- stdout
        --- stderr
        error: cannot read fifo: not a regular file
        ")
    });
    let mut apply = rackfile(dir.path());
    apply.args(["apply", "fifo"]);
    let output = finish_within(apply, Duration::from_secs(20));
    stable_snapshots(dir.path()).bind(|| {
        insta::assert_snapshot!(output.snapshot(), @"
        exit: 1
        --- stdout
        --- stderr
        error: cannot use the saved plan fifo: not a regular file
        ")
    });
}

#[test]
fn status_treats_an_empty_endpoint_as_none() {
    let dir = dir_with_racks();
    let mut outputs = String::new();
    for command in [
        rackfile(dir.path()).args(["--endpoint-url", "", "status"]),
        rackfile(dir.path())
            .env("AWS_ENDPOINT_URL", "")
            .args(["status"]),
    ] {
        command
            .env("AWS_CONFIG_FILE", dir.path().join("no-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                dir.path().join("no-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true");
        let output = finish_within(
            std::mem::replace(command, Command::new("true")),
            Duration::from_secs(60),
        );
        outputs.push_str(&output.snapshot());
    }
    stable_snapshots(dir.path()).bind(|| insta::assert_snapshot!(outputs, @"
        exit: 1
        --- stdout
        --- stderr
        error: org `personal`: cannot identify the AWS account (us-east-1): dispatch failure: other: the credential provider was not enabled: no credentials found in chain. Attempted:
          Environment: the credential provider was not enabled: environment variable not set
          Profile: the credential provider was not enabled
          WebIdentityToken: the credential provider was not enabled: $AWS_WEB_IDENTITY_TOKEN_FILE was not set
          EcsContainer: the credential provider was not enabled: ECS provider not configured
          Ec2InstanceMetadata: the credential provider was not enabled: IMDS disabled by AWS_EC2_METADATA_DISABLED env var set to `true`
           = help: no AWS credentials were found: set the org's `profile`, or AWS_PROFILE / AWS_ACCESS_KEY_ID, or run `aws sso login`
        exit: 1
        --- stdout
        --- stderr
        error: org `personal`: cannot identify the AWS account (us-east-1): dispatch failure: other: the credential provider was not enabled: no credentials found in chain. Attempted:
          Environment: the credential provider was not enabled: environment variable not set
          Profile: the credential provider was not enabled
          WebIdentityToken: the credential provider was not enabled: $AWS_WEB_IDENTITY_TOKEN_FILE was not set
          EcsContainer: the credential provider was not enabled: ECS provider not configured
          Ec2InstanceMetadata: the credential provider was not enabled: IMDS disabled by AWS_EC2_METADATA_DISABLED env var set to `true`
           = help: no AWS credentials were found: set the org's `profile`, or AWS_PROFILE / AWS_ACCESS_KEY_ID, or run `aws sso login`
        "));
}

#[test]
fn plan_uses_each_org_s_profile_even_with_keys_in_the_environment() {
    let moto = moto::session();
    seed_world(&moto);
    let output = run(moto
        .rackfile()
        .env("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .args(["plan"]));
    // The work profile's role is used: its account is read.
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 0
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

        ~ personal/python (us-east-1) will be updated
            InstanceCount: 3 -> 5
              ↳ reaches no resource
            impact: no resource changes
            budget: up to 5m

          work/staging (eu-west-1) no changes

        … personal/stuck (us-east-1) is waited for, then planned again
            CREATE_IN_PROGRESS: CloudFormation is changing the stack; apply waits for it to finish, then plans it again and applies that plan if this run allows it

        Not in racks.toml (rackfile never touches these):
            personal/legacy (us-east-1, account 123456789012) CREATE_COMPLETE

        Plan: 1 to install, 1 to update, 1 to wait for, 1 unchanged, 0 blocked.
        --- stderr
        "#));
}

#[test]
fn plan_refuses_one_stack_declared_through_two_orgs_reaching_one_account() {
    let moto = moto::session();
    moto.write(
        "racks.toml",
        "[defaults]\nregion = \"us-east-1\"\nversion = \"1\"\n\
         [org.personal]\nprofile = \"personal\"\n[org.again]\nprofile = \"personal\"\n\
         [[rack]]\norg = \"personal\"\nname = \"web\"\ntemplate = \"rack.yml\"\n\
         [[rack]]\norg = \"again\"\nname = \"web\"\ntemplate = \"rack.yml\"\n",
    );
    moto.write("rack.yml", &moto::rack_template());
    let output = run(moto.rackfile().args(["plan"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: again/web: is the same stack as personal/web (account 123456789012, us-east-1, stack web): both orgs' credentials reach that account
          --> racks.toml:14:8
           |
        14 | name = "web"
           |        ^^^^^
           = help: declare the rack once, or give each org its `account_id` and the right profile

        error: cannot plan: 1 problem; nothing was changed
        "#));
}

#[test]
fn apply_ends_on_sigterm_as_on_ctrl_c() {
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    moto.write(
        "racks.toml",
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n\
         [org.personal]\nprofile = \"personal\"\n[[rack]]\nname = \"stuck\"\ntemplate = \"rack.yml\"\n",
    );
    seed_stuck_stack(&moto, PERSONAL_ACCOUNT, "us-east-1", "stuck");
    let mut child = moto
        .rackfile()
        .args(["apply", "--auto-approve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once the apply says it waits for the stack moto leaves CREATE_IN_PROGRESS, it is told to stop.
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut stdout = String::new();
    while !stdout.contains("personal/stuck: waiting: CREATE_IN_PROGRESS") {
        use std::io::BufRead as _;
        let read = lines.read_line(&mut stdout).unwrap();
        assert!(read > 0, "apply ended before it waited:\n{stdout}");
    }
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    std::io::Read::read_to_string(&mut lines, &mut stdout).unwrap();
    let status = child.wait().unwrap();
    let output = format!("exit: {}\n--- stdout\n{stdout}", status.code().unwrap());
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output, @"
        exit: 130
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        … personal/stuck (us-east-1) is waited for, then planned again
            CREATE_IN_PROGRESS: CloudFormation is changing the stack; apply waits for it to finish, then plans it again and applies that plan if this run allows it

        Plan: 0 to install, 0 to update, 1 to wait for, 0 unchanged, 0 blocked.

        personal/stuck: waiting: CREATE_IN_PROGRESS
        personal/stuck: interrupted; CloudFormation is still changing it (CREATE_IN_PROGRESS)

        Apply interrupted: 0 installed, 0 updated, 0 failed.
            personal/stuck: interrupted; CloudFormation is still changing it (CREATE_IN_PROGRESS)

        CloudFormation is still changing personal/stuck (CREATE_IN_PROGRESS); rackfile stopped following, AWS did not stop. Watch them with `rackfile status`; a new apply waits for them.
        "));
}

#[test]
fn plan_and_status_escape_live_values_that_would_forge_or_recolour_lines() {
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    moto.write(
        "racks.toml",
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"20161102160040\"\n\
         [org.personal]\nprofile = \"personal\"\n[[rack]]\nname = \"python\"\ntemplate = \"rack.yml\"\n\
         [rack.parameters]\nAmi = \"ami-new\"\n",
    );
    // Python escapes: the stack really holds a newline and a right-to-left override (AWS's XML answers
    // cannot carry most other control characters).
    crate::plan::seed_rack(
        &moto,
        PERSONAL_ACCOUNT,
        "us-east-1",
        "python",
        &[
            ("InstanceType", "\\u202et2.small"),
            ("InstanceCount", "3"),
            ("Version", crate::plan::VERSION),
            ("Password", "pw"),
            (
                "Ami",
                "ami-1\\n+ personal/fake (us-east-1) will be installed",
            ),
        ],
        &[("System", "convox"), ("Type", "rack")],
    );
    let plan = run(moto.rackfile().args(["plan"]));
    assert!(
        !plan
            .stdout
            .lines()
            .any(|l| l.starts_with("+ personal/fake")),
        "{}",
        plan.stdout
    );
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(plan.snapshot(), @r#"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ~ personal/python (us-east-1) will be updated
            Ami: ami-1\n+ personal/fake (us-east-1) will be installed -> ami-new
              ↳ reaches no resource
            impact: no resource changes
            budget: up to 5m

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
        --- stderr
        "#)
    });
    let status = run(moto.rackfile().args(["status"]));
    assert!(!status.stdout.contains('\u{202e}'), "{}", status.stdout);
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(status.snapshot(), @r#"
        exit: 0
        --- stdout
        RACK             STATUS   VERSION         LATEST  REGION     COUNT  TYPE              ENDPOINT
        personal/python  running  20161102160040  -       us-east-1  3      \u{202e}t2.small  python.us-east-1.elb.amazonaws.com
        --- stderr
        "#));
}

#[test]
fn import_refuses_an_org_name_that_would_make_a_broken_file() {
    let dir = dir_with_racks();
    let mut outputs = String::new();
    for org in ["", "team\nname"] {
        let output =
            run(rackfile(dir.path()).args(["import", "--org", org, "--region", "us-east-1"]));
        outputs.push_str(&output.snapshot());
    }
    stable_snapshots(dir.path()).bind(|| {
        insta::assert_snapshot!(outputs, @r#"
        exit: 1
        --- stdout
        --- stderr
        error: --org "": an org name must be non-empty text without control characters
           = help: e.g. --org personal
        exit: 1
        --- stdout
        --- stderr
        error: --org "team\nname": an org name must be non-empty text without control characters
           = help: e.g. --org personal
        "#)
    });
}

#[test]
fn apply_refuses_an_edited_saved_plan_naming_the_field_and_changes_nothing() {
    let moto = moto::session();
    seed_world(&moto);
    let saved = run(moto.rackfile().args(["plan", "--out", "update.plan"]));
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    let text = std::fs::read_to_string(moto.path().join("update.plan")).unwrap();
    let mut plan: serde_json::Value = serde_json::from_str(&text).unwrap();
    let python = plan["racks"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["rack"] == "personal/python")
        .unwrap();
    python["parameters"]["InstanceType"] = serde_json::json!({"value": "m5.24xlarge"});
    moto.write("edited.plan", &plan.to_string());
    let output = run(moto.rackfile().args(["apply", "edited.plan"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: the saved plan is stale; nothing was changed
            personal/python: the saved plan's `parameters.InstanceType.value` is not what racks.toml and the live stack give now
           = help: run `rackfile plan --out PLANFILE` again, review it, and apply the new plan
        "#));

    // A rack entry pointing at another stack, or at an org nobody declared: refused, never a panic.
    let mut outputs = String::new();
    for (field, value) in [("name", "victim"), ("org", "nosuch")] {
        let mut plan: serde_json::Value = serde_json::from_str(&text).unwrap();
        let python = plan["racks"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|r| r["rack"] == "personal/python")
            .unwrap();
        python[field] = serde_json::json!(value);
        moto.write("edited.plan", &plan.to_string());
        let output = run(moto.rackfile().args(["apply", "edited.plan"]));
        outputs.push_str(&output.snapshot());
    }
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(outputs, @"
        exit: 1
        --- stdout
        --- stderr
        error: the saved plan is stale; nothing was changed
            personal/python: the saved plan's `name` is not what racks.toml and the live stack give now
           = help: run `rackfile plan --out PLANFILE` again, review it, and apply the new plan
        exit: 1
        --- stdout
        --- stderr
        error: the saved plan is stale; nothing was changed
            personal/python: the saved plan's `org` is not what racks.toml and the live stack give now
           = help: run `rackfile plan --out PLANFILE` again, review it, and apply the new plan
        "));
    assert_eq!(
        moto.live_parameter("python", "InstanceType"),
        "t2.small",
        "nothing was changed"
    );
}

#[test]
fn apply_of_a_saved_plan_prints_the_plan_made_now_and_works_from_any_directory() {
    let moto = moto::session();
    seed_world(&moto);
    let saved = run(moto.rackfile().args([
        "plan",
        "--target",
        "personal/python",
        "--out",
        "update.plan",
    ]));
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    let text = std::fs::read_to_string(moto.path().join("update.plan")).unwrap();
    let mut plan: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(
        std::path::Path::new(plan["racks_file"]["path"].as_str().unwrap()).is_absolute(),
        "{}",
        plan["racks_file"]
    );
    // Forged: nothing to update, and a rack that is not in racks.toml at all.
    plan["summary"]["update"] = serde_json::json!(0);
    plan["summary"]["unchanged"] = serde_json::json!(1);
    plan["not_in_racks_toml"][0]["name"] = serde_json::json!("all-is-well");
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("forged.plan"), plan.to_string()).unwrap();

    let output = run(moto
        .rackfile()
        .current_dir(elsewhere.path())
        .args(["apply", "forged.plan"]));
    assert!(!output.stdout.contains("all-is-well"), "{}", output.stdout);
    stable_snapshots(elsewhere.path()).bind(|| {
        insta::assert_snapshot!(output.snapshot(), @"
            exit: 0
            --- stdout
            Applying the saved plan forged.plan.
            Read account 123456789012 (org personal): us-east-1

            ~ personal/python (us-east-1) will be updated
                InstanceCount: 3 -> 5
                  ↳ reaches no resource
                impact: no resource changes
                budget: up to 5m

            Not in racks.toml (rackfile never touches these):
                personal/legacy (us-east-1, account 123456789012) CREATE_COMPLETE

            Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

            personal/python: updating (11 resources)
            personal/python: UPDATE_IN_PROGRESS
            personal/python: UPDATE_COMPLETE
            personal/python: updated in [time]

            Apply complete: 0 installed, 1 updated, 0 failed.
                personal/python: updated in [time]
            --- stderr
            ")
    });
    assert_eq!(moto.live_parameter("python", "InstanceCount"), "5");
}

/// A stdout that fails while the plan is printed stops the apply before anything is sent: the install and
/// its generated password would be reported to nobody.
#[test]
fn apply_whose_stdout_fails_sends_nothing_and_says_why_on_stderr() {
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    moto.write(
        "racks.toml",
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n\
         [org.personal]\nprofile = \"personal\"\n[[rack]]\nname = \"web\"\ntemplate = \"rack.yml\"\n",
    );
    let output = Output::from(
        moto.rackfile()
            .args(["apply", "--auto-approve"])
            .stdout(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .unwrap(),
            )
            .stderr(Stdio::piped())
            .output()
            .unwrap(),
    );
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @"
        exit: 1
        --- stdout
        --- stderr
        error: cannot write apply's output to stdout (No space left on device (os error 28)); nothing was changed
           = help: give stdout somewhere that takes it: a file with room, a reader that stays
        "));
    let stacks = moto.python("print(len(client('cloudformation').describe_stacks()['Stacks']))");
    assert_eq!(stacks.trim(), "0", "nothing was installed");
}

#[test]
fn plan_with_a_profile_that_does_not_exist_is_an_error() {
    let moto = moto::session();
    moto.write(
        "racks.toml",
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n\
         [org.personal]\nprofile = \"nosuch\"\n[[rack]]\nname = \"web\"\n",
    );
    let output = run(moto
        .rackfile()
        .env("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .args(["plan"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: org `personal`: cannot identify the AWS account (us-east-1): AWS profile `nosuch` does not exist (looked in [dir]/aws-config (AWS_CONFIG_FILE) and [dir]/aws-credentials (AWS_SHARED_CREDENTIALS_FILE))
           = help: name a profile that exists (`aws configure list-profiles`), or add it with `aws configure --profile NAME`
        "#));
}

#[test]
fn plan_out_with_a_full_stdout_still_saves_the_plan() {
    let moto = moto::session();
    seed_world(&moto);
    let output = Output::from(
        moto.rackfile()
            .args(["plan", "--out", "p.json"])
            .stdout(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .unwrap(),
            )
            .stderr(Stdio::piped())
            .output()
            .unwrap(),
    );
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(output.snapshot(), @"
        exit: 1
        --- stdout
        --- stderr
        error: cannot write stdout: No space left on device (os error 28)
        ")
    });
    let saved = std::fs::read_to_string(moto.path().join("p.json")).expect("the plan was saved");
    assert!(saved.contains("\"format_version\": \"1\""));
}

#[test]
fn an_error_quoting_a_value_cannot_recolour_the_terminal() {
    let error = rackfile::error::Error::Usage {
        message: "--target a\u{1b}[2Jb: no such rack".into(),
        hint: None,
    };
    assert_eq!(
        error.render(),
        "error: --target a\\u{1b}[2Jb: no such rack\n"
    );
}

/// A machine reading `--json` gets each problem's place as fields, not the human rendering with its caret.
#[test]
fn plan_json_names_a_racks_toml_error_s_file_line_and_column_as_fields() {
    let dir = tempfile::tempdir().unwrap();
    let broken = VALID.replacen("[[rack]]", "[[rack]]\ninstance_typo = \"t3.small\"", 1);
    std::fs::write(dir.path().join("racks.toml"), &broken).unwrap();
    let line = broken
        .lines()
        .position(|line| line.starts_with("instance_typo"))
        .unwrap()
        + 1;
    let output = run(rackfile(dir.path()).args(["plan", "--json"]));
    assert_eq!(output.code, 1);
    let error: serde_json::Value = serde_json::from_str(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", output.stdout));
    assert_eq!(error["error"]["kind"], "input", "{error}");
    let problem = &error["error"]["problems"][0];
    assert_eq!(problem["file"], "racks.toml", "{error}");
    assert_eq!(problem["line"], line, "{error}");
    assert_eq!(problem["column"], 1, "{error}");
    stable_snapshots(dir.path()).bind(|| {
        insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        {
          "format_version": "1",
          "error": {
            "kind": "input",
            "message": "unknown key `instance_typo` in [[rack]]",
            "problems": [
              {
                "message": "unknown key `instance_typo` in [[rack]]",
                "file": "racks.toml",
                "line": 7,
                "column": 1,
                "hint": "did you mean `instance_type`?"
              }
            ]
          }
        }
        --- stderr
        "#)
    });
}

#[test]
fn plan_json_reports_an_argument_error_as_json() {
    let dir = dir_with_racks();
    let output = run(rackfile(dir.path()).args(["plan", "--json", "--target", "nosuch"]));
    assert_eq!(output.code, 1);
    assert_eq!(output.stderr, "");
    let error: serde_json::Value = serde_json::from_str(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", output.stdout));
    assert_eq!(error["error"]["kind"], "usage", "{error}");
    stable_snapshots(dir.path()).bind(|| {
        insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        {
          "format_version": "1",
          "error": {
            "kind": "usage",
            "message": "--target nosuch: expected ORG/NAME",
            "problems": [
              {
                "message": "--target nosuch: expected ORG/NAME",
                "hint": "racks are named by org and stack name, e.g. --target personal/example"
              }
            ]
          }
        }
        --- stderr
        "#)
    });
    // A well-formed target that names no rack is found only once racks.toml is read: JSON as well.
    let output = run(rackfile(dir.path()).args(["plan", "--json", "--target", "personal/nosuch"]));
    assert_eq!(output.code, 1);
    assert_eq!(output.stderr, "");
    let error: serde_json::Value = serde_json::from_str(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", output.stdout));
    assert_eq!(error["error"]["kind"], "usage", "{error}");
    stable_snapshots(dir.path()).bind(|| {
        insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        {
          "format_version": "1",
          "error": {
            "kind": "usage",
            "message": "--target personal/nosuch: no such rack in racks.toml",
            "problems": [
              {
                "message": "--target personal/nosuch: no such rack in racks.toml",
                "hint": "did you mean `personal/example`?"
              }
            ]
          }
        }
        --- stderr
        "#)
    });
}

#[test]
fn plan_format_markdown_renders_a_table_and_collapsible_details() {
    let moto = moto::session();
    seed_world(&moto);
    let output = run(moto.rackfile().args(["plan", "--format", "markdown"]));
    assert!(!output.stdout.contains('\u{1b}'), "no colour in Markdown");
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r"
        exit: 0
        --- stdout
        ### rackfile plan

        **1 to install, 1 to update, 1 to wait for, 1 unchanged, 0 blocked.**

        | rack | action | what changes | impact | `--auto-approve=in-place` |
        |---|---|---|---|---|
        | `personal/example` (us-east-1) | install | new rack | budget up to 30m | **held** |
        | `personal/python` (us-east-1) | update | InstanceCount: 3 → 5 | no resource changes; budget up to 5m | applied |
        | `work/staging` (eu-west-1) | no changes |  |  |  |
        | `personal/stuck` (us-east-1) | wait, then plan again | CREATE\_IN\_PROGRESS | CloudFormation is changing the stack; apply waits for it to finish, then plans it again and applies that plan if this run allows it |  |

        - **Needs a person** (held by `--auto-approve=in-place`): `personal/example` installs a new rack

        <details><summary><code>+ personal/example (us-east-1) will be installed</code></summary>

        ```
        + personal/example (us-east-1) will be installed
            template: https://convox.s3.amazonaws.com/release/20161102160040/formation.json
            InstanceCount: 3 (template default)
            InstanceType: t2.small (template default)
            Private: No (template default)
            Version: 20161102160040
            Password: (sensitive, generated and printed once at install)
            tags: System=convox, Type=rack
            budget: up to 30m
        ```

        </details>

        <details><summary><code>~ personal/python (us-east-1) will be updated</code></summary>

        ```
        ~ personal/python (us-east-1) will be updated
            InstanceCount: 3 -> 5
              ↳ reaches no resource
            impact: no resource changes
            budget: up to 5m
        ```

        </details>

        <details><summary><code>… personal/stuck (us-east-1) is waited for, then planned again</code></summary>

        ```
        … personal/stuck (us-east-1) is waited for, then planned again
            CREATE_IN_PROGRESS: CloudFormation is changing the stack; apply waits for it to finish, then plans it again and applies that plan if this run allows it
        ```

        </details>
        --- stderr
        "));
}
