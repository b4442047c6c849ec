//! `rackfile plan`: read the live stacks, compute the plan, print it (and save it with `--out`).

use std::path::Path;

pub use crate::cli::options::{Approval, PlanFormat, PlanOptions};
use crate::cloud::Connector;
use crate::config;
use crate::error::Error;
use crate::live::ChangeSetLedger;
use crate::outcome::Outcome;
use crate::plan::{ChangeSets, DriftCheck, Plan, PlanInputs, plan_in_rounds};
use crate::template_cache::TemplateCache;
use crate::{output, render};

/// `cache` spares GetTemplate calls for racks it shows unchanged, and learns what this plan read. A signal
/// (Ctrl-C, SIGTERM, ...) while change sets are made ends it, deleting them.
pub async fn run(
    options: &PlanOptions,
    connector: &dyn Connector,
    cache: &mut TemplateCache,
) -> Result<Outcome, Error> {
    if options.changeset {
        let mut interrupts = super::Interrupts::listen();
        run_until(options, connector, cache, async {
            interrupts.next().await;
        })
        .await
    } else {
        // Listening would take the signals' default action away: a plain plan ends at Ctrl-C as it is.
        run_until(options, connector, cache, std::future::pending()).await
    }
}

/// `run`, ended early when `interrupted` completes (while change sets are made; a plain plan holds
/// nothing that needs it).
pub async fn run_until(
    options: &PlanOptions,
    connector: &dyn Connector,
    cache: &mut TemplateCache,
    interrupted: impl std::future::Future<Output = ()>,
) -> Result<Outcome, Error> {
    if let Some(out) = &options.out {
        refuse_out_path(out, &options.file, &[])?;
    }
    let config = config::load(&options.file)?;
    if let Some(out) = &options.out {
        let templates: Vec<&Path> = config
            .racks
            .iter()
            .filter_map(|rack| match &rack.template {
                config::Template::File { path, .. } => Some(path.as_path()),
                config::Template::Url { .. } => None,
            })
            .collect();
        refuse_out_path(out, &options.file, &templates)?;
    }
    // Every change set made is deleted before plan exits, whatever ends it, unless --out keeps them.
    let ledger = ChangeSetLedger::default();
    let inputs = PlanInputs {
        env: &|name| std::env::var(name).ok(),
        cache: Some(cache),
        change_sets: if options.changeset {
            ChangeSets::Make {
                ledger: &ledger,
                parallelism: CHANGE_SET_PARALLELISM,
            }
        } else {
            ChangeSets::None
        },
    };
    // `--drift`: detection on the racks the plan updates is a round of the planning itself.
    let progress = options
        .drift
        .then(|| super::drift::progress_for_stderr(options.format != PlanFormat::Human));
    let drift = progress
        .as_ref()
        .map(|progress| DriftCheck::new(progress.as_ref()));
    let planning = plan_in_rounds(
        &config,
        &options.targets,
        options.recover,
        connector,
        inputs,
        drift,
    );
    let planned = if options.changeset {
        tokio::select! {
            planned = planning => planned,
            () = interrupted => {
                let left = ledger.delete_left().await;
                return Err(Error::Interrupted(format!(
                    "plan interrupted; {}",
                    super::change_sets::left_words(&left)
                )));
            }
        }
    } else {
        planning.await
    };
    let result = finish(options, config, planned, &ledger);
    super::change_sets::warn_left(&ledger.delete_left().await);
    result
}

/// At most this many change sets are made at once (each then polled once per interval).
const CHANGE_SET_PARALLELISM: usize = 10;

fn finish(
    options: &PlanOptions,
    config: config::Config,
    planned: Result<Plan, crate::plan::PlanningError>,
    ledger: &ChangeSetLedger,
) -> Result<Outcome, Error> {
    let plan = planned.map_err(|error| Error::planning(error, &config))?;
    // Saved before anything is printed: a stdout that fails must not cost the saved plan. What is printed
    // is the plan as saved, so `rackfile show` of the file prints it again byte for byte.
    let plan = match &options.out {
        Some(out) => {
            let saved = save(&plan, out)?;
            // The saved plan's apply executes them.
            ledger.keep();
            saved
        }
        None => plan,
    };
    print(&plan, options.format)?;
    if options.format == PlanFormat::Human
        && let Some(out) = &options.out
    {
        output::print(&format!(
            "\nSaved the plan to {}. Apply exactly this plan with: rackfile apply {}\n",
            out.display(),
            out.display()
        ))?;
    }
    Ok(match options.detailed_exitcode {
        Some(Approval::InPlace) if plan.racks.iter().any(|rack| rack.is_held()) => Outcome::Held,
        Some(_) if plan.summary.differs() => Outcome::Changes,
        _ => Outcome::Success,
    })
}

/// `--out` names a file a plan may be saved to (`plan::file::refuse_out_path`): checked before anything is
/// read from AWS.
fn refuse_out_path(out: &Path, racks_file: &Path, templates: &[&Path]) -> Result<(), Error> {
    let mut protected = vec![(racks_file, "the racks file")];
    protected.extend(
        templates
            .iter()
            .map(|template| (*template, "a template the racks use")),
    );
    crate::plan::file::refuse_out_path(out, &protected).map_err(|why| Error::Usage {
        message: format!("--out {}: {why}", out.display()),
        hint: Some("save the plan elsewhere, e.g. --out racks.plan".into()),
    })
}

/// The plan in the format asked for, on stdout.
pub(super) fn print(plan: &Plan, format: PlanFormat) -> Result<(), Error> {
    match format {
        PlanFormat::Json => output::print(&render::json_plan(plan))?,
        PlanFormat::Markdown => output::print(&render::markdown_plan(plan))?,
        PlanFormat::Human => output::print(&render::human_plan(plan, render::Style::for_stdout()))?,
    }
    Ok(())
}

fn save(plan: &Plan, path: &std::path::Path) -> Result<Plan, Error> {
    crate::plan::file::save(plan, path, render::json_plan).map_err(|error| Error::Write {
        path: path.display().to_string(),
        error,
    })
}
