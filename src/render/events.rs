//! The views of `rackfile events`: per rack, its last operation, how it ended, its root cause and the
//! recent events, as text or JSON.

use std::fmt::Write as _;

use super::escape;
use crate::cloud::StackEvent;
use crate::history::{LastOperation, OperationKind, OperationOutcome, RackHistory};

/// The most events a rack shows in the text view; `--json` carries them all.
pub const MOST_EVENTS_SHOWN: usize = 30;

pub fn text(racks: &[RackHistory]) -> String {
    let mut out = String::new();
    for (index, rack) in racks.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let _ = write!(out, "{}  {}", rack.rack, escape(&rack.status));
        match &rack.stack_status {
            Some(status) => {
                let _ = writeln!(out, " ({status}, {})", rack.region);
            }
            None => {
                let _ = writeln!(out, " ({})", rack.region);
            }
        }
        if let Some(operation) = &rack.last_operation {
            operation_lines(&mut out, operation);
        }
        events_lines(&mut out, &rack.recent);
    }
    out
}

fn operation_lines(out: &mut String, operation: &LastOperation) {
    let kind = match operation.kind {
        OperationKind::Create => "install (CreateStack)",
        OperationKind::Update => "update (UpdateStack)",
        OperationKind::Delete => "uninstall (DeleteStack)",
        OperationKind::ContinueRollback => "continued rollback (ContinueUpdateRollback)",
        OperationKind::Import => "import",
    };
    let outcome = match operation.outcome {
        OperationOutcome::InProgress => "in progress",
        OperationOutcome::Succeeded => "succeeded",
        OperationOutcome::RolledBack => {
            "failed or cancelled, and rolled back: the rack runs as before it"
        }
        OperationOutcome::Failed => "failed",
    };
    let started = if operation.complete {
        format!("started {}", escape(&operation.started))
    } else {
        format!(
            "started by {} (its start is not among the events read)",
            escape(&operation.started)
        )
    };
    let _ = writeln!(out, "  last operation: {kind}, {started}: {outcome}");
    if let Some(cause) = &operation.root_cause {
        let _ = writeln!(
            out,
            "  root cause: {} ({}) {}: {}",
            escape(&cause.logical_id),
            escape(&cause.resource_type),
            escape(&cause.status),
            escape(&cause.reason)
        );
    }
    if operation.status == crate::cloud::StackStatus::UpdateRollbackFailed {
        out.push_str("  way out: `rackfile apply --recover` continues the rollback\n");
    }
}

fn events_lines(out: &mut String, events: &[StackEvent]) {
    if events.is_empty() {
        return;
    }
    let hidden = events.len().saturating_sub(MOST_EVENTS_SHOWN);
    out.push_str("  events:\n");
    if hidden > 0 {
        let _ = writeln!(out, "    ... {hidden} earlier (see --json)");
    }
    for event in &events[hidden..] {
        let _ = write!(
            out,
            "    {}  {}  {} ({})",
            escape(&event.timestamp),
            escape(&event.status),
            escape(&event.logical_id),
            escape(&event.resource_type)
        );
        match &event.reason {
            Some(reason) if !reason.is_empty() => {
                let _ = writeln!(out, ": {}", escape(reason));
            }
            _ => out.push('\n'),
        }
    }
}

pub fn json(racks: &[RackHistory]) -> String {
    let value = serde_json::json!({
        "format_version": crate::plan::FORMAT_VERSION,
        "racks": racks,
    });
    let mut text = serde_json::to_string_pretty(&value).expect("histories serialise");
    text.push('\n');
    text
}
