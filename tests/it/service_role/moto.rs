//! `role_arn` against moto: CloudFormation keeps the service role a rack is installed with (DescribeStacks
//! returns it), a plan then finds the rack unchanged, and another role is an update that passes it.

use crate::common::{run, stable_snapshots};
use crate::moto::{self, MotoSession, PERSONAL_ACCOUNT};

fn role(name: &str) -> String {
    format!("arn:aws:iam::{PERSONAL_ACCOUNT}:role/{name}")
}

fn racks(role_arn: &str) -> String {
    format!(
        "{}\n[[rack]]\nname = \"example\"\nrole_arn = \"{role_arn}\"\n",
        moto::TWO_ORGS
    )
}

/// The RoleARN DescribeStacks shows for stack `example` (empty when none).
fn live_role(moto: &MotoSession) -> String {
    moto.python(
        "s = client('cloudformation').describe_stacks(StackName='example')['Stacks'][0]\n\
         print(s.get('RoleARN', ''))\n",
    )
    .trim()
    .to_string()
}

#[test]
fn apply_installs_a_rack_with_its_service_role_and_plan_shows_another_role_as_an_update() {
    let moto = moto::session();
    moto.publish_template(PERSONAL_ACCOUNT, "20161102160040", &moto::rack_template());
    moto.python(
        "iam = client('iam')\n\
         trust = json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', \
         'Principal': {'Service': 'cloudformation.amazonaws.com'}, 'Action': 'sts:AssumeRole'}]})\n\
         for name in ['cfn-a', 'cfn-b']:\n    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)\n",
    );
    moto.write("racks.toml", &racks(&role("cfn-a")));

    let plan = run(moto.rackfile().arg("plan"));
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(plan.snapshot(), @"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        + personal/example (us-east-1) will be installed
            template: https://convox.s3.amazonaws.com/release/20161102160040/formation.json
            InstanceCount: 3 (template default)
            InstanceType: t2.small (template default)
            Private: No (template default)
            Version: 20161102160040
            Password: (sensitive, generated and printed once at install)
            tags: System=convox, Type=rack
            role: arn:aws:iam::123456789012:role/cfn-a
            budget: up to 30m

        Plan: 1 to install, 0 to update, 0 unchanged, 0 blocked.
        --- stderr
        ")
    });
    let install = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_eq!(install.code, 0, "{}\n{}", install.stdout, install.stderr);
    assert_eq!(live_role(&moto), role("cfn-a"));

    let again = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    assert_eq!(
        again.code, 0,
        "the live role is the declared one:\n{}",
        again.stdout
    );

    moto.write("racks.toml", &racks(&role("cfn-b")));
    let change = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(change.snapshot(), @"
        exit: 2
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ~ personal/example (us-east-1) will be updated
            role: arn:aws:iam::123456789012:role/cfn-a -> arn:aws:iam::123456789012:role/cfn-b
            budget: up to 5m

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
        --- stderr
        ")
    });
    // moto's change sets give no Replacement, so in-place approval would hold the rack for a person (as
    // approval.rs shows); the role change itself is tested in place on the fake (service_role/fake.rs).
    let update = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_eq!(update.code, 0, "{}\n{}", update.stdout, update.stderr);
    assert_eq!(live_role(&moto), role("cfn-b"));
}

/// Doctor reads each service role with the org's credentials (GetRole): one CloudFormation may assume
/// passes, one only Lambda may assume and one that does not exist fail, each naming its racks. moto does
/// not serve SimulatePrincipalPolicy, so the plan-policy check says it cannot tell rather than guessing.
#[test]
fn doctor_checks_each_service_role_exists_and_trusts_cloudformation() {
    let moto = moto::session();
    moto.publish_template(PERSONAL_ACCOUNT, "20161102160040", &moto::rack_template());
    moto.python(
        "iam = client('iam')\n\
         def trust(service):\n    return json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', \
         'Principal': {'Service': service}, 'Action': 'sts:AssumeRole'}]})\n\
         iam.create_role(RoleName='cfn-a', AssumeRolePolicyDocument=trust('cloudformation.amazonaws.com'))\n\
         iam.create_role(RoleName='lambda-only', AssumeRolePolicyDocument=trust('lambda.amazonaws.com'))\n",
    );
    moto.write(
        "racks.toml",
        &format!(
            "{}\n[[rack]]\nname = \"web\"\nrole_arn = \"{}\"\n\n[[rack]]\nname = \"api\"\nrole_arn = \"{}\"\n\n\
             [[rack]]\nname = \"jobs\"\nrole_arn = \"{}\"\n",
            moto::TWO_ORGS,
            role("cfn-a"),
            role("lambda-only"),
            role("missing")
        ),
    );
    let doctor = run(moto.rackfile().arg("doctor"));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(doctor.snapshot(), @"
        exit: 1
        --- stdout
        [✓] racks.toml is valid: 3 racks in 1 org, 1 region
        [✓] org personal: credentials (profile personal) resolve to account 123456789012
        [✓] org personal: account guard holds (123456789012)
        [-] org personal's credentials against the plan policy: cannot tell (iam:SimulatePrincipalPolicy: HTTP 500, with no AWS error in the answer)
        [✓] service role arn:aws:iam::123456789012:role/cfn-a (personal/web) exists and trusts cloudformation.amazonaws.com
        [✗] service role arn:aws:iam::123456789012:role/lambda-only (personal/api) does not let cloudformation.amazonaws.com assume it
            help: its trust policy needs an Allow of sts:AssumeRole for the service principal cloudformation.amazonaws.com
        [✗] service role arn:aws:iam::123456789012:role/missing (personal/jobs) does not exist
            help: create it, or fix `role_arn`: CloudFormation refuses a write with a role it cannot assume
        [✓] Convox's release list is readable: 1 release, the latest published is 20161102160040
        [✓] template https://convox.s3.amazonaws.com/release/20161102160040/formation.json (account 123456789012): reachable, 15 parameters cover personal/web, personal/api, personal/jobs
        [✓] personal/web: not installed (apply installs it)
        [✓] personal/api: not installed (apply installs it)
        [✓] personal/jobs: not installed (apply installs it)
        [✓] rack personal/web: preflight: instance type t2.small is offered in the rack's subnets' zones (zones AWS chooses)
        [✓] rack personal/web: preflight: 3 instances of t2.small need 3 vCPUs (1 each); quota L-1216C47A (Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances) is 256 vCPUs
        [✓] rack personal/api: preflight: instance type t2.small is offered in the rack's subnets' zones (zones AWS chooses)
        [✓] rack personal/api: preflight: 3 instances of t2.small need 3 vCPUs (1 each), and rack web planned before it in this account and region ask 3; quota L-1216C47A (Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances) is 256 vCPUs
        [✓] rack personal/jobs: preflight: instance type t2.small is offered in the rack's subnets' zones (zones AWS chooses)
        [✓] rack personal/jobs: preflight: 3 instances of t2.small need 3 vCPUs (1 each), and racks web, api planned before it in this account and region ask 6; quota L-1216C47A (Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances) is 256 vCPUs

        Doctor: 15 passed, 2 failed, 1 skipped.
        --- stderr
        "));
}
