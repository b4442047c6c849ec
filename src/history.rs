//! A rack's recent history read from its stack's events, without I/O: the last operation (whoever started
//! it: rackfile, `convox`, the autoscaler, a detached apply), how it ended, its root cause, and whether the
//! rack's instances are being replaced. `rackfile events` and `rackfile status` both read it.

use serde::Serialize;

use std::time::SystemTime;

use crate::cloud::{Stack, StackEvent, StackState, StackStatus, parse_time};

/// One rack's history, as `rackfile events` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RackHistory {
    /// `org/name`.
    pub rack: String,
    pub region: String,
    /// Convox's word for the stack's status (as `status` shows it), `not installed` or `not a rack`.
    pub status: String,
    pub stack_status: Option<StackStatus>,
    pub last_operation: Option<LastOperation>,
    /// The events shown, oldest first: the last operation's, or with `--since` every event since then.
    pub recent: Vec<StackEvent>,
}

impl RackHistory {
    /// The history of a declared rack from its stack (if any) and that stack's events, newest first; with
    /// `since`, the events shown are those at or after it.
    pub fn of(
        rack: String,
        region: String,
        stack: Option<&Stack>,
        events_newest_first: &[StackEvent],
        since: Option<SystemTime>,
    ) -> Self {
        let status = match stack {
            None => crate::status::NOT_INSTALLED,
            Some(stack) if !crate::convox::is_rack(stack) => crate::status::NOT_A_RACK,
            Some(stack) => crate::convox::convox_status(&stack.status),
        }
        .to_string();
        let last_operation = stack
            .filter(|stack| crate::convox::is_rack(stack))
            .map(|stack| last_operation(stack, events_newest_first));
        let recent = match since {
            Some(since) => {
                let mut recent: Vec<StackEvent> = events_newest_first
                    .iter()
                    // An event whose time cannot be read is shown: hiding it could hide the cause.
                    .filter(|event| parse_time(&event.timestamp).is_none_or(|time| time >= since))
                    .cloned()
                    .collect();
                recent.reverse();
                recent
            }
            None => last_operation
                .as_ref()
                .map(|operation| operation.events.clone())
                .unwrap_or_default(),
        };
        RackHistory {
            rack,
            region,
            status,
            stack_status: stack.map(|stack| stack.status.clone()),
            last_operation,
            recent,
        }
    }
}

/// What a stack operation was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    Create,
    Update,
    Delete,
    /// ContinueUpdateRollback of a stack in UPDATE_ROLLBACK_FAILED.
    ContinueRollback,
    Import,
}

/// How the last operation ended, judged from the stack's status now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationOutcome {
    /// CloudFormation is still working on it.
    InProgress,
    Succeeded,
    /// An update that failed or was cancelled, rolled back to the previous template and parameters: the
    /// rack runs as before it.
    RolledBack,
    /// The operation failed and left the stack failed (a failed install, UPDATE_ROLLBACK_FAILED, a
    /// deletion that stopped).
    Failed,
}

impl OperationOutcome {
    /// The outcome of an operation of `kind` that left the stack in `status`.
    pub fn of(kind: OperationKind, status: &StackStatus) -> Self {
        match status.state() {
            StackState::InProgress | StackState::Deleting => Self::InProgress,
            StackState::Settled | StackState::Deleted => Self::Succeeded,
            // A continued rollback ends as the update's rollback would have: that is its success.
            StackState::RolledBack if kind == OperationKind::ContinueRollback => Self::Succeeded,
            StackState::RolledBack => Self::RolledBack,
            // A failed install or deletion, UPDATE_ROLLBACK_FAILED; and what is not what anyone asked for:
            // UPDATE_FAILED without a rollback, REVIEW_IN_PROGRESS, a status newer than rackfile.
            _ => Self::Failed,
        }
    }

