//! Wall time of `apply` for 1 vs 8 independent racks against a slowed CloudFormation (the in-memory fake,
//! each rack four resources of 250 ms: about 1 s). DESIGN.md section 7: N racks take about the time of the
//! slowest one, not the sum.
//!
//!     cargo bench --bench apply

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rackfile::apply::Timings;
use rackfile::cloud::TemplateSource;
use rackfile::cloud::fake::{FakeAws, FakeTemplate};
use rackfile::commands::apply::{ApplyOptions, ApplySource, Console, run};
use rackfile::render::Style;

const URL: &str = "https://templates.example.com/rack.json";

async fn apply(racks: usize) -> Duration {
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
        auto_approve: true,
        recover: false,
        allow_uninstall: false,
        parallelism: 10,
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
    };
    let (_sender, cancel) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let code = run(&options, &fake, &mut console, cancel).await.unwrap();
    assert_eq!(code, 0);
    started.elapsed()
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let one = runtime.block_on(apply(1));
    let eight = runtime.block_on(apply(8));
    println!("apply of 1 rack:  {:.2} s", one.as_secs_f64());
    println!(
        "apply of 8 racks: {:.2} s ({:.2}x the time of one)",
        eight.as_secs_f64(),
        eight.as_secs_f64() / one.as_secs_f64()
    );
}
