//! A stack's status, parsed once where CloudFormation's answer is read, and the one classification of it
//! (`StackState`) that the planner, the executor, status, doctor, import and the fake all read, so that no
//! two of them keep their own list of status strings or disagree about one.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! stack_statuses {
    ($($variant:ident = $text:literal,)*) => {
        /// CloudFormation's StackStatus. Serialized as AWS writes it, so JSON and saved plans read the same
        /// as before it was typed.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum StackStatus {
            $($variant,)*
            /// A status newer than this build of rackfile, kept as AWS wrote it.
            Unknown(String),
        }

        impl StackStatus {
            /// Every status this build knows, for tests that go through all of them.
            pub const KNOWN: &'static [StackStatus] = &[$(StackStatus::$variant,)*];

            pub fn parse(text: &str) -> Self {
                match text {
                    $($text => StackStatus::$variant,)*
                    other => StackStatus::Unknown(other.to_string()),
                }
            }

            pub fn as_str(&self) -> &str {
                match self {
                    $(StackStatus::$variant => $text,)*
                    StackStatus::Unknown(text) => text,
                }
            }
        }
    };
}

stack_statuses! {
    CreateInProgress = "CREATE_IN_PROGRESS",
    CreateFailed = "CREATE_FAILED",
    CreateComplete = "CREATE_COMPLETE",
    RollbackInProgress = "ROLLBACK_IN_PROGRESS",
    RollbackFailed = "ROLLBACK_FAILED",
    RollbackComplete = "ROLLBACK_COMPLETE",
    DeleteInProgress = "DELETE_IN_PROGRESS",
    DeleteFailed = "DELETE_FAILED",
    DeleteComplete = "DELETE_COMPLETE",
    UpdateInProgress = "UPDATE_IN_PROGRESS",
    UpdateCompleteCleanupInProgress = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
    UpdateComplete = "UPDATE_COMPLETE",
    UpdateFailed = "UPDATE_FAILED",
    UpdateRollbackInProgress = "UPDATE_ROLLBACK_IN_PROGRESS",
    UpdateRollbackFailed = "UPDATE_ROLLBACK_FAILED",
    UpdateRollbackCompleteCleanupInProgress = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
    UpdateRollbackComplete = "UPDATE_ROLLBACK_COMPLETE",
    ReviewInProgress = "REVIEW_IN_PROGRESS",
    ImportInProgress = "IMPORT_IN_PROGRESS",
    ImportComplete = "IMPORT_COMPLETE",
    ImportRollbackInProgress = "IMPORT_ROLLBACK_IN_PROGRESS",
    ImportRollbackFailed = "IMPORT_ROLLBACK_FAILED",
    ImportRollbackComplete = "IMPORT_ROLLBACK_COMPLETE",
}

impl StackStatus {
    pub fn state(&self) -> StackState {
        use StackStatus::*;
        match self {
            CreateComplete | UpdateComplete | ImportComplete => StackState::Settled,
            UpdateRollbackComplete | ImportRollbackComplete => StackState::RolledBack,
            RollbackComplete | RollbackFailed | CreateFailed => StackState::FailedInstall,
            UpdateRollbackFailed => StackState::RollbackFailed,
            DeleteInProgress => StackState::Deleting,
            DeleteFailed => StackState::DeleteFailed,
            DeleteComplete => StackState::Deleted,
            CreateInProgress
            | RollbackInProgress
            | UpdateInProgress
            | UpdateCompleteCleanupInProgress
            | UpdateRollbackInProgress
            | UpdateRollbackCompleteCleanupInProgress
            | ImportInProgress
            | ImportRollbackInProgress => StackState::InProgress,
            // A change set never executed: nothing is running, and rackfile does not change it.
            ReviewInProgress => StackState::Other,
            // Left failed without a rollback (DisableRollback): settled, but not as anyone asked.
            UpdateFailed | ImportRollbackFailed => StackState::Other,
            // A newer in-progress status still means a later read finds the stack changed.
            Unknown(text) if text.ends_with("_IN_PROGRESS") => StackState::InProgress,
            Unknown(_) => StackState::Other,
        }
    }