    /// Whether the operation did not do what it was started for.
    pub fn is_failure(self) -> bool {
        matches!(self, Self::RolledBack | Self::Failed)
    }
}

/// The first resource that failed in an operation: why it failed, as CloudFormation said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RootCause {
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: String,
    pub timestamp: String,
}

/// The stack's last operation, read from its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastOperation {
    pub kind: OperationKind,
    /// The time of the stack event that started it (RFC 3339).
    pub started: String,
    /// Why CloudFormation started it (`User Initiated`), when it says.
    pub started_reason: Option<String>,
    pub outcome: OperationOutcome,
    /// The stack's status now.
    pub status: StackStatus,
    pub root_cause: Option<RootCause>,
    /// The operation's events, oldest first (`RackHistory::recent` carries what is shown).
    #[serde(skip)]
    pub events: Vec<StackEvent>,
    /// Whether its first event was among those read: CloudFormation returns the newest events first, a
    /// page at a time, and only the first page is read; a longer operation's start (and an earlier root
    /// cause) may lie before it.
    pub complete: bool,
}

fn is_stack_event(event: &StackEvent, stack_name: &str) -> bool {
    event.resource_type == "AWS::CloudFormation::Stack" && event.logical_id == stack_name
}

/// The kind of operation a stack event starts, if it starts one. An UPDATE_ROLLBACK_IN_PROGRESS starts
/// one only right after UPDATE_ROLLBACK_FAILED (ContinueUpdateRollback); otherwise it is the rollback of
/// the update before it.
fn starts(status: &str, stack_event_before: Option<&str>) -> Option<OperationKind> {
    match status {
        "CREATE_IN_PROGRESS" | "REVIEW_IN_PROGRESS" => Some(OperationKind::Create),
        "UPDATE_IN_PROGRESS" => Some(OperationKind::Update),
        "DELETE_IN_PROGRESS" => Some(OperationKind::Delete),
        "IMPORT_IN_PROGRESS" => Some(OperationKind::Import),
        "UPDATE_ROLLBACK_IN_PROGRESS" if stack_event_before == Some("UPDATE_ROLLBACK_FAILED") => {
            Some(OperationKind::ContinueRollback)
        }
        _ => None,
    }
}

/// Whether a stack's status can follow an operation of `kind`: the status says which operation it is in
/// or ended, and an operation whose start is not among the events read (moto's forced statuses; a first page
/// that ends inside a long operation) must not be taken for the one before it.
fn fits(kind: OperationKind, status: &StackStatus) -> bool {
    let status = status.as_str();
    match kind {
        OperationKind::Create => status.starts_with("CREATE_") || status.starts_with("ROLLBACK_"),
        OperationKind::Update => status.starts_with("UPDATE_"),
        OperationKind::ContinueRollback => status.starts_with("UPDATE_ROLLBACK_"),
        OperationKind::Delete => status.starts_with("DELETE_"),
        OperationKind::Import => status.starts_with("IMPORT_"),
    }
}

/// The kind of operation a status belongs to, for an operation whose start was not read.
fn kind_of(status: &StackStatus) -> OperationKind {
    let status = status.as_str();
    if status.starts_with("CREATE_") || status.starts_with("ROLLBACK_") {
        OperationKind::Create
    } else if status.starts_with("DELETE_") {
        OperationKind::Delete
    } else if status.starts_with("IMPORT_") {
        OperationKind::Import
    } else {
        OperationKind::Update
    }
}

