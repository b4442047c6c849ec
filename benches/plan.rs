//! `rackfile plan` of 10 racks in one region vs 1,000 racks in 5 regions against moto (DESIGN.md section 7:
//! the large plan may cost at most 3x the small one), every rack live and unchanged. Each plan runs straight
//! against moto and through the fault proxy with 50 ms added to every request, roughly a round trip to an
//! AWS region; the proxy also counts the API calls. Best of 3 runs each.
//!
//!     cargo bench --bench plan        (scripts/bench-plan does the same)

#[path = "support/moto.rs"]
mod moto;
#[path = "../tests/it/faults/proxy.rs"]
#[allow(dead_code)]
mod proxy;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use moto::{aws_env, root, start_moto};
use proxy::{FaultProxy, Faults};

const LATENCY: Duration = Duration::from_millis(50);

/// The wall time of one plan that must find no changes, with `cache` as the user's cache directory.
fn plan(file: &Path, endpoint: &str, cache: &Path) -> Duration {
    let started = Instant::now();
    let output = aws_env(&mut Command::new(env!("CARGO_BIN_EXE_rackfile")), endpoint)
        .env("XDG_CACHE_HOME", cache)
        .args(["plan", "--detailed-exitcode", "-f"])
        .arg(file)
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

/// API calls by action since `before`.
fn calls_since(
    now: &BTreeMap<String, u64>,
    before: &BTreeMap<String, u64>,
) -> BTreeMap<String, u64> {
    now.iter()
        .map(|(action, count)| {
            (
                action.clone(),
                count - before.get(action).copied().unwrap_or(0),
            )
        })
        .filter(|(_, count)| *count > 0)
        .collect()
}

fn describe(calls: &BTreeMap<String, u64>, runs: u64) -> String {
    let total: u64 = calls.values().sum::<u64>() / runs;
    let each: Vec<String> = calls
        .iter()
        .map(|(action, count)| format!("{action} {}", count / runs))
        .collect();
    format!("{total} API calls ({})", each.join(", "))
}

fn main() {
    // `cargo test --all-targets` runs bench binaries without `--bench`: seeding 1,010 stacks is no test.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("benches/plan.rs: run it with `cargo bench --bench plan`");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let moto = start_moto(work.path());
    let endpoint = format!("http://127.0.0.1:{}", moto.port);
    let seeded = aws_env(
        &mut Command::new(root().join(".venv-moto/bin/python")),
        &endpoint,
    )
    .current_dir(root())
    .arg("scripts/bench-seed.py")
    .arg(work.path())
    .status()
    .unwrap();
    assert!(seeded.success());

    let mut times = Vec::new();
    for (label, delay) in [
        ("moto", Duration::ZERO),
        ("moto + 50 ms per request", LATENCY),
    ] {
        for (case, file) in [
            ("10 racks / 1 region", "small.toml"),
            ("500 racks / 5 regions", "medium.toml"),
            ("500 local-template racks / 5 regions", "medium-local.toml"),
            ("1,000 racks / 5 regions", "large.toml"),
        ] {
            let proxy = FaultProxy::start(
                moto.port,
                Faults {
                    delay,
                    ..Faults::default()
                },
            );
            // A cold cache first (the first plan on a machine), then the best of 3 with it warm.
            let cache = tempfile::tempdir().unwrap();
            let path = work.path().join(file);
            let first = plan(&path, &proxy.endpoint(), cache.path());
            let after_first = proxy.requests_by_action();
            let elapsed = (0..3)
                .map(|_| plan(&path, &proxy.endpoint(), cache.path()))
                .min()
                .unwrap();
            let warm = calls_since(&proxy.requests_by_action(), &after_first);
            println!(
                "{label:>26}: plan of {case:<38} first {:>6.0} ms, {}; then {:>6.0} ms, {}",
                first.as_secs_f64() * 1000.0,
                describe(&after_first, 1),
                elapsed.as_secs_f64() * 1000.0,
                describe(&warm, 3),
            );
            if file != "medium-local.toml" {
                times.push(elapsed);
            }
        }
        let ratio = times[times.len() - 1].as_secs_f64() / times[times.len() - 3].as_secs_f64();
        println!("{label:>26}: ratio of 1,000 racks to 10: {ratio:.1}x");
    }
}
