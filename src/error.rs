//! The top-level error: every failure rackfile reports, its text, and the exit code it maps to.

use std::fmt::Write as _;

use crate::config::LoadError;
use crate::live::ReadError;
use crate::plan::PlanProblem;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// racks.toml could not be read or is invalid; the text is already rendered with locations.
    #[error("{}", .0.render().trim_end())]
    Config(LoadError),
    /// A wrong command line that clap itself could not catch.
    #[error("{message}")]
    Usage {
        message: String,
        hint: Option<String>,
    },
    /// AWS could not be read (credentials, account guard, listing stacks).
    #[error("{}", render_read_errors(.0).trim_end())]
    Read(Vec<ReadError>),
    /// The plan cannot be made: something in racks.toml does not fit the live templates.
    #[error("{}", crate::render::human_problems(problems, file, text).trim_end())]
    Plan {
        /// racks.toml's name and text, so each problem is drawn at its line.
        file: String,
        text: String,
        problems: Vec<PlanProblem>,
    },
    /// A saved plan no longer describes the world; nothing was changed.
    #[error("{}", render_stale(.0))]
    StalePlan(Vec<String>),
    #[error("cannot use the saved plan {path}: {message}")]
    SavedPlan { path: String, message: String },
    #[error("cannot write {path}: {error}")]
    Write { path: String, error: std::io::Error },
    /// Ctrl-C or SIGTERM before anything was changed.
    #[error("{0}")]
    Interrupted(String),
    /// stdout was closed by its reader (`| head`): nothing more to say, and nowhere to say it.
    #[error("stdout was closed")]
    StdoutClosed,
}

/// The exit code of a run whose stdout was closed under it, as a shell reports death by SIGPIPE.
pub const EXIT_STDOUT_CLOSED: i32 = 141;

impl From<LoadError> for Error {
    fn from(error: LoadError) -> Self {
        Error::Config(error)
    }
}

fn render_read_errors(errors: &[ReadError]) -> String {
    let mut out = String::new();
    for error in errors {
        let _ = writeln!(out, "error: {error}");
        if let Some(hint) = error.hint() {
            let _ = writeln!(out, "   = help: {hint}");
        }
    }
    out
}

fn render_stale(reasons: &[String]) -> String {
    let mut out = String::from("error: the saved plan is stale; nothing was changed\n");
    for reason in reasons {
        let _ = writeln!(out, "    {reason}");
    }
    out.push_str(
        "   = help: run `rackfile plan --out PLANFILE` again, review it, and apply the new plan",
    );
    out
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_)
            | Error::Usage { .. }
            | Error::Read(_)
            | Error::Plan { .. }
            | Error::Write { .. }
            | Error::StalePlan(_)
            | Error::SavedPlan { .. } => 1,
            Error::StdoutClosed => EXIT_STDOUT_CLOSED,
            Error::Interrupted(_) => crate::apply::summary::EXIT_INTERRUPTED,
        }
    }

    /// The text for stderr, ending in a newline. Messages that are not already `error: ...` get the prefix.
    /// Values quoted from AWS or racks.toml inside it cannot move the cursor or recolour the terminal: every
    /// control character but the line breaks the message is made of is shown as an escape.
    pub fn render(&self) -> String {
        let mut text = self
            .to_string()
            .split('\n')
            .map(|line| crate::render::escape(line).into_owned())
            .collect::<Vec<_>>()
            .join("\n");
        if !text.starts_with("error:") {
            text = format!("error: {text}");
        }
        if let Error::Usage {
            hint: Some(hint), ..
        } = self
        {
            text = format!("{text}\n   = help: {hint}");
        }
        text.push('\n');
        text
    }

    /// The JSON form for `--json`, so a machine reading stdout always gets JSON.
    pub fn render_json(&self) -> String {
        let value = serde_json::json!({
            "format_version": crate::plan::FORMAT_VERSION,
            "error": { "message": self.render().trim_end() },
        });
        let mut text = serde_json::to_string_pretty(&value).expect("JSON values serialise");
        text.push('\n');
        text
    }
}
