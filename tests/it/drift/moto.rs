//! Drift against moto, through the project's launcher (scripts/moto-server.py adds the drift calls moto
//! lacks, comparing each stack's template with moto's own backend state): a security group rule and a log
//! retention changed behind CloudFormation's back with boto3 are both found, and `plan --drift` warns before
//! an update that would put the retention back.

use crate::common::{run, stable_snapshots};
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
fn drift_finds_a_rule_and_a_retention_changed_by_hand_and_plan_drift_warns_before_undoing_one() {
    let (moto, group) = a_rack_changed_by_hand();
    assert!(group.starts_with("sg-"), "{group}");
    let snapshots = stable_snapshots(moto.path());
    moto.write(
        "racks.toml",
        &racks(&format!(
            "\n[[rack]]\nname = \"web\"\nversion = \"{V2026}\"\n"
        )),
    );

    let drift = run(moto.rackfile().args(["drift", "--detailed-exitcode"]));
    // moto's backends keep no state to compare for the rest: CloudFormation "did not check" them, named.
    snapshots.bind(|| insta::assert_snapshot!(drift.snapshot(), @r#"
        exit: 2
        --- stdout
        personal/web: drifted: 2 resources changed outside CloudFormation
          security group SecurityGroup (sg-[id]): ingress 0.0.0.0/0:22 added
              /SecurityGroupIngress/1 ADD: expected (none), actual {"CidrIp": "0.0.0.0/0", "FromPort": 22, "IpProtocol": "tcp", "ToPort": 22}
          log group LogGroup (web-LogGroup-[id]): retention 7 -> 30 days
              /RetentionInDays NOT_EQUAL: expected 7, actual 30
          8 not checked (CloudFormation does not check these):
            Vpc (AWS::EC2::VPC)
            Gateway (AWS::EC2::InternetGateway)
            GatewayAttachment (AWS::EC2::VPCGatewayAttachment)
            Subnet0 (AWS::EC2::Subnet)
            Subnet1 (AWS::EC2::Subnet)
            Cluster (AWS::ECS::Cluster)
            LaunchConfiguration (AWS::AutoScaling::LaunchConfiguration)
            Settings (AWS::S3::Bucket)

        Drift: 1 drifted, 0 without drift, 0 not checked, 0 not installed; 8 resources CloudFormation does not check, 0 it could not check.
        --- stderr
        personal/web: drift detection started
        personal/web: drift detection complete
        "#));

    let json = run(moto.rackfile().args(["drift", "--json"]));
    snapshots.bind(|| insta::assert_snapshot!(json.snapshot(), @r#"
        exit: 0
        --- stdout
        {
          "format_version": "1",
          "racks": [
            {
              "rack": "personal/web",
              "region": "us-east-1",
              "outcome": "detected",
              "detection_failed": false,
              "drifted": [
                {
                  "logical_id": "SecurityGroup",
                  "physical_id": "sg-[id]",
                  "type": "AWS::EC2::SecurityGroup",
                  "status": "MODIFIED",
                  "differences": [
                    {
                      "path": "/SecurityGroupIngress/1",
                      "expected": "null",
                      "actual": "{\"CidrIp\": \"0.0.0.0/0\", \"FromPort\": 22, \"IpProtocol\": \"tcp\", \"ToPort\": 22}",
                      "kind": "ADD"
                    }
                  ]
                },
                {
                  "logical_id": "LogGroup",
                  "physical_id": "web-LogGroup-[id]",
                  "type": "AWS::Logs::LogGroup",
                  "status": "MODIFIED",
                  "differences": [
                    {
                      "path": "/RetentionInDays",
                      "expected": "7",
                      "actual": "30",
                      "kind": "NOT_EQUAL"
                    }
                  ]
                }
              ],
              "managed": [],
              "not_checked": [
                {
                  "logical_id": "Vpc",
                  "type": "AWS::EC2::VPC"
                },
                {
                  "logical_id": "Gateway",
                  "type": "AWS::EC2::InternetGateway"
                },
                {
                  "logical_id": "GatewayAttachment",
                  "type": "AWS::EC2::VPCGatewayAttachment"
                },
                {
                  "logical_id": "Subnet0",
                  "type": "AWS::EC2::Subnet"
                },
                {
                  "logical_id": "Subnet1",
                  "type": "AWS::EC2::Subnet"
                },
                {
                  "logical_id": "Cluster",
                  "type": "AWS::ECS::Cluster"
                },
                {
                  "logical_id": "LaunchConfiguration",
                  "type": "AWS::AutoScaling::LaunchConfiguration"
                },
                {
                  "logical_id": "Settings",
                  "type": "AWS::S3::Bucket"
                }
              ],
              "unknown": [],
              "in_sync": 1
            }
          ],
          "summary": {
            "racks": 1,
            "drifted": 1,
            "in_sync": 0,
            "not_checked": 0,
            "not_installed": 0,
            "resources_not_checked": 8,
            "resources_unknown": 0
          }
        }
        --- stderr
        personal/web: drift detection started
        personal/web: drift detection complete
        "#));

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
    assert!(!plan.stdout.contains("SecurityGroup ("), "{}", plan.stdout);
    snapshots.bind(|| insta::assert_snapshot!(plan.snapshot(), @"
        exit: 3
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            LogRetention: 7 -> 14
              ↳ modifies LogGroup in place
            impact: modifies 1 resource in place
            budget: up to 5m
            will overwrite a change made outside CloudFormation: log group LogGroup (web-LogGroup-[id]): retention 7 -> 30 days
                  /RetentionInDays NOT_EQUAL: expected 7, actual 30

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
        --- stderr
        personal/web: drift detection started
        personal/web: drift detection complete
        "));
    let without = run(moto
        .rackfile()
        .args(["plan", "--detailed-exitcode=in-place"]));
    assert!(!without.stdout.contains("overwrite"), "{}", without.stdout);
    snapshots.bind(|| {
        insta::assert_snapshot!(without.snapshot(), @"
        exit: 2
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            LogRetention: 7 -> 14
              ↳ modifies LogGroup in place
            impact: modifies 1 resource in place
            budget: up to 5m

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
        --- stderr
        ")
    });

    // apply --drift holds it for a person under in-place approval: the hand-made retention stays.
    let apply = run(moto
        .rackfile()
        .args(["apply", "--drift", "--auto-approve=in-place"]));
    snapshots.bind(|| insta::assert_snapshot!(apply.snapshot(), @"
        exit: 3
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            LogRetention: 7 -> 14
              ↳ modifies LogGroup in place
            impact: may replace 3 resources, modifies 2 in place
            change set: LogGroup: analysis only: modify in place (CloudFormation says nothing)
            change set: Gateway: CloudFormation says may replace (Modify, no Replacement given), the analysis said nothing
            change set: Cluster: CloudFormation says may replace (Modify, no Replacement given), the analysis said nothing
            change set: Settings: CloudFormation says may replace (Modify, no Replacement given), the analysis said nothing
            budget: up to 5m
            will overwrite a change made outside CloudFormation: log group LogGroup (web-LogGroup-[id]): retention 7 -> 30 days
                  /RetentionInDays NOT_EQUAL: expected 7, actual 30

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
        Disruptive: personal/web may replace Gateway, Cluster and Settings

        personal/web: held for a person, nothing sent: may replace Gateway, Cluster and Settings; change set: Gateway Modify no Replacement given; change set: Cluster Modify no Replacement given; change set: Settings Modify no Replacement given; overwrites changes made outside CloudFormation (LogGroup)

        Apply complete: 0 installed, 0 updated, 0 failed, 1 held for a person.
            personal/web: held for a person, nothing sent: may replace Gateway, Cluster and Settings; change set: Gateway Modify no Replacement given; change set: Cluster Modify no Replacement given; change set: Settings Modify no Replacement given; overwrites changes made outside CloudFormation (LogGroup)

        Held for a person by --auto-approve=in-place (their changes are not all in place): personal/web. Review their plan, then apply them with `rackfile apply --target personal/web`, which asks for confirmation.
        --- stderr
        personal/web: drift detection started
        personal/web: drift detection complete
        "));
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
    snapshots.bind(|| insta::assert_snapshot!(apply_saved.snapshot(), @"
        exit: 3
        --- stdout
        Applying the saved plan web.plan.
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            LogRetention: 7 -> 14
              ↳ modifies LogGroup in place
            impact: modifies 1 resource in place
            budget: up to 5m
            will overwrite a change made outside CloudFormation: log group LogGroup (web-LogGroup-[id]): retention 7 -> 30 days
                  /RetentionInDays NOT_EQUAL: expected 7, actual 30

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

        personal/web: held for a person, nothing sent: overwrites changes made outside CloudFormation (LogGroup)

        Apply complete: 0 installed, 0 updated, 0 failed, 1 held for a person.
            personal/web: held for a person, nothing sent: overwrites changes made outside CloudFormation (LogGroup)

        Held for a person by --auto-approve=in-place (their changes are not all in place): personal/web. Review their plan, then apply them with `rackfile apply --target personal/web`, which asks for confirmation.
        --- stderr
        personal/web: drift detection started
        personal/web: drift detection complete
        "));
    assert_eq!(moto.live_parameter("web", "LogRetention"), "7");
}
