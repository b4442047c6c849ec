//! Rollouts in waves against the strict fake on tokio's paused clock (a 30-minute bake takes no real time):
//! a failed canary stops the later waves, the failure tolerance, an alarm in ALARM during a bake, `--wave`,
//! Ctrl-C during a bake, an upgrade through a required release wave by wave, the next apply after a stop,
//! and what a rollout of 50 racks costs in calls and time.

use std::time::Duration;

use rackfile::apply::Timings;
use rackfile::cli::commands::apply::ApplyOptions;
use rackfile::cloud::{AlarmState, TemplateSource};
use rackfile::outcome::Outcome;
use rackfile::render::RenderError as _;
use rackfile_fake::FakeTemplate;
use tokio::time::Instant;

use crate::common::{exit_and_output, stable_snapshots, timed_snapshots};
use crate::fake_harness::{ACCOUNT, Harness, RACK_RESOURCES, REGION, TEMPLATE_URL, console};

/// Each resource takes this long, so an update of a rack takes 3 minutes.
const RESOURCE_TIME: Duration = Duration::from_secs(60);

struct Fleet {
    harness: Harness,
    names: Vec<String>,
}

impl Fleet {
    /// `names` installed at InstanceCount 3 with an alarm each (`rack-NAME-5xx`, OK), racks.toml then
    /// without a rollout.
    async fn installed(names: &[&str]) -> Fleet {
        let harness = Harness::with_rack_template(RESOURCE_TIME, &RACK_RESOURCES);
        for name in names {
            harness
                .fake
                .add_alarm(ACCOUNT, REGION, &format!("rack-{name}-5xx"), AlarmState::Ok);
        }
        let fleet = Fleet {
            harness,
            names: names.iter().map(|n| n.to_string()).collect(),
        };
        fleet.declare(3, "");
        let (outcome, output) = fleet.apply(None).await;
        assert_eq!(outcome, Outcome::Success, "{output}");
        fleet
    }

    /// racks.toml: every rack at `count` instances, and `rollout` (a `[rollout]` table, or nothing).
    fn declare(&self, count: u32, rollout: &str) {
        let racks: String = self
            .names
            .iter()
            .map(|name| format!("[[rack]]\nname = \"{name}\"\ntemplate_url = \"{TEMPLATE_URL}\"\n"))
            .collect();
        self.harness.declare(
            &format!("version = \"1\"\ninstance_count = {count}"),
            &format!("{rollout}\n{racks}"),
        );
    }

    /// The binary's own polling (2 s, backing off to 10 s), on the paused clock.
    fn options(&self, wave: Option<usize>) -> ApplyOptions {
        let mut options = self.harness.options();
        options.wave = wave;
        options.timings = Timings {
            heartbeat: Duration::from_secs(3600),
            ..Timings::default()
        };
        options
    }

    async fn apply(&self, wave: Option<usize>) -> (Outcome, String) {
        let (_sender, cancel) = tokio::sync::watch::channel(0u8);
        self.apply_with(wave, cancel).await
    }

    async fn apply_with(
        &self,
        wave: Option<usize>,
        cancel: tokio::sync::watch::Receiver<u8>,
    ) -> (Outcome, String) {
        match self
            .harness
            .run(&self.options(wave), console(), cancel)
            .await
        {
            (Ok(outcome), text) => (outcome, text),
            (Err(error), text) => panic!("{}{}", text, error.render()),
        }
    }

    fn count_of(&self, name: &str) -> String {
        self.harness
            .fake
            .stack(ACCOUNT, REGION, name)
            .unwrap()
            .parameters["InstanceCount"]
            .clone()
    }

    /// The racks whose UpdateStack the fake received, in order.
    fn updated(&self) -> Vec<String> {
        self.harness
            .fake
            .updates()
            .into_iter()
            .map(|u| u.stack)
            .collect()
    }
}

const CANARY_FIRST: &str = "[rollout]\nwaves = [[\"personal/canary\"], [\"*\"]]\nbake = \"30m\"\nalarms = [\"rack-{name}-5xx\"]\n";

