//! One module per command: each loads what it needs, runs, and prints. `run` dispatches and reports errors
//! in the form the command's output uses.

pub mod apply;
pub mod doctor;
pub mod import;
mod permissions;
pub mod plan;
pub mod show;
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
            let (cancel_sender, cancel) = tokio::sync::watch::channel(0u8);
            // Ctrl-C stops new work and the waiting; CloudFormation carries on, and the summary says where.
            // A second within 10 s cancels the updates in progress; a third ends the run at once. SIGTERM,
            // SIGHUP and SIGQUIT count the same (see `interrupted`).
            tokio::spawn(async move {
                let mut interrupts = Interrupts::listen();
                for presses in 1u8.. {
                    interrupts.next().await;
                    match presses {
                        1 => output::eprint(&format!(
                            "Interrupted: no new rack starts, and what is in progress goes on in AWS. Press Ctrl-C again within {} s to cancel the updates in progress (CancelUpdateStack); a third time exits at once.\n",
                            crate::apply::SECOND_INTERRUPT_WINDOW.as_secs()
                        )),
                        2 => output::eprint(
                            "Cancelling the updates in progress and following their rollbacks; Ctrl-C again exits at once.\n",
                        ),
                        _ => std::process::exit(crate::outcome::EXIT_INTERRUPTED),
                    }
                    let _ = cancel_sender.send(presses);
                }
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
        Invocation::Show(options) => show::run(&options),
        Invocation::Permissions(options) => permissions::run(&options),
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
/// action they would kill the process with the password unprinted. Listened to once for the whole run: a
/// listener made anew after each signal misses one that comes before it is made (a second press answered
/// the moment the first was acknowledged, a supervisor's two signals in a row).
struct Interrupts {
    #[cfg(unix)]
    unix: Option<[tokio::signal::unix::Signal; 4]>,
}

impl Interrupts {
    fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let listeners = (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
                signal(SignalKind::hangup()),
                signal(SignalKind::quit()),
            );
            let unix = match listeners {
                (Ok(interrupt), Ok(term), Ok(hangup), Ok(quit)) => {
                    Some([interrupt, term, hangup, quit])
                }
                _ => None,
            };
            Self { unix }
        }
        #[cfg(not(unix))]
        Self {}
    }

    /// The next signal, or the one that came since the last was taken.
    async fn next(&mut self) {
        #[cfg(unix)]
        if let Some([interrupt, term, hangup, quit]) = &mut self.unix {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = term.recv() => {}
                _ = hangup.recv() => {}
                _ = quit.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
