//! `rackfile plan` of every case of the corpus of Convox's real releases (tests/corpus, DESIGN.md section
//! 7: any release upgraded to the next is planned in under a second and 200 MB): each consecutive upgrade
//! and an InstanceType change on each release, in process against the fake, as tests/it/corpus.rs plans
//! them (that file builds the worlds). One plan reads the newer template from the fake's S3 and the live one
//! by GetTemplate, parses both, analyses the change and runs preflight. Then a summary: cases planned and
//! blocked, and the median and the slowest plan (best of 3 each).
//!
//!     cargo bench --bench corpus
//!     cargo bench --profile dev --bench corpus   # reuses the test build (here, a release build of the
//!                                                # bench started rebuilding the AWS SDK crates)
//!     /usr/bin/time -v target/debug/deps/corpus-HASH --bench --sample-count 3   # peak memory

#[path = "../tests/it/corpus.rs"]
#[allow(dead_code)]
mod corpus;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use corpus::{Release, cases, plan, world};
use rackfile::plan::Action;

fn releases() -> &'static [Release] {
    static CORPUS: OnceLock<Vec<Release>> = OnceLock::new();
    CORPUS.get_or_init(corpus::corpus)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
}

fn case_names() -> impl Iterator<Item = String> {
    cases(releases()).into_iter().map(|case| case.name())
}

#[divan::bench(args = case_names(), sample_count = 10, sample_size = 1)]
fn plan_case(bencher: divan::Bencher, name: &str) {
    let corpus = releases();
    let all = cases(corpus);
    let case = all.iter().find(|case| case.name() == name).unwrap();
    let runtime = runtime();
    let (fake, config) = runtime.block_on(world(corpus, case));
    bencher.bench_local(|| runtime.block_on(plan(&fake, &config)).unwrap());
}

/// Each case planned 3 times, its best time kept: how many plans, how many blocked and by what, and the
/// median and the slowest.
fn summary() {
    let corpus = releases();
    let runtime = runtime();
    let mut times = Vec::new();
    let mut blocked = Vec::new();
    for case in cases(corpus) {
        let (fake, config) = runtime.block_on(world(corpus, &case));
        let mut best = Duration::MAX;
        for _ in 0..3 {
            let started = Instant::now();
            let planned = runtime.block_on(plan(&fake, &config)).unwrap();
            best = best.min(started.elapsed());
            if let Action::Blocked(blocked_rack) = &planned.racks[0].action {
                blocked.push(format!("{}: {:?}", case.name(), blocked_rack.why));
            }
        }
        times.push((best, case.name()));
    }
    blocked.dedup();
    times.sort();
    let (median, _) = &times[times.len() / 2];
    let (slowest, which) = times.last().unwrap();
    println!(
        "corpus: {} releases, {} cases planned, {} blocked; plan time median {:.1} ms, max {:.1} ms ({which})",
        corpus.len(),
        times.len(),
        blocked.len(),
        median.as_secs_f64() * 1000.0,
        slowest.as_secs_f64() * 1000.0,
    );
    for line in blocked {
        println!("  blocked: {line}");
    }
}

fn main() {
    // `cargo test --all-targets` runs bench binaries without `--bench`; tests/it/corpus.rs plans every case.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("benches/corpus.rs: run it with `cargo bench --bench corpus`");
        return;
    }
    divan::main();
    summary();
}
