//! ClientRequestTokens: each write carries a fresh one, and CloudFormation tags the events of the operation
//! it started with it, so a retried write can tell its own operation from someone else's.

use super::password;
use crate::cloud::Cloud;

/// A ClientRequestToken for one write.
pub(super) fn request_token() -> String {
    format!("rackfile-{}", password::generate())
}

/// Whether the stack's latest operation is the one `token` started (its events carry the token).
pub(super) async fn caused_by(cloud: &dyn Cloud, name: &str, token: &str) -> bool {
    match cloud.stack_events(name).await {
        Ok(events) => events
            .iter()
            .any(|event| event.token.as_deref() == Some(token)),
        Err(_) => false,
    }
}
