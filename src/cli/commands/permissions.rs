//! `rackfile permissions COMMAND`: the IAM policy a command needs for the racks of racks.toml, from the
//! table of every AWS operation rackfile calls (`crate::permissions`). Reads racks.toml only.

use crate::cli::options::PermissionsOptions;
use crate::error::Error;
use crate::outcome::Outcome;
use crate::permissions::policy;
use crate::{config, output, render};

pub fn run(options: &PermissionsOptions) -> Result<Outcome, Error> {
    let config = config::load(&options.file)?;
    let policy = policy(&config, options.command);
    if options.json {
        let mut text =
            serde_json::to_string_pretty(&policy.document()).expect("a policy document serialises");
        text.push('\n');
        output::print(&text)?;
    } else {
        let name = clap::ValueEnum::to_possible_value(&options.command)
            .map(|value| value.get_name().to_string())
            .unwrap_or_default();
        output::print(&render::permissions::permissions(
            &policy,
            &name,
            &options.file.display().to_string(),
        ))?;
    }
    Ok(Outcome::Success)
}
