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
pub(crate) fn covered(
    moto: &MotoSession,
    command: &str,
    arguments: &[&str],
    code: i32,
) -> BTreeSet<String> {
    covered_run(moto, command, arguments, code).0
}

/// As `covered`, with the run's output.
pub(crate) fn covered_run(
    moto: &MotoSession,
    command: &str,
    arguments: &[&str],
    code: i32,
) -> (BTreeSet<String>, Output) {
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
    (needed, output)
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
    needed.extend(covered(&moto, "drift", &["drift"], 0));
    moto.write("racks.toml", &racks("t3.small", ""));
    needed.extend(covered(&moto, "plan", &["plan", "--drift"], 0));
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
        "cloudformation:DetectStackDrift",
        "cloudformation:DescribeStackResourceDrifts",
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

/// Switches moto's IAM enforcement on (`true`) or off; every session starts with it off (scripts/
/// moto-server.py's reset).
pub(crate) fn enforce_iam(moto: &MotoSession, on: bool) {
    let (status, body) = moto::post(
        moto.port,
        "/moto-api/reset-auth",
        if on { "0" } else { "inf" },
    );
    assert_eq!(status, 200, "{body}");
}

/// Gives the `personal` profile an IAM user of its own whose only permissions are `policy`.
pub(crate) fn personal_profile_with_policy(moto: &MotoSession, policy: &serde_json::Value) {
    let keys = moto.python(&format!(
        "iam = client('iam')\n\
         try:\n    iam.create_user(UserName='rackfile')\nexcept iam.exceptions.EntityAlreadyExistsException:\n    pass\n\
         iam.put_user_policy(UserName='rackfile', PolicyName='rackfile', PolicyDocument=json.dumps({policy}))\n\
         for key in iam.list_access_keys(UserName='rackfile')['AccessKeyMetadata']:\n\
         \x20   iam.delete_access_key(UserName='rackfile', AccessKeyId=key['AccessKeyId'])\n\
         key = iam.create_access_key(UserName='rackfile')['AccessKey']\n\
         print(key['AccessKeyId'], key['SecretAccessKey'])\n",
        policy = serde_json::to_string(policy).unwrap(),
    ));
    let (id, secret) = keys.trim().split_once(' ').unwrap();
    moto.write(
        "aws-credentials",
        &format!("[personal]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"),
    );
}

#[test]
fn plan_under_iam_enforcement_needs_exactly_its_generated_policy_and_names_what_is_missing() {
    let moto = moto::session();
    moto.python(&format!(
        "s3 = client('s3')\ns3.create_bucket(Bucket='my-templates')\n\
         s3.put_object(Bucket='my-templates', Key='rack.json', Body={:?})\n\
         cw = client('cloudwatch')\n\
         for name in ['web', 'api']:\n\
         \x20   cw.put_metric_alarm(AlarmName=f'rack-{{name}}-5xx', MetricName='5xx', Namespace='Convox', \
         Statistic='Sum', Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator='GreaterThanThreshold')\n",
        moto::rack_template()
    ));
    // `web` installed from a template that exports its cluster; the update moves it to one that does not
    // (ListImports), changes its instance type (its live template read, its instances checked), and
    // installs `api` (its password read).
    moto.python(&format!(
        "client('s3').put_object(Bucket='my-templates', Key='exporting.json', Body={:?})\n",
        moto::rack_template().replace(
            "  LogGroup:\n    Value: !Ref LogGroup\n",
            "  LogGroup:\n    Value: !Ref LogGroup\n  Cluster:\n    Value: !Ref Cluster\n    Export:\n      Name: !Sub \"${AWS::StackName}:Cluster\"\n",
        )
    ));
    let exporting = "https://my-templates.s3.amazonaws.com/exporting.json";
    moto.write(
        "racks.toml",
        &racks("t2.small", "").replacen(URL, exporting, 1),
    );
    let install = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_eq!(install.code, 0, "{}", install.stderr);
    moto.write(
        "racks.toml",
        &racks("t3.small", "").replace("name = \"gone\"", "name = \"api\""),
    );
    let output = run(moto.rackfile().args(["permissions", "plan", "--json"]));
    let policy: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    personal_profile_with_policy(&moto, &policy);
    enforce_iam(&moto, true);
    let plan = run(moto.rackfile().args(["-v", "plan"]));
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    let used: BTreeSet<&str> = called(&plan)
        .iter()
        .filter_map(|(service, operation)| rackfile::permissions::action_of(service, operation)?)
        .collect();
    assert!(
        plan.stdout
            .contains("Plan: 1 to install, 1 to update, 0 unchanged, 0 blocked."),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("not checked"),
        "every preflight check was made: {}",
        plan.stdout
    );

    // Without any one action the plan called, the plan names the action it was refused.
    assert!(used.len() >= 9, "{used:?}");
    for removed in used {
        let mut less = policy.clone();
        let statement = less["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .position(|s| s["Action"].as_array().unwrap().iter().any(|a| a == removed))
            .unwrap_or_else(|| panic!("{removed} is not in the policy"));
        less["Statement"][statement]["Action"]
            .as_array_mut()
            .unwrap()
            .retain(|a| a != removed);
        // IAM refuses a statement without actions: one whose only action went goes with it.
        if less["Statement"][statement]["Action"]
            .as_array()
            .unwrap()
            .is_empty()
        {
            less["Statement"].as_array_mut().unwrap().remove(statement);
        }
        enforce_iam(&moto, false);
        personal_profile_with_policy(&moto, &less);
        enforce_iam(&moto, true);
        let plan = run(moto.rackfile().args(["plan"]));
        let said = format!("{}{}", plan.stdout, plan.stderr);
        assert!(
            said.contains(&format!("not authorized to perform: {removed}")),
            "without {removed}: exit {}\n{said}",
            plan.code
        );
        if plan.code != 0 {
            assert_eq!(plan.code, 1, "{said}");
            assert!(said.contains("rackfile permissions"), "{said}");
        }
    }
}
