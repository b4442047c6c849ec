//! Rollbacks rackfile asks for: ContinueUpdateRollback of a stack in UPDATE_ROLLBACK_FAILED (skipping
//! only resources that failed) and CancelUpdateStack of an update still in progress; and the knobs that
//! leave a stack unable to roll back or an update finished just before its cancel arrives.

use rackfile::cloud::{CloudError, StackState, StackStatus};
use tokio::time::Instant;

use crate::playback::{advance, newest_status, push_event, push_stack_event};
use crate::{FakeAws, FakeCloud, Operation, OperationKind, validation};

impl FakeAws {
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

    /// Makes the running update of stack `name` complete just before the next CancelUpdateStack arrives:
    /// the race AWS answers by refusing the cancel.
    pub fn finish_before_cancel(&self, name: &str) {
        self.world().finished_before_cancel.insert(name.to_string());
    }
}

impl FakeCloud {
    pub(crate) fn continue_rollback(
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

    pub(crate) fn cancel_update(&self, name: &str, token: &str) -> Result<(), CloudError> {
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
}
