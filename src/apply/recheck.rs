//! The last read before a DeleteStack: whether the stack is still the one the plan listed. The rack's own
//! deletion and the uninstall's preparation (its app and resource stacks) both read it.

use super::outcome::NotAsPlanned;
use crate::cloud::{Cloud, Stack, StackState};

/// What a stack planned for deletion is now, read just before its DeleteStack.
pub(super) enum Recheck {
    /// Still the stack planned, as read now.
    Delete(Box<Stack>),
    /// Already deleted (by someone else): nothing to do.
    Gone,
    /// It is no longer the stack the plan listed: how.
    Refuse(NotAsPlanned),
}

/// Whether `name` is still the stack `stack_id` the plan listed, and still what the plan took it for
/// (`still`): a stack renamed, replaced or re-tagged since the plan is never deleted.
pub(super) async fn recheck_before_delete(
    cloud: &dyn Cloud,
    name: &str,
    stack_id: &str,
    still: impl Fn(&Stack) -> bool,
) -> Recheck {
    match cloud.describe_stack(name).await {
        Err(error) => Recheck::Refuse(NotAsPlanned::Unreadable {
            stack: name.to_string(),
            error,
        }),
        Ok(None) => Recheck::Gone,
        Ok(Some(stack)) if stack.state() == StackState::Deleted => Recheck::Gone,
        Ok(Some(stack)) if stack.stack_id != stack_id => Recheck::Refuse(NotAsPlanned::Replaced {
            stack: name.to_string(),
            now: stack.stack_id,
            planned: stack_id.to_string(),
        }),
        Ok(Some(stack)) if !still(&stack) => Recheck::Refuse(NotAsPlanned::Retagged {
            stack: name.to_string(),
        }),
        Ok(Some(stack)) => Recheck::Delete(Box::new(stack)),
    }
}
