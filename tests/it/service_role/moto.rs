//! `role_arn` against moto: CloudFormation keeps the service role a rack is installed with (DescribeStacks
//! returns it), a plan then finds the rack unchanged, and another role is an update that passes it.

use crate::common::run;
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
fn a_rack_is_installed_with_its_service_role_and_another_role_is_an_update() {
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
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout
            .contains(&format!("    role: {}\n", role("cfn-a"))),
        "{}",
        plan.stdout
    );
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
    assert_eq!(change.code, 2, "{}", change.stderr);
    assert!(
        change
            .stdout
            .contains(&format!("role: {} -> {}\n", role("cfn-a"), role("cfn-b"))),
        "{}",
        change.stdout
    );
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
    let said = format!("{}{}", doctor.stdout, doctor.stderr);
    assert_eq!(doctor.code, 1, "{said}");
    for line in [
        format!(
            "service role {} (personal/web) exists and trusts cloudformation.amazonaws.com",
            role("cfn-a")
        ),
        format!(
            "service role {} (personal/api) does not let cloudformation.amazonaws.com assume it",
            role("lambda-only")
        ),
        format!(
            "service role {} (personal/jobs) does not exist",
            role("missing")
        ),
        "org personal's credentials against the plan policy: cannot tell".to_string(),
    ] {
        assert!(said.contains(&line), "no {line:?} in:\n{said}");
    }
}
