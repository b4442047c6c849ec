//! What following racks in progress costs in API calls, against moto behind the test proxy holding each
//! stack `*_IN_PROGRESS` for a while after its CreateStack (moto itself completes at once; real racks take
//! minutes). DESIGN.md section 7: at most one call per rack per poll interval. Not a timed test: it prints
//! the calls of `rackfile apply` installing 10 and then 50 racks.
//!
//!     cargo bench --bench follow

#[path = "support/moto.rs"]
mod moto;
#[path = "../tests/it/faults/proxy.rs"]
#[allow(dead_code)]
mod proxy;

use std::process::Command;
use std::time::{Duration, Instant};

use moto::{aws_env, root, start_moto};
use proxy::{FaultProxy, Faults};

const HOLD: Duration = Duration::from_secs(20);

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("benches/follow.rs: run it with `cargo bench --bench follow`");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let moto = start_moto(work.path());
    std::fs::copy(
        root().join("examples/templates/rack.yml"),
        work.path().join("rack.yml"),
    )
    .unwrap();
    for (region, racks) in [("us-west-2", 10), ("eu-central-1", 50)] {
        let mut file = format!(
            "[defaults]\norg = \"bench\"\nregion = \"{region}\"\nversion = \"20161102160040\"\n\
             instance_type = \"t2.small\"\ninstance_count = 3\nprivate = false\n[org.bench]\n"
        );
        for i in 0..racks {
            file.push_str(&format!(
                "[[rack]]\nname = \"rack-{i}\"\ntemplate = \"rack.yml\"\npassword_env = \"BENCH_PASSWORD\"\n"
            ));
        }
        let racks_toml = work.path().join(format!("{region}.toml"));
        std::fs::write(&racks_toml, file).unwrap();
        let proxy = FaultProxy::start(
            moto.port,
            Faults {
                hold_in_progress: HOLD,
                ..Faults::default()
            },
        );
        let started = Instant::now();
        let output = aws_env(
            &mut Command::new(env!("CARGO_BIN_EXE_rackfile")),
            &proxy.endpoint(),
        )
        .env("BENCH_PASSWORD", "bench-password")
        .args(["apply", "--auto-approve", "--parallelism", "50", "-f"])
        .arg(&racks_toml)
        .output()
        .unwrap();
        let elapsed = started.elapsed();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stdout)
        );
        let calls = proxy.requests_by_action();
        let count = |action: &str| calls.get(action).copied().unwrap_or(0) as f64;
        // Per rack: one DescribeStacks before its CreateStack and one when its events say it ended; the
        // plan's one sweep; every DescribeStackEvents is a poll.
        let polls = count("DescribeStackEvents") / racks as f64;
        let following =
            (count("DescribeStackEvents") + count("DescribeStacks") - 1.0) / racks as f64 - 1.0;
        println!(
            "{racks} racks held in progress {}s: apply {:.1} s; per rack {polls:.1} polls, {following:.1} calls following it: {:.2} calls per rack-poll (all calls: {calls:?})",
            HOLD.as_secs(),
            elapsed.as_secs_f64(),
            following / polls
        );
    }
}
