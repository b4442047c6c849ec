//! The outside world an apply (and a cancel) talks to: where output goes, whether a person is there to
//! confirm, the environment, and where started installs' passwords are.

use std::io::BufRead;

use crate::apply::EnvLookup;
use crate::apply::reporter::{Sink, write_line};
use crate::render;

/// The outside world an apply talks to: where output goes, whether a person is there, the environment.
pub struct Console {
    pub out: Sink,
    /// stdin is a terminal, so a person can confirm.
    pub interactive: bool,
    /// stdout is a terminal: progress bars and colour.
    pub bars: bool,
    pub style: render::Style,
    pub read_answer: Box<dyn FnMut() -> Option<String> + Send>,
    pub env: Box<EnvLookup>,
    /// Where each started install's password is, shared with whoever prints it if the run ends at once.
    pub passwords: crate::apply::PasswordLedger,
}

impl Console {
    pub fn terminal() -> Self {
        use std::io::IsTerminal;
        Console {
            out: crate::apply::reporter::stdout_sink(),
            interactive: std::io::stdin().is_terminal(),
            bars: bars_wanted(
                std::io::stdout().is_terminal(),
                std::env::var_os("TERM").as_deref(),
                std::env::var_os("NO_COLOR").as_deref(),
            ),
            style: render::Style::for_stdout(),
            read_answer: Box::new(|| {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).ok()?;
                Some(line)
            }),
            env: Box::new(|name| std::env::var(name).ok()),
            passwords: Default::default(),
        }
    }

    pub(super) fn print(&self, text: &str) {
        write_line(&self.out, text.trim_end_matches('\n'));
    }

    /// Whether the output refuses even an empty write (stdout closed or /dev/null, see `stdout_sink`).
    pub(super) fn out_refuses_writes(&self) -> bool {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        out.write(&[]).is_err()
    }

    /// Why stdout cannot take this apply's output, if it cannot: a write to it failed; or, under `--json`,
    /// whose stream is all a machine gets, it goes nowhere (closed, /dev/null).
    pub(super) fn out_unusable(&self, json: bool) -> Option<std::io::Error> {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        match out.write(&[]) {
            Err(error) if json || !crate::apply::reporter::goes_nowhere(&error) => Some(error),
            _ => None,
        }
    }

    /// Like `print`, but says whether the text was written.
    pub(super) fn try_print(&self, text: &str) -> std::io::Result<()> {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        writeln!(out, "{}", text.trim_end_matches('\n'))?;
        out.flush()
    }
}

/// Progress bars need a terminal that can move the cursor: not a dumb one, and not one whose user asked for
/// plain output with NO_COLOR; everything else gets one line per event.
fn bars_wanted(
    stdout_is_terminal: bool,
    term: Option<&std::ffi::OsStr>,
    no_color: Option<&std::ffi::OsStr>,
) -> bool {
    stdout_is_terminal
        && term.is_none_or(|term| term != "dumb")
        && no_color.is_none_or(|value| value.is_empty())
}
