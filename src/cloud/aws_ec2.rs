//! EC2's three calls of the preflight checks (DescribeAvailabilityZones, DescribeInstanceTypeOfferings,
//! DescribeInstanceTypes) without aws-sdk-ec2: that crate models all of EC2's ~700 operations and was the largest
//! crate of the release build (README, Performance). Each call is an EC2 Query-protocol request (a form-encoded
//! POST, an XML answer) run by the same smithy orchestrator as the SDK's own clients, from the org's SdkConfig:
//! its HTTP client, credentials and identity cache, SigV4 signing, the standard retries with the classifiers the
//! SDK's EC2 client uses (throttling and transient codes, timeouts and connection errors, HTTP 5xx), the timeouts
//! and the call log. A failure is an `SdkError` like any other adapter's, so `sdk_error` names its code and
//! message.

use std::fmt;

use aws_config::SdkConfig;
use aws_runtime::auth::SigV4OperationSigningConfig;
use aws_runtime::auth::sigv4::{self, SigV4AuthScheme};
use aws_runtime::retries::classifiers::AwsErrorCodeClassifier;
use aws_sdk_cloudformation::error::SdkError;
use aws_smithy_runtime::client::identity::IdentityCache;
use aws_smithy_runtime::client::orchestrator::operation::Operation;
use aws_smithy_runtime::client::retries::classifiers::{
    HttpStatusCodeClassifier, TransientErrorClassifier,
};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::auth::AuthSchemeOptionResolverParams;
use aws_smithy_runtime_api::client::auth::static_resolver::StaticAuthSchemeOptionResolver;
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse, OrchestratorError};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
use aws_smithy_runtime_api::client::runtime_plugin::StaticRuntimePlugin;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::Layer;
use aws_smithy_types::error::ErrorMetadata;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_smithy_xml::decode::{Document, ScopedDecoder, XmlDecodeError, try_data};
use aws_types::SigningName;
use aws_types::region::SigningRegion;
use aws_types::service_config::ServiceConfigKey;

use super::aws_error::sdk_error;
use super::call_log::CallLog;
use super::{CloudError, CloudErrorKind};

/// The EC2 API version every Query request names (the one aws-sdk-ec2 sends).
const API_VERSION: &str = "2016-11-15";

/// EC2 of one org in one region.
pub struct AwsEc2 {
    sdk: SdkConfig,
    region: String,
    endpoint: String,
    log: CallLog,
}

impl AwsEc2 {
    pub fn new(sdk: &SdkConfig, region: &str, log: CallLog) -> Self {
        Self {
            sdk: sdk.clone(),
            region: region.to_string(),
            endpoint: endpoint(sdk, region),
            log,
        }
    }

