//! What the tests of the AWS adapters share: an HTTP client that answers from a list and keeps every request
//! it was sent, and an SdkConfig with fixed credentials and clock around it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use aws_config::{Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_async::time::{SharedTimeSource, StaticTimeSource};
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;

use crate::cloud::call_log::CallLog;

/// An answer to give: status, headers, body.
type Answer = (u16, Vec<(String, String)>, String);

/// An HTTP client that answers from a list and keeps every request it was sent.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    answers: Arc<Mutex<VecDeque<Answer>>>,
    pub requests: Arc<Mutex<Vec<HttpRequest>>>,
}

impl Recorder {
    pub fn answering(answers: &[(u16, &str)]) -> Self {
        let recorder = Self::default();
        recorder.answers.lock().unwrap().extend(
            answers
                .iter()
                .map(|(status, body)| (*status, Vec::new(), body.to_string())),
        );
        recorder
    }

    /// One more answer, with headers.
    pub fn then(self, status: u16, headers: &[(&str, &str)], body: &str) -> Self {
        self.answers.lock().unwrap().push_back((
            status,
            headers
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
            body.to_string(),
        ));
        self
    }

    pub fn bodies(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|request| String::from_utf8_lossy(request.body().bytes().unwrap()).into())
            .collect()
    }

    /// The JSON body of every request.
    pub fn json_bodies(&self) -> Vec<serde_json::Value> {
        self.bodies()
            .iter()
            .map(|body| serde_json::from_str(body).unwrap())
            .collect()
    }

    pub fn header(&self, request: usize, name: &str) -> Option<String> {
        self.requests.lock().unwrap()[request]
            .headers()
            .get(name)
            .map(str::to_string)
    }

    pub fn uri(&self, request: usize) -> String {
        self.requests.lock().unwrap()[request].uri().to_string()
    }
}

impl HttpConnector for Recorder {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        self.requests.lock().unwrap().push(request);
        let (status, headers, body) = self
            .answers
            .lock()
            .unwrap()
            .pop_front()
            .expect("a request beyond the answers the test gave");
        let mut response =
            HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body));
        for (name, value) in headers {
            response.headers_mut().insert(name, value);
        }
        HttpConnectorFuture::ready(Ok(response))
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
pub const NOW: u64 = 1_767_323_045;

/// A config that sends through `recorder`, with session credentials, three quick attempts and, when given,
/// an endpoint override as `--endpoint-url` gives it.
pub fn sdk_config(recorder: &Recorder, region: &str, endpoint_url: Option<&str>) -> SdkConfig {
    let mut sdk = SdkConfig::builder()
        .region(Region::new(region.to_string()))
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
    sdk.build()
}

pub fn log(region: &str) -> CallLog {
    CallLog::outside_rate_limit(region)
}
