//! What doctor's least-privilege checks read: each org's credentials simulated against a policy's
//! statements, and each service role's trust policy, once per (org, role) with the racks using it.

use std::collections::BTreeMap;

use crate::cloud::{CloudError, Connector};
use crate::config::Config;

/// Per org with known credentials: the actions of `statements` its principal is denied.
pub async fn simulated_denials(
    config: &Config,
    accounts: &BTreeMap<String, String>,
    statements: &[(Vec<String>, Vec<String>)],
    connector: &dyn Connector,
) -> Vec<(String, Result<Vec<String>, CloudError>)> {
    let mut found = Vec::new();
    for org in accounts.keys() {
        if let Some(settings) = config.orgs.get(org) {
            found.push((
                org.clone(),
                connector.denied_actions(settings, statements).await,
            ));
        }
    }
    found
}

/// Each `role_arn` of the racks of orgs with known credentials: the role, the racks using it, and its trust
/// policy as GetRole answers with the org's credentials.
pub async fn service_roles(
    config: &Config,
    accounts: &BTreeMap<String, String>,
    connector: &dyn Connector,
) -> Vec<(String, Vec<String>, Result<Option<String>, CloudError>)> {
    let mut roles: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for rack in config
        .racks
        .iter()
        .filter(|rack| accounts.contains_key(&rack.org))
    {
        if let Some(role) = &rack.role_arn {
            roles
                .entry((rack.org.as_str(), role.as_str()))
                .or_default()
                .push(rack.id());
        }
    }
    let mut found = Vec::new();
    for ((org, role), racks) in roles {
        let read = connector.role_trust_policy(&config.orgs[org], role).await;
        found.push((role.to_string(), racks, read));
    }
    found
}
