//! The fake as rackfile's `Cloud`: CloudFormation of one account and region. Reads are answered here; each
//! write goes to the file of its kind (`stack_writes`, `rollbacks`, `change_sets`), EC2 and Service Quotas
//! to `ec2`. Every call is recorded (`FakeAws::calls`), and every read of a stack first plays the stack's
//! running operation forward to now.

use std::collections::BTreeMap;

use async_trait::async_trait;
use rackfile::cloud::{
    ChangeSet, ChangeSetRef, Cloud, CloudError, CloudErrorKind, CreateStackRequest, Stack,
    StackEvent, StackResource, StackState, TemplateSource, TemplateSummary, UpdateOutcome,
    UpdateStackRequest,
};
use tokio::time::Instant;

use crate::checks::check_policy;
use crate::playback::{advance, newest_status};
use crate::{Call, FakeCloud, FakeStack, RoleSeen, World, rack_services, validation};

impl FakeCloud {
    pub(crate) fn record(&self, world: &mut World, operation: &'static str) {
        world.calls.push(Call {
            at: Instant::now(),
            operation,
            account: self.account.clone(),
            region: self.region.clone(),
        });
    }

    pub(crate) fn key(&self) -> (String, String) {
        (self.account.clone(), self.region.clone())
    }

    pub(crate) fn write_with_role(
        &self,
        operation: &'static str,
        stack: &str,
        role_arn: Option<&str>,
    ) {
        self.aws.world().roles.push(RoleSeen {
            operation,
            stack: stack.to_string(),
            role_arn: role_arn.map(str::to_string),
        });
    }

    /// Records a read and refuses it if the test denied the operation.
    pub(crate) fn read(
        &self,
        world: &mut World,
        operation: &'static str,
    ) -> Result<(), CloudError> {
        self.record(world, operation);
        if world.denied.contains(operation) {
            return Err(CloudError::new(
                CloudErrorKind::AccessDenied,
                format!("AccessDenied: not authorized to perform {operation}"),
            ));
        }
        Ok(())
    }

    pub(crate) fn with_stacks<T>(
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
}

/// The stack `name` names: by name, a stack that is not deleted; by StackId, as AWS answers it, a deleted
/// one too (DELETE_COMPLETE, its events readable), which is how a deletion is followed to its last event.
fn named<'a>(stacks: &'a BTreeMap<String, FakeStack>, name: &str) -> Option<&'a FakeStack> {
    if name.starts_with("arn:") {
        stacks.values().find(|s| s.stack.stack_id == name)
    } else {
        stacks
            .get(name)
            .filter(|s| s.stack.state() != StackState::Deleted)
    }
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
            named(stacks, name).map(|s| s.stack.clone())
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
        change_set: &ChangeSetRef,
    ) -> Result<ChangeSet, CloudError> {
        self.describe_fake_change_set(change_set)
    }

    async fn execute_change_set(
        &self,
        change_set: &ChangeSetRef,
        token: &str,
    ) -> Result<(), CloudError> {
        self.execute_fake_change_set(change_set, token)
    }

    async fn delete_change_set(&self, change_set: &ChangeSetRef) -> Result<(), CloudError> {
        self.delete_fake_change_set(change_set)
    }

    async fn stack_events(&self, name: &str) -> Result<Vec<StackEvent>, CloudError> {
        self.with_stacks("DescribeStackEvents", |stacks| match named(stacks, name) {
            Some(stack) => Ok(stack.events.iter().rev().cloned().collect()),
            None => Err(validation(format!("Stack [{name}] does not exist"))),
        })
    }

    async fn stack_resources(&self, name: &str) -> Result<Vec<StackResource>, CloudError> {
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

    async fn create_stack(&self, request: &CreateStackRequest) -> Result<(), CloudError> {
        self.create(request)
    }

    async fn delete_stack(
        &self,
        name: &str,
        role_arn: Option<&str>,
        token: &str,
    ) -> Result<(), CloudError> {
        self.delete(name, role_arn, token)
    }

    async fn continue_update_rollback(
        &self,
        name: &str,
        role_arn: Option<&str>,
        token: &str,
        skip: &[String],
    ) -> Result<(), CloudError> {
        self.continue_rollback(name, role_arn, token, skip)
    }

    async fn cancel_update_stack(&self, name: &str, token: &str) -> Result<(), CloudError> {
        self.cancel_update(name, token)
    }

    async fn list_imports(&self, export: &str) -> Result<Vec<String>, CloudError> {
        self.importers(export)
    }

    async fn availability_zones(&self) -> Result<Vec<String>, CloudError> {
        self.zones()
    }

    async fn instance_type_zones(&self, instance_type: &str) -> Result<Vec<String>, CloudError> {
        self.zones_offering(instance_type)
    }

    async fn instance_type_vcpus(&self, instance_type: &str) -> Result<Option<u32>, CloudError> {
        self.vcpus_of(instance_type)
    }

    async fn ec2_quota(&self, code: &str) -> Result<f64, CloudError> {
        self.quota(code)
    }
}
