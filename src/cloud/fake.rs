//! A strict in-memory CloudFormation and STS for tests. It refuses what AWS refuses (duplicate stacks,
//! changes while a stack is in progress, missing or unknown parameters, UsePreviousValue for a parameter the
//! stack does not have) and plays operations out in real time, one resource after another, with
//! per-resource events, failures and rollbacks, so progress, waiting and timeouts can be tested.
//! Over 600 lines on purpose: it is test support, one trait impl mirroring `aws.rs` plus the knobs tests turn.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

// Operations play out on tokio's clock, so tests on a paused clock run them instantly and the same way
// every time.
use tokio::time::Instant;

use async_trait::async_trait;

use super::{
    AlarmState, Alarms, Cloud, CloudError, CloudErrorKind, Connector, CreateStackRequest,
    Declarations, ParameterValue, PutOutcome, S3Object, Secret, SsmParameter, Stack, StackEvent,
    StackState, StackStatus, TemplateParameter, TemplateSource, TemplateSummary, UpdateOutcome,
    UpdateStackRequest,
};
use crate::config::OrgSettings;

#[path = "fake_rack_services.rs"]
mod rack_services;
pub use rack_services::RackServiceWrite;
#[path = "fake_drift.rs"]
mod drift;
pub use drift::physical_id;
#[path = "fake_change_sets.rs"]
mod change_sets;

/// A template the fake knows: its parameters and its resources (logical id, type), in creation order.
#[derive(Debug, Clone, Default)]
pub struct FakeTemplate {
    pub parameters: BTreeMap<String, TemplateParameter>,
    pub resources: Vec<(String, String)>,
}

impl FakeTemplate {
    /// What GetTemplateSummary reports of it.
    fn summary(&self) -> TemplateSummary {
        TemplateSummary {
            parameters: self.parameters.clone(),
            resource_count: self.resources.len(),
            declarations: Declarations::SummaryOnly,
        }
    }

    /// A JSON body declaring its parameters and resources, as GetTemplate returns it.
    pub fn body(&self) -> String {
        let parameters: serde_json::Map<String, serde_json::Value> = self
            .parameters
            .iter()
            .map(|(name, p)| {
                let mut declared = serde_json::json!({"Type": p.kind});
                if let Some(default) = &p.default {
                    declared["Default"] = default.clone().into();
                }
                if p.no_echo {
                    declared["NoEcho"] = true.into();
                }
                (name.clone(), declared)
            })
            .collect();
        let resources: serde_json::Map<String, serde_json::Value> = self
            .resources
            .iter()
            .map(|(id, kind)| (id.clone(), serde_json::json!({"Type": kind})))
            .collect();
        serde_json::json!({"Parameters": parameters, "Resources": resources}).to_string()
    }

    /// The Convox-shaped template the tests use: the rack parameters, Password NoEcho and required.
    pub fn rack(resources: &[(&str, &str)]) -> Self {
        let mut parameters = BTreeMap::new();
        for (name, default) in [
            ("Ami", Some("")),
            ("Autoscale", Some("No")),
            ("InstanceCount", Some("3")),
            ("InstanceType", Some("t2.small")),
            ("Key", Some("")),
            ("Private", Some("No")),
            ("Version", None),
        ] {
            parameters.insert(
                name.to_string(),
                TemplateParameter {
                    kind: "String".into(),
                    default: default.map(str::to_string),
                    ..TemplateParameter::default()
                },
            );
        }
        parameters.insert(
            "Password".into(),
            TemplateParameter {
                kind: "String".into(),
                no_echo: true,
                ..TemplateParameter::default()
            },
        );
        Self {
            parameters,
            resources: resources
                .iter()
                .map(|(id, kind)| (id.to_string(), kind.to_string()))
                .collect(),
        }
    }
}

/// One call made to the fake, for tests that count or order calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub operation: &'static str,
    pub account: String,
    pub region: String,
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
    change_set_scripts: HashMap<String, Vec<super::ResourceChange>>,
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

/// The instance types the fake's EC2 knows, with their vCPUs; any other is unknown to it, as a made-up
/// type is to AWS.
const INSTANCE_TYPES: &[(&str, u32)] = &[
    ("t2.small", 1),
    ("t2.medium", 2),
    ("t3.small", 2),
    ("t3.medium", 2),
    ("t3.large", 2),
    ("m5.large", 2),
    ("m5.xlarge", 4),
    ("c5.xlarge", 4),
    ("p3.2xlarge", 8),
];

/// An EC2 vCPU quota no test plan reaches unless it sets a smaller one.
pub const DEFAULT_EC2_QUOTA: f64 = 256.0;

