//! SSM re-resolution against moto: CloudFormation resolves an SSM-typed parameter (Convox's `DefaultAmi`)
//! again at every update, so a newer AMI published after install rolls every instance on an unrelated
//! change. moto resolves SSM-typed parameters too; scripts/moto-server.py makes DescribeStacks show them as
//! AWS does (the SSM name as ParameterValue, what it resolved to as ResolvedValue).

use crate::common::run;
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
fn a_newer_ami_is_a_change_of_every_update_and_in_place_approval_holds_the_rolling_replacement() {
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
    assert!(
        idle["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|note| note.as_str().unwrap().contains(&format!(
                "DefaultAmi (SSM {AMI_NAME}): {INSTALLED_AMI} -> {NEWER_AMI}"
            ))),
        "{idle:#}"
    );
    let fresh = rack("fresh");
    assert_eq!(fresh["action"], "update", "{fresh:#}");
    assert_eq!(fresh["changes"].as_array().unwrap().len(), 1, "{fresh:#}");
    assert_eq!(without_reach(&fresh["changes"][0]), ssm_change);

    let human = run(moto.rackfile().arg("plan"));
    assert!(
        human.stdout.contains(&format!(
            "DefaultAmi (SSM {AMI_NAME}): {INSTALLED_AMI} -> {NEWER_AMI}, resolved at update"
        )) && human.stdout.contains("rolling replacement of Instances"),
        "{}",
        human.stdout
    );

    let apply = run(moto.rackfile().args(["apply", "--auto-approve=in-place"]));
    assert_exit(&apply, 3);
    assert!(
        apply
            .stdout
            .contains("personal/web: held for a person, nothing sent")
            && apply
                .stdout
                .contains("personal/fresh: held for a person, nothing sent"),
        "{}",
        apply.stdout
    );
    assert_eq!(moto.live_parameter("web", "LogRetention"), "7");
}

#[test]
fn an_ami_parameter_that_cannot_be_read_is_a_note_and_holds_the_rack() {
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
        web["notes"].as_array().unwrap().iter().any(|note| {
            let note = note.as_str().unwrap();
            note.starts_with("DefaultAmi: SSM parameter") && note.contains("does not exist")
        }),
        "{web:#}"
    );
    assert!(
        web["hold"]
            .as_array()
            .unwrap()
            .iter()
            .any(|reason| reason["kind"] == "ssm_unresolved" && reason["parameter"] == "DefaultAmi"),
        "{web:#}"
    );
}

#[test]
fn refresh_of_a_parameter_the_template_does_not_resolve_from_ssm_is_an_error_at_its_line() {
    let moto = session();
    moto.write(
        "racks.toml",
        &racks(&format!(
            "\n[[rack]]\nname = \"web\"\nversion = \"{V2026}\"\nrefresh = [\"DefaultAmi\", \"LogRetention\"]\n"
        )),
    );
    let plan = run(moto.rackfile().arg("plan"));
    assert_exit(&plan, 1);
    assert!(
        plan.stderr.contains("racks.toml:12:26")
            && plan.stderr.contains(
                "`refresh` names `LogRetention`, which the template https://convox.s3.amazonaws.com/release/"
            )
            && plan.stderr.contains("its SSM-typed parameters: DefaultAmi, DefaultAmiArm")
            && !plan.stderr.contains("`DefaultAmi`"),
        "{}",
        plan.stderr
    );
}
