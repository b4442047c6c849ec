//! `rackfile plan`: read the live stacks, compute the plan, print it (and save it with `--out`).

use std::path::Path;

use crate::cloud::Connector;
use crate::config::{self, Config, Rack, RackId};
use crate::diag::did_you_mean;
use crate::error::Error;
pub use crate::options::{PlanFormat, PlanOptions};
use crate::outcome::Outcome;
use crate::plan::{self, Plan};
use crate::{live, output, render};

pub async fn run(options: &PlanOptions, connector: &dyn Connector) -> Result<Outcome, Error> {
    if let Some(out) = &options.out {
        refuse_to_overwrite_racks_file(out, &options.file)?;
    }
    let config = config::load(&options.file)?;
    let plan = make_plan(&config, &options.targets, options.recover, connector).await?;
    // Saved before anything is printed: a stdout that fails must not cost the saved plan.
    if let Some(out) = &options.out {
        save(&plan, out)?;
    }
    match options.format {
        PlanFormat::Json => output::print(&render::json_plan(&plan))?,
        PlanFormat::Markdown => output::print(&render::markdown_plan(&plan))?,
        PlanFormat::Human => {
            output::print(&render::human_plan(&plan, render::Style::for_stdout()))?
        }
    }
    if options.format == PlanFormat::Human
        && let Some(out) = &options.out
    {
        output::print(&format!(
            "\nSaved the plan to {}. Apply exactly this plan with: rackfile apply {}\n",
            out.display(),
            out.display()
        ))?;
    }
    Ok(if options.detailed_exitcode && plan.summary.has_changes() {
        Outcome::Changes
    } else {
        Outcome::Success
    })
}

/// `--out racks.toml` would replace the record with a plan.
fn refuse_to_overwrite_racks_file(out: &Path, racks_file: &Path) -> Result<(), Error> {
    let same = match (out.canonicalize(), racks_file.canonicalize()) {
        (Ok(out), Ok(racks)) => out == racks,
        _ => out == racks_file,
    };
    if same {
        return Err(Error::Usage {
            message: format!(
                "--out {}: that is the racks file; the plan would overwrite it",
                out.display()
            ),
            hint: Some("save the plan elsewhere, e.g. --out racks.plan".into()),
        });
    }
    Ok(())
}

/// Reads the live state of the selected racks and plans them.
pub async fn make_plan(
    config: &Config,
    targets: &[RackId],
    recover: bool,
    connector: &dyn Connector,
) -> Result<Plan, Error> {
    let racks = select(config, targets)?;
    // The racks with a change to analyse are known only from a plan: the one made of everything else read.
    let wanted = |state: &live::LiveState| {
        plan::diff(config, &racks, state, recover)
            .map(|plan| plan.live_templates_wanted())
            .unwrap_or_default()
    };
    let live = live::read(config, &racks, connector, &wanted)
        .await
        .map_err(Error::Read)?;
    plan::diff(config, &racks, &live, recover).map_err(|problems| Error::Plan {
        file: config.path.display().to_string(),
        text: config.source.clone(),
        problems,
    })
}

/// The racks `--target` names, in file order; all racks without `--target`.
pub fn select(config: &Config, targets: &[RackId]) -> Result<Vec<Rack>, Error> {
    if targets.is_empty() {
        return Ok(config.racks.clone());
    }
    for target in targets {
        let id = target.to_string();
        if !config.racks.iter().any(|rack| rack.id() == id) {
            let ids: Vec<String> = config.racks.iter().map(Rack::id).collect();
            let hint = match did_you_mean(&id, ids.iter().map(String::as_str)) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("racks in {}: {}", config.path.display(), ids.join(", ")),
            };
            return Err(Error::Usage {
                message: format!("--target {id}: no such rack in {}", config.path.display()),
                hint: Some(hint),
            });
        }
    }
    Ok(config
        .racks
        .iter()
        .filter(|rack| targets.iter().any(|t| t.to_string() == rack.id()))
        .cloned()
        .collect())
}

fn save(plan: &Plan, path: &std::path::Path) -> Result<(), Error> {
    std::fs::write(path, render::json_plan(plan)).map_err(|error| Error::Write {
        path: path.display().to_string(),
        error,
    })
}
