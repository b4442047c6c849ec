//! The Lambda runtime check decided by what the operation does to each function, on Convox's real 2019
//! templates (tests/templates/convox-rack-20190822194002.json and the next release, 20190905141723), whose
//! CustomTopic runs nodejs8.10 (updates refused by AWS since 2020-03-06): an InstanceType change leaves the
//! functions alone and is planned with a warning per function; the upgrade, which points every function at
//! the new release's code, modifies CustomTopic and is blocked.

use std::time::Duration;

use rackfile::cloud::TemplateSource;
use rackfile::plan::{Action, BlockedWhy, Plan, PreflightKind, Verdict};
use rackfile::render::preflight::says;
use rackfile_fake::FakeTemplate;

use crate::common::repo_root;
use crate::fake_harness::Harness;

const OLD: &str = "20190822194002";
const NEW: &str = "20190905141723";

fn real_template(version: &str) -> String {
    std::fs::read_to_string(repo_root().join(format!("tests/templates/convox-rack-{version}.json")))
        .unwrap()
}

/// Both releases published where Convox publishes them, and rack `web` live at `OLD`, built from its real
/// template (what GetTemplate returns for it).
async fn live_2019_rack() -> Harness {
    let harness = Harness::new(Duration::from_millis(10));
    let fake = &harness.fake;
    for version in [OLD, NEW] {
        fake.add_s3_object(
            "convox",
            &format!("release/{version}/formation.json"),
            &real_template(version),
        );
    }
    let listed: Vec<serde_json::Value> = [OLD, NEW]
        .iter()
        .map(|version| {
            serde_json::json!({"version": version, "description": "", "published": true, "required": false})
        })
        .collect();
    fake.add_s3_object(
        "convox",
        "release/versions.json",
        &serde_json::to_string(&listed).unwrap(),
    );
    let source = TemplateSource::Body(real_template(OLD));
    fake.add_template(source.clone(), FakeTemplate::rack(&[]));
    harness
        .seed_rack(
            "web",
            source,
            &[
                ("InstanceType", "t3.small"),
                ("InstanceCount", "3"),
                ("Version", OLD),
                ("Password", "secret-secret"),
            ],
        )
        .await;
    harness
}

fn runtime_checks(plan: &Plan) -> Vec<(Verdict, String)> {
    plan.racks[0]
        .preflight
        .iter()
        .filter(|check| check.check == PreflightKind::LambdaRuntime)
        .map(|check| (check.verdict, says(&check.finding)))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn an_instance_type_change_on_a_2019_rack_leaves_its_functions_alone_and_is_not_blocked() {
    let harness = live_2019_rack().await;
    harness.declare(
        "",
        &format!("[[rack]]\nname = \"web\"\nversion = \"{OLD}\"\ninstance_type = \"m5.large\"\n"),
    );
    let plan = harness.plan().await;
    assert!(
        matches!(plan.racks[0].action, Action::Update(_)),
        "{:#?}",
        plan.racks[0]
    );
    let checks = runtime_checks(&plan);
    // One warning per function on a deprecated runtime (Autoscale is No: no InstancesAutoscaler).
    let ids: Vec<&str> = checks
        .iter()
        .map(|(_, says)| says.split(' ').nth(1).unwrap())
        .collect();
    assert_eq!(
        ids,
        ["CustomTopic", "InstancesLifecycleHandler"],
        "{checks:#?}"
    );
    for (verdict, says) in &checks {
        assert_eq!(*verdict, Verdict::Warning, "{says}");
        assert!(says.contains("the operation leaves it alone"), "{says}");
    }
    assert!(
        checks[0]
            .1
            .contains("runs nodejs8.10 (Node.js 8.10), which AWS stopped accepting updates to it on 2020-03-06"),
        "{}",
        checks[0].1
    );
    let human = rackfile::render::human_plan(&plan, rackfile::render::Style::Plain);
    assert!(
        human.contains("    preflight: warning: function CustomTopic runs nodejs8.10"),
        "{human}"
    );
    assert_eq!((plan.summary.update, plan.summary.blocked), (1, 0));
}

#[tokio::test(start_paused = true)]
async fn an_upgrade_that_changes_the_2019_function_s_code_is_blocked() {
    let harness = live_2019_rack().await;
    harness.declare(
        "",
        &format!("[[rack]]\nname = \"web\"\nversion = \"{NEW}\"\n"),
    );
    let plan = harness.plan().await;
    let Action::Blocked(blocked) = &plan.racks[0].action else {
        panic!("not blocked: {:#?}", plan.racks[0].action)
    };
    assert_eq!(blocked.why, BlockedWhy::Preflight);
    let reason = rackfile::render::blocked::reason(blocked, &plan.racks[0].preflight);
    assert!(
        reason.contains(
            "function CustomTopic runs nodejs8.10 (Node.js 8.10), which AWS no longer accepts: the operation updates it and AWS refuses that since 2020-03-06"
        ),
        "{reason}"
    );
    assert_eq!((plan.summary.update, plan.summary.blocked), (0, 1));
}