/// The zones of a region in the fake: a, b and c.
fn zones_of(region: &str) -> Vec<String> {
    ["a", "b", "c"]
        .iter()
        .map(|letter| format!("{region}{letter}"))
        .collect()
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

    /// Credentials of `profile` (None: the default chain) belong to `account`.
    pub fn add_account(&self, profile: Option<&str>, account: &str) {
        self.world()
            .accounts
            .insert(profile.map(str::to_string), account.to_string());
    }

    pub fn add_template(&self, source: TemplateSource, template: FakeTemplate) {
        self.world().templates.insert(source, template);
    }

    /// Puts an object in the fake S3, e.g. a template under Convox's release URL.
    pub fn add_s3_object(&self, bucket: &str, key: &str, body: &str) {
        self.world()
            .objects
            .insert((bucket.to_string(), key.to_string()), body.to_string());
    }

    /// Starts the install of a rack as Convox (or an earlier rackfile) leaves one: tagged `System=convox`,
    /// `Type=rack`, built from `template` with `parameters`. The fake plays the create out on tokio's clock.
    pub async fn seed_convox_rack(
        &self,
        account: &str,
        region: &str,
        name: &str,
        template: TemplateSource,
        parameters: &[(&str, &str)],
    ) {
        let pairs = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        self.cloud_for(account, region)
            .create_stack(&CreateStackRequest {
                name: name.into(),
                template,
                parameters: pairs(parameters),
                tags: pairs(&[("System", "convox"), ("Type", "rack")]),
                termination_protection: false,
                timeout_minutes: None,
                role_arn: None,
                options: Default::default(),
                token: format!("seed-{name}"),
            })
            .await
            .expect("the fake creates a seeded rack");
    }

    /// Puts a parameter in the fake SSM Parameter Store.
    pub fn add_ssm_parameter(
        &self,
        account: &str,
        region: &str,
        name: &str,
        kind: &str,
        value: &str,
    ) {
        self.world().ssm.insert(
            (account.to_string(), region.to_string(), name.to_string()),
            (kind.to_string(), value.to_string()),
        );
    }

    /// An SSM parameter's (type, value), as a test inspects it.
    pub fn ssm_parameter_value(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Option<(String, String)> {
        self.world()
            .ssm
            .get(&(account.to_string(), region.to_string(), name.to_string()))
            .cloned()
    }

    /// Carries out the next create or update of stack `name` but loses the answer (see `World::lost_answers`).
    pub fn lose_next_answer(&self, name: &str) {
        self.world().lost_answers.insert(name.to_string());
    }

    /// Puts a stack in `status` with nothing running, a state the fake reaches no other way (e.g. a
    /// deletion started by someone else).
    pub fn set_status(
        &self,
        account: &str,
        region: &str,
        name: &str,
        status: impl Into<StackStatus>,
    ) {
        if let Some(stack) = self
            .world()
            .stacks
            .get_mut(&(account.to_string(), region.to_string()))
            .and_then(|stacks| stacks.get_mut(name))
        {
            stack.operation = None;
            stack.stack.status = status.into();
        }
    }

    /// Replaces a stack's tags, as someone re-tagging it in the console would (CloudFormation re-tags through
    /// an update; the fake needs no template for it).
    pub fn set_tags(&self, account: &str, region: &str, name: &str, tags: &[(&str, &str)]) {
        if let Some(stack) = self
            .world()
            .stacks
            .get_mut(&(account.to_string(), region.to_string()))
            .and_then(|stacks| stacks.get_mut(name))
        {
            stack.stack.tags = tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        }
    }

    /// Makes resource `logical_id` of stack `name` fail, so the operation rolls back.
    pub fn fail_resource(&self, name: &str, logical_id: &str) {
        self.world()
            .failing
            .insert((name.to_string(), logical_id.to_string()));
    }

    /// Leaves stack `name` (settled) UPDATE_ROLLBACK_FAILED because resource `logical_id` could not be rolled
    /// back, with the events CloudFormation writes; every ContinueUpdateRollback that does not skip it fails
    /// on it again, as a resource that cannot return to its old state does.
    pub fn fail_rollback(&self, account: &str, region: &str, name: &str, logical_id: &str) {
        let serial = self.event_serial.clone();
        let resource_time = self.resource_time;
        let mut world = self.world();
        world
            .rollback_failing
            .insert((name.to_string(), logical_id.to_string()));
        let Some(stack) = world
            .stacks
            .get_mut(&(account.to_string(), region.to_string()))
            .and_then(|stacks| stacks.get_mut(name))
        else {
            return;
        };
        advance(stack, resource_time, &serial);
        let resource_type = stack
            .resources
            .iter()
            .find(|(id, _)| id == logical_id)
            .map_or_else(
                || "AWS::CloudFormation::CustomResource".to_string(),
                |(_, kind)| kind.clone(),
            );
        stack.operation = None;
        push_event(
            stack,
            logical_id,
            &resource_type,
            None,
            "UPDATE_FAILED",
            Some("Resource failed to roll back: the fake was told to fail it"),
            &serial,
        );
        stack.stack.status = StackStatus::UpdateRollbackFailed;
        push_stack_event(
            stack,
            &StackStatus::UpdateRollbackFailed,
            Some(&format!(
                "The following resource(s) failed to update: [{logical_id}]."
            )),
            &serial,
        );
    }

    /// The ResourcesToSkip of each ContinueUpdateRollback, in order: (stack, logical ids).
    pub fn skipped(&self) -> Vec<(String, Vec<String>)> {
        self.world().skipped.clone()
    }

    /// Makes resource `logical_id` of stack `name` take `extra` longer than the others when created or
    /// updated, its *_IN_PROGRESS event shown when it starts (an ECS service that does not stabilise).
    pub fn slow_resource(&self, name: &str, logical_id: &str, extra: Duration) {
        self.world()
            .slow
            .insert((name.to_string(), logical_id.to_string()), extra);
    }

    /// Makes the running update of stack `name` complete just before the next CancelUpdateStack arrives:
    /// the race AWS answers by refusing the cancel.
    pub fn finish_before_cancel(&self, name: &str) {
        self.world().finished_before_cancel.insert(name.to_string());
    }

    /// Every CreateStack the fake received, in order.
    pub fn creates(&self) -> Vec<CreateStackRequest> {
        self.world().creates.clone()
    }

    /// Stack `importer` imports `export` (in `account` and `region`), as ListImports reports it.
    pub fn add_import(&self, account: &str, region: &str, export: &str, importer: &str) {
        self.world()
            .imports
            .entry((account.to_string(), region.to_string(), export.to_string()))
            .or_default()
            .push(importer.to_string());
    }

    /// `instance_type` is offered only in these zones of `region`.
    pub fn set_offering(&self, region: &str, instance_type: &str, zones: &[&str]) {
        self.world().offerings.insert(
            (region.to_string(), instance_type.to_string()),
            zones.iter().map(|zone| zone.to_string()).collect(),
        );
    }

    /// Sets an EC2 quota (Service Quotas' value) of an account in a region.
    pub fn set_ec2_quota(&self, account: &str, region: &str, code: &str, value: f64) {
        self.world().quotas.insert(
            (account.to_string(), region.to_string(), code.to_string()),
            value,
        );
    }

    /// An IAM role with its trust policy.
    pub fn add_role(&self, arn: &str, trust_policy: &str) {
        self.world()
            .iam_roles
            .insert(arn.to_string(), trust_policy.to_string());
    }

    /// SimulatePrincipalPolicy answers, denying `denied` (it is refused until this is called).
    pub fn allow_simulation(&self, denied: &[&str]) {
        self.world().simulation = Some(denied.iter().map(|a| a.to_string()).collect());
    }

    /// Refuses every call of `operation` (e.g. "ListImports") with AccessDenied.
    pub fn deny(&self, operation: &'static str) {
        self.world().denied.insert(operation);
    }

    /// A CloudWatch alarm in `state` from now on.
    pub fn add_alarm(&self, account: &str, region: &str, name: &str, state: AlarmState) {
        self.set_alarm_state_after(account, region, name, state, Duration::ZERO);
    }

    /// The alarm goes to `state` once `after` has passed on tokio's clock (instantly on a paused clock
    /// that a test advances), as SetAlarmState or a breached metric would put it.
    pub fn set_alarm_state_after(
        &self,
        account: &str,
        region: &str,
        name: &str,
        state: AlarmState,
        after: Duration,
    ) {
        let mut world = self.world();
        let timeline = world
            .alarms
            .entry((account.to_string(), region.to_string(), name.to_string()))
            .or_default();
        timeline.push((Instant::now() + after, state));
        timeline.sort_by_key(|(from, _)| *from);
    }

    /// The credentials of `account` may not call DescribeAlarms in `region`.
    pub fn deny_alarms(&self, account: &str, region: &str) {
        self.world()
            .alarms_denied
            .insert((account.to_string(), region.to_string()));
    }

    /// Undoes `fail_resource`: the resource is created and updated as any other again.
    pub fn heal_resource(&self, name: &str, logical_id: &str) {
        self.world()
            .failing
            .remove(&(name.to_string(), logical_id.to_string()));
    }

    /// What the fake's Auto Scaling, EventBridge, DynamoDB and SNS were asked to do in an account and
    /// region, in order.
    pub fn rack_service_writes(&self, account: &str, region: &str) -> Vec<RackServiceWrite> {
        self.world()
            .rack_service_writes
            .iter()
            .filter(|(a, r, _)| a == account && r == region)
            .map(|(_, _, write)| write.clone())
            .collect()
    }

    /// The physical id the fake gives a resource of a stack (see `fake_rack_services`).
    pub fn physical_id(
        &self,
        account: &str,
        region: &str,
        stack: &str,
        logical_id: &str,
    ) -> String {
        let world = self.world();
        let kind = world
            .stacks
            .get(&(account.to_string(), region.to_string()))
            .and_then(|stacks| stacks.get(stack))
            .and_then(|stack| stack.resources.iter().find(|(id, _)| id == logical_id))
            .map(|(_, kind)| kind.clone())
            .unwrap_or_default();
        rack_services::fake_physical_id(account, region, stack, logical_id, &kind)
    }

    pub fn calls(&self) -> Vec<Call> {
        self.world().calls.clone()
    }

    pub fn updates(&self) -> Vec<UpdateSeen> {
        self.world().updates.clone()
    }

    /// Every CreateStack, UpdateStack, DeleteStack and ContinueUpdateRollback, with its RoleARN.
    pub fn roles(&self) -> Vec<RoleSeen> {
        self.world().roles.clone()
    }

    /// The stack as DescribeStacks would show it now.
    pub fn stack(&self, account: &str, region: &str, name: &str) -> Option<Stack> {
        let mut world = self.world();
        let stack = world
            .stacks
            .get_mut(&(account.to_string(), region.to_string()))?
            .get_mut(name)?;
        advance(stack, self.resource_time, &self.event_serial);
        Some(stack.stack.clone()).filter(|stack| stack.state() != StackState::Deleted)
    }

    /// The stack's policy, as the last CreateStack, UpdateStack or SetStackPolicy set it.
    pub fn stack_policy(&self, account: &str, region: &str, name: &str) -> Option<String> {
        self.world()
            .stacks
            .get(&(account.to_string(), region.to_string()))?
            .get(name)?
            .policy
            .clone()
    }

    pub fn cloud_for(&self, account: &str, region: &str) -> FakeCloud {
        FakeCloud {
            aws: self.clone(),
            account: account.to_string(),
            region: region.to_string(),
        }
    }
}

#[async_trait]
impl Connector for FakeAws {
    async fn account_id(&self, org: &OrgSettings, region: &str) -> Result<String, CloudError> {
        let mut world = self.world();
        let account = world.accounts.get(&org.profile).cloned();
        world.calls.push(Call {
            operation: "GetCallerIdentity",
            account: account.clone().unwrap_or_default(),
            region: region.to_string(),
        });
        account.ok_or_else(|| {
            CloudError::new(
                CloudErrorKind::NoCredentials,
                format!("no credentials for profile {:?}", org.profile),
            )
        })
    }

    async fn cloud(&self, org: &OrgSettings, region: &str) -> Result<Arc<dyn Cloud>, CloudError> {
        let account = self
            .world()
            .accounts
            .get(&org.profile)
            .cloned()
            .ok_or_else(|| CloudError::new(CloudErrorKind::NoCredentials, "no credentials"))?;
        Ok(Arc::new(self.cloud_for(&account, region)))
    }

    async fn role_trust_policy(
        &self,
        _org: &OrgSettings,
        role_arn: &str,
    ) -> Result<Option<String>, CloudError> {
        let mut world = self.world();
        world.calls.push(Call {
            operation: "GetRole",
            account: String::new(),
            region: String::new(),
        });
        Ok(world.iam_roles.get(role_arn).cloned())
    }

    async fn denied_actions(
        &self,
        _org: &OrgSettings,
        statements: &[(Vec<String>, Vec<String>)],
    ) -> Result<Vec<String>, CloudError> {
        let mut world = self.world();
        world.calls.push(Call {
            operation: "SimulatePrincipalPolicy",
            account: String::new(),
            region: String::new(),
        });
        let denied = world.simulation.clone().ok_or_else(|| {
            CloudError::new(
                CloudErrorKind::AccessDenied,
                "AccessDenied: not authorized to perform: iam:SimulatePrincipalPolicy",
            )
        })?;
        Ok(statements
            .iter()
            .flat_map(|(actions, _)| actions)
            .filter(|action| denied.contains(action))
            .cloned()
            .collect())
    }

    async fn alarms(&self, org: &OrgSettings, region: &str) -> Result<Arc<dyn Alarms>, CloudError> {
        let account = self
            .world()
            .accounts
            .get(&org.profile)
            .cloned()
            .ok_or_else(|| CloudError::new(CloudErrorKind::NoCredentials, "no credentials"))?;
        Ok(Arc::new(FakeAlarms {
            aws: self.clone(),
            account,
            region: region.to_string(),
        }))
    }

    async fn rack_services(
        &self,
        org: &OrgSettings,
        region: &str,
    ) -> Result<Arc<dyn super::RackServices>, CloudError> {
        let account = self
            .world()
            .accounts
            .get(&org.profile)
            .cloned()
            .ok_or_else(|| CloudError::new(CloudErrorKind::NoCredentials, "no credentials"))?;
        Ok(Arc::new(rack_services::FakeRackServices {
            aws: self.clone(),
            account,
            region: region.to_string(),
        }))
    }

    async fn drift(
        &self,
        org: &OrgSettings,
        region: &str,
    ) -> Result<Arc<dyn super::Drift>, CloudError> {
        let account = self
            .world()
            .accounts
            .get(&org.profile)
            .cloned()
            .ok_or_else(|| CloudError::new(CloudErrorKind::NoCredentials, "no credentials"))?;
        Ok(self.drift_for(&account, region))
    }

    async fn ssm_parameter(
        &self,
        org: &OrgSettings,
        region: &str,
        name: &str,
    ) -> Result<Option<SsmParameter>, CloudError> {
        let mut world = self.world();
        let account = ssm_account(&mut world, org, region, "GetParameter")?;
        Ok(world
            .ssm
            .get(&(account, region.to_string(), name.to_string()))
            .map(|(kind, value)| SsmParameter {
                kind: kind.clone(),
                value: Secret::new(value.clone()),
            }))
    }

    async fn put_ssm_secure_string(
        &self,
        org: &OrgSettings,
        region: &str,
        name: &str,
        value: &Secret,
    ) -> Result<PutOutcome, CloudError> {
        let mut world = self.world();
        let account = ssm_account(&mut world, org, region, "PutParameter")?;
        let key = (account, region.to_string(), name.to_string());
        if world.ssm.contains_key(&key) {
            return Ok(PutOutcome::AlreadyExists);
        }
        world.ssm.insert(
            key,
            ("SecureString".to_string(), value.expose().to_string()),
        );
        Ok(PutOutcome::Stored)
    }

    async fn s3_object(
        &self,
        org: Option<&OrgSettings>,
        object: &S3Object,
        limit: usize,
    ) -> Result<String, CloudError> {
        let mut world = self.world();
        let account = match org {
            Some(org) => world
                .accounts
                .get(&org.profile)
                .cloned()
                .unwrap_or_default(),
            None => String::new(),
        };
        world.calls.push(Call {
            operation: "GetObject",
            account,
            region: object.region.clone(),
        });
        let body = world
            .objects
            .get(&(object.bucket.clone(), object.key.clone()))
            .cloned()
            .ok_or_else(|| {
                CloudError::new(
                    CloudErrorKind::NotFound,
                    "NoSuchKey: The specified key does not exist.",
                )
            })?;
        if body.len() > limit {
            return Err(CloudError::new(
                CloudErrorKind::Validation,
                format!("the template is larger than {limit} bytes"),
            ));
        }
        Ok(body)
    }

    /// The fake's clock, on which its stacks' LastUpdatedTime is written (tokio's, paused in tests).
    fn now(&self) -> SystemTime {
        now()
    }
}

/// The account an org's credentials reach, with the SSM call recorded.
fn ssm_account(
    world: &mut World,
    org: &OrgSettings,
    region: &str,
    operation: &'static str,
) -> Result<String, CloudError> {
    let account = world
        .accounts
        .get(&org.profile)
        .cloned()
        .ok_or_else(|| CloudError::new(CloudErrorKind::NoCredentials, "no credentials"))?;
    world.calls.push(Call {
        operation,
        account: account.clone(),
        region: region.to_string(),
    });
    if world.denied.contains(operation) {
        return Err(CloudError::new(
            CloudErrorKind::AccessDenied,
            format!("AccessDenied: not authorized to perform ssm:{operation}"),
        ));
    }
    Ok(account)
}

/// The fake CloudWatch alarms of one account and region.
struct FakeAlarms {
    aws: FakeAws,
    account: String,
    region: String,
}

#[async_trait]
impl Alarms for FakeAlarms {
    async fn describe_alarms(
        &self,
        names: &[String],
    ) -> Result<BTreeMap<String, AlarmState>, CloudError> {
        let mut world = self.aws.world();
        let now = Instant::now();
        let mut states = BTreeMap::new();
        for chunk in names.chunks(super::MAX_ALARM_NAMES_PER_CALL) {
            world.calls.push(Call {
                operation: "DescribeAlarms",
                account: self.account.clone(),
                region: self.region.clone(),
            });
            if world
                .alarms_denied
                .contains(&(self.account.clone(), self.region.clone()))
            {
                return Err(CloudError::new(
                    CloudErrorKind::AccessDenied,
                    "AccessDenied: User is not authorized to perform: cloudwatch:DescribeAlarms",
                ));
            }
            for name in chunk {
                let key = (self.account.clone(), self.region.clone(), name.clone());
                let state = world.alarms.get(&key).and_then(|timeline| {
                    timeline
                        .iter()
                        .take_while(|(from, _)| *from <= now)
                        .last()
                        .map(|(_, state)| *state)
                });
                if let Some(state) = state {
                    states.insert(name.clone(), state);
                }
            }
        }
        Ok(states)
    }
}

/// The fake CloudFormation of one account and region.
pub struct FakeCloud {
    aws: FakeAws,
    account: String,
    region: String,
}

/// What CloudFormation refuses in a write's stack options: more than five rollback triggers, a monitoring
/// time over three hours, a topic that is not an SNS ARN, a policy that is not a JSON object of statements.
fn check_options(options: &crate::cloud::StackOptions) -> Result<(), CloudError> {
    if let Some(rollback) = &options.rollback {
        if rollback.alarm_arns.len() > 5 {
            return Err(validation(
                "RollbackConfiguration: at most 5 rollback triggers",
            ));
        }
        if rollback.monitoring_minutes > 180 {
            return Err(validation(
                "RollbackConfiguration: MonitoringTimeInMinutes must be at most 180",
            ));
        }
        if let Some(arn) = rollback
            .alarm_arns
            .iter()
            .find(|arn| !arn.starts_with("arn:aws:cloudwatch:") || !arn.contains(":alarm:"))
        {
            return Err(validation(format!(
                "RollbackTrigger: {arn} is not an alarm ARN"
            )));
        }
    }
    if let Some(arn) = options
        .notification_arns
        .iter()
        .flatten()
        .find(|arn| !arn.starts_with("arn:aws:sns:"))
    {
        return Err(validation(format!(
            "NotificationARNs: {arn} is not an SNS topic ARN"
        )));
    }
    if let Some(body) = &options.stack_policy_body {
        check_policy(body)?;
    }
    Ok(())
}

fn check_policy(body: &str) -> Result<(), CloudError> {
    let statements = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|policy| policy.get("Statement").cloned());
    match statements {
        Some(serde_json::Value::Array(_)) => Ok(()),
        _ => Err(validation(
            "Error validating stack policy: a JSON object with a Statement array is required",
        )),
    }
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
    aws_sdk_cloudformation::primitives::DateTime::from(now())
        .fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime)
        .unwrap_or_default()
}

