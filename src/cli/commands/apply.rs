//! `rackfile apply`: plan (or load a saved plan and prove it is still true), confirm, execute, summarise.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::apply::reporter::Reporter;
use crate::apply::{Cancel, Context, EnvLookup, ReplanError, Replanner, RolloutOutcome};
pub use crate::cli::options::{ApplyOptions, ApplySource, Approval};
use crate::cloud::Connector;
use crate::config::{self, Config, RackId};
use crate::error::Error;
use crate::live::ChangeSetLedger;
use crate::outcome::Outcome;
use crate::plan::{
    Action, ChangeSets, DriftCheck, Gate, HoldReason, PasswordSource, Permissions, Plan,
    PlanInputs, RackPlan, Refusal, gate, plan_in_rounds,
};
use crate::render;
use crate::render::apply::json_stream::{self, JsonStream};
use crate::render::apply::{BarReporter, LineReporter, summary};

use super::confirm::{Question, ask};
use super::console::Console;

pub async fn run(
    options: &ApplyOptions,
    connector: &dyn Connector,
    console: &mut Console,
    cancel: Cancel,
) -> Result<Outcome, Error> {
    // The change sets the run makes (or a saved plan kept) and does not execute are deleted however it
    // ends: an error, a held rack, Ctrl-C.
    let change_sets = ChangeSetLedger::default();
    let result = run_with(options, connector, console, cancel, &change_sets).await;
    let left = change_sets.delete_left().await;
    if !left.is_empty() {
        let named: Vec<String> = left
            .iter()
            .map(|(change_set, error)| {
                format!(
                    "{} of stack {} ({error})",
                    change_set.name, change_set.stack
                )
            })
            .collect();
        crate::output::eprint(&format!(
            "warning: these change sets could not be deleted: {}\n",
            named.join(", ")
        ));
    }
    result
}

async fn run_with(
    options: &ApplyOptions,
    connector: &dyn Connector,
    console: &mut Console,
    cancel: Cancel,
    change_sets: &ChangeSetLedger,
) -> Result<Outcome, Error> {
    // In-place approval needs CloudFormation's own view of each update as well as the analysis'.
    let in_place = options.auto_approve == Some(Approval::InPlace);
    if options.json {
        open_stream(options, console)?;
    }
    let (config, plan, saved) =
        plan_or_load(options, connector, console, &cancel, change_sets, in_place).await?;
    if options.json {
        json_stream::plan(&console.out, &plan);
    } else {
        console.print(&render::human_plan(&plan, console.style));
    }
    check_wave(options.wave, &plan)?;
    let (permissions, resources_to_skip) =
        match gate_run(options, connector, console, &config, &plan, in_place).await? {
            Gated::NothingToApply(outcome) => return Ok(outcome),
            Gated::Go {
                permissions,
                resources_to_skip,
            } => (permissions, resources_to_skip),
        };
    // A saved plan was reviewed when it was made, as in Terraform.
    if !saved && options.auto_approve.is_none() {
        confirm(console, cancel.clone()).await?;
    }
    check_before_sending(options, console, &plan, &permissions)?;
    let ran = execute(
        options,
        connector,
        console,
        &cancel,
        change_sets,
        (&config, &plan, saved),
        permissions,
        resources_to_skip,
    )
    .await;
    report(options, console, &cancel, ran)
}

/// `apply --json`'s first line, before anything can fail: every error after it is a `diagnostic` line.
/// The stream cannot ask for confirmation, and needs a stdout that takes it.
fn open_stream(options: &ApplyOptions, console: &Console) -> Result<(), Error> {
    json_stream::version(&console.out);
    if options.auto_approve.is_none() && matches!(options.source, ApplySource::Config(_)) {
        return Err(Error::Usage {
            message: "apply --json cannot ask for confirmation: it needs --auto-approve (or =in-place), or a saved plan; nothing was changed".into(),
            hint: Some("review with `rackfile plan --out PLANFILE`, then `rackfile apply --json PLANFILE`".into()),
        });
    }
    check_out(console, true)
}

