//! The `RackServices` trait over the official Auto Scaling, EventBridge, DynamoDB and SNS SDKs.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::aws_error::sdk_error;
use super::{CloudError, GroupDeletion, RackServices, ReleaseItem};

pub struct AwsRackServices {
    pub(super) autoscaling: aws_sdk_autoscaling::Client,
    pub(super) eventbridge: aws_sdk_eventbridge::Client,
    pub(super) dynamodb: aws_sdk_dynamodb::Client,
    pub(super) sns: aws_sdk_sns::Client,
}

#[async_trait]
impl RackServices for AwsRackServices {
    async fn disable_rule(&self, name: &str) -> Result<(), CloudError> {
        self.eventbridge
            .disable_rule()
            .name(name)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn force_delete_auto_scaling_group(
        &self,
        name: &str,
    ) -> Result<GroupDeletion, CloudError> {
        let answer = self
            .autoscaling
            .delete_auto_scaling_group()
            .auto_scaling_group_name(name)
            .force_delete(true)
            .send()
            .await;
        match answer {
            Ok(_) => Ok(GroupDeletion::Deleting),
            // Auto Scaling answers a group that does not exist with a ValidationError naming it.
            Err(error)
                if error.code() == Some("ValidationError")
                    && error.message().is_some_and(|m| m.contains("not found")) =>
            {
                Ok(GroupDeletion::AlreadyGone)
            }
            Err(error) => Err(sdk_error(error)),
        }
    }

    async fn put_release(&self, table: &str, item: &ReleaseItem) -> Result<(), CloudError> {
        self.dynamodb
            .put_item()
            .table_name(table)
            .item("id", AttributeValue::S(item.id.clone()))
            .item("app", AttributeValue::S(item.app.clone()))
            .item("created", AttributeValue::S(item.created.clone()))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn publish(
        &self,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> Result<(), CloudError> {
        self.sns
            .publish()
            .target_arn(topic_arn)
            .subject(subject)
            .message(message)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }
}
