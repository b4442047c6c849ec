//! The plan's preflight checks against moto, through the project's launcher (scripts/moto-server.py), which
//! adds ListImports (from moto's own stacks' templates) and an EC2 vCPU quota a test can set: an upgrade
//! that drops an export an app stack imports is blocked naming the app stack, and planned normally once no
//! stack imports it; an instance type moto does not offer in one of the rack's zones; a quota too small for
//! the count plus a rolling batch; a deprecated Lambda runtime at install.

use crate::common::{Output, run, stable_snapshots};
use crate::moto::{self, MotoSession, PERSONAL_ACCOUNT};

const V1: &str = "20200101000000";
const V2: &str = "20210101000000";

/// The example rack template with its Cluster exported as `<stack>:Cluster`.
fn exporting_template() -> String {
    moto::rack_template().replace(
        "  LogGroup:\n    Value: !Ref LogGroup\n",
        "  LogGroup:\n    Value: !Ref LogGroup\n  Cluster:\n    Value: !Ref Cluster\n    Export:\n      Name: !Sub \"${AWS::StackName}:Cluster\"\n",
    )
}

fn racks(version: &str, settings: &str) -> String {
    format!(
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\ninstance_type = \"t2.small\"\n\
         instance_count = 3\nprivate = false\n\n[org.personal]\nprofile = \"personal\"\n\
         account_id = \"{PERSONAL_ACCOUNT}\"\n\n[[rack]]\nname = \"web\"\nversion = \"{version}\"\n{settings}"
    )
}

fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.code, code,
        "stdout:\n{}\nstderr:\n{}",
        output.stdout, output.stderr
    );
}

/// `web` installed by rackfile at V1, whose template exports `web:Cluster`; V2 drops the export.
fn installed_with_export() -> MotoSession {
    let moto = moto::session();
    assert!(
        exporting_template().contains("Export:"),
        "the example template's outputs moved"
    );
    moto.publish_template(PERSONAL_ACCOUNT, V1, &exporting_template());
    moto.publish_template(PERSONAL_ACCOUNT, V2, &moto::rack_template());
    moto.write("racks.toml", &racks(V1, ""));
    let install = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_exit(&install, 0);
    moto.write("racks.toml", &racks(V2, ""));
    moto
}

