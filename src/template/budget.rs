//! How long an update or an install should take, from the template alone: what the plan prints as the
//! rack's budget and what `apply --timeout budget` waits for.
//!
//! The slow part of a rack update is the rolling replacement of its instances: an AutoScalingGroup whose
//! AutoScalingRollingUpdate policy replaces MaxBatchSize instances at a time and then waits PauseTime before
//! the next batch. So a group of N instances takes up to ceil(N / MaxBatchSize) x PauseTime. Next come the
//! ECS services the update modifies, replaces or redeploys (a Convox upgrade gives the rack's own services
//! new task definitions): CloudFormation waits for each to reach a steady state, so each gets an allowance
//! of its own. Everything else (launch templates, Lambda-backed custom resources) gets a fixed allowance.
//! Groups and services are summed, not overlapped: CloudFormation may update independent ones at once, and
//! a budget is an upper bound. The arithmetic saturates: a template can make any figure overflow u64
//! (a DesiredCapacity of 2^64-1), and the budget then says it is capped rather than wrap or panic.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::evaluate::{Pseudo, Side, Val};
use super::resource_impact::ResourceImpact;
use super::unknown::TemplateUnknown;

/// What an update takes besides its rolling replacements: resources updated in place, replaced launch
/// configurations, the cleanup of replaced resources. Five minutes, the PauseTime Convox's own template
/// gives a batch: enough for what an update of a rack does outside its instance groups.
pub const UPDATE_ALLOWANCE_SECONDS: u64 = 5 * 60;

/// What CloudFormation waits for when it updates an ECS service: the deployment reaching a steady state.
/// ECS starts the new tasks (pulling the image: a minute or two), waits until the load balancer finds them
/// healthy (HealthyThresholdCount x HealthCheckIntervalSeconds: AWS's defaults for a target group are 5 x
/// 30 s, 2m30s), then drains the old ones for the target group's deregistration delay (AWS's default 300 s;
/// Convox's 2026 template sets 30 s, its older ones leave the default) and stops them (the container's
/// StopTimeout, 30 s by default). 300 + 150 + 30 s and two minutes to start is ten minutes: a service whose
/// tasks are replaced in one batch (MaximumPercent 200, as Convox's) fits in it with AWS's defaults.
pub const ECS_SERVICE_ALLOWANCE_SECONDS: u64 = 10 * 60;

/// The resource type whose updates get `ECS_SERVICE_ALLOWANCE_SECONDS` each.
const ECS_SERVICE: &str = "AWS::ECS::Service";

/// What an install takes: a rack's network, cluster, instances (launched at once, not rolled) and services.
/// Convox installs usually complete in 10 to 20 minutes; half an hour leaves room for a slow NAT gateway or
/// EFS mount target without waiting for CloudFormation's own hours.
pub const INSTALL_ALLOWANCE_SECONDS: u64 = 30 * 60;

/// The time a change should take, or why rackfile cannot say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Budget {
    Computed {
        /// The whole budget: every rolling group and service plus `allowance_seconds`.
        seconds: u64,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        rolling: Vec<RollingBudget>,
        /// The ECS services the update deploys, each given `ECS_SERVICE_ALLOWANCE_SECONDS`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        services: Vec<ServiceBudget>,
        allowance_seconds: u64,
        /// The arithmetic overflowed: `seconds` (and the figure that overflowed) is capped at u64::MAX.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        saturated: bool,
    },
    /// The JSON view writes `why`'s words as `reason` before it.
    CannotCompute { why: BudgetUnknown },
}

/// Why rackfile cannot say how long an update takes: facts only, worded by `render::budget`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BudgetUnknown {
    /// The update's impact analysis could not run.
    NotAnalysed {
        template: TemplateUnknown,
    },
    /// The group's MaxBatchSize, as the template sets it, is not a whole number above 0.
    MaxBatchSizeNotANumber {
        group: String,
        max_batch_size: String,
    },
    MaxBatchSizeUnknown {
        group: String,
    },
    /// The group the analysis rolls is not in the planned template.
    NotInPlannedTemplate {
        group: String,
    },
    /// The group's AutoScalingRollingUpdate policy does not resolve.
    PolicyUnknown {
        group: String,
    },
    PauseTimeUnknown {
        group: String,
    },
    /// The group's PauseTime, as the template sets it, is not an ISO 8601 duration.
    PauseTimeNotIso8601 {
        group: String,
        pause_time: String,
    },
    /// Its DesiredCapacity does not resolve and the rack has no InstanceCount.
    InstancesUnknown {
        group: String,
    },
}

