//! Plans faithful to Convox's real templates, against moto: the rack-like templates in tests/templates carry
//! the parameter declarations of Convox's 2016 and 2026 releases (scripts/gen-rack-templates), published
//! where Convox publishes them, so rackfile reads them from S3 by the default template URL as it would in
//! production.

use crate::common::{Output, repo_root, run, snapshot_settings, stable_snapshots};
use crate::moto::{self, MotoSession, PERSONAL_ACCOUNT};

pub(crate) const V2016: &str = "20161102160040";
pub(crate) const V2026: &str = "20260421192651";

fn rack_template(generation: &str) -> String {
    std::fs::read_to_string(repo_root().join(format!("tests/templates/rack-{generation}.json")))
        .unwrap()
}

/// A moto session with both releases published in Convox's (public) bucket.
pub(crate) fn session() -> MotoSession {
    let moto = moto::session();
    moto.publish_template(PERSONAL_ACCOUNT, V2016, &rack_template("2016"));
    moto.publish_template(PERSONAL_ACCOUNT, V2026, &rack_template("2026"));
    moto
}

/// racks.toml with one org and the given rack entries.
pub(crate) fn racks(entries: &str) -> String {
    format!(
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\n\n[org.personal]\nprofile = \"personal\"\n\
         account_id = \"{PERSONAL_ACCOUNT}\"\n{entries}"
    )
}

/// Creates a rack from a published release, tagged as Convox tags racks, with `parameters` set and every
/// other parameter given its default explicitly: moto treats a parameter defaulted at create as changed by
/// any later value, and then trips over its own replacement of the AutoScalingGroup. List parameters are
/// the exception, left to their defaults: moto echoes an explicit list value back as a Python list
/// (`['']`), which AWS never does.
pub(crate) fn seed(moto: &MotoSession, name: &str, version: &str, parameters: &[(&str, &str)]) {
    let parameters: Vec<String> = parameters
        .iter()
        .map(|(k, v)| format!("{{'ParameterKey': '{k}', 'ParameterValue': '{v}'}}"))
        .collect();
    moto.python(&format!(
        "cfn = client('cloudformation')\n\
         url = 'https://convox.s3.amazonaws.com/release/{version}/formation.json'\n\
         body = json.loads(client('s3').get_object(Bucket='convox', Key='release/{version}/formation.json')['Body'].read())\n\
         listed = lambda p: p['Type'] == 'CommaDelimitedList'\n\
         given = {{p['ParameterKey']: p['ParameterValue'] for p in [{parameters}]}}\n\
         given.update(Version='{version}', Password='secret-password')\n\
         params = [{{'ParameterKey': k, 'ParameterValue': str(given.get(k, p.get('Default')))}} for k, p in body['Parameters'].items() if k in given or not listed(p)]\n\
         cfn.create_stack(StackName='{name}', TemplateURL=url, Capabilities=['CAPABILITY_IAM'], Parameters=params, \
         Tags=[{{'Key': 'System', 'Value': 'convox'}}, {{'Key': 'Type', 'Value': 'rack'}}])\n",
        parameters = parameters.join(", "),
    ));
}

/// Stands in for Convox's autoscaler: UpdateStack with the previous template and every previous value
/// but the count (by value: moto refuses UsePreviousValue for a parameter defaulted at create; list
/// parameters, left to their defaults by `seed`, are left out and so keep them).
fn autoscaler_sets_count(moto: &MotoSession, name: &str, count: &str) {
    moto.python(&format!(
        "cfn = client('cloudformation')\n\
         s = cfn.describe_stacks(StackName='{name}')['Stacks'][0]\n\
         kept = lambda p: {{'ParameterKey': p['ParameterKey'], 'UsePreviousValue': True}} if p['ParameterKey'] in ('Password', 'DefaultAmi', 'DefaultAmiArm') else p\n\
         listed = {{'AvailabilityZones', 'RouterInternalSecurityGroup', 'RouterSecurityGroup', 'SpotFleetAllowedInstanceTypes', 'SpotFleetExcludedInstanceTypes'}}\n\
         params = [kept(p) for p in s['Parameters'] if p['ParameterKey'] != 'InstanceCount' and p['ParameterKey'] not in listed]\n\
         params.append({{'ParameterKey': 'InstanceCount', 'ParameterValue': '{count}'}})\n\
         cfn.update_stack(StackName='{name}', UsePreviousTemplate=True, Capabilities=['CAPABILITY_IAM'], Parameters=params, Tags=s['Tags'])\n"
    ));
}

