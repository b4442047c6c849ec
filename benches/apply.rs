//! Wall time of `apply` for 1 vs 8 independent racks against a slowed CloudFormation (the in-memory fake,
//! each rack four resources of 250 ms: about 1 s). DESIGN.md section 7: N racks take about the time of the
//! slowest one, not the sum. Also the describe calls spent following installs in progress, per rack and
//! per poll, for 10 and 50 racks (DESIGN.md section 7: at most one call per rack per poll interval).
//!
//!     cargo bench --bench apply

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rackfile::apply::Timings;
use rackfile::cli::commands::apply::{ApplyOptions, ApplySource, run};
use rackfile::cli::commands::console::Console;
use rackfile::cloud::TemplateSource;
use rackfile::render::Style;
use rackfile_fake::{FakeAws, FakeTemplate};

const URL: &str = "https://templates.example.com/rack.json";

struct Run {
    elapsed: Duration,
    describe_stacks: usize,
    describe_events: usize,
}

async fn apply(racks: usize) -> Run {
    let fake = FakeAws::new(Duration::from_millis(250));
    fake.add_account(None, "123456789012");
    fake.add_template(
        TemplateSource::Url(URL.into()),
        FakeTemplate::rack(&[
            ("Vpc", "AWS::EC2::VPC"),
            ("Subnet0", "AWS::EC2::Subnet"),
            ("Cluster", "AWS::ECS::Cluster"),
            ("LogGroup", "AWS::Logs::LogGroup"),
        ]),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut file = String::from(
        "[defaults]\norg = \"bench\"\nregion = \"us-east-1\"\nversion = \"1\"\n[org.bench]\n",
    );
    for i in 0..racks {
        file.push_str(&format!(
            "[[rack]]\nname = \"rack{i}\"\ntemplate_url = \"{URL}\"\n"
        ));
    }
    std::fs::write(dir.path().join("racks.toml"), file).unwrap();
    let options = ApplyOptions {
        source: ApplySource::Config(dir.path().join("racks.toml")),
        targets: Vec::new(),
        auto_approve: Some(rackfile::cli::options::Approval::All),
        recover: false,
        skip: Vec::new(),
        allow_uninstall: false,
        json: false,
        parallelism: 10,
        wave: None,
        drift: false,
        timings: Timings {
            first_poll: Duration::from_millis(50),
            max_poll: Duration::from_millis(100),
            ..Timings::default()
        },
    };
    let mut console = Console {
        out: Arc::new(Mutex::new(std::io::sink())),
        interactive: false,
        bars: false,
        style: Style::Plain,
        read_answer: Box::new(|| None),
        env: Box::new(|_| None),
        passwords: Default::default(),
    };
    let (_sender, cancel) = tokio::sync::watch::channel(0);
    let started = Instant::now();
    let outcome = run(&options, &fake, &mut console, cancel).await.unwrap();
    assert_eq!(outcome, rackfile::outcome::Outcome::Success);
    let calls = |operation: &str| {
        fake.calls()
            .iter()
            .filter(|call| call.operation == operation)
            .count()
    };
    Run {
        elapsed: started.elapsed(),
        describe_stacks: calls("DescribeStacks"),
        describe_events: calls("DescribeStackEvents"),
    }
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let one = runtime.block_on(apply(1)).elapsed;
    let eight = runtime.block_on(apply(8)).elapsed;
    println!("apply of 1 rack:  {:.2} s", one.as_secs_f64());
    println!(
        "apply of 8 racks: {:.2} s ({:.2}x the time of one)",
        eight.as_secs_f64(),
        eight.as_secs_f64() / one.as_secs_f64()
    );
    for racks in [10, 50] {
        let run = runtime.block_on(apply(racks));
        // Each poll reads the stack's events once; DescribeStacks beyond the sweep and the read before
        // each write is what the polling adds.
        let polls = run.describe_events as f64 / racks as f64;
        let calls = (run.describe_stacks + run.describe_events) as f64 / racks as f64;
        println!(
            "{racks} racks installing: {:.1} DescribeStacks + DescribeStackEvents calls per rack over {polls:.1} polls each ({:.2} calls per rack-poll, the sweep and the read before each write included)",
            calls,
            calls / polls
        );
    }
}
