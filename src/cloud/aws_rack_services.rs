//! The `RackServices` trait over Auto Scaling, EventBridge, DynamoDB and SNS: one call each, made by
//! `aws_protocol` (Query for Auto Scaling and SNS, AWS JSON for EventBridge and DynamoDB).

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_xml::decode::XmlDecodeError;
use serde_json::json;

use super::aws_error::sdk_error;
use super::aws_protocol::{Protocol, Service, ServiceClient, visit_path};
use super::call_log::CallLog;
use super::{CloudError, GroupDeletion, RackServices, ReleaseItem};

pub(super) const AUTO_SCALING: Service = Service {
    name: "Auto Scaling",
    signing_name: "autoscaling",
    endpoint_prefix: "autoscaling",
    global: false,
    protocol: Protocol::Query {
        version: "2011-01-01",
    },
    names_codeless_errors: false,
};

const EVENTBRIDGE: Service = Service {
    name: "EventBridge",
    signing_name: "events",
    endpoint_prefix: "events",
    global: false,
    protocol: Protocol::Json {
        json_version: "1.1",
        target_prefix: "AWSEvents",
    },
    names_codeless_errors: false,
};

const DYNAMODB: Service = Service {
    name: "DynamoDB",
    signing_name: "dynamodb",
    endpoint_prefix: "dynamodb",
    global: false,
    protocol: Protocol::Json {
        json_version: "1.0",
        target_prefix: "DynamoDB_20120810",
    },
    names_codeless_errors: false,
};

const SNS: Service = Service {
    name: "SNS",
    signing_name: "sns",
    endpoint_prefix: "sns",
    global: false,
    protocol: Protocol::Query {
        version: "2010-03-31",
    },
    names_codeless_errors: false,
};

pub struct AwsRackServices {
    autoscaling: ServiceClient,
    eventbridge: ServiceClient,
    dynamodb: ServiceClient,
    sns: ServiceClient,
}

impl AwsRackServices {
    pub fn new(sdk: &SdkConfig, region: &str, log: CallLog) -> Self {
        Self {
            autoscaling: ServiceClient::new(&AUTO_SCALING, sdk, region, log.clone()),
            eventbridge: ServiceClient::new(&EVENTBRIDGE, sdk, region, log.clone()),
            dynamodb: ServiceClient::new(&DYNAMODB, sdk, region, log.clone()),
            sns: ServiceClient::new(&SNS, sdk, region, log),
        }
    }
}

/// DeleteAutoScalingGroup answers nothing to read (nor did the SDK's client read its body).
fn nothing_to_read(_body: &[u8]) -> Result<(), XmlDecodeError> {
    Ok(())
}

/// Publish's answer: it has a MessageId.
fn published(body: &[u8]) -> Result<(), XmlDecodeError> {
    visit_path(body, &["PublishResponse"], &mut |_| Ok(()))
}