impl Budget {
    pub fn seconds(&self) -> Option<u64> {
        match self {
            Budget::Computed { seconds, .. } => Some(*seconds),
            Budget::CannotCompute { .. } => None,
        }
    }
}

/// One AutoScalingGroup's rolling replacement: `batches` x `pause_seconds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollingBudget {
    pub logical_id: String,
    pub instances: u64,
    pub instances_from: InstancesFrom,
    pub batch_size: u64,
    pub batches: u64,
    /// As the template writes it (`PT5M`), or AWS's default when it leaves it out.
    pub pause_time: String,
    pub pause_seconds: u64,
    pub seconds: u64,
}

/// One ECS service the update deploys (modifies, replaces, adds, removes, or may replace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceBudget {
    pub logical_id: String,
    pub seconds: u64,
}

/// Where the number of instances a group rolls was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstancesFrom {
    /// The group's DesiredCapacity, evaluated with the rack's live parameter values.
    DesiredCapacity,
    /// The rack's live InstanceCount parameter (the group's DesiredCapacity is only known to AWS).
    LiveInstanceCount,
}

/// The budget of an install: nothing rolls, every instance is launched at once.
pub fn install_budget() -> Budget {
    Budget::Computed {
        seconds: INSTALL_ALLOWANCE_SECONDS,
        rolling: Vec::new(),
        services: Vec::new(),
        allowance_seconds: INSTALL_ALLOWANCE_SECONDS,
        saturated: false,
    }
}

/// The budget of an update whose analysis found `impacts`, applied with `template` and the `planned`
/// parameter values to a rack whose parameters are now `live`.
pub fn update_budget(
    impacts: &[ResourceImpact],
    template: &Value,
    planned: &BTreeMap<String, String>,
    live: &BTreeMap<String, String>,
    pseudo: &Pseudo,
) -> Budget {
    let nothing_hidden = BTreeSet::new();
    let planned_side = Side::bounded(template, planned, &nothing_hidden, pseudo);
    let live_side = Side::bounded(template, live, &nothing_hidden, pseudo);
    let mut rolling = Vec::new();
    let mut saturated = false;
    for impact in impacts {
        let Some(policy) = &impact.rolling else {
            continue;
        };
        let group = impact.logical_id.as_str();
        let group_name = || group.to_string();
        let batch_size = match policy.max_batch_size.as_deref().map(positive_number) {
            Some(Some(size)) => size,
            Some(None) => {
                return cannot(BudgetUnknown::MaxBatchSizeNotANumber {
                    group: group_name(),
                    max_batch_size: policy.max_batch_size.clone().unwrap_or_default(),
                });
            }
            None => {
                return cannot(BudgetUnknown::MaxBatchSizeUnknown {
                    group: group_name(),
                });
            }
        };
        let Some(resource) = planned_side.resource(group) else {
            return cannot(BudgetUnknown::NotInPlannedTemplate {
                group: group_name(),
            });
        };
        let (pause_time, pause_seconds) = match pause_time(&planned_side, resource, group) {
            Ok(pause) => pause,
            Err(why) => return cannot(why),
        };
        let (instances, instances_from) = match instances(&live_side, resource, live) {
            Some(found) => found,
            None => {
                return cannot(BudgetUnknown::InstancesUnknown {
                    group: group_name(),
                });
            }
        };
        let batches = instances.div_ceil(batch_size);
        let seconds = batches.checked_mul(pause_seconds).unwrap_or_else(|| {
            saturated = true;
            u64::MAX
        });
        rolling.push(RollingBudget {
            logical_id: group.to_string(),
            instances,
            instances_from,
            batch_size,
            batches,
            pause_time,
            pause_seconds,
            seconds,
        });
    }
    // Every action counts: CloudFormation waits for a new service's first deployment and for a removed
    // one's tasks to drain as it does for an updated one.
    let services: Vec<ServiceBudget> = impacts
        .iter()
        .filter(|impact| impact.resource_type == ECS_SERVICE)
        .map(|impact| ServiceBudget {
            logical_id: impact.logical_id.clone(),
            seconds: ECS_SERVICE_ALLOWANCE_SECONDS,
        })
        .collect();
    let parts = rolling
        .iter()
        .map(|group| group.seconds)
        .chain(services.iter().map(|service| service.seconds))
        .chain([UPDATE_ALLOWANCE_SECONDS]);
    let mut seconds = 0u64;
    for part in parts {
        seconds = seconds.checked_add(part).unwrap_or_else(|| {
            saturated = true;
            u64::MAX
        });
    }
    Budget::Computed {
        seconds,
        rolling,
        services,
        allowance_seconds: UPDATE_ALLOWANCE_SECONDS,
        saturated,
    }
}

