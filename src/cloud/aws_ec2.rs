//! EC2's three calls of the preflight checks (DescribeAvailabilityZones, DescribeInstanceTypeOfferings,
//! DescribeInstanceTypes) without aws-sdk-ec2: that crate models all of EC2's ~700 operations and was the largest
//! crate of the release build (README, Performance). Each call is an EC2 Query-protocol request made by
//! `aws_protocol`; this file says what is asked and reads EC2's answers (its own XML shape: `<item>` lists and a
//! `nextToken`).

use aws_config::SdkConfig;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_xml::decode::{Document, ScopedDecoder, XmlDecodeError, try_data};

use super::CloudError;
use super::aws_error::sdk_error;
use super::aws_protocol::{Page, Protocol, Service, ServiceClient};
use super::call_log::CallLog;

pub(super) const EC2: Service = Service {
    name: "EC2",
    signing_name: "ec2",
    endpoint_prefix: "ec2",
    global: false,
    // The EC2 API version every Query request names (the one aws-sdk-ec2 sends).
    protocol: Protocol::Query {
        version: "2016-11-15",
    },
    names_codeless_errors: true,
};

/// EC2 of one org in one region.
pub struct AwsEc2 {
    client: ServiceClient,
}

impl AwsEc2 {
    pub fn new(sdk: &SdkConfig, region: &str, log: CallLog) -> Self {
        Self {
            client: ServiceClient::new(&EC2, sdk, region, log),
        }
    }

    /// The names of the region's zones available to the account, sorted.
    pub async fn availability_zones(&self) -> Result<Vec<String>, CloudError> {
        let mut zones = self
            .client
            .query("DescribeAvailabilityZones", &[], zone_names)
            .await?
            .map_err(sdk_error)?;
        zones.sort();
        Ok(zones)
    }

    /// The zones that offer `instance_type`, sorted, every page read.
    pub async fn instance_type_zones(
        &self,
        instance_type: &str,
    ) -> Result<Vec<String>, CloudError> {
        let params = [
            ("LocationType".to_string(), "availability-zone".to_string()),
            ("Filter.1.Name".to_string(), "instance-type".to_string()),
            ("Filter.1.Value.1".to_string(), instance_type.to_string()),
        ];
        let mut zones = self
            .client
            .query_pages(
                "DescribeInstanceTypeOfferings",
                &params,
                "NextToken",
                offering_locations,
            )
            .await?;
        zones.sort();
        zones.dedup();
        Ok(zones)
    }

    /// The default vCPUs of `instance_type`; `None` when EC2 does not know the type.
    pub async fn instance_type_vcpus(
        &self,
        instance_type: &str,
    ) -> Result<Option<u32>, CloudError> {
        let answer = self
            .client
            .query(
                "DescribeInstanceTypes",
                &[("InstanceType.1".to_string(), instance_type.to_string())],
                default_vcpus,
            )
            .await?;
        match answer {
            Ok(vcpus) => Ok(vcpus.first().copied()),
            Err(error) if error.code() == Some("InvalidInstanceType") => Ok(None),
            Err(error) => Err(sdk_error(error)),
        }
    }
}

/// Reads an `<{Action}Response>`: `read_item` is given each `<item>` of its `list` element; returns the items
/// it read and the `nextToken`.
fn read_items<T>(
    body: &[u8],
    response: &str,
    list: &str,
    mut read_item: impl FnMut(&mut ScopedDecoder) -> Result<Option<T>, XmlDecodeError>,
) -> Result<Page<T>, XmlDecodeError> {
    let mut doc = Document::try_from(body)?;
    let mut root = doc.root_element()?;
    if root.start_el().local() != response {
        return Err(XmlDecodeError::custom(format!(
            "expected a {response}, got a {}",
            root.start_el().local()
        )));
    }
    let mut page = Page {
        items: Vec::new(),
        next_token: None,
    };
    while let Some(mut tag) = root.next_tag() {
        let name = tag.start_el().local().to_string();
        if name == list {
            while let Some(mut item) = tag.next_tag() {
                if item.start_el().local() == "item"
                    && let Some(value) = read_item(&mut item)?
                {
                    page.items.push(value);
                }
            }
        } else if name == "nextToken" {
            page.next_token = Some(try_data(&mut tag)?.into_owned()).filter(|t| !t.is_empty());
        }
    }
    Ok(page)
}

/// The text of an item's direct child `name`.
fn field(item: &mut ScopedDecoder, name: &str) -> Result<Option<String>, XmlDecodeError> {
    let mut value = None;
    while let Some(mut child) = item.next_tag() {
        if child.start_el().local() == name {
            value = Some(try_data(&mut child)?.into_owned());
        }
    }
    Ok(value)
}

fn zone_names(body: &[u8]) -> Result<Vec<String>, XmlDecodeError> {
    Ok(read_items(
        body,
        "DescribeAvailabilityZonesResponse",
        "availabilityZoneInfo",
        |item| field(item, "zoneName"),
    )?
    .items)
}

