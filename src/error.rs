//! The top-level error: every failure rackfile reports, its text, and the exit code it maps to.

use crate::config::LoadError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// racks.toml could not be read or is invalid; the text is already rendered with locations.
    #[error("{}", .0.render().trim_end())]
    Config(LoadError),
    /// A wrong command line that clap itself could not catch.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) | Error::Usage(_) => 1,
        }
    }

    /// The text for stderr, ending in a newline. Messages that are not already `error: ...` get the prefix.
    pub fn render(&self) -> String {
        let text = self.to_string();
        if text.starts_with("error:") {
            format!("{text}\n")
        } else {
            format!("error: {text}\n")
        }
    }
}

impl From<LoadError> for Error {
    fn from(error: LoadError) -> Self {
        Error::Config(error)
    }
}
