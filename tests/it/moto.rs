//! The moto harness: a pool of moto servers per test process, one per test thread the machine runs at once,
//! each started through scripts/moto (which installs the pinned version if it is missing) when first needed
//! and reset before each test that uses it. A test holds a `MotoSession`, which is the exclusive use of one
//! server: a moto server is one shared world (its accounts are the ones the tests' profiles reach), and a
//! reset would pull the floor out from under a test running beside it. Tests on different servers run at
//! the same time.
//!
//! A moto that cannot be installed or started fails the test, in CI and everywhere else: never a skip.

use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::common::repo_root;

/// Account of the `personal` profile (moto's default account).
pub const PERSONAL_ACCOUNT: &str = "123456789012";
/// Account the `work` profile assumes a role in.
pub const WORK_ACCOUNT: &str = "210987654321";

/// racks.toml defaults and the two orgs the session's AWS profiles reach, with their account guards.
pub const TWO_ORGS: &str = r#"
[defaults]
org = "personal"
region = "us-east-1"
version = "20161102160040"

[org.personal]
profile = "personal"
account_id = "123456789012"

[org.work]
profile = "work"
account_id = "210987654321"
"#;

struct Server {
    port: u16,
    // Never waited on: scripts/moto stops the server itself when this test process exits.
    _script: std::process::Child,
    _dir: tempfile::TempDir,
}

/// The servers, each started on first use.
static SERVERS: OnceLock<Vec<OnceLock<Server>>> = OnceLock::new();
/// The indexes of the servers no session holds, and a signal for a test waiting for one.
static FREE: Mutex<Option<Vec<usize>>> = Mutex::new(None);
static RELEASED: Condvar = Condvar::new();

