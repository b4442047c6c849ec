//! `rackfile plan` against moto: every action, the default template URL served from moto's S3, the account
//! guard, --target, --json, --out and the exit codes.

use crate::common::{run, stable_snapshots};
use crate::moto::{self, MotoSession, PERSONAL_ACCOUNT, WORK_ACCOUNT};

pub const VERSION: &str = "20161102160040";

/// The racks of this module's tests, in the two orgs of `moto::TWO_ORGS`.
const RACK_ENTRIES: &str = r#"
[[rack]]
name = "example"

[[rack]]
name = "python"
instance_count = 5
template = "rack.yml"

[[rack]]
org = "work"
name = "staging"
region = "eu-west-1"
template = "rack.yml"

[rack.tags]
team = "platform"

[[rack]]
name = "stuck"
template = "rack.yml"
"#;

fn racks() -> String {
    format!("{}{RACK_ENTRIES}", moto::TWO_ORGS)
}

/// Creates a stack the way rackfile installs one, with the example template.
pub fn seed_rack(
    moto: &MotoSession,
    account: &str,
    region: &str,
    name: &str,
    parameters: &[(&str, &str)],
    tags: &[(&str, &str)],
) {
    let parameters: Vec<String> = parameters
        .iter()
        .map(|(k, v)| format!("{{'ParameterKey': '{k}', 'ParameterValue': '{v}'}}"))
        .collect();
    let tags: Vec<String> = tags
        .iter()
        .map(|(k, v)| format!("{{'Key': '{k}', 'Value': '{v}'}}"))
        .collect();
    moto.python(&format!(
        "client('cloudformation', region='{region}', account='{account}').create_stack(\
         StackName='{name}', TemplateBody={body:?}, Capabilities=['CAPABILITY_IAM'], \
         Parameters=[{}], Tags=[{}])\n",
        parameters.join(", "),
        tags.join(", "),
        body = moto::rack_template(),
    ));
}

/// A stack whose create failed: moto leaves it in CREATE_IN_PROGRESS.
/// A rack (tagged as one) that moto holds in CREATE_IN_PROGRESS.
pub fn seed_stuck_stack(moto: &MotoSession, account: &str, region: &str, name: &str) {
    moto.python(&format!(
        "cfn = client('cloudformation', region='{region}', account='{account}')\n\
         body = 'Resources:\\n  Subnet:\\n    Type: AWS::EC2::Subnet\\n    Properties:\\n      VpcId: vpc-missing\\n      CidrBlock: 10.0.0.0/24\\n'\n\
         try:\n    cfn.create_stack(StackName='{name}', TemplateBody=body, Tags=[{{'Key': 'System', 'Value': 'convox'}}, {{'Key': 'Type', 'Value': 'rack'}}])\nexcept Exception:\n    pass\n\
         assert cfn.describe_stacks(StackName='{name}')['Stacks'][0]['StackStatus'] == 'CREATE_IN_PROGRESS'\n"
    ));
}

pub const SYSTEM_TAGS: [(&str, &str); 2] = [("System", "convox"), ("Type", "rack")];

pub fn rack_parameters(count: &str) -> Vec<(&'static str, String)> {
    vec![
        ("InstanceType", "t2.small".into()),
        ("InstanceCount", count.into()),
        ("Private", "No".into()),
        ("Version", VERSION.into()),
        ("Password", "secret-password".into()),
    ]
}

