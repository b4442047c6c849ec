//! Timed behaviour of `apply` against the strict in-memory fake: progress lines, a failed install that
//! rolls back, a rack already in progress, Ctrl-C, parallelism, the timeout, heartbeats.

use std::time::{Duration, Instant};

use rackfile::cli::commands::apply::{ApplyOptions, run};
use rackfile::cloud::{Cloud, ParameterValue, TemplateSource, UpdateStackRequest};
use rackfile::render::RenderError as _;
use rackfile_fake::{FakeAws, FakeTemplate};

use crate::common::{exit_and_output, stable_snapshots};
pub(crate) use crate::fake_harness::{ACCOUNT, Harness, TEMPLATE_URL, console};

const RESOURCES: [(&str, &str); 4] = [
    ("Vpc", "AWS::EC2::VPC"),
    ("GatewayAttachment", "AWS::EC2::VPCGatewayAttachment"),
    ("Subnet0", "AWS::EC2::Subnet"),
    ("Cluster", "AWS::ECS::Cluster"),
];

pub(crate) type Setup = Harness;

/// Racks `rack_names`, each built from the template at `TEMPLATE_URL`, whose resources take `resource_time`.
pub(crate) fn setup(resource_time: Duration, rack_names: &[&str]) -> Setup {
    let harness = Harness::with_rack_template(resource_time, &RESOURCES);
    let racks: String = rack_names
        .iter()
        .map(|name| format!("[[rack]]\nname = \"{name}\"\ntemplate_url = \"{TEMPLATE_URL}\"\n"))
        .collect();
    harness.declare("version = \"20161102160040\"", &racks);
    harness
}

pub(crate) fn options(
    setup: &Setup,
    parallelism: usize,
    timeout: Option<Duration>,
) -> ApplyOptions {
    let mut options = setup.options();
    options.parallelism = parallelism;
    options.timings.timeout = timeout.map(rackfile::apply::TimeLimit::After);
    options
}

pub(crate) async fn apply(setup: &Setup, options: &ApplyOptions) -> (i32, String) {
    setup.apply(options).await
}

#[tokio::test(start_paused = true)]
async fn apply_an_install_prints_each_event_in_convox_wording_and_a_summary() {
    let setup = setup(Duration::from_millis(20), &["example"]);
    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    assert_eq!(code, 0, "{output}");
    assert!(
        !output.contains('\r') && !output.contains('\x1b'),
        "control characters in line output"
    );
    let stack = setup.fake.stack(ACCOUNT, "us-east-1", "example").unwrap();
    assert_eq!(stack.status, "CREATE_COMPLETE");
    let password = output
        .split("store it now): ")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap();
    assert_eq!(
        stack.parameters["Password"], password,
        "the printed password is the rack's password"
    );
    assert_eq!(stack.tags["System"], "convox");
    stable_snapshots(setup.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output)));
}

#[tokio::test(start_paused = true)]
async fn apply_a_failed_install_rolls_back_names_the_root_cause_and_the_others_finish() {
    let setup = setup(Duration::from_millis(20), &["good", "bad", "fine"]);
    setup.fake.fail_resource("bad", "Subnet0");
    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    assert_eq!(code, 1, "{output}");
    assert_eq!(
        setup
            .fake
            .stack(ACCOUNT, "us-east-1", "bad")
            .unwrap()
            .status,
        "ROLLBACK_COMPLETE"
    );
    assert_eq!(
        setup
            .fake
            .stack(ACCOUNT, "us-east-1", "good")
            .unwrap()
            .status,
        "CREATE_COMPLETE"
    );
    assert_eq!(
        setup
            .fake
            .stack(ACCOUNT, "us-east-1", "fine")
            .unwrap()
            .status,
        "CREATE_COMPLETE"
    );
    stable_snapshots(setup.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output)));
}

