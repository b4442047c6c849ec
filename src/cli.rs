//! Command-line arguments. Raw clap types stay here: `Cli::into_invocation` checks them and hands the rest
//! of rackfile plain, validated options.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

use crate::error::Error;

/// Manage Convox Racks declaratively: racks.toml is the record, `plan` shows what would change,
/// `apply` makes it so.
#[derive(Debug, Parser)]
#[command(name = "rackfile", version, propagate_version = true)]
pub struct Cli {
    /// Send every AWS request to this endpoint (e.g. a local emulator). AWS_ENDPOINT_URL works too.
    #[arg(long, global = true, value_name = "URL")]
    endpoint_url: Option<String>,

    #[command(subcommand)]
    command: CommandArgs,
}

#[derive(Debug, Subcommand)]
enum CommandArgs {
    /// Check racks.toml offline: syntax, keys, types and rules. Makes no AWS call.
    Validate(FileArg),
    /// Print the JSON Schema of racks.toml.
    Schema,
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
}

#[derive(Debug, Args)]
struct FileArg {
    /// The racks file.
    #[arg(
        short = 'f',
        long = "file",
        default_value = "racks.toml",
        value_name = "FILE"
    )]
    file: PathBuf,
}

/// What the user asked for, checked.
#[derive(Debug)]
pub enum Invocation {
    Validate { file: PathBuf },
    Schema,
    Completions { shell: Shell },
}

/// Options every command that talks to AWS shares.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    pub endpoint_url: Option<String>,
}

impl Cli {
    pub fn into_invocation(self) -> Result<(Invocation, Connection), Error> {
        let connection = Connection {
            endpoint_url: self.endpoint_url,
        };
        let invocation = match self.command {
            CommandArgs::Validate(FileArg { file }) => Invocation::Validate { file },
            CommandArgs::Schema => Invocation::Schema,
            CommandArgs::Completions { shell } => Invocation::Completions { shell },
        };
        Ok((invocation, connection))
    }
}

pub fn completions(shell: Shell) -> String {
    let mut command = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "rackfile", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}