impl FakeCloud {
    fn record(&self, world: &mut World, operation: &'static str) {
        world.calls.push(Call {
            operation,
            account: self.account.clone(),
            region: self.region.clone(),
        });
    }

    fn key(&self) -> (String, String) {
        (self.account.clone(), self.region.clone())
    }

    fn write_with_role(&self, operation: &'static str, stack: &str, role_arn: Option<&str>) {
        self.aws.world().roles.push(RoleSeen {
            operation,
            stack: stack.to_string(),
            role_arn: role_arn.map(str::to_string),
        });
    }

    /// Records a read and refuses it if the test denied the operation.
    fn read(&self, world: &mut World, operation: &'static str) -> Result<(), CloudError> {
        self.record(world, operation);
        if world.denied.contains(operation) {
            return Err(CloudError::new(
                CloudErrorKind::AccessDenied,
                format!("AccessDenied: not authorized to perform {operation}"),
            ));
        }
        Ok(())
    }

    fn with_stacks<T>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&mut BTreeMap<String, FakeStack>) -> T,
    ) -> T {
        let mut world = self.aws.world();
        self.record(&mut world, operation);
        let mut stacks = world.stacks.remove(&self.key()).unwrap_or_default();
        for stack in stacks.values_mut() {
            advance(stack, self.aws.resource_time, &self.aws.event_serial);
        }
        let result = f(&mut stacks);
        world.stacks.insert(self.key(), stacks);
        result
    }

    /// UpdateStack, or the update an ExecuteChangeSet starts (`operation`): the one strict path both take.
    fn start_update(
        &self,
        request: &UpdateStackRequest,
        operation: &'static str,
    ) -> Result<UpdateOutcome, CloudError> {
        let resource_time = self.aws.resource_time;
        let serial = self.aws.event_serial.clone();
        let mut world = self.aws.world();
        self.record(&mut world, operation);
        world.roles.push(RoleSeen {
            operation,
            stack: request.name.clone(),
            role_arn: request.role_arn.clone(),
        });
        let template = world.template(&request.template)?.clone();
        let failing = world.failing.clone();
        let extra = extra_times(&world.slow, &request.name, &template.resources);
        let World {
            stacks,
            updates,
            ssm,
            ..
        } = &mut *world;
        let stacks = stacks.entry(self.key()).or_default();
        if let Some(stack) = stacks.get_mut(&request.name) {
            advance(stack, resource_time, &serial);
        }
        // A deleted stack is kept for its events, but by name it no longer exists: AWS refuses the update
        // rather than bringing the stack back.
        let Some(stack) = stacks
            .get_mut(&request.name)
            .filter(|s| s.stack.state() != StackState::Deleted)
        else {
            return Err(validation(format!(
                "Stack [{}] does not exist",
                request.name
            )));
        };
        let status = stack.stack.status.clone();
        updates.push(UpdateSeen {
            stack: request.name.clone(),
            template: request.template.clone(),
            version: match request.parameters.get("Version") {
                Some(ParameterValue::Value(version)) => Some(version.clone()),
                _ => None,
            },
            status_before: status.clone(),
        });
        if status.is_moving() {
            return Err(CloudError::new(
                CloudErrorKind::Busy,
                format!(
                    "ValidationError: Stack:{} is in {status} state and can not be updated.",
                    stack.stack.stack_id
                ),
            ));
        }
        if matches!(
            status.state(),
            StackState::FailedInstall | StackState::RollbackFailed
        ) {
            return Err(validation(format!(
                "Stack:{} is in {status} state and can not be updated.",
                stack.stack.stack_id
            )));
        }
        let given = request
            .parameters
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    match v {
                        ParameterValue::Value(value) => Some(value),
                        ParameterValue::UsePrevious => None,
                    },
                )
            })
            .collect();
        let parameters = check_parameters(&template, &given, Some(&stack.stack))?;
        check_options(&request.options)?;
        // A policy passed with an update replaces the stack's whether or not the update has work to do.
        if let Some(body) = &request.options.stack_policy_body {
            stack.policy = Some(body.clone());
        }
        // Options not passed are kept, as CloudFormation keeps them.
        let notification_arns = request
            .options
            .notification_arns
            .clone()
            .unwrap_or_else(|| stack.stack.notification_arns.clone());
        let rollback = match &request.options.rollback {
            Some(rollback) => Some(rollback.clone()),
            None => stack.stack.rollback.clone(),
        };
        let (account, region) = self.key();
        let resolved = resolve_ssm(ssm, (&account, &region), &template, &parameters)?;
        // Without a RoleARN CloudFormation keeps the stack's role; another one is a change of the stack.
        let role_arn = request.role_arn.clone().or(stack.stack.role_arn.clone());
        // A newer value behind an SSM-typed parameter is an update, as on AWS.
        if parameters == stack.stack.parameters
            && resolved == stack.stack.resolved
            && request.template == stack.template
            && request.tags == stack.stack.tags
            && role_arn == stack.stack.role_arn
            && notification_arns == stack.stack.notification_arns
            && rollback == stack.stack.rollback
        {
            // AWS answers with a "No updates are to be performed" error, which the SDK adapter maps to this.
            return Ok(UpdateOutcome::NothingToDo);
        }
        let previous = (stack.stack.clone(), stack.template.clone());
        let fails_at = template
            .resources
            .iter()
            .position(|(id, _)| failing.contains(&(request.name.clone(), id.clone())));
        stack.stack.parameters = parameters;
        stack.stack.resolved = resolved;
        stack.stack.tags = request.tags.clone();
        stack.stack.role_arn = role_arn;
        stack.stack.notification_arns = notification_arns;
        stack.stack.rollback = rollback;
        stack.stack.status = StackStatus::UpdateInProgress;
        stack.stack.last_updated = now_text();
        stack.template = request.template.clone();
        stack.resources = template.resources.clone();
        stack.token = Some(request.token.clone());
        stack.operation = Some(Operation {
            kind: OperationKind::Update,
            started: Instant::now(),
            resources: template.resources.clone(),
            fails_at,
            previous: Some(previous),
            emitted: 0,
            extra,
            announced: None,
            hurried: false,
            timeout: None,
            timed_out: false,
        });
        push_stack_event(
            stack,
            &StackStatus::UpdateInProgress,
            Some("User Initiated"),
            &serial,
        );
        let stack_id = stack.stack.stack_id.clone();
        if world.lost_answers.remove(&request.name) {
            return Err(CloudError::new(
                CloudErrorKind::Busy,
                format!(
                    "ValidationError: Stack:{stack_id} is in UPDATE_IN_PROGRESS state and can not be updated."
                ),
            ));
        }
        Ok(UpdateOutcome::Started)
    }
}

