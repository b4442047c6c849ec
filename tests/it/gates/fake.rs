//! One gate, every plan, against the strict fake: a rack busy when planned is waited for and planned
//! again, and that new plan passes the same gate as the first (`--allow-uninstall`, `--json` refusing a
//! generated password) before anything is sent.

use std::collections::BTreeMap;
use std::time::Duration;

use rackfile::cloud::{
    Cloud, CreateStackRequest, ParameterValue, TemplateSource, UpdateStackRequest,
};

use crate::apply::fake::{ACCOUNT, Setup, TEMPLATE_URL, apply, manage_count, options, setup};

const REGION: &str = "us-east-1";

/// `name` installed, then an update started behind rackfile's back: the stack is UPDATE_IN_PROGRESS.
async fn installed_then_busy(name: &str) -> Setup {
    let setup = setup(Duration::from_millis(30), &[name]);
    manage_count(&setup, name, 3);
    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    assert_eq!(code, 0, "{output}");
    let live = setup.fake.stack(ACCOUNT, REGION, name).unwrap();
    let mut parameters: BTreeMap<String, ParameterValue> = live
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), ParameterValue::Value(v.clone())))
        .collect();
    parameters.insert("InstanceCount".into(), ParameterValue::Value("7".into()));
    setup
        .fake
        .cloud_for(ACCOUNT, REGION)
        .update_stack(&UpdateStackRequest {
            name: name.into(),
            template: TemplateSource::Url(TEMPLATE_URL.into()),
            parameters,
            tags: live.tags.clone(),
            role_arn: None,
            options: Default::default(),
            token: "behind-rackfiles-back".into(),
        })
        .await
        .unwrap();
    setup
}

fn declare_absent(setup: &Setup, name: &str) {
    setup.declare(
        "version = \"20161102160040\"",
        &format!(
            "[[rack]]\nname = \"{name}\"\ntemplate_url = \"{TEMPLATE_URL}\"\nensure = \"absent\"\n"
        ),
    );
}

#[tokio::test(start_paused = true)]
async fn a_busy_rack_to_uninstall_is_planned_as_a_wait_and_not_uninstalled_without_allow_uninstall()
{
    for json in [false, true] {
        let setup = installed_then_busy("old").await;
        declare_absent(&setup, "old");
        let mut without = options(&setup, 10, None);
        without.json = json;
        let (code, output) = apply(&setup, &without).await;
        assert_eq!(code, 1, "json {json}: {output}");
        if !json {
            assert!(
                output.contains("… personal/old (us-east-1) is waited for, then planned again"),
                "{output}"
            );
            assert!(
                output.contains("personal/old: not changed: UPDATE_COMPLETE: its new plan uninstalls the rack (ensure = \"absent\"), and --allow-uninstall was not given; nothing was sent"),
                "{output}"
            );
        }
        // The JSON stream escapes the quotes of `ensure = "absent"`: the end of the reason is the same.
        assert!(
            output.contains("--allow-uninstall was not given; nothing was sent"),
            "json {json}: {output}"
        );
        let stack = setup.fake.stack(ACCOUNT, REGION, "old");
        assert_eq!(
            stack.map(|stack| stack.status.to_string()),
            Some("UPDATE_COMPLETE".to_string()),
            "json {json}: the rack is still there: {output}"
        );
    }

    // The same run with the permission uninstalls it once it settles.
    let setup = installed_then_busy("old").await;
    declare_absent(&setup, "old");
    let mut allowed = options(&setup, 10, None);
    allowed.allow_uninstall = true;
    let (code, output) = apply(&setup, &allowed).await;
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("personal/old: uninstalled"), "{output}");
    assert!(setup.fake.stack(ACCOUNT, REGION, "old").is_none());
}

#[tokio::test(start_paused = true)]
async fn a_busy_install_that_ends_rolled_back_is_not_reinstalled_by_recover_json_with_a_generated_password()
 {
    let setup = setup(Duration::from_millis(30), &["fresh"]);
    // Someone else's install of the rack, which fails and rolls back while apply waits for it.
    setup.fake.fail_resource("fresh", "Subnet0");
    setup
        .fake
        .cloud_for(ACCOUNT, REGION)
        .create_stack(&CreateStackRequest {
            name: "fresh".into(),
            template: TemplateSource::Url(TEMPLATE_URL.into()),
            parameters: BTreeMap::from([
                ("Version".to_string(), "20161102160040".to_string()),
                ("Password".to_string(), "someone-elses".to_string()),
            ]),
            tags: BTreeMap::from([
                ("System".to_string(), "convox".to_string()),
                ("Type".to_string(), "rack".to_string()),
            ]),
            termination_protection: false,
            timeout_minutes: None,
            role_arn: None,
            options: Default::default(),
            token: "behind-rackfiles-back".into(),
        })
        .await
        .unwrap();
    let mut recover_json = options(&setup, 10, None);
    recover_json.recover = true;
    recover_json.json = true;
    let (code, output) = apply(&setup, &recover_json).await;
    assert_eq!(code, 1, "{output}");
    assert!(
        output.contains("generated API password, which apply --json never prints"),
        "{output}"
    );
    assert_eq!(
        setup.fake.creates().len(),
        1,
        "only the other install: not reinstalled: {output}"
    );
    assert_eq!(
        setup
            .fake
            .stack(ACCOUNT, REGION, "fresh")
            .map(|stack| stack.status.to_string()),
        Some("ROLLBACK_COMPLETE".to_string())
    );
}
