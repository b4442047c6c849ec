//! `status` says where each rack answers (ENDPOINT: Convox's Router, the `Domain` output, else `Dashboard`)
//! and `status --json` carries every output of the stack, read from moto's DescribeStacks.

use crate::common::run;
use crate::moto::{self, MotoSession, PERSONAL_ACCOUNT};
use crate::plan::{SYSTEM_TAGS, rack_parameters};

/// The example rack template with the outputs a rack of Convox's 2018 and later releases has: `Domain` (its
/// Router's DNS name, what `convox rack` shows as Router) beside `Dashboard` (its API's).
fn routed_template() -> String {
    let template = moto::rack_template();
    assert!(
        template.ends_with("    Value: !Ref Version\n"),
        "the example template changed"
    );
    format!(
        "{template}  Domain:\n    Value: !Sub \"${{AWS::StackName}}-router.${{AWS::Region}}.elb.amazonaws.com\"\n  \
         RouterHost:\n    Value: !Sub \"${{AWS::StackName}}-router.convox.site\"\n"
    )
}

fn seed(moto: &MotoSession, name: &str, body: &str) {
    let parameters: Vec<String> = rack_parameters("3")
        .iter()
        .map(|(k, v)| format!("{{'ParameterKey': '{k}', 'ParameterValue': '{v}'}}"))
        .collect();
    let tags: Vec<String> = SYSTEM_TAGS
        .iter()
        .map(|(k, v)| format!("{{'Key': '{k}', 'Value': '{v}'}}"))
        .collect();
    moto.python(&format!(
        "client('cloudformation', region='us-east-1', account='{PERSONAL_ACCOUNT}').create_stack(\
         StackName='{name}', TemplateBody={body:?}, Parameters=[{}], Tags=[{}])\n",
        parameters.join(", "),
        tags.join(", "),
    ));
}

#[test]
fn status_shows_the_router_else_the_dashboard_and_json_carries_every_output() {
    let moto = moto::session();
    moto.write(
        "racks.toml",
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n[org.personal]\n\
         [[rack]]\nname = \"routed\"\ntemplate = \"routed.yml\"\n\
         [[rack]]\nname = \"old\"\ntemplate = \"rack.yml\"\n\
         [[rack]]\nname = \"absent\"\ntemplate = \"rack.yml\"\n",
    );
    moto.write("routed.yml", &routed_template());
    moto.write("rack.yml", &moto::rack_template());
    seed(&moto, "routed", &routed_template());
    seed(&moto, "old", &moto::rack_template());

    let table = run(moto.rackfile().arg("status"));
    assert_eq!(table.code, 0, "{}", table.stderr);
    let endpoints: Vec<(&str, &str)> = table
        .stdout
        .lines()
        .map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            (cells[0], *cells.last().unwrap())
        })
        .collect();
    assert_eq!(
        endpoints,
        [
            ("RACK", "ENDPOINT"),
            (
                "personal/routed",
                "routed-router.us-east-1.elb.amazonaws.com"
            ),
            ("personal/old", "old.us-east-1.elb.amazonaws.com"),
            ("personal/absent", "-"),
        ]
    );

    let json = run(moto.rackfile().args(["status", "--json"]));
    assert_eq!(json.code, 0, "{}", json.stderr);
    let status: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let routed = &status["racks"][0];
    assert_eq!(
        routed["endpoint"],
        "routed-router.us-east-1.elb.amazonaws.com"
    );
    assert_eq!(
        routed["outputs"],
        serde_json::json!({
            "Dashboard": "routed.us-east-1.elb.amazonaws.com",
            "Domain": "routed-router.us-east-1.elb.amazonaws.com",
            "LogGroup": routed["outputs"]["LogGroup"],
            "RouterHost": "routed-router.convox.site",
            "Version": crate::plan::VERSION,
        })
    );
    assert!(
        routed["outputs"]["LogGroup"]
            .as_str()
            .is_some_and(|group| !group.is_empty())
    );
    assert_eq!(
        status["racks"][1]["endpoint"],
        "old.us-east-1.elb.amazonaws.com"
    );
    assert_eq!(status["racks"][2]["endpoint"], serde_json::Value::Null);
    assert_eq!(status["racks"][2]["outputs"], serde_json::json!({}));
}
