//! One module per command: each loads what it needs, runs, and prints. `run` dispatches.

mod validate;

use crate::cli::{Connection, Invocation};
use crate::error::Error;

/// Runs a command; the `Ok` value is the exit code for outcomes that are not errors (0, or 2 for a plan
/// with changes under `--detailed-exitcode`).
pub async fn run(invocation: Invocation, _connection: Connection) -> Result<i32, Error> {
    match invocation {
        Invocation::Validate { file } => validate::run(&file),
        Invocation::Schema => {
            print!("{}", crate::config::schema::racks_schema_json());
            Ok(0)
        }
        Invocation::Completions { shell } => {
            print!("{}", crate::cli::completions(shell));
            Ok(0)
        }
    }
}
