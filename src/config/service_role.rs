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
        .with_hint(
            "a CloudFormation service role looks like \"arn:aws:iam::123456789012:role/NAME\"",
        ),
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
    use std::path::Path;

    use super::role_account;

    const ORG_ROLE: &str = "arn:aws:iam::123456789012:role/org";
    const DEFAULT_ROLE: &str = "arn:aws:iam::123456789012:role/defaults";
    const OWN_ROLE: &str = "arn:aws:iam::123456789012:role/own";

    fn roles(defaults: &str, racks: &str) -> Vec<(String, Option<String>)> {
        let text = format!(
            "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n{defaults}\n\
             [org.personal]\naccount_id = \"123456789012\"\nrole_arn = \"{ORG_ROLE}\"\n\
             [org.other]\n{racks}"
        );
        let config = crate::config::parse(Path::new("racks.toml"), text, String::new())
            .unwrap_or_else(|error| panic!("{}", error.render()));
        config
            .racks
            .into_iter()
            .map(|rack| (rack.id(), rack.role_arn))
            .collect()
    }

    #[test]
    fn a_rack_takes_its_own_role_over_the_defaults_over_its_orgs() {
        let racks = format!(
            "[[rack]]\nname = \"own\"\nrole_arn = \"{OWN_ROLE}\"\n\
             [[rack]]\nname = \"inherits\"\n\
             [[rack]]\nname = \"elsewhere\"\norg = \"other\"\n"
        );
        assert_eq!(
            roles("", &racks),
            [
                ("personal/own".to_string(), Some(OWN_ROLE.to_string())),
                ("personal/inherits".to_string(), Some(ORG_ROLE.to_string())),
                ("other/elsewhere".to_string(), None),
            ]
        );
        assert_eq!(
            roles(&format!("role_arn = \"{DEFAULT_ROLE}\""), &racks),
            [
                ("personal/own".to_string(), Some(OWN_ROLE.to_string())),
                (
                    "personal/inherits".to_string(),
                    Some(DEFAULT_ROLE.to_string())
                ),
                (
                    "other/elsewhere".to_string(),
                    Some(DEFAULT_ROLE.to_string())
                ),
            ]
        );
    }

    #[test]
    fn a_role_of_another_account_is_an_error_at_its_line_once() {
        let text = "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n\
                    role_arn = \"arn:aws:iam::210987654321:role/cfn\"\n\
                    [org.personal]\naccount_id = \"123456789012\"\n\
                    [[rack]]\nname = \"a\"\n[[rack]]\nname = \"b\"\n";
        let error =
            crate::config::parse(Path::new("racks.toml"), text.into(), String::new()).unwrap_err();
        let rendered = error.render();
        assert!(
            rendered.contains(
                "`role_arn` is in account 210987654321, not in org `personal`'s account 123456789012"
            ) && rendered.contains("racks.toml:5:12"),
            "{rendered}"
        );
        assert!(error.to_string().ends_with("has 1 error"), "{error}");
    }

    #[test]
    fn only_an_iam_role_arn_with_an_account_is_a_service_role() {
        for (arn, account) in [
            ("arn:aws:iam::123456789012:role/cfn", Some("123456789012")),
            (
                "arn:aws:iam::123456789012:role/service/rack-deployer",
                Some("123456789012"),
            ),
            (
                "arn:aws-cn:iam::123456789012:role/a.b@c",
                Some("123456789012"),
            ),
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