/// The last operation of `stack` from its events (newest first, as DescribeStackEvents gives them) and its
/// status now.
pub fn last_operation(stack: &Stack, events_newest_first: &[StackEvent]) -> LastOperation {
    let stack_name = stack.name.as_str();
    let status = &stack.status;
    let stack_events: Vec<(usize, &StackEvent)> = events_newest_first
        .iter()
        .enumerate()
        .filter(|(_, event)| is_stack_event(event, stack_name))
        .collect();
    // The newest stack event must be where the stack is now (its status, or one more step of an operation
    // still running): an ended operation followed by another status is not the operation that status ended.
    let newest_explains = stack_events.first().is_some_and(|(_, event)| {
        let newest = StackStatus::parse(&event.status);
        newest == *status || (newest.is_moving() && status.is_moving())
    });
    let mut start = None;
    for (position, (index, event)) in stack_events.iter().enumerate() {
        let before = stack_events
            .get(position + 1)
            .map(|(_, event)| event.status.as_str());
        if let Some(kind) = starts(&event.status, before) {
            // A create from a change set shows REVIEW_IN_PROGRESS, then CREATE_IN_PROGRESS: one operation.
            let (index, event) = match (event.status.as_str(), stack_events.get(position + 1)) {
                ("CREATE_IN_PROGRESS", Some((earlier, review)))
                    if review.status == "REVIEW_IN_PROGRESS" =>
                {
                    (*earlier, *review)
                }
                _ => (*index, *event),
            };
            start = Some((index, event, kind));
            break;
        }
    }
    let (complete, kind, events, started, started_reason) = match start {
        Some((index, event, kind)) if fits(kind, status) && newest_explains => {
            let mut events = events_newest_first[..=index].to_vec();
            events.reverse();
            (
                true,
                kind,
                events,
                event.timestamp.clone(),
                event.reason.clone(),
            )
        }
        // The operation began before the events read, or left no event of its own: what is known of it is
        // its status, and the events since the stack's last event that ended an operation.
        _ => {
            // The newest stack event may be this operation's own end (its status is the stack's now).
            let own_end = stack_events
                .first()
                .is_some_and(|(_, event)| event.status == status.as_str());
            let ended = stack_events
                .iter()
                .skip(usize::from(own_end))
                .find(|(_, event)| !StackStatus::parse(&event.status).is_moving())
                .map_or(events_newest_first.len(), |(index, _)| *index);
            let mut events = events_newest_first[..ended].to_vec();
            events.reverse();
            let started = events.first().map_or_else(
                || stack.last_updated.clone(),
                |event| event.timestamp.clone(),
            );
            (false, kind_of(status), events, started, None)
        }
    };
    let outcome = OperationOutcome::of(kind, status);
    let root_cause = root_cause(stack_name, &events).or_else(|| {
        // What DescribeStacks says of the stack's failure, when no event said it.
        stack
            .status_reason
            .clone()
            .filter(|_| outcome.is_failure())
            .map(|reason| RootCause {
                logical_id: stack_name.to_string(),
                resource_type: "AWS::CloudFormation::Stack".into(),
                status: status.as_str().to_string(),
                reason,
                timestamp: stack.last_updated.clone(),
            })
    });
    LastOperation {
        kind,
        started,
        started_reason,
        outcome,
        status: status.clone(),
        root_cause,
        events,
        complete,
    }
}

/// The first `*_FAILED` event of a resource (oldest first), with its reason; else the stack's own first
/// failure with a reason. Resources that fail later are usually cancelled because of the first.
fn root_cause(stack_name: &str, events_oldest_first: &[StackEvent]) -> Option<RootCause> {
    let failed = |event: &&StackEvent| event.status.ends_with("_FAILED");
    let resource = events_oldest_first
        .iter()
        .filter(failed)
        .find(|event| !is_stack_event(event, stack_name));
    let stack = || {
        events_oldest_first
            .iter()
            .filter(|event| is_stack_event(event, stack_name))
            .find(|event| {
                event.reason.is_some()
                    && (event.status.ends_with("_FAILED")
                        || event.status.contains("ROLLBACK_IN_PROGRESS"))
                    && event.reason.as_deref() != Some("User Initiated")
            })
    };
    resource.or_else(stack).map(|event| RootCause {
        logical_id: event.logical_id.clone(),
        resource_type: event.resource_type.clone(),
        status: event.status.clone(),
        reason: event
            .reason
            .clone()
            .unwrap_or_else(|| "no reason given".into()),
        timestamp: event.timestamp.clone(),
    })
}

