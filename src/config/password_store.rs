//! `password_ssm`: the SSM Parameter Store name of a rack's API password, with its placeholders
//! substituted and checked against SSM's naming rules offline, so a bad name is an error at its line.

use std::ops::Range;

use super::model::{RackEntry, Sp};
use crate::diag::Diagnostic;

/// The rack's SSM password parameter, placeholders substituted, and where it is written: its own
/// `password_ssm`, else the defaults' unless the rack names a `password_env`. Both in one rack is an error.
pub(super) fn resolve_password_ssm(
    entry: &RackEntry,
    default: Option<&Sp<String>>,
    values: [(&str, Option<&str>); 3],
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(String, Range<usize>)> {
    let pattern = match (&entry.shared.password_ssm, &entry.password_env) {
        (Some(ssm), Some(env)) => {
            diagnostics.push(
                Diagnostic::error(
                    "`password_ssm` and `password_env` exclude each other",
                    ssm.span.clone(),
                )
                .with_related(env.span.clone(), "`password_env` set here")
                .with_hint(
                    "keep one: the password comes from SSM Parameter Store or from the environment",
                ),
            );
            return None;
        }
        (Some(ssm), None) => ssm,
        (None, Some(_)) => return None,
        (None, None) => default?,
    };
    let mut name = String::new();
    let mut rest = pattern.value.as_str();
    while let Some(open) = rest.find('{') {
        name.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            name.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let placeholder = &rest[open + 1..open + close];
        match values.iter().find(|(key, _)| *key == placeholder) {
            Some((_, Some(value))) => name.push_str(value),
            // The org or region is missing, and that was reported where it is missing.
            Some((_, None)) => return None,
            None => {
                diagnostics.push(
                    Diagnostic::error(
                        format!("`password_ssm` has an unknown placeholder `{{{placeholder}}}`"),
                        pattern.span.clone(),
                    )
                    .with_hint("the placeholders are {org}, {name} and {region}"),
                );
                return None;
            }
        }
        rest = &rest[open + close + 1..];
    }
    name.push_str(rest);
    match ssm_name_problem(&name) {
        Some(problem) => {
            diagnostics.push(
                Diagnostic::error(
                    format!("`password_ssm` gives \"{name}\", which is not a valid SSM parameter name: {problem}"),
                    pattern.span.clone(),
                )
                .with_hint("e.g. password_ssm = \"/racks/{org}/{name}/password\""),
            );
            None
        }
        None => Some((name, pattern.span.clone())),
    }
}

/// What makes a name unacceptable to SSM Parameter Store, if anything (its documented naming rules).
fn ssm_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".into());
    }
    if name.len() > 1011 {
        return Some("it is longer than 1,011 characters".into());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/')))
    {
        return Some(format!(
            "`{}` is not allowed (only letters, digits, `_.-/`)",
            bad.escape_default()
        ));
    }
    if name.contains('/') && !name.starts_with('/') {
        return Some("a name with `/` levels must start with `/`".into());
    }
    if name.ends_with('/') || name.contains("//") {
        return Some("a level is empty".into());
    }
    let first = name.trim_start_matches('/').to_ascii_lowercase();
    if first.starts_with("aws") || first.starts_with("ssm") {
        return Some("names beginning with `aws` or `ssm` are reserved".into());
    }
    if name.matches('/').count() > 15 {
        return Some("it has more than 15 levels".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::ssm_name_problem;

    #[test]
    fn names_follow_ssm_rules() {
        assert_eq!(ssm_name_problem("/racks/personal/web/password"), None);
        assert_eq!(ssm_name_problem("rack-password"), None);
        for bad in [
            "",
            "racks/web",
            "/racks//web",
            "/racks/web/",
            "/aws/web",
            "ssm-web",
            "/racks/w b",
        ] {
            assert!(ssm_name_problem(bad).is_some(), "{bad:?}");
        }
        assert!(ssm_name_problem(&format!("/{}", "a/".repeat(16) + "b")).is_some());
    }
}