pub(crate) fn seed_world(moto: &MotoSession) {
    moto.write("racks.toml", &racks());
    moto.write("rack.yml", &moto::rack_template());
    moto.publish_template(PERSONAL_ACCOUNT, VERSION, &moto::rack_template());
    let three = rack_parameters("3");
    let three: Vec<(&str, &str)> = three.iter().map(|(k, v)| (*k, v.as_str())).collect();
    seed_rack(
        moto,
        PERSONAL_ACCOUNT,
        "us-east-1",
        "python",
        &three,
        &SYSTEM_TAGS,
    );
    let mut staging_tags = SYSTEM_TAGS.to_vec();
    staging_tags.push(("team", "platform"));
    seed_rack(
        moto,
        WORK_ACCOUNT,
        "eu-west-1",
        "staging",
        &three,
        &staging_tags,
    );
    seed_stuck_stack(moto, PERSONAL_ACCOUNT, "us-east-1", "stuck");
    // A rack nobody declared, and a stack that is not a rack at all.
    seed_rack(
        moto,
        PERSONAL_ACCOUNT,
        "us-east-1",
        "legacy",
        &three,
        &SYSTEM_TAGS,
    );
    moto.python(
        "client('cloudformation').create_stack(StackName='website', \
         TemplateBody='Resources:\\n  Bucket:\\n    Type: AWS::S3::Bucket\\n')\n",
    );
}

#[test]
fn plan_shows_every_action_and_the_racks_nobody_declared() {
    let moto = moto::session();
    seed_world(&moto);
    let output = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    assert!(
        !output.stdout.contains("website"),
        "a non-rack stack was listed"
    );
    assert!(
        !output.stdout.contains("secret-password"),
        "a NoEcho value was printed"
    );
    insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 2
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
        "#);
}

#[test]
fn plan_without_detailed_exitcode_exits_0_even_with_changes() {
    let moto = moto::session();
    seed_world(&moto);
    let output = run(moto.rackfile().arg("plan"));
    assert_eq!(output.code, 0, "{}", output.stderr);
}

#[test]
fn plan_of_targets_reads_and_shows_only_them() {
    let moto = moto::session();
    seed_world(&moto);
    let output =
        run(moto
            .rackfile()
            .args(["plan", "--target", "work/staging", "--detailed-exitcode"]));
    // An unchanged rack, so no changes: exit 0.
    insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 0
        --- stdout
        Read account 210987654321 (org work): eu-west-1

          work/staging (eu-west-1) no changes

        Plan: 0 to install, 0 to update, 1 unchanged, 0 blocked.
        --- stderr
        "#);
}

#[test]
fn plan_refuses_an_unknown_target_with_a_suggestion() {
    let moto = moto::session();
    seed_world(&moto);
    let output = run(moto.rackfile().args(["plan", "--target", "work/stagin"]));
    assert_eq!(output.code, 1);
    insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: --target work/stagin: no such rack in racks.toml
           = help: did you mean `work/staging`?
        "#);
}

#[test]
fn plan_json_is_the_same_plan_with_a_format_version() {
    let moto = moto::session();
    seed_world(&moto);
    let output = run(moto.rackfile().args(["plan", "--json"]));
    assert_eq!(output.code, 0, "{}", output.stderr);
    let plan: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(plan["format_version"], "1");
    let actions: Vec<(&str, &str)> = plan["racks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["rack"].as_str().unwrap(), r["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("personal/example", "install"),
            ("personal/python", "update"),
            ("work/staging", "unchanged"),
            ("personal/stuck", "wait"),
        ]
    );
    let python = &plan["racks"][1];
    assert_eq!(
        python["changes"],
        serde_json::json!([{"kind": "parameter", "name": "InstanceCount", "before": "3", "after": "5", "sensitive": false,
                            "reach": "reaches no resource", "reached": []}])
    );
    // The example template sizes nothing by InstanceCount: the analysis says so rather than guess.
    assert_eq!(
        python["impact"],
        serde_json::json!({"analysis": "analysed", "verdict": "no resource changes", "resources": []})
    );
    assert_eq!(
        python["parameters"]["Password"], "use_previous",
        "NoEcho kept without reading it"
    );
    assert_eq!(
        python["parameters"]["Ami"],
        serde_json::json!({"value": ""}),
        "unmanaged live value kept"
    );
    assert_eq!(plan["racks"][3]["status"], "CREATE_IN_PROGRESS");
    assert_eq!(
        plan["summary"],
        serde_json::json!({"install": 1, "update": 1, "upgrade": 0, "reinstall": 0, "continue_rollback": 0, "uninstall": 0, "unchanged": 1, "blocked": 0, "wait": 1})
    );
    assert_eq!(plan["not_in_racks_toml"][0]["name"], "legacy");
    assert!(
        plan["racks"][1]["stack"]["stack_id"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:cloudformation:us-east-1:123456789012:stack/python/")
    );
}

