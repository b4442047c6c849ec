//! What Convox does around a rack's operations, against moto's real DynamoDB, SNS, Auto Scaling and
//! EventBridge: a rack-like template that creates Convox's releases table, notification topic, autoscaler
//! rule and an AutoScalingGroup; a version change recorded in the table and published on the topic; an
//! uninstall that disables the rule and force-deletes the group before its DeleteStack. Every call is in
//! the policy `rackfile permissions apply` prints (`permissions::covered_run`).

use crate::moto::{self, MotoSession};
use crate::permissions::covered_run;

const URL: &str = "https://my-templates.s3.amazonaws.com/rack.json";

/// The example rack template with the resources of Convox's rack.json these operations find.
fn template() -> String {
    let convox = r#"  DynamoReleases:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${AWS::StackName}-releases"
      AttributeDefinitions:
        - AttributeName: id
          AttributeType: S
      KeySchema:
        - AttributeName: id
          KeyType: HASH
      BillingMode: PAY_PER_REQUEST
  NotificationTopic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub "${AWS::StackName}-notifications"
  InstancesAutoscalerEvent:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: "cron(*/1 * * * ? *)"
      State: ENABLED
  InstancesLaunchConfiguration:
    Type: AWS::AutoScaling::LaunchConfiguration
    Properties:
      ImageId: ami-12c6146b
      InstanceType: t2.small
  Instances:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      AvailabilityZones: [us-east-1a]
      LaunchConfigurationName: !Ref InstancesLaunchConfiguration
      MinSize: "0"
      MaxSize: "1"
      DesiredCapacity: "0"
"#;
    let template = moto::rack_template();
    assert!(template.contains("\nOutputs:\n"));
    template.replacen("\nOutputs:\n", &format!("\n{convox}Outputs:\n"), 1)
}

fn declare(moto: &MotoSession, version: &str, settings: &str) {
    moto.write(
        "racks.toml",
        &format!(
            "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\n\
             password_ssm = \"/racks/{{org}}/{{name}}/password\"\n\n\
             [org.personal]\nprofile = \"personal\"\naccount_id = \"{}\"\n\n\
             [[rack]]\nname = \"web\"\ntemplate_url = \"{URL}\"\nversion = \"{version}\"\n{settings}\n",
            moto::PERSONAL_ACCOUNT
        ),
    );
}

#[test]
fn a_version_is_recorded_in_moto_s_table_and_topic_and_an_uninstall_prepares_as_convox_does() {
    let moto = moto::session();
    moto.python(&format!(
        "s3 = client('s3')\ns3.create_bucket(Bucket='my-templates')\n\
         s3.put_object(Bucket='my-templates', Key='rack.json', Body={:?})\n",
        template()
    ));
    declare(&moto, "1", "");
    let (mut needed, _) = covered_run(&moto, "apply", &["apply", "--auto-approve"], 0);
    let rule = moto
        .python(
            "for r in client('cloudformation').list_stack_resources(StackName='web')['StackResourceSummaries']:\n\
             \x20   if r['LogicalResourceId'] == 'InstancesAutoscalerEvent':\n\
             \x20       print(r['PhysicalResourceId'])\n",
        )
        .trim()
        .to_string();

    declare(&moto, "2", "");
    let (update, output) = covered_run(&moto, "apply", &["apply", "--auto-approve"], 0);
    needed.extend(update);
    assert!(!output.stdout.contains("Warning"), "{}", output.stdout);
    let item = moto.python(
        "item = client('dynamodb').get_item(TableName='web-releases', Key={'id': {'S': '2'}})['Item']\n\
         print(item['app']['S'], item['created']['S'])\n",
    );
    let (app, created) = item.trim().split_once(' ').unwrap();
    assert_eq!(app, "web");
    assert!(
        created.len() == 25 && created.as_bytes()[8] == b'.' && created.as_bytes()[15] == b'.',
        "Convox's sortable time: {created}"
    );
    // What moto's SNS delivered to the topic: (message id, message, subject, ...).
    let sent = moto.python(
        "from moto.sns.models import sns_backends\n\
         topic = sns_backends['123456789012']['us-east-1'].topics['arn:aws:sns:us-east-1:123456789012:web-notifications']\n\
         for notification in topic.sent_notifications:\n\
         \x20   print(json.dumps({'message': notification[1], 'subject': notification[2]}))\n",
    );
    let sent: Vec<serde_json::Value> = sent
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["subject"], "rack:update");
    let event: serde_json::Value =
        serde_json::from_str(sent[0]["message"].as_str().unwrap()).unwrap();
    assert_eq!(
        event["data"],
        serde_json::json!({"rack": "web", "version": "2"})
    );
    assert_eq!(event["action"], "rack:update");

    declare(&moto, "2", "ensure = \"absent\"");
    let (uninstall, output) = covered_run(
        &moto,
        "apply",
        &["apply", "--auto-approve", "--allow-uninstall"],
        0,
    );
    needed.extend(uninstall);
    let disabled = output
        .stdout
        .find(&format!(
            "personal/web: disabled the autoscaler rule {rule}"
        ))
        .unwrap_or_else(|| panic!("{}", output.stdout));
    let group = output
        .stdout
        .find("personal/web: force-deleting AutoScalingGroup web-Instances")
        .unwrap_or_else(|| panic!("{}", output.stdout));
    let deleting = output.stdout.find("personal/web: deleting web").unwrap();
    assert!(disabled < group && group < deleting, "{}", output.stdout);
    assert!(
        output.stdout.contains("uninstalled in"),
        "{}",
        output.stdout
    );
    for action in [
        "cloudformation:ListStackResources",
        "dynamodb:PutItem",
        "sns:Publish",
        "events:DisableRule",
        "autoscaling:DeleteAutoScalingGroup",
    ] {
        assert!(
            needed.contains(action),
            "no run called {action}: {needed:?}"
        );
    }
}
