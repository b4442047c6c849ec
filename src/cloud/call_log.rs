//! With `-v`, one log line per AWS call (service, operation, attempts, duration, outcome) and one per
//! failed attempt, to stderr through `tracing`. An SDK interceptor sees every attempt the retry loop makes,
//! which wrapping the calls from outside could not.

use std::sync::Arc;
use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

use super::rate_limit::RateLimit;
use super::{CloudError, CloudErrorKind};

/// Where the calls go, for the log lines, and the rate limit of the (account, region) that hears how each
/// attempt went (none for STS, which is called once per org).
#[derive(Debug, Clone)]
pub struct CallLog {
    pub region: String,
    pub limit: Option<(String, Arc<RateLimit>)>,
}

impl CallLog {
    /// The log of a service's calls in `region` that do not share CloudFormation's request rate.
    pub fn outside_rate_limit(region: &str) -> Self {
        Self {
            region: region.to_string(),
            limit: None,
        }
    }
}

#[derive(Debug, Clone)]
struct CallStarted(Instant);

impl Storable for CallStarted {
    type Storer = StoreReplace<Self>;
}

fn names(cfg: &ConfigBag) -> (String, String) {
    cfg.load::<Metadata>().map_or_else(
        || ("?".into(), "?".into()),
        |m| (m.service().to_string(), m.name().to_string()),
    )
}

fn attempts(cfg: &ConfigBag) -> u32 {
    cfg.load::<RequestAttempts>().map_or(0, |a| a.attempts())
}

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "rackfile::CallLog"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state()
            .store_put(CallStarted(Instant::now()));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let error = match context.output_or_error() {
            Some(Err(error)) => Some(error),
            _ => None,
        };
        // Only a failed attempt's body is read: a successful DescribeStacks page can be large.
        let throttled = error.is_some()
            && (context
                .response()
                .is_some_and(|r| r.status().as_u16() == 429)
                || CloudError::classify(error_code(context).as_deref(), "")
                    == CloudErrorKind::Throttled);
        if let Some((account, limit)) = &self.limit {
            if throttled {
                limit.throttled();
                if let Some(rate) = limit.rate() {
                    tracing::info!(
                        target: "rackfile::aws",
                        "throttled: calls to account {account} in {} now go at most {rate:.2} a second",
                        self.region
                    );
                }
            } else {
                limit.answered();
            }
        }
        if let Some(error) = error {
            let (service, operation) = names(cfg);
            let status = context.response().map(|r| r.status().as_u16());
            tracing::info!(
                target: "rackfile::aws",
                "{service}.{operation} ({}) attempt {} failed{}: {}",
                self.region,
                attempts(cfg),
                status.map(|s| format!(" with HTTP {s}")).unwrap_or_default(),
                describe(context, error),
            );
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (service, operation) = names(cfg);
        let elapsed = cfg
            .load::<CallStarted>()
            .map(|started| started.0.elapsed().as_millis())
            .unwrap_or_default();
        let outcome = match context.output_or_error() {
            Some(Ok(_)) => "ok".to_string(),
            Some(Err(error)) => format!("failed: {}", describe(context, error)),
            None => "no response".to_string(),
        };
        let attempts = attempts(cfg);
        tracing::info!(
            target: "rackfile::aws",
            "{service}.{operation} ({}): {outcome} after {attempts} {} in {elapsed} ms",
            self.region,
            if attempts == 1 { "attempt" } else { "attempts" },
        );
        Ok(())
    }
}

/// An element of the XML error body CloudFormation and STS answer with (the type-erased error an
/// interceptor sees cannot give its code).
fn error_element(context: &FinalizerInterceptorContextRef<'_>, name: &str) -> Option<String> {
    let body = context.response()?.body().bytes()?;
    let body = String::from_utf8_lossy(body);
    let start = body.find(&format!("<{name}>"))? + name.len() + 2;
    let end = body[start..].find(&format!("</{name}>"))? + start;
    Some(body[start..end].to_string())
}

fn error_code(context: &FinalizerInterceptorContextRef<'_>) -> Option<String> {
    error_element(context, "Code")
}

/// AWS's own `Code: Message` when the response carries one, else the error chain.
fn describe(
    context: &FinalizerInterceptorContextRef<'_>,
    error: &(dyn std::error::Error + 'static),
) -> String {
    match (error_code(context), error_element(context, "Message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        _ => short(error),
    }
}

/// The error and its causes, joined, at most 200 characters: enough to tell throttling from a 500 from a
/// reset, without the SDK's nested Debug dump.
fn short(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(error) = current {
        let text = error.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        current = error.source();
    }
    parts.join(": ").chars().take(200).collect()
}
