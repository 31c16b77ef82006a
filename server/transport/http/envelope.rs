//! The envelope check: a POST to `/mcp` carries one JSON-RPC 2.0 object.
//!
//! What is not (not JSON, a batch, not a JSON-RPC 2.0 object) gets a
//! JSON-RPC error here (400 with `-32700` or `-32600`), before rmcp, which
//! would answer such bodies with a plain-text 415. The parsed message goes
//! on as an [`Envelope`] for the layers after it; its method and tool name
//! go on the request's span.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Value, json};

use crate::http_body::{BufferedBody, error_response};

/// A POST's JSON-RPC message, checked to be a JSON-RPC 2.0 object.
#[derive(Debug, Clone)]
pub struct Envelope(pub Value);

impl Envelope {
    /// The request id, if any.
    pub fn id(&self) -> Option<&Value> {
        self.0.get("id")
    }

    /// The JSON-RPC method, if any.
    pub fn method(&self) -> Option<&str> {
        self.0.get("method").and_then(Value::as_str)
    }

    /// `params.name`: the tool of a `tools/call`.
    pub fn tool(&self) -> Option<&str> {
        self.0.pointer("/params/name").and_then(Value::as_str)
    }
}

/// Layer: checks the body read by the body layer, or answers a JSON-RPC error.
pub async fn check(mut request: Request, next: Next) -> Response {
    let Some(BufferedBody(bytes)) = request.extensions().get::<BufferedBody>() else {
        // The body layer runs first on every POST; fail closed if it did not.
        tracing::error!("mcp request rejected: its body was not read before the envelope check");
        return error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
    };
    let message: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            tracing::info!(status = 400, "mcp request rejected: body is not JSON");
            return json_rpc_error(Value::Null, -32700, &format!("parse error: {e}"));
        }
    };
    if !message.is_object() || message.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        let reason = if message.is_array() {
            "invalid request: JSON-RPC batches are not supported"
        } else {
            "invalid request: expected a JSON-RPC 2.0 object"
        };
        tracing::info!(status = 400, "mcp request rejected: {reason}");
        return json_rpc_error(Value::Null, -32600, reason);
    }
    let envelope = Envelope(message);
    let span = tracing::Span::current();
    span.record("rpc_method", envelope.method().unwrap_or("-"));
    if let Some(tool) = envelope.tool() {
        span.record("tool", tool);
    }
    request.extensions_mut().insert(envelope);
    next.run(request).await
}

/// HTTP 400 carrying a JSON-RPC error object.
pub fn json_rpc_error(id: Value, code: i64, message: &str) -> Response {
    let body = json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}});
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}
