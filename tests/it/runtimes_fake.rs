//! The Lambda runtime check decided by what the operation does to each function, on Convox's real 2019
//! templates (tests/templates/convox-rack-20190822194002.json and the next release, 20190905141723), whose
//! CustomTopic runs nodejs8.10 (updates refused by AWS since 2020-03-06): an InstanceType change leaves the
//! functions alone and is planned with a warning per function; the upgrade, which points every function at
//! the new release's code, modifies CustomTopic and is blocked.

use std::time::Duration;

use rackfile::cloud::TemplateSource;
use rackfile::plan::{Action, BlockedWhy, Plan, PreflightKind, Verdict};
use rackfile_fake::FakeTemplate;

use crate::common::{repo_root, stable_snapshots};
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

fn runtime_verdicts(plan: &Plan) -> Vec<Verdict> {
    plan.racks[0]
        .preflight
        .iter()
        .filter(|check| check.check == PreflightKind::LambdaRuntime)
        .map(|check| check.verdict)
        .collect()
}

/// The plan as `rackfile plan` prints it.
fn shown(plan: &Plan) -> String {
    rackfile::render::human_plan(plan, rackfile::render::Style::Plain)
}

#[tokio::test(start_paused = true)]
async fn plan_of_an_instance_type_change_on_a_2019_rack_leaves_its_functions_alone() {
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
    // One warning per function on a deprecated runtime, CustomTopic and InstancesLifecycleHandler (Autoscale
    // is No: no InstancesAutoscaler), each saying the operation leaves it alone.
    assert_eq!(
        runtime_verdicts(&plan),
        [Verdict::Warning, Verdict::Warning]
    );
    assert_eq!((plan.summary.update, plan.summary.blocked), (1, 0));
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(shown(&plan), @"
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            InstanceType: t3.small -> m5.large
              ↳ replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time
            impact: replaces 1 resource, modifies 1 in place; rolling replacement of Instances, 1 at a time
            rolling: 3 instances, 1 at a time, PT5M pause: up to 20m
            note: Convox's latest published release is 20190905141723 (1 published release after 20190822194002)
            preflight: warning: function CustomTopic runs nodejs8.10 (Node.js 8.10), which AWS stopped accepting updates to it on 2020-03-06: the operation leaves it alone, but any later change to it will need a supported runtime (deprecated 2019-12-31, creates refused from 2020-01-06, updates from 2020-03-06) (read: the runtime table (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html, read 2026-12-04))
            preflight: warning: function InstancesLifecycleHandler runs go1.x (Go 1.x), which AWS stops accepting updates to it on 2027-03-03: the operation leaves it alone, but any later change to it will need a supported runtime (deprecated 2024-01-08, creates refused from 2024-02-08, updates from 2027-03-03) (read: the runtime table (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html, read 2026-12-04))

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
        Disruptive: personal/web replaces LaunchConfiguration; rolling replacement of Instances, 1 at a time
        "));
}

#[tokio::test(start_paused = true)]
async fn plan_blocks_an_upgrade_that_changes_the_2019_function_s_code() {
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
    assert_eq!((plan.summary.update, plan.summary.blocked), (0, 1));
    stable_snapshots(harness.dir.path()).bind(|| insta::assert_snapshot!(shown(&plan), @"
        Read account 123456789012 (org personal): us-east-1

        ! personal/web (us-east-1) is blocked
            CREATE_COMPLETE: preflight: function CustomTopic runs nodejs8.10 (Node.js 8.10), which AWS no longer accepts: the operation updates it and AWS refuses that since 2020-03-06 (deprecated 2019-12-31, creates refused from 2020-01-06, updates from 2020-03-06) (read: the runtime table (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html, read 2026-12-04))
            preflight: warning: function InstancesLifecycleHandler runs go1.x (Go 1.x), deprecated by AWS: the operation updates it, which AWS refuses from 2027-03-03 (deprecated 2024-01-08, creates refused from 2024-02-08, updates from 2027-03-03) (read: the runtime table (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html, read 2026-12-04))

        Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.
        "));
}