/// The plan to apply: made now from racks.toml, or a saved plan proven still true; with `--drift`, the
/// changes made outside CloudFormation it would overwrite held. Ctrl-C meanwhile ends the run, as nothing
/// was sent.
async fn plan_or_load(
    options: &ApplyOptions,
    connector: &dyn Connector,
    console: &Console,
    cancel: &Cancel,
    change_sets: &ChangeSetLedger,
    in_place: bool,
) -> Result<(Config, Plan, bool), Error> {
    // The reads race the signal: a Ctrl-C while AWS is slow ends the run at once (nothing was sent yet),
    // not after the call's timeout.
    let mut interrupted = cancel.clone();
    // `--drift`: detection on the racks the plan updates is a round of the planning (the saved plan's
    // check plans again, so it is one there too).
    let drift_progress = crate::render::drift_progress::DriftLines::default();
    let drift = options.drift.then(|| DriftCheck::new(&drift_progress));
    let planning = async {
        match &options.source {
            ApplySource::Config(file) => {
                let config = config::load(file)?;
                // No template cache: apply compares every live template itself (see `plan::read`).
                let inputs = PlanInputs {
                    env: &console.env,
                    cache: None,
                    change_sets: if in_place {
                        ChangeSets::Make {
                            ledger: change_sets,
                            parallelism: options.parallelism,
                        }
                    } else {
                        ChangeSets::None
                    },
                };
                let plan = plan_in_rounds(
                    &config,
                    &options.targets,
                    options.recover,
                    connector,
                    inputs,
                    drift,
                )
                .await
                .map_err(|error| Error::planning(error, &config))?;
                Ok::<_, Error>((config, plan, false))
            }
            ApplySource::SavedPlan(path) => {
                let saved = super::saved_plan::load(path)?;
                // What is shown and applied is the plan made now, proven equal to the saved one rack by rack:
                // nothing of the file's own text (a summary, the racks not in racks.toml) is trusted.
                let (config, plan) =
                    super::saved_plan::check(&saved, connector, &console.env, change_sets, drift)
                        .await?;
                if !options.json {
                    console.print(&format!("Applying the saved plan {}.\n", path.display()));
                }
                Ok((config, plan, true))
            }
        }
    };
    let (config, plan, saved) = tokio::select! {
        planned = planning => planned?,
        _ = interrupted.wait_for(|presses| *presses > 0) => {
            return Err(Error::Interrupted(
                "apply interrupted while reading AWS; nothing was changed".into(),
            ));
        }
    };
    Ok((config, plan, saved))
}

/// What the run may do: the gate every plan passes (`plan::gate`), the refusals that stop it before the
/// question (an uninstall without --allow-uninstall, a --skip of resources that did not fail), or nothing
/// to apply.
async fn gate_run(
    options: &ApplyOptions,
    connector: &dyn Connector,
    console: &Console,
    config: &Config,
    plan: &Plan,
    in_place: bool,
) -> Result<Gated, Error> {
    // One gate for the first plan and every plan made again while apply runs (`plan::gate`).
    let permissions = Permissions {
        allow_uninstall: options.allow_uninstall,
        json: options.json,
        password_sink: !console.out_refuses_writes(),
        // `--auto-approve=in-place` applies only what the plan says is in place; the rest is held.
        in_place_only: in_place,
        racks: racks_in_run(options, plan),
        accounts: Permissions::accounts_of(plan),
    };
    let uninstalls = refused(plan, &permissions, Refusal::Uninstall);
    if !uninstalls.is_empty() {
        return Err(Error::Usage {
            message: format!(
                "the plan uninstalls {} (ensure = \"absent\"), and --allow-uninstall was not given; nothing was changed",
                uninstalls.join(", ")
            ),
            hint: Some(
                "review what the uninstall deletes above, then add --allow-uninstall".into(),
            ),
        });
    }
    // Which resources a continued rollback skips is checked first (a --skip with no
    // rollback to continue is refused, not ignored), its consequence shown before the question: never a
    // resource that has not failed.
    let resources_to_skip = if options.skip.is_empty() {
        Default::default()
    } else {
        let going: Vec<&RackPlan> = plan
            .racks
            .iter()
            .filter(|rack| gate(rack, &permissions) == Gate::Go)
            .collect();
        let skips = crate::plan::skip::resources_to_skip(config, &going, &options.skip, connector)
            .await
            .map_err(|refusal| {
                let (message, hint) = render::skip::refusal(refusal);
                Error::Usage {
                    message,
                    hint: Some(hint),
                }
            })?;
        console.print(&render::skip::consequence(&skips));
        BTreeMap::from([(
            skips.rack.clone(),
            skips
                .resources
                .iter()
                .map(|resource| resource.logical_id.clone())
                .collect(),
        )])
    };
    if !plan.summary.has_work() {
        let outcome = if plan.summary.blocked > 0 {
            Outcome::Failed
        } else {
            Outcome::Success
        };
        if options.json {
            json_stream::summary(&console.out, &[], outcome, false);
        } else if outcome == Outcome::Failed {
            console.print("\nNothing to apply, but some racks are blocked (see above).");
        } else {
            console.print("\nNo changes. The racks match racks.toml.");
        }
        return Ok(Gated::NothingToApply(outcome));
    }
    Ok(Gated::Go {
        permissions,
        resources_to_skip,
    })
}

