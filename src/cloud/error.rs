//! AWS failures, sorted into the kinds an operator can act on, each with what to do about it.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloudErrorKind {
    NoCredentials,
    /// The org's `profile` (or `--profile`) is in neither shared AWS file.
    NoSuchProfile,
    ExpiredCredentials,
    AccessDenied,
    Throttled,
    Unreachable,
    /// CloudFormation refused the request as invalid (bad parameter, bad template, ...).
    Validation,
    AlreadyExists,
    /// The object or bucket asked for does not exist (S3).
    NotFound,
    /// The stack is being changed and accepts nothing until it settles.
    Busy,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudError {
    pub kind: CloudErrorKind,
    pub message: String,
}

impl CloudError {
    pub fn new(kind: CloudErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// What the operator can do about it, when there is something specific to say.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self.kind {
            CloudErrorKind::NoCredentials => {
                "no AWS credentials were found: set the org's `profile`, or AWS_PROFILE / AWS_ACCESS_KEY_ID, or run `aws sso login`"
            }
            CloudErrorKind::NoSuchProfile => {
                "name a profile that exists (`aws configure list-profiles`), or add it with `aws configure --profile NAME`"
            }
            CloudErrorKind::ExpiredCredentials => {
                "the credentials have expired: refresh them (e.g. `aws sso login --profile ...`) and run again"
            }
            CloudErrorKind::AccessDenied => {
                "the credentials are not allowed to do this: `rackfile permissions COMMAND` prints the IAM policy each command needs for these racks"
            }
            CloudErrorKind::Throttled => "AWS is throttling requests: wait a little and run again",
            CloudErrorKind::Unreachable => {
                "could not reach AWS: check the network, the region name and any --endpoint-url"
            }
            _ => return None,
        })
    }

    /// Sorts an AWS error code (and its message, for errors that have no code of their own) into a kind.
    pub fn classify(code: Option<&str>, message: &str) -> CloudErrorKind {
        let lower = message.to_ascii_lowercase();
        match code.unwrap_or_default() {
            "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => {
                CloudErrorKind::ExpiredCredentials
            }
            "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedOperation"
            | "InvalidClientTokenId"
            | "SignatureDoesNotMatch"
            | "UnrecognizedClientException" => CloudErrorKind::AccessDenied,
            "Throttling"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "TooManyRequestsException" => CloudErrorKind::Throttled,
            "AlreadyExistsException" => CloudErrorKind::AlreadyExists,
            "NoSuchKey" | "NoSuchBucket" | "NotFound" => CloudErrorKind::NotFound,
            // Only a stack that is changing is busy: AWS words its refusal of a failed install
            // (ROLLBACK_COMPLETE) or a failed rollback the same way, and those never settle by waiting.
            "ValidationError"
                if (lower.contains("can not be updated") && lower.contains("_in_progress"))
                    || lower.contains("in progress") =>
            {
                CloudErrorKind::Busy
            }
            "ValidationError" | "InsufficientCapabilitiesException" => CloudErrorKind::Validation,
            _ if lower.contains("no credentials") || lower.contains("credentials provider") => {
                CloudErrorKind::NoCredentials
            }
            _ if lower.contains("dispatch failure")
                || lower.contains("connection")
                || lower.contains("timed out")
                || lower.contains("dns error") =>
            {
                CloudErrorKind::Unreachable
            }
            _ => CloudErrorKind::Other,
        }
    }
}

impl fmt::Display for CloudError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CloudError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_codes_and_messages_into_kinds() {
        assert_eq!(
            CloudError::classify(Some("ExpiredToken"), ""),
            CloudErrorKind::ExpiredCredentials
        );
        assert_eq!(
            CloudError::classify(Some("AccessDenied"), ""),
            CloudErrorKind::AccessDenied
        );
        assert_eq!(
            CloudError::classify(Some("Throttling"), "Rate exceeded"),
            CloudErrorKind::Throttled
        );
        assert_eq!(
            CloudError::classify(
                Some("ValidationError"),
                "Stack:x is in UPDATE_IN_PROGRESS state and can not be updated."
            ),
            CloudErrorKind::Busy
        );
        // A stack that will never accept an update (a failed install, a failed rollback) is not busy: nothing
        // is changing it, and waiting would not help.
        for settled in ["ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED"] {
            assert_eq!(
                CloudError::classify(
                    Some("ValidationError"),
                    &format!("Stack:x is in {settled} state and can not be updated.")
                ),
                CloudErrorKind::Validation,
                "{settled}"
            );
        }
        assert_eq!(
            CloudError::classify(
                Some("ValidationError"),
                "Stack:x is in UPDATE_COMPLETE_CLEANUP_IN_PROGRESS state and can not be updated."
            ),
            CloudErrorKind::Busy
        );
        assert_eq!(
            CloudError::classify(Some("ValidationError"), "bad"),
            CloudErrorKind::Validation
        );
        assert_eq!(
            CloudError::classify(
                None,
                "failed to construct request: no credentials in the property bag"
            ),
            CloudErrorKind::NoCredentials
        );
        assert_eq!(
            CloudError::classify(None, "dispatch failure: io error"),
            CloudErrorKind::Unreachable
        );
    }
}
