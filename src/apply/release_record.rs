//! After an update or upgrade step that moved a rack to a new version completed, what Convox's
//! `SystemUpdate` leaves behind (`convox::operations`): the version in the rack's releases table, so
//! `convox rack releases` lists it, and a `rack:update` event on its notification topic, so its webhooks
//! hear of it. Both are found from the rack's own resources. A failure to record is a warning for the
//! summary, never a failed update: the rack itself was updated.

use super::context::Context;
use super::outcome::{NotRecorded, RecordWarning, Unrecorded};
use crate::cloud::Cloud;
use crate::convox::names;
use crate::convox::operations::{
    NOTIFICATION_TOPIC, RACK_UPDATE, RELEASES_TABLE, physical_id, rack_update_message, release_item,
};
use crate::plan::{ChangeKind, RackPlan, Update};

/// The version an update moves the rack to, when it changes the rack's `Version`.
pub fn new_version(update: &Update) -> Option<&str> {
    update
        .changes
        .iter()
        .find(|change| change.kind == ChangeKind::Parameter && change.name == names::VERSION)
        .and_then(|change| change.after.as_deref())
}

/// Records `update`'s new version as Convox does, once the update completed; warnings, never errors.
pub(super) async fn record(ctx: &Context<'_>, plan: &RackPlan, update: &Update, cloud: &dyn Cloud) {
    let Some(version) = new_version(update) else {
        return;
    };
    let warn = |what, why: NotRecorded| {
        ctx.record_warnings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(plan.rack.clone())
            .or_default()
            .push(RecordWarning {
                version: version.to_string(),
                what,
                why,
            });
    };
    let both = |why: NotRecorded| {
        warn(Unrecorded::ReleaseRecord, why.clone());
        warn(Unrecorded::RackUpdateEvent, why);
    };
    let resources = match cloud.stack_resources(&plan.name).await {
        Ok(resources) => resources,
        Err(error) => {
            return both(NotRecorded::ResourcesUnlisted(error));
        }
    };
    let services = match ctx
        .connector
        .rack_services(&ctx.orgs[&plan.org], &plan.region)
        .await
    {
        Ok(services) => services,
        Err(error) => return both(NotRecorded::ServicesUnreachable(error)),
    };
    let now = ctx.connector.now();
    let missing = |logical_id: &str| NotRecorded::NoResource(logical_id.to_string());
    match physical_id(&resources, RELEASES_TABLE) {
        None => warn(Unrecorded::ReleaseRecord, missing(RELEASES_TABLE)),
        Some(table) => {
            let item = release_item(&plan.name, version, now);
            if let Err(error) = services.put_release(table, &item).await {
                warn(Unrecorded::ReleaseRecord, NotRecorded::Refused(error));
            }
        }
    }
    match physical_id(&resources, NOTIFICATION_TOPIC) {
        None => warn(Unrecorded::RackUpdateEvent, missing(NOTIFICATION_TOPIC)),
        Some(topic) => {
            let message = rack_update_message(&plan.name, version, now);
            if let Err(error) = services.publish(topic, RACK_UPDATE, &message).await {
                warn(Unrecorded::RackUpdateEvent, NotRecorded::Refused(error));
            }
        }
    }
}