#[tokio::test(start_paused = true)]
async fn apply_a_rack_already_in_progress_is_waited_for_then_planned_again() {
    let setup = setup(Duration::from_millis(30), &["busy"]);
    manage_count(&setup, "busy", 3);
    // Install it first, then start an update behind rackfile's back.
    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    assert_eq!(code, 0, "{output}");
    let cloud = setup.fake.cloud_for(ACCOUNT, "us-east-1");
    let live = setup.fake.stack(ACCOUNT, "us-east-1", "busy").unwrap();
    let mut parameters: std::collections::BTreeMap<String, ParameterValue> = live
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), ParameterValue::Value(v.clone())))
        .collect();
    parameters.insert("InstanceCount".into(), ParameterValue::Value("7".into()));
    cloud
        .update_stack(&UpdateStackRequest {
            name: "busy".into(),
            template: TemplateSource::Url(TEMPLATE_URL.into()),
            parameters,
            tags: live.tags.clone(),
            role_arn: None,
            options: Default::default(),
            token: "behind-rackfiles-back".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        setup
            .fake
            .stack(ACCOUNT, "us-east-1", "busy")
            .unwrap()
            .status,
        "UPDATE_IN_PROGRESS"
    );

    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    // Re-planned after the wait, and updated back to 3.
    stable_snapshots(setup.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
            exit: 0
            --- output
            Read account 123456789012 (org personal): us-east-1

            … personal/busy (us-east-1) is waited for, then planned again
                UPDATE_IN_PROGRESS: CloudFormation is changing the stack; apply waits for it to finish, then plans it again and applies that plan if this run allows it

            Plan: 0 to install, 0 to update, 1 to wait for, 0 unchanged, 0 blocked.

            personal/busy: waiting: UPDATE_IN_PROGRESS
            personal/busy: Updated VPC: vpc-0
            personal/busy: Updated VPC Subnet: subnet0-2
            personal/busy: Updated ECS Cluster: cluster-3
            personal/busy: UPDATE_COMPLETE
            personal/busy: updating (4 resources)
            personal/busy: UPDATE_IN_PROGRESS
            personal/busy: Updated VPC: vpc-0
            personal/busy: Updated VPC Subnet: subnet0-2
            personal/busy: Updated ECS Cluster: cluster-3
            personal/busy: UPDATE_COMPLETE
            personal/busy: updated in [time]

            Apply complete: 0 installed, 1 updated, 0 failed.
                personal/busy: updated in [time]
            "#));
    let stack = setup.fake.stack(ACCOUNT, "us-east-1", "busy").unwrap();
    assert_eq!(stack.parameters["InstanceCount"], "3");
}

#[tokio::test(start_paused = true)]
async fn apply_ctrl_c_stops_new_racks_and_names_the_ones_still_changing() {
    let setup = setup(Duration::from_millis(200), &["first", "second", "third"]);
    let (mut console, buffer) = console();
    let (sender, cancel) = tokio::sync::watch::channel(0);
    let options = options(&setup, 1, None);
    let fake = setup.fake.clone();
    let interrupt = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        sender.send(1).unwrap();
    };
    let (outcome, ()) = tokio::join!(
        async { run(&options, &fake, &mut console, cancel).await.unwrap() },
        interrupt
    );
    let output = buffer.text();
    assert_eq!(outcome, rackfile::outcome::Outcome::Interrupted, "{output}");
    stable_snapshots(setup.dir.path()).bind(|| {
        insta::assert_snapshot!(
            "apply_ctrl_c_stops_new_racks_and_names_the_ones_still_changing",
            exit_and_output(outcome.exit_code(), &output)
        )
    });
    assert_eq!(
        fake.stack(ACCOUNT, "us-east-1", "first").unwrap().status,
        "CREATE_IN_PROGRESS"
    );
    assert!(
        fake.stack(ACCOUNT, "us-east-1", "second").is_none(),
        "a new rack started after Ctrl-C"
    );
    // The interrupted install's password exists only here: it is shown, and it is the stack's.
    let marker = "Password for personal/first (its install did not finish here; if CloudFormation completes it, this is its password) (shown only this once; store it now): ";
    let password = output
        .lines()
        .find_map(|line| line.strip_prefix(marker))
        .unwrap_or_else(|| panic!("no password for the interrupted install:\n{output}"));
    assert_eq!(password.len(), 30);
    assert!(
        !output.contains("Password for personal/second"),
        "a rack never started has no password: {output}"
    );
}

#[tokio::test(start_paused = true)]
async fn apply_racks_run_concurrently_up_to_the_parallelism() {
    let names: Vec<String> = (1..=8).map(|i| format!("rack{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    // Four resources of 250 ms: each rack takes about a second.
    let setup = setup(Duration::from_millis(250), &names);
    // tokio's clock, paused: the time the fake's operations take, not the machine's.
    let started = tokio::time::Instant::now();
    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    let elapsed = started.elapsed();
    assert_eq!(code, 0, "{output}");
    stable_snapshots(setup.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output)));
    // Sequentially this is 8 s; concurrently 1 s and the last poll after it.
    assert!(
        elapsed >= Duration::from_secs(1) && elapsed < Duration::from_millis(1100),
        "8 racks took {elapsed:?}: they did not run concurrently"
    );
}

