//! Service Quotas' one call: an EC2 quota's applied value (the preflight's vCPU check).

use aws_config::SdkConfig;
use serde_json::json;

use super::aws_error::sdk_error;
use super::aws_protocol::{Protocol, Service, ServiceClient};
use super::call_log::CallLog;
use super::{CloudError, CloudErrorKind};

const SERVICE_QUOTAS: Service = Service {
    name: "Service Quotas",
    signing_name: "servicequotas",
    endpoint_prefix: "servicequotas",
    global: false,
    protocol: Protocol::Json {
        json_version: "1.1",
        target_prefix: "ServiceQuotasV20190624",
    },
    names_codeless_errors: false,
};

/// Service Quotas of one org in one region.
pub struct AwsQuotas {
    client: ServiceClient,
}

impl AwsQuotas {
    pub fn new(sdk: &SdkConfig, region: &str, log: CallLog) -> Self {
        Self {
            client: ServiceClient::new(&SERVICE_QUOTAS, sdk, region, log),
        }
    }

    /// The value of EC2's quota `code` (GetServiceQuota).
    pub async fn ec2_quota(&self, code: &str) -> Result<f64, CloudError> {
        let input = json!({ "ServiceCode": "ec2", "QuotaCode": code });
        let answer = self
            .client
            .json("GetServiceQuota", &input)
            .await?
            .map_err(sdk_error)?;
        answer
            .get("Quota")
            .and_then(|quota| quota.get("Value"))
            .and_then(serde_json::Value::as_f64)
            .ok_or_else(|| {
                CloudError::new(
                    CloudErrorKind::Other,
                    format!("Service Quotas returned no value for ec2 {code}"),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::super::aws_protocol::testing::{Recorder, log, sdk_config};
    use super::*;

    fn quotas(recorder: &Recorder) -> AwsQuotas {
        AwsQuotas::new(
            &sdk_config(recorder, "us-east-2", None),
            "us-east-2",
            log("us-east-2"),
        )
    }

    #[tokio::test]
    async fn get_service_quota_names_the_ec2_quota_and_reads_its_value() {
        let recorder = Recorder::answering(&[
            (
                200,
                r#"{"Quota":{"ServiceCode":"ec2","QuotaCode":"L-1216C47A","QuotaName":"Running On-Demand Standard instances","Value":1152.0,"Unit":"None","Adjustable":true}}"#,
            ),
            (200, r#"{"Quota":{"ServiceCode":"ec2","QuotaCode":"L-X"}}"#),
        ]);
        let quotas = quotas(&recorder);
        assert_eq!(quotas.ec2_quota("L-1216C47A").await.unwrap(), 1152.0);
        assert_eq!(
            recorder.uri(0),
            "https://servicequotas.us-east-2.amazonaws.com/"
        );
        assert_eq!(
            recorder.header(0, "x-amz-target").as_deref(),
            Some("ServiceQuotasV20190624.GetServiceQuota")
        );
        assert_eq!(
            recorder.json_bodies()[0],
            json!({"ServiceCode": "ec2", "QuotaCode": "L-1216C47A"})
        );
        let error = quotas.ec2_quota("L-X").await.unwrap_err();
        assert_eq!(
            error.message,
            "Service Quotas returned no value for ec2 L-X"
        );
    }

    #[tokio::test]
    async fn an_unknown_quota_names_services_quotas_code() {
        let recorder = Recorder::answering(&[(
            400,
            r#"{"__type":"com.amazonaws.servicequotas#NoSuchResourceException","Message":"The request failed because the specified service quota does not exist."}"#,
        )]);
        let error = quotas(&recorder).ec2_quota("L-NOPE").await.unwrap_err();
        assert_eq!(
            error.message,
            "NoSuchResourceException: The request failed because the specified service quota does not exist."
        );
    }
}
