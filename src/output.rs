//! Writing a command's output to stdout without ever panicking (Rust's `print!` panics when stdout is
//! closed or full). A closed stdout (`| head`) ends the run quietly with exit 141, as a shell reports a
//! command killed by SIGPIPE; any other failure to write (a full disk) is an error.

use std::sync::{Arc, OnceLock};

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

/// The first failed write to a stream that a run writes to as it goes (apply's stdout), shared by every
/// writer of the stream and by the run, which must stop starting work and say so: output nobody receives
/// (a full disk, a reader that went away) would otherwise let an apply go on, exit 0, and say nothing.
#[derive(Clone, Default)]
pub struct WriteFailure(Arc<FailureState>);

#[derive(Default)]
struct FailureState {
    first: OnceLock<String>,
    hook: OnceLock<Box<dyn Fn() + Send + Sync>>,
}

impl WriteFailure {
    /// Runs `hook` at the first failure (once).
    pub fn on_failure(&self, hook: impl Fn() + Send + Sync + 'static) {
        let _ = self.0.hook.set(Box::new(hook));
    }

    /// The first failure's error, if a write failed.
    pub fn first(&self) -> Option<&str> {
        self.0.first.get().map(String::as_str)
    }

    fn record(&self, error: &std::io::Error) {
        if self.0.first.set(error.to_string()).is_ok()
            && let Some(hook) = self.0.hook.get()
        {
            hook();
        }
    }
}

/// A writer whose first failure is recorded in a `WriteFailure`; after it, every write fails at once (an
/// empty one included, so a caller can ask whether the stream still takes output): half a JSON line
/// followed by more lines would be worse than none.
pub struct Watched<W> {
    inner: W,
    failure: WriteFailure,
}

impl<W> Watched<W> {
    pub fn new(inner: W, failure: WriteFailure) -> Self {
        Self { inner, failure }
    }

    fn refuse_after_failure(&self) -> std::io::Result<()> {
        match self.failure.first() {
            Some(first) => Err(std::io::Error::other(first.to_string())),
            None => Ok(()),
        }
    }
}

impl<W: std::io::Write> std::io::Write for Watched<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.refuse_after_failure()?;
        self.inner
            .write(buf)
            .inspect_err(|error| self.failure.record(error))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.refuse_after_failure()?;
        self.inner
            .flush()
            .inspect_err(|error| self.failure.record(error))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Takes `room` bytes, then fails as a full disk does.
    struct Full {
        room: usize,
    }

    impl std::io::Write for Full {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if buf.len() > self.room {
                return Err(std::io::Error::from_raw_os_error(28));
            }
            self.room -= buf.len();
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_first_failed_write_is_kept_runs_the_hook_once_and_refuses_every_later_write() {
        let failure = WriteFailure::default();
        let hooked = Arc::new(AtomicUsize::new(0));
        let counter = hooked.clone();
        failure.on_failure(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let mut out = Watched::new(Full { room: 4 }, failure.clone());
        out.write_all(b"abc").unwrap();
        assert!(out.write(&[]).is_ok(), "an empty write asks: still taken");
        assert_eq!(failure.first(), None);
        assert!(out.write_all(b"defgh").is_err());
        let first = failure.first().unwrap().to_string();
        assert!(first.contains("No space left on device"), "{first}");
        assert!(out.write(&[]).is_err(), "refused after the failure");
        assert!(out.write_all(b"i").is_err(), "the room left is not used");
        assert_eq!(failure.first(), Some(first.as_str()));
        assert_eq!(hooked.load(Ordering::SeqCst), 1);
    }
}
