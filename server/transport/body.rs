//! Reading a request body once, bounded, for the layers in front of rmcp
//! (signature check, service filter), and the small JSON error responses
//! they answer with.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use futures::StreamExt;
use http::header::CONTENT_LENGTH;
use http::{HeaderMap, StatusCode};

/// `{"error": message}` with this status.
pub fn error_response(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

/// Why the body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    TooLarge,
    Unreadable,
}

impl BodyError {
    pub fn status(self) -> StatusCode {
        match self {
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unreadable => StatusCode::BAD_REQUEST,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::TooLarge => "request body too large",
            Self::Unreadable => "could not read request body",
        }
    }

    pub fn into_response(self) -> Response {
        error_response(self.status(), self.message())
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
