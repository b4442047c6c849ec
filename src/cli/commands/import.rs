//! `rackfile import`: finds the racks already live in an account's regions and prints a racks.toml that
//! declares them as they are. Reads only: one STS call, one DescribeStacks sweep per region, and one
//! GetTemplate per rack (its template's body: the defaults and which parameters are NoEcho).

use futures::future::join_all;

use crate::cli::commands::validate::plural;
pub use crate::cli::options::ImportOptions;
use crate::cloud::Connector;
use crate::config::{OrgSettings, is_region_name};
use crate::error::Error;
use crate::import::{self, Candidate, Origin};
use crate::live;
use crate::outcome::Outcome;

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
    // As racks.toml's regions are: a typo is said now, not as an unreachable endpoint.
    if let Some(region) = options
        .regions
        .iter()
        .find(|region| !is_region_name(region))
    {
        return Err(Error::Usage {
            message: format!("--region {region:?} is not an AWS region name"),
            hint: Some("an AWS region looks like \"us-east-1\"".into()),
        });
    }
    let org = OrgSettings {
        name: options.org.clone(),
        profile: options.profile.clone(),
        account_id: None,
    };
    let first_region = &options.regions[0];
    let account = live::identify_org(&org, first_region, connector)
        .await
        .map_err(|error| Error::Read(vec![error]))?;

    let reads = options
        .regions
        .iter()
        .map(|region| live::survey_region(connector, &org, &account, region));
    let mut candidates = Vec::new();
    let mut errors = Vec::new();
    for read in join_all(reads).await {
        match read {
            Ok(found) => candidates.extend(found.into_iter().map(|found| Candidate {
                region: found.region,
                stack: found.stack,
                summary: found.summary,
            })),
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
    crate::output::eprint(&format!(
        "Imported {} from account {account} ({}).\n",
        plural(racks.len(), "rack"),
        options.regions.join(", ")
    ));
    for skip in &skipped {
        crate::output::eprint(&format!(
            "Skipped {} ({}): {}\n",
            skip.name, skip.region, skip.reason
        ));
    }
    Ok(Outcome::Success)
}
