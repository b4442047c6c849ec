use clap::Parser as _;

use rackfile::cli::Cli;
use rackfile::render::RenderError as _;

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let apply_stream = rackfile::cli::commands::apply_json_requested(&args);
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) if apply_stream && error.exit_code() != 0 => {
            // `apply --json` is read line by line as JSON, even when a flag is wrong. clap's text is its
            // error line, then a tip, then the usage.
            let text = error.render().to_string();
            let line = |prefix: &str| {
                text.lines()
                    .find_map(|line| line.trim().strip_prefix(prefix).map(str::to_string))
            };
            let usage = rackfile::error::Error::Usage {
                message: line("error: ").unwrap_or_else(|| text.trim().to_string()),
                hint: line("tip: ").or_else(|| Some("see `rackfile apply --help`".into())),
            };
            rackfile::cli::commands::report_apply_stream_error(&usage);
            std::process::exit(1);
        }
        Err(error) => {
            // `--help` and `--version` print and exit 0. A usage error exits 1, not clap's 2: 2 is what
            // `plan --detailed-exitcode` says for "changes", and a typo in a CI job must not read as that.
            let _ = error.print();
            if error.exit_code() != 0 {
                let arguments: Vec<String> = std::env::args_os()
                    .skip(1)
                    .map(|argument| argument.to_string_lossy().into_owned())
                    .collect();
                if let Some(hint) = rackfile::cli::hint_for_refused(&arguments) {
                    rackfile::output::eprint(&format!("\nhint: {hint}\n"));
                }
            }
            std::process::exit(if error.exit_code() == 0 { 0 } else { 1 });
        }
    };
    if let Some(endpoint) = cli.endpoint_url() {
        // Credential providers (assume-role, SSO) build AWS clients of their own from the environment; the
        // variable is what reaches them. SAFETY: no other thread exists yet.
        unsafe { std::env::set_var("AWS_ENDPOINT_URL", endpoint) };
    } else if std::env::var_os("AWS_ENDPOINT_URL").is_some_and(|url| url.is_empty()) {
        // An empty AWS_ENDPOINT_URL (CI's rendering of an unset variable) means none; the SDK would try to
        // use it. SAFETY: no other thread exists yet.
        unsafe { std::env::remove_var("AWS_ENDPOINT_URL") };
    }
    rackfile::logging::init(cli.verbosity());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            rackfile::output::eprint(&format!("error: cannot start the async runtime: {error}\n"));
            std::process::exit(1);
        }
    };
    let json = cli.wants_json();
    let code = match cli.into_invocation() {
        Ok((invocation, connection)) => runtime.block_on(rackfile::cli::commands::run_and_report(
            invocation, connection,
        )),
        Err(error) if apply_stream => {
            rackfile::cli::commands::report_apply_stream_error(&error);
            error.exit_code()
        }
        Err(error) if json => {
            if rackfile::output::print(&error.render_json()).is_err() {
                rackfile::output::eprint(&error.render());
            }
            error.exit_code()
        }
        Err(error) => {
            use std::io::Write as _;
            let _ = write!(std::io::stderr(), "{}", error.render());
            error.exit_code()
        }
    };
    std::process::exit(code);
}