/// Whether CloudFormation is replacing the rack's instances now: Convox says `converging`.
///
/// Convox's rack API decides it from the AutoScalingGroup's instances (one not InService); rackfile
/// decides it from what the stack itself shows, with no Auto Scaling call or permission: the stack is
/// updating or rolling an update back, and the newest event of one of its AutoScalingGroups is an
/// UPDATE_IN_PROGRESS that carries a reason. CloudFormation writes a reason on an AutoScalingGroup's
/// progress only while it works through its instances (an AutoScalingRollingUpdate: "Rolling update
/// initiated...", "Terminating instance(s)...", "New instance(s) added...", "Received SUCCESS signal...";
/// or a replacement: "Requested update requires the creation of a new physical resource"); a group
/// updated in place (a new MaxSize) shows UPDATE_IN_PROGRESS with none, and its UPDATE_COMPLETE ends it.
pub fn replacing_instances(
    stack_name: &str,
    events_newest_first: &[StackEvent],
    status: &StackStatus,
) -> bool {
    if !matches!(
        status,
        StackStatus::UpdateInProgress | StackStatus::UpdateRollbackInProgress
    ) {
        return false;
    }
    let mut settled_groups: Vec<&str> = Vec::new();
    for event in events_newest_first {
        // Only the operation now running: its start ends the search.
        if is_stack_event(event, stack_name)
            && matches!(
                event.status.as_str(),
                "UPDATE_IN_PROGRESS" | "UPDATE_ROLLBACK_IN_PROGRESS"
            )
            && event.status == status.as_str()
        {
            return false;
        }
        if event.resource_type != "AWS::AutoScaling::AutoScalingGroup"
            || settled_groups.contains(&event.logical_id.as_str())
        {
            continue;
        }
        if event.status == "UPDATE_IN_PROGRESS"
            && event
                .reason
                .as_deref()
                .is_some_and(|r| !r.trim().is_empty())
        {
            return true;
        }
        // The group's newest event says it is not replacing instances now.
        settled_groups.push(&event.logical_id);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(
        id: usize,
        logical: &str,
        kind: &str,
        status: &str,
        reason: Option<&str>,
    ) -> StackEvent {
        StackEvent {
            event_id: format!("e{id}"),
            logical_id: logical.into(),
            physical_id: None,
            resource_type: kind.into(),
            status: status.into(),
            reason: reason.map(str::to_string),
            timestamp: format!("2026-12-07T10:{id:02}:00Z"),
            token: None,
        }
    }

    const STACK: &str = "AWS::CloudFormation::Stack";

    fn stack(status: StackStatus, reason: Option<&str>) -> Stack {
        Stack {
            stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/web/1".into(),
            name: "web".into(),
            status,
            status_reason: reason.map(str::to_string),
            last_updated: "2026-12-07T10:30:00Z".into(),
            parameters: Default::default(),
            tags: Default::default(),
            outputs: Default::default(),
            termination_protection: false,
            parent_id: None,
            resolved: Default::default(),
            role_arn: None,
            notification_arns: Vec::new(),
            rollback: None,
        }
    }

    /// Oldest first in, newest first out, as DescribeStackEvents lists them.
    fn newest_first(mut events: Vec<StackEvent>) -> Vec<StackEvent> {
        events.reverse();
        events
    }

    #[test]
    fn a_failed_update_is_the_last_operation_rolled_back_with_its_first_failed_resource_as_root_cause()
     {
        let events = newest_first(vec![
            event(
                1,
                "web",
                STACK,
                "CREATE_IN_PROGRESS",
                Some("User Initiated"),
            ),
            event(2, "web", STACK, "CREATE_COMPLETE", None),
            event(
                3,
                "web",
                STACK,
                "UPDATE_IN_PROGRESS",
                Some("User Initiated"),
            ),
            event(
                4,
                "Instances",
                "AWS::AutoScaling::AutoScalingGroup",
                "UPDATE_FAILED",
                Some("Received 0 SUCCESS signal(s) out of 1"),
            ),
            event(
                5,
                "Balancer",
                "AWS::ElasticLoadBalancingV2::LoadBalancer",
                "UPDATE_FAILED",
                Some("Resource update cancelled"),
            ),
            event(
                6,
                "web",
                STACK,
                "UPDATE_ROLLBACK_IN_PROGRESS",
                Some("The following resource(s) failed to update: [Instances]."),
            ),
            event(7, "web", STACK, "UPDATE_ROLLBACK_COMPLETE", None),
        ]);
        let operation = last_operation(&stack(StackStatus::UpdateRollbackComplete, None), &events);
        assert_eq!(operation.kind, OperationKind::Update);
        assert_eq!(operation.outcome, OperationOutcome::RolledBack);
        assert!(operation.complete);
        assert_eq!(operation.started, "2026-12-07T10:03:00Z");
        assert_eq!(operation.events.len(), 5);
        assert_eq!(operation.events[0].event_id, "e3");
        let cause = operation.root_cause.unwrap();
        assert_eq!(
            (cause.logical_id.as_str(), cause.reason.as_str()),
            ("Instances", "Received 0 SUCCESS signal(s) out of 1")
        );
    }

    #[test]
    fn a_continued_rollback_is_an_operation_of_its_own_and_its_end_a_success() {
        let events = newest_first(vec![
            event(
                1,
                "web",
                STACK,
                "UPDATE_IN_PROGRESS",
                Some("User Initiated"),
            ),
            event(
                2,
                "web",
                STACK,
                "UPDATE_ROLLBACK_IN_PROGRESS",
                Some("failed"),
            ),
            event(
                3,
                "web",
                STACK,
                "UPDATE_ROLLBACK_FAILED",
                Some("The following resource(s) failed to update: [Fn]."),
            ),
            event(4, "web", STACK, "UPDATE_ROLLBACK_IN_PROGRESS", None),
            event(5, "web", STACK, "UPDATE_ROLLBACK_COMPLETE", None),
        ]);
        let operation = last_operation(&stack(StackStatus::UpdateRollbackComplete, None), &events);
        assert_eq!(operation.kind, OperationKind::ContinueRollback);
        assert_eq!(operation.outcome, OperationOutcome::Succeeded);
        assert_eq!(operation.root_cause, None);
    }

    #[test]
    fn without_a_failed_resource_the_stacks_own_reason_is_the_root_cause_and_a_missing_start_is_said()
     {
        // The first page holds only the end of a long operation.
        let events = newest_first(vec![
            event(8, "Vpc", "AWS::EC2::VPC", "UPDATE_COMPLETE", None),
            event(
                9,
                "web",
                STACK,
                "UPDATE_ROLLBACK_FAILED",
                Some("Stack rollback failed: role is invalid"),
            ),
        ]);
        let operation = last_operation(&stack(StackStatus::UpdateRollbackFailed, None), &events);
        assert!(!operation.complete);
        assert_eq!(operation.kind, OperationKind::Update);
        assert_eq!(operation.outcome, OperationOutcome::Failed);
        assert_eq!(
            operation.root_cause.unwrap().reason,
            "Stack rollback failed: role is invalid"
        );
    }

    #[test]
    fn a_status_the_events_do_not_explain_is_an_operation_whose_start_was_not_read() {
        // The events end with the install; the stack is now UPDATE_ROLLBACK_FAILED (an update whose events
        // are not among those read): that update, not the install, is the last operation.
        let events = newest_first(vec![
            event(
                1,
                "web",
                STACK,
                "CREATE_IN_PROGRESS",
                Some("User Initiated"),
            ),
            event(2, "web", STACK, "CREATE_COMPLETE", None),
        ]);
        let failed = stack(
            StackStatus::UpdateRollbackFailed,
            Some("The following resource(s) failed to update: [Fn]."),
        );
        let operation = last_operation(&failed, &events);
        assert_eq!(operation.kind, OperationKind::Update);
        assert!(!operation.complete);
        assert!(operation.events.is_empty());
        assert_eq!(operation.started, "2026-12-07T10:30:00Z");
        assert_eq!(operation.outcome, OperationOutcome::Failed);
        // DescribeStacks' reason is the root cause when no event gives one.
        assert_eq!(
            operation.root_cause.unwrap().reason,
            "The following resource(s) failed to update: [Fn]."
        );
        // An update that completed, and the stack UPDATE_ROLLBACK_FAILED since: not that update.
        let mut updated = newest_first(vec![
            event(
                3,
                "web",
                STACK,
                "UPDATE_IN_PROGRESS",
                Some("User Initiated"),
            ),
            event(4, "web", STACK, "UPDATE_COMPLETE", None),
        ]);
        updated.extend(events.clone());
        let operation = last_operation(&failed, &updated);
        assert!(!operation.complete);
        assert!(operation.events.is_empty(), "{:?}", operation.events);
        // The same events with the install's own status: the install, complete.
        let operation = last_operation(&stack(StackStatus::CreateComplete, None), &events);
        assert_eq!(
            (operation.kind, operation.outcome, operation.complete),
            (OperationKind::Create, OperationOutcome::Succeeded, true)
        );
    }

    #[test]
    fn instances_are_being_replaced_only_while_an_autoscaling_group_works_through_them() {
        const GROUP: &str = "AWS::AutoScaling::AutoScalingGroup";
        let rolling = newest_first(vec![
            event(
                1,
                "web",
                STACK,
                "UPDATE_IN_PROGRESS",
                Some("User Initiated"),
            ),
            event(2, "Instances", GROUP, "UPDATE_IN_PROGRESS", None),
            event(
                3,
                "Instances",
                GROUP,
                "UPDATE_IN_PROGRESS",
                Some(
                    "Rolling update initiated. Terminating 3 obsolete instance(s) in batches of 1.",
                ),
            ),
        ]);
        assert!(replacing_instances(
            "web",
            &rolling,
            &StackStatus::UpdateInProgress
        ));
        // The same events once the stack has finished: not converging any more.
        assert!(!replacing_instances(
            "web",
            &rolling,
            &StackStatus::UpdateComplete
        ));
        // Done with its instances: the group completed.
        let mut done = rolling.clone();
        done.insert(0, event(4, "Instances", GROUP, "UPDATE_COMPLETE", None));
        assert!(!replacing_instances(
            "web",
            &done,
            &StackStatus::UpdateInProgress
        ));
        // A group updated in place shows no reason.
        let in_place = newest_first(vec![
            event(
                1,
                "web",
                STACK,
                "UPDATE_IN_PROGRESS",
                Some("User Initiated"),
            ),
            event(2, "Instances", GROUP, "UPDATE_IN_PROGRESS", None),
        ]);
        assert!(!replacing_instances(
            "web",
            &in_place,
            &StackStatus::UpdateInProgress
        ));
        // A rolling update of an earlier operation does not count.
        let earlier = newest_first(vec![
            event(
                1,
                "Instances",
                GROUP,
                "UPDATE_IN_PROGRESS",
                Some("Rolling update initiated."),
            ),
            event(
                2,
                "web",
                STACK,
                "UPDATE_IN_PROGRESS",
                Some("User Initiated"),
            ),
            event(3, "Vpc", "AWS::EC2::VPC", "UPDATE_IN_PROGRESS", None),
        ]);
        assert!(!replacing_instances(
            "web",
            &earlier,
            &StackStatus::UpdateInProgress
        ));
    }
}
