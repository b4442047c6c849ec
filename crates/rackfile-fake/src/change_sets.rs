//! The fake's change sets, as CloudFormation makes them: created from exactly an UpdateStack's input,
//! CREATE_IN_PROGRESS for a while, then CREATE_COMPLETE (AVAILABLE) or FAILED ("didn't contain changes");
//! obsolete once the stack is updated by anything else; executed only while AVAILABLE, by the same strict
//! path UpdateStack takes. The fake's templates list resources without properties, so what a change set says
//! of a resource both templates keep is what a test scripts (`FakeAws::script_change_set`); what is added
//! or removed it derives itself.

use std::time::Duration;

use tokio::time::Instant;

use rackfile::cloud::{
    ChangeSet, ChangeSetRef, CloudError, CloudErrorKind, NO_CHANGES_REASON, ParameterValue,
    ResourceChange, StackState, UpdateStackRequest,
};

use crate::checks::{check_parameters, resolve_ssm};
use crate::{FakeAws, FakeCloud, World, validation};

/// How long CloudFormation takes to make a change set (it is seconds to a minute on AWS).
pub const CHANGE_SET_TIME: Duration = Duration::from_secs(5);

pub(super) struct FakeChangeSet {
    id: String,
    request: UpdateStackRequest,
    /// The stack's LastUpdatedTime and StackId when it was made: another update makes it obsolete.
    stack_as_made: (String, String),
    created: Instant,
    /// The reason it FAILED, when it did.
    failed: Option<String>,
    changes: Vec<ResourceChange>,
    executed: bool,
}

impl FakeAws {
    /// What the change sets of `stack` report for the resources both templates have (Modify entries, with
    /// Replacement, Scope and Details), since the fake's templates carry no properties to derive them from.
    /// Kept for every later change set of that stack that changes anything.
    pub fn script_change_set(&self, stack: &str, changes: Vec<ResourceChange>) {
        self.world()
            .change_set_scripts
            .insert(stack.to_string(), changes);
    }

    /// Makes the change sets of `stack` FAILED "didn't contain changes" whatever they are made of: what
    /// CloudFormation answers when the values it compares are equal once it has normalised them (a Number
    /// written `01`, a list with spaces) though the text the plan compared differs.
    pub fn change_sets_find_nothing(&self, stack: &str) {
        self.world()
            .change_sets_find_nothing
            .insert(stack.to_string());
    }

