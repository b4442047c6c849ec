//! One module per command: each loads what it needs, runs, and prints. `run` dispatches and reports errors
//! in the form the command's output uses.

pub mod apply;
pub mod cancel;
mod change_sets;
mod confirm;
pub mod console;
pub mod doctor;
pub mod drift;
pub mod events;
pub mod import;
mod permissions;
pub mod plan;
mod saved_plan;
pub mod show;
pub mod status;
mod validate;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cli::{Connection, Invocation};
use crate::cloud::aws_connector::AwsConnector;
use crate::error::Error;
use crate::outcome::Outcome;
use crate::output;
use crate::render::RenderError as _;
use crate::template_cache::TemplateCache;

/// Runs a command and reports its error, if any; returns the process exit code.
pub async fn run_and_report(invocation: Invocation, connection: Connection) -> i32 {
    let json = invocation.wants_json();
    let apply_stream = matches!(invocation, Invocation::Apply(_));
    let run = Run::default();
    let result = run.command(invocation, connection).await;
    let code_is_outcome = result.is_ok();
    let code = match result {
        Ok(outcome) => outcome.exit_code(),
        Err(Error::StdoutClosed) if json => {
            // A machine reading the JSON went away: whoever started it learns why from stderr.
            output::eprint(
                "error: cannot write the JSON output: stdout was closed by its reader\n",
            );
            Error::StdoutClosed.exit_code()
        }
        Err(Error::StdoutClosed) => Error::StdoutClosed.exit_code(),
        Err(error) if json && apply_stream => {
            // The stream's last line: the error as a `diagnostic`.
            let sink = crate::apply::reporter::watched_stdout_sink(&run.stdout);
            if run.stdout.first().is_none() {
                crate::render::apply::json_stream::diagnostic(&sink, error.json_value());
            }
            if sink_refuses(&sink) {
                output::eprint(&error.render());
            }
            error.exit_code()
        }
        Err(error) if json => {
            // A JSON error that cannot be written goes to stderr, and still ends the run with its code.
            if output::print(&error.render_json()).is_err() {
                output::eprint(&error.render());
            }
            error.exit_code()
        }
        Err(error) => {
            output::eprint(&error.render());
            error.exit_code()
        }
    };
    match run.stdout.first() {
        // The run stopped starting work at the failure; it is reported now, as the run's last word (an
        // error that ended the run was reported above, with its own code).
        Some(failure) if code_is_outcome => {
            output::eprint(&format!(
                "error: cannot write to stdout ({failure}): apply started nothing after it; what was in progress goes on in AWS (see `rackfile status`)\n"
            ));
            if run.signalled.load(Ordering::SeqCst) {
                crate::outcome::EXIT_INTERRUPTED
            } else {
                1
            }
        }
        _ => code,
    }
}

/// Reports an error that ended `apply --json` before the command ran (a bad flag, a malformed target) as the
/// stream would: its `version` line, then the error as a `diagnostic`, so a consumer reading lines never
/// gets text; on stderr if stdout takes nothing.
pub fn report_apply_stream_error(error: &Error) {
    let sink = crate::apply::reporter::stdout_sink();
    crate::render::apply::json_stream::version(&sink);
    crate::render::apply::json_stream::diagnostic(&sink, error.json_value());
    if sink_refuses(&sink) {
        output::eprint(&error.render());
    }
}

/// Whether the command line asks for `apply --json`, read from the raw arguments: for an error clap finds
/// before there is any parsed command to ask.
pub fn apply_json_requested(args: &[std::ffi::OsString]) -> bool {
    let mut args = args.iter().skip(1);
    let mut subcommand: Option<&std::ffi::OsString> = None;
    while let Some(arg) = args.next() {
        if arg == "--endpoint-url" {
            args.next();
        } else if !arg.to_string_lossy().starts_with('-') {
            subcommand = Some(arg);
            break;
        }
    }
    subcommand.is_some_and(|command| command == "apply")
        && args
            .take_while(|arg| *arg != "--")
            .any(|arg| arg == "--json")
}

