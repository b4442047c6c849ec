//! Secrets never printed, whatever the template says: Convox's templates released before 2016-08 do not
//! mark Password NoEcho (tests/templates/convox-rack-20160802200459.json), so AWS shows its value to
//! DescribeStacks. A plan of an update of such a rack, in every view, and a constraint error on a
//! `password_env` value it refuses, never show the password.

use std::time::Duration;

use rackfile::cloud::{ParameterValue, TemplateSource};
use rackfile::plan::Action;
use rackfile::render::RenderError as _;
use rackfile_fake::FakeTemplate;

use crate::common::{exit_and_output, repo_root, stable_snapshots, stream_messages};
use crate::fake_harness::{Harness, RACK_RESOURCES, console};

const RELEASE: &str = "20160802200459";
const PASSWORD: &str = "correct-horse-battery-staple-42";

fn url() -> String {
    format!("https://convox.s3.amazonaws.com/release/{RELEASE}/formation.json")
}

/// The release published where Convox publishes it, and with `live`, rack `web` built from it with
/// `PASSWORD`, which AWS shows since the template does not hide it.
async fn pre_2016_08_release(live: bool) -> Harness {
    let harness = Harness::new(Duration::from_millis(10));
    let fake = &harness.fake;
    let body = std::fs::read_to_string(
        repo_root().join(format!("tests/templates/convox-rack-{RELEASE}.json")),
    )
    .unwrap();
    let declared: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(declared["Parameters"]["Password"].get("NoEcho"), None);
    fake.add_s3_object(
        "convox",
        &format!("release/{RELEASE}/formation.json"),
        &body,
    );
    fake.add_s3_object(
        "convox",
        "release/versions.json",
        &serde_json::json!([{"version": RELEASE, "description": "", "published": true, "required": false}])
            .to_string(),
    );
    let mut template = FakeTemplate::rack(&RACK_RESOURCES);
    template.parameters.get_mut("Password").unwrap().no_echo = false;
    fake.add_template(TemplateSource::Url(url()), template.clone());
    fake.add_template(TemplateSource::Body(body.clone()), template);
    if live {
        harness
            .seed_rack(
                "web",
                TemplateSource::Body(body),
                &[
                    ("InstanceType", "t2.small"),
                    ("InstanceCount", "3"),
                    ("Version", RELEASE),
                    ("Password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(
            harness.stack("web").unwrap().parameters["Password"],
            PASSWORD
        );
    }
    harness
}

#[tokio::test(start_paused = true)]
async fn apply_keeps_a_pre_2016_08_rack_s_password_unread_and_in_no_view_of_its_update() {
    let harness = pre_2016_08_release(true).await;
    harness.declare(
        "",
        &format!(
            "[[rack]]\nname = \"web\"\nversion = \"{RELEASE}\"\ninstance_type = \"t2.medium\"\n"
        ),
    );
    let plan = harness.plan().await;
    let Action::Update(update) = &plan.racks[0].action else {
        panic!("not an update: {:#?}", plan.racks[0].action)
    };
    assert_eq!(update.parameters["Password"], ParameterValue::UsePrevious);
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved.plan");
    rackfile::plan::file::save(&plan, &saved, rackfile::render::json_plan).unwrap();
    for (view, text) in [
        (
            "human",
            rackfile::render::human_plan(&plan, rackfile::render::Style::Plain),
        ),
        ("json", rackfile::render::json_plan(&plan)),
        ("markdown", rackfile::render::markdown_plan(&plan)),
        ("saved plan", std::fs::read_to_string(&saved).unwrap()),
    ] {
        assert!(
            !text.contains(PASSWORD),
            "{view} shows the password:\n{text}"
        );
    }

    // The NDJSON stream of the apply, which carries the plan and every event.
    let mut options = harness.options();
    options.json = true;
    let (code, output) = harness.apply(&options).await;
    assert!(
        !output.contains(PASSWORD),
        "the stream shows the password:\n{output}"
    );
    stable_snapshots(harness.dir.path()).bind(|| {
        insta::assert_snapshot!(exit_and_output(code, &stream_messages(&output)), @"
            exit: 0
            --- output
            version: rackfile 0.1.0 apply stream, format 1
            plan: Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
            rack_start: personal/web: updating
            stack_event: personal/web: web AWS::CloudFormation::Stack UPDATE_IN_PROGRESS
            rack_progress: personal/web: UPDATE_IN_PROGRESS
            stack_event: personal/web: Vpc AWS::EC2::VPC UPDATE_IN_PROGRESS
            stack_event: personal/web: Vpc AWS::EC2::VPC UPDATE_COMPLETE
            rack_progress: personal/web: Updated VPC: vpc-0
            stack_event: personal/web: Subnet0 AWS::EC2::Subnet UPDATE_IN_PROGRESS
            stack_event: personal/web: Subnet0 AWS::EC2::Subnet UPDATE_COMPLETE
            rack_progress: personal/web: Updated VPC Subnet: subnet0-1
            stack_event: personal/web: Cluster AWS::ECS::Cluster UPDATE_IN_PROGRESS
            stack_event: personal/web: Cluster AWS::ECS::Cluster UPDATE_COMPLETE
            rack_progress: personal/web: Updated ECS Cluster: cluster-2
            stack_event: personal/web: web AWS::CloudFormation::Stack UPDATE_COMPLETE
            rack_progress: personal/web: UPDATE_COMPLETE
            rack_complete: personal/web: updated in [time]
            summary: Apply complete: 0 installed, 1 updated, 0 failed.
            ")
    });
    let live = harness.stack("web").unwrap();
    assert_eq!(
        (
            live.parameters["InstanceType"].as_str(),
            live.parameters["Password"].as_str()
        ),
        ("t2.medium", PASSWORD)
    );
}

#[tokio::test(start_paused = true)]
async fn apply_names_a_password_env_value_the_pre_2016_08_template_refuses_never_shown() {
    let harness = pre_2016_08_release(false).await;
    harness.declare(
        "",
        &format!(
            "[[rack]]\nname = \"fresh\"\nversion = \"{RELEASE}\"\npassword_env = \"RACK_PASSWORD\"\n"
        ),
    );
    let long = format!("{PASSWORD}{}", "-".repeat(30));
    let (mut console, buffer) = console();
    let value = long.clone();
    console.env = Box::new(move |name: &str| (name == "RACK_PASSWORD").then(|| value.clone()));
    let (_sender, cancel) = tokio::sync::watch::channel(0);
    let (result, printed) = harness
        .run(&harness.options(), (console, buffer), cancel)
        .await;
    let error = result.expect_err("the install is refused");
    let shown = format!("{printed}{}", error.render());
    stable_snapshots(harness.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(error.exit_code(), &shown), @r#"
            exit: 1
            --- output
            error: personal/fresh: the password in $RACK_PASSWORD is refused by the template's MaxLength of Password: must be at most 50 characters long, not 61
              --> [dir]/racks.toml:10:16
               |
            10 | password_env = "RACK_PASSWORD"
               |                ^^^^^^^^^^^^^^^
               = help: put a password the template accepts in $RACK_PASSWORD

            error: cannot plan: 1 problem; nothing was changed
            "#));
    assert!(
        !shown.contains(PASSWORD),
        "the password was shown:\n{shown}"
    );
    assert!(harness.fake.creates().is_empty());
}
