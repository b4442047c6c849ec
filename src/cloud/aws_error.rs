//! An AWS SDK error as a `CloudError`: its code and message, read from an XML body when the SDK could not, or
//! named by the HTTP status when the answer has neither; every adapter's failures pass through `sdk_error`.

use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use super::{CloudError, CloudErrorKind};

pub(super) fn sdk_error<E>(error: SdkError<E, HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut code = error.code().map(str::to_string);
    // A service error without a body (S3 answers an anonymous request it refuses with a bare 403) is
    // named by its HTTP status.
    let status = match &error {
        SdkError::ServiceError(service) => Some(service.raw().status().as_u16()),
        _ => None,
    };
    // A denial in an XML body from a service that speaks JSON (moto answers SSM's and Service Quotas'
    // denials so) has no code a JSON reader finds: AWS's own message names the action.
    let raw = match &error {
        SdkError::ServiceError(service) => Some(service.raw()),
        SdkError::ResponseError(response) => Some(response.raw()),
        _ => None,
    };
    let status = status.or_else(|| raw.map(|raw| raw.status().as_u16()));
    let mut message = error.message().map(str::to_string);
    if code.is_none()
        && let Some((xml_code, xml_message)) =
            raw.and_then(|raw| raw.body().bytes()).and_then(xml_error)
    {
        code = Some(xml_code);
        message = Some(xml_message);
    }
    let message = match (message.as_deref(), &code, status) {
        (Some(message), Some(code), _) => format!("{code}: {message}"),
        (Some(message), None, _) => message.to_string(),
        (None, Some(code), _) => code.clone(),
        (None, None, Some(403)) => "HTTP 403 Forbidden: access denied".to_string(),
        (None, None, Some(404)) => "HTTP 404 Not Found".to_string(),
        // An answer the SDK cannot read as an AWS error (an emulator that does not serve the call, a proxy's
        // page): its status says more than the parser's complaint about the body.
        (None, None, Some(status)) if status >= 400 => {
            format!("HTTP {status}, with no AWS error in the answer")
        }
        (None, None, _) => error_chain(&error),
    };
    let kind = match (code.as_deref(), status) {
        (None, Some(403)) => CloudErrorKind::AccessDenied,
        (None, Some(404)) => CloudErrorKind::NotFound,
        _ => CloudError::classify(code.as_deref(), &message),
    };
    CloudError::new(kind, message)
}

/// `<Code>` and `<Message>` of an XML error body (`<ErrorResponse><Errors><Error>...`), when it has both.
fn xml_error(body: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(body).ok()?;
    let element = |name: &str| -> Option<String> {
        let start = text.find(&format!("<{name}>"))? + name.len() + 2;
        let end = start + text[start..].find(&format!("</{name}>"))?;
        Some(text[start..end].trim().to_string())
    };
    Some((element("Code")?, element("Message")?))
}

/// The error and its causes, joined, without the Debug dump `DisplayErrorContext` appends and without the
/// repeats the SDK's nested credential errors produce.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(error) = current {
        let text = error.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        current = error.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_denial_in_an_xml_body_gives_its_code_and_message() {
        let body = br#"<?xml version="1.0" encoding="utf-8"?>
<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/planner is not authorized to perform: ssm:GetParameter</Message><Type>Sender</Type></Error></Errors></ErrorResponse>"#;
        assert_eq!(
            xml_error(body),
            Some((
                "AccessDenied".to_string(),
                "User: arn:aws:iam::123456789012:user/planner is not authorized to perform: ssm:GetParameter".to_string()
            ))
        );
        assert_eq!(xml_error(b"{}"), None);
        assert_eq!(xml_error(b"<Code>AccessDenied</Code>"), None);
    }
}
