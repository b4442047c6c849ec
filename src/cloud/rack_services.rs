//! The AWS services around a rack that Convox's own CLI and rack API call besides CloudFormation
//! (DESIGN.md section 12): Auto Scaling and EventBridge to prepare an uninstall, DynamoDB and SNS to record an
//! upgrade where Convox records it. One account and region, already authenticated.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::CloudError;

/// One resource of a stack, as ListStackResources reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackResource {
    pub logical_id: String,
    /// `None` for a resource CloudFormation has not created (or has deleted).
    pub physical_id: Option<String>,
    pub resource_type: String,
    pub status: String,
}

impl StackResource {
    /// Whether the resource exists in AWS now: created, and not deleted since.
    pub fn exists(&self) -> bool {
        self.physical_id.as_deref().is_some_and(|id| !id.is_empty())
            && !matches!(self.status.as_str(), "DELETE_COMPLETE" | "CREATE_FAILED")
    }
}

/// What a DeleteAutoScalingGroup with ForceDelete found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupDeletion {
    /// The group and its instances are being deleted.
    Deleting,
    /// There was no such group (already deleted): nothing to do.
    AlreadyGone,
}

/// An item of a rack's releases table, with the attributes Convox's `SystemUpdate` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseItem {
    /// The rack's version.
    pub id: String,
    /// The rack's name: a rack's own releases are those whose app is the rack.
    pub app: String,
    /// Convox's sortable time (`20060102.150405.000000000`, UTC).
    pub created: String,
}

#[async_trait]
pub trait RackServices: Send + Sync {
    /// EventBridge DisableRule.
    async fn disable_rule(&self, name: &str) -> Result<(), CloudError>;
    /// Auto Scaling DeleteAutoScalingGroup with ForceDelete: the group's instances are terminated with it,
    /// whatever its lifecycle hooks and scale-in protection.
    async fn force_delete_auto_scaling_group(
        &self,
        name: &str,
    ) -> Result<GroupDeletion, CloudError>;
    /// DynamoDB PutItem of a release into `table`, every attribute a string.
    async fn put_release(&self, table: &str, item: &ReleaseItem) -> Result<(), CloudError>;
    /// SNS Publish of `message` with `subject` to a topic.
    async fn publish(
        &self,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> Result<(), CloudError>;
}
