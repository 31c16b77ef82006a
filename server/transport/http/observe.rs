//! Metrics and the trace span of each MCP message (POST), around the
//! envelope check and everything after it.
//!
//! [`observe`] (before the envelope check) puts an [`Observation`] in the
//! request's extensions and, once the answer is ready, records
//! `mcp_server_operation_duration_seconds` and ends the span; [`start`]
//! (after the envelope check) names the request by bounded labels (method,
//! tool) and starts its span, with the W3C trace context of `params._meta`
//! or the HTTP headers as parent. The handler reports a tool call's outcome
//! into the observation; otherwise the outcome is read from the answer: its
//! HTTP status, or the code of a JSON-RPC error in a small JSON body.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

use super::envelope::{Envelope, json_rpc_error};
use crate::metrics;
use crate::telemetry::{Observation, RequestInfo};

/// Layer: observes the message's duration and outcome.
pub async fn observe(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let _in_flight = metrics::InFlight::start();
    let observation = Observation::new();
    request.extensions_mut().insert(observation.clone());
    let response = next.run(request).await;
    let (response, error_type) = outcome(response, &observation).await;
    observation.end_span(error_type);
    let (method, tool) = observation
        .labels()
        .unwrap_or((metrics::INVALID_METHOD, metrics::NO_TOOL));
    metrics::observe_operation(method, tool, error_type, started.elapsed());
    response
}

/// Layer (after the envelope check): labels the message and starts its span.
pub async fn start(request: Request, next: Next) -> Response {
    if let (Some(envelope), Some(observation)) = (
        request.extensions().get::<Envelope>(),
        request.extensions().get::<Arc<Observation>>(),
    ) {
        // Bounded labels: nothing the client wrote becomes one as such.
        let method = metrics::method_label(envelope.method().unwrap_or(""));
        let tool = if method == "tools/call" {
            metrics::tool_label(envelope.tool().unwrap_or(""))
        } else {
            metrics::NO_TOOL
        };
        observation.set_labels(method, tool);
        observation.start_span(&RequestInfo {
            method,
            tool,
            envelope: &envelope.0,
            headers: request.headers(),
        });
    }
    next.run(request).await
}

/// Largest response body looked into for a JSON-RPC error code.
const PEEK_LIMIT: u64 = 256 * 1024;

/// The message's `error_type`: what the handler reported (a tool call's
/// outcome), else the HTTP status when it is not a success, else the code
/// of a JSON-RPC error in the answer (looked up in small JSON bodies; the
/// response is passed on unchanged), else empty (success).
async fn outcome(response: Response, observation: &Observation) -> (Response, &'static str) {
    if let Some(error_type) = observation.error_type() {
        return (response, error_type);
    }
    let status = response.status();
    let json = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let small = response
        .body()
        .size_hint()
        .exact()
        .is_some_and(|n| n <= PEEK_LIMIT);
    if !json || !small {
        let label = if status.is_success() {
            ""
        } else {
            metrics::status_label(status)
        };
        return (response, label);
    }
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, PEEK_LIMIT as usize).await {
        Ok(bytes) => {
            let error_type = match jsonrpc_error_type(&bytes) {
                "" if !parts.status.is_success() => metrics::status_label(parts.status),
                code => code,
            };
            (Response::from_parts(parts, Body::from(bytes)), error_type)
        }
        Err(e) => {
            tracing::warn!("cannot read the MCP response body: {e}");
            (
                json_rpc_error(Value::Null, -32603, "internal error: response lost"),
                metrics::jsonrpc_error_label(-32603),
            )
        }
    }
}

/// The `error_type` of a JSON-RPC answer: its error code, or empty.
fn jsonrpc_error_type(body: &[u8]) -> &'static str {
    #[derive(serde::Deserialize)]
    struct Answer {
        error: Option<Code>,
    }
    #[derive(serde::Deserialize)]
    struct Code {
        code: i64,
    }
    match serde_json::from_slice::<Answer>(body) {
        Ok(Answer { error: Some(e) }) => metrics::jsonrpc_error_label(e.code),
        _ => "",
    }
}
