//! The subcommands: `serve`, `tools`, `audit`, `sign`, `specs diff`.

use std::io;

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
pub mod serve;
pub mod sign;
pub mod specs;
pub mod tools;

/// Exits: quietly when the reader went away, with an error otherwise.
pub fn stdout_failed(e: io::Error) -> ! {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: cannot write to stdout: {e}");
    std::process::exit(1);
}