fn offering_locations(body: &[u8]) -> Result<Page<String>, XmlDecodeError> {
    read_items(
        body,
        "DescribeInstanceTypeOfferingsResponse",
        "instanceTypeOfferingSet",
        |item| field(item, "location"),
    )
}

fn default_vcpus(body: &[u8]) -> Result<Vec<u32>, XmlDecodeError> {
    Ok(read_items(
        body,
        "DescribeInstanceTypesResponse",
        "instanceTypeSet",
        |item| {
            let mut vcpus = None;
            while let Some(mut child) = item.next_tag() {
                if child.start_el().local() == "vCpuInfo" {
                    vcpus = field(&mut child, "defaultVCpus")?;
                }
            }
            vcpus
                .map(|text| {
                    text.trim().parse::<u32>().map_err(|_| {
                        XmlDecodeError::custom(format!("defaultVCpus is not a number: {text}"))
                    })
                })
                .transpose()
        },
    )?
    .items)
}

#[cfg(test)]
mod tests {
    use aws_smithy_runtime_api::http::Headers;

    use super::super::aws_protocol::ServiceError;
    use super::super::aws_protocol::testing::{Recorder, log, sdk_config};
    use super::*;
    use crate::cloud::CloudErrorKind;

    fn ec2(recorder: &Recorder, endpoint_url: Option<&str>) -> AwsEc2 {
        AwsEc2::new(
            &sdk_config(recorder, "eu-west-1", endpoint_url),
            "eu-west-1",
            log("eu-west-1"),
        )
    }

    const ZONES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeAvailabilityZonesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>e0d1bf7a-0000-0000-0000-000000000000</requestId>
    <availabilityZoneInfo>
        <item>
            <zoneName>eu-west-1b</zoneName>
            <zoneState>available</zoneState>
            <regionName>eu-west-1</regionName>
            <messageSet><item><message>not a zone name</message></item></messageSet>
            <zoneId>euw1-az1</zoneId>
        </item>
        <item><zoneName>eu-west-1a</zoneName><zoneState>available</zoneState></item>
    </availabilityZoneInfo>
</DescribeAvailabilityZonesResponse>"#;

    fn offerings(zones: &[&str], next_token: Option<&str>) -> String {
        let items: String = zones
            .iter()
            .map(|zone| {
                format!(
                    "<item><instanceType>t3.large</instanceType><locationType>availability-zone</locationType><location>{zone}</location></item>"
                )
            })
            .collect();
        let token = next_token
            .map(|token| format!("<nextToken>{token}</nextToken>"))
            .unwrap_or_default();
        format!(
            r#"<DescribeInstanceTypeOfferingsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><instanceTypeOfferingSet>{items}</instanceTypeOfferingSet>{token}</DescribeInstanceTypeOfferingsResponse>"#
        )
    }

    const TYPES: &str = r#"<DescribeInstanceTypesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
<requestId>r</requestId>
<instanceTypeSet><item>
  <instanceType>t3.large</instanceType>
  <memoryInfo><sizeInMiB>8192</sizeInMiB></memoryInfo>
  <vCpuInfo><defaultCores>1</defaultCores><defaultVCpus>2</defaultVCpus><validCores><item>1</item></validCores></vCpuInfo>
</item></instanceTypeSet>
</DescribeInstanceTypesResponse>"#;

