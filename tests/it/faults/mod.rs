//! rackfile when AWS misbehaves, through the fault proxy between rackfile and moto: plan and apply give the
//! same result under throttling and under 500s with connection resets; with CloudFormation down, one short
//! error within a bounded number of attempts; an apply that fails midway says exactly which racks changed.

pub mod proxy;

use std::process::Command;
use std::time::{Duration, Instant};

use proxy::{Fault, FaultProxy, Faults};

use crate::common::{exit_and_summary, run, stable_snapshots};
use crate::moto::{self, MotoSession};
use crate::plan::seed_world;

pub fn through(moto: &MotoSession, proxy: &FaultProxy) -> Command {
    let mut command = moto.rackfile();
    command.env("AWS_ENDPOINT_URL", proxy.endpoint());
    command
}

fn throttling() -> Faults {
    Faults {
        throttle: 30,
        ..Faults::default()
    }
}

fn errors_and_resets() -> Faults {
    Faults {
        server_error: 20,
        reset: 10,
        ..Faults::default()
    }
}

#[test]
fn plan_is_the_same_plan_under_throttling_and_under_errors_and_resets() {
    let moto = moto::session();
    seed_world(&moto);
    let direct = run(moto.rackfile().args(["plan", "--json"]));
    assert_eq!(direct.code, 0, "{}", direct.stderr);
    for (name, faults) in [
        ("30% throttling", throttling()),
        ("20% 500s + 10% resets", errors_and_resets()),
    ] {
        let proxy = FaultProxy::start(moto.port, faults);
        // A cache of its own: every read the first plan made (GetTemplate included) is made again, faulted.
        let faulted = run(through(&moto, &proxy)
            .env("XDG_CACHE_HOME", moto.path().join(format!(".cache {name}")))
            .args(["plan", "--json"]));
        assert_eq!(faulted.code, 0, "{name}: {}", faulted.stderr);
        assert_eq!(faulted.stdout, direct.stdout, "{name}: a different plan");
        assert!(
            proxy.faults_injected() >= 2,
            "{name}: the proxy injected {} faults",
            proxy.faults_injected()
        );
    }
}

const RACKS: &str = r#"
[defaults]
org = "personal"
region = "us-east-1"
version = "20161102160040"
instance_count = 3

[org.personal]
profile = "personal"
account_id = "123456789012"

[[rack]]
name = "alpha"
template = "rack.yml"

[[rack]]
name = "bravo"
template = "rack.yml"

[[rack]]
name = "charlie"
template = "rack.yml"
"#;

#[test]
fn apply_installs_and_updates_the_same_under_throttling_and_under_errors_and_resets() {
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    moto.write("racks.toml", RACKS);

    let proxy = FaultProxy::start(moto.port, throttling());
    let install = run(through(&moto, &proxy).args(["-v", "apply", "--auto-approve"]));
    assert_eq!(install.code, 0, "{}{}", install.stdout, install.stderr);
    assert!(
        install.stderr.contains(
            "throttled: calls to account 123456789012 in us-east-1 now go at most 8.00 a second"
        ),
        "the shared rate limit heard the first throttle:\n{}",
        install.stderr
    );
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(exit_and_summary(install.code, &install.stdout), @"
            exit: 0
            --- stdout from the summary on
            Apply complete: 3 installed, 0 updated, 0 failed.
                personal/alpha: installed in [time]
                personal/bravo: installed in [time]
                personal/charlie: installed in [time]

            Password for personal/alpha (shown only this once; store it now): [password]
            Dashboard: alpha.us-east-1.elb.amazonaws.com

            Password for personal/bravo (shown only this once; store it now): [password]
            Dashboard: bravo.us-east-1.elb.amazonaws.com

            Password for personal/charlie (shown only this once; store it now): [password]
            Dashboard: charlie.us-east-1.elb.amazonaws.com
            ")
    });
    assert!(
        proxy.faults_injected() >= 2,
        "the proxy injected {} faults",
        proxy.faults_injected()
    );

    moto.write(
        "racks.toml",
        &RACKS.replace("instance_count = 3", "instance_count = 4"),
    );
    let proxy = FaultProxy::start(moto.port, errors_and_resets());
    let update = run(through(&moto, &proxy).args(["apply", "--auto-approve"]));
    assert_eq!(update.stderr, "");
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(exit_and_summary(update.code, &update.stdout), @"
            exit: 0
            --- stdout from the summary on
            Apply complete: 0 installed, 3 updated, 0 failed.
                personal/alpha: updated in [time]
                personal/bravo: updated in [time]
                personal/charlie: updated in [time]
            ")
    });
    assert!(
        proxy.count("UpdateStack", None) == 3,
        "each update reached moto once"
    );
    assert!(proxy.count("GetCallerIdentity", None) >= 1);
    assert!(proxy.faults_injected() >= 2);

    let plan = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
}

