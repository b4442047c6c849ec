//! Apply under moto's IAM enforcement with exactly the policy `rackfile permissions apply --json` prints
//! for racks.toml at each step, and a CloudFormation service role (`role_arn`): the rack is installed (with
//! the built-in stack policy), updated and uninstalled. moto checks the caller's CloudFormation, SSM, EC2,
//! STS and CloudWatch actions, so a call the generated policy lacks fails the step.

use crate::common::{run, stable_snapshots};
use crate::moto::{self, PERSONAL_ACCOUNT};
use crate::permissions::{enforce_iam, personal_profile_with_policy};

const URL: &str = "https://my-templates.s3.amazonaws.com/rack.json";

fn racks(settings: &str) -> String {
    format!(
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n\n\
         [org.personal]\nprofile = \"personal\"\naccount_id = \"{PERSONAL_ACCOUNT}\"\n\
         role_arn = \"arn:aws:iam::{PERSONAL_ACCOUNT}:role/rack-cloudformation\"\n\n\
         [[rack]]\nname = \"web\"\ntemplate_url = \"{URL}\"\nstack_policy = \"convox-stateful\"\n{settings}\n"
    )
}

#[test]
fn apply_with_exactly_its_generated_policy_and_a_service_role_installs_updates_and_uninstalls() {
    let moto = moto::session();
    moto.python(&format!(
        "s3 = client('s3')\ns3.create_bucket(Bucket='my-templates')\n\
         s3.put_object(Bucket='my-templates', Key='rack.json', Body={:?})\n\
         client('iam').create_role(RoleName='rack-cloudformation', AssumeRolePolicyDocument=json.dumps(\
         {{'Statement': [{{'Effect': 'Allow', 'Principal': {{'Service': 'cloudformation.amazonaws.com'}}, \
         'Action': 'sts:AssumeRole'}}]}}))\n",
        moto::rack_template()
    ));
    let steps: [(&str, &str, &[&str]); 3] = [
        (
            "install",
            "instance_type = \"t2.small\"",
            &["apply", "--auto-approve"],
        ),
        (
            "update",
            "instance_type = \"t3.small\"",
            &["apply", "--auto-approve"],
        ),
        (
            "uninstall",
            "ensure = \"absent\"",
            &["apply", "--auto-approve", "--allow-uninstall"],
        ),
    ];
    for (step, settings, arguments) in steps {
        moto.write("racks.toml", &racks(settings));
        enforce_iam(&moto, false);
        let output = run(moto.rackfile().args(["permissions", "apply", "--json"]));
        assert_eq!(output.code, 0, "{}", output.stderr);
        assert!(
            output.stdout.contains("iam:PassRole")
                && output.stdout.contains(&format!(
                    "arn:aws:iam::{PERSONAL_ACCOUNT}:role/rack-cloudformation"
                )),
            "{}",
            output.stdout
        );
        let policy: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
        personal_profile_with_policy(&moto, &policy);
        enforce_iam(&moto, true);
        let apply = run(moto.rackfile().args(arguments));
        assert_eq!(
            apply.code, 0,
            "{step} under exactly {policy}:\n{}\n{}",
            apply.stdout, apply.stderr
        );
        if step == "install" {
            // The install shows its stack policy and its service role.
            stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(apply.snapshot(), @"
                exit: 0
                --- stdout
                Read account 123456789012 (org personal): us-east-1

                + personal/web (us-east-1) will be installed
                    template: https://my-templates.s3.amazonaws.com/rack.json
                    InstanceCount: 3 (template default)
                    InstanceType: t2.small
                    Private: No (template default)
                    Version: 1
                    Password: (sensitive, generated and printed once at install)
                    tags: System=convox, Type=rack
                    role: arn:aws:iam::123456789012:role/rack-cloudformation
                    stack policy (convox-stateful): denies Update:Replace, Update:Delete on Builds, LogGroup, Settings
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
    }
    enforce_iam(&moto, false);
    let left = moto.python(
        "print([s['StackStatus'] for s in client('cloudformation').describe_stacks()['Stacks'] \
         if s['StackName'] == 'web'])\n",
    );
    assert!(
        left.trim() == "[]" || left.contains("DELETE_COMPLETE"),
        "the rack is gone: {left}"
    );
}
