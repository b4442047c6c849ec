//! The words of an apply's progress and outcomes, shared by its views (plain lines, bars, the JSON stream's
//! messages, the summary): each view only places them.

use std::time::Duration;

use super::super::waves;
use super::super::{Notation, duration, held_words, refusal_words, span};
use super::failures::{failure_words, root_cause_words};
use super::stack_events;
use crate::apply::reporter::{Progress, Work};
use crate::apply::stall::Stall;
use crate::apply::{
    BlockReason, Counts, RackOutcome, RackResult, Retained, StopReason, UninstallStep,
};
use crate::cloud::StackStatus;
use crate::plan::Wave;

/// What became of a rack, in a line: `updated in 4m02s`.
pub fn outcome_words(outcome: &RackOutcome) -> String {
    result_words(&outcome.result, &elapsed(outcome.elapsed))
}

/// `personal/web: updated in 4m02s`, after `indent`. A result of several lines (a blocked rack's reason, a
/// line per install-only change) hangs under its first line's words, so the later lines read as part of
/// the rack's result, not as lines of their own.
pub fn outcome_line(indent: &str, rack: &impl std::fmt::Display, outcome: &RackOutcome) -> String {
    let head = format!("{indent}{rack}: ");
    let hang = format!("\n{}", " ".repeat(head.chars().count()));
    format!("{head}{}", outcome_words(outcome).replace('\n', &hang))
}

/// How long a rack's work took, as its lines say it: `4m02s`, `45s`, `300ms`.
pub fn elapsed(took: Duration) -> String {
    duration(took, Notation::Elapsed)
}

/// What work on a rack begins: `installing`, `upgrading to 20260101000000 (step 2 of 3)`.
pub fn work_words(work: &Work<'_>) -> String {
    match work {
        Work::Installing => "installing".into(),
        Work::Updating => "updating".into(),
        Work::Upgrading { version, step, of } => {
            format!("upgrading to {version} (step {step} of {of})")
        }
        Work::ContinuingRollback { skipping: [] } => "continuing the rollback".into(),
        Work::ContinuingRollback { skipping } => format!(
            "continuing the rollback, skipping {} (left as it is)",
            skipping.join(", ")
        ),
        Work::Deleting { stack } => format!("deleting {stack}"),
        Work::Waiting { status } => format!("waiting: {status}"),
        Work::FollowingCancel => "cancelled (CancelUpdateStack): following the rollback".into(),
    }
}

/// A line of a rack's progress: an event in Convox's words, or what a cancel did.
pub fn progress_words(progress: &Progress<'_>) -> String {
    match progress {
        Progress::Event { event, stack } => stack_events::describe(event, stack),
        Progress::CancelRefused { error } => format!(
            "CancelUpdateStack refused ({error}): the update ended before it could be cancelled"
        ),
        Progress::Cancelling { after } => format!(
            "cancelling after {} (CancelUpdateStack): following the rollback",
            span(after.as_secs())
        ),
    }
}

/// `still UPDATE_IN_PROGRESS (2m30s)`.
pub fn heartbeat_words(status: &str, elapsed_so_far: Duration) -> String {
    format!("still {status} ({})", elapsed(elapsed_so_far))
}

/// Why a rack was not changed.
pub fn block_words(reason: &BlockReason) -> String {
    match reason {
        BlockReason::Planned { blocked, preflight } => crate::render::blocked::reason(blocked, preflight),
        BlockReason::SavedPlanWaited => "CloudFormation was changing the stack when the plan was made, and a saved plan is not planned again; plan again once it has finished".into(),
        BlockReason::BusyAgain => "CloudFormation began changing the stack again after the wait; plan again once it has finished".into(),
        BlockReason::Refused(refusal) => {
            format!("its new plan {}; nothing was sent", refusal_words(refusal))
        }
    }
}

/// `Bucket (AWS::S3::Bucket), Logs (AWS::Logs::LogGroup)`: what an uninstall left behind.
fn retained_words(retained: &[Retained]) -> String {
    retained
        .iter()
        .map(|r| format!("{} ({})", r.logical_id, r.resource_type))
        .collect::<Vec<_>>()
        .join(", ")
}

