//! A budget in words: the rolling arithmetic of each AutoScalingGroup an update rolls, the ECS services it
//! deploys, and the whole figure, `rolling: 10 instances, 1 at a time, PT5M pause: up to 55m`.

use super::{Notation, duration, escape};
use crate::template::{Budget, BudgetUnknown, RollingBudget, ServiceBudget};

/// The lines the human view prints under a rack (or a step of its upgrade) for its budget.
pub(super) fn budget_lines(budget: &Budget) -> Vec<String> {
    match budget {
        Budget::CannotCompute { why } => {
            vec![format!(
                "budget: cannot compute: {}",
                escape(&budget_unknown_words(why))
            )]
        }
        Budget::Computed {
            seconds,
            rolling,
            services,
            saturated,
            allowance_seconds: _,
        } => {
            let mut lines = rolling_lines(rolling, services, *seconds);
            if !services.is_empty() {
                let last = lines.len().saturating_sub(1);
                lines.insert(last, services_line(services));
            }
            if *saturated && let Some(last) = lines.last_mut() {
                last.push_str(" (the arithmetic overflows: capped at 2^64-1 seconds)");
            }
            lines
        }
    }
}

/// The rolling groups and the whole figure; with services, the whole figure is a line of its own.
fn rolling_lines(
    rolling: &[RollingBudget],
    services: &[ServiceBudget],
    seconds: u64,
) -> Vec<String> {
    match rolling {
        [] => vec![format!("budget: up to {}", span(seconds))],
        [group] if services.is_empty() => vec![format!(
            "rolling: {}: up to {}",
            arithmetic(group),
            span(seconds)
        )],
        groups => {
            let mut lines: Vec<String> = groups
                .iter()
                .map(|group| {
                    format!(
                        "rolling {}: {} ({})",
                        escape(&group.logical_id),
                        arithmetic(group),
                        span(group.seconds)
                    )
                })
                .collect();
            lines.push(format!("budget: up to {}", span(seconds)));
            lines
        }
    }
}

/// `services: 2 ECS services deployed (ServiceMonitorApi, ServiceWebApi), 10m each (20m)`.
fn services_line(services: &[ServiceBudget]) -> String {
    let names: Vec<String> = services
        .iter()
        .map(|service| escape(&service.logical_id).into_owned())
        .collect();
    let each: Vec<u64> = services.iter().map(|service| service.seconds).collect();
    let total = each
        .iter()
        .fold(0u64, |sum, seconds| sum.saturating_add(*seconds));
    let per = if each.iter().all(|seconds| *seconds == each[0]) {
        format!("{} each", span(each[0]))
    } else {
        "each its own allowance".to_string()
    };
    format!(
        "services: {} ECS service{} deployed ({}), {per} ({})",
        services.len(),
        if services.len() == 1 { "" } else { "s" },
        names.join(", "),
        span(total)
    )
}

/// Why the budget cannot be computed, unescaped: the JSON view keeps it as the budget's `reason`.
pub(super) fn budget_unknown_words(why: &BudgetUnknown) -> String {
    match why {
        BudgetUnknown::NotAnalysed { template } => format!(
            "the update could not be analysed: {}",
            super::notes::template_unknown_words(template)
        ),
        BudgetUnknown::MaxBatchSizeNotANumber {
            group,
            max_batch_size,
        } => format!("{group}'s MaxBatchSize is {max_batch_size:?}, not a whole number above 0"),
        BudgetUnknown::MaxBatchSizeUnknown { group } => {
            format!("{group}'s MaxBatchSize is only known to AWS")
        }
        BudgetUnknown::NotInPlannedTemplate { group } => {
            format!("{group} is not in the planned template")
        }
        BudgetUnknown::PolicyUnknown { group } => {
            format!("{group}: its AutoScalingRollingUpdate policy is only known to AWS")
        }
        BudgetUnknown::PauseTimeUnknown { group } => {
            format!("{group}: its PauseTime is only known to AWS")
        }
        BudgetUnknown::PauseTimeNotIso8601 { group, pause_time } => {
            format!("{group}: its PauseTime {pause_time:?} is not an ISO 8601 duration (PT5M)")
        }
        BudgetUnknown::InstancesUnknown { group } => format!(
            "how many instances {group} has is only known to AWS (its DesiredCapacity does not resolve and the rack has no InstanceCount)"
        ),
    }
}

/// The budget in a few words, for a table cell: `up to 55m`, or `cannot compute`.
pub(super) fn budget_words(budget: &Budget) -> String {
    match budget.seconds() {
        Some(seconds) => format!("up to {}", span(seconds)),
        None => "cannot compute".into(),
    }
}

/// `10 instances, 1 at a time, PT5M pause`.
fn arithmetic(group: &RollingBudget) -> String {
    format!(
        "{} instance{}, {} at a time, {} pause",
        group.instances,
        if group.instances == 1 { "" } else { "s" },
        group.batch_size,
        escape(&group.pause_time)
    )
}

