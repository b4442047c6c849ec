//! Drift against moto, through the project's launcher (scripts/moto-server.py adds the drift calls moto
//! lacks, comparing each stack's template with moto's own backend state): a security group rule and a log
//! retention changed behind CloudFormation's back with boto3 are both found, and `plan --drift` warns before
//! an update that would put the retention back.

use crate::common::run;
use crate::moto::{MotoSession, PERSONAL_ACCOUNT};
use crate::real_templates::{V2026, assert_exit, racks, seed, session};

/// The 2026 rack-like template with an HTTPS rule on its security group and its log group's retention fed by
/// LogRetention, as Convox's real template feeds it.
fn template() -> String {
    let path = crate::common::repo_root().join("tests/templates/rack-2026.json");
    let mut template: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let resources = &mut template["Resources"];
    resources["SecurityGroup"]["Properties"]["SecurityGroupIngress"] = serde_json::json!([
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}
    ]);
    resources["LogGroup"]["Properties"]["RetentionInDays"] =
        serde_json::json!({"Ref": "LogRetention"});
    serde_json::to_string(&template).unwrap()
}

/// `web` installed, then an SSH rule and a 30-day retention set by hand; returns the group's id.
fn a_rack_changed_by_hand() -> (MotoSession, String) {
    let moto = session();
    moto.publish_template(PERSONAL_ACCOUNT, V2026, &template());
    seed(&moto, "web", V2026, &[]);
    let group = moto.python(
        "cfn = client('cloudformation')\n\
         r = {x['LogicalResourceId']: x['PhysicalResourceId'] for x in cfn.list_stack_resources(StackName='web')['StackResourceSummaries']}\n\
         client('ec2').authorize_security_group_ingress(GroupId=r['SecurityGroup'], IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 22, 'ToPort': 22, 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}])\n\
         client('logs').put_retention_policy(logGroupName=r['LogGroup'], retentionInDays=30)\n\
         print(r['SecurityGroup'])\n",
    );
    (moto, group.trim().to_string())
}

#[test]
fn a_rule_and_a_retention_changed_by_hand_are_found_and_plan_drift_warns_before_putting_the_retention_back()
 {
    let (moto, group) = a_rack_changed_by_hand();
    moto.write(
        "racks.toml",
        &racks(&format!(
            "\n[[rack]]\nname = \"web\"\nversion = \"{V2026}\"\n"
        )),
    );

    let drift = run(moto.rackfile().args(["drift", "--detailed-exitcode"]));
    assert_exit(&drift, 2);
    assert!(
        drift
            .stdout
            .contains("personal/web: drifted: 2 resources changed outside CloudFormation"),
        "{}",
        drift.stdout
    );
    assert!(
        drift.stdout.contains(&format!(
            "security group SecurityGroup ({group}): ingress 0.0.0.0/0:22 added"
        )),
        "{}",
        drift.stdout
    );
    assert!(
        drift.stdout.contains("log group LogGroup (")
            && drift.stdout.contains("): retention 7 -> 30 days"),
        "{}",
        drift.stdout
    );
    // moto's backends keep no state to compare for the rest: CloudFormation "did not check" them, named.
    assert!(
        drift
            .stdout
            .contains("not checked (CloudFormation does not check these):"),
        "{}",
        drift.stdout
    );
    assert!(
        drift.stdout.contains("    Vpc (AWS::EC2::VPC)"),
        "{}",
        drift.stdout
    );
    assert!(
        drift
            .stderr
            .contains("personal/web: drift detection started"),
        "{}",
        drift.stderr
    );

    let json = run(moto.rackfile().args(["drift", "--json"]));
    assert_exit(&json, 0);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["format_version"], "1");
    assert_eq!(report["summary"]["drifted"], 1);

    // An update that sets the retention puts the hand-made 30 days back: plan --drift says so, and only of
    // the log group (the update leaves the security group alone).
    moto.write(
        "racks.toml",
        &racks(&format!(
            "\n[[rack]]\nname = \"web\"\nversion = \"{V2026}\"\n\n[rack.parameters]\nLogRetention = \"14\"\n"
        )),
    );
    let plan = run(moto
        .rackfile()
        .args(["plan", "--drift", "--detailed-exitcode=in-place"]));
    assert_exit(&plan, 3);
    assert!(
        plan.stdout
            .contains("will overwrite a change made outside CloudFormation: log group LogGroup ("),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("retention 7 -> 30 days"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("SecurityGroup ("), "{}", plan.stdout);
    let without = run(moto
        .rackfile()
        .args(["plan", "--detailed-exitcode=in-place"]));
    assert_exit(&without, 2);
    assert!(!without.stdout.contains("overwrite"), "{}", without.stdout);

    // apply --drift holds it for a person under in-place approval: the hand-made retention stays.
    let apply = run(moto
        .rackfile()
        .args(["apply", "--drift", "--auto-approve=in-place"]));
    assert_exit(&apply, 3);
    assert!(
        apply
            .stdout
            .contains("overwrites changes made outside CloudFormation (LogGroup)"),
        "{}",
        apply.stdout
    );
    assert_eq!(moto.live_parameter("web", "LogRetention"), "7");

    // A plan saved with --drift is not stale for its drift: apply --drift detects again, and holds again.
    let saved = run(moto
        .rackfile()
        .args(["plan", "--drift", "--out", "web.plan"]));
    assert_exit(&saved, 0);
    let apply_saved =
        run(moto
            .rackfile()
            .args(["apply", "--drift", "--auto-approve=in-place", "web.plan"]));
    assert_exit(&apply_saved, 3);
    assert_eq!(moto.live_parameter("web", "LogRetention"), "7");
}