    /// The names of the region's zones available to the account, sorted.
    pub async fn availability_zones(&self) -> Result<Vec<String>, CloudError> {
        let mut zones = self
            .call("DescribeAvailabilityZones", &[], zone_names)
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
        let mut zones = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let mut params = vec![
                ("LocationType", "availability-zone".to_string()),
                ("Filter.1.Name", "instance-type".to_string()),
                ("Filter.1.Value.1", instance_type.to_string()),
            ];
            if let Some(token) = &next_token {
                params.push(("NextToken", token.clone()));
            }
            let page = self
                .call("DescribeInstanceTypeOfferings", &params, offering_locations)
                .await?
                .map_err(sdk_error)?;
            zones.extend(page.items);
            // A page that hands back the token it was asked with would loop forever.
            if page.next_token.is_none() || page.next_token == next_token {
                break;
            }
            next_token = page.next_token;
        }
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
            .call(
                "DescribeInstanceTypes",
                &[("InstanceType.1", instance_type.to_string())],
                default_vcpus,
            )
            .await?;
        match answer {
            Ok(vcpus) => Ok(vcpus.first().copied()),
            Err(error) if error.code() == Some("InvalidInstanceType") => Ok(None),
            Err(error) => Err(sdk_error(error)),
        }
    }

    /// One Query request of `action` with `params`, its successful answer read by `parse`. The outer error
    /// is a request that could not be made (no credentials provider); the inner one is EC2's answer.
    async fn call<O>(
        &self,
        action: &'static str,
        params: &[(&str, String)],
        parse: fn(&[u8]) -> Result<O, XmlDecodeError>,
    ) -> Result<Result<O, SdkError<Ec2Error, HttpResponse>>, CloudError>
    where
        O: fmt::Debug + Send + Sync + 'static,
    {
        let operation = self.operation(action, parse)?;
        Ok(operation.invoke(query_body(action, params)).await)
    }

    fn operation<O>(
        &self,
        action: &'static str,
        parse: fn(&[u8]) -> Result<O, XmlDecodeError>,
    ) -> Result<Operation<String, O, Ec2Error>, CloudError>
    where
        O: fmt::Debug + Send + Sync + 'static,
    {
        let credentials = self.sdk.credentials_provider().ok_or_else(|| {
            CloudError::new(
                CloudErrorKind::NoCredentials,
                format!("no credentials provider for EC2 in {}", self.region),
            )
        })?;

        // SigV4 with service name ec2 and the region, from the config's credentials through its identity
        // cache (the cache the other clients of this config share, so EC2 resolves no credentials of its own).
        let mut signing = Layer::new("ec2-query");
        signing.store_put(AuthSchemeOptionResolverParams::new(()));
        signing.store_put(SigV4OperationSigningConfig::default());
        signing.store_put(SigningName::from_static("ec2"));
        signing.store_put(SigningRegion::from(aws_types::region::Region::new(
            self.region.clone(),
        )));
        let mut components = RuntimeComponentsBuilder::new("ec2-query");
        components
            .set_auth_scheme_option_resolver(Some(StaticAuthSchemeOptionResolver::new(vec![
                sigv4::SCHEME_ID,
            ])))
            .push_auth_scheme(SigV4AuthScheme::new())
            .set_identity_resolver(sigv4::SCHEME_ID, credentials)
            .set_identity_cache(Some(
                self.sdk
                    .identity_cache()
                    .unwrap_or_else(|| IdentityCache::lazy().build()),
            ))
            .push_retry_classifier(TransientErrorClassifier::<Ec2Error>::new())
            .push_retry_classifier(AwsErrorCodeClassifier::<Ec2Error>::new())
            .push_retry_classifier(HttpStatusCodeClassifier::default());

        let mut builder = Operation::builder()
            .service_name("EC2")
            .operation_name(action)
            .behavior_version(
                self.sdk
                    .behavior_version()
                    .unwrap_or_else(BehaviorVersion::latest),
            )
            .endpoint_url(&self.endpoint)
            .standard_retry(
                &self
                    .sdk
                    .retry_config()
                    .cloned()
                    .unwrap_or_else(RetryConfig::standard),
            )
            .timeout_config(
                self.sdk
                    .timeout_config()
                    .cloned()
                    .unwrap_or_else(TimeoutConfig::disabled),
            )
            .interceptor(self.log.clone())
            .with_connection_poisoning()
            .runtime_plugin(
                StaticRuntimePlugin::new()
                    .with_config(signing.freeze())
                    .with_runtime_components(components),
            );
        // What the config leaves out (aws-config's loader sets no HTTP client) comes from the runtime's
        // defaults, as it does for the SDK's clients: the default HTTPS client, Tokio's sleep, the system clock.
        if let Some(http_client) = self.sdk.http_client() {
            builder = builder.http_client(http_client);
        }
        if let Some(sleep) = self.sdk.sleep_impl() {
            builder = builder.sleep_impl(sleep);
        }
        if let Some(time) = self.sdk.time_source() {
            builder = builder.time_source(time);
        }
        Ok(builder
            .serializer(serialize)
            .deserializer(move |response: &HttpResponse| deserialize(response, parse))
            .build())
    }
}

