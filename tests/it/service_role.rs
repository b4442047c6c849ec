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
    let update = run(moto.rackfile().args(["apply", "--auto-approve=in-place"]));
    assert_eq!(update.code, 0, "{}\n{}", update.stdout, update.stderr);
    assert_eq!(live_role(&moto), role("cfn-b"));
}
