//! The reads of the commands that look at AWS without planning: import's survey of a region's stacks and
//! the password parameters doctor checks. Like every read, they live here, not in the commands.

use futures::StreamExt;
use futures::future::join_all;

use super::ReadError;
use crate::cloud::{CloudError, Connector, SsmParameter, Stack, TemplateSummary};
use crate::config::{Config, OrgSettings, Rack};
use crate::template::summary_of_body;

/// At most this many GetTemplate calls at once per region, to stay clear of throttling.
const TEMPLATE_CONCURRENCY: usize = 8;

/// The account an org's credentials belong to (STS GetCallerIdentity in `region`).
pub async fn identify_org(
    org: &OrgSettings,
    region: &str,
    connector: &dyn Connector,
) -> Result<String, ReadError> {
    connector
        .account_id(org, region)
        .await
        .map_err(|error| ReadError::Identity {
            org: org.name.clone(),
            region: region.to_string(),
            error,
        })
}

/// A stack of a surveyed region, with its own template's summary when it is a rack.
#[derive(Debug, Clone)]
pub struct SurveyedStack {
    pub region: String,
    pub stack: Stack,
    /// The summary of the stack's live template, or why it was not read (stacks that are not racks never
    /// are).
    pub summary: Result<TemplateSummary, String>,
}

/// Every stack of a region (one paginated DescribeStacks) and the live template of each rack among them
/// (GetTemplate, parsed as plan parses templates), at most `TEMPLATE_CONCURRENCY` at a time.
pub async fn survey_region(
    connector: &dyn Connector,
    org: &OrgSettings,
    account: &str,
    region: &str,
) -> Result<Vec<SurveyedStack>, ReadError> {
    let stacks_error = |error| ReadError::Stacks {
        account: account.to_string(),
        region: region.to_string(),
        error,
    };
    let cloud = connector.cloud(org, region).await.map_err(stacks_error)?;
    let stacks = cloud.describe_stacks().await.map_err(stacks_error)?;
    Ok(futures::stream::iter(stacks)
        .map(|stack: Stack| {
            let cloud = cloud.clone();
            async move {
                let summary = if crate::convox::is_rack(&stack) {
                    match cloud.stack_template(&stack.name).await {
                        Ok(body) => summary_of_body(&body).map_err(|error| error.to_string()),
                        Err(error) => Err(error.to_string()),
                    }
                } else {
                    Err("not read".to_string())
                };
                SurveyedStack {
                    region: region.to_string(),
                    stack,
                    summary,
                }
            }
        })
        .buffer_unordered(TEMPLATE_CONCURRENCY)
        .collect()
        .await)
}

/// The SSM password parameter of each rack that names one (`password_ssm`), in racks.toml's order, read with
/// its org's credentials in its region; racks of orgs without a known account are left out.
pub async fn password_parameters<'a>(
    config: &'a Config,
    accounts: &std::collections::BTreeMap<String, String>,
    connector: &dyn Connector,
) -> Vec<(&'a Rack, &'a str, Result<Option<SsmParameter>, CloudError>)> {
    let reads = config.racks.iter().filter_map(|rack| {
        let parameter = rack.password_ssm.as_deref()?;
        accounts.get(&rack.org)?;
        let org = &config.orgs[&rack.org];
        Some(async move {
            let found = connector.ssm_parameter(org, &rack.region, parameter).await;
            (rack, parameter, found)
        })
    });
    join_all(reads).await
}