#[tokio::test(start_paused = true)]
async fn apply_parallelism_one_runs_racks_one_after_another() {
    let setup = setup(Duration::from_millis(25), &["a", "b", "c"]);
    let (code, output) = apply(&setup, &options(&setup, 1, None)).await;
    assert_eq!(code, 0, "{output}");
    // With one slot, each rack finishes before the next one starts.
    let order: Vec<&str> = output
        .lines()
        .filter(|l| {
            l.starts_with("personal/")
                && (l.ends_with(": installing (4 resources)") || l.contains(": installed in"))
        })
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "personal/a",
            "personal/a",
            "personal/b",
            "personal/b",
            "personal/c",
            "personal/c"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn apply_the_timeout_reports_the_rack_as_still_in_progress_and_exits_1() {
    let setup = setup(Duration::from_millis(500), &["slow"]);
    let (code, output) = apply(
        &setup,
        &options(&setup, 10, Some(Duration::from_millis(300))),
    )
    .await;
    stable_snapshots(setup.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
            exit: 1
            --- output
            Read account 123456789012 (org personal): us-east-1

            + personal/slow (us-east-1) will be installed
                template: https://templates.example.com/rack.json
                InstanceCount: 3 (template default)
                InstanceType: t2.small (template default)
                Private: No (template default)
                Version: 20161102160040
                Password: (sensitive, generated and printed once at install)
                tags: System=convox, Type=rack
                budget: up to 30m
                note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
                preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

            Plan: 1 to install, 0 to update, 0 unchanged, 0 blocked.
            warning: personal/slow: its generated API password will be printed below, and stdout is not a terminal (a CI log?); set `password_ssm` to keep it in SSM Parameter Store instead

            personal/slow: installing (4 resources)
            personal/slow: CREATE_IN_PROGRESS
            personal/slow: timed out after [time]; CloudFormation is still changing it (CREATE_IN_PROGRESS)

            Apply failed: 0 installed, 0 updated, 1 failed.
                personal/slow: timed out after [time]; CloudFormation is still changing it (CREATE_IN_PROGRESS)

            CloudFormation is still changing personal/slow (CREATE_IN_PROGRESS); rackfile stopped following, AWS did not stop. Watch them with `rackfile status`; a new apply waits for them.

            Password for personal/slow (its install did not finish here; if CloudFormation completes it, this is its password) (shown only this once; store it now): [password]
            "#));
}

#[tokio::test(start_paused = true)]
async fn apply_a_heartbeat_line_is_printed_while_nothing_happens() {
    let setup = setup(Duration::from_millis(300), &["quiet"]);
    let mut options = options(&setup, 10, None);
    options.timings.heartbeat = Duration::from_millis(100);
    let (code, output) = apply(&setup, &options).await;
    stable_snapshots(setup.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
            exit: 0
            --- output
            Read account 123456789012 (org personal): us-east-1

            + personal/quiet (us-east-1) will be installed
                template: https://templates.example.com/rack.json
                InstanceCount: 3 (template default)
                InstanceType: t2.small (template default)
                Private: No (template default)
                Version: 20161102160040
                Password: (sensitive, generated and printed once at install)
                tags: System=convox, Type=rack
                budget: up to 30m
                note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
                preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

            Plan: 1 to install, 0 to update, 0 unchanged, 0 blocked.
            warning: personal/quiet: its generated API password will be printed below, and stdout is not a terminal (a CI log?); set `password_ssm` to keep it in SSM Parameter Store instead

            personal/quiet: installing (4 resources)
            personal/quiet: CREATE_IN_PROGRESS
            personal/quiet: still CREATE_IN_PROGRESS ([time])
            personal/quiet: still CREATE_IN_PROGRESS ([time])
            personal/quiet: Created VPC: vpc-0
            personal/quiet: still CREATE_IN_PROGRESS ([time])
            personal/quiet: still CREATE_IN_PROGRESS ([time])
            personal/quiet: still CREATE_IN_PROGRESS ([time])
            personal/quiet: still CREATE_IN_PROGRESS ([time])
            personal/quiet: still CREATE_IN_PROGRESS ([time])
            personal/quiet: Created VPC Subnet: subnet0-2
            personal/quiet: still CREATE_IN_PROGRESS ([time])
            personal/quiet: still CREATE_IN_PROGRESS ([time])
            personal/quiet: Created ECS Cluster: cluster-3
            personal/quiet: CREATE_COMPLETE
            personal/quiet: installed in [time]

            Apply complete: 1 installed, 0 updated, 0 failed.
                personal/quiet: installed in [time]

            Password for personal/quiet (shown only this once; store it now): [password]
            Dashboard: quiet.example.elb.amazonaws.com
            "#));
}

#[tokio::test(start_paused = true)]
async fn apply_the_account_guard_stops_before_any_cloudformation_call() {
    let setup = setup(Duration::from_millis(10), &["example"]);
    let fake = FakeAws::new(Duration::from_millis(10));
    fake.add_account(None, "999999999999");
    let wrong = Setup {
        fake,
        dir: setup.dir,
    };
    let (code, output) = apply(&wrong, &options(&wrong, 10, None)).await;
    stable_snapshots(wrong.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
            exit: 1
            --- output
            error: org `personal`: the credentials belong to account 999999999999, but racks.toml says account_id = "123456789012"; nothing was read or changed
               = help: check the profile of [org.personal] or the credentials in the environment
            "#));
    let operations: Vec<&str> = wrong.fake.calls().iter().map(|c| c.operation).collect();
    assert_eq!(operations, ["GetCallerIdentity"]);
}

#[tokio::test(start_paused = true)]
async fn plan_reads_each_account_and_region_once_however_many_racks() {
    let names: Vec<String> = (1..=50).map(|i| format!("rack{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let setup = setup(Duration::from_millis(1), &names);
    let config = rackfile::config::load(&setup.dir.path().join("racks.toml")).unwrap();
    let plan = rackfile::plan::make_plan(
        &config,
        &[],
        false,
        &setup.fake,
        rackfile::plan::PlanInputs {
            env: &|_| None,
            cache: None,
            change_sets: Default::default(),
        },
    )
    .await
    .unwrap();
    assert_eq!(plan.summary.install, 50);
    let operations: Vec<&str> = setup.fake.calls().iter().map(|c| c.operation).collect();
    // The preflight reads of the 50 installs of one type: once each for all of them.
    assert_eq!(
        operations,
        [
            "GetCallerIdentity",
            "DescribeStacks",
            "GetTemplateSummary",
            "DescribeInstanceTypeOfferings",
            "DescribeInstanceTypes",
            "GetServiceQuota"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn apply_a_write_whose_answer_was_lost_is_recognised_as_ours_by_its_token() {
    let setup = setup(Duration::from_millis(10), &["alpha"]);
    setup.fake.lose_next_answer("alpha");
    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    // An install whose CreateStack answer was lost is still an install.
    stable_snapshots(setup.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
            exit: 0
            --- output
            Read account 123456789012 (org personal): us-east-1

            + personal/alpha (us-east-1) will be installed
                template: https://templates.example.com/rack.json
                InstanceCount: 3 (template default)
                InstanceType: t2.small (template default)
                Private: No (template default)
                Version: 20161102160040
                Password: (sensitive, generated and printed once at install)
                tags: System=convox, Type=rack
                budget: up to 30m
                note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
                preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

            Plan: 1 to install, 0 to update, 0 unchanged, 0 blocked.
            warning: personal/alpha: its generated API password will be printed below, and stdout is not a terminal (a CI log?); set `password_ssm` to keep it in SSM Parameter Store instead

            personal/alpha: installing (4 resources)
            personal/alpha: CREATE_IN_PROGRESS
            personal/alpha: Created VPC: vpc-0
            personal/alpha: Created VPC Subnet: subnet0-2
            personal/alpha: Created ECS Cluster: cluster-3
            personal/alpha: CREATE_COMPLETE
            personal/alpha: installed in [time]

            Apply complete: 1 installed, 0 updated, 0 failed.
                personal/alpha: installed in [time]

            Password for personal/alpha (shown only this once; store it now): [password]
            Dashboard: alpha.example.elb.amazonaws.com
            "#));

    manage_count(&setup, "alpha", 5);
    setup.fake.lose_next_answer("alpha");
    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    // An update met in progress after its own lost answer is followed, not reported unchanged.
    stable_snapshots(setup.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
            exit: 0
            --- output
            Read account 123456789012 (org personal): us-east-1

            ~ personal/alpha (us-east-1) will be updated
                InstanceCount: 3 -> 5
                impact: not analysed (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
                budget: cannot compute: the update could not be analysed: https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources
                note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                preflight: not checked: the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
                preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
                preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

            Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

            personal/alpha: updating (4 resources)
            personal/alpha: UPDATE_IN_PROGRESS
            personal/alpha: Updated VPC: vpc-0
            personal/alpha: Updated VPC Subnet: subnet0-2
            personal/alpha: Updated ECS Cluster: cluster-3
            personal/alpha: UPDATE_COMPLETE
            personal/alpha: updated in [time]

            Apply complete: 0 installed, 1 updated, 0 failed.
                personal/alpha: updated in [time]
            "#));
    let stack = setup.fake.stack(ACCOUNT, "us-east-1", "alpha").unwrap();
    assert_eq!(stack.parameters["InstanceCount"], "5");
    assert_eq!(stack.status, "UPDATE_COMPLETE");
}

/// An apply that asks for confirmation, and makes `change` to the stack while the person reads the plan.
async fn apply_with_change_at_the_prompt(
    setup: &Setup,
    change: impl FnMut() + Send + 'static,
) -> (i32, String) {
    let (mut console, buffer) = console();
    console.interactive = true;
    let mut change = change;
    console.read_answer = Box::new(move || {
        change();
        Some("yes\n".into())
    });
    let mut options = options(setup, 10, None);
    options.auto_approve = None;
    let (_sender, cancel) = tokio::sync::watch::channel(0);
    let outcome = run(&options, &setup.fake, &mut console, cancel)
        .await
        .unwrap_or_else(|error| panic!("{}", error.render()));
    (outcome.exit_code(), buffer.text())
}

/// Sets the unmanaged Ami and starts an update of `name`, as another apply or a person would.
fn change_ami_behind_rackfiles_back(fake: &FakeAws, name: &str, ami: &str) {
    let cloud = fake.cloud_for(ACCOUNT, "us-east-1");
    let live = fake.stack(ACCOUNT, "us-east-1", name).unwrap();
    let mut parameters: std::collections::BTreeMap<String, ParameterValue> = live
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), ParameterValue::Value(v.clone())))
        .collect();
    parameters.insert("Ami".into(), ParameterValue::Value(ami.into()));
    futures::executor::block_on(cloud.update_stack(&UpdateStackRequest {
        name: name.into(),
        template: TemplateSource::Url(TEMPLATE_URL.into()),
        parameters,
        tags: live.tags.clone(),
        role_arn: None,
        options: Default::default(),
        token: "someone-else".into(),
    }))
    .unwrap();
}

pub(crate) fn manage_count(setup: &Setup, name: &str, count: u32) {
    let racks_toml = setup.dir.path().join("racks.toml");
    let racks = std::fs::read_to_string(&racks_toml).unwrap();
    std::fs::write(
        &racks_toml,
        racks.replace(
            &format!("name = \"{name}\"\n"),
            &format!("name = \"{name}\"\ninstance_count = {count}\n"),
        ),
    )
    .unwrap();
}

#[tokio::test(start_paused = true)]
async fn apply_a_change_made_at_the_prompt_is_waited_for_and_never_undone() {
    // Resources of 300 ms: the other update is surely still running when rackfile reads the stack again.
    let setup = setup(Duration::from_millis(300), &["busy"]);
    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    assert_eq!(code, 0, "{output}");
    manage_count(&setup, "busy", 5);
    let fake = setup.fake.clone();
    let (code, output) = apply_with_change_at_the_prompt(&setup, move || {
        change_ami_behind_rackfiles_back(&fake, "busy", "ami-theirs")
    })
    .await;
    // The update in progress at the moment of writing is waited for.
    stable_snapshots(setup.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
            exit: 0
            --- output
            Read account 123456789012 (org personal): us-east-1

            ~ personal/busy (us-east-1) will be updated
                InstanceCount: 3 -> 5
                impact: not analysed (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
                budget: cannot compute: the update could not be analysed: https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources
                note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                preflight: not checked: the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
                preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
                preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

            Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

            Do you want to apply these changes?
              Only 'yes' will be accepted to approve.
              Enter a value: 
            personal/busy: waiting: UPDATE_IN_PROGRESS
            personal/busy: Updated VPC: vpc-0
            personal/busy: Updated VPC Subnet: subnet0-2
            personal/busy: Updated ECS Cluster: cluster-3
            personal/busy: UPDATE_COMPLETE
            personal/busy: updating (4 resources)
            personal/busy: UPDATE_IN_PROGRESS
            personal/busy: Updated VPC: vpc-0
            personal/busy: Updated VPC Subnet: subnet0-2
            personal/busy: Updated ECS Cluster: cluster-3
            personal/busy: UPDATE_COMPLETE
            personal/busy: updated in [time]

            Apply complete: 0 installed, 1 updated, 0 failed.
                personal/busy: updated in [time]
            "#));
    let stack = setup.fake.stack(ACCOUNT, "us-east-1", "busy").unwrap();
    assert_eq!(stack.parameters["InstanceCount"], "5");
    assert_eq!(
        stack.parameters["Ami"], "ami-theirs",
        "the concurrent change was reverted"
    );
}

// The real clock: a person at the prompt is a blocking thread, and a paused clock does not move while one
// runs, so neither the fake's update behind their back nor Ctrl-C's timer would happen during it.
#[tokio::test]
async fn apply_a_stack_changed_since_the_plan_is_not_written_with_stale_values() {
    let setup = setup(Duration::from_millis(1), &["changed"]);
    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    assert_eq!(code, 0, "{output}");
    manage_count(&setup, "changed", 5);
    let fake = setup.fake.clone();
    let (code, output) = apply_with_change_at_the_prompt(&setup, move || {
        change_ami_behind_rackfiles_back(&fake, "changed", "ami-theirs");
        // Long enough for the fake's update (4 resources of 1 ms) to finish before rackfile writes.
        std::thread::sleep(Duration::from_millis(50));
    })
    .await;
    stable_snapshots(setup.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
            exit: 1
            --- output
            Read account 123456789012 (org personal): us-east-1

            ~ personal/changed (us-east-1) will be updated
                InstanceCount: 3 -> 5
                impact: not analysed (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
                budget: cannot compute: the update could not be analysed: https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources
                note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                preflight: not checked: the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
                preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
                preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

            Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

            Do you want to apply these changes?
              Only 'yes' will be accepted to approve.
              Enter a value: 
            personal/changed: failed after [time]: the stack changed since the plan (its status changed from CREATE_COMPLETE to UPDATE_COMPLETE); nothing was sent. Plan again: `rackfile plan` shows the rack as it is now; the stack is UPDATE_COMPLETE

            Apply failed: 0 installed, 0 updated, 1 failed.
                personal/changed: failed after [time]: the stack changed since the plan (its status changed from CREATE_COMPLETE to UPDATE_COMPLETE); nothing was sent. Plan again: `rackfile plan` shows the rack as it is now; the stack is UPDATE_COMPLETE
            "#));
    let stack = setup.fake.stack(ACCOUNT, "us-east-1", "changed").unwrap();
    assert_eq!(stack.parameters["Ami"], "ami-theirs");
    assert_ne!(
        stack.parameters.get("InstanceCount").map(String::as_str),
        Some("5")
    );
}

// The real clock, as above: the deletion starts while a person is at the prompt.
#[tokio::test]
async fn apply_a_deletion_begun_after_the_plan_is_reported_not_waited_for() {
    let setup = setup(Duration::from_millis(1), &["deleted"]);
    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    assert_eq!(code, 0, "{output}");
    manage_count(&setup, "deleted", 5);
    let fake = setup.fake.clone();
    // A deletion the fake never finishes: waiting for it would never end.
    let (code, output) = tokio::time::timeout(
        Duration::from_secs(20),
        apply_with_change_at_the_prompt(&setup, move || {
            fake.set_status(ACCOUNT, "us-east-1", "deleted", "DELETE_IN_PROGRESS");
        }),
    )
    .await
    .expect("the apply waited for a deletion");
    assert!(!output.contains("waiting: DELETE_IN_PROGRESS"), "{output}");
    stable_snapshots(setup.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
            exit: 1
            --- output
            Read account 123456789012 (org personal): us-east-1

            ~ personal/deleted (us-east-1) will be updated
                InstanceCount: 3 -> 5
                impact: not analysed (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
                budget: cannot compute: the update could not be analysed: https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources
                note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                preflight: not checked: the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
                preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
                preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

            Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

            Do you want to apply these changes?
              Only 'yes' will be accepted to approve.
              Enter a value: 
            personal/deleted: failed after [time]: the stack changed since the plan (its status changed from CREATE_COMPLETE to DELETE_IN_PROGRESS); nothing was sent. Plan again: `rackfile plan` shows the rack as it is now; the stack is DELETE_IN_PROGRESS

            Apply failed: 0 installed, 0 updated, 1 failed.
                personal/deleted: failed after [time]: the stack changed since the plan (its status changed from CREATE_COMPLETE to DELETE_IN_PROGRESS); nothing was sent. Plan again: `rackfile plan` shows the rack as it is now; the stack is DELETE_IN_PROGRESS
            "#));
}

#[tokio::test(start_paused = true)]
async fn apply_a_stack_being_deleted_is_reported_blocked_not_waited_for() {
    let setup = setup(Duration::from_millis(1), &["going"]);
    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    assert_eq!(code, 0, "{output}");
    setup
        .fake
        .set_status(ACCOUNT, "us-east-1", "going", "DELETE_IN_PROGRESS");
    let (code, output) = apply(&setup, &options(&setup, 10, Some(Duration::from_secs(5)))).await;
    assert!(!output.contains("waiting: DELETE_IN_PROGRESS"), "{output}");
    stable_snapshots(setup.dir.path()).bind(|| {
        insta::assert_snapshot!(exit_and_output(code, &output), @r#"
            exit: 1
            --- output
            Read account 123456789012 (org personal): us-east-1

            ! personal/going (us-east-1) is blocked
                DELETE_IN_PROGRESS: the stack is being deleted; plan again once it is gone

            Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.

            Nothing to apply, but some racks are blocked (see above).
            "#)
    });
}

// The real clock: a person at the prompt is a blocking thread, and a paused clock does not move while one
// runs, so neither the fake's update behind their back nor Ctrl-C's timer would happen during it.
#[tokio::test]
async fn apply_ctrl_c_at_the_prompt_ends_the_apply_at_once() {
    let setup = setup(Duration::from_millis(1), &["waiting"]);
    let (mut console, buffer) = console();
    console.interactive = true;
    // A person who does not answer for a long while: until the test is over, or for 3 s (the test's runtime
    // waits for this thread at the end), after which an apply that waited for them fails the 2 s bound below.
    let (test_over, person) = std::sync::mpsc::channel::<()>();
    console.read_answer = Box::new(move || {
        let _ = person.recv_timeout(Duration::from_secs(3));
        Some("yes\n".into())
    });
    let mut options = options(&setup, 10, None);
    options.auto_approve = None;
    let (sender, cancel) = tokio::sync::watch::channel(0);
    let started = Instant::now();
    let interrupt = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        sender.send(1).unwrap();
    };
    let (result, ()) = tokio::join!(run(&options, &setup.fake, &mut console, cancel), interrupt);
    let error = result.expect_err("the prompt was interrupted");
    let output = format!("{}{}", buffer.text(), error.render());
    stable_snapshots(setup.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(error.exit_code(), &output), @"
            exit: 130
            --- output
            Read account 123456789012 (org personal): us-east-1

            + personal/waiting (us-east-1) will be installed
                template: https://templates.example.com/rack.json
                InstanceCount: 3 (template default)
                InstanceType: t2.small (template default)
                Private: No (template default)
                Version: 20161102160040
                Password: (sensitive, generated and printed once at install)
                tags: System=convox, Type=rack
                budget: up to 30m
                note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
                preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

            Plan: 1 to install, 0 to update, 0 unchanged, 0 blocked.

            Do you want to apply these changes?
              Only 'yes' will be accepted to approve.
              Enter a value: 
            error: apply interrupted at the prompt; nothing was changed
            "));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "Ctrl-C waited for an answer: {:?}",
        started.elapsed()
    );
    assert!(setup.fake.stack(ACCOUNT, "us-east-1", "waiting").is_none());
    drop(test_over);
}

const V1: &str = "20200101000000";
const V2: &str = "20210101000000";
const V3: &str = "20220101000000";

fn release_url(version: &str) -> String {
    format!("https://convox.s3.amazonaws.com/release/{version}/formation.json")
}

/// Releases V1, V2 (required) and V3, each a rack template where Convox publishes it (the fake's S3 for the
/// plan, its CloudFormation for the stack), and racks.toml with rack `web` at `version` by the default
/// template URL. V3's template has a resource of its own, `Listener`, so a test can fail only the last step.
fn releases_setup(version: &str) -> Setup {
    let fake = FakeAws::new(Duration::from_millis(10));
    fake.add_account(None, ACCOUNT);
    for release in [V1, V2, V3] {
        let mut resources = RESOURCES.to_vec();
        if release == V3 {
            resources.push(("Listener", "AWS::ElasticLoadBalancingV2::Listener"));
        }
        let template = FakeTemplate::rack(&resources);
        fake.add_s3_object(
            "convox",
            &format!("release/{release}/formation.json"),
            &template.body(),
        );
        fake.add_template(TemplateSource::Url(release_url(release)), template);
    }
    let listed: Vec<serde_json::Value> = [(V1, false), (V2, true), (V3, false)]
        .iter()
        .map(|(version, required)| {
            serde_json::json!({"version": version, "description": "", "published": true, "required": required})
        })
        .collect();
    fake.add_s3_object(
        "convox",
        "release/versions.json",
        &serde_json::to_string(&listed).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let setup = Setup { fake, dir };
    set_version(&setup, version);
    setup
}

fn set_version(setup: &Setup, version: &str) {
    std::fs::write(
        setup.dir.path().join("racks.toml"),
        format!(
            "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\n\
             [org.personal]\naccount_id = \"{ACCOUNT}\"\n\
             [[rack]]\nname = \"web\"\nversion = \"{version}\"\n"
        ),
    )
    .unwrap();
}

#[tokio::test(start_paused = true)]
async fn apply_an_upgrade_across_a_required_release_is_two_updates_one_after_the_other() {
    let setup = releases_setup(V1);
    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    assert_eq!(code, 0, "{output}");
    set_version(&setup, V3);

    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    stable_snapshots(setup.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @"
            exit: 0
            --- output
            Read account 123456789012 (org personal): us-east-1

            > personal/web (us-east-1) will be upgraded in steps
                releases: 20200101000000 > 20210101000000 (required) > 20220101000000
                step 1 of 2: to 20210101000000 (required)
                  Version: 20200101000000 -> 20210101000000
                    ↳ reaches no resource
                  template: https://convox.s3.amazonaws.com/release/20200101000000/formation.json -> https://convox.s3.amazonaws.com/release/20210101000000/formation.json
                    ↳ reaches no resource
                  impact: no resource changes
                  budget: up to 5m
                step 2 of 2: to 20220101000000
                  Version: 20210101000000 -> 20220101000000
                    ↳ reaches no resource
                  template: https://convox.s3.amazonaws.com/release/20210101000000/formation.json -> https://convox.s3.amazonaws.com/release/20220101000000/formation.json
                    ↳ adds Listener
                  impact: adds 1 resource
                  budget: up to 5m

            Plan: 0 to install, 0 to update, 1 to upgrade in steps, 0 unchanged, 0 blocked.

            personal/web: upgrading to 20210101000000 (step 1 of 2) (4 resources)
            personal/web: UPDATE_IN_PROGRESS
            personal/web: Updated VPC: vpc-0
            personal/web: Updated VPC Subnet: subnet0-2
            personal/web: Updated ECS Cluster: cluster-3
            personal/web: UPDATE_COMPLETE
            personal/web: upgrading to 20220101000000 (step 2 of 2) (5 resources)
            personal/web: UPDATE_IN_PROGRESS
            personal/web: Updated VPC: vpc-0
            personal/web: Updated VPC Subnet: subnet0-2
            personal/web: Updated ECS Cluster: cluster-3
            personal/web: Updated AWS::ElasticLoadBalancingV2::Listener: listener-4
            personal/web: UPDATE_COMPLETE
            personal/web: upgraded in 2 steps in [time]

            Apply complete: 0 installed, 1 updated, 0 failed.
                personal/web: upgraded in 2 steps in [time]

            warning: personal/web: version 20210101000000 was applied but not written to the rack's releases table, so `convox rack releases` does not list it: the rack's stack has no DynamoReleases resource

            warning: personal/web: version 20210101000000 was applied but no rack:update event was sent to the rack's notification topic, so its webhooks did not hear of it: the rack's stack has no NotificationTopic resource

            warning: personal/web: version 20220101000000 was applied but not written to the rack's releases table, so `convox rack releases` does not list it: the rack's stack has no DynamoReleases resource

            warning: personal/web: version 20220101000000 was applied but no rack:update event was sent to the rack's notification topic, so its webhooks did not hear of it: the rack's stack has no NotificationTopic resource
            "));
    let updates = setup.fake.updates();
    let sent: Vec<(Option<&str>, &TemplateSource, &str)> = updates
        .iter()
        .map(|u| (u.version.as_deref(), &u.template, u.status_before.as_str()))
        .collect();
    // In order, each through its own release's template; the second arrived when the first had completed.
    assert_eq!(
        sent,
        [
            (
                Some(V2),
                &TemplateSource::Url(release_url(V2)),
                "CREATE_COMPLETE"
            ),
            (
                Some(V3),
                &TemplateSource::Url(release_url(V3)),
                "UPDATE_COMPLETE"
            ),
        ]
    );
    let stack = setup.fake.stack(ACCOUNT, "us-east-1", "web").unwrap();
    assert_eq!(stack.parameters["Version"], V3);
}

#[tokio::test(start_paused = true)]
async fn apply_a_failed_first_step_leaves_the_second_undone_and_says_so() {
    let setup = releases_setup(V1);
    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    assert_eq!(code, 0, "{output}");
    set_version(&setup, V3);
    setup.fake.fail_resource("web", "Subnet0");

    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    assert_eq!(code, 1, "{output}");
    let versions: Vec<Option<String>> = setup
        .fake
        .updates()
        .into_iter()
        .map(|u| u.version)
        .collect();
    assert_eq!(versions, [Some(V2.to_string())], "step 2 was never sent");
    let stack = setup.fake.stack(ACCOUNT, "us-east-1", "web").unwrap();
    assert_eq!(
        (stack.status.as_str(), stack.parameters["Version"].as_str()),
        ("UPDATE_ROLLBACK_COMPLETE", V1)
    );
    stable_snapshots(setup.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
            exit: 1
            --- output
            Read account 123456789012 (org personal): us-east-1

            > personal/web (us-east-1) will be upgraded in steps
                releases: 20200101000000 > 20210101000000 (required) > 20220101000000
                step 1 of 2: to 20210101000000 (required)
                  Version: 20200101000000 -> 20210101000000
                    ↳ reaches no resource
                  template: https://convox.s3.amazonaws.com/release/20200101000000/formation.json -> https://convox.s3.amazonaws.com/release/20210101000000/formation.json
                    ↳ reaches no resource
                  impact: no resource changes
                  budget: up to 5m
                step 2 of 2: to 20220101000000
                  Version: 20210101000000 -> 20220101000000
                    ↳ reaches no resource
                  template: https://convox.s3.amazonaws.com/release/20210101000000/formation.json -> https://convox.s3.amazonaws.com/release/20220101000000/formation.json
                    ↳ adds Listener
                  impact: adds 1 resource
                  budget: up to 5m

            Plan: 0 to install, 0 to update, 1 to upgrade in steps, 0 unchanged, 0 blocked.

            personal/web: upgrading to 20210101000000 (step 1 of 2) (4 resources)
            personal/web: UPDATE_IN_PROGRESS
            personal/web: Updated VPC: vpc-0
            personal/web: Failed VPC Subnet: Resource creation cancelled: the fake was told to fail it
            personal/web: UPDATE_ROLLBACK_IN_PROGRESS: The following resource(s) failed to create: [Subnet0].
            personal/web: UPDATE_ROLLBACK_COMPLETE
            personal/web: upgrade stopped at step 1 of 2 (to 20210101000000): failed after [time]: the update failed and was rolled back; the stack is UPDATE_ROLLBACK_COMPLETE; root cause: Subnet0 (AWS::EC2::Subnet): Resource creation cancelled: the fake was told to fail it; step 2 was not started

            Apply failed: 0 installed, 0 updated, 1 failed.
                personal/web: upgrade stopped at step 1 of 2 (to 20210101000000): failed after [time]: the update failed and was rolled back; the stack is UPDATE_ROLLBACK_COMPLETE; root cause: Subnet0 (AWS::EC2::Subnet): Resource creation cancelled: the fake was told to fail it; step 2 was not started
            "#));
}

#[tokio::test(start_paused = true)]
async fn apply_after_a_failed_last_step_a_new_plan_starts_from_the_required_release() {
    let setup = releases_setup(V1);
    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    assert_eq!(code, 0, "{output}");
    set_version(&setup, V3);
    setup.fake.fail_resource("web", "Listener");

    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    assert_eq!(code, 1, "{output}");
    stable_snapshots(setup.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
            exit: 1
            --- output
            Read account 123456789012 (org personal): us-east-1

            > personal/web (us-east-1) will be upgraded in steps
                releases: 20200101000000 > 20210101000000 (required) > 20220101000000
                step 1 of 2: to 20210101000000 (required)
                  Version: 20200101000000 -> 20210101000000
                    ↳ reaches no resource
                  template: https://convox.s3.amazonaws.com/release/20200101000000/formation.json -> https://convox.s3.amazonaws.com/release/20210101000000/formation.json
                    ↳ reaches no resource
                  impact: no resource changes
                  budget: up to 5m
                step 2 of 2: to 20220101000000
                  Version: 20210101000000 -> 20220101000000
                    ↳ reaches no resource
                  template: https://convox.s3.amazonaws.com/release/20210101000000/formation.json -> https://convox.s3.amazonaws.com/release/20220101000000/formation.json
                    ↳ adds Listener
                  impact: adds 1 resource
                  budget: up to 5m

            Plan: 0 to install, 0 to update, 1 to upgrade in steps, 0 unchanged, 0 blocked.

            personal/web: upgrading to 20210101000000 (step 1 of 2) (4 resources)
            personal/web: UPDATE_IN_PROGRESS
            personal/web: Updated VPC: vpc-0
            personal/web: Updated VPC Subnet: subnet0-2
            personal/web: Updated ECS Cluster: cluster-3
            personal/web: UPDATE_COMPLETE
            personal/web: upgrading to 20220101000000 (step 2 of 2) (5 resources)
            personal/web: UPDATE_IN_PROGRESS
            personal/web: Updated VPC: vpc-0
            personal/web: Updated VPC Subnet: subnet0-2
            personal/web: Updated ECS Cluster: cluster-3
            personal/web: Failed AWS::ElasticLoadBalancingV2::Listener: Resource creation cancelled: the fake was told to fail it
            personal/web: UPDATE_ROLLBACK_IN_PROGRESS: The following resource(s) failed to create: [Listener].
            personal/web: UPDATE_ROLLBACK_COMPLETE
            personal/web: upgrade stopped at step 2 of 2 (to 20220101000000): failed after [time]: the update failed and was rolled back; the stack is UPDATE_ROLLBACK_COMPLETE; root cause: Listener (AWS::ElasticLoadBalancingV2::Listener): Resource creation cancelled: the fake was told to fail it

            Apply failed: 0 installed, 0 updated, 1 failed.
                personal/web: upgrade stopped at step 2 of 2 (to 20220101000000): failed after [time]: the update failed and was rolled back; the stack is UPDATE_ROLLBACK_COMPLETE; root cause: Listener (AWS::ElasticLoadBalancingV2::Listener): Resource creation cancelled: the fake was told to fail it

            warning: personal/web: version 20210101000000 was applied but not written to the rack's releases table, so `convox rack releases` does not list it: the rack's stack has no DynamoReleases resource

            warning: personal/web: version 20210101000000 was applied but no rack:update event was sent to the rack's notification topic, so its webhooks did not hear of it: the rack's stack has no NotificationTopic resource
            "#));
    let stack = setup.fake.stack(ACCOUNT, "us-east-1", "web").unwrap();
    assert_eq!(stack.parameters["Version"], V2, "step 1 stays done");

    // The rack is at the required release now: what is left is one plain update.
    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    // The Listener still fails.
    stable_snapshots(setup.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
            exit: 1
            --- output
            Read account 123456789012 (org personal): us-east-1

            ~ personal/web (us-east-1) will be updated
                Version: 20210101000000 -> 20220101000000
                  ↳ reaches no resource
                template: https://convox.s3.amazonaws.com/release/20210101000000/formation.json -> https://convox.s3.amazonaws.com/release/20220101000000/formation.json
                  ↳ adds Listener
                impact: adds 1 resource
                budget: up to 5m

            Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

            personal/web: updating (5 resources)
            personal/web: UPDATE_IN_PROGRESS
            personal/web: Updated VPC: vpc-0
            personal/web: Updated VPC Subnet: subnet0-2
            personal/web: Updated ECS Cluster: cluster-3
            personal/web: Failed AWS::ElasticLoadBalancingV2::Listener: Resource creation cancelled: the fake was told to fail it
            personal/web: UPDATE_ROLLBACK_IN_PROGRESS: The following resource(s) failed to create: [Listener].
            personal/web: UPDATE_ROLLBACK_COMPLETE
            personal/web: failed after [time]: the update failed and was rolled back; the stack is UPDATE_ROLLBACK_COMPLETE; root cause: Listener (AWS::ElasticLoadBalancingV2::Listener): Resource creation cancelled: the fake was told to fail it

            Apply failed: 0 installed, 0 updated, 1 failed.
                personal/web: failed after [time]: the update failed and was rolled back; the stack is UPDATE_ROLLBACK_COMPLETE; root cause: Listener (AWS::ElasticLoadBalancingV2::Listener): Resource creation cancelled: the fake was told to fail it
            "#));
}

/// `--auto-approve=in-place` holds a rack whose plan, made again after a wait, is not in place: the wait
/// does not launder a change no one approved.
#[tokio::test(start_paused = true)]
async fn apply_in_place_holds_a_rack_planned_again_after_a_wait_when_its_new_plan_needs_a_person() {
    let setup = setup(Duration::from_millis(30), &["busy"]);
    manage_count(&setup, "busy", 3);
    let (code, output) = apply(&setup, &options(&setup, 10, None)).await;
    assert_eq!(code, 0, "{output}");
    let cloud = setup.fake.cloud_for(ACCOUNT, "us-east-1");
    let live = setup.fake.stack(ACCOUNT, "us-east-1", "busy").unwrap();
    let mut parameters: std::collections::BTreeMap<String, ParameterValue> = live
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), ParameterValue::Value(v.clone())))
        .collect();
    parameters.insert("InstanceCount".into(), ParameterValue::Value("7".into()));
    cloud
        .update_stack(&UpdateStackRequest {
            name: "busy".into(),
            template: TemplateSource::Url(TEMPLATE_URL.into()),
            parameters,
            tags: live.tags.clone(),
            role_arn: None,
            options: Default::default(),
            token: "behind-rackfiles-back".into(),
        })
        .await
        .unwrap();

    let mut in_place = options(&setup, 10, None);
    in_place.auto_approve = Some(rackfile::cli::options::Approval::InPlace);
    let (code, output) = apply(&setup, &in_place).await;
    // The template is read through GetTemplateSummary: what the update does to resources is unknown.
    stable_snapshots(setup.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @r#"
            exit: 3
            --- output
            Read account 123456789012 (org personal): us-east-1

            … personal/busy (us-east-1) is waited for, then planned again
                UPDATE_IN_PROGRESS: CloudFormation is changing the stack; apply waits for it to finish, then plans it again and applies that plan if this run allows it

            Plan: 0 to install, 0 to update, 1 to wait for, 0 unchanged, 0 blocked.

            personal/busy: waiting: UPDATE_IN_PROGRESS
            personal/busy: Updated VPC: vpc-0
            personal/busy: Updated VPC Subnet: subnet0-2
            personal/busy: Updated ECS Cluster: cluster-3
            personal/busy: UPDATE_COMPLETE
            personal/busy: held for a person, nothing sent: what it does to the rack's resources is unknown (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources

            Apply complete: 0 installed, 0 updated, 0 failed, 1 held for a person.
                personal/busy: held for a person, nothing sent: what it does to the rack's resources is unknown (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources

            Held for a person by --auto-approve=in-place (their changes are not all in place): personal/busy. Review their plan, then apply them with `rackfile apply --target personal/busy`, which asks for confirmation.
            "#));
    let after = setup.fake.stack(ACCOUNT, "us-east-1", "busy").unwrap();
    assert_eq!(after.parameters["InstanceCount"], "7", "nothing was sent");
}
