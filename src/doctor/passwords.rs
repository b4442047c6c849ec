//! The racks' passwords: each SSM parameter a rack keeps its password in, and each `password_env` of a
//! rack to install.

use std::collections::BTreeMap;

use super::{Check, Summaries};
use crate::cloud::{CloudError, SsmParameter, StackState};
use crate::config::{Config, Rack};
use crate::convox::names;
use crate::diag;
use crate::live::{EnvLookup, Sweep, template_source};
use crate::template::check_value;

/// A rack's SSM password parameter can be read with its org's credentials (or does not exist yet, and apply
/// will create it).
pub fn password_store_check(
    rack: &Rack,
    parameter: &str,
    found: &Result<Option<SsmParameter>, CloudError>,
) -> Check {
    let what = format!("password store of {}: SSM parameter {parameter}", rack.id());
    match found {
        Ok(Some(found)) if found.is_secure() => {
            Check::pass(format!("{what} is a readable SecureString"))
        }
        Ok(Some(found)) => Check::fail(
            format!("{what} is a {}, not a SecureString", found.kind),
            Some("store the password again with --type SecureString, or delete it to have one generated at install".into()),
        ),
        Ok(None) => Check::pass(format!("{what} does not exist yet; the install creates it")),
        Err(error) => Check::fail(
            format!("{what} cannot be read: {error}"),
            Some(error.hint().map_or_else(
                || "the org's credentials need ssm:GetParameter (and kms:Decrypt) on it (`rackfile permissions plan` prints the policy)".to_string(),
                str::to_string,
            )),
        ),
    }
}

/// Each rack to install with `password_env`: the variable is set, not empty, and holds a password the
/// template's Password accepts, as plan will require. The value is never shown.
pub fn password_env_checks(
    config: &Config,
    accounts: &BTreeMap<String, String>,
    sweeps: &[Sweep],
    summaries: &Summaries,
    env: &EnvLookup,
) -> Vec<Check> {
    let map = diag::SourceMap::new(&config.source);
    let mut checks = Vec::new();
    for rack in config.racks.iter().filter(|rack| !rack.absent) {
        let Some(variable) = &rack.password_env else {
            continue;
        };
        let account = accounts.get(&rack.org);
        // A live rack keeps its password: the variable is read at install only.
        let live = account.and_then(|account| {
            sweeps
                .iter()
                .find(|s| s.account == *account && s.region == rack.region)
                .and_then(|s| s.stacks.as_ref().ok())
                .and_then(|stacks| stacks.iter().find(|s| s.name == rack.name))
        });
        if live.is_some_and(|stack| stack.state() != StackState::FailedInstall) {
            continue;
        }
        let at = rack
            .spans
            .password_env
            .as_ref()
            .map_or_else(String::new, |span| {
                format!(" ({}:{})", config.path.display(), map.location(span.start))
            });
        let value = env(variable).filter(|value| !value.is_empty());
        let Some(value) = value else {
            checks.push(Check::fail(
                format!(
                    "rack {}: `password_env` names ${variable}, which is not set or is empty{at}",
                    rack.id()
                ),
                Some(format!(
                    "set {variable} to the rack's password in the environment of plan and apply, or remove `password_env` to have one generated"
                )),
            ));
            continue;
        };
        let declared = account
            .and_then(|account| summaries.get(&(account.clone(), template_source(&rack.template))))
            .and_then(|summary| summary.as_ref().ok())
            .and_then(|summary| summary.parameters.get(names::PASSWORD));
        let refused =
            declared.and_then(|declared| check_value(declared, &value).into_iter().next());
        checks.push(match refused {
            Some(violation) => Check::fail(
                format!(
                    "rack {}: the password in ${variable} is refused by the template's {} of Password: {}{at}",
                    rack.id(),
                    violation.constraint,
                    violation.message
                ),
                Some(format!("put a password the template accepts in ${variable}")),
            ),
            None => Check::pass(format!(
                "rack {}: the install's password is set in ${variable}",
                rack.id()
            )),
        });
    }
    checks
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::Mark;
    use super::*;

    #[test]
    fn an_install_password_comes_from_the_environment_it_is_given() {
        let text = "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n[org.personal]\n\
                    [[rack]]\nname = \"example\"\npassword_env = \"EXAMPLE_PASSWORD\"\n";
        let config =
            crate::config::parse(Path::new("racks.toml"), text.into(), String::new()).unwrap();
        let accounts = BTreeMap::new();
        let check = |env: &EnvLookup| {
            let checks = password_env_checks(&config, &accounts, &[], &Summaries::new(), env);
            assert_eq!(checks.len(), 1, "{checks:?}");
            checks[0].clone()
        };
        let unset = check(&|_| None);
        assert_eq!(unset.mark, Mark::Fail);
        assert!(
            unset
                .text
                .contains("$EXAMPLE_PASSWORD, which is not set or is empty (racks.toml:8:16)"),
            "{}",
            unset.text
        );
        assert_eq!(check(&|_| Some(String::new())).mark, Mark::Fail);
        let set = check(&|name| (name == "EXAMPLE_PASSWORD").then(|| "s3cret-Password".into()));
        assert_eq!(set.mark, Mark::Pass);
        assert!(!set.text.contains("s3cret"), "{}", set.text);
    }
}
