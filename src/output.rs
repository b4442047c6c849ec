//! Writing a command's output to stdout without ever panicking (Rust's `print!` panics when stdout is
//! closed or full). A closed stdout (`| head`) ends the run quietly with exit 141, as a shell reports a
//! command killed by SIGPIPE; any other failure to write (a full disk) is an error.

use crate::error::Error;

/// Writes `text` to stdout and flushes it.
pub fn print(text: &str) -> Result<(), Error> {
    write_to(&mut std::io::stdout().lock(), text)
}

pub fn write_to(out: &mut dyn std::io::Write, text: &str) -> Result<(), Error> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|error| {
            if error.kind() == std::io::ErrorKind::BrokenPipe {
                Error::StdoutClosed
            } else {
                Error::Write {
                    path: "stdout".into(),
                    error,
                }
            }
        })
}

/// Writes `text` to stderr, ignoring a failure: stderr is where failures are reported, so there is nowhere
/// left to report its own (`eprint!` would panic on a full or closed stderr).
pub fn eprint(text: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}
