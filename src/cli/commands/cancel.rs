//! `rackfile cancel --target ORG/NAME...`: CancelUpdateStack of a declared rack's update in progress,
//! whoever started it (`convox`, the autoscaler, an apply that detached). Every named rack is checked before
//! anything is sent: one that is not a rack, not installed or not updating refuses the whole command. Asks
//! like apply (`--auto-approve` skips it); with `--wait` each rollback is followed as apply follows its own.

use futures::future::join_all;

use super::confirm::{Question, ask};
use super::console::Console;
use crate::apply::reporter::Reporter;
use crate::apply::{Cancel, Context, RackOutcome, RackResult};
pub use crate::cli::options::CancelOptions;
use crate::cloud::{Connector, Stack, StackStatus};
use crate::config::{self, Rack};
use crate::convox::names;
use crate::error::Error;
use crate::outcome::Outcome;
use crate::plan::Permissions;
use crate::render::apply::{BarReporter, LineReporter};
use crate::{live, plan, render};

const CANCEL_QUESTION: Question = Question {
    command: "cancel",
    question: "Do you want to cancel these updates?",
    nothing_done: "nothing was cancelled",
    refused: "cancel not confirmed",
    without_terminal: "check the racks above, then run `rackfile cancel --auto-approve` with the same targets",
};

