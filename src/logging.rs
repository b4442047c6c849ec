//! `-v` logging to stderr through `tracing`: nothing by default, rackfile's AWS call log at `-v`, and the
//! AWS SDK's own debug log (retry decisions, credential resolution) at `-vv`.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

pub fn init(verbosity: u8) {
    let targets = match verbosity {
        0 => return,
        1 => Targets::new().with_target("rackfile", LevelFilter::INFO),
        _ => Targets::new()
            .with_target("rackfile", LevelFilter::DEBUG)
            .with_target("aws_smithy_runtime", LevelFilter::DEBUG)
            .with_target("aws_config", LevelFilter::DEBUG),
    };
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false);
    tracing_subscriber::registry()
        .with(layer.with_filter(targets))
        .init();
}
