//! The `twilio-mcp` binary: parse the command line, run a subcommand.

use std::process::ExitCode;

use clap::Parser;
use twilio_mcp::cli::{Cli, Command, SpecsCommand};
use twilio_mcp::{commands, logging};

fn main() -> ExitCode {
    // .env first, so clap's `env` defaults see it. A missing file is fine.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("error: cannot read .env: {e}");
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    logging::init(cli.log_format);
    let result = match cli.command {
        Command::Serve(args) => {
            // stdio serves one client: one thread does, and starts faster
            // and smaller than a pool sized for HTTP.
            let one_thread = args.stdio;
            run_async(commands::serve::run(*args), one_thread)
        }
        Command::Tools(args) => commands::tools::run(&args),
        Command::Audit(args) => match commands::audit::run(&args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
        Command::Sign(args) => commands::sign::run(&args),
        Command::Specs(SpecsCommand::Diff { old, new, json }) => {
            commands::specs::diff(&old, &new, json)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run_async(
    future: impl std::future::Future<Output = Result<(), String>>,
    one_thread: bool,
) -> Result<(), String> {
    let mut builder = if one_thread {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    builder
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?
        .block_on(future)
}