fn cannot(why: BudgetUnknown) -> Budget {
    Budget::CannotCompute { why }
}

/// The policy's PauseTime, or AWS's default for it: PT5M when the group waits on resource signals, else
/// PT0S (AWS::AutoScaling::AutoScalingGroup UpdatePolicy, AutoScalingRollingUpdate).
fn pause_time(
    side: &Side<'_>,
    resource: &Value,
    group: &str,
) -> Result<(String, u64), BudgetUnknown> {
    let policy = resource
        .get("UpdatePolicy")
        .and_then(|policy| policy.get("AutoScalingRollingUpdate"))
        .map(|policy| side.evaluate(policy));
    let Some(Val::Map(policy)) = policy else {
        return Err(BudgetUnknown::PolicyUnknown {
            group: group.to_string(),
        });
    };
    let text = match policy.get("PauseTime") {
        Some(Val::Text(text)) => text.to_string(),
        Some(_) => {
            return Err(BudgetUnknown::PauseTimeUnknown {
                group: group.to_string(),
            });
        }
        None => {
            let waits = matches!(
                policy.get("WaitOnResourceSignals"),
                Some(Val::Text(wait)) if wait.eq_ignore_ascii_case("true")
            );
            if waits { "PT5M" } else { "PT0S" }.to_string()
        }
    };
    let seconds = iso8601_seconds(&text).ok_or_else(|| BudgetUnknown::PauseTimeNotIso8601 {
        group: group.to_string(),
        pause_time: text.clone(),
    })?;
    Ok((text, seconds))
}

fn instances(
    side: &Side<'_>,
    group: &Value,
    live: &BTreeMap<String, String>,
) -> Option<(u64, InstancesFrom)> {
    let desired = group
        .get("Properties")
        .and_then(|properties| properties.get("DesiredCapacity"))
        .map(|desired| side.evaluate(desired));
    if let Some(Val::Text(count)) = desired
        && let Ok(count) = count.trim().parse::<u64>()
    {
        return Some((count, InstancesFrom::DesiredCapacity));
    }
    let count = live.get("InstanceCount")?.trim().parse::<u64>().ok()?;
    Some((count, InstancesFrom::LiveInstanceCount))
}

fn positive_number(text: &str) -> Option<u64> {
    text.trim().parse::<u64>().ok().filter(|size| *size > 0)
}