/// How the gate left the run.
enum Gated {
    NothingToApply(Outcome),
    Go {
        permissions: Permissions,
        /// rack -> the resources its continued rollback skips (`--skip`).
        resources_to_skip: BTreeMap<String, Vec<String>>,
    },
}

/// The racks of the plan the gate refuses for this reason.
fn refused<'p>(plan: &'p Plan, permissions: &Permissions, wanted: Refusal) -> Vec<&'p str> {
    plan.racks
        .iter()
        .filter(|rack| gate(rack, permissions) == Gate::Refused(wanted.clone()))
        .map(|rack| rack.rack.as_str())
        .collect()
}

/// The last checks before anything is sent, once the plan was confirmed: stdout takes the output, and a
/// generated password has somewhere to be printed (and a warning when that is a CI log).
fn check_before_sending(
    options: &ApplyOptions,
    console: &Console,
    plan: &Plan,
    permissions: &Permissions,
) -> Result<(), Error> {
    // Nothing is sent while the output is failing: the stream (or a password) would reach nobody.
    check_out(console, options.json)?;

    // A generated password is printed once, at the end; with nowhere to print it (stdout closed), it would
    // exist nowhere but in the stack.
    let generates = refused(plan, permissions, Refusal::GeneratedPasswordUnderJson);
    if !generates.is_empty() {
        return Err(Error::Usage {
            message: format!(
                "the install of {} generates an API password, which apply --json never prints; nothing was changed",
                generates.join(", ")
            ),
            hint: Some("set `password_ssm` (kept in SSM Parameter Store) or `password_env` for these racks".into()),
        });
    }
    let generates = refused(plan, permissions, Refusal::GeneratedPasswordWithoutSink);
    if !generates.is_empty() {
        return Err(Error::Usage {
            message: format!(
                "stdout is closed or /dev/null, and the install of {} generates an API password that is printed only there; nothing was changed",
                generates.join(", ")
            ),
            hint: Some(
                "give stdout somewhere to go (a file, a terminal), or set `password_ssm` or `password_env`"
                    .into(),
            ),
        });
    }

    // Without a terminal, stdout is usually a CI log, which anyone with access to the job can read.
    if !console.bars && !options.json {
        for rack in plan
            .racks
            .iter()
            .filter(|rack| gate(rack, permissions) == Gate::Go)
        {
            if let Action::Install(install) | Action::Reinstall(install) = &rack.action
                && install.password == Some(PasswordSource::Generate)
            {
                console.print(&format!(
                    "warning: {}: its generated API password will be printed below, and stdout is not a terminal (a CI log?); set `password_ssm` to keep it in SSM Parameter Store instead",
                    rack.rack
                ));
            }
        }
    }
    Ok(())
}