    /// The change sets left in an account and region (executed ones are not listed, as they are part of
    /// the stack's history).
    pub fn change_sets(&self, account: &str, region: &str) -> Vec<ChangeSetRef> {
        self.world()
            .change_sets
            .get(&(account.to_string(), region.to_string()))
            .map(|sets| {
                sets.iter()
                    .filter(|(_, set)| !set.executed)
                    .map(|((stack, name), _)| ChangeSetRef {
                        stack: stack.clone(),
                        name: name.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn not_found(change_set: &ChangeSetRef) -> CloudError {
    CloudError::new(
        CloudErrorKind::Validation,
        format!(
            "ChangeSetNotFoundException: ChangeSet [{}] does not exist",
            change_set.name
        ),
    )
}

impl FakeCloud {
    pub(super) fn create_fake_change_set(
        &self,
        update: &UpdateStackRequest,
        name: &str,
    ) -> Result<String, CloudError> {
        let stack = self
            .with_stacks("CreateChangeSet", |stacks| {
                stacks
                    .get(&update.name)
                    .filter(|s| s.stack.state() != StackState::Deleted)
                    .map(|s| (s.stack.clone(), s.template.clone(), s.resources.clone()))
            })
            .ok_or_else(|| validation(format!("Stack [{}] does not exist", update.name)))?;
        let (stack, live_template, live_resources) = stack;
        let mut world = self.aws.world();
        if world.denied.contains("CreateChangeSet") {
            return Err(CloudError::new(
                CloudErrorKind::AccessDenied,
                "AccessDenied: not authorized to perform cloudformation:CreateChangeSet",
            ));
        }
        if stack.status.is_moving()
            || matches!(
                stack.state(),
                StackState::FailedInstall | StackState::RollbackFailed
            )
        {
            return Err(validation(format!(
                "Stack:{} is in {} state and can not be updated.",
                stack.stack_id, stack.status
            )));
        }
        let template = world.template(&update.template)?.clone();
        let given = update
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
        let parameters = check_parameters(&template, &given, Some(&stack))?;
        let resolved = resolve_ssm(
            &world.ssm,
            (&self.account, &self.region),
            &template,
            &parameters,
        )?;
        let scripted = self.aws.world_scripts(&world, &update.name);
        let finds_nothing = world.change_sets_find_nothing.contains(&update.name);
        let key = (update.name.clone(), name.to_string());
        let sets = world.change_sets.entry(self.key()).or_default();
        if sets.contains_key(&key) {
            return Err(CloudError::new(
                CloudErrorKind::AlreadyExists,
                format!("AlreadyExistsException: ChangeSet [{name}] already exists"),
            ));
        }
        let unchanged = finds_nothing
            || parameters == stack.parameters
                && resolved == stack.resolved
                && update.template == live_template
                && update.tags == stack.tags;
        let mut changes: Vec<ResourceChange> = Vec::new();
        if !unchanged {
            let kept = |id: &str| template.resources.iter().any(|(r, _)| r == id);
            let had = |id: &str| live_resources.iter().any(|(r, _)| r == id);
            changes.extend(
                template
                    .resources
                    .iter()
                    .filter(|(id, _)| !had(id))
                    .map(|(id, kind)| plain_change("Add", id, kind)),
            );
            changes.extend(
                scripted
                    .into_iter()
                    .filter(|change| kept(&change.logical_id) && had(&change.logical_id)),
            );
            changes.extend(
                live_resources
                    .iter()
                    .filter(|(id, _)| !kept(id))
                    .map(|(id, kind)| plain_change("Remove", id, kind)),
            );
        }
        let id = format!(
            "arn:aws:cloudformation:{}:{}:changeSet/{name}/fake-{}",
            self.region,
            self.account,
            sets.len() + 1
        );
        sets.insert(
            key,
            FakeChangeSet {
                id: id.clone(),
                request: update.clone(),
                stack_as_made: (stack.stack_id.clone(), stack.last_updated.clone()),
                created: Instant::now(),
                failed: unchanged.then(|| NO_CHANGES_REASON.to_string()),
                changes,
                executed: false,
            },
        );
        Ok(id)
    }

    pub(super) fn describe_fake_change_set(
        &self,
        change_set: &ChangeSetRef,
    ) -> Result<ChangeSet, CloudError> {
        let stack = self.with_stacks("DescribeChangeSet", |stacks| {
            stacks
                .get(&change_set.stack)
                .map(|s| (s.stack.stack_id.clone(), s.stack.last_updated.clone()))
        });
        let mut world = self.aws.world();
        if world.denied.contains("DescribeChangeSet") {
            return Err(CloudError::new(
                CloudErrorKind::AccessDenied,
                "AccessDenied: not authorized to perform cloudformation:DescribeChangeSet",
            ));
        }
        let set = world
            .change_sets
            .entry(self.key())
            .or_default()
            .get(&(change_set.stack.clone(), change_set.name.clone()))
            .ok_or_else(|| not_found(change_set))?;
        let made = set.created.elapsed() >= CHANGE_SET_TIME;
        let (status, execution_status) = match (&set.failed, made) {
            (_, false) => ("CREATE_IN_PROGRESS", "UNAVAILABLE"),
            (Some(_), true) => ("FAILED", "UNAVAILABLE"),
            (None, true) if set.executed => ("CREATE_COMPLETE", "EXECUTE_COMPLETE"),
            (None, true) if stack.as_ref() != Some(&set.stack_as_made) => {
                ("CREATE_COMPLETE", "OBSOLETE")
            }
            (None, true) => ("CREATE_COMPLETE", "AVAILABLE"),
        };
        Ok(ChangeSet {
            id: set.id.clone(),
            status: status.into(),
            status_reason: set.failed.clone().filter(|_| made),
            execution_status: execution_status.into(),
            changes: if made {
                set.changes.clone()
            } else {
                Vec::new()
            },
        })
    }

    pub(super) fn execute_fake_change_set(
        &self,
        change_set: &ChangeSetRef,
        token: &str,
    ) -> Result<(), CloudError> {
        let described = self.describe_fake_change_set(change_set)?;
        if !described.is_executable() {
            return Err(CloudError::new(
                CloudErrorKind::Validation,
                format!(
                    "InvalidChangeSetStatusException: ChangeSet [{}] cannot be executed in its current status of [{}]",
                    described.id,
                    if described.execution_status == "UNAVAILABLE" {
                        &described.status
                    } else {
                        &described.execution_status
                    }
                ),
            ));
        }
        let request = {
            let world = self.aws.world();
            let set = &world.change_sets[&self.key()]
                [&(change_set.stack.clone(), change_set.name.clone())];
            UpdateStackRequest {
                token: token.to_string(),
                ..set.request.clone()
            }
        };
        self.start_update(&request, "ExecuteChangeSet")?;
        // As on AWS: the executed change set stays in the stack's history; every other one of the stack
        // is deleted.
        let mut world = self.aws.world();
        if let Some(sets) = world.change_sets.get_mut(&self.key()) {
            sets.retain(|(stack, name), _| stack != &change_set.stack || name == &change_set.name);
            if let Some(set) = sets.get_mut(&(change_set.stack.clone(), change_set.name.clone())) {
                set.executed = true;
            }
        }
        Ok(())
    }

    pub(super) fn delete_fake_change_set(
        &self,
        change_set: &ChangeSetRef,
    ) -> Result<(), CloudError> {
        let mut world = self.aws.world();
        self.record(&mut world, "DeleteChangeSet");
        let sets = world.change_sets.entry(self.key()).or_default();
        let key = (change_set.stack.clone(), change_set.name.clone());
        match sets.get(&key) {
            None => Err(not_found(change_set)),
            Some(set) if set.executed => Err(validation(format!(
                "InvalidChangeSetStatus: ChangeSet [{}] cannot be deleted in its current status",
                set.id
            ))),
            Some(_) => {
                sets.remove(&key);
                Ok(())
            }
        }
    }
}

impl FakeAws {
    fn world_scripts(&self, world: &World, stack: &str) -> Vec<ResourceChange> {
        world
            .change_set_scripts
            .get(stack)
            .cloned()
            .unwrap_or_default()
    }
}

fn plain_change(action: &str, logical_id: &str, resource_type: &str) -> ResourceChange {
    ResourceChange {
        action: action.into(),
        logical_id: logical_id.into(),
        resource_type: resource_type.into(),
        replacement: None,
        scope: Vec::new(),
        details: Vec::new(),
    }
}