#[tokio::test(start_paused = true)]
async fn apply_a_failed_canary_stops_the_later_waves_and_exits_1() {
    let fleet = Fleet::installed(&["canary", "web-1", "web-2"]).await;
    fleet.declare(4, CANARY_FIRST);
    fleet.harness.fake.fail_resource("canary", "Subnet0");
    let (outcome, output) = fleet.apply(None).await;
    assert_eq!(outcome, Outcome::Failed, "{output}");
    assert_eq!(fleet.updated(), ["canary"], "{output}");
    assert_eq!(fleet.count_of("web-1"), "3");
    assert!(
        !output.contains("Wave 1: baking"),
        "a failed wave is not baked: {output}"
    );
    stable_snapshots(fleet.harness.dir.path()).bind(|| {
        insta::assert_snapshot!(
            "apply_a_failed_canary_stops_the_later_waves_and_exits_1",
            exit_and_output(outcome.exit_code(), &output)
        )
    });
}

#[tokio::test(start_paused = true)]
async fn apply_failure_tolerance_one_of_four_goes_on_and_two_of_four_stops() {
    let names = ["w-1", "w-2", "w-3", "w-4", "last"];
    let rollout =
        "[rollout]\nwaves = [[\"personal/w-*\"], [\"personal/last\"]]\nfailure_tolerance = 1\n";
    for (failing, goes_on) in [(&["w-2"][..], true), (&["w-2", "w-4"][..], false)] {
        let fleet = Fleet::installed(&names).await;
        fleet.declare(4, rollout);
        for name in failing {
            fleet.harness.fake.fail_resource(name, "Cluster");
        }
        let (outcome, output) = fleet.apply(None).await;
        assert_eq!(
            outcome,
            Outcome::Failed,
            "a failed rack fails the run: {output}"
        );
        let last = fleet.count_of("last");
        let settings = stable_snapshots(fleet.harness.dir.path());
        let output = exit_and_output(outcome.exit_code(), &output);
        if goes_on {
            assert_eq!(last, "4", "1 failure of 4 is tolerated: {output}");
            settings.bind(|| {
                insta::assert_snapshot!(
                    "apply_failure_tolerance_one_failure_of_four_goes_on",
                    output
                )
            });
        } else {
            assert_eq!(last, "3", "2 failures of 4 stop the rollout: {output}");
            settings.bind(|| {
                insta::assert_snapshot!("apply_failure_tolerance_two_failures_of_four_stop", output)
            });
        }
    }
}

#[tokio::test(start_paused = true)]
async fn apply_an_alarm_in_alarm_during_the_bake_stops_the_next_wave_and_the_next_apply_resumes() {
    let fleet = Fleet::installed(&["canary", "web-1", "web-2"]).await;
    fleet.declare(4, CANARY_FIRST);
    // The canary's wave takes 3 minutes; its alarm fires 10 minutes into the bake.
    fleet.harness.fake.set_alarm_state_after(
        ACCOUNT,
        REGION,
        "rack-canary-5xx",
        AlarmState::Alarm,
        Duration::from_secs(13 * 60),
    );
    let started = Instant::now();
    let (outcome, output) = fleet.apply(None).await;
    assert_eq!(outcome, Outcome::Failed, "{output}");
    assert_eq!(fleet.count_of("canary"), "4");
    assert_eq!(fleet.count_of("web-1"), "3", "{output}");
    stable_snapshots(fleet.harness.dir.path()).bind(|| {
        insta::assert_snapshot!(
            "apply_an_alarm_in_alarm_during_the_bake_stops_the_next_wave",
            exit_and_output(outcome.exit_code(), &output)
        )
    });
    // Stopped at the first poll that saw it, not at the end of the bake.
    assert!(
        started.elapsed() < Duration::from_secs(16 * 60),
        "{:?}",
        started.elapsed()
    );

    // Nothing special to resume: the canary is converged, so its wave is skipped.
    fleet.harness.fake.set_alarm_state_after(
        ACCOUNT,
        REGION,
        "rack-canary-5xx",
        AlarmState::Ok,
        Duration::ZERO,
    );
    let (outcome, output) = fleet.apply(None).await;
    assert_eq!(outcome, Outcome::Success, "{output}");
    assert_eq!(fleet.updated(), ["canary", "web-1", "web-2"]);
    stable_snapshots(fleet.harness.dir.path()).bind(|| {
        insta::assert_snapshot!(
            "apply_after_an_alarm_stopped_the_rollout_the_next_apply_resumes",
            exit_and_output(outcome.exit_code(), &output)
        )
    });
}

