//! The one harness of the in-process tests against the strict in-memory fake (`FakeAws`, on tokio's paused
//! clock): an account, racks.toml in a temporary directory, and `apply` and `plan` run in process with their
//! output captured. Each module adds only what its concern needs (its templates, its racks).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rackfile::apply::{OnTimeout, Timings};
use rackfile::cli::commands::apply::{ApplyOptions, ApplySource, run};
use rackfile::cli::commands::console::Console;
use rackfile::cloud::{Stack, TemplateSource};
use rackfile::error::Error;
use rackfile::outcome::Outcome;
use rackfile::plan::{Plan, PlanInputs, make_plan};
use rackfile::render::RenderError as _;
use rackfile::render::Style;
use rackfile_fake::{FakeAws, FakeTemplate};

pub(crate) const ACCOUNT: &str = "123456789012";
pub(crate) const REGION: &str = "us-east-1";
pub(crate) const TEMPLATE_URL: &str = "https://templates.example.com/rack.json";
/// A small rack: what `FakeTemplate::rack` creates one resource after another.
pub(crate) const RACK_RESOURCES: [(&str, &str); 3] = [
    ("Vpc", "AWS::EC2::VPC"),
    ("Subnet0", "AWS::EC2::Subnet"),
    ("Cluster", "AWS::ECS::Cluster"),
];

pub(crate) struct Harness {
    pub(crate) fake: FakeAws,
    pub(crate) dir: tempfile::TempDir,
}

impl Harness {
    /// A fake whose resources each take `resource_time`, with `ACCOUNT` behind the default credentials.
    pub(crate) fn new(resource_time: Duration) -> Self {
        let fake = FakeAws::new(resource_time);
        fake.add_account(None, ACCOUNT);
        Harness {
            fake,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// As `new`, with a rack template of `resources` published at `TEMPLATE_URL`.
    pub(crate) fn with_rack_template(resource_time: Duration, resources: &[(&str, &str)]) -> Self {
        let harness = Self::new(resource_time);
        harness.fake.add_template(
            TemplateSource::Url(TEMPLATE_URL.into()),
            FakeTemplate::rack(resources),
        );
        harness
    }

    pub(crate) fn racks_file(&self) -> PathBuf {
        self.dir.path().join("racks.toml")
    }

    /// racks.toml: `[defaults]` of org `personal` in `REGION` plus `defaults` (e.g. the version), the org
    /// guarded by `ACCOUNT`, then `racks` as written.
    pub(crate) fn declare(&self, defaults: &str, racks: &str) {
        std::fs::write(
            self.racks_file(),
            format!(
                "[defaults]\norg = \"personal\"\nregion = \"{REGION}\"\n{defaults}\n\
                 [org.personal]\naccount_id = \"{ACCOUNT}\"\n{racks}"
            ),
        )
        .unwrap();
    }

    /// Approved, ten racks at a time, polling every 10 to 20 ms, no heartbeat, no timeout.
    pub(crate) fn options(&self) -> ApplyOptions {
        ApplyOptions {
            source: ApplySource::Config(self.racks_file()),
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
                first_poll: Duration::from_millis(10),
                max_poll: Duration::from_millis(20),
                heartbeat: Duration::from_secs(3600),
                timeout: None,
                on_timeout: OnTimeout::Detach,
            },
        }
    }

    /// Runs apply with `console`; its result and everything it printed.
    pub(crate) async fn run(
        &self,
        options: &ApplyOptions,
        console: (Console, Buffer),
        cancel: tokio::sync::watch::Receiver<u8>,
    ) -> (Result<Outcome, Error>, String) {
        let (mut console, buffer) = console;
        let result = run(options, &self.fake, &mut console, cancel).await;
        (result, buffer.text())
    }

    /// Runs apply, never interrupted; its exit code and output, an error rendered after it as `main` does.
    pub(crate) async fn apply(&self, options: &ApplyOptions) -> (i32, String) {
        let (_sender, cancel) = tokio::sync::watch::channel(0);
        match self.run(options, console(), cancel).await {
            (Ok(outcome), text) => (outcome.exit_code(), text),
            (Err(error), text) => (error.exit_code(), format!("{text}{}", error.render())),
        }
    }

    /// The plan of every rack, as `rackfile plan` makes it (no environment, no template cache).
    pub(crate) async fn plan(&self) -> Plan {
        let config = rackfile::config::load(&self.racks_file()).unwrap();
        let inputs = PlanInputs {
            env: &|_| None,
            cache: None,
            change_sets: Default::default(),
        };
        make_plan(&config, &[], false, &self.fake, inputs)
            .await
            .unwrap_or_else(|error| panic!("{error:?}"))
    }

    /// A live rack `name` built from `template` with `parameters`, tagged as Convox tags its racks, as
    /// another tool (or an earlier rackfile) left it; returns once the fake has finished creating it.
    pub(crate) async fn seed_rack(
        &self,
        name: &str,
        template: TemplateSource,
        parameters: &[(&str, &str)],
    ) {
        self.fake
            .seed_convox_rack(ACCOUNT, REGION, name, template, parameters)
            .await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    pub(crate) fn stack(&self, name: &str) -> Option<Stack> {
        self.fake.stack(ACCOUNT, REGION, name)
    }
}

/// What a console printed.
pub(crate) struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Buffer {
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// A console that is not a terminal (plain lines, no prompt answered), and what it printed.
pub(crate) fn console() -> (Console, Buffer) {
    let bytes = Arc::new(Mutex::new(Vec::new()));
    let console = Console {
        out: bytes.clone(),
        interactive: false,
        bars: false,
        style: Style::Plain,
        read_answer: Box::new(|| None),
        env: Box::new(|_| None),
        passwords: Default::default(),
    };
    (console, Buffer(bytes))
}
