//! The top-level error: every failure rackfile reports, its text, and the exit code it maps to.

use std::fmt::Write as _;

use crate::config::{Config, LoadError};
use crate::diag::{Location, SourceMap, write_help};
use crate::live::ReadError;
use crate::plan::{PlanProblem, PlanningError};

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
    /// The plan cannot be made: something in racks.toml does not fit the live templates. Its text for a
    /// person draws each problem at its line (`render::RenderError`).
    #[error("{file} does not fit the live racks")]
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

impl Error {
    /// The error of a plan that could not be made from `config`.
    pub fn planning(error: PlanningError, config: &Config) -> Self {
        match error {
            PlanningError::UnknownTarget { message, hint } => Error::Usage {
                message,
                hint: Some(hint),
            },
            PlanningError::Read(errors) => Error::Read(errors),
            PlanningError::Problems(problems) => Error::Plan {
                file: config.path.display().to_string(),
                text: config.source.clone(),
                problems,
            },
        }
    }
}

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
            write_help(&mut out, &hint);
        }
    }
    out
}

fn render_stale(reasons: &[String]) -> String {
    let mut out = String::from("error: the saved plan is stale; nothing was changed\n");
    for reason in reasons {
        let _ = writeln!(out, "    {reason}");
    }
    write_help(
        &mut out,
        "run `rackfile plan --out PLANFILE` again, review it, and apply the new plan",
    );
    out.trim_end().to_string()
}

/// What kind of failure an error is. The kind, never the message, decides the exit code, and `--json`
/// errors carry it for machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The command line asks for something impossible, or a confirmation was refused.
    Usage,
    /// racks.toml or a saved plan cannot be used as it is.
    Input,
    /// AWS could not be read: credentials, the account guard, listing stacks, Convox's release list.
    Aws,
    /// racks.toml does not fit the live templates, or the world moved since a saved plan.
    Plan,
    /// A file could not be written.
    Io,
    Interrupted,
    StdoutClosed,
}

impl ErrorKind {
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Usage
            | ErrorKind::Input
            | ErrorKind::Aws
            | ErrorKind::Plan
            | ErrorKind::Io => 1,
            ErrorKind::Interrupted => crate::outcome::EXIT_INTERRUPTED,
            ErrorKind::StdoutClosed => EXIT_STDOUT_CLOSED,
        }
    }
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Usage { .. } => ErrorKind::Usage,
            Error::Config(_) | Error::SavedPlan { .. } => ErrorKind::Input,
            Error::Read(_) => ErrorKind::Aws,
            Error::Plan { .. } | Error::StalePlan(_) => ErrorKind::Plan,
            Error::Write { .. } => ErrorKind::Io,
            Error::Interrupted(_) => ErrorKind::Interrupted,
            Error::StdoutClosed => ErrorKind::StdoutClosed,
        }
    }

    pub fn exit_code(&self) -> i32 {
        self.kind().exit_code()
    }

    /// The JSON form for `--json`, so a machine reading stdout always gets JSON: the kind, a one-line
    /// message, and each problem with its place (file, line, column, rack) and hint as separate fields, not
    /// the human rendering with its carets.
    pub fn render_json(&self) -> String {
        let value = serde_json::json!({
            "format_version": crate::plan::FORMAT_VERSION,
            "error": self.json_value(),
        });
        let mut text = serde_json::to_string_pretty(&value).expect("JSON values serialise");
        text.push('\n');
        text
    }

    /// `{kind, message, problems}`: the error of `--json` output, and of the apply stream's `diagnostic`.
    pub fn json_value(&self) -> serde_json::Value {
        let problems = self.problems();
        let message = match problems.as_slice() {
            [only] => only.message.clone(),
            _ => self.summary_line(),
        };
        serde_json::json!({ "kind": self.kind(), "message": message, "problems": problems })
    }

    /// One line saying what went wrong as a whole, for an error of several problems.
    fn summary_line(&self) -> String {
        match self {
            Error::Config(LoadError::Invalid { path, .. }) => {
                format!("{} is not a valid racks file", path.display())
            }
            Error::Read(_) => "AWS could not be read".into(),
            Error::Plan { file, .. } => format!("{file} does not fit the live racks"),
            Error::StalePlan(_) => "the saved plan is stale; nothing was changed".into(),
            other => other.to_string(),
        }
    }

    /// Each problem the error is made of, located where it can be.
    fn problems(&self) -> Vec<JsonProblem> {
        match self {
            Error::Config(LoadError::Invalid {
                path,
                text: source,
                diagnostics,
            }) => {
                let map = SourceMap::new(source);
                diagnostics
                    .iter()
                    .map(|diagnostic| JsonProblem {
                        message: diagnostic.message.clone(),
                        file: Some(path.display().to_string()),
                        location: diagnostic
                            .span
                            .as_ref()
                            .map(|span| map.location(span.start)),
                        rack: None,
                        hint: diagnostic.hint.clone(),
                    })
                    .collect()
            }
            Error::Config(LoadError::NotUtf8 { path, location }) => vec![JsonProblem {
                message: format!("{} is not UTF-8", path.display()),
                file: Some(path.display().to_string()),
                location: Some(*location),
                rack: None,
                hint: None,
            }],
            Error::Read(errors) => errors
                .iter()
                .map(|error| JsonProblem {
                    hint: error.hint(),
                    ..JsonProblem::message(error.to_string())
                })
                .collect(),
            Error::Plan {
                file,
                text,
                problems,
            } => {
                let map = SourceMap::new(text);
                problems
                    .iter()
                    .map(|problem| JsonProblem {
                        message: problem.message.clone(),
                        file: Some(file.clone()),
                        location: problem.span.as_ref().map(|span| map.location(span.start)),
                        rack: Some(problem.rack.clone()),
                        hint: problem.hint.clone(),
                    })
                    .collect()
            }
            Error::StalePlan(reasons) => reasons
                .iter()
                .map(|reason| JsonProblem::message(reason.clone()))
                .collect(),
            Error::Usage { message, hint } => vec![JsonProblem {
                hint: hint.clone(),
                ..JsonProblem::message(message.clone())
            }],
            other => vec![JsonProblem::message(other.to_string())],
        }
    }
}

/// One problem of a `--json` error.
#[derive(Debug, serde::Serialize)]
struct JsonProblem {
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(
        flatten,
        skip_serializing_if = "Option::is_none",
        serialize_with = "location"
    )]
    location: Option<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rack: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
}

impl JsonProblem {
    fn message(message: String) -> Self {
        Self {
            message,
            file: None,
            location: None,
            rack: None,
            hint: None,
        }
    }
}

fn location<S: serde::Serializer>(
    location: &Option<Location>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap as _;
    let mut map = serializer.serialize_map(None)?;
    if let Some(location) = location {
        map.serialize_entry("line", &location.line)?;
        map.serialize_entry("column", &location.column)?;
    }
    map.end()
}
