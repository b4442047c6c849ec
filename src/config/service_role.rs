//! `role_arn`: the CloudFormation service role of a rack, from the rack, `[defaults]` or its org (in that
//! order). Checked offline, so a role CloudFormation would refuse to assume (not an IAM role ARN, or in
//! another account than the org's guard) is an error at its line, not a failed write halfway through a
//! rollout.

use std::collections::BTreeSet;
use std::ops::Range;

use super::model::{Org, Shared, Sp};
use crate::diag::Diagnostic;

/// Whether `arn` is an IAM role ARN: `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`, and its account.
fn role_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let name = resource.strip_prefix("role/")?;
    // IAM's rules: a path and a name of letters, digits and `+=,.@_-`; the name at most 64 characters.
    let allowed = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c);
    let role_name = name.rsplit('/').next().unwrap_or_default();
    let valid = partition.starts_with("aws")
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && name.chars().all(allowed)
        && !role_name.is_empty()
        && role_name.len() <= 64;
    valid.then_some(account)
}

/// Reports a `role_arn` that is not an IAM role ARN; true when it is one.
pub(super) fn check_role_arn(role: &Sp<String>, diagnostics: &mut Vec<Diagnostic>) -> bool {
    if role_account(&role.value).is_some() {
        return true;
    }
    diagnostics.push(
        Diagnostic::error(
            format!("`role_arn` \"{}\" is not an IAM role ARN", role.value),
            role.span.clone(),
        )
        .with_hint("a CloudFormation service role looks like \"arn:aws:iam::123456789012:role/NAME\""),
    );
    false
}

/// Roles in another account than their org's, each reported once however many racks inherit it.
#[derive(Default)]
pub(super) struct ReportedRoles(BTreeSet<(usize, String)>);

/// The rack's service role and where it is written: its own `role_arn`, else `[defaults]`', else its org's.
/// The shape of each was checked where it is written (`check_role_arn`); here, that the role is in the
/// org's account (`account_id`), since CloudFormation assumes it in the account the stack is in.
pub(super) fn resolve_role_arn(
    own: &Shared,
    defaults: &Shared,
    org: Option<(&str, &Org)>,
    reported: &mut ReportedRoles,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(String, Range<usize>)> {
    let role = own
        .role_arn
        .as_ref()
        .or(defaults.role_arn.as_ref())
        .or_else(|| org.and_then(|(_, org)| org.role_arn.as_ref()))?;
    let account = role_account(&role.value)?;
    if let Some((name, org)) = org
        && let Some(guard) = &org.account_id
        && guard.value != account
    {
        if reported.0.insert((role.span.start, name.to_string())) {
            diagnostics.push(
                Diagnostic::error(
                    format!(
                        "`role_arn` is in account {account}, not in org `{name}`'s account {}",
                        guard.value
                    ),
                    role.span.clone(),
                )
                .with_related(guard.span.clone(), "the org's account")
                .with_hint(
                    "CloudFormation uses a service role of the stack's own account: name a role of that account",
                ),
            );
        }
        return None;
    }
    Some((role.value.clone(), role.span.clone()))
}

#[cfg(test)]
mod tests {
    use super::role_account;

    #[test]
    fn only_an_iam_role_arn_with_an_account_is_a_service_role() {
        for (arn, account) in [
            ("arn:aws:iam::123456789012:role/cfn", Some("123456789012")),
            (
                "arn:aws:iam::123456789012:role/service/rack-deployer",
                Some("123456789012"),
            ),
            ("arn:aws-cn:iam::123456789012:role/a.b@c", Some("123456789012")),
            ("arn:aws:iam::123456789012:user/cfn", None),
            ("arn:aws:iam::123456789012:role/", None),
            ("arn:aws:iam::123456789012:role/service/", None),
            ("arn:aws:iam::12345678901:role/cfn", None),
            ("arn:aws:iam:us-east-1:123456789012:role/cfn", None),
            ("arn:aws:sts::123456789012:role/cfn", None),
            ("arn:aws:iam::123456789012:role/has space", None),
            ("cfn-role", None),
            ("", None),
        ] {
            assert_eq!(role_account(arn), account, "{arn}");
        }
        let long = format!("arn:aws:iam::123456789012:role/{}", "n".repeat(65));
        assert_eq!(role_account(&long), None);
    }
}
