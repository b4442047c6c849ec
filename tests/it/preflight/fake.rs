//! The plan's preflight checks against the strict in-memory fake: deprecated Lambda runtimes on install and
//! on update, a read refused (AccessDenied) as a note naming it, never a pass, and what the checks cost in
//! calls: none for unchanged racks, one read per (account, region, type) for racks that change their type.

use std::time::Duration;

use rackfile::cloud::{Cloud, CreateStackRequest, TemplateSource};
use rackfile::plan::{Action, BlockedWhy, Plan, PreflightKind, Verdict};
use rackfile::render::preflight::says;
use rackfile_fake::FakeTemplate;

use crate::fake_harness::{ACCOUNT, Harness, REGION};

const PREFLIGHT_CALLS: [&str; 5] = [
    "ListImports",
    "DescribeAvailabilityZones",
    "DescribeInstanceTypeOfferings",
    "DescribeInstanceTypes",
    "GetServiceQuota",
];

/// A rack template with the fake's rack parameters, two subnets placed with `Fn::GetAZs`, a Lambda function
/// on `runtime` (none when empty) and, with `export`, an output exported as `<stack>:Cluster`.
fn template(runtime: &str, export: bool) -> String {
    let function = if runtime.is_empty() {
        String::new()
    } else {
        format!(
            r#", "Api": {{"Type": "AWS::Lambda::Function", "Properties": {{"Runtime": "{runtime}"}}}}"#
        )
    };
    let outputs = if export {
        r#", "Outputs": {"Cluster": {"Value": "x", "Export": {"Name": {"Fn::Sub": "${AWS::StackName}:Cluster"}}}}"#
    } else {
        ""
    };
    format!(
        r#"{{
  "Parameters": {{
    "Ami": {{"Type": "String", "Default": ""}},
    "Autoscale": {{"Type": "String", "Default": "No"}},
    "InstanceCount": {{"Type": "Number", "Default": "3"}},
    "InstanceType": {{"Type": "String", "Default": "t2.small"}},
    "Key": {{"Type": "String", "Default": ""}},
    "Private": {{"Type": "String", "Default": "No"}},
    "Version": {{"Type": "String"}},
    "Password": {{"Type": "String", "NoEcho": true}}
  }},
  "Resources": {{
    "Subnet0": {{"Type": "AWS::EC2::Subnet", "Properties": {{"AvailabilityZone": {{"Fn::Select": [0, {{"Fn::GetAZs": ""}}]}}}}}},
    "Subnet1": {{"Type": "AWS::EC2::Subnet", "Properties": {{"AvailabilityZone": {{"Fn::Select": [1, {{"Fn::GetAZs": ""}}]}}}}}}{function}
  }}{outputs}
}}"#
    )
}

struct Setup {
    harness: Harness,
}

impl Setup {
    fn new() -> Self {
        Setup {
            harness: Harness::new(Duration::from_millis(10)),
        }
    }

    /// racks.toml with these racks (each a `[[rack]]` body), built from rack.json.
    fn racks(&self, racks: &[String], body: &str) {
        let racks: String = racks
            .iter()
            .map(|rack| format!("\n[[rack]]\n{rack}\ntemplate = \"rack.json\"\n"))
            .collect();
        self.harness
            .declare("version = \"20161102160040\"\n", &racks);
        std::fs::write(self.harness.dir.path().join("rack.json"), body).unwrap();
    }