fn result_words(result: &RackResult, elapsed: &str) -> String {
    match result {
        RackResult::Installed { .. } => format!("installed in {elapsed}"),
        RackResult::Reinstalled { .. } => {
            format!("deleted and installed again in {elapsed}")
        }
        RackResult::RollbackContinued { then: None } => format!(
            "rollback continued to UPDATE_ROLLBACK_COMPLETE in {elapsed}; `rackfile plan` shows what is left to apply"
        ),
        RackResult::RollbackContinued { then: Some(then) } => format!(
            "rollback continued to UPDATE_ROLLBACK_COMPLETE, then {}",
            result_words(then, elapsed)
        ),
        RackResult::Uninstalled { apps, retained } => {
            let mut text = match apps {
                0 => format!("uninstalled in {elapsed}"),
                1 => format!("uninstalled with its 1 app or resource stack in {elapsed}"),
                _ => {
                    format!("uninstalled with its {apps} app and resource stacks in {elapsed}")
                }
            };
            if !retained.is_empty() {
                text.push_str(&format!(
                    "; left behind (DeletionPolicy Retain): {}",
                    retained_words(retained)
                ));
            }
            text
        }
        RackResult::Updated => format!("updated in {elapsed}"),
        RackResult::Upgraded { steps } => format!("upgraded in {steps} steps in {elapsed}"),
        RackResult::UpgradeStopped {
            step,
            of,
            version,
            result,
        } => {
            let rest = match of - step {
                0 => String::new(),
                1 => format!("; step {of} was not started"),
                _ => format!("; steps {} to {of} were not started", step + 1),
            };
            format!(
                "upgrade stopped at step {step} of {of} (to {version}): {}{rest}",
                result_words(result, elapsed)
            )
        }
        RackResult::AlreadyUpToDate => "no updates were needed".into(),
        RackResult::Unchanged => "no changes".into(),
        RackResult::Blocked { status, reason } => match status {
            Some(status) => format!("not changed: {status}: {}", block_words(reason)),
            None => format!("not installed: {}", block_words(reason)),
        },
        RackResult::Failed {
            failure,
            status,
            root_cause,
        } => {
            let mut text = format!("failed after {elapsed}: {}", failure_words(failure));
            if let Some(status) = status {
                text.push_str(&format!("; the stack is {status}"));
            }
            if let Some(cause) = root_cause {
                text.push_str(&format!("; root cause: {}", root_cause_words(cause)));
            }
            text
        }
        RackResult::StillInProgress { status, why } => {
            let status = status
                .as_ref()
                .map_or("status not read yet", StackStatus::as_str);
            match why {
                StopReason::Timeout => format!(
                    "timed out after {elapsed}; CloudFormation is still changing it ({status})"
                ),
                StopReason::Interrupted => {
                    format!("interrupted; CloudFormation is still changing it ({status})")
                }
            }
        }
        RackResult::Cancelled {
            after,
            rolled_back_in,
        } => format!(
            "cancelled after {}; rolled back in {}",
            span(after.as_secs()),
            span(rolled_back_in.as_secs())
        ),
        RackResult::NotStarted => "not started (interrupted)".into(),
        RackResult::Held {
            reasons,
            disruptions,
            dependents,
        } => format!(
            "held for a person, nothing sent: {}",
            held_words(reasons, disruptions, dependents)
        ),
    }
}

/// The racks that did not end as planned, `1 failed, 1 blocked`, counted one way wherever they are: the
/// summary's headline, a wave's last line. Failed is always said, even when none did.
pub(super) fn not_done_words(counts: &Counts) -> String {
    let mut out = format!("{} failed", counts.failed);
    for (number, what) in [(counts.cancelled, "cancelled"), (counts.blocked, "blocked")] {
        if number > 0 {
            out.push_str(&format!(", {number} {what}"));
        }
    }
    out
}

/// `Wave 1 of 3`'s short name in progress lines.
pub(super) fn wave_name(wave: &Wave) -> String {
    format!("Wave {}", wave.number)
}

/// What a wave's progress lines say, whatever draws them.
pub(super) fn wave_line(event: WaveEvent<'_>) -> String {
    match event {
        WaveEvent::Started { wave, of, changing } => format!(
            "{}: starting, {changing} {} to change",
            waves::header(wave, of),
            if changing == 1 { "rack" } else { "racks" }
        ),
        WaveEvent::Skipped { wave, of } => waves::header(wave, of),
        WaveEvent::Finished { wave, counts } => format!(
            "{}: every rack done, {} ({} tolerated)",
            wave_name(wave),
            not_done_words(counts),
            wave.failure_tolerance
        ),
        WaveEvent::BakeStarted { wave, total } => format!(
            "{}: baking {}, watching {} {}",
            wave_name(wave),
            waves::bake(total.as_secs()),
            wave.alarms.len(),
            if wave.alarms.len() == 1 {
                "alarm"
            } else {
                "alarms"
            }
        ),
        WaveEvent::Baking { wave, remaining } => format!(
            "{}: baking, no alarm in ALARM, {} left",
            wave_name(wave),
            waves::bake(remaining.as_secs())
        ),
        WaveEvent::BakePassed { wave } => {
            format!("{}: bake passed, no alarm in ALARM", wave_name(wave))
        }
    }
}

