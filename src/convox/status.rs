//! Convox's words for a rack's stack status, as `convox racks` and `convox rack` show them.

use crate::cloud::StackStatus;

/// Convox's `humanStatus`: the word `convox racks` shows for a CloudFormation stack status. Where the 2016
/// and current Convox disagree (UPDATE_ROLLBACK_FAILED), the current word wins: the rack cannot be updated.
/// One deliberate difference: Convox says `running` for DELETE_FAILED, a rack half deleted (its apps or
/// resources may be gone); rackfile says `delete failed`, which is what an operator needs to know.
pub fn convox_status(status: &StackStatus) -> &'static str {
    use StackStatus::*;
    match status {
        CreateInProgress | ReviewInProgress => "creating",
        DeleteFailed => "delete failed",
        CreateComplete
        | UpdateComplete
        | UpdateRollbackComplete
        | ImportComplete
        | ImportRollbackComplete => "running",
        RollbackComplete | RollbackFailed | CreateFailed | UpdateRollbackFailed | UpdateFailed
        | ImportRollbackFailed => "failed",
        DeleteInProgress | DeleteComplete => "deleting",
        RollbackInProgress
        | UpdateRollbackInProgress
        | UpdateRollbackCompleteCleanupInProgress
        | ImportRollbackInProgress => "rollback",
        UpdateInProgress | UpdateCompleteCleanupInProgress | ImportInProgress => "updating",
        Unknown(_) => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_convox_words_for_every_status_convox_names() {
        for (status, word) in [
            ("CREATE_IN_PROGRESS", "creating"),
            ("CREATE_COMPLETE", "running"),
            ("UPDATE_COMPLETE", "running"),
            ("UPDATE_ROLLBACK_COMPLETE", "running"),
            ("DELETE_FAILED", "delete failed"),
            ("ROLLBACK_COMPLETE", "failed"),
            ("UPDATE_ROLLBACK_FAILED", "failed"),
            ("DELETE_IN_PROGRESS", "deleting"),
            ("ROLLBACK_IN_PROGRESS", "rollback"),
            ("UPDATE_ROLLBACK_IN_PROGRESS", "rollback"),
            ("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "rollback"),
            ("UPDATE_IN_PROGRESS", "updating"),
            ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "updating"),
        ] {
            assert_eq!(convox_status(&StackStatus::parse(status)), word, "{status}");
        }
    }

    #[test]
    fn only_a_status_newer_than_rackfile_is_unknown() {
        for status in StackStatus::KNOWN {
            assert_ne!(convox_status(status), "unknown", "{status}");
        }
        assert_eq!(
            convox_status(&StackStatus::parse("EXPORT_IN_PROGRESS")),
            "unknown"
        );
    }
}