/// Where EC2 is: the endpoint override the SDK's EC2 client would take (AWS_ENDPOINT_URL_EC2 or the profile's
/// `ec2` endpoint_url, unless the config was given one explicitly, then AWS_ENDPOINT_URL / `--endpoint-url`),
/// else the region's public endpoint, FIPS when the config asks for it. (A dual-stack setting is not followed:
/// the IPv4 endpoint answers the same, and rackfile sets none.)
fn endpoint(sdk: &SdkConfig, region: &str) -> String {
    let service_specific = || {
        let key = ServiceConfigKey::builder()
            .service_id("EC2")
            .env("AWS_ENDPOINT_URL")
            .profile("endpoint_url")
            .build()
            .ok()?;
        sdk.service_config()?.load_config(key)
    };
    let configured = if sdk.get_origin("endpoint_url").is_client_config() {
        sdk.endpoint_url().map(str::to_string)
    } else {
        service_specific().or_else(|| sdk.endpoint_url().map(str::to_string))
    };
    configured.unwrap_or_else(|| {
        let host = if sdk.use_fips() == Some(true) {
            "ec2-fips"
        } else {
            "ec2"
        };
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        format!("https://{host}.{region}.{suffix}")
    })
}

/// The form-encoded body of a Query request.
fn query_body(action: &str, params: &[(&str, String)]) -> String {
    let mut body = String::new();
    let mut writer = aws_smithy_query::QueryWriter::new(&mut body, action, API_VERSION);
    for (name, value) in params {
        writer.prefix(name).string(value);
    }
    writer.finish();
    body
}

fn serialize(body: String) -> Result<HttpRequest, BoxError> {
    let length = body.len();
    let mut request = HttpRequest::new(SdkBody::from(body));
    request.set_method("POST")?;
    request.set_uri("/")?;
    request
        .headers_mut()
        .insert("content-type", "application/x-www-form-urlencoded");
    request
        .headers_mut()
        .insert("content-length", length.to_string());
    Ok(request)
}

fn deserialize<O>(
    response: &HttpResponse,
    parse: fn(&[u8]) -> Result<O, XmlDecodeError>,
) -> Result<O, OrchestratorError<Ec2Error>> {
    let body = response.body().bytes().unwrap_or_default();
    if response.status().is_success() {
        parse(body).map_err(|error| OrchestratorError::response(Box::new(error)))
    } else {
        Err(OrchestratorError::operation(Ec2Error::from_body(
            response.status().as_u16(),
            body,
        )))
    }
}

/// An error EC2 answered with: its code and message when the body says them.
#[derive(Debug)]
pub struct Ec2Error {
    meta: ErrorMetadata,
}

impl Ec2Error {
    fn from_body(status: u16, body: &[u8]) -> Self {
        let meta = match error_metadata(body) {
            Ok(meta) if meta.code().is_some() => meta,
            _ => ErrorMetadata::builder()
                .message(format!("EC2 answered HTTP {status}"))
                .build(),
        };
        Self { meta }
    }
}

impl fmt::Display for Ec2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.meta.code(), self.meta.message()) {
            (Some(code), Some(message)) => write!(f, "{code}: {message}"),
            (Some(code), None) => f.write_str(code),
            (None, message) => f.write_str(message.unwrap_or("EC2 error")),
        }
    }
}

impl std::error::Error for Ec2Error {}

impl ProvideErrorMetadata for Ec2Error {
    fn meta(&self) -> &ErrorMetadata {
        &self.meta
    }
}

/// `<Response><Errors><Error><Code>..</Code><Message>..</Message></Error></Errors>..</Response>`.
fn error_metadata(body: &[u8]) -> Result<ErrorMetadata, XmlDecodeError> {
    let mut doc = Document::try_from(body)?;
    let mut root = doc.root_element()?;
    let mut meta = ErrorMetadata::builder();
    while let Some(mut errors) = root.next_tag() {
        if errors.start_el().local() != "Errors" {
            continue;
        }
        while let Some(mut error) = errors.next_tag() {
            if error.start_el().local() != "Error" {
                continue;
            }
            while let Some(mut field) = error.next_tag() {
                match field.start_el().local() {
                    "Code" => meta = meta.code(try_data(&mut field)?),
                    "Message" => meta = meta.message(try_data(&mut field)?),
                    _ => {}
                }
            }
        }
    }
    Ok(meta.build())
}