/// Seconds in an ISO 8601 duration of days, hours, minutes and whole seconds (`PT5M`, `PT1H30M`, `P1DT2H`),
/// the form CloudFormation takes for PauseTime; `None` for anything else.
pub fn iso8601_seconds(text: &str) -> Option<u64> {
    let rest = text.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return None,
        None => (rest, None),
    };
    let mut seconds = 0u64;
    let mut any = false;
    for (part, units) in [
        (date, &[('D', 86_400u64)][..]),
        (time.unwrap_or(""), &[('H', 3_600), ('M', 60), ('S', 1)][..]),
    ] {
        let mut digits = String::new();
        let mut next_unit = 0;
        for character in part.chars() {
            if character.is_ascii_digit() {
                digits.push(character);
                continue;
            }
            let position = units[next_unit..]
                .iter()
                .position(|(unit, _)| *unit == character)?;
            let (_, size) = units[next_unit + position];
            next_unit += position + 1;
            let count: u64 = digits.parse().ok()?;
            seconds = seconds.checked_add(count.checked_mul(size)?)?;
            digits.clear();
            any = true;
        }
        if !digits.is_empty() {
            return None;
        }
    }
    any.then_some(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::{StackTemplate, analyse};

    fn template(name: &str) -> Value {
        let path = format!("{}/tests/templates/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn pseudo() -> Pseudo {
        Pseudo {
            region: "eu-west-1".into(),
            stack_name: "web".into(),
            account_id: "123456789012".into(),
        }
    }

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    /// The budget of changing `live` to `planned` on one template, through the impact analysis.
    fn budget_of(template: &Value, live: &[(&str, &str)], planned: &[(&str, &str)]) -> Budget {
        let (live, planned) = (values(live), values(planned));
        let impacts = analyse(
            StackTemplate::new(template, &live),
            StackTemplate::new(template, &planned),
            &pseudo(),
        );
        update_budget(&impacts, template, &planned, &live, &pseudo())
    }

    fn only_group(budget: &Budget) -> (&RollingBudget, u64) {
        let Budget::Computed {
            seconds, rolling, ..
        } = budget
        else {
            panic!("expected a budget, got {budget:?}")
        };
        assert_eq!(rolling.len(), 1, "{rolling:#?}");
        (&rolling[0], *seconds)
    }

    #[test]
    fn iso8601_durations_are_read_in_seconds() {
        assert_eq!(iso8601_seconds("PT5M"), Some(300));
        assert_eq!(iso8601_seconds("PT15M"), Some(900));
        assert_eq!(iso8601_seconds("PT1H30M"), Some(5_400));
        assert_eq!(iso8601_seconds("PT0S"), Some(0));
        assert_eq!(iso8601_seconds("P1DT2H"), Some(93_600));
        for bad in [
            "", "P", "PT", "5M", "PT5", "PTM", "PT5M1H", "PT-5M", "PT5.5S", "pt5m",
        ] {
            assert_eq!(iso8601_seconds(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn an_instance_type_change_on_the_2026_rack_rolls_one_instance_at_a_time() {
        let template = template("rack-2026.json");
        let live = [("InstanceCount", "10"), ("InstanceType", "t3.small")];
        let planned = [("InstanceCount", "10"), ("InstanceType", "m5.large")];
        let budget = budget_of(&template, &live, &planned);
        let (group, seconds) = only_group(&budget);
        assert_eq!(
            (
                group.logical_id.as_str(),
                group.instances,
                group.batch_size,
                group.batches
            ),
            ("Instances", 10, 1, 10)
        );
        assert_eq!(
            (group.pause_time.as_str(), group.pause_seconds),
            ("PT5M", 300)
        );
        assert_eq!(group.instances_from, InstancesFrom::DesiredCapacity);
        // 10 batches of 5 minutes, and the allowance.
        assert_eq!(seconds, 10 * 300 + UPDATE_ALLOWANCE_SECONDS);
    }

    #[test]
    fn at_batch_size_2_the_2026_rack_rolls_in_half_as_many_batches_rounded_up() {
        let template = template("rack-2026.json");
        let live = [
            ("InstanceCount", "9"),
            ("InstanceType", "t3.small"),
            ("InstanceUpdateBatchSize", "2"),
        ];
        let planned = [
            ("InstanceCount", "9"),
            ("InstanceType", "m5.large"),
            ("InstanceUpdateBatchSize", "2"),
        ];
        let budget = budget_of(&template, &live, &planned);
        let (group, seconds) = only_group(&budget);
        assert_eq!(
            (group.instances, group.batch_size, group.batches),
            (9, 2, 5)
        );
        assert_eq!(seconds, 5 * 300 + UPDATE_ALLOWANCE_SECONDS);
    }

    #[test]
    fn a_rack_without_high_availability_rolls_its_no_ha_count_not_its_instance_count() {
        let template = template("rack-2026.json");
        let live = [
            ("HighAvailability", "false"),
            ("NoHaInstanceCount", "2"),
            ("InstanceType", "t3.small"),
        ];
        let planned = [
            ("HighAvailability", "false"),
            ("NoHaInstanceCount", "2"),
            ("InstanceType", "m5.large"),
        ];
        let budget = budget_of(&template, &live, &planned);
        let (group, _) = only_group(&budget);
        assert_eq!(group.instances, 2);
    }

    #[test]
    fn the_2016_rack_pauses_fifteen_minutes_between_batches() {
        let template = template("rack-2016.json");
        let live = [("InstanceCount", "20"), ("InstanceType", "t2.small")];
        let planned = [("InstanceCount", "20"), ("InstanceType", "m4.large")];
        let budget = budget_of(&template, &live, &planned);
        let (group, seconds) = only_group(&budget);
        assert_eq!((group.pause_time.as_str(), group.batches), ("PT15M", 20));
        // Five hours of pauses.
        assert_eq!(seconds, 20 * 900 + UPDATE_ALLOWANCE_SECONDS);
    }

    #[test]
    fn convox_s_own_template_rolls_its_instances_and_no_other_group() {
        let template = template("convox-rack-20260421192651.json");
        let live = [("InstanceCount", "4"), ("InstanceType", "t3.small")];
        let planned = [("InstanceCount", "4"), ("InstanceType", "m5.large")];
        let budget = budget_of(&template, &live, &planned);
        let (group, seconds) = only_group(&budget);
        assert_eq!(
            (
                group.logical_id.as_str(),
                group.instances,
                group.batch_size,
                group.pause_time.as_str()
            ),
            ("Instances", 4, 1, "PT5M")
        );
        assert_eq!(seconds, 4 * 300 + UPDATE_ALLOWANCE_SECONDS);
    }

    #[test]
    fn an_upgrade_like_change_on_convox_s_template_gives_each_redeployed_service_its_allowance() {
        // A new Version gives the rack's own services new images: their task definitions are replaced, so
        // ECS redeploys each service and CloudFormation waits for it.
        let template = template("convox-rack-20260421192651.json");
        let live = [("InstanceCount", "3"), ("Version", "20260301000000")];
        let planned = [("InstanceCount", "3"), ("Version", "20260421192651")];
        let budget = budget_of(&template, &live, &planned);
        let Budget::Computed {
            seconds,
            rolling,
            services,
            saturated,
            ..
        } = &budget
        else {
            panic!("expected a budget, got {budget:?}")
        };
        let ids: Vec<&str> = services.iter().map(|s| s.logical_id.as_str()).collect();
        assert_eq!(ids, ["ServiceMonitorApi", "ServiceWebApi"], "{budget:#?}");
        assert!(
            services
                .iter()
                .all(|service| service.seconds == ECS_SERVICE_ALLOWANCE_SECONDS)
        );
        // The new release's instances roll too: the build instance and 3 rack instances, 5 minutes each.
        let groups: Vec<(&str, u64)> = rolling
            .iter()
            .map(|group| (group.logical_id.as_str(), group.seconds))
            .collect();
        assert_eq!(groups, [("BuildInstances", 300), ("Instances", 900)]);
        assert_eq!(
            *seconds,
            300 + 900 + 2 * ECS_SERVICE_ALLOWANCE_SECONDS + UPDATE_ALLOWANCE_SECONDS
        );
        assert!(!saturated);
    }

    #[test]
    fn a_desired_capacity_of_2_to_the_64_saturates_the_budget_and_says_so() {
        let template = group_with(
            serde_json::json!({"PauseTime": "PT5M"}),
            Value::String(u64::MAX.to_string()),
        );
        let budget = budget_of(&template, &[], &[("Type", "b")]);
        let Budget::Computed {
            seconds,
            rolling,
            saturated,
            ..
        } = &budget
        else {
            panic!("expected a budget, got {budget:?}")
        };
        assert!(*saturated);
        assert_eq!((*seconds, rolling[0].seconds), (u64::MAX, u64::MAX));
        assert_eq!(rolling[0].instances, u64::MAX);
        // A sum that overflows saturates too: a PauseTime just short of the limit, and the allowance.
        let template = group_with(
            serde_json::json!({"PauseTime": format!("PT{}S", u64::MAX - 1)}),
            Value::String("1".into()),
        );
        let budget = budget_of(&template, &[], &[("Type", "b")]);
        assert_eq!(budget.seconds(), Some(u64::MAX));
        assert!(matches!(
            budget,
            Budget::Computed {
                saturated: true,
                ..
            }
        ));
    }

    #[test]
    fn an_update_that_rolls_nothing_gets_the_allowance_alone() {
        let template = template("rack-2026.json");
        let budget = budget_of(&template, &[], &[("LogRetention", "30")]);
        assert_eq!(budget.seconds(), Some(UPDATE_ALLOWANCE_SECONDS));
    }

    fn group_with(policy: Value, desired: Value) -> Value {
        serde_json::json!({
            "Parameters": {
                "Type": {"Type": "String", "Default": "a"},
                "Pause": {"Type": "String", "Default": "PT2M"}
            },
            "Resources": {
                "Config": {
                    "Type": "AWS::AutoScaling::LaunchConfiguration",
                    "Properties": {"InstanceType": {"Ref": "Type"}, "ImageId": "ami-1"}
                },
                "Group": {
                    "Type": "AWS::AutoScaling::AutoScalingGroup",
                    "Properties": {
                        "LaunchConfigurationName": {"Ref": "Config"},
                        "MinSize": "1", "MaxSize": "9", "DesiredCapacity": desired
                    },
                    "UpdatePolicy": {"AutoScalingRollingUpdate": policy}
                }
            }
        })
    }

    #[test]
    fn pause_time_from_a_parameter_and_aws_s_defaults_when_it_is_left_out() {
        let cases = [
            (
                serde_json::json!({"PauseTime": {"Ref": "Pause"}}),
                "PT2M",
                120,
            ),
            (serde_json::json!({}), "PT0S", 0),
            (
                serde_json::json!({"WaitOnResourceSignals": true}),
                "PT5M",
                300,
            ),
        ];
        for (policy, written, seconds) in cases {
            let template = group_with(policy, Value::String("3".into()));
            let budget = budget_of(&template, &[], &[("Type", "b")]);
            let (group, _) = only_group(&budget);
            assert_eq!(
                (
                    group.pause_time.as_str(),
                    group.pause_seconds,
                    group.batches
                ),
                (written, seconds, 3)
            );
        }
    }

    #[test]
    fn a_budget_rackfile_cannot_compute_says_why() {
        let template = group_with(
            serde_json::json!({"PauseTime": "five minutes"}),
            Value::String("3".into()),
        );
        assert_eq!(
            budget_of(&template, &[], &[("Type", "b")]),
            cannot(BudgetUnknown::PauseTimeNotIso8601 {
                group: "Group".into(),
                pause_time: "five minutes".into(),
            })
        );
        let template = group_with(
            serde_json::json!({"PauseTime": "PT1M"}),
            serde_json::json!({"Fn::GetAtt": ["Config", "Whatever"]}),
        );
        assert_eq!(
            budget_of(&template, &[], &[("Type", "b")]),
            cannot(BudgetUnknown::InstancesUnknown {
                group: "Group".into()
            })
        );
        // The live InstanceCount stands in for a DesiredCapacity only AWS knows.
        let budget = budget_of(
            &template,
            &[("InstanceCount", "4")],
            &[("Type", "b"), ("InstanceCount", "4")],
        );
        let (group, _) = only_group(&budget);
        assert_eq!(
            (group.instances, group.instances_from),
            (4, InstancesFrom::LiveInstanceCount)
        );
    }
}
