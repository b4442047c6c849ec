//! Each wave's gate against moto, through the real binary and CloudWatch: an alarm still in ALARM on the
//! next apply holds wave 2; after Ctrl-C during the canary's bake, `--wave 2` refuses until the bake is
//! served; `--wave 3` refuses while waves 1 and 2 have changes; an alarm in INSUFFICIENT_DATA holds a wave.

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;

use crate::common::{Output, exit_and_summary, run, stable_snapshots};
use crate::moto::MotoSession;
use crate::rollout::moto::{CANARY_FIRST, installed, racks_toml};

fn apply(moto: &MotoSession, args: &[&str]) -> Output {
    run(moto
        .rackfile()
        .arg("apply")
        .args(args)
        .env("RACK_PASSWORD", "rack-secret-1"))
}

fn set_alarm(moto: &MotoSession, name: &str, state: &str) {
    moto.python(&format!(
        "client('cloudwatch').set_alarm_state(AlarmName='{name}', StateValue='{state}', StateReason='set by the test')\n"
    ));
}

fn counts(moto: &MotoSession) -> [String; 3] {
    ["canary", "web-1", "web-2"].map(|name| moto.live_parameter(name, "InstanceCount"))
}

#[test]
fn apply_holds_wave_2_while_an_alarm_is_still_in_alarm_on_the_next_run() {
    let moto = installed();
    moto.write("racks.toml", &racks_toml(4, CANARY_FIRST));
    let first = apply(&moto, &["--auto-approve", "--wave", "1"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    set_alarm(&moto, "rack-canary-5xx", "ALARM");
    let next = apply(&moto, &["--auto-approve"]);
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(next.snapshot(), @"
        exit: 1
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        Wave 1 of 2: personal/canary (nothing to change: skipped, no bake)
            0 racks to change, 1 unchanged

          personal/canary (us-east-1) no changes

        Wave 2 of 2: *; held: rack-canary-5xx in ALARM
            2 racks to change, stops at the first failure

        ~ personal/web-1 (us-east-1) will be updated
            InstanceCount: 3 -> 4
              ↳ reaches no resource
            impact: no resource changes
            budget: up to 5m

        ~ personal/web-2 (us-east-1) will be updated
            InstanceCount: 3 -> 4
              ↳ reaches no resource
            impact: no resource changes
            budget: up to 5m

        Plan: 0 to install, 2 to update, 1 unchanged, 0 blocked.

        Wave 1 of 2: personal/canary (nothing to change: skipped, no bake)

        Apply stopped: 0 installed, 0 updated, 0 failed.

        Rollout stopped after wave 1: alarm rack-canary-5xx of personal/canary (account 123456789012, us-east-1) is in ALARM, which holds wave 2.
            wave 2 not started: personal/web-1, personal/web-2
        Once the cause is fixed, run apply again: racks already changed are unchanged now, so it starts at the first wave with work left.
        --- stderr
        "));
    assert_eq!(counts(&moto), ["4", "3", "3"]);
}

#[test]
fn apply_wave_2_after_ctrl_c_during_the_canarys_bake_is_refused_until_it_is_served() {
    let moto = installed();
    let hour_bake = CANARY_FIRST.replace("bake = \"4s\"", "bake = \"1h\"");
    moto.write("racks.toml", &racks_toml(4, &hour_bake));
    let mut child = moto
        .rackfile()
        .args(["apply", "--auto-approve"])
        .env("RACK_PASSWORD", "rack-secret-1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            panic!("apply ended before the bake:\n{seen}");
        }
        seen.push_str(&line);
        if line.starts_with("Wave 1: baking 1h") {
            break;
        }
    }
    crate::signals::send("INT", child.id());
    stdout.read_to_string(&mut seen).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130), "{seen}");

    let wave_2 = apply(&moto, &["--auto-approve", "--wave", "2"]);
    // What is left of the hour's bake, to the second of the canary's LastUpdatedTime: exactly 1h when no
    // whole second passed between that stamp and this plan (a fast machine), 59m and seconds otherwise.
    let mut snapshots = stable_snapshots(moto.path());
    // stable_snapshots has made the seconds `[time]` already.
    snapshots.add_filter(
        r"waits (1h|59m( \[time\])?) for",
        "waits [the hour's rest] for",
    );
    snapshots.bind(|| insta::assert_snapshot!(wave_2.snapshot(), @"
        exit: 1
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        Wave 1 of 2: personal/canary (nothing to change: skipped, no bake)
            0 racks to change, 1 unchanged

          personal/canary (us-east-1) no changes

        Wave 2 of 2: *; waits [the hour's rest] for wave 1's bake
            2 racks to change, stops at the first failure

        ~ personal/web-1 (us-east-1) will be updated
            InstanceCount: 3 -> 4
              ↳ reaches no resource
            impact: no resource changes
            budget: up to 5m

        ~ personal/web-2 (us-east-1) will be updated
            InstanceCount: 3 -> 4
              ↳ reaches no resource
            impact: no resource changes
            budget: up to 5m

        Plan: 0 to install, 2 to update, 1 unchanged, 0 blocked.
        --- stderr
        error: --wave 2 may not start yet (waits [the hour's rest] for wave 1's bake); nothing was changed
           = help: apply --wave 2 again once the bake is served and the alarms are OK, or leave --wave out to wait for the bake
        "));
    assert_eq!(counts(&moto), ["4", "3", "3"]);
}

#[test]
fn apply_wave_3_is_refused_while_waves_1_and_2_have_changes() {
    let moto = installed();
    moto.write(
        "racks.toml",
        &racks_toml(
            4,
            "[rollout]\nwaves = [[\"personal/canary\"], [\"personal/web-1\"], [\"*\"]]\n",
        ),
    );
    let output = apply(&moto, &["--auto-approve", "--wave", "3"]);
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @"
        exit: 1
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        Wave 1 of 3: personal/canary
            1 rack to change, stops at the first failure

        ~ personal/canary (us-east-1) will be updated
            InstanceCount: 3 -> 4
              ↳ reaches no resource
            impact: no resource changes
            budget: up to 5m

        Wave 2 of 3: personal/web-1
            1 rack to change, stops at the first failure

        ~ personal/web-1 (us-east-1) will be updated
            InstanceCount: 3 -> 4
              ↳ reaches no resource
            impact: no resource changes
            budget: up to 5m

        Wave 3 of 3: *
            1 rack to change, stops at the first failure

        ~ personal/web-2 (us-east-1) will be updated
            InstanceCount: 3 -> 4
              ↳ reaches no resource
            impact: no resource changes
            budget: up to 5m

        Plan: 0 to install, 3 to update, 0 unchanged, 0 blocked.
        --- stderr
        error: --wave 3: wave 1 (personal/canary) and wave 2 (personal/web-1) still to change; nothing was changed
           = help: apply the earlier waves first (`--wave 1`), or leave --wave out
        "));
    assert_eq!(counts(&moto), ["3", "3", "3"]);
}

#[test]
fn apply_holds_the_next_wave_while_an_alarm_is_in_insufficient_data() {
    let moto = installed();
    set_alarm(&moto, "rack-canary-5xx", "INSUFFICIENT_DATA");
    let short_bake = CANARY_FIRST.replace("bake = \"4s\"", "bake = \"1s\"");
    moto.write("racks.toml", &racks_toml(4, &short_bake));
    let output = apply(&moto, &["--auto-approve"]);
    // How many times the one-second bake polls is the machine's speed: the summary on is pinned.
    assert_eq!(output.stderr, "");
    stable_snapshots(moto.path())
        .bind(|| insta::assert_snapshot!(exit_and_summary(output.code, &output.stdout), @r#"
            exit: 1
            --- stdout from the summary on
            Apply stopped: 0 installed, 1 updated, 0 failed.
                personal/canary: updated in [time]

            Rollout stopped after wave 1: alarm rack-canary-5xx of personal/canary (account 123456789012, us-east-1) is in INSUFFICIENT_DATA, which holds wave 2 ([rollout] missing_data = "ok" lets it pass).
                wave 2 not started: personal/web-1, personal/web-2
            Once the cause is fixed, run apply again: racks already changed are unchanged now, so it starts at the first wave with work left.
            "#));
    assert_eq!(counts(&moto), ["4", "3", "3"]);
}
