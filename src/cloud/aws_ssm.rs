//! The two SSM Parameter Store calls: reading a parameter (a rack's password, a `ssm:` value of racks.toml)
//! and storing a new rack's password as a SecureString, never over one that exists.

use aws_config::SdkConfig;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::json;

use super::aws_error::sdk_error;
use super::aws_protocol::{Protocol, Service, ServiceClient};
use super::call_log::CallLog;
use super::{CloudError, PutOutcome, Secret, SsmParameter};

pub(super) const SSM: Service = Service {
    name: "SSM",
    signing_name: "ssm",
    endpoint_prefix: "ssm",
    global: false,
    protocol: Protocol::Json {
        json_version: "1.1",
        target_prefix: "AmazonSSM",
    },
    names_codeless_errors: false,
};

/// What describes the password parameters rackfile stores.
const PASSWORD_DESCRIPTION: &str = "Convox rack API password, stored by rackfile";

/// SSM of one org in one region. Its call log names operations and errors, never values.
pub struct AwsSsm {
    client: ServiceClient,
}

impl AwsSsm {
    pub fn new(sdk: &SdkConfig, region: &str, log: CallLog) -> Self {
        Self {
            client: ServiceClient::new(&SSM, sdk, region, log),
        }
    }

    /// The parameter `name`, decrypted; `None` when there is none.
    pub async fn parameter(&self, name: &str) -> Result<Option<SsmParameter>, CloudError> {
        let input = json!({ "Name": name, "WithDecryption": true });
        match self.client.json("GetParameter", &input).await? {
            Ok(answer) => Ok(answer.get("Parameter").map(|parameter| {
                let text = |field: &str| {
                    parameter
                        .get(field)
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or_default()
                };
                SsmParameter {
                    kind: text("Type").to_string(),
                    value: Secret::new(text("Value")),
                }
            })),
            Err(error) if error.code() == Some("ParameterNotFound") => Ok(None),
            Err(error) => Err(sdk_error(error)),
        }
    }

    /// Stores `value` as the SecureString `name` unless a parameter of that name exists (Overwrite false):
    /// then the one stored first is the one to use.
    pub async fn put_secure_string(
        &self,
        name: &str,
        value: &Secret,
    ) -> Result<PutOutcome, CloudError> {
        let input = json!({
            "Name": name,
            "Description": PASSWORD_DESCRIPTION,
            "Value": value.expose(),
            "Type": "SecureString",
            "Overwrite": false,
        });
        match self.client.json("PutParameter", &input).await? {
            Ok(_) => Ok(PutOutcome::Stored),
            Err(error) if error.code() == Some("ParameterAlreadyExists") => {
                Ok(PutOutcome::AlreadyExists)
            }
            Err(error) => Err(sdk_error(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::aws_protocol::testing::{Recorder, log, sdk_config};
    use super::*;
    use crate::cloud::CloudErrorKind;

    fn ssm(recorder: &Recorder) -> AwsSsm {
        AwsSsm::new(
            &sdk_config(recorder, "eu-west-1", None),
            "eu-west-1",
            log("eu-west-1"),
        )
    }

    #[tokio::test]
    async fn get_parameter_asks_for_the_decrypted_value_and_reads_its_type() {
        let recorder = Recorder::answering(&[(
            200,
            r#"{"Parameter":{"Name":"/convox/prod/password","Type":"SecureString","Value":"s3cret","Version":1,"ARN":"arn:aws:ssm:eu-west-1:123456789012:parameter/convox/prod/password","DataType":"text"}}"#,
        )]);
        let parameter = ssm(&recorder)
            .parameter("/convox/prod/password")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(parameter.kind, "SecureString");
        assert_eq!(parameter.value.expose(), "s3cret");
        assert_eq!(recorder.uri(0), "https://ssm.eu-west-1.amazonaws.com/");
        assert_eq!(
            recorder.header(0, "x-amz-target").as_deref(),
            Some("AmazonSSM.GetParameter")
        );
        assert_eq!(
            recorder.header(0, "content-type").as_deref(),
            Some("application/x-amz-json-1.1")
        );
        assert_eq!(
            recorder.json_bodies(),
            [json!({"Name": "/convox/prod/password", "WithDecryption": true})]
        );
    }

    #[tokio::test]
    async fn a_missing_parameter_is_none_and_a_denial_names_its_code() {
        let recorder = Recorder::answering(&[
            (
                400,
                r#"{"__type":"ParameterNotFound","message":"Parameter /x not found."}"#,
            ),
            (
                400,
                r#"{"__type":"AccessDeniedException","Message":"User: arn:aws:iam::123456789012:user/planner is not authorized to perform: ssm:GetParameter"}"#,
            ),
        ]);
        let ssm = ssm(&recorder);
        assert!(ssm.parameter("/x").await.unwrap().is_none());
        let error = ssm.parameter("/y").await.unwrap_err();
        assert_eq!(error.kind, CloudErrorKind::AccessDenied);
        assert_eq!(
            error.message,
            "AccessDeniedException: User: arn:aws:iam::123456789012:user/planner is not authorized to perform: ssm:GetParameter"
        );
    }

    #[tokio::test]
    async fn put_parameter_stores_a_secure_string_without_overwriting() {
        let recorder = Recorder::answering(&[
            (200, r#"{"Version":1,"Tier":"Standard"}"#),
            (
                400,
                r#"{"__type":"ParameterAlreadyExists","message":"The parameter already exists."}"#,
            ),
        ]);
        let ssm = ssm(&recorder);
        let secret = Secret::new("pa55");
        assert_eq!(
            ssm.put_secure_string("/convox/prod/password", &secret)
                .await
                .unwrap(),
            PutOutcome::Stored
        );
        assert_eq!(
            ssm.put_secure_string("/convox/prod/password", &secret)
                .await
                .unwrap(),
            PutOutcome::AlreadyExists
        );
        assert_eq!(
            recorder.header(0, "x-amz-target").as_deref(),
            Some("AmazonSSM.PutParameter")
        );
        assert_eq!(
            recorder.json_bodies()[0],
            json!({
                "Name": "/convox/prod/password",
                "Description": "Convox rack API password, stored by rackfile",
                "Value": "pa55",
                "Type": "SecureString",
                "Overwrite": false,
            })
        );
    }

    /// moto answers a denial of a JSON service with an XML body: `sdk_error` still reads its code.
    #[tokio::test]
    async fn a_denial_in_an_xml_body_is_still_a_denial() {
        let recorder = Recorder::answering(&[(
            403,
            r#"<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/planner is not authorized to perform: ssm:GetParameter</Message></Error></Errors></ErrorResponse>"#,
        )]);
        let error = ssm(&recorder).parameter("/x").await.unwrap_err();
        assert_eq!(error.kind, CloudErrorKind::AccessDenied);
        assert_eq!(
            error.message,
            "AccessDenied: User: arn:aws:iam::123456789012:user/planner is not authorized to perform: ssm:GetParameter"
        );
    }
}