#[tokio::test(start_paused = true)]
async fn apply_wave_2_alone_touches_only_wave_2_and_bakes_it() {
    let fleet = Fleet::installed(&["canary", "staging-1", "staging-2", "prod"]).await;
    fleet.declare(
        4,
        "[rollout]\nwaves = [[\"personal/canary\"], [\"*/staging*\"], [\"*\"]]\nbake = \"5m\"\nalarms = [\"rack-{name}-5xx\"]\n",
    );
    // Wave 2 waits for wave 1: the canary first (and its bake, which `--wave 1` serves).
    let (outcome, output) = fleet.apply(Some(1)).await;
    assert_eq!(outcome, Outcome::Success, "{output}");
    assert_eq!(fleet.updated(), ["canary"]);
    let started = Instant::now();
    let (outcome, output) = fleet.apply(Some(2)).await;
    assert_eq!(outcome, Outcome::Success, "{output}");
    let mut updated = fleet.updated();
    updated.sort();
    assert_eq!(updated, ["canary", "staging-1", "staging-2"]);
    stable_snapshots(fleet.harness.dir.path()).bind(|| {
        insta::assert_snapshot!(
            "apply_wave_2_alone_touches_only_wave_2_and_bakes_it",
            exit_and_output(outcome.exit_code(), &output)
        )
    });
    assert_eq!(
        started.elapsed().as_secs() / 60,
        3 + 5,
        "the wave, then its bake"
    );
}

