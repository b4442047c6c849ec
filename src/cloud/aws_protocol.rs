//! AWS requests without the service's SDK crate: an SDK crate models every operation of its service, and
//! rackfile makes one or two calls of each (README, Performance: the SDK crates were most of the release
//! build). A request here is either of AWS's two RPC protocols rackfile needs: Query (a form-encoded POST of
//! Action, Version and the parameters; an XML answer) or AWS JSON 1.0/1.1 (a JSON POST naming the operation
//! in X-Amz-Target; a JSON answer). Both run through the same smithy orchestrator as the SDK's own clients,
//! from the org's SdkConfig: its HTTP client, credentials and identity cache, SigV4 signing with the service's
//! signing name, the standard retries with the classifiers the SDK's clients use (throttling and transient
//! codes, timeouts and connection errors, HTTP 5xx), the timeouts and the `-v` call log. A failure is an
//! `SdkError` like any SDK client's, so `sdk_error` names AWS's code and message.

use std::fmt;

use aws_config::SdkConfig;
use aws_runtime::auth::SigV4OperationSigningConfig;
use aws_runtime::auth::sigv4::{self, SigV4AuthScheme};
use aws_runtime::retries::classifiers::AwsErrorCodeClassifier;
use aws_sdk_cloudformation::error::SdkError;
use aws_smithy_runtime::client::identity::IdentityCache;
use aws_smithy_runtime::client::orchestrator::operation::Operation;
use aws_smithy_runtime::client::retries::RetryPartition;
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
use aws_smithy_runtime_api::http::Headers;
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

use super::call_log::CallLog;
use super::{CloudError, CloudErrorKind};

/// What a request needs to know of a service: the names the SDK's client of it uses, where it is and how it
/// is spoken to.
#[derive(Debug)]
pub struct Service {
    /// The service's id, as the SDK's client of it names it: in the call log (`{name}.{operation}`, which
    /// `permissions` maps to IAM actions) and in its endpoint override (AWS_ENDPOINT_URL_<NAME>, upper case
    /// with `_` for spaces, and the profile's `services` section).
    pub name: &'static str,
    /// The SigV4 service name.
    pub signing_name: &'static str,
    /// The first label of the service's public host name.
    pub endpoint_prefix: &'static str,
    /// One endpoint for every region (IAM): `https://{prefix}.amazonaws.com`.
    pub global: bool,
    pub protocol: Protocol,
    /// An error answer without a code is named "{name} answered HTTP {status}" (EC2's own wording) instead
    /// of being left to `sdk_error`'s reading of the status (the SDK clients' behaviour).
    pub names_codeless_errors: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// AWS Query, with the API version every request names.
    Query { version: &'static str },
    /// AWS JSON, `json_version` 1.0 or 1.1, the operation named `{target_prefix}.{operation}`.
    Json {
        json_version: &'static str,
        target_prefix: &'static str,
    },
}

/// A request that could not be made (no credentials provider), or the service's answer.
pub type Answer<O> = Result<Result<O, SdkError<ServiceError, HttpResponse>>, CloudError>;

/// A page of a paginated Query answer: its items, and the token of the page after it (`None`: the last).
#[derive(Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

/// One service of one org in one region.
pub struct ServiceClient {
    service: &'static Service,
    sdk: SdkConfig,
    region: String,
    endpoint: String,
    log: CallLog,
}

impl ServiceClient {
    pub fn new(service: &'static Service, sdk: &SdkConfig, region: &str, log: CallLog) -> Self {
        Self {
            service,
            sdk: sdk.clone(),
            region: region.to_string(),
            endpoint: endpoint(service, sdk, region),
            log,
        }
    }

