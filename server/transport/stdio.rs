//! MCP over stdin/stdout, for desktop clients (Claude Desktop, Cursor, VS Code).
//!
//! stdout carries only JSON-RPC messages; logs go to stderr. The server exits
//! when stdin closes or on SIGINT/SIGTERM.

use std::sync::Arc;

use rmcp::ServiceExt;

use crate::mcp::{AppState, TwilioMcp};

/// Serves one client on stdio until it disconnects.
pub async fn serve(state: Arc<AppState>) -> Result<(), String> {
    tracing::info!(
        services = %state.default_scope.tools.selection.names.join(","),
        tools = state.default_scope.tools.ids.len(),
        "serving MCP over stdio"
    );
    let running = TwilioMcp::new(state)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| format!("stdio handshake failed: {e}"))?;
    tokio::select! {
        result = running.waiting() => {
            result.map_err(|e| format!("stdio session ended with an error: {e}"))?;
        }
        () = super::http::shutdown_signal() => {}
    }
    Ok(())
}
