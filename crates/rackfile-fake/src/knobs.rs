//! What tests arrange in the fake's world (accounts, templates, objects, parameters, stacks in given
//! states, failing and slow resources, denied calls) and what they inspect of it (the calls received, the
//! writes, the stacks as AWS would show them now).

use std::collections::BTreeMap;
use std::time::Duration;

use rackfile::cloud::{Cloud, CreateStackRequest, Stack, StackState, StackStatus, TemplateSource};

use crate::playback::advance;
use crate::{Call, FakeAws, FakeTemplate, RackServiceWrite, RoleSeen, UpdateSeen, rack_services};

impl FakeAws {
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

    /// Makes resource `logical_id` of stack `name` take `extra` longer than the others when created or
    /// updated, its *_IN_PROGRESS event shown when it starts (an ECS service that does not stabilise).
    pub fn slow_resource(&self, name: &str, logical_id: &str, extra: Duration) {
        self.world()
            .slow
            .insert((name.to_string(), logical_id.to_string()), extra);
    }

    /// Every CreateStack the fake received, in order.
    pub fn creates(&self) -> Vec<CreateStackRequest> {
        self.world().creates.clone()
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

    /// The physical id the fake gives a resource of a stack (see `rack_services`).
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
}