    fn error_body(code: &str, message: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestID></Response>"#
        )
    }

    #[test]
    fn reads_the_zone_names_of_the_zone_list_only() {
        assert_eq!(
            zone_names(ZONES.as_bytes()).unwrap(),
            ["eu-west-1b", "eu-west-1a"]
        );
    }

    #[test]
    fn reads_a_page_of_offerings_and_its_token() {
        assert_eq!(
            offering_locations(offerings(&["eu-west-1a", "eu-west-1c"], Some("tok==")).as_bytes())
                .unwrap(),
            Page {
                items: vec!["eu-west-1a".to_string(), "eu-west-1c".to_string()],
                next_token: Some("tok==".to_string())
            }
        );
        assert_eq!(
            offering_locations(offerings(&[], None).as_bytes()).unwrap(),
            Page {
                items: vec![],
                next_token: None
            }
        );
    }

    #[test]
    fn reads_the_default_vcpus_not_the_valid_cores() {
        assert_eq!(default_vcpus(TYPES.as_bytes()).unwrap(), [2]);
    }

    #[test]
    fn an_answer_of_another_operation_or_not_xml_is_an_error() {
        assert!(offering_locations(ZONES.as_bytes()).is_err());
        assert!(zone_names(b"{\"zones\": []}").is_err());
        assert!(default_vcpus(b"<DescribeInstanceTypesResponse><instanceTypeSet><item><vCpuInfo><defaultVCpus>two</defaultVCpus></vCpuInfo></item></instanceTypeSet></DescribeInstanceTypesResponse>").is_err());
    }

    #[test]
    fn an_error_body_gives_its_code_and_message() {
        let error = ServiceError::from_answer(
            &EC2,
            400,
            &Headers::new(),
            error_body(
                "InvalidInstanceType",
                "The following supplied instance types do not exist: [t9.huge]",
            )
            .as_bytes(),
        );
        assert_eq!(error.code(), Some("InvalidInstanceType"));
        assert_eq!(
            error.to_string(),
            "InvalidInstanceType: The following supplied instance types do not exist: [t9.huge]"
        );
        // A body that says nothing (a proxy's HTML page) is named by its status.
        let error =
            ServiceError::from_answer(&EC2, 502, &Headers::new(), b"<html>Bad Gateway</html>");
        assert_eq!(error.code(), None);
        assert_eq!(error.to_string(), "EC2 answered HTTP 502");
    }

    #[tokio::test]
    async fn the_request_is_a_signed_form_encoded_post_to_the_regions_endpoint() {
        let recorder = Recorder::answering(&[(200, TYPES)]);
        let vcpus = ec2(&recorder, None)
            .instance_type_vcpus("t3.large")
            .await
            .unwrap();
        assert_eq!(vcpus, Some(2));
        let requests = recorder.requests.lock().unwrap();
        let request = &requests[0];
        assert_eq!(request.method(), "POST");
        assert_eq!(request.uri(), "https://ec2.eu-west-1.amazonaws.com/");
        let headers = request.headers();
        assert_eq!(
            headers.get("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        let body = "Action=DescribeInstanceTypes&Version=2016-11-15&InstanceType.1=t3.large";
        assert_eq!(request.body().bytes(), Some(body.as_bytes()));
        assert_eq!(
            headers.get("content-length"),
            Some(body.len().to_string().as_str())
        );
        assert_eq!(headers.get("x-amz-date"), Some("20260102T030405Z"));
        assert_eq!(headers.get("x-amz-security-token"), Some("session-token"));
        let authorization = headers.get("authorization").unwrap();
        assert!(
            authorization.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260102/eu-west-1/ec2/aws4_request, SignedHeaders="
            ),
            "{authorization}"
        );
        for signed in ["content-type", "host", "x-amz-date", "x-amz-security-token"] {
            assert!(
                authorization.contains(signed),
                "{signed} unsigned: {authorization}"
            );
        }
    }

    #[tokio::test]
    async fn the_endpoint_override_is_where_the_request_goes() {
        let recorder = Recorder::answering(&[(200, ZONES)]);
        let zones = ec2(&recorder, Some("http://localhost:5000"))
            .availability_zones()
            .await
            .unwrap();
        assert_eq!(zones, ["eu-west-1a", "eu-west-1b"], "sorted");
        assert_eq!(
            recorder.requests.lock().unwrap()[0].uri(),
            "http://localhost:5000/"
        );
    }

    #[tokio::test]
    async fn every_page_of_offerings_is_read_with_the_token_of_the_last() {
        let recorder = Recorder::answering(&[
            (
                200,
                &offerings(&["eu-west-1c", "eu-west-1a"], Some("page 2/3")),
            ),
            (200, &offerings(&["eu-west-1b", "eu-west-1a"], None)),
        ]);
        let zones = ec2(&recorder, None)
            .instance_type_zones("t3.large")
            .await
            .unwrap();
        assert_eq!(zones, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
        let filter = "Action=DescribeInstanceTypeOfferings&Version=2016-11-15&LocationType=availability-zone&Filter.1.Name=instance-type&Filter.1.Value.1=t3.large";
        assert_eq!(
            recorder.bodies(),
            [
                filter.to_string(),
                format!("{filter}&NextToken=page%202%2F3")
            ]
        );
    }

    #[tokio::test]
    async fn throttling_is_retried_and_an_unknown_type_is_none() {
        let recorder = Recorder::answering(&[
            (
                503,
                &error_body("RequestLimitExceeded", "Request limit exceeded."),
            ),
            (
                400,
                &error_body(
                    "InvalidInstanceType",
                    "The following supplied instance types do not exist: [t9.huge]",
                ),
            ),
        ]);
        let vcpus = ec2(&recorder, None)
            .instance_type_vcpus("t9.huge")
            .await
            .unwrap();
        assert_eq!(vcpus, None);
        assert_eq!(recorder.requests.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn a_refusal_names_ec2s_code_and_message_and_is_not_retried() {
        let recorder = Recorder::answering(&[(
            403,
            &error_body(
                "UnauthorizedOperation",
                "You are not authorized to perform this operation. User: arn:aws:iam::123456789012:user/planner",
            ),
        )]);
        let error = ec2(&recorder, None).availability_zones().await.unwrap_err();
        assert_eq!(error.kind, CloudErrorKind::AccessDenied);
        assert_eq!(
            error.message,
            "UnauthorizedOperation: You are not authorized to perform this operation. User: arn:aws:iam::123456789012:user/planner"
        );
        assert_eq!(recorder.requests.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_server_error_is_retried_up_to_the_configured_attempts() {
        let recorder = Recorder::answering(&[
            (500, "<html>oops</html>"),
            (500, "<html>oops</html>"),
            (500, "<html>oops</html>"),
        ]);
        let error = ec2(&recorder, None).availability_zones().await.unwrap_err();
        assert_eq!(error.message, "EC2 answered HTTP 500");
        assert_eq!(recorder.requests.lock().unwrap().len(), 3);
    }
}
