//! A strict in-memory AWS for rackfile's tests and benches: CloudFormation and STS above all, with the
//! other services a rack's operations call (EC2, Service Quotas, CloudWatch alarms, SSM, S3, IAM, Auto
//! Scaling, EventBridge, DynamoDB, SNS, drift detection, change sets). It refuses what AWS refuses
//! (duplicate stacks, changes while a stack is in progress, missing or unknown parameters, UsePreviousValue
//! for a parameter the stack does not have, ...) and plays operations out in real time on tokio's clock, one
//! resource after another, with per-resource events, failures and rollbacks, so progress, waiting and
//! timeouts can be tested. `tests/contract.rs` pins every refusal and promise.
//!
//! A crate of its own, a dev-dependency of rackfile: test support never built into the shipped binary.
//! This file holds the world the services share; each service, and each kind of stack operation, has its
//! own file: `cloud` (the `Cloud` trait, reads), `stack_writes` (create, update, delete), `rollbacks`
//! (continue, cancel), `playback` (an operation played out over time), `checks` (what a write is refused
//! for), `change_sets`, `drift`, `ec2`, `alarms`, `connector` (STS, IAM, SSM, S3), `rack_services`, and
//! `knobs` (what tests arrange and inspect).

mod alarms;
mod change_sets;
mod checks;
mod cloud;
mod connector;
mod drift;
mod ec2;
mod knobs;
mod playback;
mod rack_services;
mod rollbacks;
mod stack_writes;
mod template;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

// Operations play out on tokio's clock, so tests on a paused clock run them instantly and the same way
// every time.
use tokio::time::Instant;

use rackfile::cloud::{
    AlarmState, CloudError, CloudErrorKind, CreateStackRequest, ResourceChange, Stack, StackEvent,
    StackStatus, TemplateSource,
};

pub use change_sets::CHANGE_SET_TIME;
pub use drift::physical_id;
pub use ec2::DEFAULT_EC2_QUOTA;
pub use playback::ROLLING_UPDATE_REASON;
pub use rack_services::RackServiceWrite;
pub use template::FakeTemplate;

/// One call made to the fake, for tests that count or order calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub operation: &'static str,
    pub account: String,
    pub region: String,
    /// When it arrived, on tokio's clock: tests of polling read the gaps between calls.
    pub at: Instant,
}

#[derive(Default)]
struct World {
    /// profile (None: default chain) -> account.
    accounts: HashMap<Option<String>, String>,
    templates: HashMap<TemplateSource, FakeTemplate>,
    /// (bucket, key) -> body, for S3 GetObject.
    objects: HashMap<(String, String), String>,
    /// (account, region, name) -> (type, value), for SSM Parameter Store.
    ssm: HashMap<(String, String, String), (String, String)>,
    stacks: HashMap<(String, String), BTreeMap<String, FakeStack>>,
    /// (stack name, logical id) that fail when created or updated.
    failing: HashSet<(String, String)>,
    /// (stack name, logical id) -> how much longer than `resource_time` the resource takes; such a resource
    /// shows its *_IN_PROGRESS event when it starts, so a stall can be seen.
    slow: HashMap<(String, String), Duration>,
    /// Stacks whose next create or update is carried out but its answer lost, so the caller sees what a
    /// retry of the same request meets: AlreadyExists, or a stack busy updating.
    lost_answers: HashSet<String>,
    /// (stack name, logical id) that fail to roll back: each ContinueUpdateRollback that does not skip them
    /// fails again (`FakeAws::fail_rollback`).
    rollback_failing: HashSet<(String, String)>,
    /// ContinueUpdateRollback's ResourcesToSkip, per call, for tests to inspect.
    skipped: Vec<(String, Vec<String>)>,
    /// Stacks whose update completes just before a CancelUpdateStack arrives, which AWS then refuses.
    finished_before_cancel: HashSet<String>,
    calls: Vec<Call>,
    updates: Vec<UpdateSeen>,
    creates: Vec<CreateStackRequest>,
    /// (account, region, alarm) -> the states it takes, each from a time on tokio's clock, in order.
    alarms: HashMap<(String, String, String), Vec<(Instant, AlarmState)>>,
    /// (account, region) where the credentials may not read alarms.
    alarms_denied: HashSet<(String, String)>,
    stack_serial: usize,
    /// (account, region, export) -> the stacks importing it, for ListImports.
    imports: HashMap<(String, String, String), Vec<String>>,
    /// (region, instance type) -> the zones offering it; a type the fake knows and that is not here is
    /// offered in every zone of the region.
    offerings: HashMap<(String, String), Vec<String>>,
    /// (account, region, quota code) -> its value; `DEFAULT_EC2_QUOTA` otherwise.
    quotas: HashMap<(String, String, String), f64>,
    /// Operations refused with AccessDenied, as for a role without the permission.
    denied: HashSet<&'static str>,
    /// (account, region, write) of Auto Scaling, EventBridge, DynamoDB and SNS, in order.
    rack_service_writes: Vec<(String, String, RackServiceWrite)>,
    drift: drift::DriftWorld,
    /// Change sets, by (account, region) and then (stack, name).
    change_sets: HashMap<(String, String), BTreeMap<(String, String), change_sets::FakeChangeSet>>,
    /// stack name -> the Modify changes its change sets report (see `FakeAws::script_change_set`).
    change_set_scripts: HashMap<String, Vec<ResourceChange>>,
    /// Stacks whose change sets find nothing to change (`FakeAws::change_sets_find_nothing`).
    change_sets_find_nothing: HashSet<String>,
    /// IAM roles: ARN -> trust policy (JSON).
    iam_roles: HashMap<String, String>,
    /// What SimulatePrincipalPolicy denies; `None`: the call itself is refused (AccessDenied).
    simulation: Option<Vec<String>>,
    /// Every write's RoleARN, in order.
    roles: Vec<RoleSeen>,
}

