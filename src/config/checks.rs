//! The rules of one setting each, the same wherever it is written ([defaults] or a rack): names, region,
//! instance count, the lists that name template parameters or resources, parameters, tags, `password_env`.
//! What needs the template is checked at plan time.

use super::model::{RackEntry, Sp};
use super::{MAX_PARAMETER_VALUE_BYTES, RESERVED_TAG_KEYS, SYSTEM_TAGS, TYPED_PARAMETERS};
use crate::diag::Diagnostic;

pub(super) fn check_stack_name(name: &Sp<String>, diagnostics: &mut Vec<Diagnostic>) {
    let text = &name.value;
    let valid = text.len() <= 128
        && text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid {
        diagnostics.push(
            Diagnostic::error(format!("invalid rack name \"{text}\""), name.span.clone()).with_hint(
                "a rack name is a CloudFormation stack name: a letter, then letters, digits and '-', at most 128 characters",
            ),
        );
    }
}

/// Whether `region` has the shape of every AWS region name (us-east-1, ap-southeast-2, us-gov-west-1,
/// eu-isoe-west-1). racks.toml and `import --region` are held to the same rule.
pub fn is_region_name(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

pub(super) fn check_region(region: &Sp<String>, diagnostics: &mut Vec<Diagnostic>) -> bool {
    let valid = is_region_name(&region.value);
    if !valid {
        diagnostics.push(
            Diagnostic::error(
                format!("invalid region \"{}\"", region.value),
                region.span.clone(),
            )
            .with_hint("an AWS region looks like \"us-east-1\""),
        );
    }
    valid
}

pub(super) fn is_valid_count(count: i64) -> bool {
    (1..=i64::from(u32::MAX)).contains(&count)
}

/// Offline, only what needs no template: a count is a positive whole number. The template's own minimum
/// (Convox's: 2 in 2016, 3 since) is checked at plan time.
pub(super) fn check_instance_count(count: &Sp<i64>, diagnostics: &mut Vec<Diagnostic>) -> bool {
    if count.value < 1 {
        diagnostics.push(
            Diagnostic::error(
                format!("`instance_count` must be at least 1, not {}", count.value),
                count.span.clone(),
            )
            .with_hint(
                "a rack needs instances; its template's own minimum is checked at plan time",
            ),
        );
        return false;
    }
    if count.value > i64::from(u32::MAX) {
        diagnostics.push(Diagnostic::error(
            "`instance_count` is too large",
            count.span.clone(),
        ));
        return false;
    }
    true
}

/// `ignore_changes` names template parameters; which ones exist is checked against the template at plan
/// time. Version cannot be ignored: it chooses the template.
pub(super) fn check_ignore_changes(names: &[Sp<String>], diagnostics: &mut Vec<Diagnostic>) {
    for name in names {
        if name.value.trim().is_empty() {
            diagnostics.push(Diagnostic::error(
                "an `ignore_changes` entry is empty",
                name.span.clone(),
            ));
        } else if name.value == "Version" {
            diagnostics.push(
                Diagnostic::error(
                    "`Version` cannot be in `ignore_changes`: it chooses the rack's template",
                    name.span.clone(),
                )
                .with_hint("to hold a rack at its release, keep its `version` where it is"),
            );
        }
    }
}

/// Each `drift_ignore` entry must be `LogicalId.PropertyPath`: an error at each that is not.
pub(super) fn check_drift_ignore(entries: &[Sp<String>], diagnostics: &mut Vec<Diagnostic>) {
    for entry in entries {
        if let Err(why) = super::DriftIgnore::parse(&entry.value) {
            diagnostics.push(Diagnostic::error(
                format!("a `drift_ignore` entry is not LogicalId.PropertyPath: {why}"),
                entry.span.clone(),
            ));
        }
    }
}

/// The `drift_ignore` entries of a rack and its defaults, each once (the malformed ones were reported).
pub(super) fn parsed_drift_ignore(entries: &[Sp<String>]) -> Vec<super::DriftIgnore> {
    let mut found: Vec<super::DriftIgnore> = Vec::new();
    for ignore in entries
        .iter()
        .filter_map(|entry| super::DriftIgnore::parse(&entry.value).ok())
    {
        if !found.contains(&ignore) {
            found.push(ignore);
        }
    }
    found
}

/// `refresh` names SSM-typed template parameters; which ones the template declares so is checked at plan
/// time.
pub(super) fn check_refresh(names: &[Sp<String>], diagnostics: &mut Vec<Diagnostic>) {
    for name in names.iter().filter(|name| name.value.trim().is_empty()) {
        diagnostics.push(Diagnostic::error(
            "a `refresh` entry is empty",
            name.span.clone(),
        ));
    }
}

pub(super) fn check_parameters(entry: &RackEntry, diagnostics: &mut Vec<Diagnostic>) {
    for (key, value) in &entry.parameters.0 {
        if value.value.len() > MAX_PARAMETER_VALUE_BYTES {
            diagnostics.push(Diagnostic::error(
                format!(
                    "the value of `{}` is {} bytes; CloudFormation takes at most {MAX_PARAMETER_VALUE_BYTES} bytes per parameter",
                    key.value,
                    value.value.len()
                ),
                value.span.clone(),
            ));
        }
        if key.value.eq_ignore_ascii_case("Password") {
            diagnostics.push(
                Diagnostic::error(
                    "the password must not be in racks.toml: secrets never go in the file",
                    key.span.clone(),
                )
                .with_hint("set `password_env = \"ENV_VAR_NAME\"` and export the password in that variable"),
            );
        } else if let Some((_, setting)) = TYPED_PARAMETERS.iter().find(|(p, _)| *p == key.value) {
            diagnostics.push(
                Diagnostic::error(
                    format!(
                        "`{}` is set by `{setting}`; it cannot be in [rack.parameters] too",
                        key.value
                    ),
                    key.span.clone(),
                )
                .with_hint(format!("use `{setting} = ...` in the rack instead")),
            );
        }
    }
}

pub(super) fn check_tags(entry: &RackEntry, diagnostics: &mut Vec<Diagnostic>) {
    for (key, value) in &entry.tags.0 {
        if SYSTEM_TAGS.iter().any(|(system, _)| *system == key.value) {
            diagnostics.push(
                Diagnostic::error(
                    format!("tag `{}` is set by rackfile", key.value),
                    key.span.clone(),
                )
                .with_hint(
                    "every rack is tagged System=convox and Type=rack; choose another tag key",
                ),
            );
        } else if RESERVED_TAG_KEYS.contains(&key.value.as_str()) {
            diagnostics.push(
                Diagnostic::error(
                    format!(
                        "tag `{}` says what a stack is to Convox, so racks.toml may not set it",
                        key.value
                    ),
                    key.span.clone(),
                )
                .with_hint(
                    "Convox tags its apps and resources `Rack=<rack>` and `Name=<app>`; choose another tag key",
                ),
            );
        } else if key.value.to_ascii_lowercase().starts_with("aws:") {
            diagnostics.push(Diagnostic::error(
                format!("tag `{}`: the `aws:` prefix is reserved by AWS", key.value),
                key.span.clone(),
            ));
        } else if key.value.is_empty() || key.value.chars().count() > 128 {
            diagnostics.push(Diagnostic::error(
                "a tag key must be 1 to 128 characters",
                key.span.clone(),
            ));
        } else if value.value.chars().count() > 256 {
            diagnostics.push(Diagnostic::error(
                "a tag value must be at most 256 characters",
                value.span.clone(),
            ));
        }
    }
}

pub(super) fn check_env_name(env: &Sp<String>, diagnostics: &mut Vec<Diagnostic>) {
    let valid = env
        .value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && env
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        diagnostics.push(
            Diagnostic::error(
                "`password_env` must name an environment variable, not hold a password",
                env.span.clone(),
            )
            .with_hint(
                "e.g. password_env = \"DEV_RACK_PASSWORD\", then export DEV_RACK_PASSWORD=...",
            ),
        );
    }
}