fn stack_names(moto: &MotoSession) -> String {
    moto.python(
        "print(sorted(s['StackName'] for s in client('cloudformation').describe_stacks()['Stacks']))",
    )
    .trim()
    .to_string()
}

pub(crate) fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.code, code,
        "stdout:\n{}\nstderr:\n{}",
        output.stdout, output.stderr
    );
}

#[test]
fn plan_leaves_unset_settings_to_each_release_and_reads_a_template_once_from_s3() {
    let moto = session();
    moto.write(
        "racks.toml",
        &racks(&format!(
            "\n[[rack]]\nname = \"old\"\nversion = \"{V2016}\"\n\n[[rack]]\nname = \"modern\"\nversion = \"{V2026}\"\n\n\
             [[rack]]\nname = \"modern2\"\nversion = \"{V2026}\"\ninstance_type = \"c5.large\"\n"
        )),
    );
    let plan = run(moto.rackfile().args(["plan", "-v"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(plan.snapshot_of_stdout(), @"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        + personal/old (us-east-1) will be installed
            template: https://convox.s3.amazonaws.com/release/20161102160040/formation.json
            InstanceCount: 3 (template default)
            InstanceType: t2.small (template default)
            Private: No (template default)
            Version: 20161102160040
            Password: (sensitive, generated and printed once at install)
            tags: System=convox, Type=rack
            budget: up to 30m
            note: Convox's latest published release is 20260421192651 (1 published release after 20161102160040)

        + personal/modern (us-east-1) will be installed
            template: https://convox.s3.amazonaws.com/release/20260421192651/formation.json
            DefaultAmi: /aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id
            DefaultAmiArm: /aws/service/ecs/optimized-ami/amazon-linux-2/arm64/recommended/image_id
            InstanceCount: 3 (template default)
            InstanceType: t3.small (template default)
            Private: No (template default)
            Version: 20260421192651
            Password: (sensitive, generated and printed once at install)
            tags: System=convox, Type=rack
            budget: up to 30m

        + personal/modern2 (us-east-1) will be installed
            template: https://convox.s3.amazonaws.com/release/20260421192651/formation.json
            DefaultAmi: /aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id
            DefaultAmiArm: /aws/service/ecs/optimized-ami/amazon-linux-2/arm64/recommended/image_id
            InstanceCount: 3 (template default)
            InstanceType: c5.large
            Private: No (template default)
            Version: 20260421192651
            Password: (sensitive, generated and printed once at install)
            tags: System=convox, Type=rack
            budget: up to 30m

        Plan: 3 to install, 0 to update, 0 unchanged, 0 blocked.
        "));
    // One S3 GetObject per distinct template URL, whatever the number of racks using it, and one of
    // Convox's release list; no GetTemplateSummary, since the body says more.
    let calls = |operation: &str| plan.stderr.matches(operation).count();
    assert_eq!(calls("S3.GetObject"), 2 + 1, "{}", plan.stderr);
    assert_eq!(calls("GetTemplateSummary"), 0, "{}", plan.stderr);

    let apply = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_exit(&apply, 0);
    assert_eq!(moto.live_parameter("old", "InstanceType"), "t2.small");
    assert_eq!(moto.live_parameter("modern", "InstanceType"), "t3.small");
    assert_eq!(moto.live_parameter("modern2", "InstanceType"), "c5.large");
    let again = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    assert_exit(&again, 0);
    assert!(
        again
            .stdout
            .ends_with("Plan: 0 to install, 0 to update, 3 unchanged, 0 blocked.\n"),
        "{}",
        again.stdout
    );
}

#[test]
fn apply_refuses_every_value_breaking_a_constraint_at_its_line_and_creates_nothing() {
    let moto = session();
    moto.write(
        "rack-with-pattern.yml",
        "Parameters:\n  Version:\n    Type: String\n    MinLength: 1\n  Password:\n    Type: String\n    NoEcho: true\n\
         \x20 Cidr:\n    Type: String\n    Default: 10.0.0.0/16\n    AllowedPattern: '(\\d{1,3}\\.){3}\\d{1,3}/\\d{1,2}'\n\
         Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: !Ref Cidr\n",
    );
    moto.write(
        "racks.toml",
        &racks(&format!(
            "\n[[rack]]\nname = \"modern\"\nversion = \"{V2026}\"\ninstance_count = 2\npassword_env = \"LONG_PASSWORD\"\n\n\
             [rack.parameters]\nHighAvailability = \"maybe\"\nLoadBalancerIdleTimeout = \"5000\"\nBuildVolumeSize = \"big\"\n\n\
             [[rack]]\nname = \"patterned\"\nversion = \"1\"\ntemplate = \"rack-with-pattern.yml\"\n\n\
             [rack.parameters]\nCidr = \"10.0.0.0\"\n"
        )),
    );
    let output = run(moto
        .rackfile()
        .args(["plan"])
        .env("LONG_PASSWORD", "p".repeat(60)));
    assert_exit(&output, 1);
    assert!(
        !output.stderr.contains(&"p".repeat(60)),
        "the password was shown"
    );
    snapshot_settings().bind(|| insta::assert_snapshot!(output.snapshot()));
    let apply = run(moto
        .rackfile()
        .args(["apply", "--auto-approve"])
        .env("LONG_PASSWORD", "p".repeat(60)));
    assert_exit(&apply, 1);
    assert_eq!(stack_names(&moto), "[]", "nothing may be created");
}

#[test]
fn plan_keeps_an_autoscaled_rack_s_count_and_updates_a_rack_without_autoscale() {
    let moto = session();
    seed(&moto, "scaled", V2026, &[]);
    autoscaler_sets_count(&moto, "scaled", "5");
    seed(&moto, "fixed", V2026, &[("Autoscale", "No")]);
    moto.write(
        "racks.toml",
        &racks(&format!(
            "\n[[rack]]\nname = \"scaled\"\nversion = \"{V2026}\"\ninstance_count = 3\n\n\
             [[rack]]\nname = \"fixed\"\nversion = \"{V2026}\"\ninstance_count = 4\n\n[rack.parameters]\nAutoscale = \"No\"\n"
        )),
    );
    let plan = run(moto.rackfile().args(["plan"]));
    assert_exit(&plan, 0);
    snapshot_settings().bind(|| insta::assert_snapshot!(plan.snapshot()));

    let apply = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_exit(&apply, 0);
    assert_eq!(moto.live_parameter("scaled", "InstanceCount"), "5");
    assert_eq!(moto.live_parameter("fixed", "InstanceCount"), "4");
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(apply.snapshot(), @"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

          personal/scaled (us-east-1) no changes
            InstanceCount: 5 (autoscaled; racks.toml's 3 applies at install only)

        ~ personal/fixed (us-east-1) will be updated
            InstanceCount: 3 -> 4
              ↳ modifies Instances in place
            impact: modifies 1 resource in place
            budget: up to 5m

        Plan: 0 to install, 1 to update, 1 unchanged, 0 blocked.

        personal/fixed: updating (13 resources)
        personal/fixed: UPDATE_IN_PROGRESS
        personal/fixed: UPDATE_COMPLETE
        personal/fixed: updated in [time]

        Apply complete: 0 installed, 1 updated, 0 failed.
            personal/fixed: updated in [time]
        --- stderr
        ")
    });
}

#[test]
fn plan_ignore_changes_keeps_a_live_value_and_must_name_a_template_parameter() {
    let moto = session();
    seed(&moto, "old", V2016, &[("Ami", "ami-live")]);
    moto.write(
        "racks.toml",
        &racks(&format!(
            "\n[[rack]]\nname = \"old\"\nversion = \"{V2016}\"\nignore_changes = [\"Ami\"]\n\n[rack.parameters]\nAmi = \"ami-install\"\n"
        )),
    );
    let plan = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(plan.snapshot(), @"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

          personal/old (us-east-1) no changes
            Ami: ami-live (ignore_changes; racks.toml's ami-install applies at install only)
            note: Convox's latest published release is 20260421192651 (1 published release after 20161102160040)

        Plan: 0 to install, 0 to update, 1 unchanged, 0 blocked.
        --- stderr
        "));
    let apply = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_exit(&apply, 0);
    assert_eq!(moto.live_parameter("old", "Ami"), "ami-live");

    moto.write(
        "racks.toml",
        &racks(&format!(
            "\n[defaults]\n\n[[rack]]\nname = \"old\"\nversion = \"{V2016}\"\nignore_changes = [\"Amy\"]\n"
        ))
        .replace("\n[defaults]\n\n", "\n"),
    );
    let typo = run(moto.rackfile().args(["plan"]));
    assert_exit(&typo, 1);
    // Named: the inline snapshot above would take the test's name for itself.
    snapshot_settings().bind(|| {
        insta::assert_snapshot!(
            "plan_ignore_changes_keeps_a_live_value_and_must_name_a_template_parameter",
            typo.snapshot()
        )
    });
}

#[test]
fn plan_blocks_an_install_only_change_and_calls_a_rolling_replacement_disruptive() {
    let moto = session();
    seed(&moto, "public", V2026, &[]);
    seed(&moto, "old", V2016, &[]);
    moto.write(
        "racks.toml",
        &racks(&format!(
            "\n[[rack]]\nname = \"public\"\nversion = \"{V2026}\"\nprivate = true\n\n[rack.parameters]\nHighAvailability = \"false\"\n\n\
             [[rack]]\nname = \"old\"\nversion = \"{V2016}\"\ninstance_type = \"m5.large\"\n\n[rack.parameters]\nInstanceUpdateBatchSize = \"2\"\n"
        )),
    );
    let plan = run(moto.rackfile().args(["plan"]));
    assert_exit(&plan, 0);
    snapshot_settings().bind(|| insta::assert_snapshot!(plan.snapshot()));
    let apply = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_eq!(moto.live_parameter("public", "Private"), "No");
    assert_eq!(moto.live_parameter("public", "HighAvailability"), "true");
    assert_eq!(moto.live_parameter("old", "InstanceType"), "m5.large");
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(apply.snapshot(), @r#"
        exit: 1
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ! personal/public (us-east-1) is blocked
            CREATE_COMPLETE: HighAvailability is set at install only ("true" -> "false"): high availability is chosen at install; Convox's CLI refuses to change it afterwards; keep racks.toml at the live value, or install a new rack (source: convox/rack cmd/convox rack params set (refuses HighAvailability on an installed rack))
              Private is set at install only ("No" -> "Yes"): a rack cannot be switched between public and private: its EFS mount targets would need new subnets, and the update ends in UPDATE_ROLLBACK_FAILED; keep racks.toml at the live value, or install a new rack (source: Convox private networking docs ("not currently possible to toggle a Rack between Public and Private"); convox/rack#2975)

        ~ personal/old (us-east-1) will be updated
            InstanceType: t2.small -> m5.large
              ↳ replaces LaunchConfiguration; rolling replacement of Instances, 2 at a time
            InstanceUpdateBatchSize: 1 -> 2
              ↳ modifies Instances in place
            impact: replaces 1 resource, modifies 1 in place; rolling replacement of Instances, 2 at a time
            rolling: 3 instances, 2 at a time, PT15M pause: up to 35m
            note: Convox's latest published release is 20260421192651 (1 published release after 20161102160040)

        Plan: 0 to install, 1 to update, 0 unchanged, 1 blocked.
        Disruptive: personal/old replaces LaunchConfiguration; rolling replacement of Instances, 2 at a time

        personal/public: not changed: CREATE_COMPLETE: HighAvailability is set at install only ("true" -> "false"): high availability is chosen at install; Convox's CLI refuses to change it afterwards; keep racks.toml at the live value, or install a new rack (source: convox/rack cmd/convox rack params set (refuses HighAvailability on an installed rack))
                         Private is set at install only ("No" -> "Yes"): a rack cannot be switched between public and private: its EFS mount targets would need new subnets, and the update ends in UPDATE_ROLLBACK_FAILED; keep racks.toml at the live value, or install a new rack (source: Convox private networking docs ("not currently possible to toggle a Rack between Public and Private"); convox/rack#2975)
        personal/old: updating (13 resources)
        personal/old: UPDATE_IN_PROGRESS
        personal/old: UPDATE_COMPLETE
        personal/old: updated in [time]

        Apply failed: 0 installed, 1 updated, 0 failed, 1 blocked.
            personal/public: not changed: CREATE_COMPLETE: HighAvailability is set at install only ("true" -> "false"): high availability is chosen at install; Convox's CLI refuses to change it afterwards; keep racks.toml at the live value, or install a new rack (source: convox/rack cmd/convox rack params set (refuses HighAvailability on an installed rack))
                             Private is set at install only ("No" -> "Yes"): a rack cannot be switched between public and private: its EFS mount targets would need new subnets, and the update ends in UPDATE_ROLLBACK_FAILED; keep racks.toml at the live value, or install a new rack (source: Convox private networking docs ("not currently possible to toggle a Rack between Public and Private"); convox/rack#2975)
            personal/old: updated in [time]
        --- stderr
        "#));
}

#[test]
fn import_round_trips_racks_of_both_releases_autoscaled_included() {
    let moto = session();
    seed(&moto, "old", V2016, &[("InstanceType", "m4.large")]);
    seed(&moto, "modern", V2026, &[("ApiCount", "3")]);
    autoscaler_sets_count(&moto, "modern", "7");
    seed(
        &moto,
        "fixed",
        V2026,
        &[("Autoscale", "No"), ("InstanceCount", "4")],
    );
    let import = run(moto.rackfile().args([
        "import",
        "--org",
        "personal",
        "--profile",
        "personal",
        "--region",
        "us-east-1",
    ]));
    assert_exit(&import, 0);
    snapshot_settings().bind(|| insta::assert_snapshot!(import.stdout));
    moto.write("racks.toml", &import.stdout);
    let plan = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    assert_exit(&plan, 0);
    assert!(
        plan.stdout
            .ends_with("Plan: 0 to install, 0 to update, 3 unchanged, 0 blocked.\n"),
        "{}",
        plan.stdout
    );
}

#[test]
fn plan_says_what_each_change_reaches_and_reads_only_changed_racks_templates() {
    let moto = session();
    seed(&moto, "web", V2026, &[]);
    seed(&moto, "calm", V2026, &[]);
    moto.write(
        "racks.toml",
        &racks(&format!(
            "\n[[rack]]\nname = \"web\"\nversion = \"{V2026}\"\ninstance_type = \"m5.large\"\n\n\
             [rack.parameters]\nInstanceUpdateBatchSize = \"2\"\nLogRetention = \"30\"\n\n\
             [[rack]]\nname = \"calm\"\nversion = \"{V2026}\"\n"
        )),
    );
    let plan = run(moto.rackfile().args(["plan"]));
    assert_exit(&plan, 0);
    snapshot_settings().bind(|| insta::assert_snapshot!(plan.snapshot()));
    // Convox's rule for InstanceType says what the template says: the template's own words stand.
    assert_eq!(
        plan.stdout.matches("Disruptive:").count(),
        1,
        "{}",
        plan.stdout
    );
    // The live template of the changed rack only.
    let plan = run(moto.rackfile().args(["-v", "plan"]));
    let get_templates: Vec<&str> = plan
        .stderr
        .lines()
        .filter(|line| line.contains("CloudFormation.GetTemplate") && !line.contains("Summary"))
        .collect();
    assert_eq!(get_templates.len(), 1, "{}", plan.stderr);

    let json = run(moto.rackfile().args(["plan", "--json"]));
    assert_exit(&json, 0);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let web = &plan["racks"][0];
    assert_eq!(web["impact"]["analysis"], "analysed", "{web:#}");
    let resources = web["impact"]["resources"].as_array().unwrap();
    let launch_configuration = resources
        .iter()
        .find(|r| r["logical_id"] == "LaunchConfiguration")
        .unwrap();
    assert_eq!(launch_configuration["action"], "replace");
    assert_eq!(
        launch_configuration["type"],
        "AWS::AutoScaling::LaunchConfiguration"
    );
    assert_eq!(
        launch_configuration["because"],
        "InstanceType changes, and it is create-only"
    );
    let instances = resources
        .iter()
        .find(|r| r["logical_id"] == "Instances")
        .unwrap();
    assert_eq!(instances["action"], "modify");
    assert_eq!(instances["through"], "LaunchConfiguration");
    assert_eq!(instances["rolling"]["max_batch_size"], "2");
    assert!(plan["racks"][1].get("impact").is_none());

    // The saved plan keeps the impact's words: `show` prints them as `plan` did, with no AWS to ask.
    for format in ["human", "json", "markdown"] {
        let planned =
            run(moto
                .rackfile()
                .args(["plan", "--out", "saved.plan", "--format", format]));
        assert_exit(&planned, 0);
        let shown = run(crate::common::rackfile(moto.path()).args([
            "show",
            "saved.plan",
            "--format",
            format,
        ]));
        assert_exit(&shown, 0);
        let printed = planned
            .stdout
            .strip_suffix(
                "\nSaved the plan to saved.plan. Apply exactly this plan with: rackfile apply saved.plan\n",
            )
            .unwrap_or(&planned.stdout);
        assert!(
            printed.contains("replaces LaunchConfiguration"),
            "{format}: {printed}"
        );
        assert_eq!(shown.stdout, printed, "{format}");
    }
}

/// A template whose own declarations CloudFormation would refuse (a Number default that is no number,
/// MinValue above MaxValue, an unknown Type, an AllowedPattern that does not compile, Conditions in a loop,
/// an unknown YAML tag) is a plan-time error naming the rack, the template file and what is wrong, not a
/// clean install that fails at apply.
#[test]
fn plan_refuses_a_template_cloudformation_would_refuse() {
    let moto = moto::session();
    let resources = "Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n";
    let cases = [
        (
            "number.yml",
            format!("Parameters:\n  Count:\n    Type: Number\n    Default: abc\n{resources}"),
        ),
        (
            "bounds.yml",
            format!(
                "Parameters:\n  Count:\n    Type: Number\n    MinValue: 5\n    MaxValue: 2\n{resources}"
            ),
        ),
        (
            "type.yml",
            format!("Parameters:\n  Name:\n    Type: Text\n{resources}"),
        ),
        (
            "pattern.yml",
            format!(
                "Parameters:\n  Name:\n    Type: String\n    AllowedPattern: '[unclosed'\n{resources}"
            ),
        ),
        (
            "loop.yml",
            format!("Conditions:\n  C1: !Condition C2\n  C2: !Not [!Condition C1]\n{resources}"),
        ),
        (
            "tag.yml",
            format!("{resources}    Properties:\n      CidrBlock: !Foo 10.0.0.0/16\n"),
        ),
    ];
    let mut plans = String::new();
    for (file, body) in &cases {
        moto.write(file, body);
        moto.write(
            "racks.toml",
            &racks(&format!(
                "\n[[rack]]\nname = \"broken\"\nversion = \"1\"\ntemplate = \"{file}\"\n"
            )),
        );
        let plan = run(moto.rackfile().args(["plan"]));
        plans.push_str(&plan.snapshot());
    }
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(plans, @r#"
        exit: 1
        --- stdout
        --- stderr
        error: personal/broken: cannot read the template number.yml: parameter `Count`: its Default "abc" is refused by its own Type: must be a number (the parameter's type is Number)
        error: cannot plan: 1 problem; nothing was changed
        exit: 1
        --- stdout
        --- stderr
        error: personal/broken: cannot read the template bounds.yml: parameter `Count`: MinValue 5 is above MaxValue 2: no value is allowed
        error: cannot plan: 1 problem; nothing was changed
        exit: 1
        --- stdout
        --- stderr
        error: personal/broken: cannot read the template type.yml: parameter `Name`: unknown Type "Text" (CloudFormation's are String, Number, List<Number>, CommaDelimitedList, and the AWS-specific AWS::... types)
        error: cannot plan: 1 problem; nothing was changed
        exit: 1
        --- stdout
        --- stderr
        error: personal/broken: cannot read the template pattern.yml: parameter `Name`: AllowedPattern "[unclosed" is not a valid regular expression: unclosed character class
        error: cannot plan: 1 problem; nothing was changed
        exit: 1
        --- stdout
        --- stderr
        error: personal/broken: cannot read the template loop.yml: the Conditions form a loop: C1 -> C2 -> C1 (a condition cannot depend on itself)
        error: cannot plan: 1 problem; nothing was changed
        exit: 1
        --- stdout
        --- stderr
        error: personal/broken: cannot read the template tag.yml: line 5 column 18: Resources.Vpc.Properties.CidrBlock: unknown YAML tag !Foo (CloudFormation's tags are the short forms of its functions: !Ref, !Sub, !GetAtt, !If, ...)
        error: cannot plan: 1 problem; nothing was changed
        "#));
}