    /// CloudFormation is working on it (creating, updating, rolling back or deleting): a later read will
    /// find it changed.
    pub fn is_moving(&self) -> bool {
        matches!(self.state(), StackState::InProgress | StackState::Deleting)
    }

    /// Convox's view of a finished operation: the install, update or deletion it ended failed.
    pub fn is_failure(&self) -> bool {
        matches!(
            self.state(),
            StackState::RolledBack
                | StackState::FailedInstall
                | StackState::RollbackFailed
                | StackState::DeleteFailed
        ) || self.as_str().ends_with("_FAILED")
    }
}

impl fmt::Display for StackStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for StackStatus {
    fn from(text: &str) -> Self {
        StackStatus::parse(text)
    }
}

impl PartialEq<&str> for StackStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for StackStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for StackStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(StackStatus::parse(&text))
    }
}

/// What a stack's status means for rackfile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackState {
    /// Settled after a successful create or update (or a rollback that restored the previous state): it
    /// accepts changes.
    Settled,
    /// An update failed and was rolled back: settled, and accepts changes, but the last operation failed.
    RolledBack,
    /// CloudFormation is creating, updating or rolling it back.
    InProgress,
    /// Being deleted.
    Deleting,
    /// A failed install (`ROLLBACK_COMPLETE`, `ROLLBACK_FAILED`, `CREATE_FAILED`): it must be deleted before
    /// it can be installed again.
    FailedInstall,
    /// `UPDATE_ROLLBACK_FAILED`: nothing but ContinueUpdateRollback (or a deletion) is accepted.
    RollbackFailed,
    /// `DELETE_FAILED`: the deletion stopped; the stack still exists.
    DeleteFailed,
    /// Gone (`DELETE_COMPLETE`, as DescribeStacks by StackId reports a deleted stack).
    Deleted,
    /// Anything else (`REVIEW_IN_PROGRESS` of a change set never executed, `UPDATE_FAILED` without a
    /// rollback, `IMPORT_*` failures, a status newer than rackfile).
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_status_reads_back_as_written() {
        for status in StackStatus::KNOWN {
            assert_eq!(&StackStatus::parse(status.as_str()), status);
            let json = serde_json::to_string(status).unwrap();
            assert_eq!(json, format!("\"{status}\""));
            assert_eq!(&serde_json::from_str::<StackStatus>(&json).unwrap(), status);
        }
        assert_eq!(StackStatus::KNOWN.len(), 23);
    }

    #[test]
    fn a_status_newer_than_rackfile_is_kept_and_classified_by_its_suffix() {
        let moving = StackStatus::parse("EXPORT_IN_PROGRESS");
        assert_eq!(moving, StackStatus::Unknown("EXPORT_IN_PROGRESS".into()));
        assert_eq!(moving.to_string(), "EXPORT_IN_PROGRESS");
        assert_eq!(moving.state(), StackState::InProgress);
        assert!(moving.is_moving());
        let failed = StackStatus::parse("EXPORT_FAILED");
        assert_eq!(failed.state(), StackState::Other);
        assert!(failed.is_failure());
    }

    #[test]
    fn classifies_each_status_as_the_planner_and_the_executor_need() {
        use StackStatus::*;
        for (status, state) in [
            (CreateComplete, StackState::Settled),
            (UpdateComplete, StackState::Settled),
            (UpdateRollbackComplete, StackState::RolledBack),
            (RollbackComplete, StackState::FailedInstall),
            (CreateFailed, StackState::FailedInstall),
            (UpdateRollbackFailed, StackState::RollbackFailed),
            (UpdateRollbackInProgress, StackState::InProgress),
            (UpdateCompleteCleanupInProgress, StackState::InProgress),
            (DeleteInProgress, StackState::Deleting),
            (DeleteFailed, StackState::DeleteFailed),
            (DeleteComplete, StackState::Deleted),
            (ReviewInProgress, StackState::Other),
            (UpdateFailed, StackState::Other),
        ] {
            assert_eq!(status.state(), state, "{status}");
        }
        assert!(DeleteInProgress.is_moving());
        assert!(!ReviewInProgress.is_moving());
        assert!(UpdateFailed.is_failure() && UpdateRollbackComplete.is_failure());
        assert!(!UpdateComplete.is_failure() && !DeleteComplete.is_failure());
    }
}