pub async fn run(
    options: &CancelOptions,
    connector: &dyn Connector,
    console: &mut Console,
    cancel: Cancel,
) -> Result<Outcome, Error> {
    let config = config::load(&options.file)?;
    let racks =
        plan::select(&config, &options.targets).map_err(|error| Error::planning(error, &config))?;
    let live = live::read_stacks(&config, &racks, connector)
        .await
        .map_err(Error::Read)?
        .state;
    let mut updating: Vec<(&Rack, Stack)> = Vec::new();
    let mut refusals: Vec<String> = Vec::new();
    for rack in &racks {
        let stack = live.key_of(rack).and_then(|key| live.stack(&key).cloned());
        match updating_stack(rack, stack) {
            Ok(stack) => updating.push((rack, stack)),
            Err(why) => refusals.push(format!("{}: {why}", rack.id())),
        }
    }
    if !refusals.is_empty() {
        return Err(Error::Usage {
            message: format!(
                "nothing was cancelled:\n  {}",
                refusals.join("\n  ")
            ),
            hint: Some(
                "`rackfile status` shows what each rack is doing, `rackfile events` its last operation"
                    .into(),
            ),
        });
    }
    let running_for = |stack: &Stack| crate::apply::running_for(connector, stack);
    let mut text = String::from(
        "CancelUpdateStack stops each update and rolls the rack back to its previous template and parameters:\n",
    );
    for (rack, stack) in &updating {
        text.push_str(&format!(
            "  {}: UPDATE_IN_PROGRESS for {} (since {}, version {})\n",
            rack.id(),
            render::span(running_for(stack).as_secs()),
            render::escape(&stack.last_updated),
            render::escape(
                stack
                    .parameters
                    .get(names::VERSION)
                    .map_or("unknown", String::as_str)
            ),
        ));
    }
    console.print(&text);
    if !options.auto_approve {
        ask(console, cancel.clone(), &CANCEL_QUESTION).await?;
    }

    let names: Vec<String> = updating.iter().map(|(rack, _)| rack.id()).collect();
    let reporter: Box<dyn Reporter> = if console.bars {
        Box::new(BarReporter::new(&names))
    } else {
        Box::new(LineReporter::new(console.out.clone()))
    };
    let context = Context {
        connector,
        orgs: &config.orgs,
        reporter: reporter.as_ref(),
        timings: options.timings.clone(),
        parallelism: updating.len().max(1),
        cancel: cancel.clone(),
        replanner: None,
        // Cancel sends nothing a plan gates (no install, no password, no uninstall).
        permissions: Permissions {
            allow_uninstall: false,
            json: false,
            password_sink: false,
            in_place_only: false,
            racks: Some(names.clone()),
            accounts: Default::default(),
        },
        env: &console.env,
        started_passwords: console.passwords.clone(),
        resources_to_skip: Default::default(),
        change_sets: Default::default(),
        record_warnings: Default::default(),
    };
    let outcomes: Vec<RackOutcome> = join_all(updating.iter().map(|(rack, stack)| {
        let context = &context;
        let after = running_for(stack);
        async move {
            match crate::apply::send_cancel(context, rack, after).await {
                Err(result) => RackOutcome {
                    rack: rack.id(),
                    result,
                    elapsed: Default::default(),
                    password: None,
                    warnings: Vec::new(),
                },
                Ok(sent) if options.wait => {
                    crate::apply::follow_cancelled(context, rack, sent).await
                }
                Ok(_) => RackOutcome {
                    rack: rack.id(),
                    result: RackResult::StillInProgress {
                        status: Some(StackStatus::UpdateRollbackInProgress),
                        why: crate::apply::StopReason::Interrupted,
                    },
                    elapsed: Default::default(),
                    password: None,
                    warnings: Vec::new(),
                },
            }
        }
    }))
    .await;
    drop(reporter);
    let interrupted = *cancel.borrow() > 0;
    console.print(&summary(&outcomes, options.wait, interrupted));
    Ok(if interrupted {
        Outcome::Interrupted
    } else if outcomes
        .iter()
        .all(|outcome| cancelled_as_asked(outcome, options.wait))
    {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}

/// The stack of `rack` when its update can be cancelled now; else why not.
fn updating_stack(rack: &Rack, stack: Option<Stack>) -> Result<Stack, String> {
    let Some(stack) = stack else {
        return Err(format!(
            "not installed in {} (no stack {})",
            rack.region, rack.name
        ));
    };
    if !crate::convox::is_rack(&stack) {
        return Err(format!(
            "the stack {} is not a Convox rack; rackfile never changes it",
            rack.name
        ));
    }
    Err(match &stack.status {
        StackStatus::UpdateInProgress => return Ok(stack),
        StackStatus::CreateInProgress => "it is being installed (CREATE_IN_PROGRESS): an install cannot be cancelled; CloudFormation rolls a failed install back itself".into(),
        StackStatus::UpdateCompleteCleanupInProgress => "its update has completed (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: CloudFormation removes what it replaced); there is nothing to cancel".into(),
        status if status.as_str().contains("ROLLBACK") && status.is_moving() => {
            format!("it is already rolling back ({status})")
        }
        status => format!("no update is in progress (the stack is {status})"),
    })
}

/// Whether the rack ended as `cancel` meant: cancelled and, with `--wait`, rolled back.
fn cancelled_as_asked(outcome: &RackOutcome, wait: bool) -> bool {
    match &outcome.result {
        RackResult::Cancelled { .. } => true,
        RackResult::StillInProgress { .. } => !wait,
        _ => false,
    }
}

fn summary(outcomes: &[RackOutcome], wait: bool, interrupted: bool) -> String {
    let done = outcomes
        .iter()
        .filter(|outcome| cancelled_as_asked(outcome, wait))
        .count();
    let verdict = if interrupted {
        "Cancel interrupted"
    } else if done == outcomes.len() {
        "Cancel complete"
    } else {
        "Cancel failed"
    };
    let mut out = format!("\n{verdict}: {done} of {} cancelled.\n", outcomes.len());
    for outcome in outcomes {
        let line = match &outcome.result {
            RackResult::StillInProgress { .. } if !wait || interrupted => {
                "cancel requested; CloudFormation is rolling the update back (`rackfile status` shows it, `rackfile events` its events)".to_string()
            }
            _ => crate::render::apply::outcome_words(outcome),
        };
        out.push_str(&format!("    {}: {line}\n", outcome.rack));
    }
    out
}