/// A page of a paginated answer.
#[derive(Debug, PartialEq)]
struct Page<T> {
    items: Vec<T>,
    next_token: Option<String>,
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
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    use aws_config::Region;
    use aws_credential_types::Credentials;
    use aws_credential_types::provider::SharedCredentialsProvider;
    use aws_smithy_async::time::{SharedTimeSource, StaticTimeSource};
    use aws_smithy_runtime_api::client::http::{
        HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
        SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
    use aws_smithy_runtime_api::http::StatusCode;

    use super::*;

    /// An HTTP client that answers from a list and keeps every request it was sent.
    #[derive(Debug, Clone, Default)]
    struct Recorder {
        answers: Arc<Mutex<VecDeque<(u16, String)>>>,
        requests: Arc<Mutex<Vec<HttpRequest>>>,
    }

    impl Recorder {
        fn answering(answers: &[(u16, &str)]) -> Self {
            let recorder = Self::default();
            recorder.answers.lock().unwrap().extend(
                answers
                    .iter()
                    .map(|(status, body)| (*status, body.to_string())),
            );
            recorder
        }

        fn bodies(&self) -> Vec<String> {
            self.requests
                .lock()
                .unwrap()
                .iter()
                .map(|request| String::from_utf8_lossy(request.body().bytes().unwrap()).into())
                .collect()
        }
    }

    impl HttpConnector for Recorder {
        fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
            self.requests.lock().unwrap().push(request);
            let (status, body) = self
                .answers
                .lock()
                .unwrap()
                .pop_front()
                .expect("a request beyond the answers the test gave");
            HttpConnectorFuture::ready(Ok(HttpResponse::new(
                StatusCode::try_from(status).unwrap(),
                SdkBody::from(body),
            )))
        }
    }

    impl HttpClient for Recorder {
        fn http_connector(
            &self,
            _settings: &HttpConnectorSettings,
            _components: &RuntimeComponents,
        ) -> SharedHttpConnector {
            SharedHttpConnector::new(self.clone())
        }
    }

    /// 2026-01-02T03:04:05Z, so the signature's date is known.
    const NOW: u64 = 1_767_323_045;

    fn ec2(recorder: &Recorder, endpoint_url: Option<&str>) -> AwsEc2 {
        let mut sdk = SdkConfig::builder()
            .region(Region::new("eu-west-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                Some("session-token".to_string()),
                None,
                "test",
            )))
            .http_client(SharedHttpClient::new(recorder.clone()))
            .time_source(SharedTimeSource::new(StaticTimeSource::from_secs(NOW)))
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(std::time::Duration::from_millis(1)),
            )
            .behavior_version(BehaviorVersion::latest());
        if let Some(url) = endpoint_url {
            sdk = sdk.endpoint_url(url);
        }
        AwsEc2::new(
            &sdk.build(),
            "eu-west-1",
            CallLog {
                region: "eu-west-1".to_string(),
                limit: None,
            },
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
        let error = Ec2Error::from_body(
            400,
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
        let error = Ec2Error::from_body(502, b"<html>Bad Gateway</html>");
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

    /// aws-config's loader puts no HTTP client in the SdkConfig: the operation takes the runtime's default
    /// HTTPS client, as the SDK's clients do, instead of failing before it sends anything.
    #[test]
    fn a_config_without_an_http_client_still_makes_an_operation() {
        let sdk = SdkConfig::builder()
            .region(Region::new("eu-west-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKIDEXAMPLE",
                "secret",
                None,
                None,
                "test",
            )))
            .build();
        assert!(sdk.http_client().is_none());
        let log = CallLog {
            region: "eu-west-1".to_string(),
            limit: None,
        };
        let ec2 = AwsEc2::new(&sdk, "eu-west-1", log);
        assert!(
            ec2.operation("DescribeAvailabilityZones", zone_names)
                .is_ok()
        );
    }

    /// The reason this file exists: the build does not carry the whole EC2 model for three calls.
    #[test]
    fn aws_sdk_ec2_is_not_in_the_build() {
        let lock =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock")).unwrap();
        assert!(
            lock.contains("name = \"aws-smithy-xml\""),
            "not a Cargo.lock"
        );
        assert!(!lock.contains("name = \"aws-sdk-ec2\""));
    }
}
