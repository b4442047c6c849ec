//! The text of an error for stderr: the error's own words, with a plan's problems drawn at their lines,
//! and every value quoted from AWS or racks.toml made harmless to a terminal.

use crate::diag::write_help;
use crate::error::Error;

use super::escape;
use super::human::problems;

/// The stderr view of an `Error` (a method, so the error reads `error.render()` where it is reported).
pub trait RenderError {
    /// The text for stderr, ending in a newline. Messages that are not already `error: ...` get the
    /// prefix. Values quoted inside it cannot move the cursor or recolour the terminal: every control
    /// character but the line breaks the message is made of is shown as an escape.
    fn render(&self) -> String;
}

impl RenderError for Error {
    fn render(&self) -> String {
        let said = match self {
            Error::Plan {
                file,
                text,
                problems: planned,
            } => problems(planned, file, text).trim_end().to_string(),
            other => other.to_string(),
        };
        let mut text = said
            .split('\n')
            .map(|line| escape(line).into_owned())
            .collect::<Vec<_>>()
            .join("\n");
        if !text.starts_with("error:") {
            text = format!("error: {text}");
        }
        text.push('\n');
        if let Error::Usage {
            hint: Some(hint), ..
        } = self
        {
            write_help(&mut text, &escape(hint));
        }
        text
    }
}