#[tokio::test(start_paused = true)]
async fn apply_ctrl_c_during_a_bake_exits_130_and_starts_nothing_more() {
    let fleet = Fleet::installed(&["canary", "web-1"]).await;
    fleet.declare(4, CANARY_FIRST);
    let (sender, cancel) = tokio::sync::watch::channel(0u8);
    let interrupt = async {
        tokio::time::sleep(Duration::from_secs(10 * 60)).await;
        sender.send(1).unwrap();
    };
    let started = Instant::now();
    let ((outcome, output), ()) = tokio::join!(fleet.apply_with(None, cancel), interrupt);
    assert_eq!(outcome, Outcome::Interrupted, "{output}");
    assert_eq!(fleet.updated(), ["canary"], "{output}");
    stable_snapshots(fleet.harness.dir.path()).bind(|| {
        insta::assert_snapshot!(
            "apply_ctrl_c_during_a_bake_exits_130_and_starts_nothing_more",
            exit_and_output(outcome.exit_code(), &output)
        )
    });
    assert!(
        started.elapsed() < Duration::from_secs(11 * 60),
        "Ctrl-C ends the bake at once: {:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn apply_a_rollout_of_50_racks_in_3_waves_costs_one_describe_alarms_per_bake_poll() {
    let mut names = vec!["canary".to_string()];
    names.extend((1..=9).map(|i| format!("staging-{i}")));
    names.extend((1..=40).map(|i| format!("prod-{i}")));
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let fleet = Fleet::installed(&refs).await;
    fleet.declare(
        4,
        "[rollout]\nwaves = [[\"personal/canary\"], [\"*/staging*\"], [\"*\"]]\nmax_concurrent = 10\nbake = \"30m\"\nalarms = [\"rack-{name}-5xx\"]\n",
    );
    let before = fleet.harness.fake.calls().len();
    let started = Instant::now();
    let (outcome, output) = fleet.apply(None).await;
    let took = started.elapsed();
    assert_eq!(outcome, Outcome::Success, "{output}");
    let calls = &fleet.harness.fake.calls()[before..];
    let count = |operation: &str| calls.iter().filter(|c| c.operation == operation).count();
    // Waves: 1 rack (3m), 9 racks at 10 at once (3m), 40 racks at 10 at once (4 x 3m); bakes after waves
    // 1 and 2 (30m each), none after the last.
    let waves_and_bakes = Duration::from_secs((3 + 3 + 12 + 30 + 30) * 60);
    eprintln!(
        "50 racks in 3 waves: {} calls in all ({} DescribeStacks, {} DescribeStackEvents, {} UpdateStack, {} DescribeAlarms); virtual time {:?}, waves and bakes {:?}",
        calls.len(),
        count("DescribeStacks"),
        count("DescribeStackEvents"),
        count("UpdateStack"),
        count("DescribeAlarms"),
        took,
        waves_and_bakes
    );
    assert_eq!(count("UpdateStack"), 50);
    // Following a rack costs what it costs in one wave: the same change to the same fleet without waves.
    let one_wave = Fleet::installed(&refs).await;
    one_wave.declare(4, "");
    let before = one_wave.harness.fake.calls().len();
    let (outcome, output) = one_wave.apply(None).await;
    assert_eq!(outcome, Outcome::Success, "{output}");
    let unwaved = &one_wave.harness.fake.calls()[before..];
    let count_unwaved =
        |operation: &str| unwaved.iter().filter(|c| c.operation == operation).count();
    eprintln!(
        "the same 50 racks in one wave: {} calls ({} DescribeStacks, {} DescribeStackEvents)",
        unwaved.len(),
        count_unwaved("DescribeStacks"),
        count_unwaved("DescribeStackEvents")
    );
    assert_eq!(count("DescribeStacks"), count_unwaved("DescribeStacks"));
    assert_eq!(
        count("DescribeStackEvents"),
        count_unwaved("DescribeStackEvents")
    );
    // The plan's read, then each bake: a read a minute, at its start and its end (31 each), and each later
    // wave's gate: the earlier waves' alarms read once more just before it starts (one region: one call).
    assert_eq!(count("DescribeAlarms"), 1 + 2 * 31 + 2);
    assert!(took >= waves_and_bakes, "{took:?}");
    assert!(
        took <= waves_and_bakes + Duration::from_secs(3 * 60),
        "polling adds at most a poll interval per wave: {took:?}"
    );
}

const V1: &str = "20200101000000";
const V2: &str = "20210101000000";
const V3: &str = "20220101000000";

#[tokio::test(start_paused = true)]
async fn apply_an_upgrade_through_a_required_release_is_done_wave_by_wave() {
    let harness = Harness::new(Duration::from_secs(10));
    let fake = &harness.fake;
    for release in [V1, V2, V3] {
        let template = FakeTemplate::rack(&RACK_RESOURCES);
        let key = format!("release/{release}/formation.json");
        fake.add_s3_object("convox", &key, &template.body());
        fake.add_template(
            TemplateSource::Url(format!("https://convox.s3.amazonaws.com/{key}")),
            template,
        );
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
    let fleet = Fleet {
        harness,
        names: vec!["canary".into(), "web".into()],
    };
    let declare = |version: &str, rollout: &str| {
        fleet.harness.declare(
            &format!("version = \"{version}\""),
            &format!("{rollout}\n[[rack]]\nname = \"canary\"\n[[rack]]\nname = \"web\"\n"),
        );
    };
    declare(V1, "");
    let (outcome, output) = fleet.apply(None).await;
    assert_eq!(outcome, Outcome::Success, "{output}");
    declare(
        V3,
        "[rollout]\nwaves = [[\"personal/canary\"], [\"*\"]]\nbake = \"1m\"\n",
    );
    let (outcome, output) = fleet.apply(None).await;
    assert_eq!(outcome, Outcome::Success, "{output}");
    let sent: Vec<(String, Option<String>)> = fleet
        .harness
        .fake
        .updates()
        .into_iter()
        .map(|u| (u.stack, u.version))
        .collect();
    // Both steps of the canary, then the bake, then both steps of web.
    assert_eq!(
        sent,
        [
            ("canary".to_string(), Some(V2.to_string())),
            ("canary".to_string(), Some(V3.to_string())),
            ("web".to_string(), Some(V2.to_string())),
            ("web".to_string(), Some(V3.to_string())),
        ]
    );
    stable_snapshots(fleet.harness.dir.path()).bind(|| {
        insta::assert_snapshot!(
            "apply_an_upgrade_through_a_required_release_is_done_wave_by_wave",
            exit_and_output(outcome.exit_code(), &output)
        )
    });
}

/// Runs apply with `wave`, never interrupted: its exit code and what it printed, an error rendered after it
/// as `main` does.
async fn apply_to_the_end(fleet: &Fleet, wave: Option<usize>) -> (i32, String) {
    let (_sender, cancel) = tokio::sync::watch::channel(0u8);
    match fleet
        .harness
        .run(&fleet.options(wave), console(), cancel)
        .await
    {
        (Ok(outcome), text) => (outcome.exit_code(), text),
        (Err(error), text) => (error.exit_code(), format!("{text}{}", error.render())),
    }
}

#[tokio::test(start_paused = true)]
async fn apply_an_alarm_still_in_alarm_on_the_next_apply_holds_wave_2() {
    let fleet = Fleet::installed(&["canary", "web-1", "web-2"]).await;
    fleet.declare(4, CANARY_FIRST);
    fleet.harness.fake.set_alarm_state_after(
        ACCOUNT,
        REGION,
        "rack-canary-5xx",
        AlarmState::Alarm,
        Duration::from_secs(13 * 60),
    );
    let (outcome, output) = fleet.apply(None).await;
    assert_eq!(outcome, Outcome::Failed, "{output}");
    assert_eq!(fleet.updated(), ["canary"]);

    // Nothing remembers the stop: the next apply sees the canary converged and its alarm still firing.
    tokio::time::sleep(Duration::from_secs(3600)).await;
    let (outcome, output) = fleet.apply(None).await;
    assert_eq!(outcome, Outcome::Failed, "{output}");
    assert_eq!(fleet.updated(), ["canary"], "wave 2 held: {output}");
    stable_snapshots(fleet.harness.dir.path()).bind(|| {
        insta::assert_snapshot!(exit_and_output(outcome.exit_code(), &output), @"
            exit: 1
            --- output
            Read account 123456789012 (org personal): us-east-1

            Wave 1 of 2: personal/canary (nothing to change: skipped, no bake)
                0 racks to change, 1 unchanged

              personal/canary (us-east-1) no changes
                note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)

            Wave 2 of 2: *; held: rack-canary-5xx in ALARM
                2 racks to change, stops at the first failure

            ~ personal/web-1 (us-east-1) will be updated
                InstanceCount: 3 -> 4
                impact: not analysed (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
                budget: cannot compute: the update could not be analysed: https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources
                note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                preflight: not checked: the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
                preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
                preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

            ~ personal/web-2 (us-east-1) will be updated
                InstanceCount: 3 -> 4
                impact: not analysed (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
                budget: cannot compute: the update could not be analysed: https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources
                note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                preflight: not checked: the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
                preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
                preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

            Plan: 0 to install, 2 to update, 1 unchanged, 0 blocked.

            Wave 1 of 2: personal/canary (nothing to change: skipped, no bake)

            Apply stopped: 0 installed, 0 updated, 0 failed.

            Rollout stopped after wave 1: alarm rack-canary-5xx of personal/canary (account 123456789012, us-east-1) is in ALARM, which holds wave 2.
                wave 2 not started: personal/web-1, personal/web-2
            Once the cause is fixed, run apply again: racks already changed are unchanged now, so it starts at the first wave with work left.
            ")
    });
}

#[tokio::test(start_paused = true)]
async fn apply_ctrl_c_during_a_bake_then_wave_2_is_refused_and_a_whole_apply_waits_out_the_rest() {
    let fleet = Fleet::installed(&["canary", "web-1"]).await;
    fleet.declare(4, CANARY_FIRST);
    let (sender, cancel) = tokio::sync::watch::channel(0u8);
    let interrupt = async {
        tokio::time::sleep(Duration::from_secs(10 * 60)).await;
        sender.send(1).unwrap();
    };
    let ((outcome, output), ()) = tokio::join!(fleet.apply_with(None, cancel), interrupt);
    assert_eq!(outcome, Outcome::Interrupted, "{output}");
    assert_eq!(fleet.updated(), ["canary"]);

    // The canary's update (3 minutes, the fake stamps LastUpdatedTime as it completes) ended 7 minutes
    // before Ctrl-C: 23 of its 30 minutes of bake are left, and the seconds where the polls fell (exact on
    // the paused clock, so pinned with them).
    let (code, output) = apply_to_the_end(&fleet, Some(2)).await;
    timed_snapshots(fleet.harness.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @"
            exit: 1
            --- output
            Read account 123456789012 (org personal): us-east-1

            Wave 1 of 2: personal/canary (nothing to change: skipped, no bake)
                0 racks to change, 1 unchanged

              personal/canary (us-east-1) no changes
                note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)

            Wave 2 of 2: *; waits 23m 7s for wave 1's bake
                1 rack to change, stops at the first failure

            ~ personal/web-1 (us-east-1) will be updated
                InstanceCount: 3 -> 4
                impact: not analysed (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
                budget: cannot compute: the update could not be analysed: https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources
                note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                preflight: not checked: the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
                preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
                preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

            Plan: 0 to install, 1 to update, 1 unchanged, 0 blocked.
            error: --wave 2 may not start yet (waits 23m 7s for wave 1's bake); nothing was changed
               = help: apply --wave 2 again once the bake is served and the alarms are OK, or leave --wave out to wait for the bake
            "));
    assert_eq!(fleet.updated(), ["canary"]);

    let started = Instant::now();
    let (outcome, output) = fleet.apply(None).await;
    assert_eq!(outcome, Outcome::Success, "{output}");
    assert_eq!(fleet.updated(), ["canary", "web-1"]);
    timed_snapshots(fleet.harness.dir.path()).bind(|| {
        insta::assert_snapshot!(
            "apply_after_ctrl_c_during_a_bake_a_whole_apply_waits_out_the_rest",
            exit_and_output(outcome.exit_code(), &output)
        )
    });
    assert!(
        started.elapsed() >= Duration::from_secs(23 * 60),
        "the rest of the bake was served: {:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn apply_wave_3_is_refused_while_waves_1_and_2_have_changes() {
    let fleet = Fleet::installed(&["canary", "staging", "prod"]).await;
    fleet.declare(
        4,
        "[rollout]\nwaves = [[\"personal/canary\"], [\"*/staging*\"], [\"*\"]]\n",
    );
    let (code, output) = apply_to_the_end(&fleet, Some(3)).await;
    assert_eq!(fleet.updated(), Vec::<String>::new());
    stable_snapshots(fleet.harness.dir.path())
        .bind(|| insta::assert_snapshot!(exit_and_output(code, &output), @"
            exit: 1
            --- output
            Read account 123456789012 (org personal): us-east-1

            Wave 1 of 3: personal/canary
                1 rack to change, stops at the first failure

            ~ personal/canary (us-east-1) will be updated
                InstanceCount: 3 -> 4
                impact: not analysed (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
                budget: cannot compute: the update could not be analysed: https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources
                note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                preflight: not checked: the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
                preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
                preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

            Wave 2 of 3: */staging*
                1 rack to change, stops at the first failure

            ~ personal/staging (us-east-1) will be updated
                InstanceCount: 3 -> 4
                impact: not analysed (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
                budget: cannot compute: the update could not be analysed: https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources
                note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                preflight: not checked: the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
                preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
                preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

            Wave 3 of 3: *
                1 rack to change, stops at the first failure

            ~ personal/prod (us-east-1) will be updated
                InstanceCount: 3 -> 4
                impact: not analysed (https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
                budget: cannot compute: the update could not be analysed: https://templates.example.com/rack.json is read through GetTemplateSummary, which does not return its resources
                note: https://templates.example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                preflight: not checked: the exports the update removes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
                preflight: not checked: the Lambda runtimes are not known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
                preflight: not checked: the zones of the rack's subnets are not all known: https://templates.example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

            Plan: 0 to install, 3 to update, 0 unchanged, 0 blocked.
            error: --wave 3: wave 1 (personal/canary) and wave 2 (personal/staging) still to change; nothing was changed
               = help: apply the earlier waves first (`--wave 1`), or leave --wave out
            "));
}

#[tokio::test(start_paused = true)]
async fn apply_an_alarm_without_data_holds_the_next_wave_unless_missing_data_is_ok() {
    for (missing_data, goes_on) in [("", false), ("missing_data = \"ok\"\n", true)] {
        let fleet = Fleet::installed(&["canary", "web-1"]).await;
        fleet.harness.fake.set_alarm_state_after(
            ACCOUNT,
            REGION,
            "rack-canary-5xx",
            AlarmState::InsufficientData,
            Duration::ZERO,
        );
        fleet.declare(4, &format!("{CANARY_FIRST}{missing_data}"));
        let (outcome, output) = fleet.apply(None).await;
        let settings = stable_snapshots(fleet.harness.dir.path());
        if goes_on {
            assert_eq!(outcome, Outcome::Success, "{output}");
            assert_eq!(fleet.updated(), ["canary", "web-1"]);
            settings.bind(|| {
                insta::assert_snapshot!(
                    "apply_an_alarm_without_data_goes_on_when_missing_data_is_ok",
                    exit_and_output(outcome.exit_code(), &output)
                )
            });
        } else {
            assert_eq!(outcome, Outcome::Failed, "{output}");
            assert_eq!(fleet.updated(), ["canary"], "{output}");
            settings.bind(|| {
                insta::assert_snapshot!(
                    "apply_an_alarm_without_data_holds_the_next_wave",
                    exit_and_output(outcome.exit_code(), &output)
                )
            });
        }
    }
}
