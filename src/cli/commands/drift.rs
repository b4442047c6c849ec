//! `rackfile drift`: CloudFormation's drift detection on every declared rack (or `--target`) at once, with
//! progress, then the report: per rack what changed outside CloudFormation, in rack terms.

use std::io::IsTerminal;

pub use crate::cli::options::DriftOptions;
use crate::cloud::Connector;
use crate::error::Error;
use crate::outcome::Outcome;
use crate::{config, live, output, plan, render};

pub async fn run(
    options: &DriftOptions,
    connector: &dyn Connector,
    progress: &dyn live::drift::DriftProgress,
) -> Result<Outcome, Error> {
    let report = detect(options, connector, progress).await?;
    if options.json {
        output::print(&render::drift::json(&report))?;
    } else {
        output::print(&render::drift::human(&report))?;
    }
    Ok(outcome(&report, options.detailed_exitcode))
}

/// The report of the racks `options` names, detected at once.
pub async fn detect(
    options: &DriftOptions,
    connector: &dyn Connector,
    progress: &dyn live::drift::DriftProgress,
) -> Result<plan::drift::DriftReport, Error> {
    let config = config::load(&options.file)?;
    let racks =
        plan::select(&config, &options.targets).map_err(|error| Error::planning(error, &config))?;
    // An uninstalled rack (`ensure = "absent"`) is reported as such if its stack is gone, and checked if not.
    let check = plan::DriftCheck {
        progress,
        timings: options.timings,
    };
    let reads = plan::detect_drift(&config, &racks, connector, check)
        .await
        .map_err(Error::Read)?;
    Ok(plan::drift::drift_report(&racks, reads))
}

/// As plan's: 1 when a rack could not be checked (never taken for in sync), 2 with `--detailed-exitcode`
/// when a rack drifted, else 0.
pub fn outcome(report: &plan::drift::DriftReport, detailed_exitcode: bool) -> Outcome {
    if report.summary.incomplete() {
        Outcome::Failed
    } else if detailed_exitcode && report.summary.differs() {
        Outcome::Changes
    } else {
        Outcome::Success
    }
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
