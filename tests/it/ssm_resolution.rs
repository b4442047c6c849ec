//! SSM re-resolution against moto: CloudFormation resolves an SSM-typed parameter (Convox's `DefaultAmi`)
//! again at every update, so a newer AMI published after install rolls every instance on an unrelated
//! change. moto resolves SSM-typed parameters too; scripts/moto-server.py makes DescribeStacks show them as
//! AWS does (the SSM name as ParameterValue, what it resolved to as ResolvedValue).

use crate::common::{run, stable_snapshots};
use crate::moto::{MotoSession, PERSONAL_ACCOUNT};
use crate::real_templates::{V2026, assert_exit, racks, seed, session};

/// An SSM parameter of the test's own, as an AMI name AWS publishes would be (moto, as AWS, keeps `/aws/`
/// for itself).
const AMI_NAME: &str = "/rackfile-test/ecs/image_id";
const INSTALLED_AMI: &str = "ami-12c6146b";
const NEWER_AMI: &str = "ami-0bbb1234567890abc";

/// The 2026 rack-like template with its launch configuration's image and its log group's retention fed
/// by their parameters, as Convox's real template feeds them.
fn template_fed_by_parameters() -> String {
    let path = crate::common::repo_root().join("tests/templates/rack-2026.json");
    let mut template: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let resources = &mut template["Resources"];
    resources["LaunchConfiguration"]["Properties"]["ImageId"] =
        serde_json::json!({"Ref": "DefaultAmi"});
    resources["LogGroup"]["Properties"]["RetentionInDays"] =
        serde_json::json!({"Ref": "LogRetention"});
    serde_json::to_string(&template).unwrap()
}

fn put_ami(moto: &MotoSession, value: &str) {
    moto.python(&format!(
        "client('ssm').put_parameter(Name='{AMI_NAME}', Value='{value}', Type='String', Overwrite=True)\n"
    ));
}

/// `web` gets an unrelated LogRetention change, `idle` nothing, `fresh` asks for its AMI (`refresh`);
/// all three were installed before AWS published a newer AMI.
fn three_racks_after_a_newer_ami() -> MotoSession {
    let moto = session();
    moto.publish_template(PERSONAL_ACCOUNT, V2026, &template_fed_by_parameters());
    put_ami(&moto, INSTALLED_AMI);
    for name in ["web", "idle", "fresh"] {
        seed(&moto, name, V2026, &[("DefaultAmi", AMI_NAME)]);
    }
    put_ami(&moto, NEWER_AMI);
    moto.write(
        "racks.toml",
        &racks(&format!(
            "\n[[rack]]\nname = \"web\"\nversion = \"{V2026}\"\n\n[rack.parameters]\nLogRetention = \"30\"\n\n\
             [[rack]]\nname = \"idle\"\nversion = \"{V2026}\"\n\n\
             [[rack]]\nname = \"fresh\"\nversion = \"{V2026}\"\nrefresh = [\"DefaultAmi\"]\n"
        )),
    );
    moto
}

