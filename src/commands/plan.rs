//! `rackfile plan`: read the live stacks, compute the plan, print it (and save it with `--out`).

use std::path::Path;

use crate::cloud::Connector;
use crate::config;
use crate::error::Error;
pub use crate::options::{Approval, PlanFormat, PlanOptions};
use crate::outcome::Outcome;
use crate::plan::{Plan, PlanInputs, make_plan};
use crate::template_cache::TemplateCache;
use crate::{output, render};

/// `cache` spares GetTemplate calls for racks it shows unchanged, and learns what this plan read.
pub async fn run(
    options: &PlanOptions,
    connector: &dyn Connector,
    cache: &mut TemplateCache,
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
    let inputs = PlanInputs {
        env: &|name| std::env::var(name).ok(),
        cache: Some(cache),
    };
    let plan = make_plan(
        &config,
        &options.targets,
        options.recover,
        connector,
        inputs,
    )
    .await
    .map_err(|error| Error::planning(error, &config))?;
    let mut plan = plan;
    if options.drift {
        let progress = super::drift::progress_for_stderr(options.format != PlanFormat::Human);
        super::drift::hold_overwritten_drift(
            &mut plan,
            &config,
            connector,
            progress.as_ref(),
            crate::live::drift::DriftTimings::default(),
        )
        .await?;
    }
    // Saved before anything is printed: a stdout that fails must not cost the saved plan. What is printed
    // is the plan as saved, so `rackfile show` of the file prints it again byte for byte.
    let plan = match &options.out {
        Some(out) => save(&plan, out)?,
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
    crate::plan::file::save(plan, path).map_err(|error| Error::Write {
        path: path.display().to_string(),
        error,
    })
}