/// A write the fake received and the RoleARN it carried, so tests can tell that every write of a rack
/// passes its service role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSeen {
    pub operation: &'static str,
    pub stack: String,
    pub role_arn: Option<String>,
}

/// An UpdateStack the fake received, with the stack's status when it arrived, so tests can tell that
/// updates were sent one after another's completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateSeen {
    pub stack: String,
    pub template: TemplateSource,
    pub version: Option<String>,
    pub status_before: StackStatus,
}

impl World {
    /// A registered template, or the error CloudFormation gives for a template it cannot read.
    fn template(&self, source: &TemplateSource) -> Result<&FakeTemplate, CloudError> {
        self.templates
            .get(source)
            .ok_or_else(|| validation("Template format error: template not found"))
    }
}

struct FakeStack {
    stack: Stack,
    template: TemplateSource,
    /// The resources of its template, for a deletion or a rollback to go through.
    resources: Vec<(String, String)>,
    events: Vec<StackEvent>,
    operation: Option<Operation>,
    /// The ClientRequestToken of the last create or update, carried by the events it causes.
    token: Option<String>,
    /// The stack policy, as CreateStack, UpdateStack or SetStackPolicy last set it.
    policy: Option<String>,
}

struct Operation {
    kind: OperationKind,
    started: Instant,
    resources: Vec<(String, String)>,
    /// Index of the resource that fails, if any.
    fails_at: Option<usize>,
    /// What the stack returns to if the operation rolls back.
    previous: Option<(Stack, TemplateSource)>,
    emitted: usize,
    /// How much longer than `resource_time` each resource takes (missing: none).
    extra: Vec<Duration>,
    /// The resource whose *_IN_PROGRESS event has been shown before it completes (a slow one).
    announced: Option<usize>,
    /// Played to its end at the next look, whatever the time (`FakeAws::finish_before_cancel`).
    hurried: bool,
    /// CreateStack's TimeoutInMinutes: a create still running then fails and rolls back.
    timeout: Option<Duration>,
    /// Whether it failed by `timeout`.
    timed_out: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum OperationKind {
    Create,
    Update,
    Delete,
    /// ContinueUpdateRollback: the resources are rolled back again, then UPDATE_ROLLBACK_COMPLETE.
    ContinueRollback,
    /// CancelUpdateStack: the resources the update reached are rolled back, then UPDATE_ROLLBACK_COMPLETE.
    CancelRollback,
}

/// The fake AWS: a connector for rackfile and handles for tests to arrange and inspect the world.
#[derive(Clone)]
pub struct FakeAws {
    world: Arc<Mutex<World>>,
    /// How long each resource takes to create or update.
    pub resource_time: Duration,
    event_serial: Arc<AtomicUsize>,
    /// Tells this world's StackIds from another's in the same process, as AWS's are unique.
    world_id: usize,
}

static NEXT_WORLD_ID: AtomicUsize = AtomicUsize::new(0);

impl FakeAws {
    pub fn new(resource_time: Duration) -> Self {
        Self {
            world: Arc::new(Mutex::new(World::default())),
            resource_time,
            event_serial: Arc::new(AtomicUsize::new(0)),
            world_id: NEXT_WORLD_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn cloud_for(&self, account: &str, region: &str) -> FakeCloud {
        FakeCloud {
            aws: self.clone(),
            account: account.to_string(),
            region: region.to_string(),
        }
    }
}

/// The fake CloudFormation of one account and region.
pub struct FakeCloud {
    aws: FakeAws,
    account: String,
    region: String,
}

fn validation(message: impl Into<String>) -> CloudError {
    CloudError::new(
        CloudErrorKind::Validation,
        format!("ValidationError: {}", message.into()),
    )
}

/// The time on tokio's clock, as a wall-clock time: the system time when the fake first told one, moved on
/// by as much as tokio's clock has since (which a paused test clock moves at will).
fn now() -> SystemTime {
    static START: std::sync::OnceLock<(SystemTime, Instant)> = std::sync::OnceLock::new();
    let (system, instant) = *START.get_or_init(|| (SystemTime::now(), Instant::now()));
    system + Instant::now().saturating_duration_since(instant)
}

fn now_text() -> String {
    // RFC 3339, as AWS reports times: the code that reads them has no case for the fake.
    aws_smithy_types::DateTime::from(now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}
