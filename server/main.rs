//! The `twilio-mcp` binary: read `.env`, parse the command line, run it.
//! Everything else is in the library (`twilio_mcp::commands`).

use std::process::ExitCode;

use clap::Parser;
use twilio_mcp::cli::Cli;
use twilio_mcp::commands;

fn main() -> ExitCode {
    // .env first, so clap's `env` defaults see it. A missing file is fine.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("error: cannot read .env: {e}");
        return ExitCode::FAILURE;
    }
    commands::run(Cli::parse())
}
