use aws_config::Region;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_types::origin::Origin;
use aws_types::service_config::LoadServiceConfig;
use serde_json::json;

use super::testing::{Recorder, log, sdk_config};
use super::*;
use crate::cloud::aws_error::sdk_error;
use crate::cloud::aws_iam::IAM;
use crate::cloud::aws_rack_services::AUTO_SCALING;
use crate::cloud::aws_ssm::SSM;

fn client(service: &'static Service, recorder: &Recorder) -> ServiceClient {
    ServiceClient::new(
        service,
        &sdk_config(recorder, "eu-west-1", None),
        "eu-west-1",
        log("eu-west-1"),
    )
}

fn nothing(_body: &[u8]) -> Result<(), XmlDecodeError> {
    Ok(())
}

/// The endpoint URLs a profile's `services` section or AWS_ENDPOINT_URL_<ID> would give.
#[derive(Debug)]
struct ServiceEndpoints(Vec<(&'static str, &'static str)>);

impl LoadServiceConfig for ServiceEndpoints {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        assert_eq!(key.env(), "AWS_ENDPOINT_URL");
        assert_eq!(key.profile(), "endpoint_url");
        self.0
            .iter()
            .find(|(id, _)| *id == key.service_id())
            .map(|(_, url)| url.to_string())
    }
}

fn config(
    endpoint_url: Option<&str>,
    origin: Option<Origin>,
    services: Vec<(&'static str, &'static str)>,
    fips: bool,
) -> SdkConfig {
    let mut builder = SdkConfig::builder()
        .region(Region::new("eu-west-1"))
        .service_config(ServiceEndpoints(services))
        .use_fips(fips);
    if let Some(url) = endpoint_url {
        builder = builder.endpoint_url(url);
    }
    if let Some(origin) = origin {
        builder.insert_origin("endpoint_url", origin);
    }
    builder.build()
}

#[test]
fn the_endpoint_is_the_services_override_then_the_general_one_then_the_regions() {
    let services = || vec![("Auto Scaling", "http://autoscaling.local:4566")];
    let none = config(None, None, vec![], false);
    assert_eq!(
        endpoint(&AUTO_SCALING, &none, "eu-west-1"),
        "https://autoscaling.eu-west-1.amazonaws.com"
    );
    assert_eq!(
        endpoint(&AUTO_SCALING, &none, "cn-north-1"),
        "https://autoscaling.cn-north-1.amazonaws.com.cn"
    );
    assert_eq!(
        endpoint(&IAM, &none, "us-east-1"),
        "https://iam.amazonaws.com"
    );
    let fips = config(None, None, vec![], true);
    assert_eq!(
        endpoint(&AUTO_SCALING, &fips, "us-east-2"),
        "https://autoscaling-fips.us-east-2.amazonaws.com"
    );
    assert_eq!(
        endpoint(&IAM, &fips, "us-east-1"),
        "https://iam-fips.amazonaws.com"
    );
    // AWS_ENDPOINT_URL (from the environment) gives way to AWS_ENDPOINT_URL_AUTO_SCALING ...
    let environment = config(Some("http://localhost:5000"), None, services(), false);
    assert_eq!(
        endpoint(&AUTO_SCALING, &environment, "eu-west-1"),
        "http://autoscaling.local:4566"
    );
    assert_eq!(
        endpoint(&SSM, &environment, "eu-west-1"),
        "http://localhost:5000"
    );
    // ... and `--endpoint-url`, set on the config itself, to nothing.
    let flag = config(
        Some("http://localhost:5000"),
        Some(Origin::shared_config()),
        services(),
        false,
    );
    assert_eq!(
        endpoint(&AUTO_SCALING, &flag, "eu-west-1"),
        "http://localhost:5000"
    );
}