/// Checks parameters against a template as CloudFormation does.
fn check_parameters(
    template: &FakeTemplate,
    given: &BTreeMap<String, Option<&String>>,
    live: Option<&Stack>,
) -> Result<BTreeMap<String, String>, CloudError> {
    let mut values = BTreeMap::new();
    for name in given.keys() {
        if !template.parameters.contains_key(name) {
            return Err(validation(format!(
                "Parameters: [{name}] do not exist in the template"
            )));
        }
    }
    for (name, declared) in &template.parameters {
        let value = match given.get(name) {
            Some(Some(value)) => (*value).clone(),
            Some(None) => match live.and_then(|s| s.parameters.get(name)) {
                Some(previous) => previous.clone(),
                None => {
                    return Err(validation(format!(
                        "Parameter {name} has UsePreviousValue but the stack has no previous value"
                    )));
                }
            },
            None => match &declared.default {
                Some(default) => default.clone(),
                None => {
                    return Err(validation(format!("Parameters: [{name}] must have values")));
                }
            },
        };
        values.insert(name.clone(), value);
    }
    Ok(values)
}

/// What each SSM-typed parameter's name resolves to in the account and region's Parameter Store, as
/// CloudFormation resolves them at every create and update (DescribeStacks' ResolvedValue); a name with no
/// parameter fails the operation, as on AWS.
fn resolve_ssm(
    ssm: &HashMap<(String, String, String), (String, String)>,
    (account, region): (&str, &str),
    template: &FakeTemplate,
    parameters: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, CloudError> {
    let mut resolved = BTreeMap::new();
    for (name, declared) in &template.parameters {
        let Some(ssm_name) = parameters
            .get(name)
            .filter(|_| declared.names_ssm_parameter())
        else {
            continue;
        };
        let Some((_, value)) =
            ssm.get(&(account.to_string(), region.to_string(), ssm_name.clone()))
        else {
            return Err(validation(format!(
                "Parameters [{ssm_name}] referenced by template have types not supported by CloudFormation or do not exist"
            )));
        };
        resolved.insert(name.clone(), value.clone());
    }
    Ok(resolved)
}

#[async_trait]
impl Cloud for FakeCloud {
    // A deleted stack is kept as DELETE_COMPLETE (its events stay readable) but, as in AWS, DescribeStacks
    // by name or without one no longer shows it.
    async fn describe_stacks(&self) -> Result<Vec<Stack>, CloudError> {
        Ok(self.with_stacks("DescribeStacks", |stacks| {
            stacks
                .values()
                .filter(|s| s.stack.state() != StackState::Deleted)
                .map(|s| s.stack.clone())
                .collect()
        }))
    }

    async fn describe_stack(&self, name: &str) -> Result<Option<Stack>, CloudError> {
        Ok(self.with_stacks("DescribeStacks", |stacks| {
            stacks
                .get(name)
                .filter(|s| s.stack.state() != StackState::Deleted)
                .map(|s| s.stack.clone())
        }))
    }

    async fn template_summary(
        &self,
        template: &TemplateSource,
    ) -> Result<TemplateSummary, CloudError> {
        let mut world = self.aws.world();
        self.record(&mut world, "GetTemplateSummary");
        let known = world.template(template)?;
        Ok(known.summary())
    }

    async fn stack_template_summary(&self, name: &str) -> Result<TemplateSummary, CloudError> {
        let source = self.with_stacks("GetTemplateSummary", |stacks| {
            stacks
                .get(name)
                .filter(|s| s.stack.state() != StackState::Deleted)
                .map(|s| s.template.clone())
        });
        let source =
            source.ok_or_else(|| validation(format!("Stack with id {name} does not exist")))?;
        let world = self.aws.world();
        let known = world.template(&source)?;
        Ok(known.summary())
    }

    async fn stack_template(&self, name: &str) -> Result<String, CloudError> {
        let source = self.with_stacks("GetTemplate", |stacks| {
            stacks
                .get(name)
                .filter(|s| s.stack.state() != StackState::Deleted)
                .map(|s| s.template.clone())
        });
        let source =
            source.ok_or_else(|| validation(format!("Stack with id {name} does not exist")))?;
        Ok(match &source {
            TemplateSource::Body(body) => body.clone(),
            TemplateSource::Url(_) => self.aws.world().template(&source)?.body(),
        })
    }

    async fn create_stack(&self, request: &CreateStackRequest) -> Result<(), CloudError> {
        let resource_time = self.aws.resource_time;
        let account = self.account.clone();
        let region = self.region.clone();
        let mut world = self.aws.world();
        self.record(&mut world, "CreateStack");
        world.roles.push(RoleSeen {
            operation: "CreateStack",
            stack: request.name.clone(),
            role_arn: request.role_arn.clone(),
        });
        let template = world.template(&request.template)?.clone();
        let given = request
            .parameters
            .iter()
            .map(|(k, v)| (k.clone(), Some(v)))
            .collect();
        let parameters = check_parameters(&template, &given, None)?;
        check_options(&request.options)?;
        let resolved = resolve_ssm(&world.ssm, (&account, &region), &template, &parameters)?;
        world.stack_serial += 1;
        let serial = world.stack_serial;
        let fails_at = template
            .resources
            .iter()
            .position(|(id, _)| world.failing.contains(&(request.name.clone(), id.clone())));
        let extra = extra_times(&world.slow, &request.name, &template.resources);
        world.creates.push(request.clone());
        let stacks = world
            .stacks
            .entry((account.clone(), region.clone()))
            .or_default();
        if let Some(existing) = stacks.get_mut(&request.name) {
            advance(existing, resource_time, &self.aws.event_serial);
        }
        if let Some(existing) = stacks
            .get(&request.name)
            .filter(|s| s.stack.state() != StackState::Deleted)
        {
            let _ = existing;
            return Err(CloudError::new(
                CloudErrorKind::AlreadyExists,
                format!(
                    "AlreadyExistsException: Stack [{}] already exists",
                    request.name
                ),
            ));
        }
        let stack_id = format!(
            "arn:aws:cloudformation:{region}:{account}:stack/{}/fake-{}-{serial}",
            request.name, self.aws.world_id
        );
        let mut stack = FakeStack {
            stack: Stack {
                stack_id: stack_id.clone(),
                name: request.name.clone(),
                status: StackStatus::CreateInProgress,
                status_reason: None,
                last_updated: now_text(),
                parameters,
                tags: request.tags.clone(),
                outputs: BTreeMap::new(),
                termination_protection: request.termination_protection,
                parent_id: None,
                resolved,
                role_arn: request.role_arn.clone(),
                notification_arns: request
                    .options
                    .notification_arns
                    .clone()
                    .unwrap_or_default(),
                rollback: request.options.rollback.clone(),
            },
            template: request.template.clone(),
            resources: template.resources.clone(),
            events: Vec::new(),
            token: Some(request.token.clone()),
            policy: request.options.stack_policy_body.clone(),
            operation: Some(Operation {
                kind: OperationKind::Create,
                started: Instant::now(),
                resources: template.resources.clone(),
                fails_at,
                previous: None,
                emitted: 0,
                extra,
                announced: None,
                hurried: false,
                timeout: request
                    .timeout_minutes
                    .map(|minutes| Duration::from_secs(u64::from(minutes) * 60)),
                timed_out: false,
            }),
        };
        push_stack_event(
            &mut stack,
            &StackStatus::CreateInProgress,
            Some("User Initiated"),
            &self.aws.event_serial,
        );
        stacks.insert(request.name.clone(), stack);
        if world.lost_answers.remove(&request.name) {
            return Err(CloudError::new(
                CloudErrorKind::AlreadyExists,
                format!(
                    "AlreadyExistsException: Stack [{}] already exists",
                    request.name
                ),
            ));
        }
        Ok(())
    }

    async fn update_stack(
        &self,
        request: &UpdateStackRequest,
    ) -> Result<UpdateOutcome, CloudError> {
        self.start_update(request, "UpdateStack")
    }

    async fn create_change_set(
        &self,
        update: &UpdateStackRequest,
        name: &str,
    ) -> Result<String, CloudError> {
        self.create_fake_change_set(update, name)
    }

    async fn describe_change_set(
        &self,
        change_set: &super::ChangeSetRef,
    ) -> Result<super::ChangeSet, CloudError> {
        self.describe_fake_change_set(change_set)
    }

    async fn execute_change_set(
        &self,
        change_set: &super::ChangeSetRef,
        token: &str,
    ) -> Result<(), CloudError> {
        self.execute_fake_change_set(change_set, token)
    }

    async fn delete_change_set(&self, change_set: &super::ChangeSetRef) -> Result<(), CloudError> {
        self.delete_fake_change_set(change_set)
    }

    async fn stack_events(&self, name: &str) -> Result<Vec<StackEvent>, CloudError> {
        self.with_stacks("DescribeStackEvents", |stacks| {
            match stacks
                .get(name)
                .filter(|s| s.stack.state() != StackState::Deleted)
            {
                Some(stack) => Ok(stack.events.iter().rev().cloned().collect()),
                None => Err(validation(format!("Stack [{name}] does not exist"))),
            }
        })
    }

    async fn delete_stack(
        &self,
        name: &str,
        role_arn: Option<&str>,
        token: &str,
    ) -> Result<(), CloudError> {
        self.write_with_role("DeleteStack", name, role_arn);
        let failing = self.aws.world().failing.clone();
        let serial = self.aws.event_serial.clone();
        self.with_stacks("DeleteStack", |stacks| {
            // As in AWS, deleting a stack that does not exist (or is gone) succeeds.
            let Some(stack) = stacks
                .get_mut(name)
                .filter(|s| s.stack.state() != StackState::Deleted)
            else {
                return Ok(());
            };
            if stack.stack.termination_protection {
                return Err(validation(format!(
                    "Stack [{name}] cannot be deleted while TerminationProtection is enabled"
                )));
            }
            match stack.stack.state() {
                StackState::Deleting => return Ok(()),
                StackState::InProgress => {
                    return Err(validation(format!(
                        "Stack [{name}] is in {} state and can not be deleted",
                        stack.stack.status
                    )));
                }
                _ => {}
            }
            let mut resources = stack.resources.clone();
            resources.reverse();
            let fails_at = resources
                .iter()
                .position(|(id, _)| failing.contains(&(name.to_string(), id.clone())));
            stack.stack.status = StackStatus::DeleteInProgress;
            if let Some(role) = role_arn {
                stack.stack.role_arn = Some(role.to_string());
            }
            stack.token = Some(token.to_string());
            stack.operation = Some(Operation {
                kind: OperationKind::Delete,
                started: Instant::now(),
                resources,
                fails_at,
                previous: None,
                emitted: 0,
                extra: Vec::new(),
                announced: None,
                hurried: false,
                timeout: None,
                timed_out: false,
            });
            push_stack_event(
                stack,
                &StackStatus::DeleteInProgress,
                Some("User Initiated"),
                &serial,
            );
            Ok(())
        })
    }

    async fn continue_update_rollback(
        &self,
        name: &str,
        role_arn: Option<&str>,
        token: &str,
        skip: &[String],
    ) -> Result<(), CloudError> {
        self.write_with_role("ContinueUpdateRollback", name, role_arn);
        let serial = self.aws.event_serial.clone();
        let rollback_failing = {
            let mut world = self.aws.world();
            world.skipped.push((name.to_string(), skip.to_vec()));
            world.rollback_failing.clone()
        };
        self.with_stacks("ContinueUpdateRollback", |stacks| {
            let Some(stack) = stacks
                .get_mut(name)
                .filter(|s| s.stack.state() != StackState::Deleted)
            else {
                return Err(validation(format!("Stack [{name}] does not exist")));
            };
            if stack.stack.state() != StackState::RollbackFailed {
                return Err(validation(format!(
                    "Stack [{name}] is in {} state and can not continue an update rollback",
                    stack.stack.status
                )));
            }
            // As AWS: only a resource whose rollback failed may be skipped.
            for id in skip {
                let failed =
                    newest_status(stack, id).is_some_and(|status| status.ends_with("_FAILED"));
                if !failed {
                    return Err(validation(format!(
                        "Resource [{id}] cannot be skipped: it is not in a FAILED state"
                    )));
                }
            }
            stack.stack.status = StackStatus::UpdateRollbackInProgress;
            if let Some(role) = role_arn {
                stack.stack.role_arn = Some(role.to_string());
            }
            stack.token = Some(token.to_string());
            push_stack_event(stack, &StackStatus::UpdateRollbackInProgress, None, &serial);
            for id in skip {
                let resource_type = stack
                    .resources
                    .iter()
                    .find(|(logical_id, _)| logical_id == id)
                    .map(|(_, kind)| kind.clone())
                    .unwrap_or_default();
                push_event(
                    stack,
                    id,
                    &resource_type,
                    None,
                    "UPDATE_COMPLETE",
                    Some("Resource skipped during UPDATE_ROLLBACK"),
                    &serial,
                );
            }
            let resources: Vec<(String, String)> = stack
                .resources
                .iter()
                .filter(|(id, _)| !skip.contains(id))
                .cloned()
                .collect();
            let fails_at = resources
                .iter()
                .position(|(id, _)| rollback_failing.contains(&(name.to_string(), id.clone())));
            stack.operation = Some(Operation {
                kind: OperationKind::ContinueRollback,
                started: Instant::now(),
                resources,
                fails_at,
                previous: None,
                emitted: 0,
                extra: Vec::new(),
                announced: None,
                hurried: false,
                timeout: None,
                timed_out: false,
            });
            Ok(())
        })
    }

    async fn cancel_update_stack(&self, name: &str, token: &str) -> Result<(), CloudError> {
        let serial = self.aws.event_serial.clone();
        let resource_time = self.aws.resource_time;
        let finish_first = self.aws.world().finished_before_cancel.remove(name);
        self.with_stacks("CancelUpdateStack", |stacks| {
            let Some(stack) = stacks
                .get_mut(name)
                .filter(|s| s.stack.state() != StackState::Deleted)
            else {
                return Err(validation(format!("Stack [{name}] does not exist")));
            };
            if finish_first && let Some(operation) = stack.operation.as_mut() {
                operation.hurried = true;
                advance(stack, resource_time, &serial);
            }
            // As AWS: only an update still in progress can be cancelled (not its cleanup, not a rollback).
            let updating = stack.stack.status == StackStatus::UpdateInProgress
                && stack
                    .operation
                    .as_ref()
                    .is_some_and(|operation| operation.kind == OperationKind::Update);
            if !updating {
                return Err(validation(
                    "CancelUpdateStack cannot be called from current stack status",
                ));
            }
            let operation = stack.operation.take().expect("checked above");
            // The resources the update reached, the one in flight included, are rolled back newest first.
            let reached = (operation.emitted + 1).min(operation.resources.len());
            let in_flight = operation.resources.get(operation.emitted).cloned();
            let mut resources: Vec<(String, String)> = operation.resources[..reached].to_vec();
            resources.reverse();
            stack.token = Some(token.to_string());
            if let Some((id, resource_type)) = in_flight {
                push_event(
                    stack,
                    &id,
                    &resource_type,
                    None,
                    "UPDATE_FAILED",
                    Some("Resource update cancelled"),
                    &serial,
                );
            }
            stack.stack.status = StackStatus::UpdateRollbackInProgress;
            push_stack_event(
                stack,
                &StackStatus::UpdateRollbackInProgress,
                Some("User Initiated"),
                &serial,
            );
            stack.operation = Some(Operation {
                kind: OperationKind::CancelRollback,
                started: Instant::now(),
                resources,
                fails_at: None,
                previous: operation.previous,
                emitted: 0,
                extra: Vec::new(),
                announced: None,
                hurried: false,
                timeout: None,
                timed_out: false,
            });
            Ok(())
        })
    }

    async fn stack_resources(&self, name: &str) -> Result<Vec<super::StackResource>, CloudError> {
        if self.aws.world().denied.contains("ListStackResources") {
            let mut world = self.aws.world();
            return self
                .read(&mut world, "ListStackResources")
                .map(|()| Vec::new());
        }
        let (account, region) = self.key();
        self.with_stacks("ListStackResources", |stacks| {
            match stacks
                .get(name)
                .filter(|s| s.stack.state() != StackState::Deleted)
            {
                Some(stack) => {
                    let mut resources =
                        rack_services::listed_resources(&account, &region, name, &stack.resources);
                    // What the stack's events say of each resource, as ListStackResources reports it
                    // (a resource whose update or rollback failed is UPDATE_FAILED).
                    for resource in &mut resources {
                        if let Some(status) = newest_status(stack, &resource.logical_id) {
                            resource.status = status;
                        }
                    }
                    Ok(resources)
                }
                None => Err(validation(format!("Stack with id {name} does not exist"))),
            }
        })
    }

    async fn list_imports(&self, export: &str) -> Result<Vec<String>, CloudError> {
        let mut world = self.aws.world();
        self.read(&mut world, "ListImports")?;
        let key = (
            self.account.clone(),
            self.region.clone(),
            export.to_string(),
        );
        Ok(world.imports.get(&key).cloned().unwrap_or_default())
    }

    async fn availability_zones(&self) -> Result<Vec<String>, CloudError> {
        let mut world = self.aws.world();
        self.read(&mut world, "DescribeAvailabilityZones")?;
        Ok(zones_of(&self.region))
    }

    async fn instance_type_zones(&self, instance_type: &str) -> Result<Vec<String>, CloudError> {
        let mut world = self.aws.world();
        self.read(&mut world, "DescribeInstanceTypeOfferings")?;
        if let Some(zones) = world
            .offerings
            .get(&(self.region.clone(), instance_type.to_string()))
        {
            return Ok(zones.clone());
        }
        // AWS offers nothing of a type it does not know: an empty answer, not an error.
        let known = INSTANCE_TYPES
            .iter()
            .any(|(name, _)| *name == instance_type);
        Ok(if known {
            zones_of(&self.region)
        } else {
            Vec::new()
        })
    }

    async fn instance_type_vcpus(&self, instance_type: &str) -> Result<Option<u32>, CloudError> {
        let mut world = self.aws.world();
        self.read(&mut world, "DescribeInstanceTypes")?;
        Ok(INSTANCE_TYPES
            .iter()
            .find(|(name, _)| *name == instance_type)
            .map(|(_, cpus)| *cpus))
    }

    async fn ec2_quota(&self, code: &str) -> Result<f64, CloudError> {
        let mut world = self.aws.world();
        self.read(&mut world, "GetServiceQuota")?;
        let key = (self.account.clone(), self.region.clone(), code.to_string());
        Ok(world.quotas.get(&key).copied().unwrap_or(DEFAULT_EC2_QUOTA))
    }

    async fn stack_policy(&self, name: &str) -> Result<Option<String>, CloudError> {
        self.with_stacks("GetStackPolicy", |stacks| {
            match stacks
                .get(name)
                .filter(|s| s.stack.state() != StackState::Deleted)
            {
                Some(stack) => Ok(stack.policy.clone()),
                None => Err(validation(format!("Stack [{name}] does not exist"))),
            }
        })
    }

    async fn set_stack_policy(&self, name: &str, body: &str) -> Result<(), CloudError> {
        check_policy(body)?;
        self.with_stacks("SetStackPolicy", |stacks| {
            match stacks
                .get_mut(name)
                .filter(|s| s.stack.state() != StackState::Deleted)
            {
                Some(stack) => {
                    stack.policy = Some(body.to_string());
                    Ok(())
                }
                None => Err(validation(format!("Stack [{name}] does not exist"))),
            }
        })
    }

    async fn set_termination_protection(
        &self,
        name: &str,
        enabled: bool,
    ) -> Result<(), CloudError> {
        self.with_stacks("UpdateTerminationProtection", |stacks| {
            match stacks
                .get_mut(name)
                .filter(|s| s.stack.state() != StackState::Deleted)
            {
                Some(stack) => {
                    stack.stack.termination_protection = enabled;
                    Ok(())
                }
                None => Err(validation(format!("Stack [{name}] does not exist"))),
            }
        })
    }
}

/// The status of the newest event of resource `logical_id` of the stack, if it has one.
fn newest_status(stack: &FakeStack, logical_id: &str) -> Option<String> {
    stack
        .events
        .iter()
        .rev()
        .find(|event| event.logical_id == logical_id)
        .map(|event| event.status.clone())
}

fn push_stack_event(
    stack: &mut FakeStack,
    status: &StackStatus,
    reason: Option<&str>,
    serial: &AtomicUsize,
) {
    let name = stack.stack.name.clone();
    push_event(
        stack,
        &name,
        "AWS::CloudFormation::Stack",
        Some(stack.stack.stack_id.clone()),
        status.as_str(),
        reason,
        serial,
    );
}

fn push_event(
    stack: &mut FakeStack,
    logical_id: &str,
    resource_type: &str,
    physical_id: Option<String>,
    status: &str,
    reason: Option<&str>,
    serial: &AtomicUsize,
) {
    let id = serial.fetch_add(1, Ordering::Relaxed);
    stack.events.push(StackEvent {
        event_id: format!("event-{id}"),
        logical_id: logical_id.to_string(),
        physical_id,
        resource_type: resource_type.to_string(),
        status: status.to_string(),
        reason: reason.map(str::to_string),
        timestamp: now_text(),
        token: stack.token.clone(),
    });
}

/// Plays the stack's running operation forward to now: one resource per `resource_time` (plus its extra
/// time, for a slow one), then the final status; a failing resource turns the operation into a rollback that
/// takes one more `resource_time`.
fn advance(stack: &mut FakeStack, resource_time: Duration, serial: &AtomicUsize) {
    let Some(operation) = stack.operation.as_mut() else {
        return;
    };
    let total = operation.resources.len();
    // When each resource completes, from the start of the operation.
    let ends_of = |operation: &Operation| {
        let mut end = Duration::ZERO;
        (0..total)
            .map(|index| {
                end += resource_time + operation.extra.get(index).copied().unwrap_or_default();
                end
            })
            .collect::<Vec<Duration>>()
    };
    let mut ends = ends_of(operation);
    let end = ends.last().copied().unwrap_or_default();
    let elapsed = if operation.hurried {
        end + resource_time * 2
    } else {
        operation.started.elapsed()
    };
    // TimeoutInMinutes: the resource in progress at the limit fails then, and the create rolls back.
    if let Some(limit) = operation.timeout
        && operation.fails_at.is_none()
        && elapsed >= limit
        && let Some(index) = ends.iter().position(|end| *end > limit)
    {
        let start = index
            .checked_sub(1)
            .map_or(Duration::ZERO, |before| ends[before]);
        operation.extra.resize(total, Duration::ZERO);
        operation.extra[index] = limit.saturating_sub(start + resource_time);
        operation.fails_at = Some(index);
        operation.timed_out = true;
        ends = ends_of(operation);
    }
    let steps_due = ends.iter().take_while(|end| **end <= elapsed).count();
    let last_step = operation.fails_at.map_or(total, |index| index + 1);
    let (verb_in_progress, verb_complete) = match operation.kind {
        OperationKind::Create => ("CREATE_IN_PROGRESS", "CREATE_COMPLETE"),
        OperationKind::Update | OperationKind::ContinueRollback | OperationKind::CancelRollback => {
            ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE")
        }
        OperationKind::Delete => ("DELETE_IN_PROGRESS", "DELETE_COMPLETE"),
    };
    let kind = operation.kind;
    let fails_at = operation.fails_at;
    let timed_out = operation.timed_out;
    let resources = operation.resources.clone();
    let emitted = operation.emitted;
    let mut announced = operation.announced;
    let previous = operation.previous.take();

    let mut step = emitted;
    while step < steps_due.min(last_step) {
        let (id, resource_type) = &resources[step];
        let physical = format!("{}-{}", id.to_lowercase(), step);
        if announced != Some(step) {
            push_event(
                stack,
                id,
                resource_type,
                None,
                verb_in_progress,
                None,
                serial,
            );
        }
        if Some(step) == fails_at && kind == OperationKind::Delete {
            // A resource that cannot be deleted stops the deletion: the stack stays, DELETE_FAILED.
            push_event(
                stack,
                id,
                resource_type,
                Some(physical),
                "DELETE_FAILED",
                Some("Resource deletion failed: the fake was told to fail it"),
                serial,
            );
        } else if Some(step) == fails_at {
            let failed = match kind {
                OperationKind::Create => "CREATE_FAILED",
                _ => "UPDATE_FAILED",
            };
            let (resource_reason, reason) = if timed_out {
                (
                    "Resource creation cancelled".to_string(),
                    "Stack creation time exceeded the specified timeout.".to_string(),
                )
            } else {
                (
                    "Resource creation cancelled: the fake was told to fail it".to_string(),
                    format!("The following resource(s) failed to create: [{id}]."),
                )
            };
            push_event(
                stack,
                id,
                resource_type,
                Some(physical),
                failed,
                Some(&resource_reason),
                serial,
            );
            // A continued rollback that fails again is already rolling back: it ends UPDATE_ROLLBACK_FAILED.
            if kind != OperationKind::ContinueRollback {
                let rolling_back = match kind {
                    OperationKind::Create => StackStatus::RollbackInProgress,
                    _ => StackStatus::UpdateRollbackInProgress,
                };
                push_stack_event(stack, &rolling_back, Some(&reason), serial);
                stack.stack.status = rolling_back;
            }
        } else {
            push_event(
                stack,
                id,
                resource_type,
                Some(physical),
                verb_complete,
                None,
                serial,
            );
        }
        step += 1;
    }
    // A slow resource shows that it started, and then nothing until it completes.
    let start = step
        .checked_sub(1)
        .map_or(Duration::ZERO, |before| ends[before]);
    if step < last_step
        && announced != Some(step)
        && stack
            .operation
            .as_ref()
            .and_then(|operation| operation.extra.get(step))
            .is_some_and(|extra| !extra.is_zero())
        && start <= elapsed
    {
        let (id, resource_type) = &resources[step];
        // As CloudFormation does while an AutoScalingGroup works through its instances in an update.
        let reason = (kind != OperationKind::Create
            && kind != OperationKind::Delete
            && resource_type == "AWS::AutoScaling::AutoScalingGroup")
            .then_some(ROLLING_UPDATE_REASON);
        push_event(
            stack,
            id,
            resource_type,
            None,
            verb_in_progress,
            reason,
            serial,
        );
        announced = Some(step);
    }
    if let Some(operation) = stack.operation.as_mut() {
        operation.emitted = step;
        operation.announced = announced;
        operation.previous = previous;
    }

    let finished = match fails_at {
        // The rollback takes one more step after the failure.
        Some(index) => elapsed >= ends[index] + resource_time,
        None => steps_due >= total,
    };
    if !finished {
        return;
    }
    let operation = stack.operation.take().expect("checked above");
    let final_status = match (operation.kind, operation.fails_at) {
        (OperationKind::Create, None) => StackStatus::CreateComplete,
        (OperationKind::Update, None) => StackStatus::UpdateComplete,
        (OperationKind::Create, Some(_)) => StackStatus::RollbackComplete,
        (OperationKind::Update, Some(_)) => StackStatus::UpdateRollbackComplete,
        (OperationKind::ContinueRollback, Some(_)) => StackStatus::UpdateRollbackFailed,
        (OperationKind::ContinueRollback | OperationKind::CancelRollback, _) => {
            StackStatus::UpdateRollbackComplete
        }
        (OperationKind::Delete, None) => StackStatus::DeleteComplete,
        (OperationKind::Delete, Some(_)) => StackStatus::DeleteFailed,
    };
    let rolled_back =
        operation.fails_at.is_some() || operation.kind == OperationKind::CancelRollback;
    if let (true, Some((previous, template))) = (rolled_back, operation.previous) {
        stack.stack.parameters = previous.parameters;
        stack.stack.resolved = previous.resolved;
        stack.stack.tags = previous.tags;
        stack.template = template;
    }
    if final_status.state() == StackState::Settled {
        stack.stack.outputs.insert(
            "Dashboard".into(),
            format!("{}.example.elb.amazonaws.com", stack.stack.name),
        );
    }
    push_stack_event(stack, &final_status, None, serial);
    stack.stack.status = final_status;
    stack.stack.last_updated = now_text();
}

/// The reason CloudFormation gives an AutoScalingGroup's UPDATE_IN_PROGRESS when a rolling update starts;
/// the fake gives it to a slow AutoScalingGroup of an update (`FakeAws::slow_resource`).
pub const ROLLING_UPDATE_REASON: &str = "Rolling update initiated. Terminating 3 obsolete instance(s) in batches of 1, while keeping at least 2 instance(s) in service.";

/// How much longer than `resource_time` each of `resources` takes in stack `name`.
fn extra_times(
    slow: &HashMap<(String, String), Duration>,
    name: &str,
    resources: &[(String, String)],
) -> Vec<Duration> {
    resources
        .iter()
        .map(|(id, _)| {
            slow.get(&(name.to_string(), id.clone()))
                .copied()
                .unwrap_or_default()
        })
        .collect()
}
