//! CreateStack, UpdateStack (and the update an ExecuteChangeSet starts) and DeleteStack, as strict as
//! CloudFormation: each refused for what AWS refuses it for, each started as an operation that plays out
//! over time (`playback`).

use std::collections::BTreeMap;
use std::time::Duration;

use rackfile::cloud::{
    CloudError, CloudErrorKind, CreateStackRequest, ParameterValue, Stack, StackState, StackStatus,
    UpdateOutcome, UpdateStackRequest,
};
use tokio::time::Instant;

use crate::checks::{check_options, check_parameters, resolve_ssm};
use crate::playback::{advance, extra_times, push_stack_event};
use crate::{
    FakeCloud, FakeStack, Operation, OperationKind, RoleSeen, UpdateSeen, World, now_text,
    validation,
};

impl FakeCloud {
    /// UpdateStack, or the update an ExecuteChangeSet starts (`operation`): the one strict path both take.
    pub(crate) fn start_update(
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

    pub(crate) fn create(&self, request: &CreateStackRequest) -> Result<(), CloudError> {
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

    pub(crate) fn delete(
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
}
