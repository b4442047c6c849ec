//! The operating commands against moto: `status` (Convox's words, a rack stuck creating, racks not yet
//! installed), `import` (skipping stacks that are not racks, and the round trip to a clean plan) and
//! `doctor` (every check, a wrong account, a template without a parameter the file sets).

use crate::common::{run, stable_snapshots};
use crate::moto::{self, MotoSession, PERSONAL_ACCOUNT};
use crate::plan::{SYSTEM_TAGS, VERSION, rack_parameters, seed_rack, seed_world};

fn parameters_with(count: &str, extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut parameters = rack_parameters(count);
    parameters.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    parameters
}

fn seed(
    moto: &MotoSession,
    region: &str,
    name: &str,
    parameters: &[(&'static str, String)],
    tags: &[(&str, &str)],
) {
    let parameters: Vec<(&str, &str)> = parameters.iter().map(|(k, v)| (*k, v.as_str())).collect();
    seed_rack(moto, PERSONAL_ACCOUNT, region, name, &parameters, tags);
}

#[test]
fn status_shows_each_declared_rack_in_convox_words() {
    let moto = moto::session();
    seed_world(&moto);
    let output = run(moto.rackfile().arg("status"));
    assert!(!output.stdout.contains("legacy"), "only declared racks");
    // LATEST is Convox's latest published release, for the rack built from Convox's template URL only.
    insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 0
        --- stdout
        RACK              STATUS         VERSION         LATEST          REGION     COUNT  TYPE      ENDPOINT
        personal/example  not installed  -               20161102160040  us-east-1  -      -         -
        personal/python   running        20161102160040  -               us-east-1  3      t2.small  python.us-east-1.elb.amazonaws.com
        work/staging      running        20161102160040  -               eu-west-1  3      t2.small  staging.eu-west-1.elb.amazonaws.com
        personal/stuck    creating       -               -               us-east-1  -      -         -
        --- stderr
        "#);
}

#[test]
fn status_json_names_the_cloudformation_status_too() {
    let moto = moto::session();
    seed_world(&moto);
    let output = run(moto.rackfile().args(["status", "--json"]));
    assert_eq!(output.code, 0, "{}", output.stderr);
    let status: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    let stuck = &status["racks"][3];
    assert_eq!(stuck["rack"], "personal/stuck");
    assert_eq!(stuck["status"], "creating");
    assert_eq!(stuck["stack_status"], "CREATE_IN_PROGRESS");
    assert_eq!(status["racks"][0]["status"], "not installed");
    assert_eq!(status["racks"][0]["stack_status"], serde_json::Value::Null);
    assert_eq!(status["racks"][2]["account_id"], "210987654321");
}

/// The plan tests' world, with racks.toml's guard of org `work` naming an account its credentials do not reach.
fn seed_world_guarding_work_with_a_wrong_account(moto: &MotoSession) {
    seed_world(moto);
    let racks = std::fs::read_to_string(moto.path().join("racks.toml")).unwrap();
    moto.write(
        "racks.toml",
        &racks.replace("\"210987654321\"", "\"999999999999\""),
    );
}

#[test]
fn status_with_a_wrong_account_reads_nothing_and_says_why() {
    let moto = moto::session();
    seed_world_guarding_work_with_a_wrong_account(&moto);
    let output = run(moto.rackfile().args(["status", "--json"]));
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
}

/// Racks as a team would have them: two in us-east-1 (one with a non-default parameter and a team tag),
/// one private rack in eu-west-1, and two stacks that are not racks.
fn seed_account_to_import(moto: &MotoSession) {
    moto.publish_template(PERSONAL_ACCOUNT, VERSION, &moto::rack_template());
    let mut team_tags = SYSTEM_TAGS.to_vec();
    team_tags.push(("team", "web"));
    seed(
        moto,
        "us-east-1",
        "web",
        &parameters_with("4", &[("Autoscale", "Yes")]),
        &team_tags,
    );
    seed(
        moto,
        "us-east-1",
        "api",
        &rack_parameters("4"),
        &SYSTEM_TAGS,
    );
    let private: Vec<(&'static str, String)> = rack_parameters("3")
        .into_iter()
        .map(|(k, v)| {
            if k == "Private" {
                (k, "Yes".into())
            } else {
                (k, v)
            }
        })
        .collect();
    seed(moto, "eu-west-1", "europe", &private, &SYSTEM_TAGS);
    moto.python(
        "client('cloudformation').create_stack(StackName='website', \
         TemplateBody='Resources:\\n  Bucket:\\n    Type: AWS::S3::Bucket\\n')\n\
         body = 'Parameters:\\n  Version:\\n    Type: String\\n  InstanceType:\\n    Type: String\\nResources:\\n  Bucket:\\n    Type: AWS::S3::Bucket\\n'\n\
         client('cloudformation').create_stack(StackName='lookalike', TemplateBody=body, \
         Parameters=[{'ParameterKey': 'Version', 'ParameterValue': '1'}, {'ParameterKey': 'InstanceType', 'ParameterValue': 't2.small'}])\n",
    );
}

#[test]
fn import_declares_the_live_racks_and_plan_then_finds_nothing_to_change() {
    let moto = moto::session();
    seed_account_to_import(&moto);
    let output = run(moto.rackfile().args([
        "import",
        "--org",
        "personal",
        "--profile",
        "personal",
        "--region",
        "us-east-1",
        "--region",
        "eu-west-1",
        "--region",
        "us-east-1",
    ]));
    assert!(
        !output.stdout.contains("secret-password") && !output.stdout.contains("Password ="),
        "the password was imported:\n{}",
        output.stdout
    );
    // lookalike has Version and InstanceType but no Dashboard output: not a rack.
    insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 0
        --- stdout
        # Imported by `rackfile import` from account 123456789012 (org personal): us-east-1, eu-west-1.
        # Each rack uses Convox's published template for its version; set `template_url` or `template` if it
        # was built from another. Passwords are never imported: updates keep the live one.

        [defaults]
        org = "personal"
        region = "us-east-1"
        version = "20161102160040"

        [org.personal]
        profile = "personal"
        account_id = "123456789012"

        [[rack]]
        name = "europe"
        region = "eu-west-1"
        private = true

        [[rack]]
        name = "api"
        instance_count = 4

        [[rack]]
        name = "web"

        [rack.parameters]
        Autoscale = "Yes"

        [rack.tags]
        team = "web"
        --- stderr
        Imported 3 racks from account 123456789012 (us-east-1, eu-west-1).
        Skipped lookalike (us-east-1): not a rack
        Skipped website (us-east-1): not a rack
        "#);

    moto.write("racks.toml", &output.stdout);
    let plan = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    insta::assert_snapshot!(plan.snapshot(), @r#"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): eu-west-1, us-east-1

          personal/europe (eu-west-1) no changes

          personal/api (us-east-1) no changes

          personal/web (us-east-1) no changes

        Plan: 0 to install, 0 to update, 3 unchanged, 0 blocked.
        --- stderr
        "#);
}

#[test]
fn an_imported_untagged_2016_rack_is_tagged_by_the_next_apply_and_nothing_else() {
    let moto = moto::session();
    moto.publish_template(PERSONAL_ACCOUNT, VERSION, &moto::rack_template());
    seed(&moto, "us-east-1", "old", &rack_parameters("3"), &[]);
    let output =
        run(moto
            .rackfile()
            .args(["import", "--org", "personal", "--region", "us-east-1"]));
    assert!(!output.stdout.contains("profile ="), "no --profile given");
    insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 0
        --- stdout
        # Imported by `rackfile import` from account 123456789012 (org personal): us-east-1.
        # Each rack uses Convox's published template for its version; set `template_url` or `template` if it
        # was built from another. Passwords are never imported: updates keep the live one.

        [defaults]
        org = "personal"
        region = "us-east-1"
        version = "20161102160040"

        [org.personal]
        account_id = "123456789012"

        # A 2016 rack without Convox's tags: the first apply tags it System=convox, Type=rack.
        [[rack]]
        name = "old"
        --- stderr
        Imported 1 rack from account 123456789012 (us-east-1).
        "#);
    moto.write("racks.toml", &output.stdout);
    let plan = run(moto.rackfile().args(["plan", "--json"]));
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let kinds: Vec<(&str, &str)> = plan["racks"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["kind"].as_str().unwrap(), c["name"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, [("tag", "System"), ("tag", "Type")]);
}

#[test]
fn import_with_unusable_credentials_is_one_clear_error() {
    let moto = moto::session();
    let output = run(moto.rackfile().args([
        "import",
        "--org",
        "personal",
        "--profile",
        "nobody",
        "--region",
        "us-east-1",
    ]));
    assert!(output.stdout.is_empty(), "no half-written racks.toml");
    // Not "check the network": the profile is named, and the config file it was looked for in.
    assert!(
        !output.stderr.contains("check the network"),
        "{}",
        output.stderr
    );
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: org `personal`: cannot identify the AWS account (us-east-1): AWS profile `nobody` does not exist (looked in [dir]/aws-config (AWS_CONFIG_FILE) and [dir]/aws-credentials (AWS_SHARED_CREDENTIALS_FILE))
           = help: name a profile that exists (`aws configure list-profiles`), or add it with `aws configure --profile NAME`
        "#));
}

/// `import` with a region racks.toml would refuse, a malformed endpoint, or a shared AWS file that is not
/// one: each a clear error before any AWS call (no moto here: nothing may be reached).
#[test]
fn import_refuses_a_bad_region_endpoint_or_aws_file_before_any_call() {
    let dir = tempfile::tempdir().unwrap();
    let import = |extra: &[&str], env: &[(&str, &str)]| {
        let mut command = crate::common::rackfile(dir.path());
        command.args(["import", "--org", "personal", "--region", "us-east-1"]);
        command.args(extra);
        command.env("HOME", dir.path());
        for (key, value) in env {
            command.env(key, value);
        }
        run(&mut command)
    };
    // (extra arguments, extra environment, the error's first line)
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 6] = [
        (
            &["--region", "mars-1"],
            &[],
            "error: --region \"mars-1\" is not an AWS region name\n",
        ),
        (
            &["--endpoint-url", "not a url"],
            &[],
            "error: --endpoint-url \"not a url\" is not a URL: it must start with http:// or https://\n",
        ),
        (
            &["--endpoint-url", "http//x"],
            &[],
            "error: --endpoint-url \"http//x\" is not a URL: it must start with http:// or https://\n",
        ),
        (
            &[],
            &[("AWS_ENDPOINT_URL", "localhost:4566")],
            "error: AWS_ENDPOINT_URL \"localhost:4566\" is not a URL: it must start with http:// or https://\n",
        ),
        (
            &[],
            &[("AWS_CONFIG_FILE", "/dev/zero")],
            "error: /dev/zero (AWS_CONFIG_FILE) is not a regular file\n",
        ),
        (
            &[],
            &[("AWS_SHARED_CREDENTIALS_FILE", "/dev/urandom")],
            "error: /dev/urandom (AWS_SHARED_CREDENTIALS_FILE) is not a regular file\n",
        ),
    ];
    for (extra, env, first_line) in cases {
        let output = import(extra, env);
        assert_eq!(output.code, 1, "{extra:?} {env:?}: {}", output.stderr);
        assert!(
            output.stderr.starts_with(first_line),
            "{extra:?} {env:?}:\n{}",
            output.stderr
        );
        assert!(output.stdout.is_empty());
        assert!(!output.stderr.contains("panicked"), "{}", output.stderr);
    }
}

#[test]
fn doctor_passes_every_check_of_a_healthy_setup() {
    let moto = moto::session();
    seed_world(&moto);
    let racks = std::fs::read_to_string(moto.path().join("racks.toml")).unwrap();
    // The stuck rack's stack was just created, so it is creating, not stuck.
    let output = run(moto.rackfile().arg("doctor"));
    assert!(racks.contains("name = \"stuck\""));
    insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 0
        --- stdout
        [✓] racks.toml is valid: 4 racks in 2 orgs, 2 regions
        [✓] org personal: credentials (profile personal) resolve to account 123456789012
        [✓] org personal: account guard holds (123456789012)
        [✓] org work: credentials (profile work) resolve to account 210987654321
        [✓] org work: account guard holds (210987654321)
        [-] org personal's credentials against the plan policy: cannot tell (iam:SimulatePrincipalPolicy: HTTP 500, with no AWS error in the answer)
        [-] org work's credentials against the plan policy: cannot tell (iam:SimulatePrincipalPolicy: HTTP 500, with no AWS error in the answer)
        [✓] Convox's release list is readable: 1 release, the latest published is 20161102160040
        [✓] template https://convox.s3.amazonaws.com/release/20161102160040/formation.json (account 123456789012): reachable, 15 parameters cover personal/example
        [✓] template rack.yml (account 123456789012): reachable, 15 parameters cover personal/python, personal/stuck
        [✓] template rack.yml (account 210987654321): reachable, 15 parameters cover work/staging
        [✓] personal/example: not installed (apply installs it)
        [✓] personal/python: running (CREATE_COMPLETE)
        [✓] work/staging: running (CREATE_COMPLETE)
        [✓] personal/stuck: creating (CREATE_IN_PROGRESS for 0m)
        [✓] rack personal/example: preflight: instance type t2.small is offered in the rack's subnets' zones (zones AWS chooses)
        [✓] rack personal/example: preflight: 3 instances of t2.small need 3 vCPUs (1 each); quota L-1216C47A (Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances) is 256 vCPUs
        [✓] rack personal/python: preflight: instance type t2.small is offered in the rack's subnets' zones (zones AWS chooses)
        [✓] rack personal/python: preflight: 5 instances of t2.small plus a rolling batch of 1 need 6 vCPUs (1 each), and rack example planned before it in this account and region ask 3; quota L-1216C47A (Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances) is 256 vCPUs
        [✓] rack work/staging: preflight: instance type t2.small is offered in the rack's subnets' zones (zones AWS chooses)
        [✓] rack work/staging: preflight: 3 instances of t2.small plus a rolling batch of 1 need 4 vCPUs (1 each); quota L-1216C47A (Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances) is 256 vCPUs

        Doctor: 19 passed, 0 failed, 2 skipped.
        --- stderr
        "#);
}

#[test]
fn doctor_fails_on_a_wrong_account_and_still_checks_the_other_org() {
    let moto = moto::session();
    seed_world_guarding_work_with_a_wrong_account(&moto);
    let output = run(moto.rackfile().arg("doctor"));
    assert!(
        !output.stdout.contains("work/staging"),
        "no stack of the guarded org is read"
    );
    insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        [✓] racks.toml is valid: 4 racks in 2 orgs, 2 regions
        [✓] org personal: credentials (profile personal) resolve to account 123456789012
        [✓] org personal: account guard holds (123456789012)
        [✓] org work: credentials (profile work) resolve to account 210987654321
        [✗] org work: account guard fails: the credentials reach account 210987654321, racks.toml says account_id = "999999999999"
            help: check the profile of [org.work] or the credentials in the environment
        [-] org work: templates and stacks not checked (the account guard failed)
        [-] org personal's credentials against the plan policy: cannot tell (iam:SimulatePrincipalPolicy: HTTP 500, with no AWS error in the answer)
        [✓] Convox's release list is readable: 1 release, the latest published is 20161102160040
        [✓] template https://convox.s3.amazonaws.com/release/20161102160040/formation.json (account 123456789012): reachable, 15 parameters cover personal/example
        [✓] template rack.yml (account 123456789012): reachable, 15 parameters cover personal/python, personal/stuck
        [✓] personal/example: not installed (apply installs it)
        [✓] personal/python: running (CREATE_COMPLETE)
        [✓] personal/stuck: creating (CREATE_IN_PROGRESS for 0m)
        [-] preflight checks (the racks' accounts or stacks could not be read)

        Doctor: 10 passed, 1 failed, 3 skipped.
        --- stderr
        "#);
}

#[test]
fn doctor_fails_on_a_template_without_a_parameter_and_on_an_unreadable_template() {
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    moto.write(
        "racks.toml",
        &format!(
            "{}\n[[rack]]\nname = \"example\"\ntemplate = \"rack.yml\"\n[rack.parameters]\nAutoscal = \"Yes\"\n\
             [[rack]]\nname = \"broken\"\ntemplate_url = \"http://localhost/missing.json\"\n",
            moto::TWO_ORGS
        ),
    );
    let output = run(moto.rackfile().arg("doctor"));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        [✓] racks.toml is valid: 2 racks in 1 org, 1 region
        [✓] org personal: credentials (profile personal) resolve to account 123456789012
        [✓] org personal: account guard holds (123456789012)
        [-] org personal's credentials against the plan policy: cannot tell (iam:SimulatePrincipalPolicy: HTTP 500, with no AWS error in the answer)
        [✗] template http://localhost/missing.json (account 123456789012): cannot be read: HTTP 500, with no AWS error in the answer
            help: check `version` and `template_url`: the URL must name a published template
        [✗] template rack.yml (account 123456789012): reachable, but it has no such parameter:
            personal/example sets `Autoscal` (did you mean `Autoscale`?)
            help: fix the name under [rack.parameters], or use a template that has it
        [✓] personal/example: not installed (apply installs it)
        [✓] personal/broken: not installed (apply installs it)
        [-] preflight checks (racks.toml does not fit the templates: `rackfile plan` says why)

        Doctor: 5 passed, 2 failed, 2 skipped.
        --- stderr
        "#));
}

#[test]
fn doctor_of_an_invalid_file_fails_with_its_errors_and_reads_nothing() {
    let moto = moto::session();
    moto.write(
        "racks.toml",
        "[defaults]\nregion = \"us-east-1\"\n[[rack]]\nname = \"x\"\nvresion = \"1\"\n",
    );
    let output = run(moto.rackfile().arg("doctor"));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        [✗] racks.toml is not valid:
            error: rack `x` has no org
             --> racks.toml:4:8
              |
            4 | name = "x"
              |        ^^^
               = help: set `org` in this rack or in [defaults]
            
            error: rack `x` has no version
             --> racks.toml:4:8
              |
            4 | name = "x"
              |        ^^^
               = help: set `version` (a Convox release, e.g. "20161102160040") in this rack or in [defaults]
            
            error: unknown key `vresion` in [[rack]]
             --> racks.toml:5:1
              |
            5 | vresion = "1"
              | ^^^^^^^
               = help: did you mean `version`?
            
            error: racks.toml has 3 errors
            help: fix racks.toml; `rackfile validate` checks it offline
        [-] AWS checks (they need a valid racks.toml)

        Doctor: 0 passed, 1 failed, 1 skipped.
        --- stderr
        "#));
}
