//! What Convox's CLI and rack API do around an uninstall and an upgrade, as data, each with its source in
//! convox/rack (provider/aws/system.go and system_nlb.go, at 3fc6cc6, "nlb config params, usage gaps"):
//! - `SystemUninstall` refuses while NLB deletion protection is on (`validateNLBUninstall`), then disables
//!   the autoscaler's EventBridge rule (`disableAutoscalerRule`), then force-deletes the AutoScalingGroups
//!   of every stack it deletes (`cleanAsg`: "ecs services fails to complete the delete unless
//!   asg/instances are deleted"), then deletes the stacks.
//! - `SystemUpdate` writes each new version to the rack's releases table (`PutItem` of `id`, `app`,
//!   `created`) and sends a `rack:update` event to the rack's notification topic (`EventSend`, event.go).

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::cloud::{ReleaseItem, StackResource};

/// The parameters `validateNLBUninstall` reads, in its order: either at "Yes" refuses the uninstall, as AWS
/// refuses to delete a load balancer with deletion protection on (the stack would end in DELETE_FAILED).
pub const NLB_DELETION_PROTECTION: [&str; 2] =
    ["NLBDeletionProtection", "NLBInternalDeletionProtection"];

/// The NLB deletion protection parameter that is on, with its value, as `validateNLBUninstall` finds it.
pub fn nlb_deletion_protection(parameters: &BTreeMap<String, String>) -> Option<(&str, &str)> {
    NLB_DELETION_PROTECTION.iter().find_map(|name| {
        parameters
            .get(*name)
            .filter(|value| *value == "Yes")
            .map(|value| (*name, value.as_str()))
    })
}

/// Convox's own words for the refusal (system_nlb.go), with the parameter found on.
pub fn nlb_refusal(parameter: &str, value: &str) -> String {
    format!(
        "cannot uninstall rack while NLB deletion protection is enabled; run 'convox rack params set NLBDeletionProtection=No NLBInternalDeletionProtection=No' first (current: {parameter}={value})"
    )
}

/// The rack's EventBridge rule that runs the instance autoscaler every minute (rack.json, under the
/// `Autoscale` condition): disabled first, so the autoscaler sends no UpdateStack while the groups go.
pub const AUTOSCALER_RULE: &str = "InstancesAutoscalerEvent";

const AUTO_SCALING_GROUP: &str = "AWS::AutoScaling::AutoScalingGroup";

/// The rack's releases table (rack.json `DynamoReleases`, named `RACK-releases`).
pub const RELEASES_TABLE: &str = "DynamoReleases";

/// The rack's notification topic (rack.json `NotificationTopic`, named `RACK-notifications`), to which
/// the rack's webhooks subscribe.
pub const NOTIFICATION_TOPIC: &str = "NotificationTopic";

/// The subject and action of the event `SystemUpdate` sends.
pub const RACK_UPDATE: &str = "rack:update";

/// The physical id of the resource `logical_id` of a stack, if it exists now.
pub fn physical_id<'a>(resources: &'a [StackResource], logical_id: &str) -> Option<&'a str> {
    resources
        .iter()
        .find(|resource| resource.logical_id == logical_id && resource.exists())
        .and_then(|resource| resource.physical_id.as_deref())
}

/// The AutoScalingGroups of a stack that exist now, by name (`cleanAsg`).
pub fn auto_scaling_groups(resources: &[StackResource]) -> Vec<String> {
    resources
        .iter()
        .filter(|resource| resource.resource_type == AUTO_SCALING_GROUP && resource.exists())
        .filter_map(|resource| resource.physical_id.clone())
        .collect()
}

/// The item `SystemUpdate` writes for a rack now at `version`.
pub fn release_item(rack: &str, version: &str, now: SystemTime) -> ReleaseItem {
    let (civil, nanos) = utc(now);
    // Go's `sortableTime`, "20060102.150405.000000000".
    let digits: String = civil.chars().filter(char::is_ascii_digit).collect();
    ReleaseItem {
        id: version.to_string(),
        app: rack.to_string(),
        created: format!("{}.{}.{nanos:09}", &digits[..8], &digits[8..14]),
    }
}