    /// Every page of a paginated Query request, `token` naming the parameter that asks for the next one
    /// (`NextToken`, IAM's `Marker`). A token handed back a second time is an error, not the end: a
    /// service cycling A -> B -> A would loop forever, and stopping there would answer with pages missing
    /// (for IAM's simulation, denied actions unreported).
    pub async fn query_pages<T>(
        &self,
        action: &'static str,
        params: &[(String, String)],
        token: &str,
        parse: fn(&[u8]) -> Result<Page<T>, XmlDecodeError>,
    ) -> Result<Vec<T>, CloudError>
    where
        T: fmt::Debug + Send + Sync + 'static,
    {
        let mut items = Vec::new();
        let mut sent = std::collections::BTreeSet::new();
        let mut next: Option<String> = None;
        loop {
            let mut page_params = params.to_vec();
            if let Some(next) = &next {
                page_params.push((token.to_string(), next.clone()));
            }
            let page = self
                .query(action, &page_params, parse)
                .await?
                .map_err(super::aws_error::sdk_error)?;
            items.extend(page.items);
            let Some(following) = page.next_token else {
                return Ok(items);
            };
            if !sent.insert(following.clone()) {
                return Err(CloudError::new(
                    CloudErrorKind::Other,
                    format!(
                        "{action} handed back the page token {following:?} a second time: its pages go round in a circle, so the answer is incomplete"
                    ),
                ));
            }
            next = Some(following);
        }
    }

    /// A Query request of `action` with `params` (in the order given), its answer read by `parse`.
    pub async fn query<O>(
        &self,
        action: &'static str,
        params: &[(String, String)],
        parse: fn(&[u8]) -> Result<O, XmlDecodeError>,
    ) -> Answer<O>
    where
        O: fmt::Debug + Send + Sync + 'static,
    {
        let Protocol::Query { version } = self.service.protocol else {
            unreachable!("{} is not a Query service", self.service.name)
        };
        let operation = self.operation(action, move |body: &[u8]| {
            parse(body).map_err(|error| Box::new(error) as BoxError)
        })?;
        Ok(operation.invoke(query_body(action, version, params)).await)
    }

    /// An AWS JSON request of `operation` with `input`; its answer's JSON (`null` for an empty body).
    pub async fn json(
        &self,
        operation: &'static str,
        input: &serde_json::Value,
    ) -> Answer<serde_json::Value> {
        let operation = self.operation(operation, |body: &[u8]| {
            if body.iter().all(u8::is_ascii_whitespace) {
                return Ok(serde_json::Value::Null);
            }
            serde_json::from_slice(body).map_err(|error| Box::new(error) as BoxError)
        })?;
        Ok(operation.invoke(input.to_string()).await)
    }

    pub(super) fn operation<O>(
        &self,
        operation: &'static str,
        parse: impl Fn(&[u8]) -> Result<O, BoxError> + Send + Sync + 'static,
    ) -> Result<Operation<String, O, ServiceError>, CloudError>
    where
        O: fmt::Debug + Send + Sync + 'static,
    {
        let service = self.service;
        let credentials = self.sdk.credentials_provider().ok_or_else(|| {
            CloudError::new(
                CloudErrorKind::NoCredentials,
                format!(
                    "no credentials provider for {} in {}",
                    service.name, self.region
                ),
            )
        })?;

        // SigV4 with the service's signing name and the region, from the config's credentials through its
        // identity cache (the cache the other clients of this config share, so no service resolves
        // credentials of its own).
        let mut signing = Layer::new("rackfile-aws-protocol");
        signing.store_put(AuthSchemeOptionResolverParams::new(()));
        signing.store_put(SigV4OperationSigningConfig::default());
        signing.store_put(SigningName::from_static(service.signing_name));
        signing.store_put(SigningRegion::from(aws_types::region::Region::new(
            self.region.clone(),
        )));
        // One retry token bucket per service and region, as the SDK's clients partition theirs: by default
        // the runtime names the partition after the service alone, so one throttled region would spend the
        // retries of every other org and region.
        signing.store_put(RetryPartition::new(format!(
            "{}-{}",
            service.signing_name, self.region
        )));
        let mut components = RuntimeComponentsBuilder::new("rackfile-aws-protocol");
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
            .push_retry_classifier(TransientErrorClassifier::<ServiceError>::new())
            .push_retry_classifier(AwsErrorCodeClassifier::<ServiceError>::new())
            .push_retry_classifier(HttpStatusCodeClassifier::default());

        let mut builder = Operation::builder()
            .service_name(service.name)
            .operation_name(operation)
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
        let protocol = service.protocol;
        Ok(builder
            .serializer(move |body: String| serialize(protocol, operation, body))
            .deserializer(move |response: &HttpResponse| deserialize(service, response, &parse))
            .build())
    }
}

/// Where the service is: the endpoint override the SDK's client of it would take (AWS_ENDPOINT_URL_<ID> or
/// the profile's service endpoint_url, unless the config was given one explicitly, then AWS_ENDPOINT_URL /
/// `--endpoint-url`), else the region's public endpoint (the global one for a global service), FIPS when the
/// config asks for it. (A dual-stack setting is not followed: the IPv4 endpoint answers the same, and
/// rackfile sets none.)
fn endpoint(service: &Service, sdk: &SdkConfig, region: &str) -> String {
    let service_specific = || {
        let key = ServiceConfigKey::builder()
            .service_id(service.name)
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
        let prefix = service.endpoint_prefix;
        let host = if sdk.use_fips() == Some(true) {
            format!("{prefix}-fips")
        } else {
            prefix.to_string()
        };
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        if service.global {
            format!("https://{host}.{suffix}")
        } else {
            format!("https://{host}.{region}.{suffix}")
        }
    })
}

