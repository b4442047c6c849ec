//! The planned templates' reads: how a rack's template is read (`template_read`: a local file parsed, an S3
//! object read whole, or GetTemplateSummary in the rack's account) and the key racks that share the read
//! share it by; reading one; and doctor's read of every declared template once.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures::future::join_all;

use super::{CONVOX_BUCKET_REGION, Clouds};
use crate::cloud::{
    Cloud, CloudError, CloudErrorKind, Connector, RegionKey, S3Object, TemplateSource,
    TemplateSummary,
};
use crate::config::{Config, OrgSettings, Rack, Template};
use crate::template::{
    DocumentError, MAX_URL_TEMPLATE_BYTES, S3Location, parse_document, summary_of_document,
};

/// The planned templates as read: each one's summary per account, and the parsed body of those read whole.
#[derive(Debug, Default)]
pub struct TemplateReads {
    pub summaries: HashMap<(String, TemplateSource), Result<TemplateSummary, CloudError>>,
    pub documents: HashMap<TemplateSource, Arc<serde_json::Value>>,
}

/// The parameter declarations of each rack's template, keyed by (account, template), each template read
/// once however many racks and accounts use it (see `template_read`). Racks whose (account, region) has no
/// open cloud are left out.
pub async fn read_template_summaries(
    config: &Config,
    racks: &[&Rack],
    accounts: &BTreeMap<String, String>,
    clouds: &Clouds,
    connector: &dyn Connector,
) -> TemplateReads {
    // What to read, once each, and the (account, template) keys each read answers.
    let mut reads: BTreeMap<ReadKey, (TemplateRead, Vec<(String, TemplateSource)>)> =
        BTreeMap::new();
    for rack in racks {
        let Some(account) = accounts.get(&rack.org) else {
            continue;
        };
        let Some(cloud) = clouds.get(&RegionKey::new(account, &rack.region)) else {
            continue;
        };
        let (key, read) = template_read(config, rack, account, cloud);
        let users = &mut reads.entry(key).or_insert_with(|| (read, Vec::new())).1;
        let user = (account.clone(), template_source(&rack.template));
        if !users.contains(&user) {
            users.push(user);
        }
    }
    let reads = reads.into_values().map(|(read, users)| async move {
        let (summary, document) = read_template(read, connector).await;
        (users, summary, document)
    });
    let mut reads_done = TemplateReads::default();
    for (users, summary, document) in join_all(reads).await {
        for user in users {
            if let Some(document) = &document {
                reads_done
                    .documents
                    .insert(user.1.clone(), document.clone());
            }
            reads_done.summaries.insert(user, summary.clone());
        }
    }
    reads_done
}

/// One read of a template's parameters: a local file is parsed; an S3-hosted URL is one S3 GetObject
/// (unsigned for Convox's public bucket, else with the credentials of the org given), read whole; any other
/// URL is one GetTemplateSummary per account, which reports less (`Declarations`).
pub(super) enum TemplateRead<'a> {
    Body(String),
    Object(S3Object, Option<&'a OrgSettings>),
    Summary(Arc<dyn Cloud>, TemplateSource),
}

/// How `rack`'s template is read in `account` (through `cloud`, its (account, region)'s), and the key of
/// that read: racks with the same key share it.
pub(super) fn template_read<'a>(
    config: &'a Config,
    rack: &Rack,
    account: &str,
    cloud: &Arc<dyn Cloud>,
) -> (ReadKey, TemplateRead<'a>) {
    match &rack.template {
        Template::File { body, .. } => (
            ReadKey::Body(body.clone()),
            TemplateRead::Body(body.clone()),
        ),
        Template::Url { url, .. } => match S3Location::parse(url) {
            Some(location) => {
                let public = location.is_public_convox_release();
                let object = S3Object {
                    region: location.region.clone().unwrap_or_else(|| {
                        if public {
                            CONVOX_BUCKET_REGION.to_string()
                        } else {
                            rack.region.clone()
                        }
                    }),
                    bucket: location.bucket,
                    key: location.key,
                };
                let org = (!public).then(|| &config.orgs[&rack.org]);
                (ReadKey::Url(url.clone()), TemplateRead::Object(object, org))
            }
            None => (
                ReadKey::Summary(account.to_string(), url.clone()),
                TemplateRead::Summary(cloud.clone(), template_source(&rack.template)),
            ),
        },
    }
}

/// A template's summary, and its body parsed for the impact analysis when it was read whole.
pub(super) type TemplateAnswer = (
    Result<TemplateSummary, CloudError>,
    Option<Arc<serde_json::Value>>,
);

pub(super) async fn read_template(
    read: TemplateRead<'_>,
    connector: &dyn Connector,
) -> TemplateAnswer {
    match read {
        TemplateRead::Body(body) => summarise(&body),
        TemplateRead::Object(object, org) => {
            match connector
                .s3_object(org, &object, MAX_URL_TEMPLATE_BYTES)
                .await
            {
                Ok(body) => summarise(&body),
                Err(error) => (Err(error), None),
            }
        }
        TemplateRead::Summary(cloud, source) => (cloud.template_summary(&source).await, None),
    }
}

/// A template body's summary, and the body parsed for the impact analysis.
fn summarise(body: &str) -> TemplateAnswer {
    match parse_document(body).and_then(|document| {
        let summary = summary_of_document(&document)?;
        Ok::<_, DocumentError>((summary, document))
    }) {
        Ok((summary, document)) => (Ok(summary), Some(Arc::new(document))),
        Err(error) => (Err(template_error(error)), None),
    }
}

/// One read of a template: a body, an S3 URL (any account), or a URL GetTemplateSummary reads per account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum ReadKey {
    Body(String),
    Url(String),
    Summary(String, String),
}

fn template_error(error: crate::template::DocumentError) -> CloudError {
    CloudError::new(CloudErrorKind::Validation, error.message)
}

/// How CloudFormation is given a rack's template.
pub fn template_source(template: &Template) -> TemplateSource {
    match template {
        Template::Url { url, .. } => TemplateSource::Url(url.clone()),
        Template::File { body, .. } => TemplateSource::Body(body.clone()),
    }
}