/// Every rack of the plan, wave by wave, through the executor; progress through the view the run asked
/// for (JSON lines, bars, plain lines).
#[allow(clippy::too_many_arguments)]
async fn execute(
    options: &ApplyOptions,
    connector: &dyn Connector,
    console: &Console,
    cancel: &Cancel,
    change_sets: &ChangeSetLedger,
    (config, plan, saved): (&Config, &Plan, bool),
    permissions: Permissions,
    resources_to_skip: BTreeMap<String, Vec<String>>,
) -> RolloutOutcome {
    let in_place = options.auto_approve == Some(Approval::InPlace);
    let replanner = LiveReplanner {
        config,
        recover: plan.recover,
        connector,
        env: &console.env,
        change_sets: in_place.then_some(change_sets),
        parallelism: options.parallelism,
        drift: options.drift
            || plan.racks.iter().any(|rack| {
                rack.hold.iter().any(|hold| {
                    matches!(
                        hold,
                        HoldReason::OverwritesDrift { .. } | HoldReason::DriftNotChecked { .. }
                    )
                })
            }),
    };
    let rack_names: Vec<String> = plan.racks.iter().map(|r| r.rack.clone()).collect();
    let reporter: Box<dyn Reporter> = if options.json {
        Box::new(JsonStream::new(console.out.clone()))
    } else if console.bars {
        Box::new(BarReporter::new(&rack_names))
    } else {
        Box::new(LineReporter::new(console.out.clone()))
    };
    if !options.json {
        console.print("");
    }
    let context = Context {
        connector,
        orgs: &config.orgs,
        reporter: reporter.as_ref(),
        timings: options.timings.clone(),
        parallelism: options.parallelism,
        cancel: cancel.clone(),
        replanner: if saved { None } else { Some(&replanner) },
        permissions,
        env: &console.env,
        started_passwords: console.passwords.clone(),
        resources_to_skip,
        record_warnings: Default::default(),
        change_sets: change_sets.clone(),
    };
    crate::apply::roll_out(&context, plan, options.wave).await
}

/// What the run adds up to, reported: the JSON stream's closing lines, or the summary (on stderr when
/// stdout fails, since it may hold a generated password that exists nowhere else).
fn report(
    options: &ApplyOptions,
    console: &Console,
    cancel: &Cancel,
    RolloutOutcome { outcomes, stopped }: RolloutOutcome,
) -> Result<Outcome, Error> {
    let interrupted = *cancel.borrow() > 0;
    let outcome = crate::apply::run_outcome(&outcomes, stopped.is_some(), interrupted);
    if options.json {
        if let Some(stop) = &stopped {
            json_stream::rollout_stopped(&console.out, stop);
        }
        // No secret is in it (generated passwords were refused), so stdout is its only place.
        json_stream::summary(&console.out, &outcomes, outcome, stopped.is_some());
        return Ok(outcome);
    }
    let mut summary = summary::render(&outcomes, outcome, stopped.is_some());
    if let Some(stop) = &stopped {
        summary.push_str(&summary::rollout_stop(stop));
    }
    if let Err(error) = console.try_print(&summary) {
        // The summary may hold a generated password that exists nowhere else: stderr is the last resort,
        // and the run fails so that nobody takes it for a clean apply.
        use std::io::Write as _;
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{}", summary.trim_end());
        let _ = writeln!(
            stderr,
            "error: cannot write the summary to stdout ({error}); it is above, on stderr"
        );
        return Ok(Outcome::Failed);
    }
    Ok(outcome)
}

/// Refuses to go on when stdout cannot take the output (see `Console::out_unusable`).
fn check_out(console: &Console, json: bool) -> Result<(), Error> {
    match console.out_unusable(json) {
        Some(error) => Err(Error::Usage {
            message: format!(
                "cannot write apply's output to stdout ({error}); nothing was changed"
            ),
            hint: Some(
                "give stdout somewhere that takes it: a file with room, a reader that stays".into(),
            ),
        }),
        None => Ok(()),
    }
}

/// The racks this run may act on: `--target`'s (the plan holds only those) and, with `--wave N`, that
/// wave's; `None`: every rack of the plan.
fn racks_in_run(options: &ApplyOptions, plan: &Plan) -> Option<Vec<String>> {
    let wave = options
        .wave
        .and_then(|number| plan.waves.iter().find(|wave| wave.number == number));
    match wave {
        Some(wave) => Some(wave.racks.clone()),
        None if options.targets.is_empty() => None,
        None => Some(plan.racks.iter().map(|rack| rack.rack.clone()).collect()),
    }
}

