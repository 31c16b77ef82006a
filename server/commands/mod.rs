//! The subcommands: `serve`, `tools`, `audit`, `sign`, `specs diff`,
//! `keys new`, and
//! [`run`], which the binary calls with the parsed command line.

use std::io;
use std::process::ExitCode;

use crate::cli::{Cli, Command, KeysCommand, SpecsCommand};
use crate::logging;

/// `println!` for command output: a closed stdout (`twilio-mcp tools | head`)
/// ends the program quietly instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            $crate::commands::stdout_failed(e);
        }
    }};
}

/// `print!` counterpart of [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout().lock(), $($arg)*) {
            $crate::commands::stdout_failed(e);
        }
    }};
}

pub mod audit;
mod keys;
pub mod serve;
mod sign;
mod specs;
mod tools;

/// Runs a parsed command line: sets up logging, runs the subcommand, and
/// prints its error, if any, as `error: …` on stderr.
pub fn run(cli: Cli) -> ExitCode {
    logging::init(cli.log_format);
    let result = match cli.command {
        Command::Serve(args) => {
            // stdio serves one client: one thread does, and starts faster
            // and smaller than a pool sized for HTTP.
            let one_thread = args.stdio;
            run_async(serve::run(*args), one_thread)
        }
        Command::Tools(args) => tools::run(&args),
        Command::Audit(args) => match audit::run(&args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
        Command::Sign(args) => sign::run(&args),
        Command::Specs(SpecsCommand::Diff { old, new, json }) => specs::diff(&old, &new, json),
        Command::Keys(KeysCommand::New(args)) => keys::new(&args),
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

/// Exits: quietly when the reader went away, with an error otherwise.
pub(crate) fn stdout_failed(e: io::Error) -> ! {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: cannot write to stdout: {e}");
    std::process::exit(1);
}
