//! The fake's Auto Scaling, EventBridge, DynamoDB and SNS, as strict as the rest: a group, rule, table or
//! topic exists only as a resource of a live stack of the fake (its physical id `fake_physical_id`), and a
//! call on one that does not is refused as AWS refuses it (a group already gone is not an error there).

use async_trait::async_trait;
use tokio::time::Instant;

use rackfile::cloud::{
    CloudError, CloudErrorKind, GroupDeletion, RackServices, ReleaseItem, StackResource, StackState,
};

use crate::{Call, FakeAws, World};

/// A write the fake received from `RackServices`, for tests to inspect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RackServiceWrite {
    DisabledRule(String),
    DeletedGroup(String),
    PutRelease {
        table: String,
        item: ReleaseItem,
    },
    Published {
        topic_arn: String,
        subject: String,
        message: String,
    },
}

/// The physical id the fake gives a stack's resource: a topic's is its ARN (as CloudFormation's Ref of
/// one), others `STACK-LOGICALID` (as CloudFormation names resources it names itself, less the suffix).
pub(super) fn fake_physical_id(
    account: &str,
    region: &str,
    stack: &str,
    logical_id: &str,
    resource_type: &str,
) -> String {
    match resource_type {
        "AWS::SNS::Topic" => format!("arn:aws:sns:{region}:{account}:{stack}-{logical_id}"),
        _ => format!("{stack}-{logical_id}"),
    }
}

/// The resources of a stack as ListStackResources reports them once the stack's operation is done.
pub(super) fn listed_resources(
    account: &str,
    region: &str,
    stack: &str,
    resources: &[(String, String)],
) -> Vec<StackResource> {
    resources
        .iter()
        .map(|(logical_id, resource_type)| StackResource {
            logical_id: logical_id.clone(),
            physical_id: Some(fake_physical_id(
                account,
                region,
                stack,
                logical_id,
                resource_type,
            )),
            resource_type: resource_type.clone(),
            status: "CREATE_COMPLETE".into(),
        })
        .collect()
}

pub(super) struct FakeRackServices {
    pub(super) aws: FakeAws,
    pub(super) account: String,
    pub(super) region: String,
}

impl FakeRackServices {
    /// Records the call and refuses it when the test denied the operation.
    fn call(&self, world: &mut World, operation: &'static str) -> Result<(), CloudError> {
        world.calls.push(Call {
            at: Instant::now(),
            operation,
            account: self.account.clone(),
            region: self.region.clone(),
        });
        if world.denied.contains(operation) {
            return Err(CloudError::new(
                CloudErrorKind::AccessDenied,
                format!("AccessDenied: not authorized to perform {operation}"),
            ));
        }
        Ok(())
    }

    /// Whether a live stack of this account and region has a resource of `resource_type` with this
    /// physical id, not deleted by a call to the fake since.
    fn exists(&self, world: &World, physical_id: &str, resource_type: &str) -> bool {
        let Some(stacks) = world
            .stacks
            .get(&(self.account.clone(), self.region.clone()))
        else {
            return false;
        };
        let gone = world
            .rack_service_writes
            .iter()
            .any(|(account, region, write)| {
                account == &self.account
                    && region == &self.region
                    && *write == RackServiceWrite::DeletedGroup(physical_id.to_string())
            });
        !gone
            && stacks.values().any(|stack| {
                stack.stack.state() != StackState::Deleted
                    && stack.resources.iter().any(|(logical_id, kind)| {
                        kind == resource_type
                            && fake_physical_id(
                                &self.account,
                                &self.region,
                                &stack.stack.name,
                                logical_id,
                                kind,
                            ) == physical_id
                    })
            })
    }

    fn write(&self, world: &mut World, write: RackServiceWrite) {
        world
            .rack_service_writes
            .push((self.account.clone(), self.region.clone(), write));
    }
}

#[async_trait]
impl RackServices for FakeRackServices {
    async fn disable_rule(&self, name: &str) -> Result<(), CloudError> {
        let mut world = self.aws.world();
        self.call(&mut world, "DisableRule")?;
        if !self.exists(&world, name, "AWS::Events::Rule") {
            return Err(CloudError::new(
                CloudErrorKind::NotFound,
                format!("ResourceNotFoundException: Rule {name} does not exist."),
            ));
        }
        self.write(&mut world, RackServiceWrite::DisabledRule(name.into()));
        Ok(())
    }

    async fn force_delete_auto_scaling_group(
        &self,
        name: &str,
    ) -> Result<GroupDeletion, CloudError> {
        let mut world = self.aws.world();
        self.call(&mut world, "DeleteAutoScalingGroup")?;
        if !self.exists(&world, name, "AWS::AutoScaling::AutoScalingGroup") {
            return Ok(GroupDeletion::AlreadyGone);
        }
        self.write(&mut world, RackServiceWrite::DeletedGroup(name.into()));
        Ok(GroupDeletion::Deleting)
    }

    async fn put_release(&self, table: &str, item: &ReleaseItem) -> Result<(), CloudError> {
        let mut world = self.aws.world();
        self.call(&mut world, "PutItem")?;
        if !self.exists(&world, table, "AWS::DynamoDB::Table") {
            return Err(CloudError::new(
                CloudErrorKind::NotFound,
                "ResourceNotFoundException: Requested resource not found",
            ));
        }
        self.write(
            &mut world,
            RackServiceWrite::PutRelease {
                table: table.into(),
                item: item.clone(),
            },
        );
        Ok(())
    }

    async fn publish(
        &self,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> Result<(), CloudError> {
        let mut world = self.aws.world();
        self.call(&mut world, "Publish")?;
        if !self.exists(&world, topic_arn, "AWS::SNS::Topic") {
            return Err(CloudError::new(
                CloudErrorKind::NotFound,
                "NotFound: Topic does not exist",
            ));
        }
        self.write(
            &mut world,
            RackServiceWrite::Published {
                topic_arn: topic_arn.into(),
                subject: subject.into(),
                message: message.into(),
            },
        );
        Ok(())
    }
}
