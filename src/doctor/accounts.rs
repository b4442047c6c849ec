//! Each org's credentials, and the account guard of racks.toml.

use super::Check;
use crate::config::Config;
use crate::live::ReadError;

pub fn account_checks(
    config: &Config,
    org: &str,
    identity: &Result<String, ReadError>,
) -> Vec<Check> {
    let settings = &config.orgs[org];
    let via = match &settings.profile {
        Some(profile) => format!("profile {profile}"),
        None => "the default credential chain".into(),
    };
    match identity {
        Ok(account) => vec![
            Check::pass(format!(
                "org {org}: credentials ({via}) resolve to account {account}"
            )),
            match &settings.account_id {
                Some(_) => Check::pass(format!("org {org}: account guard holds ({account})")),
                None => Check::pass(format!(
                    "org {org}: no account_id guard; any account the credentials reach is used"
                )),
            },
        ],
        Err(
            error @ ReadError::WrongAccount {
                actual, expected, ..
            },
        ) => vec![
            Check::pass(format!(
                "org {org}: credentials ({via}) resolve to account {actual}"
            )),
            Check::fail(
                format!(
                    "org {org}: account guard fails: the credentials reach account {actual}, racks.toml says account_id = \"{expected}\""
                ),
                error.hint(),
            ),
            Check::skip(format!(
                "org {org}: templates and stacks not checked (the account guard failed)"
            )),
        ],
        Err(error) => vec![
            Check::fail(
                format!("org {org}: credentials ({via}): {error}"),
                error.hint(),
            ),
            Check::skip(format!(
                "org {org}: account guard, templates and stacks not checked (no credentials)"
            )),
        ],
    }
}
