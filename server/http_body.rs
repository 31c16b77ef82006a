//! The `/mcp` request body, read once, bounded, and shared by the layers in
//! front of rmcp (signature check, envelope check), and the small JSON error
//! responses they answer with.
//!
//! Whichever layer needs the bytes first calls [`buffer`]: it reads the body
//! (at most the limit), records the bytes in the request's extensions as a
//! [`BufferedBody`] and passes the request on with the same bytes as its
//! body, so no later layer reads the connection again. In the HTTP
//! transport that is [`read_once`], installed after the head-only checks.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use futures::StreamExt;
use http::header::CONTENT_LENGTH;
use http::{HeaderMap, Method, StatusCode};

/// `{"error": message}` with this status.
pub fn error_response(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

/// Why the body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Longer than the limit (declared or streamed).
    TooLarge,
    /// The connection failed while reading.
    Unreadable,
}

impl BodyError {
    /// 413 or 400.
    pub fn status(self) -> StatusCode {
        match self {
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unreadable => StatusCode::BAD_REQUEST,
        }
    }

    /// What the client is told.
    pub fn message(self) -> &'static str {
        match self {
            Self::TooLarge => "request body too large",
            Self::Unreadable => "could not read request body",
        }
    }

    /// The error as a JSON response.
    pub fn into_response(self) -> Response {
        error_response(self.status(), self.message())
    }
}

/// The bytes of a request's body, once a layer has read it.
#[derive(Debug, Clone)]
pub struct BufferedBody(pub Bytes);

/// The request's body bytes: those an earlier layer read, or else the body
/// read now (at most `limit` bytes) and recorded as a [`BufferedBody`].
/// The request comes back with the same bytes as its body.
pub async fn buffer(request: Request, limit: usize) -> Result<(Request, Bytes), BodyError> {
    if let Some(BufferedBody(bytes)) = request.extensions().get::<BufferedBody>() {
        let bytes = bytes.clone();
        return Ok((request, bytes));
    }
    let (mut parts, body) = request.into_parts();
    let bytes = read_body(body, &parts.headers, limit).await?;
    parts.extensions.insert(BufferedBody(bytes.clone()));
    Ok((Request::from_parts(parts, Body::from(bytes.clone())), bytes))
}

/// Layer: reads a POST's body once, at most `limit` bytes (413, or 400 when
/// the connection fails). Other methods carry no JSON-RPC message and pass
/// unread (rmcp answers them 405).
pub async fn read_once(State(limit): State<usize>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    match buffer(request, limit).await {
        Ok((request, _)) => next.run(request).await,
        Err(e) => {
            tracing::warn!(
                status = e.status().as_u16(),
                "mcp request rejected: {}",
                e.message()
            );
            e.into_response()
        }
    }
}

/// Reads the whole body, at most `limit` bytes.
///
/// This is what `axum::body::to_bytes(body, limit)` does, except that it tells
/// "too large" (413) apart from a broken connection (400): `to_bytes` reports
/// both as an opaque `axum::Error`, and naming the limit error type would need
/// `http-body-util` as a direct dependency.
pub async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, BodyError> {
    // A declared length over the limit is refused without reading anything.
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(BodyError::TooLarge);
    }

    let mut stream = body.into_data_stream();
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| BodyError::Unreadable)?;
        total = total.saturating_add(chunk.len());
        if total > limit {
            return Err(BodyError::TooLarge);
        }
        chunks.push(chunk);
    }
    // Most bodies arrive in one chunk: pass it on without copying.
    if chunks.len() == 1 {
        return Ok(chunks.swap_remove(0));
    }
    let mut buffer = BytesMut::with_capacity(total);
    for chunk in chunks {
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer.freeze())
}