#[test]
fn plan_shows_a_newer_ami_as_a_change_of_every_update_and_apply_in_place_holds_it() {
    let moto = three_racks_after_a_newer_ami();

    let json = run(moto.rackfile().args(["plan", "--json"]));
    assert_exit(&json, 0);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let rack = |name: &str| {
        plan["racks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|rack| rack["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {plan:#}"))
            .clone()
    };
    let ssm_change = serde_json::json!({
        "kind": "ssm_value", "name": "DefaultAmi", "before": INSTALLED_AMI, "after": NEWER_AMI,
        "sensitive": false, "ssm_name": AMI_NAME,
    });
    // What the change reaches, in words and as resources, is the analysis's (checked below by the rack's).
    let without_reach = |change: &serde_json::Value| {
        let mut change = change.clone();
        change.as_object_mut().unwrap().remove("reach");
        change.as_object_mut().unwrap().remove("reached");
        change
    };
    let web = rack("web");
    assert_eq!(web["action"], "update", "{web:#}");
    let changes = web["changes"].as_array().unwrap();
    assert!(
        changes.iter().map(without_reach).any(|c| c == ssm_change),
        "{web:#}"
    );
    assert_eq!(web["hold"][0]["kind"], "disruptive", "{web:#}");
    let rolled = web["impact"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|resource| resource["logical_id"] == "Instances" && resource.get("rolling").is_some());
    assert!(rolled, "{web:#}");

    // Left alone, the newer AMI waits for the rack's next update; asked for, it is the update.
    let idle = rack("idle");
    assert_eq!(idle["action"], "unchanged", "{idle:#}");
    let fresh = rack("fresh");
    assert_eq!(fresh["action"], "update", "{fresh:#}");
    assert_eq!(fresh["changes"].as_array().unwrap().len(), 1, "{fresh:#}");
    assert_eq!(without_reach(&fresh["changes"][0]), ssm_change);

    // The idle rack's note says what its next update will resolve.
    let human = run(moto.rackfile().arg("plan"));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(human.snapshot(), @"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            LogRetention: 7 -> 30
              ↳ modifies LogGroup in place
            DefaultAmi (SSM /rackfile-test/ecs/image_id): ami-12c6146b -> ami-0bbb1234567890abc, resolved at update
              ↳ replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time
            impact: replaces 1 resource, modifies 2 in place; rolling replacement of Instances, 1 at a time
            rolling: 3 instances, 1 at a time, PT5M pause: up to 20m

          personal/idle (us-east-1) no changes
            note: DefaultAmi (SSM /rackfile-test/ecs/image_id): ami-12c6146b -> ami-0bbb1234567890abc in Parameter Store, resolved at the rack's next update (list it in `refresh` to update now)

        ~ personal/fresh (us-east-1) will be updated
            DefaultAmi (SSM /rackfile-test/ecs/image_id): ami-12c6146b -> ami-0bbb1234567890abc, resolved at update
              ↳ replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time
            impact: replaces 1 resource, modifies 1 in place; rolling replacement of Instances, 1 at a time
            rolling: 3 instances, 1 at a time, PT5M pause: up to 20m

        Plan: 0 to install, 2 to update, 1 unchanged, 0 blocked.
        Disruptive: personal/web replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time
        Disruptive: personal/fresh replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time
        --- stderr
        "));

    let apply = run(moto.rackfile().args(["apply", "--auto-approve=in-place"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(apply.snapshot(), @"
        exit: 3
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            LogRetention: 7 -> 30
              ↳ modifies LogGroup in place
            DefaultAmi (SSM /rackfile-test/ecs/image_id): ami-12c6146b -> ami-0bbb1234567890abc, resolved at update
              ↳ replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time
            impact: replaces 1 resource, may replace 3 resources, modifies 3 in place; rolling replacement of Instances, 1 at a time
            change set: LaunchConfiguration: analysis only: replace (CloudFormation says nothing)
            change set: Instances: analysis only: rolling replacement of its instances (CloudFormation says nothing)
            change set: LogGroup: analysis only: modify in place (CloudFormation says nothing)
            change set: Gateway: CloudFormation says may replace (Modify, no Replacement given), the analysis said nothing
            change set: Cluster: CloudFormation says may replace (Modify, no Replacement given), the analysis said nothing
            change set: Settings: CloudFormation says may replace (Modify, no Replacement given), the analysis said nothing
            rolling: 3 instances, 1 at a time, PT5M pause: up to 20m

          personal/idle (us-east-1) no changes
            note: DefaultAmi (SSM /rackfile-test/ecs/image_id): ami-12c6146b -> ami-0bbb1234567890abc in Parameter Store, resolved at the rack's next update (list it in `refresh` to update now)

        ~ personal/fresh (us-east-1) will be updated
            DefaultAmi (SSM /rackfile-test/ecs/image_id): ami-12c6146b -> ami-0bbb1234567890abc, resolved at update
              ↳ replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time
            impact: replaces 1 resource, may replace 3 resources, modifies 2 in place; rolling replacement of Instances, 1 at a time
            change set: LaunchConfiguration: analysis only: replace (CloudFormation says nothing)
            change set: Instances: analysis only: rolling replacement of its instances (CloudFormation says nothing)
            change set: Gateway: CloudFormation says may replace (Modify, no Replacement given), the analysis said nothing
            change set: Cluster: CloudFormation says may replace (Modify, no Replacement given), the analysis said nothing
            change set: Settings: CloudFormation says may replace (Modify, no Replacement given), the analysis said nothing
            rolling: 3 instances, 1 at a time, PT5M pause: up to 20m

        Plan: 0 to install, 2 to update, 1 unchanged, 0 blocked.
        Disruptive: personal/web replaces LaunchConfiguration; may replace Gateway, Cluster and Settings; rolling replacement of Instances, 1 at a time
        Disruptive: personal/fresh replaces LaunchConfiguration; may replace Gateway, Cluster and Settings; rolling replacement of Instances, 1 at a time

        personal/web: held for a person, nothing sent: replaces LaunchConfiguration; may replace Gateway, Cluster and Settings; rolling replacement of Instances, 1 at a time; change set: Gateway Modify no Replacement given; change set: Cluster Modify no Replacement given; change set: Settings Modify no Replacement given
        personal/fresh: held for a person, nothing sent: replaces LaunchConfiguration; may replace Gateway, Cluster and Settings; rolling replacement of Instances, 1 at a time; change set: Gateway Modify no Replacement given; change set: Cluster Modify no Replacement given; change set: Settings Modify no Replacement given

        Apply complete: 0 installed, 0 updated, 0 failed, 2 held for a person.
            personal/web: held for a person, nothing sent: replaces LaunchConfiguration; may replace Gateway, Cluster and Settings; rolling replacement of Instances, 1 at a time; change set: Gateway Modify no Replacement given; change set: Cluster Modify no Replacement given; change set: Settings Modify no Replacement given
            personal/fresh: held for a person, nothing sent: replaces LaunchConfiguration; may replace Gateway, Cluster and Settings; rolling replacement of Instances, 1 at a time; change set: Gateway Modify no Replacement given; change set: Cluster Modify no Replacement given; change set: Settings Modify no Replacement given

        Held for a person by --auto-approve=in-place (their changes are not all in place): personal/web, personal/fresh. Review their plan, then apply them with `rackfile apply --target personal/web --target personal/fresh`, which asks for confirmation.
        --- stderr
        "));
    assert_eq!(moto.live_parameter("web", "LogRetention"), "7");
}

#[test]
fn plan_notes_an_ami_parameter_that_cannot_be_read_and_holds_the_rack() {
    let moto = three_racks_after_a_newer_ami();
    moto.python(&format!(
        "client('ssm').delete_parameter(Name='{AMI_NAME}')\n"
    ));
    let json = run(moto
        .rackfile()
        .args(["plan", "--json", "--target", "personal/web"]));
    assert_exit(&json, 0);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let web = &plan["racks"][0];
    assert!(
        web["hold"]
            .as_array()
            .unwrap()
            .iter()
            .any(|reason| reason["kind"] == "ssm_unresolved" && reason["parameter"] == "DefaultAmi"),
        "{web:#}"
    );
    let human = run(moto.rackfile().args(["plan", "--target", "personal/web"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(human.snapshot(), @"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            LogRetention: 7 -> 30
              ↳ may replace LaunchConfiguration; rolling replacement of Instances, 1 at a time; modifies LogGroup in place
            DefaultAmi (SSM /rackfile-test/ecs/image_id): ami-12c6146b -> (cannot be read), resolved at update
              ↳ may replace LaunchConfiguration; rolling replacement of Instances, 1 at a time
            impact: may replace 1 resource, modifies 2 in place; rolling replacement of Instances, 1 at a time
            rolling: 3 instances, 1 at a time, PT5M pause: up to 20m
            note: DefaultAmi: SSM parameter /rackfile-test/ecs/image_id does not exist in us-east-1; what CloudFormation resolves it to at the update is unknown, so what it reaches may change

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
        Disruptive: personal/web may replace LaunchConfiguration; rolling replacement of Instances, 1 at a time
        --- stderr
        "));
}

#[test]
fn plan_refuses_refresh_of_a_parameter_not_resolved_from_ssm_at_its_line() {
    let moto = session();
    moto.write(
        "racks.toml",
        &racks(&format!(
            "\n[[rack]]\nname = \"web\"\nversion = \"{V2026}\"\nrefresh = [\"DefaultAmi\", \"LogRetention\"]\n"
        )),
    );
    let plan = run(moto.rackfile().arg("plan"));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(plan.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: personal/web: `refresh` names `LogRetention`, which the template https://convox.s3.amazonaws.com/release/20260421192651/formation.json does not declare as an SSM-typed parameter (AWS::SSM::Parameter::Value<...>)
          --> racks.toml:12:26
           |
        12 | refresh = ["DefaultAmi", "LogRetention"]
           |                          ^^^^^^^^^^^^^^
           = help: its SSM-typed parameters: DefaultAmi, DefaultAmiArm

        error: cannot plan: 1 problem; nothing was changed
        "#));
}
