//! The plan's preflight checks against the strict in-memory fake: deprecated Lambda runtimes on install and
//! on update, a read refused (AccessDenied) as a note naming it, never a pass, and what the checks cost in
//! calls: none for unchanged racks, one read per (account, region, type) for racks that change their type.

use std::time::Duration;

use rackfile::cloud::{Cloud, CreateStackRequest, TemplateSource};
use rackfile::plan::{Action, BlockedWhy, Plan, PreflightKind, Verdict};
use rackfile::render::{Style, human_plan};
use rackfile_fake::FakeTemplate;

use crate::common::{snapshot_settings, stable_snapshots};
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

    /// The plan as `rackfile plan` prints it.
    fn shown(plan: &Plan) -> String {
        human_plan(plan, Style::Plain)
    }

    /// `shown` with this setup's directory as `[dir]`, for a snapshot of several setups' plans.
    fn shown_in_one_of_many(&self, plan: &Plan) -> String {
        let dir = self.harness.dir.path().display().to_string();
        Setup::shown(plan).replace(&dir, "[dir]")
    }

    fn snapshots(&self) -> insta::Settings {
        stable_snapshots(self.harness.dir.path())
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

fn assert_blocked_by_preflight(plan: &Plan, rack: usize) {
    match &plan.racks[rack].action {
        Action::Blocked(blocked) if blocked.why == BlockedWhy::Preflight => {}
        other => panic!("not blocked by preflight: {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn plan_a_deprecated_runtime_blocks_an_install_with_the_dates_and_the_source() {
    let setup = Setup::new();
    setup.racks(&["name = \"web\"".into()], &template("nodejs4.3", false));
    let plan = setup.plan().await;
    assert_blocked_by_preflight(&plan, 0);
    assert_eq!(plan.summary.blocked, 1);
    assert_eq!(plan.summary.install, 0);
    setup
        .snapshots()
        .bind(|| insta::assert_snapshot!(Setup::shown(&plan), @"
            Read account 123456789012 (org personal): us-east-1

            ! personal/web (us-east-1) is blocked
                not installed: preflight: function Api runs nodejs4.3 (Node.js 4.3), which AWS no longer accepts: the operation creates it and AWS refuses that since 2018-12-15 (deprecated 2018-04-30, creates refused from 2018-12-15, updates from 2020-03-06) (read: the runtime table (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html, read 2026-12-04))

            Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.
            "));
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
async fn plan_a_deprecated_runtime_blocks_an_update_of_a_function_the_stack_already_has() {
    let setup = Setup::new();
    let body = template_with_function_reading_the_count("nodejs8.10");
    setup.live_rack("web", &body, "t2.small", "3").await;
    setup.racks(&["name = \"web\"\ninstance_count = 4".into()], &body);
    let plan = setup.plan().await;
    assert_blocked_by_preflight(&plan, 0);
    assert_eq!(plan.summary.update, 0);
    assert_eq!(plan.summary.blocked, 1);
    setup
        .snapshots()
        .bind(|| insta::assert_snapshot!(Setup::shown(&plan), @"
            Read account 123456789012 (org personal): us-east-1

            ! personal/web (us-east-1) is blocked
                CREATE_COMPLETE: preflight: function Api runs nodejs8.10 (Node.js 8.10), which AWS no longer accepts: the operation updates it and AWS refuses that since 2020-03-06 (deprecated 2019-12-31, creates refused from 2020-01-06, updates from 2020-03-06) (read: the runtime table (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html, read 2026-12-04))

            Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.
            "));

    // A function the update does not reach is left alone: a warning naming the date, never a block.
    let setup = Setup::new();
    let body = template("nodejs8.10", false);
    setup.live_rack("web", &body, "t2.small", "3").await;
    setup.racks(&["name = \"web\"\ninstance_count = 4".into()], &body);
    let plan = setup.plan().await;
    assert!(matches!(plan.racks[0].action, Action::Update(_)));
    let warned = plan.racks[0]
        .preflight
        .iter()
        .filter(|check| check.verdict == Verdict::Warning)
        .count();
    assert_eq!(warned, 1, "{:?}", plan.racks[0].preflight);
    setup
        .snapshots()
        .bind(|| insta::assert_snapshot!(Setup::shown(&plan), @"
            Read account 123456789012 (org personal): us-east-1

            ~ personal/web (us-east-1) will be updated
                InstanceCount: 3 -> 4
                  ↳ reaches no resource
                impact: no resource changes
                budget: up to 5m
                preflight: warning: function Api runs nodejs8.10 (Node.js 8.10), which AWS stopped accepting updates to it on 2020-03-06: the operation leaves it alone, but any later change to it will need a supported runtime (deprecated 2019-12-31, creates refused from 2020-01-06, updates from 2020-03-06) (read: the runtime table (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html, read 2026-12-04))

            Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
            "));

    // A change of the stack's tags reaches every resource that takes tags: the function may be updated.
    let setup = Setup::new();
    setup.live_rack("web", &body, "t2.small", "3").await;
    setup.racks(
        &["name = \"web\"\ntags = { team = \"platform\" }".into()],
        &body,
    );
    let plan = setup.plan().await;
    assert_blocked_by_preflight(&plan, 0);
    setup
        .snapshots()
        .bind(|| insta::assert_snapshot!(Setup::shown(&plan), @"
            Read account 123456789012 (org personal): us-east-1

            ! personal/web (us-east-1) is blocked
                CREATE_COMPLETE: preflight: function Api runs nodejs8.10 (Node.js 8.10), which AWS no longer accepts: the operation may update it and AWS refuses that since 2020-03-06 (deprecated 2019-12-31, creates refused from 2020-01-06, updates from 2020-03-06) (read: the runtime table (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html, read 2026-12-04))

            Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.
            "));

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
    setup.snapshots().bind(|| {
        insta::assert_snapshot!(Setup::shown(&plan), @"
            Read account 123456789012 (org personal): us-east-1

            ~ personal/web (us-east-1) will be updated
                InstanceCount: 3 -> 4
                  ↳ modifies Api in place
                impact: modifies 1 resource in place
                budget: up to 5m

            Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.
            ")
    });
}

#[tokio::test(start_paused = true)]
async fn plan_access_denied_on_each_read_of_an_update_is_a_note_naming_it_never_a_pass() {
    let mut shown = String::new();
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
        shown.push_str(&format!(
            "--- {operation} denied\n{}",
            setup.shown_in_one_of_many(&plan)
        ));
    }
    snapshot_settings()
        .bind(|| insta::assert_snapshot!("plan_access_denied_on_each_read_of_an_update", shown));
}

/// The plan's one rack notes `check` as not checked (its words, naming the denied operation, are in the
/// snapshot of the plan).
fn assert_noted_not_checked(plan: &Plan, operation: &str, check: PreflightKind) {
    let rack = &plan.racks[0];
    assert!(
        rack.preflight
            .iter()
            .any(|found| found.check == check && found.verdict == Verdict::NotChecked),
        "{operation}: no note in {:?}",
        rack.preflight
    );
}

/// An install reads what an update reads (no ListImports: nothing is removed); a read that fails is as loud.
#[tokio::test(start_paused = true)]
async fn plan_access_denied_on_each_read_of_an_install_is_a_note_naming_it_never_a_pass() {
    let mut shown = String::new();
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
        shown.push_str(&format!(
            "--- {operation} denied\n{}",
            setup.shown_in_one_of_many(&plan)
        ));
    }
    snapshot_settings()
        .bind(|| insta::assert_snapshot!("plan_access_denied_on_each_read_of_an_install", shown));
}

#[tokio::test(start_paused = true)]
async fn plan_a_type_missing_from_a_zone_and_a_quota_short_of_count_plus_batch_block_the_rack() {
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
    assert_blocked_by_preflight(&plan, 0);
    setup
        .snapshots()
        .bind(|| insta::assert_snapshot!(Setup::shown(&plan), @"
            Read account 123456789012 (org personal): us-east-1

            ! personal/web (us-east-1) is blocked
                CREATE_COMPLETE: preflight: instance type m5.xlarge is not offered in us-east-1b (subnets Subnet1); zones of us-east-1 offering it: us-east-1a, us-east-1c (read: DescribeInstanceTypeOfferings m5.xlarge in us-east-1, DescribeAvailabilityZones us-east-1)
                  preflight: 3 instances of m5.xlarge plus a rolling batch of 1 need 16 vCPUs (4 each); quota L-1216C47A (Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances) is 12 vCPUs (read: DescribeInstanceTypes m5.xlarge, GetServiceQuota ec2 L-1216C47A in us-east-1)

            Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.
            "));
}

#[tokio::test(start_paused = true)]
async fn plan_the_quota_counts_the_racks_planned_before_in_the_same_account_and_region() {
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
    assert_blocked_by_preflight(&plan, 1);
    setup
        .snapshots()
        .bind(|| insta::assert_snapshot!(Setup::shown(&plan), @"
            Read account 123456789012 (org personal): us-east-1

            + personal/one (us-east-1) will be installed
                template: [dir]/rack.json
                InstanceCount: 3 (template default)
                InstanceType: t2.medium
                Private: No (template default)
                Version: 20161102160040
                Password: (sensitive, generated and printed once at install)
                tags: System=convox, Type=rack
                budget: up to 30m

            ! personal/two (us-east-1) is blocked
                not installed: preflight: 3 instances of t2.medium need 6 vCPUs (2 each), and rack one planned before it in this account and region ask 6; quota L-1216C47A (Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances) is 10 vCPUs (read: DescribeInstanceTypes t2.medium, GetServiceQuota ec2 L-1216C47A in us-east-1)

            Plan: 1 to install, 0 to update, 0 unchanged, 1 blocked.
            "));
}

#[tokio::test(start_paused = true)]
async fn plan_unchanged_racks_cost_no_preflight_call_and_a_type_change_one_read_per_type() {
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
async fn plan_a_removed_export_whose_importers_cannot_be_read_is_held_from_in_place_approval() {
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
        insta::assert_snapshot!(words, @"the update removes export web:Cluster; whether a stack imports it could not be read: AccessDenied: not authorized to perform ListImports");
    }
}