#[async_trait]
impl RackServices for AwsRackServices {
    async fn disable_rule(&self, name: &str) -> Result<(), CloudError> {
        self.eventbridge
            .json("DisableRule", &json!({ "Name": name }))
            .await?
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn force_delete_auto_scaling_group(
        &self,
        name: &str,
    ) -> Result<GroupDeletion, CloudError> {
        let params = [
            ("AutoScalingGroupName".to_string(), name.to_string()),
            ("ForceDelete".to_string(), "true".to_string()),
        ];
        let answer = self
            .autoscaling
            .query("DeleteAutoScalingGroup", &params, nothing_to_read)
            .await?;
        match answer {
            Ok(()) => Ok(GroupDeletion::Deleting),
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
        // The attribute values are DynamoDB's typed shapes, every one a string ({"S": ..}).
        let input = json!({
            "TableName": table,
            "Item": {
                "id": { "S": item.id },
                "app": { "S": item.app },
                "created": { "S": item.created },
            },
        });
        self.dynamodb
            .json("PutItem", &input)
            .await?
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn publish(
        &self,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> Result<(), CloudError> {
        let params = [
            ("TargetArn".to_string(), topic_arn.to_string()),
            ("Message".to_string(), message.to_string()),
            ("Subject".to_string(), subject.to_string()),
        ];
        self.sns
            .query("Publish", &params, published)
            .await?
            .map_err(sdk_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::aws_protocol::testing::{Recorder, log, sdk_config};
    use super::*;

    fn services(recorder: &Recorder) -> AwsRackServices {
        AwsRackServices::new(
            &sdk_config(recorder, "eu-west-1", None),
            "eu-west-1",
            log("eu-west-1"),
        )
    }

    #[tokio::test]
    async fn disable_rule_is_an_eventbridge_json_request() {
        let recorder = Recorder::answering(&[(200, "")]);
        services(&recorder)
            .disable_rule("prod-rack-autoscale")
            .await
            .unwrap();
        assert_eq!(recorder.uri(0), "https://events.eu-west-1.amazonaws.com/");
        assert_eq!(
            recorder.header(0, "x-amz-target").as_deref(),
            Some("AWSEvents.DisableRule")
        );
        assert_eq!(
            recorder.header(0, "content-type").as_deref(),
            Some("application/x-amz-json-1.1")
        );
        assert_eq!(
            recorder.json_bodies(),
            [json!({"Name": "prod-rack-autoscale"})]
        );
        let authorization = recorder.header(0, "authorization").unwrap();
        assert!(
            authorization.contains("/eu-west-1/events/aws4_request"),
            "{authorization}"
        );
    }

    const DELETED: &str = r#"<DeleteAutoScalingGroupResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteAutoScalingGroupResponse>"#;

    #[tokio::test]
    async fn the_group_is_force_deleted_and_a_missing_one_is_already_gone() {
        let recorder = Recorder::answering(&[
            (200, DELETED),
            (
                400,
                r#"<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>AutoScalingGroup name not found - AutoScalingGroup prod-Spot not found</Message></Error><RequestId>r</RequestId></ErrorResponse>"#,
            ),
            (
                400,
                r#"<ErrorResponse><Error><Type>Sender</Type><Code>ResourceInUse</Code><Message>You cannot delete an AutoScalingGroup while there are scaling activities in progress for that group.</Message></Error></ErrorResponse>"#,
            ),
        ]);
        let services = services(&recorder);
        assert_eq!(
            services
                .force_delete_auto_scaling_group("prod-Spot")
                .await
                .unwrap(),
            GroupDeletion::Deleting
        );
        assert_eq!(
            services
                .force_delete_auto_scaling_group("prod-Spot")
                .await
                .unwrap(),
            GroupDeletion::AlreadyGone
        );
        let error = services
            .force_delete_auto_scaling_group("prod-Spot")
            .await
            .unwrap_err();
        assert_eq!(
            error.message,
            "ResourceInUse: You cannot delete an AutoScalingGroup while there are scaling activities in progress for that group."
        );
        assert_eq!(
            recorder.uri(0),
            "https://autoscaling.eu-west-1.amazonaws.com/"
        );
        assert_eq!(
            recorder.bodies()[0],
            "Action=DeleteAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=prod-Spot&ForceDelete=true"
        );
    }

    /// The item's shape is what aws-sdk-dynamodb sent for `AttributeValue::S`: Convox reads these records.
    #[tokio::test]
    async fn the_release_record_is_a_put_item_of_three_string_attributes() {
        let recorder = Recorder::answering(&[(200, "{}")]);
        let item = ReleaseItem {
            id: "20250101000000".to_string(),
            app: "prod".to_string(),
            created: "20260102.030405.000000000".to_string(),
        };
        services(&recorder)
            .put_release("prod-releases", &item)
            .await
            .unwrap();
        assert_eq!(recorder.uri(0), "https://dynamodb.eu-west-1.amazonaws.com/");
        assert_eq!(
            recorder.header(0, "x-amz-target").as_deref(),
            Some("DynamoDB_20120810.PutItem")
        );
        assert_eq!(
            recorder.header(0, "content-type").as_deref(),
            Some("application/x-amz-json-1.0")
        );
        assert_eq!(
            recorder.json_bodies(),
            [json!({
                "TableName": "prod-releases",
                "Item": {
                    "id": {"S": "20250101000000"},
                    "app": {"S": "prod"},
                    "created": {"S": "20260102.030405.000000000"},
                },
            })]
        );
    }

    #[tokio::test]
    async fn a_dynamodb_error_names_its_code_without_the_namespace() {
        let recorder = Recorder::answering(&[(
            400,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}"#,
        )]);
        let item = ReleaseItem {
            id: "1".to_string(),
            app: "prod".to_string(),
            created: "c".to_string(),
        };
        let error = services(&recorder)
            .put_release("gone", &item)
            .await
            .unwrap_err();
        assert_eq!(
            error.message,
            "ResourceNotFoundException: Requested resource not found"
        );
    }

    #[tokio::test]
    async fn publish_sends_the_subject_and_message_to_the_target() {
        let recorder = Recorder::answering(&[
            (
                200,
                r#"<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>"#,
            ),
            (
                403,
                r#"<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>User: arn:aws:iam::123456789012:user/deployer is not authorized to perform: SNS:Publish</Message></Error><RequestId>r</RequestId></ErrorResponse>"#,
            ),
        ]);
        let services = services(&recorder);
        let topic = "arn:aws:sns:eu-west-1:123456789012:prod-Notifications";
        services
            .publish(topic, "rack:update", r#"{"action":"rack:update"}"#)
            .await
            .unwrap();
        assert_eq!(recorder.uri(0), "https://sns.eu-west-1.amazonaws.com/");
        assert_eq!(
            recorder.bodies()[0],
            "Action=Publish&Version=2010-03-31&TargetArn=arn%3Aaws%3Asns%3Aeu-west-1%3A123456789012%3Aprod-Notifications&Message=%7B%22action%22%3A%22rack%3Aupdate%22%7D&Subject=rack%3Aupdate"
        );
        let error = services
            .publish(topic, "rack:update", "{}")
            .await
            .unwrap_err();
        assert_eq!(
            error.message,
            "AuthorizationError: User: arn:aws:iam::123456789012:user/deployer is not authorized to perform: SNS:Publish"
        );
    }
}