#[test]
fn with_cloudformation_down_plan_fails_fast_with_one_short_error_and_bounded_retries() {
    let moto = moto::session();
    seed_world(&moto);
    let proxy = FaultProxy::start(
        moto.port,
        Faults {
            server_error: 100,
            ..Faults::default()
        },
    );
    let started = Instant::now();
    let output = run(through(&moto, &proxy).args(["-v", "plan"]));
    let elapsed = started.elapsed();
    assert_eq!(output.code, 1, "{}", output.stderr);
    assert!(
        elapsed < Duration::from_secs(60),
        "took {elapsed:?} to give up"
    );
    // Two (account, region)s, each DescribeStacks tried exactly MAX_ATTEMPTS times, and nothing after it.
    assert_eq!(proxy.count("DescribeStacks", Some(Fault::ServerError)), 10);
    let requests = proxy.requests_by_action();
    assert_eq!(
        requests.keys().map(String::as_str).collect::<Vec<_>>(),
        ["AssumeRole", "DescribeStacks", "GetCallerIdentity"],
        "nothing is read after the sweep fails"
    );
    let (log, errors): (Vec<&str>, Vec<&str>) = output.stderr.lines().partition(|line| {
        // -v's log lines open with their RFC 3339 time.
        line.split_whitespace()
            .next()
            .is_some_and(|first| humantime::parse_rfc3339_weak(first).is_ok())
    });
    assert_eq!(
        errors,
        [
            "error: account 123456789012 (us-east-1): cannot list stacks: InternalFailure: injected by the fault proxy",
            "error: account 210987654321 (eu-west-1): cannot list stacks: InternalFailure: injected by the fault proxy",
        ],
        "{}",
        output.stderr
    );
    assert!(
        log.iter().any(|line| line
            .contains("CloudFormation.DescribeStacks (us-east-1): failed: InternalFailure")
            && line.contains("after 5 attempts in")),
        "{}",
        output.stderr
    );
    assert_eq!(
        log.iter()
            .filter(|line| line.contains("DescribeStacks (eu-west-1) attempt"))
            .count(),
        5,
        "each failed attempt is logged"
    );
}

#[test]
fn an_apply_that_fails_midway_says_exactly_which_racks_changed() {
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    moto.write("racks.toml", RACKS);
    let proxy = FaultProxy::start(
        moto.port,
        Faults {
            fail_matching: vec!["Action=CreateStack".into(), "StackName=bravo".into()],
            ..Faults::default()
        },
    );
    let output = run(through(&moto, &proxy).args(["apply", "--auto-approve"]));
    assert_eq!(output.stderr, "");
    stable_snapshots(moto.path())
        .bind(|| insta::assert_snapshot!(exit_and_summary(output.code, &output.stdout), @"
            exit: 1
            --- stdout from the summary on
            Apply failed: 2 installed, 0 updated, 1 failed.
                personal/alpha: installed in [time]
                personal/bravo: failed after [time]: CreateStack failed, nothing was created: InternalFailure: injected by the fault proxy
                personal/charlie: installed in [time]

            Password for personal/alpha (shown only this once; store it now): [password]
            Dashboard: alpha.us-east-1.elb.amazonaws.com

            Password for personal/bravo (its install did not finish here; if CloudFormation completes it, this is its password) (shown only this once; store it now): [password]

            Password for personal/charlie (shown only this once; store it now): [password]
            Dashboard: charlie.us-east-1.elb.amazonaws.com
            "));
    assert_eq!(proxy.count("CreateStack", Some(Fault::ServerError)), 5);

    // The report matches AWS.
    let status = run(moto.rackfile().arg("status"));
    let words: Vec<Vec<&str>> = status
        .stdout
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().take(3).collect())
        .collect();
    assert_eq!(
        words,
        [
            vec!["personal/alpha", "running", "20161102160040"],
            vec!["personal/bravo", "not", "installed"],
            vec!["personal/charlie", "running", "20161102160040"],
        ]
    );
}