#[test]
fn plan_blocks_an_upgrade_dropping_an_imported_export_and_not_once_unimported() {
    let moto = installed_with_export();
    // A Convox app stack of the rack, importing its cluster as apps do.
    moto.python(
        "app = {'Resources': {'Topic': {'Type': 'AWS::SNS::Topic', 'Properties': {'DisplayName': {'Fn::ImportValue': 'web:Cluster'}}}}}\n\
         client('cloudformation').create_stack(StackName='web-myapp', TemplateBody=json.dumps(app), \
         Tags=[{'Key': 'System', 'Value': 'convox'}, {'Key': 'Rack', 'Value': 'web'}, {'Key': 'Type', 'Value': 'app'}])\n",
    );
    let plan = run(moto.rackfile().args(["-v", "plan", "--detailed-exitcode"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(plan.snapshot_of_stdout(), @"
        exit: 2
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ! personal/web (us-east-1) is blocked
            CREATE_COMPLETE: preflight: the update removes export web:Cluster, which stack web-myapp imports: CloudFormation would roll it back; update or delete it first (read: ListImports web:Cluster)

        Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.
        "));
    assert_eq!(
        plan.stderr.matches("CloudFormation.ListImports").count(),
        1,
        "{}",
        plan.stderr
    );
    let apply = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_exit(&apply, 1);
    assert_eq!(moto.live_parameter("web", "Version"), V1);

    // Once no stack imports it, the same drop is an ordinary update.
    moto.python("client('cloudformation').delete_stack(StackName='web-myapp')\n");
    let plan = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    assert!(!plan.stdout.contains("preflight:"), "{}", plan.stdout);
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(plan.snapshot(), @r#"
        exit: 2
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            Version: 20200101000000 -> 20210101000000
              ↳ reaches no resource
            template: https://convox.s3.amazonaws.com/release/20200101000000/formation.json -> https://convox.s3.amazonaws.com/release/20210101000000/formation.json
              ↳ reaches no resource
            impact: no resource changes
            budget: up to 5m

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
        --- stderr
        "#));
    let json = run(moto.rackfile().args(["plan", "--format", "json"]));
    assert_exit(&json, 0);
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        parsed["racks"][0]["preflight"][0],
        serde_json::json!({
            "check": "exports",
            "verdict": "passed",
            "read": ["ListImports web:Cluster"],
            "says": "the update removes export web:Cluster, which no stack imports",
            "finding": {"kind": "export_unused", "export": "web:Cluster"},
            "read_data": [{"kind": "list_imports", "export": "web:Cluster"}]
        })
    );
}

/// The example template with its two public subnets placed in the region's zones `first` and `second` (by
/// index, as Convox's templates place them).
fn zoned_template(first: usize, second: usize) -> String {
    moto::rack_template()
        .replace(
            "      CidrBlock: !Ref Subnet0CIDR\n",
            &format!("      CidrBlock: !Ref Subnet0CIDR\n      AvailabilityZone: {{\"Fn::Select\": [{first}, {{\"Fn::GetAZs\": \"\"}}]}}\n"),
        )
        .replace(
            "      CidrBlock: !Ref Subnet1CIDR\n",
            &format!("      CidrBlock: !Ref Subnet1CIDR\n      AvailabilityZone: {{\"Fn::Select\": [{second}, {{\"Fn::GetAZs\": \"\"}}]}}\n"),
        )
}

#[test]
fn plan_blocks_an_install_of_a_type_moto_does_not_offer_in_one_of_the_zones() {
    let moto = moto::session();
    // moto offers c5.xlarge in us-east-1a-d and f, not in us-east-1e (the fifth zone).
    moto.write("rack.yml", &zoned_template(0, 4));
    moto.write(
        "racks.toml",
        &racks(
            "20161102160040",
            "template = \"rack.yml\"\ninstance_type = \"c5.xlarge\"\n",
        ),
    );
    let plan = run(moto.rackfile().args(["-v", "plan", "--detailed-exitcode"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(plan.snapshot_of_stdout(), @"
        exit: 2
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ! personal/web (us-east-1) is blocked
            not installed: preflight: instance type c5.xlarge is not offered in us-east-1e (subnets Subnet1); zones of us-east-1 offering it: us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1f (read: DescribeInstanceTypeOfferings c5.xlarge in us-east-1, DescribeAvailabilityZones us-east-1)

        Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.
        "));
    for call in [
        "EC2.DescribeInstanceTypeOfferings",
        "EC2.DescribeInstanceTypes",
        "EC2.DescribeAvailabilityZones",
    ] {
        assert_eq!(
            plan.stderr.matches(call).count(),
            1,
            "{call}: {}",
            plan.stderr
        );
    }

    // In zones that offer it, the same install is planned.
    moto.write("rack.yml", &zoned_template(0, 5));
    let plan = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    assert!(!plan.stdout.contains("preflight:"), "{}", plan.stdout);
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(plan.snapshot(), @r#"
        exit: 2
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        + personal/web (us-east-1) will be installed
            template: rack.yml
            InstanceCount: 3
            InstanceType: c5.xlarge
            Private: No
            Version: 20161102160040
            Password: (sensitive, generated and printed once at install)
            tags: System=convox, Type=rack
            budget: up to 30m

        Plan: 1 to install, 0 to update, 0 unchanged, 0 blocked.
        --- stderr
        "#)
    });
}

fn set_quota(moto: &MotoSession, value: u32) {
    moto.python(&format!(
        "import requests\n\
         requests.post(f'{{ENDPOINT}}/rackfile-test/ec2-quota', json={{'account': '{PERSONAL_ACCOUNT}', 'region': 'us-east-1', 'code': 'L-1216C47A', 'value': {value}}}).raise_for_status()\n"
    ));
}

#[test]
fn plan_blocks_a_type_change_whose_quota_is_short_of_the_count_plus_a_batch() {
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    moto.write(
        "racks.toml",
        &racks("20161102160040", "template = \"rack.yml\"\n"),
    );
    let install = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_exit(&install, 0);
    // t2.medium has 2 vCPUs: the 3 instances need 6, with a rolling batch of 1 they need 8.
    set_quota(&moto, 7);
    moto.write(
        "racks.toml",
        &racks(
            "20161102160040",
            "template = \"rack.yml\"\ninstance_type = \"t2.medium\"\n",
        ),
    );
    let plan = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(plan.snapshot(), @r#"
        exit: 2
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ! personal/web (us-east-1) is blocked
            CREATE_COMPLETE: preflight: 3 instances of t2.medium plus a rolling batch of 1 need 8 vCPUs (2 each); quota L-1216C47A (Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances) is 7 vCPUs (read: DescribeInstanceTypes t2.medium, GetServiceQuota ec2 L-1216C47A in us-east-1)

        Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.
        --- stderr
        "#));
    // The views word the reason from the failed checks: a saved plan shows the same words in every format,
    // and applying it reports them.
    for format in ["human", "json", "markdown"] {
        let planned =
            run(moto
                .rackfile()
                .args(["plan", "--out", "blocked.plan", "--format", format]));
        let printed = planned
            .stdout
            .strip_suffix(
                "\nSaved the plan to blocked.plan. Apply exactly this plan with: rackfile apply blocked.plan\n",
            )
            .unwrap_or(&planned.stdout);
        let shown = run(moto
            .rackfile()
            .args(["show", "blocked.plan", "--format", format]));
        assert_eq!(shown.code, 0, "{format}: {}", shown.stderr);
        assert_eq!(shown.stdout, printed, "{format}");
    }
    let apply = run(moto
        .rackfile()
        .args(["apply", "blocked.plan", "--auto-approve"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(apply.snapshot(), @r#"
        exit: 1
        --- stdout
        Applying the saved plan blocked.plan.
        Read account 123456789012 (org personal): us-east-1

        ! personal/web (us-east-1) is blocked
            CREATE_COMPLETE: preflight: 3 instances of t2.medium plus a rolling batch of 1 need 8 vCPUs (2 each); quota L-1216C47A (Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances) is 7 vCPUs (read: DescribeInstanceTypes t2.medium, GetServiceQuota ec2 L-1216C47A in us-east-1)

        Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.

        Nothing to apply, but some racks are blocked (see above).
        --- stderr
        "#));
    set_quota(&moto, 8);
    let plan = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(plan.snapshot(), @r#"
        exit: 2
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            InstanceType: t2.small -> t2.medium
              ↳ reaches no resource
            impact: no resource changes
            budget: up to 5m

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
        --- stderr
        "#)
    });
}

#[test]
fn plan_blocks_an_install_on_a_deprecated_lambda_runtime_naming_the_dates() {
    let moto = moto::session();
    let template = moto::rack_template().replace(
        "  Cluster:\n    Type: AWS::ECS::Cluster\n",
        "  Cluster:\n    Type: AWS::ECS::Cluster\n  CustomTopic:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: nodejs4.3\n      Handler: index.handler\n      Role: arn:aws:iam::123456789012:role/x\n      Code: {ZipFile: \"exports.handler = () => {}\"}\n",
    );
    moto.write("rack.yml", &template);
    moto.write(
        "racks.toml",
        &racks("20161102160040", "template = \"rack.yml\"\n"),
    );
    let plan = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(plan.snapshot(), @r#"
        exit: 2
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ! personal/web (us-east-1) is blocked
            not installed: preflight: function CustomTopic runs nodejs4.3 (Node.js 4.3), which AWS no longer accepts: the operation creates it and AWS refuses that since 2018-12-15 (deprecated 2018-04-30, creates refused from 2018-12-15, updates from 2020-03-06) (read: the runtime table (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html, read 2026-12-04))

        Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.
        --- stderr
        "#));
}