pub(super) enum WaveEvent<'a> {
    Started {
        wave: &'a Wave,
        of: usize,
        changing: usize,
    },
    Skipped {
        wave: &'a Wave,
        of: usize,
    },
    Finished {
        wave: &'a Wave,
        counts: &'a Counts,
    },
    BakeStarted {
        wave: &'a Wave,
        total: Duration,
    },
    Baking {
        wave: &'a Wave,
        remaining: Duration,
    },
    BakePassed {
        wave: &'a Wave,
    },
}

/// `stalled: Instances (AWS::AutoScaling::AutoScalingGroup) has had no event for 25m`: whole minutes, as
/// polling makes the seconds noise.
pub fn stall_words(stall: &Stall) -> String {
    format!(
        "stalled: {} ({}) has had no event for {}",
        stall.logical_id,
        stall.resource_type,
        span(stall.quiet.as_secs() / 60 * 60)
    )
}

/// What a step of an uninstall's preparation did, in Convox's terms.
pub fn uninstall_step_words(step: &UninstallStep) -> String {
    match step {
        UninstallStep::AutoscalerRuleDisabled { rule } => {
            format!(
                "disabled the autoscaler rule {rule}, so it sends no update while the rack goes"
            )
        }
        UninstallStep::AutoscalerRuleNotDisabled { rule, error } => format!(
            "could not disable the autoscaler rule {rule} ({error}); going on without it, as `convox rack uninstall` does"
        ),
        UninstallStep::NoAutoscalerRule => {
            "no autoscaler rule to disable (Autoscale is off, or the template has none)".into()
        }
        UninstallStep::GroupDeleted { stack, group } => format!(
            "force-deleting AutoScalingGroup {group} of {stack} with its instances, so the ECS services finish deleting"
        ),
        UninstallStep::GroupAlreadyGone { stack, group } => {
            format!("AutoScalingGroup {group} of {stack} is already gone")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convox::Dependent;
    use crate::plan::{DependentStack, Disruption, HoldReason};

    fn held(reasons: Vec<HoldReason>, dependents: Vec<DependentStack>) -> String {
        result_words(
            &RackResult::Held {
                reasons,
                disruptions: vec![Disruption::Uninstall],
                dependents,
            },
            "1s",
        )
    }

    #[test]
    fn a_held_rack_is_worded_from_the_hold_reasons_and_disruptions_it_carries() {
        assert_eq!(
            held(vec![HoldReason::Install], Vec::new()),
            "held for a person, nothing sent: installs a new rack"
        );
        assert_eq!(
            held(vec![HoldReason::Disruptive], Vec::new()),
            "held for a person, nothing sent: is uninstalled: the stack and every resource it does not retain are deleted"
        );
        let app = DependentStack {
            name: "web-app".into(),
            stack_id: "arn:app".into(),
            kind: Dependent::App,
        };
        assert_eq!(
            held(vec![HoldReason::Disruptive], vec![app]),
            "held for a person, nothing sent: is uninstalled: 1 app stack and the rack, with every resource not retained, are deleted"
        );
    }

    #[test]
    fn a_rack_blocked_by_preflight_is_worded_from_its_failed_checks() {
        use crate::plan::preflight::Finding;
        use crate::plan::{PreflightCheck, PreflightKind, Verdict};
        let check = |verdict, export: &str| PreflightCheck {
            check: PreflightKind::Exports,
            verdict,
            read: vec![crate::plan::preflight::Read::ListImports {
                export: export.into(),
            }],
            finding: Finding::ExportImported {
                step: None,
                export: export.into(),
                importers: vec!["web-myapp".into()],
            },
        };
        let result = RackResult::Blocked {
            status: Some(StackStatus::parse("UPDATE_COMPLETE")),
            reason: BlockReason::Planned {
                blocked: crate::plan::Blocked {
                    why: crate::plan::BlockedWhy::Preflight,
                    status: Some(StackStatus::parse("UPDATE_COMPLETE")),
                    step: None,
                },
                preflight: vec![
                    check(Verdict::Blocked, "web:Cluster"),
                    check(Verdict::Warning, "web:Other"),
                ],
            },
        };
        assert_eq!(
            result_words(&result, "1s"),
            "not changed: UPDATE_COMPLETE: preflight: the update removes export web:Cluster, which stack web-myapp imports: CloudFormation would roll it back; update or delete it first (read: ListImports web:Cluster)"
        );
    }
}