/// Whether a sink takes no more output: it goes nowhere, or a write to it failed.
fn sink_refuses(sink: &crate::apply::reporter::Sink) -> bool {
    let mut out = sink.lock().unwrap_or_else(|p| p.into_inner());
    out.write(&[]).and_then(|_| out.flush()).is_err()
}

/// What one run of the binary shares between its command and the code that ends it.
#[derive(Default)]
struct Run {
    /// apply's stdout: its first failed write.
    stdout: output::WriteFailure,
    /// A signal came (the exit code is then 130, whatever else failed).
    signalled: Arc<AtomicBool>,
}

impl Run {
    /// Runs a command: how it ended, or the error that ended it.
    async fn command(
        &self,
        invocation: Invocation,
        connection: Connection,
    ) -> Result<Outcome, Error> {
        let json = invocation.wants_json();
        match invocation {
            Invocation::Validate { file } => validate::run(&file),
            Invocation::Plan(options) => {
                let connector = connect(connection.endpoint_url)?;
                let mut cache = TemplateCache::load(TemplateCache::user_path());
                if !TemplateCache::trusted_in(std::env::var("CI").ok().as_deref()) {
                    cache.distrust();
                }
                let outcome = plan::run(&options, &connector, &mut cache).await;
                if !cache.contradictions().is_empty() {
                    output::eprint(&format!(
                        "warning: the template cache said something else of the template of {} at the time read now; it was written by someone else (a CI cache shared with other jobs?) and was not used. Delete {} if you did not expect this.\n",
                        cache.contradictions().join(", "),
                        TemplateCache::user_path()
                            .map_or_else(|| "it".into(), |path| path.display().to_string())
                    ));
                }
                cache.save();
                outcome
            }
            Invocation::Apply(options) => {
                let connector = connect(connection.endpoint_url)?;
                let (cancel_sender, cancel) = tokio::sync::watch::channel(0u8);
                let mut console = console::Console::terminal();
                console.out = crate::apply::reporter::watched_stdout_sink(&self.stdout);
                // A failed write to stdout stops new work as a first Ctrl-C does; the exit code and the
                // message are `run_and_report`'s.
                let stop = cancel_sender.clone();
                self.stdout.on_failure(move || {
                    stop.send_if_modified(|presses| {
                        let first = *presses == 0;
                        if first {
                            *presses = 1;
                        }
                        first
                    });
                });
                tokio::spawn(handle_signals(
                    cancel_sender,
                    self.signalled.clone(),
                    console.passwords.clone(),
                    console.out.clone(),
                    json,
                ));
                apply::run(&options, &connector, &mut console, cancel).await
            }
            Invocation::Status(options) => {
                status::run(&options, &connect(connection.endpoint_url)?).await
            }
            Invocation::Drift(options) => {
                let connector = connect(connection.endpoint_url)?;
                let progress = drift::progress_for_stderr(options.json);
                drift::run(&options, &connector, progress.as_ref()).await
            }
            Invocation::Events(options) => {
                events::run(&options, &connect(connection.endpoint_url)?).await
            }
            Invocation::Cancel(options) => {
                let connector = connect(connection.endpoint_url)?;
                let (cancel_sender, cancel) = tokio::sync::watch::channel(0u8);
                let mut console = console::Console::terminal();
                // Ctrl-C while following stops following (the rollback goes on in AWS); no second meaning.
                tokio::spawn(async move {
                    let mut interrupts = Interrupts::listen();
                    loop {
                        interrupts.next().await;
                        cancel_sender.send_modify(|presses| *presses = presses.saturating_add(1));
                    }
                });
                cancel::run(&options, &connector, &mut console, cancel).await
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
}

/// Ctrl-C stops new work and the waiting; CloudFormation carries on, and the summary says where. A second
/// within 10 s cancels the updates in progress; a third ends the run at once, with what a summary can say
/// without waiting for any rack: every started install's password (it exists nowhere else). SIGTERM, SIGHUP
/// and SIGQUIT count the same (see `Interrupts`); only SIGKILL, which no process can catch, loses one.
async fn handle_signals(
    cancel_sender: tokio::sync::watch::Sender<u8>,
    signalled: Arc<AtomicBool>,
    passwords: crate::apply::PasswordLedger,
    out: crate::apply::reporter::Sink,
    json: bool,
) {
    let mut interrupts = Interrupts::listen();
    for presses in 1u8.. {
        let signal = interrupts.next().await;
        signalled.store(true, Ordering::SeqCst);
        let window = crate::apply::SECOND_INTERRUPT_WINDOW.as_secs();
        // "Press Ctrl-C again" only answers a Ctrl-C: a SIGTERM came from a supervisor, a SIGHUP from a
        // closed terminal, where nobody can press it.
        match (presses, signal.name()) {
            (1, None) => output::eprint(&format!(
                "Interrupted: no new rack starts, and what is in progress goes on in AWS. Press Ctrl-C again within {window} s to cancel the updates in progress (CancelUpdateStack); a third time exits at once.\n",
            )),
            (1, Some(name)) => output::eprint(&format!(
                "Interrupted by {name}: no new rack starts, and what is in progress goes on in AWS. Another signal (SIGTERM, SIGHUP, SIGQUIT or Ctrl-C) within {window} s cancels the updates in progress (CancelUpdateStack); a third exits at once.\n",
            )),
            (2, None) => output::eprint(
                "Cancelling the updates in progress and following their rollbacks; Ctrl-C again exits at once.\n",
            ),
            (2, Some(_)) => output::eprint(
                "Cancelling the updates in progress and following their rollbacks; a third signal exits at once.\n",
            ),
            _ => {
                let passwords = passwords
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .clone();
                exit_at_once(&out, &passwords, json);
            }
        }
        // At most one press a step: a failed write may have taken the first already.
        cancel_sender.send_modify(|taken| *taken = (*taken).max(presses));
    }
}

/// Prints the summary of a run ended by a third interrupt, on stdout or, when stdout takes nothing, on
/// stderr; then exits 130.
fn exit_at_once(
    out: &crate::apply::reporter::Sink,
    passwords: &std::collections::BTreeMap<String, crate::apply::InstalledPassword>,
    json: bool,
) -> ! {
    if json {
        crate::render::apply::json_stream::exited_at_once(out, passwords);
    } else {
        let summary = crate::render::apply::summary::exited_at_once(passwords);
        let written = {
            let mut sink = out.lock().unwrap_or_else(|p| p.into_inner());
            sink.write_all(summary.as_bytes())
                .and_then(|()| sink.flush())
        };
        if written.is_err() {
            output::eprint(&summary);
        }
    }
    std::process::exit(crate::outcome::EXIT_INTERRUPTED)
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
    async fn next(&mut self) -> Signal {
        #[cfg(unix)]
        if let Some([interrupt, term, hangup, quit]) = &mut self.unix {
            return tokio::select! {
                _ = interrupt.recv() => Signal::Interrupt,
                _ = term.recv() => Signal::Terminate,
                _ = hangup.recv() => Signal::Hangup,
                _ = quit.recv() => Signal::Quit,
            };
        }
        let _ = tokio::signal::ctrl_c().await;
        Signal::Interrupt
    }
}

/// Which of `Interrupts`' signals came: what answers it says how to send the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    /// Ctrl-C (SIGINT).
    Interrupt,
    Terminate,
    Hangup,
    Quit,
}

impl Signal {
    /// The signal's name; `None` for Ctrl-C, which a person sends from the terminal.
    fn name(self) -> Option<&'static str> {
        match self {
            Signal::Interrupt => None,
            Signal::Terminate => Some("SIGTERM"),
            Signal::Hangup => Some("SIGHUP"),
            Signal::Quit => Some("SIGQUIT"),
        }
    }
}