/// The form-encoded body of a Query request.
fn query_body(action: &str, version: &str, params: &[(String, String)]) -> String {
    let mut body = String::new();
    let mut writer = aws_smithy_query::QueryWriter::new(&mut body, action, version);
    for (name, value) in params {
        writer.prefix(name).string(value);
    }
    writer.finish();
    body
}

/// A Query list parameter as the SDK writes one: `{name}.member.{n}` from 1, and an empty list as the bare
/// name with an empty value.
pub fn query_list(name: &str, items: &[String]) -> Vec<(String, String)> {
    if items.is_empty() {
        return vec![(name.to_string(), String::new())];
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| (format!("{name}.member.{}", index + 1), item.clone()))
        .collect()
}

fn serialize(protocol: Protocol, operation: &str, body: String) -> Result<HttpRequest, BoxError> {
    let length = body.len();
    let mut request = HttpRequest::new(SdkBody::from(body));
    request.set_method("POST")?;
    request.set_uri("/")?;
    let headers = request.headers_mut();
    match protocol {
        Protocol::Query { .. } => {
            headers.insert("content-type", "application/x-www-form-urlencoded");
        }
        Protocol::Json {
            json_version,
            target_prefix,
        } => {
            headers.insert(
                "content-type",
                format!("application/x-amz-json-{json_version}"),
            );
            headers.insert("x-amz-target", format!("{target_prefix}.{operation}"));
        }
    }
    headers.insert("content-length", length.to_string());
    Ok(request)
}

fn deserialize<O>(
    service: &'static Service,
    response: &HttpResponse,
    parse: &impl Fn(&[u8]) -> Result<O, BoxError>,
) -> Result<O, OrchestratorError<ServiceError>> {
    let body = response.body().bytes().unwrap_or_default();
    if response.status().is_success() {
        parse(body).map_err(OrchestratorError::response)
    } else {
        Err(OrchestratorError::operation(ServiceError::from_answer(
            service,
            response.status().as_u16(),
            response.headers(),
            body,
        )))
    }
}

/// An error a service answered with: its code and message when the answer says them.
#[derive(Debug)]
pub struct ServiceError {
    meta: ErrorMetadata,
}

impl ServiceError {
    pub(super) fn from_answer(
        service: &Service,
        status: u16,
        headers: &Headers,
        body: &[u8],
    ) -> Self {
        let meta = match service.protocol {
            Protocol::Query { .. } => query_error(body).unwrap_or_default(),
            Protocol::Json { .. } => json_error(headers, body),
        };
        let meta = if meta.code().is_none() && service.names_codeless_errors {
            ErrorMetadata::builder()
                .message(format!("{} answered HTTP {status}", service.name))
                .build()
        } else {
            meta
        };
        Self { meta }
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.meta.code(), self.meta.message()) {
            (Some(code), Some(message)) => write!(f, "{code}: {message}"),
            (Some(code), None) => f.write_str(code),
            (None, message) => f.write_str(message.unwrap_or("the service answered an error")),
        }
    }
}

impl std::error::Error for ServiceError {}

impl ProvideErrorMetadata for ServiceError {
    fn meta(&self) -> &ErrorMetadata {
        &self.meta
    }
}