#[tokio::test]
async fn a_json_request_is_a_signed_post_naming_its_target() {
    let recorder = Recorder::answering(&[(200, r#"{"Answer": [1, 2]}"#)]);
    let answer = client(&SSM, &recorder)
        .json(
            "GetParameter",
            &json!({"Name": "/a b", "WithDecryption": true}),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer, json!({"Answer": [1, 2]}));
    let requests = recorder.requests.lock().unwrap();
    let request = &requests[0];
    assert_eq!(request.method(), "POST");
    assert_eq!(request.uri(), "https://ssm.eu-west-1.amazonaws.com/");
    let headers = request.headers();
    assert_eq!(
        headers.get("content-type"),
        Some("application/x-amz-json-1.1")
    );
    assert_eq!(headers.get("x-amz-target"), Some("AmazonSSM.GetParameter"));
    let body = r#"{"Name":"/a b","WithDecryption":true}"#;
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
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260102/eu-west-1/ssm/aws4_request, SignedHeaders="
        ),
        "{authorization}"
    );
    for signed in [
        "content-type",
        "host",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-target",
    ] {
        assert!(
            authorization.contains(signed),
            "{signed} unsigned: {authorization}"
        );
    }
}

#[tokio::test]
async fn an_empty_json_answer_is_null_and_one_that_is_not_json_is_an_error() {
    let recorder = Recorder::answering(&[
        (200, ""),
        (200, "<html/>"),
        (200, "<html/>"),
        (200, "<html/>"),
    ]);
    let client = client(&SSM, &recorder);
    assert_eq!(
        client
            .json("DisableRule", &json!({}))
            .await
            .unwrap()
            .unwrap(),
        serde_json::Value::Null
    );
    assert!(
        client
            .json("DisableRule", &json!({}))
            .await
            .unwrap()
            .is_err()
    );
    // An answer that cannot be read is retried, as the SDK's clients retry one.
    assert_eq!(recorder.requests.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn a_json_errors_code_may_come_in_a_header() {
    let recorder = Recorder::default().then(
        400,
        &[(
            "x-amzn-errortype",
            "ParameterNotFound:http://internal.amazon.com/coral/com.amazon.coral.validate/",
        )],
        "{}",
    );
    let error = client(&SSM, &recorder)
        .json("GetParameter", &json!({}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.code(), Some("ParameterNotFound"));
    assert_eq!(sdk_error(error).message, "ParameterNotFound");
}

#[tokio::test]
async fn a_query_request_is_form_encoded_with_the_services_version() {
    let recorder = Recorder::answering(&[(200, "<DeleteAutoScalingGroupResponse/>")]);
    let params = [
        ("AutoScalingGroupName".to_string(), "a b/c".to_string()),
        ("ForceDelete".to_string(), "true".to_string()),
    ];
    client(&AUTO_SCALING, &recorder)
        .query("DeleteAutoScalingGroup", &params, nothing)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        recorder.header(0, "content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(recorder.header(0, "x-amz-target"), None);
    assert_eq!(
        recorder.bodies(),
        [
            "Action=DeleteAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=a%20b%2Fc&ForceDelete=true"
        ]
    );
}

#[test]
fn a_query_list_is_numbered_from_one_and_an_empty_one_is_its_bare_name() {
    assert_eq!(
        query_list("Names", &["a".to_string(), "b".to_string()]),
        [
            ("Names.member.1".to_string(), "a".to_string()),
            ("Names.member.2".to_string(), "b".to_string())
        ]
    );
    assert_eq!(
        query_list("Names", &[]),
        [("Names".to_string(), String::new())]
    );
    assert_eq!(
        query_body("Act", "1", &query_list("Names", &[])),
        "Action=Act&Version=1&Names="
    );
}

fn json_error_of(headers: &[(&str, &str)], body: &str) -> ServiceError {
    let mut map = Headers::new();
    for (name, value) in headers {
        map.insert(name.to_string(), value.to_string());
    }
    ServiceError::from_answer(&SSM, 400, &map, body.as_bytes())
}

#[test]
fn a_json_error_is_read_as_the_sdks_clients_read_one() {
    let error = json_error_of(
        &[],
        r#"{"__type":"com.amazonaws.ssm#ParameterNotFound","message":"Parameter /x not found."}"#,
    );
    assert_eq!(error.code(), Some("ParameterNotFound"));
    assert_eq!(error.message(), Some("Parameter /x not found."));
    assert_eq!(
        error.to_string(),
        "ParameterNotFound: Parameter /x not found."
    );
    // `code` before `__type`; `Message` as well as `message`.
    let error = json_error_of(
        &[],
        r#"{"__type":"Other","code":"ThrottlingException","Message":"Rate exceeded"}"#,
    );
    assert_eq!(error.code(), Some("ThrottlingException"));
    assert_eq!(error.message(), Some("Rate exceeded"));
    // The header before the body, without its trailing URL.
    let error = json_error_of(
        &[(
            "x-amzn-errortype",
            "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/",
        )],
        r#"{"errorMessage":"no"}"#,
    );
    assert_eq!(error.code(), Some("AccessDeniedException"));
    assert_eq!(error.message(), Some("no"));
    // No JSON, no code: `sdk_error` reads the status (or an XML body) as it did for the SDK's clients.
    let error = json_error_of(&[], "<html>Bad Gateway</html>");
    assert_eq!(error.code(), None);
    assert_eq!(error.message(), None);
}

#[test]
fn a_query_error_is_read_from_either_shape() {
    let wrapped = br#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name x cannot be found.</Message></Error><RequestId>r</RequestId></ErrorResponse>"#;
    let error = ServiceError::from_answer(&IAM, 404, &Headers::new(), wrapped);
    assert_eq!(error.code(), Some("NoSuchEntity"));
    assert_eq!(
        error.message(),
        Some("The role with name x cannot be found.")
    );
    let ec2 = br#"<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>no</Message></Error></Errors><RequestID>r</RequestID></Response>"#;
    let error = ServiceError::from_answer(&AUTO_SCALING, 403, &Headers::new(), ec2);
    assert_eq!(error.code(), Some("UnauthorizedOperation"));
    let error = ServiceError::from_answer(&AUTO_SCALING, 500, &Headers::new(), b"oops");
    assert_eq!(error.code(), None);
    assert_eq!(error.message(), None);
}

#[tokio::test]
async fn json_throttling_is_retried() {
    let recorder = Recorder::answering(&[
        (
            400,
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        ),
        (200, "{}"),
    ]);
    let answer = client(&SSM, &recorder)
        .json("GetParameter", &json!({}))
        .await
        .unwrap();
    assert!(answer.is_ok());
    assert_eq!(recorder.requests.lock().unwrap().len(), 2);
}

/// The SDK's clients named an answer without an AWS error by its status; so does `sdk_error` here (doctor's
/// output shows IAM's).
#[tokio::test]
async fn an_error_without_a_code_is_named_by_its_status() {
    let recorder = Recorder::answering(&[(500, "oops"), (500, "oops"), (500, "oops"), (403, "")]);
    let client = client(&IAM, &recorder);
    let error = sdk_error(
        client
            .query("SimulatePrincipalPolicy", &[], nothing)
            .await
            .unwrap()
            .unwrap_err(),
    );
    assert_eq!(error.message, "HTTP 500, with no AWS error in the answer");
    assert_eq!(recorder.requests.lock().unwrap().len(), 3, "retried");
    let error = sdk_error(
        client
            .query("GetRole", &[], nothing)
            .await
            .unwrap()
            .unwrap_err(),
    );
    assert_eq!(error.message, "HTTP 403 Forbidden: access denied");
    assert_eq!(error.kind, CloudErrorKind::AccessDenied);
}

#[test]
fn an_answer_is_read_at_its_path() {
    let body = b"<A><B><C><D>1</D><E><D>nested</D></E></C><C><D>2</D></C></B><D>top</D></A>";
    let mut seen = Vec::new();
    visit_path(body, &["A", "B", "C"], &mut |c| {
        seen.push(child_texts(c, ["D", "F"])?);
        Ok(())
    })
    .unwrap();
    assert_eq!(
        seen,
        [[Some("1".to_string()), None], [Some("2".to_string()), None]]
    );
    assert!(visit_path(body, &["Z"], &mut |_| Ok(())).is_err());
}

/// aws-config's loader puts no HTTP client in the SdkConfig: the operation takes the runtime's default
/// HTTPS client, as the SDK's clients do, instead of failing before it sends anything; no credentials
/// provider at all is a CloudError before any request.
#[test]
fn an_operation_needs_credentials_but_no_http_client() {
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
    let client = ServiceClient::new(&SSM, &sdk, "eu-west-1", log("eu-west-1"));
    assert!(client.operation("GetParameter", |_| Ok(())).is_ok());
    let anonymous = SdkConfig::builder()
        .region(Region::new("eu-west-1"))
        .build();
    let client = ServiceClient::new(&SSM, &anonymous, "eu-west-1", log("eu-west-1"));
    let error = client.operation("GetParameter", |_| Ok(())).err().unwrap();
    assert_eq!(error.kind, CloudErrorKind::NoCredentials);
}

/// The reason this module exists: the build does not carry a whole service model for a call or two.
#[test]
fn the_sdk_crates_of_a_call_or_two_are_not_in_the_build() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock")).unwrap();
    assert!(
        lock.contains("name = \"aws-sdk-cloudformation\""),
        "not a Cargo.lock"
    );
    for gone in [
        "ec2",
        "ssm",
        "iam",
        "dynamodb",
        "autoscaling",
        "eventbridge",
        "sns",
        "servicequotas",
        "cloudwatch",
    ] {
        assert!(
            !lock.contains(&format!("name = \"aws-sdk-{gone}\"")),
            "aws-sdk-{gone}"
        );
    }
}
