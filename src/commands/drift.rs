//! `rackfile drift`: CloudFormation's drift detection on every declared rack (or `--target`) at once, with
//! progress, then the report: per rack what changed outside CloudFormation, in rack terms.

use std::io::IsTerminal;

use crate::cloud::Connector;
use crate::error::Error;
pub use crate::options::DriftOptions;
use crate::outcome::Outcome;
use crate::{config, live, output, plan, render};

pub async fn run(
    options: &DriftOptions,
    connector: &dyn Connector,
    progress: &dyn live::drift::DriftProgress,
) -> Result<Outcome, Error> {
    let config = config::load(&options.file)?;
    let racks =
        plan::select(&config, &options.targets).map_err(|error| Error::planning(error, &config))?;
    // An uninstalled rack (`ensure = "absent"`) is reported as such if its stack is gone, and checked if not.
    let reads = live::drift::detect_drift(&config, &racks, connector, options.timings, progress)
        .await
        .map_err(Error::Read)?;
    let report = plan::drift::drift_report(&racks, reads);
    if options.json {
        output::print(&render::drift::json(&report))?;
    } else {
        output::print(&render::drift::human(&report))?;
    }
    Ok(if report.summary.incomplete() {
        Outcome::Failed
    } else if options.detailed_exitcode && report.summary.differs() {
        Outcome::Changes
    } else {
        Outcome::Success
    })
}

/// Spinners on a terminal that can draw them, plain lines otherwise; both on stderr.
pub fn progress_for_stderr(json: bool) -> Box<dyn live::drift::DriftProgress> {
    let term = std::env::var_os("TERM");
    let no_color = std::env::var_os("NO_COLOR");
    let bars = !json
        && std::io::stderr().is_terminal()
        && term.as_deref().is_none_or(|term| term != "dumb")
        && no_color.as_deref().is_none_or(|value| value.is_empty());
    if bars {
        Box::new(render::drift_progress::DriftBars::new())
    } else {
        Box::new(render::drift_progress::DriftLines::default())
    }
}
