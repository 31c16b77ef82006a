//! MCP over stdin/stdout, for desktop clients (Claude Desktop, Cursor, VS Code).
//!
//! stdout carries only JSON-RPC messages; logs go to stderr. The server exits
//! when stdin closes or on SIGINT/SIGTERM.
//!
//! rmcp runs the session over an in-memory pipe, and this module sits
//! between it and the real stdin/stdout, one JSON-RPC message per line. It
//! shows every line to the [`StdioFastPath`], which answers a plain
//! `tools/list` from pre-serialised bytes once the session is ready for it,
//! exactly as rmcp would answer it but without parsing a schema; every
//! other line goes to rmcp unchanged.

use std::sync::Arc;

use bytes::Bytes;
use rmcp::ServiceExt;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use super::fast_path::StdioFastPath;
use crate::call::AppState;
use crate::mcp::TwilioMcp;

/// Serves one client on stdio until it disconnects.
pub async fn serve(state: Arc<AppState>) -> Result<(), String> {
    tracing::info!(
        services = %state.default_scope.tools.selection.names.join(","),
        tools = state.default_scope.tools.ids.len(),
        "serving MCP over stdio"
    );
    tokio::select! {
        result = serve_io(state, tokio::io::stdin(), tokio::io::stdout(), true) => {
            let fast_answers = result?;
            tracing::info!(fast_answers, "stdio session ended");
            Ok(())
        }
        () = super::shutdown_signal() => Ok(()),
    }
}

/// Serves one client over a line-delimited byte stream pair until `input`
/// ends, and says how many `tools/list` requests were answered from
/// pre-serialised bytes. `fast_tools_list: false` leaves every message to
/// rmcp (tests compare the two).
pub async fn serve_io<R, W>(
    state: Arc<AppState>,
    input: R,
    output: W,
    fast_tools_list: bool,
) -> Result<u64, String>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    // rmcp reads what the client sends through `to_rmcp` and writes its
    // answers back to `from_rmcp`.
    let (ours, rmcp_side) = tokio::io::duplex(PIPE_BYTES);
    let (from_rmcp, to_rmcp) = tokio::io::split(ours);
    let (lines, outbox) = mpsc::channel::<Line>(64);
    let fast_path = Arc::new(StdioFastPath::new(
        fast_tools_list.then(|| state.default_scope.clone()),
    ));

    let mut writer = tokio::spawn(write_lines(outbox, output));
    let rmcp_answers = tokio::spawn(forward_rmcp(from_rmcp, lines.clone(), fast_path.clone()));
    let client = tokio::spawn(route_client(input, to_rmcp, lines, fast_path.clone()));
    let server = async move {
        let running = TwilioMcp::new(state)
            .serve(rmcp_side)
            .await
            .map_err(|e| format!("stdio handshake failed: {e}"))?;
        running
            .waiting()
            .await
            .map_err(|e| format!("stdio session ended with an error: {e}"))?;
        Ok::<(), String>(())
    };
    tokio::pin!(server);
    let served = tokio::select! {
        biased;
        served = &mut server => served,
        written = &mut writer => {
            // stdout failed (the client is gone): end the session instead
            // of working for nobody. Dropping both ends of the pipe gives
            // rmcp end-of-input.
            client.abort();
            rmcp_answers.abort();
            let _ = server.await;
            return Err(match written {
                Ok(Err(e)) => format!("writing to stdout failed: {e}"),
                _ => "the stdout writer stopped".to_string(),
            });
        }
    };
    // rmcp has stopped: the client's side ends with it, and the writer
    // finishes once every answer is out.
    client.abort();
    let _ = rmcp_answers.await;
    let written = writer.await.unwrap_or(Ok(()));
    served?;
    written.map_err(|e| format!("writing to stdout failed: {e}"))?;
    Ok(fast_path.answers())
}

/// Bytes buffered between this module and rmcp in each direction.
const PIPE_BYTES: usize = 1 << 16;

/// Longest client line this module holds to look at: a plain `tools/list`
/// is a few dozen bytes, so longer lines (tool calls with large arguments)
/// stream through to rmcp as they arrive, and rmcp applies its own limit.
const INSPECT_BYTES: usize = 64 * 1024;