#[test]
fn plan_out_saves_the_plan_with_fingerprints() {
    let moto = moto::session();
    seed_world(&moto);
    let output = run(moto.rackfile().args(["plan", "--out", "saved.plan"]));
    insta::assert_snapshot!(output.snapshot(), @r#"
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

        Saved the plan to saved.plan. Apply exactly this plan with: rackfile apply saved.plan
        --- stderr
        "#);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(moto.path().join("saved.plan")).unwrap())
            .unwrap();
    assert_eq!(saved["racks_file"]["sha256"].as_str().unwrap().len(), 64);
    let python = &saved["racks"][1]["stack"];
    assert_eq!(python["status"], "CREATE_COMPLETE");
    assert!(!python["last_updated"].as_str().unwrap().is_empty());
    assert_eq!(python["parameters_sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn plan_stops_at_the_account_guard_naming_both_accounts() {
    let moto = moto::session();
    moto.write(
        "racks.toml",
        &racks().replace(
            "account_id = \"210987654321\"",
            "account_id = \"999999999999\"",
        ),
    );
    moto.write("rack.yml", &moto::rack_template());
    let output = run(moto.rackfile().args(["plan", "--json"]));
    insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        {
          "format_version": "1",
          "error": {
            "kind": "aws",
            "message": "org `work`: the credentials belong to account 210987654321, but racks.toml says account_id = \"999999999999\"; nothing was read or changed",
            "problems": [
              {
                "message": "org `work`: the credentials belong to account 210987654321, but racks.toml says account_id = \"999999999999\"; nothing was read or changed",
                "hint": "check the profile of [org.work] or the credentials in the environment"
              }
            ]
          }
        }
        --- stderr
        "#);
    let output = run(moto.rackfile().arg("plan"));
    insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: org `work`: the credentials belong to account 210987654321, but racks.toml says account_id = "999999999999"; nothing was read or changed
           = help: check the profile of [org.work] or the credentials in the environment
        "#);
}

#[test]
fn plan_catches_an_unknown_parameter_with_a_suggestion() {
    let moto = moto::session();
    moto.write(
        "racks.toml",
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n[org.personal]\n\
         [[rack]]\nname = \"example\"\ntemplate = \"rack.yml\"\n[rack.parameters]\nAutoscal = \"Yes\"\n",
    );
    moto.write("rack.yml", &moto::rack_template());
    let output = run(moto.rackfile().arg("plan"));
    assert_eq!(output.code, 1);
    insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: personal/example: the template rack.yml has no parameter `Autoscal`
          --> racks.toml:10:1
           |
        10 | Autoscal = "Yes"
           | ^^^^^^^^
           = help: did you mean `Autoscale`?

        error: cannot plan: 1 problem; nothing was changed
        "#);
}

#[test]
fn a_missing_published_template_names_the_rack_and_the_url() {
    let moto = moto::session();
    // Listed as a release, but its template is not where Convox publishes templates.
    moto.publish_releases(&[("20991231000000", true, false)]);
    moto.write(
        "racks.toml",
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"20991231000000\"\n[org.personal]\n\
         [[rack]]\nname = \"example\"\n",
    );
    let output = run(moto.rackfile().arg("plan"));
    insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: personal/example: cannot read the template https://convox.s3.amazonaws.com/release/20991231000000/formation.json: NoSuchKey: The specified key does not exist.
           = help: check `version` and `template_url`: the URL must name a published template
        error: cannot plan: 1 problem; nothing was changed
        "#);
}

#[test]
fn plan_shows_a_changed_local_template_as_a_diff_and_hides_noecho_values() {
    let moto = moto::session();
    let template = moto::rack_template();
    let three = rack_parameters("3");
    let mut seeded: Vec<(&str, &str)> = three.iter().map(|(k, v)| (*k, v.as_str())).collect();
    seeded.push(("Key", "old-ssh-key"));
    seed_rack(
        &moto,
        PERSONAL_ACCOUNT,
        "us-east-1",
        "python",
        &seeded,
        &SYSTEM_TAGS,
    );
    // The new template makes Key NoEcho and changes its description; the rack sets a new Key.
    let changed = template.replace(
        "  Key:\n    Type: String\n    Default: \"\"\n",
        "  Key:\n    Type: String\n    Default: \"\"\n    NoEcho: true\n",
    );
    assert_ne!(changed, template);
    moto.write("rack.yml", &changed);
    moto.write(
        "racks.toml",
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"20161102160040\"\n[org.personal]\n\
         [[rack]]\nname = \"python\"\ntemplate = \"rack.yml\"\n[rack.parameters]\nKey = \"new-ssh-key\"\n",
    );
    let output = run(moto.rackfile().arg("plan"));
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(
        !output.stdout.contains("ssh-key"),
        "a NoEcho value was printed:\n{}",
        output.stdout
    );
    insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ~ personal/python (us-east-1) will be updated
            Key: (sensitive) -> (sensitive)
              ↳ reaches no resource
            template: live template -> rack.yml
              ↳ reaches no resource
              --- live template
              +++ rack.yml
              @@ -27,4 +27,5 @@
                   Type: String
                   Default: ""
              +    NoEcho: true
                 Password:
                   Type: String
            impact: no resource changes
            budget: up to 5m

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
        --- stderr
        "#);
}

#[test]
fn plan_of_an_unchanged_local_template_costs_no_get_template_from_the_second_on() {
    let moto = moto::session();
    seed_world(&moto);
    let get_templates = |output: &crate::common::Output| {
        output
            .stderr
            .matches("CloudFormation.GetTemplate (")
            .count()
    };
    let first = run(moto.rackfile().args(["-v", "plan"]));
    assert_eq!(first.code, 0, "{}", first.stderr);
    // python and staging are built from rack.yml; stuck is being created, so its template does not matter.
    assert_eq!(get_templates(&first), 2, "{}", first.stderr);

    let second = run(moto.rackfile().args(["-v", "plan"]));
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(get_templates(&second), 0, "{}", second.stderr);
    assert_eq!(second.stdout, first.stdout, "the same plan");
    let cache =
        std::fs::read_to_string(moto.path().join(".cache/rackfile/templates.json")).unwrap();
    assert!(
        !cache.contains("Password") && !cache.contains("t2.small") && !cache.contains("Resources"),
        "hashes only, never a value or a body: {cache}"
    );

    // A changed file is read against the live template again, and shown.
    moto.write(
        "rack.yml",
        &moto::rack_template().replace("RetentionInDays: 7", "RetentionInDays: 14"),
    );
    let changed = run(moto.rackfile().args(["-v", "plan"]));
    assert_eq!(changed.code, 0, "{}", changed.stderr);
    assert_eq!(get_templates(&changed), 2, "{}", changed.stderr);
    stable_snapshots(moto.path())
        .bind(|| insta::assert_snapshot!(changed.snapshot_of_stdout(), @"
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
                template: live template -> rack.yml
                  ↳ modifies LogGroup in place
                  --- live template
                  +++ rack.yml
                  @@ -100,5 +100,5 @@
                       Type: AWS::Logs::LogGroup
                       Properties:
                  -      RetentionInDays: 7
                  +      RetentionInDays: 14
                     Settings:
                       Type: AWS::S3::Bucket
                impact: modifies 1 resource in place
                budget: up to 5m

            ~ work/staging (eu-west-1) will be updated
                template: live template -> rack.yml
                  ↳ modifies LogGroup in place
                  --- live template
                  +++ rack.yml
                  @@ -100,5 +100,5 @@
                       Type: AWS::Logs::LogGroup
                       Properties:
                  -      RetentionInDays: 7
                  +      RetentionInDays: 14
                     Settings:
                       Type: AWS::S3::Bucket
                impact: modifies 1 resource in place
                budget: up to 5m

            … personal/stuck (us-east-1) is waited for, then planned again
                CREATE_IN_PROGRESS: CloudFormation is changing the stack; apply waits for it to finish, then plans it again and applies that plan if this run allows it

            Not in racks.toml (rackfile never touches these):
                personal/legacy (us-east-1, account 123456789012) CREATE_COMPLETE

            Plan: 1 to install, 2 to update, 1 to wait for, 0 unchanged, 0 blocked.
            "));

    // The cache is safe to delete: it only costs the reads again.
    std::fs::remove_dir_all(moto.path().join(".cache")).unwrap();
    moto.write("rack.yml", &moto::rack_template());
    let fresh = run(moto.rackfile().args(["-v", "plan"]));
    assert_eq!(get_templates(&fresh), 2, "{}", fresh.stderr);
    assert_eq!(fresh.stdout, first.stdout);
}

#[test]
fn plan_trusts_an_edited_template_cache_but_apply_never_skips_a_change() {
    let moto = moto::session();
    seed_world(&moto);
    let first = run(moto.rackfile().arg("plan"));
    assert_eq!(first.code, 0, "{}", first.stderr);
    let cache_path = moto.path().join(".cache/rackfile/templates.json");
    let live_hash = rackfile::config::sha256_hex(moto::rack_template().trim_end().as_bytes());
    let cache = std::fs::read_to_string(&cache_path).unwrap();
    assert!(cache.contains(&live_hash), "{cache}");

    // The file changes, and someone edits the cache to claim the live template is already the new file.
    let changed = moto::rack_template().replace("RetentionInDays: 7", "RetentionInDays: 14");
    moto.write("rack.yml", &changed);
    let forged = rackfile::config::sha256_hex(changed.trim_end().as_bytes());
    std::fs::write(&cache_path, cache.replace(&live_hash, &forged)).unwrap();
    let plan = run(moto
        .rackfile()
        .args(["plan", "--target", "personal/python"]));
    // The plan trusts the cache (it is only a cost saving) and shows no template change.
    assert!(!plan.stdout.contains("RetentionInDays"), "{}", plan.stdout);
    insta::assert_snapshot!(plan.snapshot(), @"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ~ personal/python (us-east-1) will be updated
            InstanceCount: 3 -> 5
              ↳ reaches no resource
            impact: no resource changes
            budget: up to 5m

        Not in racks.toml (rackfile never touches these):
            personal/legacy (us-east-1, account 123456789012) CREATE_COMPLETE

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
        --- stderr
        ");
    // In CI the cache may come from another branch's job: it is not trusted, and the forgery is reported.
    let ci = run(moto
        .rackfile()
        .env("CI", "true")
        .args(["plan", "--target", "personal/python"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(ci.snapshot(), @"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ~ personal/python (us-east-1) will be updated
            InstanceCount: 3 -> 5
              ↳ reaches no resource
            template: live template -> rack.yml
              ↳ modifies LogGroup in place
              --- live template
              +++ rack.yml
              @@ -100,5 +100,5 @@
                   Type: AWS::Logs::LogGroup
                   Properties:
              -      RetentionInDays: 7
              +      RetentionInDays: 14
                 Settings:
                   Type: AWS::S3::Bucket
            impact: modifies 1 resource in place
            budget: up to 5m

        Not in racks.toml (rackfile never touches these):
            personal/legacy (us-east-1, account 123456789012) CREATE_COMPLETE

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
        --- stderr
        warning: the template cache said something else of the template of arn:aws:cloudformation:us-east-1:123456789012:stack/python/[stack-id] at the time read now; it was written by someone else (a CI cache shared with other jobs?) and was not used. Delete [dir]/.cache/rackfile/templates.json if you did not expect this.
        "));
    std::fs::write(&cache_path, cache.replace(&live_hash, &forged)).unwrap();

    let apply = run(moto.rackfile().args([
        "-v",
        "apply",
        "--auto-approve",
        "--target",
        "personal/python",
    ]));
    // Apply compared the live template itself: it shows the change the forged cache hid.
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(apply.snapshot_of_stdout(), @"
            exit: 0
            --- stdout
            Read account 123456789012 (org personal): us-east-1

            ~ personal/python (us-east-1) will be updated
                InstanceCount: 3 -> 5
                  ↳ reaches no resource
                template: live template -> rack.yml
                  ↳ modifies LogGroup in place
                  --- live template
                  +++ rack.yml
                  @@ -100,5 +100,5 @@
                       Type: AWS::Logs::LogGroup
                       Properties:
                  -      RetentionInDays: 7
                  +      RetentionInDays: 14
                     Settings:
                       Type: AWS::S3::Bucket
                impact: modifies 1 resource in place
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
            ")
    });
    assert!(
        apply.stderr.contains("CloudFormation.UpdateStack ("),
        "{}",
        apply.stderr
    );
    let live = moto
        .python("print(client('cloudformation').get_template(StackName='python')['TemplateBody'])");
    assert!(live.contains("RetentionInDays: 14"), "{live}");
}

/// The CI example's credentials: one set in the environment (what OIDC gives the job), and a profile per org
/// assuming that org's role in its own account from it (`credential_source = Environment`).
#[test]
fn plan_of_orgs_in_two_accounts_from_one_set_of_environment_credentials_as_in_ci() {
    let moto = moto::session();
    seed_world(&moto);
    moto.write(
        "ci-aws-config",
        "[profile personal]\nrole_arn = arn:aws:iam::123456789012:role/racks-plan\ncredential_source = Environment\nregion = us-east-1\n\n\
         [profile work]\nrole_arn = arn:aws:iam::210987654321:role/racks-plan\ncredential_source = Environment\nregion = us-east-1\n",
    );
    let output = run(moto
        .rackfile()
        .arg("plan")
        .env("AWS_CONFIG_FILE", moto.path().join("ci-aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", moto.path().join("none"))
        .env("AWS_ACCESS_KEY_ID", "AKIAHUBROLE")
        .env("AWS_SECRET_ACCESS_KEY", "hub-secret")
        .env("AWS_SESSION_TOKEN", "hub-session"));
    // Both account guards held: each org's role is in its own account.
    insta::assert_snapshot!(output.snapshot(), @r#"
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
        "#);
}

#[test]
fn plan_with_endpoint_url_points_every_client_at_the_emulator() {
    let moto = moto::session();
    seed_world(&moto);
    let endpoint = moto.endpoint();
    let output = run(moto.rackfile().env_remove("AWS_ENDPOINT_URL").args([
        "--endpoint-url",
        &endpoint,
        "plan",
        "--target",
        "work/staging",
    ]));
    insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 0
        --- stdout
        Read account 210987654321 (org work): eu-west-1

          work/staging (eu-west-1) no changes

        Plan: 0 to install, 0 to update, 1 unchanged, 0 blocked.
        --- stderr
        "#);
}

#[test]
fn plan_without_credentials_is_one_clear_error_naming_the_org() {
    let moto = moto::session();
    moto.write(
        "racks.toml",
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n[org.personal]\n[[rack]]\nname = \"example\"\n",
    );
    let output = run(moto
        .rackfile()
        .env("AWS_CONFIG_FILE", moto.path().join("missing-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            moto.path().join("missing-credentials"),
        )
        .arg("plan"));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
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
        "#));
}
