//! tracing set-up: human-readable or JSON lines, always on stderr (stdout
//! belongs to the stdio transport). `RUST_LOG` filters (default `info`).
//! Over HTTP each line logged while a request is handled carries the
//! request's span (`transport::http`'s trace layer).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,rmcp=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in log files.
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    // A second init (tests) fails harmlessly.
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        // The request's span (request id, JSON-RPC method, tool) as `span`;
        // there is only ever the one, so no `spans` list repeating it.
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_span_list(false)
            .try_init(),
    };
}
