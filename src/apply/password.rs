//! The rack API password for installs: from the environment variable the rack names, from SSM Parameter
//! Store (stored there first when it is new), or generated and printed once.

use rand::Rng;
use rand::distr::Alphanumeric;

use crate::cloud::{CloudError, Connector, PutOutcome, Secret};
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

/// Why an install has no password, so nothing was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordError {
    /// `password_env` names a variable that is not set, or empty.
    EnvNotSet { variable: String },
    /// The SSM parameter is of this type, not a SecureString.
    NotSecure { parameter: String, kind: String },
    Unreadable {
        parameter: String,
        error: CloudError,
    },
    /// Someone stored a parameter of that name while rackfile did, and it is now no SecureString (or gone).
    ChangedWhileStoring { parameter: String },
    NotStored {
        parameter: String,
        error: CloudError,
    },
}

/// The password to install with and where it will be, or why the install cannot start. An SSM password
/// that does not exist yet is generated and stored *before* it is used, so a stack never holds a password
/// that exists nowhere else; if someone stored one first, theirs is used.
pub async fn for_install(
    source: &PasswordSource,
    connector: &dyn Connector,
    org: &OrgSettings,
    region: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Secret, Option<InstalledPassword>), PasswordError> {
    match source {
        PasswordSource::Env { variable } => match env(variable) {
            Some(password) if !password.is_empty() => Ok((Secret::new(password), None)),
            _ => Err(PasswordError::EnvNotSet {
                variable: variable.clone(),
            }),
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
            let read = |error| PasswordError::Unreadable {
                parameter: parameter.clone(),
                error,
            };
            match connector.ssm_parameter(org, region, parameter).await {
                Ok(Some(found)) if found.is_secure() => return Ok((found.value, Some(stored))),
                Ok(Some(found)) => {
                    return Err(PasswordError::NotSecure {
                        parameter: parameter.clone(),
                        kind: found.kind,
                    });
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
                        Ok(_) => Err(PasswordError::ChangedWhileStoring {
                            parameter: parameter.clone(),
                        }),
                        Err(error) => Err(read(error)),
                    }
                }
                Err(error) => Err(PasswordError::NotStored {
                    parameter: parameter.clone(),
                    error,
                }),
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
