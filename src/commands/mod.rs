//! One module per command: each loads what it needs, runs, and prints. `run` dispatches and reports errors
//! in the form the command's output uses.

pub mod apply;
pub mod doctor;
pub mod import;
pub mod plan;
pub mod status;
mod validate;

use crate::cli::{Connection, Invocation};
use crate::cloud::aws::AwsConnector;
use crate::error::Error;
use crate::outcome::Outcome;
use crate::output;
use crate::template_cache::TemplateCache;

/// Runs a command and reports its error, if any; returns the process exit code.
pub async fn run_and_report(invocation: Invocation, connection: Connection) -> i32 {
    let json = invocation.wants_json();
    let apply_stream = matches!(invocation, Invocation::Apply(_));
    match run(invocation, connection).await {
        Ok(outcome) => outcome.exit_code(),
        Err(Error::StdoutClosed) => Error::StdoutClosed.exit_code(),
        Err(error) if json && apply_stream => {
            // The stream's last line: the error as a `diagnostic`.
            let sink = crate::apply::reporter::stdout_sink();
            crate::apply::json_stream::diagnostic(&sink, error.json_value());
            error.exit_code()
        }
        Err(error) if json => {
            // A JSON error that cannot be written either still ends the run with the error's code.
            let _ = output::print(&error.render_json());
            error.exit_code()
        }
        Err(error) => {
            output::eprint(&error.render());
            error.exit_code()
        }
    }
}

/// Runs a command: how it ended, or the error that ended it.
pub async fn run(invocation: Invocation, connection: Connection) -> Result<Outcome, Error> {
    match invocation {
        Invocation::Validate { file } => validate::run(&file),
        Invocation::Plan(options) => {
            let connector = connect(connection.endpoint_url)?;
            let mut cache = TemplateCache::load(TemplateCache::user_path());
            let outcome = plan::run(&options, &connector, &mut cache).await;
            cache.save();
            outcome
        }
        Invocation::Apply(options) => {
            let connector = connect(connection.endpoint_url)?;
            let (cancel_sender, cancel) = tokio::sync::watch::channel(false);
            // Ctrl-C stops new work and the waiting; CloudFormation carries on, and the summary says where.
            // SIGTERM, SIGHUP and SIGQUIT do the same (see `interrupted`).
            tokio::spawn(async move {
                interrupted().await;
                let _ = cancel_sender.send(true);
            });
            apply::run(
                &options,
                &connector,
                &mut apply::Console::terminal(),
                cancel,
            )
            .await
        }
        Invocation::Status(options) => {
            status::run(&options, &connect(connection.endpoint_url)?).await
        }
        Invocation::Import(options) => {
            import::run(&options, &connect(connection.endpoint_url)?).await
        }
        Invocation::Doctor(options) => {
            doctor::run(&options, &connect(connection.endpoint_url)?).await
        }
        Invocation::Schema => {
            output::print(&crate::config::schema::racks_schema_json())?;
            Ok(Outcome::Success)
        }
        Invocation::Completions { shell } => {
            output::print(&crate::cli::completions(shell))?;
            Ok(Outcome::Success)
        }
    }
}

/// The AWS connector, once the endpoint and the shared AWS files it would be given are checked.
fn connect(endpoint_url: Option<String>) -> Result<AwsConnector, Error> {
    AwsConnector::connect(endpoint_url).map_err(|error| Error::Usage {
        message: error.message,
        hint: error.hint,
    })
}

/// Any signal that ends a run: Ctrl-C, and where there are such signals SIGTERM (a CI job cancelled, a
/// container stopped), SIGHUP (the terminal closed, an SSH session dropped) and SIGQUIT. Each ends apply the
/// same way, with the summary and every password of an install that was started; left to their default
/// action they would kill the process with the password unprinted.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut term), Ok(mut hangup), Ok(mut quit)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
            signal(SignalKind::quit()),
        ) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
                _ = hangup.recv() => {}
                _ = quit.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