/// `--wave N` names a wave of the plan.
fn check_wave(wave: Option<usize>, plan: &Plan) -> Result<(), Error> {
    let Some(number) = wave else {
        return Ok(());
    };
    if plan.waves.is_empty() {
        return Err(Error::Usage {
            message: format!(
                "--wave {number}: racks.toml has no [rollout] waves; nothing was changed"
            ),
            hint: Some("declare the waves in [rollout], or leave --wave out".into()),
        });
    }
    if number > plan.waves.len() {
        return Err(Error::Usage {
            message: format!(
                "--wave {number}: the rollout has {} waves; nothing was changed",
                plan.waves.len()
            ),
            hint: Some(format!("name a wave from 1 to {}", plan.waves.len())),
        });
    }
    // A pipeline's `--wave N` gets the same gate as a whole rollout: every earlier wave converged, its
    // alarms quiet and its bake served.
    let earlier_work: Vec<String> = plan
        .waves
        .iter()
        .filter(|wave| wave.number < number && !wave.skipped)
        .map(|wave| {
            let racks: Vec<&str> = wave
                .to_change(&plan.racks)
                .iter()
                .map(|rack| rack.rack.as_str())
                .collect();
            format!("wave {} ({})", wave.number, racks.join(", "))
        })
        .collect();
    if !earlier_work.is_empty() {
        return Err(Error::Usage {
            message: format!(
                "--wave {number}: {} still to change; nothing was changed",
                earlier_work.join(" and ")
            ),
            hint: Some(format!(
                "apply the earlier waves first (`--wave {}`), or leave --wave out",
                plan.waves
                    .iter()
                    .find(|wave| wave.number < number && !wave.skipped)
                    .map_or(1, |wave| wave.number)
            )),
        });
    }
    if let Some(wave) = plan.waves.iter().find(|wave| wave.number == number)
        && let Some(gate) = render::waves::gate(wave)
    {
        return Err(Error::Usage {
            message: format!("--wave {number} may not start yet ({gate}); nothing was changed"),
            hint: Some(format!(
                "apply --wave {number} again once the bake is served and the alarms are OK, or leave --wave out to wait for the bake"
            )),
        });
    }
    Ok(())
}

async fn confirm(console: &mut Console, cancel: Cancel) -> Result<(), Error> {
    ask(console, cancel, &APPLY_QUESTION).await
}

const APPLY_QUESTION: Question = Question {
    command: "apply",
    question: "Do you want to apply these changes?",
    nothing_done: "nothing was changed",
    refused: "apply cancelled",
    without_terminal: "review the plan, then run `rackfile apply --auto-approve`, or save it with `rackfile plan --out PLANFILE` and run `rackfile apply PLANFILE`",
};

struct LiveReplanner<'a> {
    config: &'a Config,
    recover: bool,
    connector: &'a dyn Connector,
    env: &'a EnvLookup,
    /// Where the change sets of plans made again go, when the run makes them (in-place approval).
    change_sets: Option<&'a ChangeSetLedger>,
    parallelism: usize,
    /// Detect drift again on a plan made again: its drift holds came from the first detection, and a rack
    /// that waited for another operation must not lose them.
    drift: bool,
}

#[async_trait]
impl Replanner for LiveReplanner<'_> {
    async fn replan(&self, rack: &RackId) -> Result<RackPlan, ReplanError> {
        let inputs = PlanInputs {
            env: self.env,
            cache: None,
            change_sets: match self.change_sets {
                Some(ledger) => ChangeSets::Make {
                    ledger,
                    parallelism: self.parallelism,
                },
                None => ChangeSets::None,
            },
        };
        // The same pipeline as the first plan, the drift round included.
        let (targets, lines) = (
            std::slice::from_ref(rack),
            crate::render::drift_progress::DriftLines::default(),
        );
        let drift = self.drift.then(|| DriftCheck::new(&lines));
        let planned = plan_in_rounds(
            self.config,
            targets,
            self.recover,
            self.connector,
            inputs,
            drift,
        )
        .await;
        let plan = planned.map_err(|error| {
            ReplanError::Planning(std::sync::Arc::new(Error::planning(error, self.config)))
        })?;
        plan.racks
            .into_iter()
            .next()
            .ok_or_else(|| ReplanError::NotPlanned(rack.clone()))
    }
}