/// One message for stdout, in pieces written one after another (so a large
/// shared `tools/list` result is written without being copied).
type Line = Vec<Bytes>;

/// How [`read_line`] ended.
enum Read {
    /// A whole line (with its newline) is in the buffer.
    Line,
    /// A line too long to hold went to rmcp as it arrived.
    PassedOn,
    /// End of input (a last line without newline went to rmcp, which drops
    /// it as incomplete), or an error either side.
    End,
}

/// Reads the next client line into `line` when it is at most
/// [`INSPECT_BYTES`] long; a longer one goes straight to `to_rmcp`.
async fn read_line<R, W>(input: &mut BufReader<R>, line: &mut Vec<u8>, to_rmcp: &mut W) -> Read
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    line.clear();
    let mut passing_on = false;
    loop {
        let Ok(buf) = input.fill_buf().await else {
            return Read::End;
        };
        if buf.is_empty() {
            if !line.is_empty() {
                let _ = to_rmcp.write_all(line).await;
            }
            return Read::End;
        }
        let newline = buf.iter().position(|&b| b == b'\n');
        let chunk = &buf[..newline.map_or(buf.len(), |i| i + 1)];
        let taken = chunk.len();
        if !passing_on && line.len() + taken > INSPECT_BYTES {
            passing_on = true;
            if to_rmcp.write_all(line).await.is_err() {
                return Read::End;
            }
            line.clear();
        }
        if passing_on {
            if to_rmcp.write_all(chunk).await.is_err() {
                return Read::End;
            }
        } else {
            line.extend_from_slice(chunk);
        }
        input.consume(taken);
        if newline.is_some() {
            return if passing_on {
                Read::PassedOn
            } else {
                Read::Line
            };
        }
    }
}

/// Client lines: those the fast path answers are answered, everything else
/// goes to rmcp; rmcp's input closes when the client's ends.
async fn route_client<R, W>(
    input: R,
    mut to_rmcp: W,
    lines: mpsc::Sender<Line>,
    fast_path: Arc<StdioFastPath>,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut input = BufReader::new(input);
    let mut line = Vec::new();
    loop {
        match read_line(&mut input, &mut line, &mut to_rmcp).await {
            Read::Line => {}
            Read::PassedOn => continue,
            Read::End => break,
        }
        if let Some(answer) = fast_path.answer(&line) {
            if lines.send(answer).await.is_err() {
                break;
            }
            continue;
        }
        fast_path.client_line(&line);
        if to_rmcp.write_all(&line).await.is_err() {
            break;
        }
    }
    // End of input: rmcp reads EOF and ends the session.
    let _ = to_rmcp.shutdown().await;
}

/// rmcp's lines, shown to the fast path (the answer to `initialize` tells
/// which protocol version the session speaks), then passed on to the writer.
async fn forward_rmcp<R>(from_rmcp: R, lines: mpsc::Sender<Line>, fast_path: Arc<StdioFastPath>)
where
    R: AsyncRead + Unpin,
{
    let mut from_rmcp = BufReader::new(from_rmcp);
    loop {
        let mut line = Vec::new();
        match from_rmcp.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        fast_path.server_line(&line);
        if lines.send(vec![Bytes::from(line)]).await.is_err() {
            break;
        }
    }
}

/// Writes each line as it comes, flushing after each (a client waits for it).
///
/// In pieces of at most [`WRITE_CHUNK`] bytes: tokio's stdout copies each
/// write into its own buffer for a blocking thread, and that buffer grows to
/// the largest write (a whole catalog's `tools/list` would double in memory).
async fn write_lines<W>(mut outbox: mpsc::Receiver<Line>, mut output: W) -> std::io::Result<()>
where
    W: AsyncWrite + Unpin,
{
    while let Some(line) = outbox.recv().await {
        for piece in line {
            for chunk in piece.chunks(WRITE_CHUNK) {
                output.write_all(chunk).await?;
            }
        }
        output.flush().await?;
    }
    Ok(())
}

const WRITE_CHUNK: usize = 64 * 1024;
