//! `rackfile import`: finds the racks already live in an account's regions and prints a racks.toml that
//! declares them as they are. Reads only: one STS call, one DescribeStacks sweep per region, and one
//! GetTemplate per rack (its template's body: the defaults and which parameters are NoEcho).

use futures::StreamExt;
use futures::future::join_all;

use crate::cloud::{Connector, Stack};
use crate::commands::validate::plural;
use crate::config::OrgSettings;
use crate::error::Error;
use crate::import::{self, Candidate, Origin};
use crate::live::ReadError;
pub use crate::options::ImportOptions;
use crate::outcome::Outcome;
use crate::template::summary_of_body;

/// At most this many GetTemplate calls at once per region, to stay clear of throttling.
const SUMMARY_CONCURRENCY: usize = 8;

pub async fn run(options: &ImportOptions, connector: &dyn Connector) -> Result<Outcome, Error> {
    // The org becomes a table name in the file written; one that is empty or holds control characters
    // would make a file rackfile itself refuses, or one that reads differently than it looks.
    if options.org.trim().is_empty() || options.org.chars().any(char::is_control) {
        return Err(Error::Usage {
            message: format!(
                "--org {:?}: an org name must be non-empty text without control characters",
                options.org
            ),
            hint: Some("e.g. --org personal".into()),
        });
    }
    let org = OrgSettings {
        name: options.org.clone(),
        profile: options.profile.clone(),
        account_id: None,
    };
    let first_region = &options.regions[0];
    let account = connector
        .account_id(&org, first_region)
        .await
        .map_err(|error| {
            Error::Read(vec![ReadError::Identity {
                org: org.name.clone(),
                region: first_region.clone(),
                error,
            }])
        })?;

    let reads = options
        .regions
        .iter()
        .map(|region| read_region(connector, &org, &account, region));
    let mut candidates = Vec::new();
    let mut errors = Vec::new();
    for read in join_all(reads).await {
        match read {
            Ok(found) => candidates.extend(found),
            Err(error) => errors.push(error),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Read(errors));
    }

    let (racks, skipped) = import::sort(candidates);
    let origin = Origin {
        org: &org.name,
        profile: org.profile.as_deref(),
        account_id: &account,
        regions: &options.regions,
    };
    crate::output::print(&import::racks_toml(&origin, &racks))?;
    eprintln!(
        "Imported {} from account {account} ({}).",
        plural(racks.len(), "rack"),
        options.regions.join(", ")
    );
    for skip in &skipped {
        eprintln!("Skipped {} ({}): {}", skip.name, skip.region, skip.reason);
    }
    Ok(Outcome::Success)
}

/// Every stack of a region, with the template summary of those that are racks.
async fn read_region(
    connector: &dyn Connector,
    org: &OrgSettings,
    account: &str,
    region: &str,
) -> Result<Vec<Candidate>, ReadError> {
    let stacks_error = |error| ReadError::Stacks {
        account: account.to_string(),
        region: region.to_string(),
        error,
    };
    let cloud = connector.cloud(org, region).await.map_err(stacks_error)?;
    let stacks = cloud.describe_stacks().await.map_err(stacks_error)?;
    let candidates = futures::stream::iter(stacks)
        .map(|stack: Stack| {
            let cloud = cloud.clone();
            async move {
                // The stack's own template body, read with the parser plan uses, for its defaults.
                let summary = if stack.is_rack() {
                    match cloud.stack_template(&stack.name).await {
                        Ok(body) => summary_of_body(&body).map_err(|error| error.to_string()),
                        Err(error) => Err(error.to_string()),
                    }
                } else {
                    Err("not read".to_string())
                };
                Candidate {
                    region: region.to_string(),
                    stack,
                    summary,
                }
            }
        })
        .buffer_unordered(SUMMARY_CONCURRENCY)
        .collect()
        .await;
    Ok(candidates)
}
