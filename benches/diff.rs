//! The pure planner, `plan::diff`, over 10, 1,000 and 10,000 racks in 5 regions: every tenth rack has a
//! changed instance count, the rest are unchanged. No I/O: this is the planner's own cost.
//!
//!     cargo bench --bench diff

use std::collections::BTreeMap;
use std::path::Path;

use rackfile::cloud::{RegionKey, Stack, TemplateParameter, TemplateSource, TemplateSummary};
use rackfile::config::{self, Config};
use rackfile::convox::Releases;
use rackfile::live::{LiveState, LiveStateBuilder};

const ACCOUNT: &str = "123456789012";
const URL: &str = "https://convox.s3.amazonaws.com/release/20161102160040/formation.json";
const REGIONS: [&str; 5] = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-2",
];

fn main() {
    divan::main();
}

fn world(racks: usize) -> (Config, LiveState) {
    let mut text = String::from(
        "[defaults]\norg = \"bench\"\nversion = \"20161102160040\"\n[org.bench]\naccount_id = \"123456789012\"\n",
    );
    for i in 0..racks {
        text.push_str(&format!(
            "[[rack]]\nname = \"rack-{i}\"\nregion = \"{}\"\ninstance_count = 3\n[rack.parameters]\nAutoscale = \"No\"\n[rack.tags]\nteam = \"t{}\"\n",
            REGIONS[i % REGIONS.len()],
            i % 7
        ));
    }
    let config = config::parse(Path::new("racks.toml"), text, String::new()).unwrap();

    let mut parameters: BTreeMap<String, TemplateParameter> = BTreeMap::new();
    for name in [
        "Ami",
        "Autoscale",
        "InstanceCount",
        "InstanceType",
        "Key",
        "Private",
        "Version",
    ] {
        parameters.insert(name.into(), TemplateParameter::default());
    }
    parameters.insert(
        "Password".into(),
        TemplateParameter {
            kind: "String".into(),
            no_echo: true,
            ..TemplateParameter::default()
        },
    );
    let mut live = LiveStateBuilder::default();
    live.record_account("bench", ACCOUNT);
    live.record_releases(Some(
        Releases::parse(
            r#"[{"version": "20161102160040", "description": "", "published": true, "required": false}]"#,
        )
        .unwrap(),
    ));
    live.record_template(
        ACCOUNT,
        TemplateSource::Url(URL.into()),
        Ok(TemplateSummary {
            parameters,
            resource_count: 72,
            declarations: Default::default(),
        }),
    );
    for (i, rack) in config.racks.iter().enumerate() {
        let mut stack_parameters = rack.managed_parameters();
        stack_parameters.insert("Ami".into(), String::new());
        stack_parameters.insert("Key".into(), String::new());
        stack_parameters.insert("Password".into(), "****".into());
        if i % 10 == 0 {
            stack_parameters.insert("InstanceCount".into(), "2".into());
        }
        live.record_stacks(
            RegionKey::new(ACCOUNT, &rack.region),
            [Stack {
                stack_id: format!(
                    "arn:aws:cloudformation:{}:{ACCOUNT}:stack/{}/1",
                    rack.region, rack.name
                ),
                name: rack.name.clone(),
                status: "UPDATE_COMPLETE".into(),
                status_reason: None,
                last_updated: "2026-11-27T12:00:00Z".into(),
                parameters: stack_parameters,
                tags: rack.managed_tags(),
                outputs: BTreeMap::new(),
                termination_protection: false,
                parent_id: None,
                resolved: BTreeMap::new(),
                role_arn: None,
                notification_arns: Vec::new(),
                rollback: None,
            }],
        );
    }
    let live = live.build(&config.racks);
    (config, live)
}

#[divan::bench(args = [10, 1_000, 10_000], sample_count = 20)]
fn diff(bencher: divan::Bencher, racks: usize) {
    let (config, live) = world(racks);
    bencher.bench(|| {
        let plan = rackfile::plan::diff(&config, &live, false).unwrap();
        assert_eq!(plan.summary.update, racks.div_ceil(10));
        plan
    });
}
