//! An uninstall deletes only what its plan listed: each app stack is read again just before its DeleteStack,
//! and one replaced (another StackId) or re-tagged since the plan is left, the rack's own stack with it; one
//! already deleted by someone else is passed over. The world changes while apply deletes the rack's first app
//! (after the plan was checked against the live stacks), which is the window that last read guards.

use std::collections::BTreeMap;
use std::time::Duration;

use rackfile::cloud::{Cloud, CreateStackRequest, TemplateSource};

use crate::common::{exit_and_output, stable_snapshots};
use crate::fake_harness::{ACCOUNT, Harness, RACK_RESOURCES, REGION, TEMPLATE_URL};

/// The first app's template: enough resources that its deletion takes a while.
const BIG_APP_URL: &str = "https://templates.example.com/big-app.json";

/// Rack `web` installed with its apps `web-a` (deleted first, slowly) and `web-b`, and racks.toml asking for
/// the rack to be absent.
async fn uninstall_declared() -> Harness {
    let harness = Harness::with_rack_template(Duration::from_millis(10), &RACK_RESOURCES);
    let big: Vec<(String, String)> = (0..50)
        .map(|n| (format!("Queue{n}"), "AWS::SQS::Queue".to_string()))
        .collect();
    let big: Vec<(&str, &str)> = big.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    harness.fake.add_template(
        TemplateSource::Url(BIG_APP_URL.into()),
        rackfile_fake::FakeTemplate::rack(&big),
    );
    let racks = |settings: &str| {
        harness.declare(
            "version = \"1\"",
            &format!("[[rack]]\nname = \"web\"\ntemplate_url = \"{TEMPLATE_URL}\"\n{settings}"),
        )
    };
    racks("");
    let (code, output) = harness.apply(&harness.options()).await;
    assert_eq!(code, 0, "{output}");
    create_app(&harness, "web-a", BIG_APP_URL).await;
    create_app(&harness, "web-b", TEMPLATE_URL).await;
    racks("ensure = \"absent\"\n");
    harness
}

async fn create_app(harness: &Harness, name: &str, url: &str) {
    let cloud = harness.fake.cloud_for(ACCOUNT, REGION);
    cloud
        .create_stack(&CreateStackRequest {
            name: name.into(),
            template: TemplateSource::Url(url.into()),
            parameters: BTreeMap::from([
                ("Version".to_string(), "1".to_string()),
                ("Password".to_string(), "p".to_string()),
            ]),
            tags: [("System", "convox"), ("Type", "app"), ("Rack", "web")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            termination_protection: false,
            timeout_minutes: None,
            role_arn: None,
            options: Default::default(),
            token: format!("create-{name}"),
        })
        .await
        .unwrap();
    while harness.stack(name).unwrap().status != "CREATE_COMPLETE" {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Once apply has sent the DeleteStack of `web-a`.
async fn web_a_being_deleted(harness: &Harness) {
    while !harness
        .fake
        .roles()
        .iter()
        .any(|write| write.operation == "DeleteStack" && write.stack == "web-a")
    {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Deletes `web-b` behind rackfile's back and waits until it is gone.
async fn delete_web_b(harness: &Harness) {
    let cloud = harness.fake.cloud_for(ACCOUNT, REGION);
    cloud.delete_stack("web-b", None, "someone").await.unwrap();
    while harness.stack("web-b").is_some() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// apply --allow-uninstall, with `meanwhile` run once `web-a` is being deleted.
async fn uninstall_while(
    harness: &Harness,
    meanwhile: impl std::future::Future<Output = ()>,
) -> (i32, String) {
    let mut options = harness.options();
    options.allow_uninstall = true;
    let (applied, ()) = tokio::join!(harness.apply(&options), async {
        web_a_being_deleted(harness).await;
        meanwhile.await;
    });
    applied
}

#[tokio::test(start_paused = true)]
async fn apply_uninstall_deletes_neither_an_app_stack_re_tagged_since_the_plan_nor_the_rack() {
    let harness = uninstall_declared().await;

    let (code, output) = uninstall_while(&harness, async {
        harness
            .fake
            .set_tags(ACCOUNT, REGION, "web-b", &[("Rack", "web")]);
    })
    .await;

    stable_snapshots(harness.dir.path()).bind(|| {
        insta::assert_snapshot!(
            "apply_uninstall_deletes_neither_an_app_stack_re_tagged_since_the_plan_nor_the_rack",
            exit_and_output(code, &output)
        )
    });
    assert!(harness.stack("web-a").is_none(), "{output}");
    assert!(harness.stack("web-b").is_some() && harness.stack("web").is_some());
}

#[tokio::test(start_paused = true)]
async fn apply_uninstall_deletes_neither_an_app_stack_replaced_since_the_plan_nor_the_rack() {
    let harness = uninstall_declared().await;

    let (code, output) = uninstall_while(&harness, async {
        delete_web_b(&harness).await;
        create_app(&harness, "web-b", TEMPLATE_URL).await;
    })
    .await;

    stable_snapshots(harness.dir.path()).bind(|| {
        insta::assert_snapshot!(
            "apply_uninstall_deletes_neither_an_app_stack_replaced_since_the_plan_nor_the_rack",
            exit_and_output(code, &output)
        )
    });
    assert!(harness.stack("web-b").is_some() && harness.stack("web").is_some());
}

#[tokio::test(start_paused = true)]
async fn apply_uninstall_passes_over_an_app_stack_deleted_since_the_plan_and_deletes_the_rack() {
    let harness = uninstall_declared().await;

    let (code, output) = uninstall_while(&harness, delete_web_b(&harness)).await;

    assert_eq!(code, 0, "{output}");
    assert!(harness.stack("web").is_none(), "{output}");
    let deleted: Vec<String> = harness
        .fake
        .roles()
        .into_iter()
        .filter(|write| write.operation == "DeleteStack")
        .map(|write| write.stack)
        .collect();
    assert_eq!(deleted, ["web-a", "web-b", "web"], "web-b by someone else");
}