/// A span of time as people read it: `45s`, `55m`, `5h05m` (`duration::Notation::Span`).
pub fn span(seconds: u64) -> String {
    duration(std::time::Duration::from_secs(seconds), Notation::Span)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::InstancesFrom;

    fn group(id: &str, instances: u64, batch_size: u64, pause: (&str, u64)) -> RollingBudget {
        let batches = instances.div_ceil(batch_size);
        RollingBudget {
            logical_id: id.into(),
            instances,
            instances_from: InstancesFrom::DesiredCapacity,
            batch_size,
            batches,
            pause_time: pause.0.into(),
            pause_seconds: pause.1,
            seconds: batches * pause.1,
        }
    }

    #[test]
    fn one_rolling_group_is_a_line_with_its_arithmetic_and_the_whole_figure() {
        let budget = Budget::Computed {
            seconds: 55 * 60,
            rolling: vec![group("Instances", 10, 1, ("PT5M", 300))],
            services: Vec::new(),
            allowance_seconds: 300,
            saturated: false,
        };
        assert_eq!(
            budget_lines(&budget),
            ["rolling: 10 instances, 1 at a time, PT5M pause: up to 55m"]
        );
        assert_eq!(budget_words(&budget), "up to 55m");
    }

    #[test]
    fn several_groups_are_named_each_and_summed() {
        let budget = Budget::Computed {
            seconds: 3_600 + 300,
            rolling: vec![
                group("Instances", 4, 2, ("PT15M", 900)),
                group("Build", 1, 1, ("PT30M", 1_800)),
            ],
            services: Vec::new(),
            allowance_seconds: 300,
            saturated: false,
        };
        assert_eq!(
            budget_lines(&budget),
            [
                "rolling Instances: 4 instances, 2 at a time, PT15M pause (30m)",
                "rolling Build: 1 instance, 1 at a time, PT30M pause (30m)",
                "budget: up to 1h05m"
            ]
        );
    }

    #[test]
    fn deployed_services_are_a_line_before_the_whole_figure_and_saturation_is_said() {
        let service = |id: &str| ServiceBudget {
            logical_id: id.into(),
            seconds: 600,
        };
        let budget = Budget::Computed {
            seconds: 300 + 1_200 + 300,
            rolling: vec![group("Instances", 1, 1, ("PT5M", 300))],
            services: vec![service("ServiceMonitorApi"), service("ServiceWebApi")],
            allowance_seconds: 300,
            saturated: false,
        };
        assert_eq!(
            budget_lines(&budget),
            [
                "rolling Instances: 1 instance, 1 at a time, PT5M pause (5m)",
                "services: 2 ECS services deployed (ServiceMonitorApi, ServiceWebApi), 10m each (20m)",
                "budget: up to 30m"
            ]
        );
        let budget = Budget::Computed {
            seconds: u64::MAX,
            rolling: vec![RollingBudget {
                seconds: u64::MAX,
                ..group("Instances", 1, 1, ("PT5M", 300))
            }],
            services: Vec::new(),
            allowance_seconds: 300,
            saturated: true,
        };
        let lines = budget_lines(&budget);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].ends_with("(the arithmetic overflows: capped at 2^64-1 seconds)"),
            "{lines:?}"
        );
    }

    #[test]
    fn a_budget_rackfile_cannot_compute_says_so_and_why() {
        let budget = Budget::CannotCompute {
            why: BudgetUnknown::MaxBatchSizeUnknown {
                group: "Instances".into(),
            },
        };
        assert_eq!(
            budget_lines(&budget),
            ["budget: cannot compute: Instances's MaxBatchSize is only known to AWS"]
        );
        assert_eq!(budget_words(&budget), "cannot compute");
    }

    #[test]
    fn each_reason_a_budget_cannot_be_computed_has_its_words() {
        let group = || "Group".to_string();
        let cases = [
            (
                BudgetUnknown::PauseTimeNotIso8601 {
                    group: group(),
                    pause_time: "five minutes".into(),
                },
                "Group: its PauseTime \"five minutes\" is not an ISO 8601 duration (PT5M)",
            ),
            (
                BudgetUnknown::InstancesUnknown { group: group() },
                "how many instances Group has is only known to AWS (its DesiredCapacity does not resolve and the rack has no InstanceCount)",
            ),
            (
                BudgetUnknown::MaxBatchSizeNotANumber {
                    group: group(),
                    max_batch_size: "0".into(),
                },
                "Group's MaxBatchSize is \"0\", not a whole number above 0",
            ),
            (
                BudgetUnknown::NotInPlannedTemplate { group: group() },
                "Group is not in the planned template",
            ),
            (
                BudgetUnknown::PolicyUnknown { group: group() },
                "Group: its AutoScalingRollingUpdate policy is only known to AWS",
            ),
            (
                BudgetUnknown::PauseTimeUnknown { group: group() },
                "Group: its PauseTime is only known to AWS",
            ),
            (
                BudgetUnknown::NotAnalysed {
                    template: crate::template::TemplateUnknown::LiveNotRead,
                },
                "the update could not be analysed: the live template was not read",
            ),
        ];
        for (why, words) in cases {
            assert_eq!(budget_unknown_words(&why), words);
        }
    }
}
