use clap::Parser;

use rackfile::cli::Cli;

fn main() {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            std::process::exit(1);
        }
    };
    let outcome = cli.into_invocation().and_then(|(invocation, connection)| {
        runtime.block_on(rackfile::commands::run(invocation, connection))
    });
    match outcome {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            eprint!("{}", error.render());
            std::process::exit(error.exit_code());
        }
    }
}