/// The `rack:update` message `EventSend` publishes for a rack now at `version`: Go's JSON of its event
/// struct (fields in declaration order, `data` keys sorted, the time as RFC 3339 with nanoseconds).
pub fn rack_update_message(rack: &str, version: &str, now: SystemTime) -> String {
    #[derive(serde::Serialize)]
    struct Event<'a> {
        action: &'a str,
        data: BTreeMap<&'a str, &'a str>,
        status: &'a str,
        timestamp: String,
    }
    let (civil, nanos) = utc(now);
    let fraction = if nanos == 0 {
        String::new()
    } else {
        format!(".{nanos:09}").trim_end_matches('0').to_string()
    };
    let event = Event {
        action: RACK_UPDATE,
        data: BTreeMap::from([("rack", rack), ("version", version)]),
        status: "success",
        timestamp: format!("{civil}{fraction}Z"),
    };
    serde_json::to_string(&event).unwrap_or_default()
}

/// `2006-01-02T15:04:05` in UTC, and the nanoseconds.
fn utc(now: SystemTime) -> (String, u32) {
    use aws_smithy_types::date_time::{DateTime, Format};
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
    let text = DateTime::from_secs(seconds)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into());
    (text.trim_end_matches('Z').to_string(), since.subsec_nanos())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(seconds: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(seconds, nanos)
    }

    #[test]
    fn the_release_item_has_convox_s_attributes_and_sortable_time() {
        // 2026-04-21T19:26:51.000120000Z
        let item = release_item("web", "20260421192651", at(1_776_799_611, 120_000));
        assert_eq!(item.id, "20260421192651");
        assert_eq!(item.app, "web");
        assert_eq!(item.created, "20260421.192651.000120000");
    }

    #[test]
    fn the_rack_update_event_is_go_s_json_of_convox_s_event() {
        assert_eq!(
            rack_update_message("web", "20260421192651", at(1_776_799_611, 120_000)),
            r#"{"action":"rack:update","data":{"rack":"web","version":"20260421192651"},"status":"success","timestamp":"2026-04-21T19:26:51.00012Z"}"#
        );
        assert!(
            rack_update_message("web", "1", at(1_776_799_611, 0))
                .ends_with(r#""timestamp":"2026-04-21T19:26:51Z"}"#)
        );
    }

    #[test]
    fn either_nlb_s_deletion_protection_refuses_the_uninstall() {
        let parameters = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(nlb_deletion_protection(&parameters(&[])), None);
        assert_eq!(
            nlb_deletion_protection(&parameters(&[
                ("NLBDeletionProtection", "No"),
                ("NLBInternalDeletionProtection", "Yes"),
            ])),
            Some(("NLBInternalDeletionProtection", "Yes"))
        );
        assert_eq!(
            nlb_deletion_protection(&parameters(&[("NLBDeletionProtection", "Yes")])),
            Some(("NLBDeletionProtection", "Yes"))
        );
    }

    #[test]
    fn only_groups_that_exist_are_deleted() {
        let resource = |id: &str, kind: &str, physical: Option<&str>, status: &str| StackResource {
            logical_id: id.into(),
            physical_id: physical.map(str::to_string),
            resource_type: kind.into(),
            status: status.into(),
        };
        let resources = [
            resource(
                "Instances",
                AUTO_SCALING_GROUP,
                Some("web-Instances-1"),
                "UPDATE_COMPLETE",
            ),
            resource("SpotInstances", AUTO_SCALING_GROUP, None, "CREATE_FAILED"),
            resource(
                "BuildInstances",
                AUTO_SCALING_GROUP,
                Some("web-Build-2"),
                "DELETE_COMPLETE",
            ),
            resource("Vpc", "AWS::EC2::VPC", Some("vpc-1"), "CREATE_COMPLETE"),
        ];
        assert_eq!(auto_scaling_groups(&resources), ["web-Instances-1"]);
        assert_eq!(physical_id(&resources, "Vpc"), Some("vpc-1"));
        assert_eq!(physical_id(&resources, AUTOSCALER_RULE), None);
    }
}
