//! The request's span and its log line.
//!
//! Every request to `/mcp` gets an id and a span carrying it (`request`,
//! with `request_id`; the envelope layer adds `rpc_method` and `tool`, the
//! scope layer `caller`), so
//! every line logged while it is handled says which request it belongs to.
//! The span also goes into the request's extensions, because rmcp runs the
//! handler on a task of its own: the handler enters it again around the
//! call. When the answer leaves, a POST gets one line: `mcp request` with
//! its status and latency.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::Method;
use tracing::Instrument;
use tracing::field::Empty;

static REQUEST_IDS: AtomicU64 = AtomicU64::new(1);

/// Layer: runs the request inside its span, then logs its outcome.
pub async fn trace(mut request: Request, next: Next) -> Response {
    let request_id = REQUEST_IDS.fetch_add(1, Ordering::Relaxed);
    let span = tracing::info_span!(
        "request",
        request_id,
        rpc_method = Empty,
        tool = Empty,
        caller = Empty
    );
    request.extensions_mut().insert(span.clone());
    let logged = request.method() == Method::POST;
    let started = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    if logged {
        span.in_scope(|| {
            tracing::info!(
                status = response.status().as_u16(),
                latency_ms = started.elapsed().as_secs_f64() * 1000.0,
                "mcp request"
            );
        });
    }
    response
}
