//! Rollouts against moto, through the real binary and the real CloudWatch and CloudFormation calls: an
//! alarm set to ALARM during the canary's bake stops the next wave; a canary forced into failure through the
//! moto launcher stops the later waves; an alarm that does not exist is a plan error.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::common::{exit_and_summary, run, stable_snapshots, timed_snapshots};
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
fn apply_stops_the_next_wave_when_an_alarm_goes_to_alarm_during_the_bake() {
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
    // How many bake polls come before the alarm is the machine's speed: the summary on is pinned.
    let summary = exit_and_summary(status.code().unwrap(), &seen);
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(summary, @"
        exit: 1
        --- stdout from the summary on
        Apply stopped: 0 installed, 1 updated, 0 failed.
            personal/canary: updated in [time]

        Rollout stopped after wave 1: alarm rack-canary-5xx of personal/canary (account 123456789012, us-east-1) went to ALARM during the bake.
            wave 2 not started: personal/web-1, personal/web-2
        Once the cause is fixed, run apply again: racks already changed are unchanged now, so it starts at the first wave with work left.
        "));
    assert_eq!(moto.live_parameter("canary", "InstanceCount"), "4");
    assert_eq!(moto.live_parameter("web-1", "InstanceCount"), "3");
    assert_eq!(moto.live_parameter("web-2", "InstanceCount"), "3");
}

#[test]
fn apply_stops_the_later_waves_when_the_canary_is_forced_into_failure() {
    let moto = installed();
    moto.write("racks.toml", &racks_toml(4, CANARY_FIRST));
    moto.set_stack_status("canary", "UPDATE_ROLLBACK_FAILED");
    let output = run(moto
        .rackfile()
        .args(["apply", "--auto-approve"])
        .env("RACK_PASSWORD", "rack-secret-1"));
    // No duration is measured here: timed_snapshots keeps the 4 s bake racks.toml sets.
    timed_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @"
        exit: 1
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        Wave 1 of 2: personal/canary; then bake 4s, alarms rack-canary-5xx
            1 rack to change, stops at the first failure

        ! personal/canary (us-east-1) is blocked
            UPDATE_ROLLBACK_FAILED: an update failed to roll back; `--recover` continues the rollback (ContinueUpdateRollback), then applies the update

        Wave 2 of 2: *
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

        Plan: 0 to install, 2 to update, 0 unchanged, 1 blocked.

        Wave 1 of 2: personal/canary; then bake 4s, alarms rack-canary-5xx: starting, 1 rack to change
        personal/canary: not changed: UPDATE_ROLLBACK_FAILED: an update failed to roll back; `--recover` continues the rollback (ContinueUpdateRollback), then applies the update
        Wave 1: every rack done, 0 failed, 1 blocked (0 tolerated)

        Apply failed: 0 installed, 0 updated, 0 failed, 1 blocked.
            personal/canary: not changed: UPDATE_ROLLBACK_FAILED: an update failed to roll back; `--recover` continues the rollback (ContinueUpdateRollback), then applies the update

        Rollout stopped after wave 1: 1 rack blocked, 0 tolerated.
            wave 2 not started: personal/web-1, personal/web-2
        Once the cause is fixed, run apply again: racks already changed are unchanged now, so it starts at the first wave with work left.
        --- stderr
        "));
    assert_eq!(moto.live_parameter("web-1", "InstanceCount"), "3");
    assert_eq!(moto.live_parameter("web-2", "InstanceCount"), "3");
}

#[test]
fn plan_refuses_an_alarm_that_does_not_exist_naming_the_rack_and_the_alarm() {
    let moto = installed();
    moto.write(
        "racks.toml",
        &racks_toml(
            4,
            &CANARY_FIRST.replace("rack-{name}-5xx", "rack-{name}-4xx"),
        ),
    );
    let output = run(moto.rackfile().args(["plan"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(output.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: personal/canary: alarm rack-canary-4xx does not exist in account 123456789012 (us-east-1)
          --> racks.toml:12:11
           |
        12 | alarms = ["rack-{name}-4xx"]
           |           ^^^^^^^^^^^^^^^^^
           = help: create it, or correct `alarms` in [rollout] ({org}, {name} and {region} are the rack's)

        error: personal/web-1: alarm rack-web-1-4xx does not exist in account 123456789012 (us-east-1)
          --> racks.toml:12:11
           |
        12 | alarms = ["rack-{name}-4xx"]
           |           ^^^^^^^^^^^^^^^^^
           = help: create it, or correct `alarms` in [rollout] ({org}, {name} and {region} are the rack's)

        error: personal/web-2: alarm rack-web-2-4xx does not exist in account 123456789012 (us-east-1)
          --> racks.toml:12:11
           |
        12 | alarms = ["rack-{name}-4xx"]
           |           ^^^^^^^^^^^^^^^^^
           = help: create it, or correct `alarms` in [rollout] ({org}, {name} and {region} are the rack's)

        error: cannot plan: 3 problems; nothing was changed
        "#));
    // doctor names it too, among its other checks.
    let doctor = run(moto.rackfile().args(["doctor"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(doctor.snapshot(), @"
        exit: 1
        --- stdout
        [✓] racks.toml is valid: 3 racks in 1 org, 1 region
        [✓] org personal: credentials (profile personal) resolve to account 123456789012
        [✓] org personal: account guard holds (123456789012)
        [-] org personal's credentials against the plan policy: cannot tell (iam:SimulatePrincipalPolicy: HTTP 500, with no AWS error in the answer)
        [✓] template rack.yml (account 123456789012): reachable, 15 parameters cover personal/canary, personal/web-1, personal/web-2
        [✓] personal/canary: running (CREATE_COMPLETE)
        [✓] personal/web-1: running (CREATE_COMPLETE)
        [✓] personal/web-2: running (CREATE_COMPLETE)
        [✗] alarm rack-canary-4xx of personal/canary: does not exist in account 123456789012 (us-east-1)
            help: create it, or correct `alarms` in [rollout]
        [✗] alarm rack-web-1-4xx of personal/web-1: does not exist in account 123456789012 (us-east-1)
            help: create it, or correct `alarms` in [rollout]
        [✗] alarm rack-web-2-4xx of personal/web-2: does not exist in account 123456789012 (us-east-1)
            help: create it, or correct `alarms` in [rollout]
        [✓] rack personal/canary: preflight: instance type t2.small is offered in the rack's subnets' zones (zones AWS chooses)
        [✓] rack personal/canary: preflight: 4 instances of t2.small plus a rolling batch of 1 need 5 vCPUs (1 each); quota L-1216C47A (Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances) is 256 vCPUs
        [✓] rack personal/web-1: preflight: instance type t2.small is offered in the rack's subnets' zones (zones AWS chooses)
        [✓] rack personal/web-1: preflight: 4 instances of t2.small plus a rolling batch of 1 need 5 vCPUs (1 each), and rack canary planned before it in this account and region ask 5; quota L-1216C47A (Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances) is 256 vCPUs
        [✓] rack personal/web-2: preflight: instance type t2.small is offered in the rack's subnets' zones (zones AWS chooses)
        [✓] rack personal/web-2: preflight: 4 instances of t2.small plus a rolling batch of 1 need 5 vCPUs (1 each), and racks canary, web-1 planned before it in this account and region ask 10; quota L-1216C47A (Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances) is 256 vCPUs

        Doctor: 13 passed, 3 failed, 1 skipped.
        --- stderr
        "));
}
