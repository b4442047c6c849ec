//! The rack API password for installs: from the environment variable the rack names, from SSM Parameter
//! Store (stored there first when it is new), or generated and printed once.

use rand::Rng;
use rand::distr::Alphanumeric;

use crate::cloud::{Connector, PutOutcome, Secret};
use crate::config::OrgSettings;
use crate::plan::PasswordSource;

/// Where an installed rack's password is, for the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstalledPassword {
    /// Generated here and nowhere else: printed once.
    Generated(String),
    /// In SSM Parameter Store: named, never printed.
    Ssm { parameter: String },
}

/// rack -> where the password of its install is, from the moment the install is about to start to the end
/// of the process: shared with whatever prints it when the run ends, however it ends (a signal that exits
/// at once included), because a generated password exists nowhere else.
pub type PasswordLedger =
    std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, InstalledPassword>>>;

/// The password to install with and where it will be, or why the install cannot start. An SSM password
/// that does not exist yet is generated and stored *before* it is used, so a stack never holds a password
/// that exists nowhere else; if someone stored one first, theirs is used.
pub async fn for_install(
    source: &PasswordSource,
    connector: &dyn Connector,
    org: &OrgSettings,
    region: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Secret, Option<InstalledPassword>), String> {
    match source {
        PasswordSource::Env { variable } => match env(variable) {
            Some(password) if !password.is_empty() => Ok((Secret::new(password), None)),
            _ => Err(format!(
                "${variable} is not set; the rack's API password must be in it (password_env)"
            )),
        },
        PasswordSource::Generate => {
            let password = generate();
            Ok((
                Secret::new(password.clone()),
                Some(InstalledPassword::Generated(password)),
            ))
        }
        PasswordSource::Ssm { parameter, .. } => {
            let stored = InstalledPassword::Ssm {
                parameter: parameter.clone(),
            };
            let read = |error| {
                format!("cannot read SSM parameter {parameter}: {error}; nothing was created")
            };
            match connector.ssm_parameter(org, region, parameter).await {
                Ok(Some(found)) if found.is_secure() => return Ok((found.value, Some(stored))),
                Ok(Some(found)) => {
                    return Err(format!(
                        "SSM parameter {parameter} is a {}, not a SecureString; nothing was created",
                        found.kind
                    ));
                }
                Ok(None) => {}
                Err(error) => return Err(read(error)),
            }
            let password = Secret::new(generate());
            match connector
                .put_ssm_secure_string(org, region, parameter, &password)
                .await
            {
                Ok(PutOutcome::Stored) => Ok((password, Some(stored))),
                Ok(PutOutcome::AlreadyExists) => {
                    match connector.ssm_parameter(org, region, parameter).await {
                        Ok(Some(found)) if found.is_secure() => Ok((found.value, Some(stored))),
                        Ok(_) => Err(format!(
                            "SSM parameter {parameter} changed while rackfile stored it; nothing was created"
                        )),
                        Err(error) => Err(read(error)),
                    }
                }
                Err(error) => Err(format!(
                    "cannot store the password in SSM parameter {parameter}: {error}; nothing was created"
                )),
            }
        }
    }
}

pub const GENERATED_LENGTH: usize = 30;

/// 30 random letters and digits from the thread's CSPRNG (ChaCha, seeded from the OS), as Convox generates.
pub fn generate() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(GENERATED_LENGTH)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_passwords_are_30_alphanumerics_and_differ() {
        let first = super::generate();
        assert_eq!(first.len(), 30);
        assert!(first.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(first, super::generate());
    }
}