/// As many servers as tests run at once (libtest's threads), at most 4: more would only wait for the CPU.
fn pool_size() -> usize {
    std::env::var("RUST_TEST_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .clamp(1, 4)
}

/// Waits for a server no other session holds.
fn take_server() -> usize {
    let mut free = FREE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    loop {
        let slots = free.get_or_insert_with(|| (0..pool_size()).rev().collect());
        if let Some(slot) = slots.pop() {
            return slot;
        }
        free = RELEASED
            .wait(free)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
    }
}

// The panic path leaves the script running; it stops itself when the test process exits.
#[allow(clippy::zombie_processes)]
fn start() -> Server {
    let dir = tempfile::tempdir().expect("a temp dir for moto");
    let port_file = dir.path().join("port");
    let log = std::fs::File::create(dir.path().join("moto.log")).unwrap();
    // stdout to a file, not a pipe: a pipe held by the server would keep the test run from finishing.
    let script = Command::new(repo_root().join("scripts/moto"))
        .env("RACKFILE_MOTO_PARENT_PID", std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&port_file).unwrap())
        .stderr(log)
        .spawn()
        .expect("scripts/moto starts (it needs bash and python3)");
    // The first start installs moto into .venv-moto, which takes a while on a fresh machine.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let port = std::fs::read_to_string(&port_file).ok().and_then(|text| {
            text.lines()
                .next()
                .and_then(|line| line.trim().parse::<u16>().ok())
        });
        if let Some(port) = port
            && TcpStream::connect(("127.0.0.1", port)).is_ok()
        {
            return Server {
                port,
                _script: script,
                _dir: dir,
            };
        }
        if Instant::now() > deadline {
            let mut log = String::new();
            let _ = std::fs::File::open(dir.path().join("moto.log"))
                .and_then(|mut f| f.read_to_string(&mut log));
            panic!("moto did not start within 300 s; scripts/moto said:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Exclusive use of a freshly reset moto, with AWS profiles for two accounts.
pub struct MotoSession {
    slot: usize,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Drop for MotoSession {
    fn drop(&mut self) {
        let mut free = FREE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        free.get_or_insert_with(Vec::new).push(self.slot);
        RELEASED.notify_one();
    }
}

pub fn session() -> MotoSession {
    let slot = take_server();
    let servers = SERVERS.get_or_init(|| (0..pool_size()).map(|_| OnceLock::new()).collect());
    // A server that fails to start panics here, and the slot goes back with the session not yet made.
    let server =
        std::panic::catch_unwind(|| servers[slot].get_or_init(start)).unwrap_or_else(|panic| {
            let mut free = FREE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            free.get_or_insert_with(Vec::new).push(slot);
            RELEASED.notify_one();
            std::panic::resume_unwind(panic)
        });
    let session = MotoSession {
        slot,
        port: server.port,
        dir: tempfile::tempdir().unwrap(),
    };
    let (status, body) = post(session.port, "/moto-api/reset", "");
    assert!(status == 200, "moto reset failed: {status} {body}");
    std::fs::write(
        session.dir.path().join("aws-config"),
        "[profile personal]\nregion = us-east-1\n\n\
         [profile work]\nrole_arn = arn:aws:iam::210987654321:role/rackfile\nsource_profile = personal\n",
    )
    .unwrap();
    std::fs::write(
        session.dir.path().join("aws-credentials"),
        "[personal]\naws_access_key_id = AKIAPERSONAL\naws_secret_access_key = secret\n\n\
         [default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = secret\n",
    )
    .unwrap();
    session
}

impl MotoSession {
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The directory tests put racks.toml and templates in.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `rackfile` in a sealed environment pointed at this moto, run in the session's directory.
    pub fn rackfile(&self) -> Command {
        let mut command = crate::common::rackfile(self.path());
        command
            .env("AWS_ENDPOINT_URL", self.endpoint())
            .env("AWS_CONFIG_FILE", self.path().join("aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.path().join("aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true");
        command
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Runs Python with boto3 against this moto, as account `personal` unless the script says otherwise.
    /// `ENDPOINT` and `client(service, region, account)` are predefined. The script runs inside the moto
    /// server (scripts/moto-server.py), so no interpreter starts per call.
    pub fn python(&self, script: &str) -> String {
        let (status, body) = post(self.port, "/rackfile-test/python", script);
        assert!(status == 200, "python failed:\n{body}");
        body
    }

    /// One live parameter of a stack of account `personal` in us-east-1, as DescribeStacks shows it (moto,
    /// unlike AWS, does not mask NoEcho values, so this reads the Password too).
    pub fn live_parameter(&self, stack: &str, parameter: &str) -> String {
        self.python(&format!(
            "s = client('cloudformation').describe_stacks(StackName='{stack}')['Stacks'][0]\n\
             print({{p['ParameterKey']: p['ParameterValue'] for p in s['Parameters']}}['{parameter}'])\n"
        ))
        .trim()
        .to_string()
    }

    /// Puts a stack of `account` in us-east-1 in `status`, as moto never would by itself (a failed install left
    /// ROLLBACK_COMPLETE, UPDATE_ROLLBACK_FAILED), through scripts/moto-server.py's test route.
    pub fn set_stack_status(&self, name: &str, status: &str) {
        self.python(&format!(
            "import requests\n\
             r = requests.post(f'{{ENDPOINT}}/rackfile-test/stack-status', json={{'account': '{PERSONAL_ACCOUNT}', 'region': 'us-east-1', 'name': '{name}', 'status': '{status}'}})\n\
             r.raise_for_status()\n"
        ));
    }

    /// Publishes a template where Convox publishes releases, in moto's S3 for `account`, readable by
    /// anyone as Convox's bucket is, and appends the version to Convox's release list there (published,
    /// not required) if it is not listed yet.
    pub fn publish_template(&self, account: &str, version: &str, body: &str) {
        self.python(&format!(
            "s3 = client('s3', account='{account}')\n\
             try:\n    s3.create_bucket(Bucket='convox')\nexcept s3.exceptions.BucketAlreadyOwnedByYou:\n    pass\n\
             s3.put_object(Bucket='convox', Key='release/{version}/formation.json', Body={body:?}, ACL='public-read')\n\
             try:\n    listed = json.loads(s3.get_object(Bucket='convox', Key='release/versions.json')['Body'].read())\n\
             except s3.exceptions.NoSuchKey:\n    listed = []\n\
             if '{version}' not in [r['version'] for r in listed]:\n\
             \x20   listed.append({{'version': '{version}', 'description': '', 'published': True, 'required': False}})\n\
             s3.put_object(Bucket='convox', Key='release/versions.json', Body=json.dumps(listed), ACL='public-read')\n"
        ));
    }

    /// Replaces Convox's release list in moto's S3: `(version, published, required)` in release order.
    pub fn publish_releases(&self, releases: &[(&str, bool, bool)]) {
        let listed: Vec<String> = releases
            .iter()
            .map(|(version, published, required)| {
                format!(
                    "{{'version': '{version}', 'description': '', 'published': {}, 'required': {}}}",
                    python_bool(*published),
                    python_bool(*required)
                )
            })
            .collect();
        self.python(&format!(
            "s3 = client('s3')\n\
             try:\n    s3.create_bucket(Bucket='convox')\nexcept s3.exceptions.BucketAlreadyOwnedByYou:\n    pass\n\
             s3.put_object(Bucket='convox', Key='release/versions.json', Body=json.dumps([{}]), ACL='public-read')\n",
            listed.join(", ")
        ));
    }
}

fn python_bool(flag: bool) -> &'static str {
    if flag { "True" } else { "False" }
}

/// The example rack template.
pub fn rack_template() -> String {
    std::fs::read_to_string(repo_root().join("examples/templates/rack.yml")).unwrap()
}

/// A POST to the moto server on 127.0.0.1: (status code, body). Plain HTTP/1.1 over a socket: the tests need
/// no HTTP client for this.
pub fn post(port: u16, path: &str, body: &str) -> (u16, String) {
    use std::io::Write as _;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("moto listens");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}
