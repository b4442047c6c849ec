//! The words of `apply --recover --skip`: what skipping does to the rack, and why a skip is refused.

use super::escape;
use crate::plan::skip::{SkipRefusal, Skips};

/// What the continued rollback will leave as it is, and what that means; printed before the question.
pub fn consequence(skips: &Skips) -> String {
    let named: Vec<String> = skips
        .resources
        .iter()
        .map(|resource| {
            format!(
                "{} ({}, {})",
                escape(&resource.logical_id),
                escape(&resource.resource_type),
                escape(&resource.status)
            )
        })
        .collect();
    format!(
        "\n--skip: the rollback of {} goes on without rolling back {}.\n  \
         CloudFormation marks each skipped resource UPDATE_COMPLETE and leaves it as it is, not as it was before \
         the update: the stack may drift from its template, and a later update that reaches it may fail on it \
         again. Only this apply skips it; another needs --skip again.",
        skips.rack,
        named.join(", ")
    )
}

/// Why a `--skip` was refused, and what to do: (message, hint).
pub fn refusal(refusal: SkipRefusal) -> (String, String) {
    match refusal {
        SkipRefusal::NoRollbackToContinue => (
            "--skip: no rack of this apply continues a rollback (a rack in UPDATE_ROLLBACK_FAILED, with --recover); nothing was changed".to_string(),
            "`rackfile status` shows which racks failed".to_string(),
        ),
        SkipRefusal::SeveralRollbacks(racks) => (
            format!(
                "--skip: {} each continue a rollback, and the resources to skip are one rack's; nothing was changed",
                racks.join(", ")
            ),
            "name that rack with --target ORG/NAME".to_string(),
        ),
        SkipRefusal::NotFailed { rack, resources } => {
            let named: Vec<String> = resources
                .iter()
                .map(|(id, status)| match status {
                    Some(status) => format!("{} ({})", escape(id), escape(status)),
                    None => format!("{} (no such resource in the stack)", escape(id)),
                })
                .collect();
            (
                format!(
                    "--skip: {rack}: only a resource that itself failed can be skipped, not {}; nothing was changed",
                    named.join(", ")
                ),
                format!("`rackfile events --target {rack}` names the failed resources"),
            )
        }
        SkipRefusal::Unreadable { rack, error } => (
            format!(
                "--skip: {rack}: cannot read the stack's resources (ListStackResources): {}; nothing was changed",
                escape(&error)
            ),
            "`rackfile permissions apply` lists what apply needs".to_string(),
        ),
    }
}
