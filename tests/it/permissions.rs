//! `rackfile permissions COMMAND` against what each command really calls: every command runs against moto
//! with `-v` (the call log names each AWS operation), and every operation it called must be in the table
//! and its action in the policy `rackfile permissions COMMAND --json` prints for the same racks.toml. An
//! operation the code calls and the table lacks fails here.

use std::collections::BTreeSet;

use crate::common::{Output, run};
use crate::moto::{self, MotoSession, PERSONAL_ACCOUNT};

const URL: &str = "https://my-templates.s3.amazonaws.com/rack.json";

fn racks(web_type: &str, gone: &str) -> String {
    format!(
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n\
         password_ssm = \"/racks/{{org}}/{{name}}/password\"\n\n\
         [org.personal]\nprofile = \"personal\"\naccount_id = \"{PERSONAL_ACCOUNT}\"\n\n\
         [[rack]]\nname = \"web\"\ntemplate_url = \"{URL}\"\ninstance_type = \"{web_type}\"\ninstance_count = 3\n\n\
         [[rack]]\nname = \"gone\"\ntemplate_url = \"{URL}\"\n{gone}\n\n\
         [rollout]\nalarms = [\"rack-{{name}}-5xx\"]\n"
    )
}

/// The operations a `-v` run called, as `(service, operation)` from its call log.
fn called(output: &Output) -> BTreeSet<(String, String)> {
    output
        .stderr
        .lines()
        .filter_map(|line| {
            let message = line.split_once(" INFO ")?.1.trim_start();
            let (name, _) = message.split_once(" (")?;
            let (service, operation) = name.rsplit_once('.')?;
            Some((service.to_string(), operation.to_string()))
        })
        .collect()
}

/// The actions of `rackfile permissions COMMAND --json` for the session's racks.toml.
fn allowed(moto: &MotoSession, command: &str) -> BTreeSet<String> {
    let output = run(moto.rackfile().args(["permissions", command, "--json"]));
    assert_eq!(output.code, 0, "{}", output.stderr);
    let document: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    document["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|statement| statement["Action"].as_array().unwrap().clone())
        .map(|action| action.as_str().unwrap().to_string())
        .collect()
}

/// Runs `rackfile -v ARGS` and checks that every operation it called is in `command`'s policy; returns
/// the actions it needed.
fn covered(moto: &MotoSession, command: &str, arguments: &[&str], code: i32) -> BTreeSet<String> {
    let output = run(moto.rackfile().arg("-v").args(arguments));
    assert_eq!(output.code, code, "{}\n{}", output.stdout, output.stderr);
    let policy = allowed(moto, command);
    let mut needed = BTreeSet::new();
    for (service, operation) in called(&output) {
        match rackfile::permissions::action_of(&service, &operation) {
            None => panic!(
                "{command} called {service}.{operation}, which the permissions table lacks:\n{}",
                output.stderr
            ),
            Some(None) => {}
            Some(Some(action)) => {
                assert!(
                    policy.contains(action),
                    "{command} called {service}.{operation}, but its policy lacks {action}: {policy:?}"
                );
                needed.insert(action.to_string());
            }
        }
    }
    needed
}

#[test]
fn every_call_each_command_makes_is_in_its_generated_policy() {
    let moto = moto::session();
    moto.python(&format!(
        "s3 = client('s3')\ns3.create_bucket(Bucket='my-templates')\n\
         s3.put_object(Bucket='my-templates', Key='rack.json', Body={:?})\n\
         cw = client('cloudwatch')\n\
         for name in ['web', 'gone']:\n\
         \x20   cw.put_metric_alarm(AlarmName=f'rack-{{name}}-5xx', MetricName='5xx', Namespace='Convox', \
         Statistic='Sum', Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator='GreaterThanThreshold')\n\
         \x20   cw.set_alarm_state(AlarmName=f'rack-{{name}}-5xx', StateValue='OK', StateReason='healthy')\n",
        moto::rack_template()
    ));
    moto.write("racks.toml", &racks("t2.small", ""));
    let mut needed = covered(&moto, "plan", &["plan"], 0);
    needed.extend(covered(&moto, "apply", &["apply", "--auto-approve"], 0));
    moto.write("racks.toml", &racks("t3.small", "ensure = \"absent\""));
    needed.extend(covered(&moto, "plan", &["plan"], 0));
    needed.extend(covered(
        &moto,
        "apply",
        &["apply", "--auto-approve", "--allow-uninstall"],
        0,
    ));
    needed.extend(covered(&moto, "status", &["status"], 0));
    needed.extend(covered(&moto, "doctor", &["doctor"], 0));
    needed.extend(covered(
        &moto,
        "import",
        &[
            "import",
            "--org",
            "personal",
            "--region",
            "us-east-1",
            "--profile",
            "personal",
        ],
        0,
    ));
    // The runs reached the calls this test is about: stacks written, templates and passwords read, the
    // preflight checks and the alarms made.
    for action in [
        "cloudformation:CreateStack",
        "cloudformation:UpdateStack",
        "cloudformation:DeleteStack",
        "cloudformation:GetTemplate",
        "s3:GetObject",
        "ssm:GetParameter",
        "ssm:PutParameter",
        "cloudwatch:DescribeAlarms",
        "ec2:DescribeInstanceTypeOfferings",
    ] {
        assert!(
            needed.contains(action),
            "no run called {action}: {needed:?}"
        );
    }
}