    /// A live rack `name` built from `body` with these instances.
    async fn live_rack(&self, name: &str, body: &str, instance_type: &str, count: &str) {
        let source = TemplateSource::Body(body.to_string());
        self.harness
            .fake
            .add_template(source.clone(), FakeTemplate::rack(&[]));
        let parameters = [
            ("InstanceType", instance_type),
            ("InstanceCount", count),
            ("Version", "20161102160040"),
            ("Password", "secret-secret"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        self.harness
            .fake
            .cloud_for(ACCOUNT, REGION)
            .create_stack(&CreateStackRequest {
                name: name.into(),
                template: source,
                parameters,
                tags: [("System", "convox"), ("Type", "rack")]
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                termination_protection: false,
                timeout_minutes: None,
                role_arn: None,
                options: Default::default(),
                token: format!("seed-{name}"),
            })
            .await
            .unwrap();
        // The fake plays the create out on tokio's clock.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    async fn plan(&self) -> Plan {
        self.harness.plan().await
    }

    /// How many preflight reads the fake has answered.
    fn preflight_calls(&self) -> usize {
        self.harness
            .fake
            .calls()
            .iter()
            .filter(|call| PREFLIGHT_CALLS.contains(&call.operation))
            .count()
    }
}

fn blocked_reason(plan: &Plan, rack: usize) -> String {
    match &plan.racks[rack].action {
        Action::Blocked(blocked) if blocked.why == BlockedWhy::Preflight => {
            rackfile::render::blocked::reason(blocked, &plan.racks[rack].preflight)
        }
        other => panic!("not blocked by preflight: {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_deprecated_runtime_blocks_an_install_with_the_dates_and_the_source() {
    let setup = Setup::new();
    setup.racks(&["name = \"web\"".into()], &template("nodejs4.3", false));
    let plan = setup.plan().await;
    let reason = blocked_reason(&plan, 0);
    assert!(
        reason.contains("function Api runs nodejs4.3")
            && reason.contains("refuses that since 2018-12-15")
            && reason.contains(
                "deprecated 2018-04-30, creates refused from 2018-12-15, updates from 2020-03-06"
            )
            && reason.contains("lambda-runtimes.html"),
        "{reason}"
    );
    assert_eq!(plan.summary.blocked, 1);
    assert_eq!(plan.summary.install, 0);
}

/// `template(runtime, false)` with the function's environment fed by InstanceCount: a count change updates it.
fn template_with_function_reading_the_count(runtime: &str) -> String {
    let runtime_property = format!(r#""Runtime": "{runtime}""#);
    template(runtime, false).replace(
        &runtime_property,
        &format!(
            r#"{runtime_property}, "Environment": {{"Variables": {{"COUNT": {{"Ref": "InstanceCount"}}}}}}"#
        ),
    )
}

#[tokio::test(start_paused = true)]
async fn a_deprecated_runtime_blocks_an_update_of_a_function_the_stack_already_has() {
    let setup = Setup::new();
    let body = template_with_function_reading_the_count("nodejs8.10");
    setup.live_rack("web", &body, "t2.small", "3").await;
    setup.racks(&["name = \"web\"\ninstance_count = 4".into()], &body);
    let plan = setup.plan().await;
    let reason = blocked_reason(&plan, 0);
    assert!(
        reason.contains("the operation updates it and AWS refuses that since 2020-03-06"),
        "{reason}"
    );
    assert_eq!(plan.summary.update, 0);
    assert_eq!(plan.summary.blocked, 1);

    // A function the update does not reach is left alone: a warning naming the date, never a block.
    let setup = Setup::new();
    let body = template("nodejs8.10", false);
    setup.live_rack("web", &body, "t2.small", "3").await;
    setup.racks(&["name = \"web\"\ninstance_count = 4".into()], &body);
    let plan = setup.plan().await;
    assert!(matches!(plan.racks[0].action, Action::Update(_)));
    let warned: Vec<String> = plan.racks[0]
        .preflight
        .iter()
        .filter(|check| check.verdict == Verdict::Warning)
        .map(|check| says(&check.finding))
        .collect();
    assert_eq!(warned.len(), 1, "{:?}", plan.racks[0].preflight);
    assert!(
        warned[0].contains(
            "which AWS stopped accepting updates to it on 2020-03-06: the operation leaves it alone"
        ),
        "{}",
        warned[0]
    );

    // A change of the stack's tags reaches every resource that takes tags: the function may be updated.
    let setup = Setup::new();
    setup.live_rack("web", &body, "t2.small", "3").await;
    setup.racks(
        &["name = \"web\"\ntags = { team = \"platform\" }".into()],
        &body,
    );
    let plan = setup.plan().await;
    let reason = blocked_reason(&plan, 0);
    assert!(
        reason.contains("the operation may update it and AWS refuses that since 2020-03-06"),
        "{reason}"
    );

    // The same template on a current runtime is updated, with nothing to say.
    let setup = Setup::new();
    let body = template_with_function_reading_the_count("nodejs22.x");
    setup.live_rack("web", &body, "t2.small", "3").await;
    setup.racks(&["name = \"web\"\ninstance_count = 4".into()], &body);
    let plan = setup.plan().await;
    assert!(matches!(plan.racks[0].action, Action::Update(_)));
    assert!(
        plan.racks[0]
            .preflight
            .iter()
            .all(|check| check.verdict == Verdict::Passed),
        "{:?}",
        plan.racks[0].preflight
    );
}

#[tokio::test(start_paused = true)]
async fn access_denied_on_each_read_is_a_note_naming_it_never_a_pass() {
    for (operation, check) in [
        ("ListImports", PreflightKind::Exports),
        (
            "DescribeAvailabilityZones",
            PreflightKind::InstanceTypeOffered,
        ),
        (
            "DescribeInstanceTypeOfferings",
            PreflightKind::InstanceTypeOffered,
        ),
        ("DescribeInstanceTypes", PreflightKind::InstanceQuota),
        ("GetServiceQuota", PreflightKind::InstanceQuota),
    ] {
        let setup = Setup::new();
        // The update removes the export and changes the type: every read is made.
        setup
            .live_rack("web", &template("", true), "t2.small", "3")
            .await;
        setup.racks(
            &["name = \"web\"\ninstance_type = \"t3.medium\"".into()],
            &template("", false),
        );
        setup.harness.fake.deny(operation);
        let plan = setup.plan().await;
        assert!(
            matches!(plan.racks[0].action, Action::Update(_)),
            "{operation}: {:?}",
            plan.racks[0].action
        );
        assert_noted_not_checked(&plan, operation, check);
    }
}

/// The plan's one rack notes `check` as not checked, naming the denied `operation`, in its data and its
/// human view.
fn assert_noted_not_checked(plan: &Plan, operation: &str, check: PreflightKind) {
    let rack = &plan.racks[0];
    let noted = rack
        .preflight
        .iter()
        .find(|found| found.check == check && found.verdict == Verdict::NotChecked)
        .unwrap_or_else(|| panic!("{operation}: no note in {:?}", rack.preflight));
    let noted = says(&noted.finding);
    assert!(
        noted.contains("AccessDenied") && noted.contains(operation),
        "{operation}: {noted}"
    );
    let human = rackfile::render::human_plan(plan, rackfile::render::Style::Plain);
    assert!(
        human.contains("    preflight: not checked: ") && human.contains(operation),
        "{operation}:\n{human}"
    );
}

/// An install reads what an update reads (no ListImports: nothing is removed); a read that fails is as loud.
#[tokio::test(start_paused = true)]
async fn access_denied_on_each_read_of_an_install_is_a_note_naming_it_never_a_pass() {
    for (operation, check) in [
        (
            "DescribeAvailabilityZones",
            PreflightKind::InstanceTypeOffered,
        ),
        (
            "DescribeInstanceTypeOfferings",
            PreflightKind::InstanceTypeOffered,
        ),
        ("DescribeInstanceTypes", PreflightKind::InstanceQuota),
        ("GetServiceQuota", PreflightKind::InstanceQuota),
    ] {
        let setup = Setup::new();
        setup.racks(
            &["name = \"web\"\ninstance_type = \"t3.medium\"".into()],
            &template("", false),
        );
        setup.harness.fake.deny(operation);
        let plan = setup.plan().await;
        assert!(
            matches!(plan.racks[0].action, Action::Install(_)),
            "{operation}: {:?}",
            plan.racks[0].action
        );
        assert_noted_not_checked(&plan, operation, check);
    }
}

#[tokio::test(start_paused = true)]
async fn a_type_missing_from_a_zone_and_a_quota_short_of_count_plus_batch_block_the_rack() {
    let setup = Setup::new();
    setup
        .live_rack("web", &template("", false), "t2.small", "3")
        .await;
    setup.racks(
        &["name = \"web\"\ninstance_type = \"m5.xlarge\"".into()],
        &template("", false),
    );
    // Subnet1 takes the region's second zone, us-east-1b.
    setup
        .harness
        .fake
        .set_offering(REGION, "m5.xlarge", &["us-east-1a", "us-east-1c"]);
    // 3 instances and a batch of 1, 4 vCPUs each: 16 vCPUs; 12 do for the instances alone.
    setup
        .harness
        .fake
        .set_ec2_quota(ACCOUNT, REGION, "L-1216C47A", 12.0);
    let plan = setup.plan().await;
    let reason = blocked_reason(&plan, 0);
    assert!(
        reason.contains("instance type m5.xlarge is not offered in us-east-1b (subnets Subnet1)"),
        "{reason}"
    );
    assert!(
        reason
            .contains("3 instances of m5.xlarge plus a rolling batch of 1 need 16 vCPUs (4 each)")
            && reason.contains("is 12 vCPUs"),
        "{reason}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_quota_counts_the_racks_planned_before_in_the_same_account_and_region() {
    let setup = Setup::new();
    // Two installs of 3 t2.medium (2 vCPUs): 6 vCPUs each, 12 together, against a quota of 10.
    setup.racks(
        &[
            "name = \"one\"\ninstance_type = \"t2.medium\"".into(),
            "name = \"two\"\ninstance_type = \"t2.medium\"".into(),
        ],
        &template("", false),
    );
    setup
        .harness
        .fake
        .set_ec2_quota(ACCOUNT, REGION, "L-1216C47A", 10.0);
    let plan = setup.plan().await;
    assert!(matches!(plan.racks[0].action, Action::Install(_)));
    let reason = blocked_reason(&plan, 1);
    assert!(
        reason.contains("racks one planned before it in this account and region ask 6"),
        "{reason}"
    );
}

#[tokio::test(start_paused = true)]
async fn unchanged_racks_cost_no_preflight_call_and_a_type_change_one_read_per_type() {
    let setup = Setup::new();
    let body = template("", true);
    let names: Vec<String> = (0..500).map(|n| format!("rack{n:03}")).collect();
    for name in &names {
        setup.live_rack(name, &body, "t2.small", "3").await;
    }
    let unchanged: Vec<String> = names
        .iter()
        .map(|name| format!("name = \"{name}\"\ninstance_type = \"t2.small\""))
        .collect();
    setup.racks(&unchanged, &body);
    let plan = setup.plan().await;
    assert_eq!(plan.summary.unchanged, 500);
    assert_eq!(
        setup.preflight_calls(),
        0,
        "{:?}",
        setup.harness.fake.calls()
    );

    // Ten racks change their type to the same one: each read once for all ten.
    let changed: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let kind = if index < 10 { "t3.medium" } else { "t2.small" };
            format!("name = \"{name}\"\ninstance_type = \"{kind}\"")
        })
        .collect();
    setup.racks(&changed, &body);
    let before = setup.harness.fake.calls().len();
    let plan = setup.plan().await;
    assert_eq!(plan.summary.update, 10);
    let calls: Vec<&str> = setup.harness.fake.calls()[before..]
        .iter()
        .map(|call| call.operation)
        .filter(|operation| PREFLIGHT_CALLS.contains(operation))
        .collect();
    let mut counted = std::collections::BTreeMap::new();
    for operation in calls {
        *counted.entry(operation).or_insert(0) += 1;
    }
    assert_eq!(
        counted,
        std::collections::BTreeMap::from([
            ("DescribeAvailabilityZones", 1),
            ("DescribeInstanceTypeOfferings", 1),
            ("DescribeInstanceTypes", 1),
            ("GetServiceQuota", 1),
        ])
    );
}

/// An update that removes an export whose importers cannot be read (ListImports denied) is no in-place
/// change: `--auto-approve=in-place` holds it, saying why. Read and found unimported, it is not held.
#[tokio::test(start_paused = true)]
async fn a_removed_export_whose_importers_cannot_be_read_holds_the_rack_from_in_place_approval() {
    for denied in [true, false] {
        let setup = Setup::new();
        setup
            .live_rack("web", &template("", true), "t2.small", "3")
            .await;
        setup.racks(&["name = \"web\"".into()], &template("", false));
        if denied {
            setup.harness.fake.deny("ListImports");
        }
        let plan = setup.plan().await;
        let rack = &plan.racks[0];
        assert!(
            matches!(rack.action, Action::Update(_)),
            "{:?}",
            rack.action
        );
        if !denied {
            assert!(!rack.is_held(), "{:?}", rack.hold);
            continue;
        }
        assert!(rack.is_held(), "denied: {:?}", rack.hold);
        let words = rackfile::render::hold_words(rack);
        assert!(
            words.contains(
                "removes export web:Cluster; whether a stack imports it could not be read"
            ) && words.contains("AccessDenied"),
            "{words}"
        );
    }
}