/// A Query error: `<ErrorResponse><Error><Code>..</Code><Message>..</Message></Error>..</ErrorResponse>`, or
/// EC2's `<Response><Errors><Error>..</Error></Errors>..</Response>`.
fn query_error(body: &[u8]) -> Result<ErrorMetadata, XmlDecodeError> {
    fn read_error(
        error: &mut ScopedDecoder,
        mut meta: aws_smithy_types::error::metadata::Builder,
    ) -> Result<aws_smithy_types::error::metadata::Builder, XmlDecodeError> {
        while let Some(mut field) = error.next_tag() {
            match field.start_el().local() {
                "Code" => meta = meta.code(try_data(&mut field)?),
                "Message" => meta = meta.message(try_data(&mut field)?),
                _ => {}
            }
        }
        Ok(meta)
    }
    let mut doc = Document::try_from(body)?;
    let mut root = doc.root_element()?;
    let mut meta = ErrorMetadata::builder();
    while let Some(mut child) = root.next_tag() {
        match child.start_el().local() {
            "Error" => meta = read_error(&mut child, meta)?,
            "Errors" => {
                while let Some(mut error) = child.next_tag() {
                    if error.start_el().local() == "Error" {
                        meta = read_error(&mut error, meta)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(meta.build())
}

/// An AWS JSON error, read as the SDK's clients read one: the code from the `x-amzn-errortype` header, else
/// the body's `code` or `__type`, without a namespace (`com.amazonaws.ssm#`) or a trailing `:url`; the
/// message from `message`, `Message` or `errorMessage`. A body that is not JSON gives neither.
fn json_error(headers: &Headers, body: &[u8]) -> ErrorMetadata {
    let fields = serde_json::from_slice::<serde_json::Value>(body).ok();
    let text = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| fields.as_ref()?.get(name)?.as_str().map(str::to_string))
    };
    let code = headers
        .get("x-amzn-errortype")
        .map(str::to_string)
        .or_else(|| text(&["code", "__type"]));
    let mut meta = ErrorMetadata::builder();
    if let Some(code) = code {
        let code = code.split(':').next().unwrap_or_default();
        meta = meta.code(code.rsplit('#').next().unwrap_or_default());
    }
    if let Some(message) = text(&["message", "Message", "errorMessage"]) {
        meta = meta.message(message);
    }
    meta.build()
}

/// Calls `visit` with every element at `path` in an XML answer, the root first: the answers of Query
/// services nest what rackfile reads a few elements deep (`<GetRoleResponse><GetRoleResult><Role>..`).
pub fn visit_path(
    body: &[u8],
    path: &[&str],
    visit: &mut dyn FnMut(&mut ScopedDecoder) -> Result<(), XmlDecodeError>,
) -> Result<(), XmlDecodeError> {
    let mut doc = Document::try_from(body)?;
    let mut root = doc.root_element()?;
    let (first, rest) = path.split_first().expect("a path names the root");
    if root.start_el().local() != *first {
        return Err(XmlDecodeError::custom(format!(
            "expected a {first}, got a {}",
            root.start_el().local()
        )));
    }
    visit_children(&mut root, rest, visit)
}

fn visit_children(
    element: &mut ScopedDecoder,
    path: &[&str],
    visit: &mut dyn FnMut(&mut ScopedDecoder) -> Result<(), XmlDecodeError>,
) -> Result<(), XmlDecodeError> {
    let Some((first, rest)) = path.split_first() else {
        return visit(element);
    };
    while let Some(mut child) = element.next_tag() {
        if child.start_el().local() == *first {
            visit_children(&mut child, rest, visit)?;
        }
    }
    Ok(())
}

/// The text of an element's direct children named in `names`, in that order (`None` for one it lacks).
pub fn child_texts<const N: usize>(
    element: &mut ScopedDecoder,
    names: [&str; N],
) -> Result<[Option<String>; N], XmlDecodeError> {
    let mut texts = [const { None }; N];
    while let Some(mut child) = element.next_tag() {
        if let Some(index) = names
            .iter()
            .position(|name| *name == child.start_el().local())
        {
            texts[index] = Some(try_data(&mut child)?.into_owned());
        }
    }
    Ok(texts)
}

#[cfg(test)]
pub(super) mod testing;

#[cfg(test)]
mod tests;
