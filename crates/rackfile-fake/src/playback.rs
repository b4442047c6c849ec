//! An operation played out over time: one resource per `resource_time` (plus a slow one's extra time),
//! each with its events, then the stack's final status; a failure turns it into a rollback.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rackfile::cloud::{StackEvent, StackState, StackStatus};

use crate::{FakeStack, Operation, OperationKind, now_text};

/// The status of the newest event of resource `logical_id` of the stack, if it has one.
pub(crate) fn newest_status(stack: &FakeStack, logical_id: &str) -> Option<String> {
    stack
        .events
        .iter()
        .rev()
        .find(|event| event.logical_id == logical_id)
        .map(|event| event.status.clone())
}

pub(crate) fn push_stack_event(
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

pub(crate) fn push_event(
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
pub(crate) fn advance(stack: &mut FakeStack, resource_time: Duration, serial: &AtomicUsize) {
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
pub(crate) fn extra_times(
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
