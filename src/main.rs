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
    let code = match cli.into_invocation() {
        Ok((invocation, connection)) => {
            runtime.block_on(rackfile::commands::run_and_report(invocation, connection))
        }
        Err(error) => {
            eprint!("{}", error.render());
            error.exit_code()
        }
    };
    std::process::exit(code);
}
