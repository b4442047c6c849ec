//! Each wave's gate against moto, through the real binary and CloudWatch: an alarm still in ALARM on the
//! next apply holds wave 2; after Ctrl-C during the canary's bake, `--wave 2` refuses until the bake is
//! served; `--wave 3` refuses while waves 1 and 2 have changes; an alarm in INSUFFICIENT_DATA holds a wave.

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;

use crate::common::{Output, run};
use crate::moto::{self, MotoSession};
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
fn an_alarm_still_in_alarm_on_the_next_apply_holds_wave_2() {
    let moto = installed();
    moto.write("racks.toml", &racks_toml(4, CANARY_FIRST));
    let first = apply(&moto, &["--auto-approve", "--wave", "1"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    set_alarm(&moto, "rack-canary-5xx", "ALARM");
    let next = apply(&moto, &["--auto-approve"]);
    assert_eq!(next.code, 1, "{}\n{}", next.stdout, next.stderr);
    assert!(
        next.stdout
            .contains("Wave 2 of 2: *; held: rack-canary-5xx in ALARM"),
        "{}",
        next.stdout
    );
    assert!(
        next.stdout.contains(&format!(
            "Rollout stopped after wave 1: alarm rack-canary-5xx of personal/canary (account {}, us-east-1) is in ALARM, which holds wave 2.",
            moto::PERSONAL_ACCOUNT
        )),
        "{}",
        next.stdout
    );
    assert_eq!(counts(&moto), ["4", "3", "3"]);
}

#[test]
fn after_ctrl_c_during_the_canarys_bake_wave_2_is_refused_until_the_bake_is_served() {
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
    assert_eq!(wave_2.code, 1, "{}\n{}", wave_2.stdout, wave_2.stderr);
    // What is left of the hour's bake, to the second of the canary's LastUpdatedTime: exactly 1h when no
    // whole second passed between that stamp and this plan (a fast machine), 59m and seconds otherwise.
    assert!(
        (wave_2
            .stderr
            .contains("--wave 2 may not start yet (waits 1h for wave 1's bake)")
            || wave_2
                .stderr
                .contains("--wave 2 may not start yet (waits 59m"))
            && wave_2
                .stderr
                .contains(" for wave 1's bake); nothing was changed"),
        "{}",
        wave_2.stderr
    );
    assert_eq!(counts(&moto), ["4", "3", "3"]);
}

#[test]
fn wave_3_is_refused_while_waves_1_and_2_have_changes() {
    let moto = installed();
    moto.write(
        "racks.toml",
        &racks_toml(
            4,
            "[rollout]\nwaves = [[\"personal/canary\"], [\"personal/web-1\"], [\"*\"]]\n",
        ),
    );
    let output = apply(&moto, &["--auto-approve", "--wave", "3"]);
    assert_eq!(output.code, 1, "{}\n{}", output.stdout, output.stderr);
    assert!(
        output.stderr.contains(
            "--wave 3: wave 1 (personal/canary) and wave 2 (personal/web-1) still to change; nothing was changed"
        ),
        "{}",
        output.stderr
    );
    assert_eq!(counts(&moto), ["3", "3", "3"]);
}

#[test]
fn an_alarm_in_insufficient_data_holds_the_next_wave() {
    let moto = installed();
    set_alarm(&moto, "rack-canary-5xx", "INSUFFICIENT_DATA");
    let short_bake = CANARY_FIRST.replace("bake = \"4s\"", "bake = \"1s\"");
    moto.write("racks.toml", &racks_toml(4, &short_bake));
    let output = apply(&moto, &["--auto-approve"]);
    assert_eq!(output.code, 1, "{}\n{}", output.stdout, output.stderr);
    assert!(
        output
            .stdout
            .contains("is in INSUFFICIENT_DATA, which holds wave 2"),
        "{}",
        output.stdout
    );
    assert_eq!(counts(&moto), ["4", "3", "3"]);
}
