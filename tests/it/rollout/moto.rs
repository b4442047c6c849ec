//! Rollouts against moto, through the real binary and the real CloudWatch and CloudFormation calls: an
//! alarm set to ALARM during the canary's bake stops the next wave; a canary forced into failure through the
//! moto launcher stops the later waves; an alarm that does not exist is a plan error.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::common::run;
use crate::moto::{self, MotoSession};

const RACKS: [&str; 3] = ["canary", "web-1", "web-2"];

/// racks.toml: the three racks from the example template at `count` instances, then `rollout`.
pub(crate) fn racks_toml(count: u32, rollout: &str) -> String {
    let mut text = format!(
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"20161102160040\"\n\
         instance_count = {count}\n[org.personal]\nprofile = \"personal\"\naccount_id = \"{}\"\n{rollout}\n",
        moto::PERSONAL_ACCOUNT
    );
    for name in RACKS {
        text.push_str(&format!(
            "[[rack]]\nname = \"{name}\"\ntemplate = \"rack.yml\"\npassword_env = \"RACK_PASSWORD\"\n"
        ));
    }
    text
}

/// The three racks installed at 3 instances, each with an OK alarm `rack-NAME-5xx`.
pub(crate) fn installed() -> MotoSession {
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    moto.write("racks.toml", &racks_toml(3, ""));
    let output = run(moto
        .rackfile()
        .args(["apply", "--auto-approve"])
        .env("RACK_PASSWORD", "rack-secret-1"));
    assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
    let mut script = String::from("cw = client('cloudwatch')\n");
    for name in RACKS {
        script.push_str(&format!(
            "cw.put_metric_alarm(AlarmName='rack-{name}-5xx', MetricName='5xx', Namespace='Convox', \
             Statistic='Sum', Period=60, EvaluationPeriods=1, Threshold=1, \
             ComparisonOperator='GreaterThanThreshold')\n\
             cw.set_alarm_state(AlarmName='rack-{name}-5xx', StateValue='OK', StateReason='healthy')\n"
        ));
    }
    moto.python(&script);
    moto
}

pub(crate) const CANARY_FIRST: &str = "[rollout]\nwaves = [[\"personal/canary\"], [\"*\"]]\nbake = \"4s\"\nalarms = [\"rack-{name}-5xx\"]\n";

#[test]
fn an_alarm_set_to_alarm_during_the_bake_stops_the_next_wave() {
    let moto = installed();
    moto.write("racks.toml", &racks_toml(4, CANARY_FIRST));
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
        if line.starts_with("Wave 1: baking 4s") {
            break;
        }
    }
    moto.python(
        "client('cloudwatch').set_alarm_state(AlarmName='rack-canary-5xx', StateValue='ALARM', StateReason='5xx above 1')\n",
    );
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    seen.push_str(&rest);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{seen}");
    assert!(
        seen.contains(&format!(
            "Rollout stopped after wave 1: alarm rack-canary-5xx of personal/canary (account {}, us-east-1) went to ALARM during the bake.",
            moto::PERSONAL_ACCOUNT
        )),
        "{seen}"
    );
    assert!(
        seen.contains("wave 2 not started: personal/web-1, personal/web-2"),
        "{seen}"
    );
    assert_eq!(moto.live_parameter("canary", "InstanceCount"), "4");
    assert_eq!(moto.live_parameter("web-1", "InstanceCount"), "3");
    assert_eq!(moto.live_parameter("web-2", "InstanceCount"), "3");
}

#[test]
fn a_canary_forced_into_failure_stops_the_later_waves() {
    let moto = installed();
    moto.write("racks.toml", &racks_toml(4, CANARY_FIRST));
    moto.set_stack_status("canary", "UPDATE_ROLLBACK_FAILED");
    let output = run(moto
        .rackfile()
        .args(["apply", "--auto-approve"])
        .env("RACK_PASSWORD", "rack-secret-1"));
    assert_eq!(output.code, 1, "{}\n{}", output.stdout, output.stderr);
    assert!(
        output
            .stdout
            .contains("Rollout stopped after wave 1: 1 rack failed, 0 tolerated."),
        "{}",
        output.stdout
    );
    assert_eq!(moto.live_parameter("web-1", "InstanceCount"), "3");
    assert_eq!(moto.live_parameter("web-2", "InstanceCount"), "3");
}

#[test]
fn an_alarm_that_does_not_exist_is_a_plan_error_naming_the_rack_and_the_alarm() {
    let moto = installed();
    moto.write(
        "racks.toml",
        &racks_toml(
            4,
            &CANARY_FIRST.replace("rack-{name}-5xx", "rack-{name}-4xx"),
        ),
    );
    let output = run(moto.rackfile().args(["plan"]));
    assert_eq!(output.code, 1, "{}\n{}", output.stdout, output.stderr);
    assert!(
        output.stderr.contains(&format!(
            "personal/canary: alarm rack-canary-4xx does not exist in account {} (us-east-1)",
            moto::PERSONAL_ACCOUNT
        )),
        "{}",
        output.stderr
    );
    assert!(output.stderr.contains("racks.toml:"), "{}", output.stderr);
    // doctor names it too, among its other checks.
    let doctor = run(moto.rackfile().args(["doctor"]));
    assert_eq!(doctor.code, 1, "{}\n{}", doctor.stdout, doctor.stderr);
    let all = format!("{}{}", doctor.stdout, doctor.stderr);
    assert!(
        all.contains("alarm rack-canary-4xx of personal/canary: does not exist in account"),
        "{all}"
    );
}
