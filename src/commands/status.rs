//! `rackfile status`: each declared rack's live state, read the way plan reads it (one STS call per org,
//! one DescribeStacks sweep per account and region), without reading any template.

use std::path::PathBuf;

use crate::cloud::Connector;
use crate::error::Error;
use crate::{config, live, render, status};

#[derive(Debug, Clone)]
pub struct StatusOptions {
    pub file: PathBuf,
    pub json: bool,
}

pub async fn run(options: &StatusOptions, connector: &dyn Connector) -> Result<i32, Error> {
    let config = config::load(&options.file)?;
    let (live, _) = live::read_stacks(&config, &config.racks, connector)
        .await
        .map_err(Error::Read)?;
    let rows = status::of_racks(&config.racks, &live);
    if options.json {
        crate::output::print(&render::status::json(&rows))?;
    } else {
        crate::output::print(&render::status::table(&rows))?;
    }
    Ok(0)
}
