//! Both `tools/list` fast paths, and the gates that decide when they answer.
//!
//! Building and serialising the tool definitions on every `tools/list`
//! costs far more than the transport; [`listing::result_json`] writes them
//! once per tool set. The transports answer a plain `tools/list` with those
//! bytes instead of asking rmcp, exactly as rmcp would answer it, and only
//! when rmcp would surely accept the request. Anything unusual goes through
//! rmcp with all its checks. The contract is byte equality with rmcp's own
//! answer: `tests/http_fast_path.rs` and `tests/stdio_fast_path.rs` send the
//! same requests to a server with and without the fast path and compare.
//!
//! The gates, shared or per transport:
//! - the message: a JSON-RPC 2.0 `tools/list` with no params (or `{}`),
//!   no cursor, no `_meta`, and an id rmcp keeps verbatim
//!   ([`plain_request_id`]);
//! - the protocol version: one whose answer is the plain result
//!   ([`listing::PLAIN_RESULT_VERSIONS`]); over HTTP the
//!   `MCP-Protocol-Version` header (none: rmcp assumes 2025-03-26), over
//!   stdio the version rmcp agreed on in `initialize`, and only after the
//!   client's `notifications/initialized`;
//! - HTTP only: no `Origin`, one `Accept` naming both `application/json`
//!   and `text/event-stream`, a JSON `Content-Type`, and a `Host` that is
//!   literally on the list rmcp checks ([`HostGate`]).

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::HeaderMap;
use serde_json::Value;

use crate::call::Scope;
use crate::listing;

/// The id of a plain `tools/list` request (no cursor, no `_meta`): one the
/// pre-serialised answer fits. Anything else returns `None` and is left to
/// rmcp.
pub fn plain_request_id(envelope: &Value) -> Option<&Value> {
    let envelope = envelope.as_object()?;
    if envelope.get("jsonrpc")?.as_str()? != "2.0"
        || envelope.get("method")?.as_str()? != "tools/list"
    {
        return None;
    }
    // Ids as rmcp keeps them verbatim: strings and integers that fit an
    // i64 (it rewrites `1.0` as `1` and refuses `1.5`).
    let id = envelope
        .get("id")
        .filter(|id| id.is_string() || id.is_i64())?;
    match envelope.get("params") {
        None | Some(Value::Null) => Some(id),
        Some(Value::Object(params)) if params.is_empty() => Some(id),
        Some(_) => None,
    }
}

/// What comes before the result in an answer,
/// `{"jsonrpc":"2.0","id":…,"result":`, for writers that send the (large,
/// shared) result without copying it.
fn answer_head(id: &Value) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(48);
    out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    // Writing a JSON value into a Vec cannot fail; if it did, rmcp answers.
    serde_json::to_writer(&mut out, id).ok()?;
    out.extend_from_slice(br#","result":"#);
    Some(out)
}

/// What comes after the result in an answer.
const ANSWER_TAIL: &[u8] = b"}";

// ---------------------------------------------------------------------------
// HTTP

/// The `Host` values the HTTP fast path answers: the list rmcp checks.
#[derive(Debug, Clone)]
pub enum HostGate {
    /// rmcp accepts any host (`--allowed-hosts '*'`).
    Any,
    /// rmcp accepts these; the fast path only these literally (with or
    /// without a port).
    Listed(Vec<String>),
}

impl HostGate {
    fn admits(&self, host: &str) -> bool {
        let Self::Listed(hosts) = self else {
            return true;
        };
        let bare = match host.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
            _ => host,
        };
        let bare = bare.trim_start_matches('[').trim_end_matches(']');
        hosts.iter().any(|h| h == host || h == bare)
    }
}

/// The answer to a POSTed `tools/list` (`envelope`, with these `headers`)
/// from the scope's pre-serialised bytes, or `None` to leave it to rmcp.
pub fn http_answer(
    headers: &HeaderMap,
    envelope: &Value,
    scope: &Scope,
    hosts: &HostGate,
) -> Option<Response> {
    // One value per header, or rmcp decides.
    let header = |name: &str| {
        let mut values = headers.get_all(name).iter();
        let first = values.next()?;
        values
            .next()
            .is_none()
            .then(|| first.to_str().ok())
            .flatten()
    };
    if headers.contains_key(http::header::ORIGIN) {
        return None;
    }
    let accept = header("accept")?;
    if !(accept.contains("application/json") && accept.contains("text/event-stream")) {
        return None;
    }
    if !header("content-type")?.starts_with("application/json") {
        return None;
    }
    if let Some(version) = headers.get("mcp-protocol-version") {
        let version = version.to_str().ok()?;
        if !listing::PLAIN_RESULT_VERSIONS.contains(&version) {
            return None;
        }
    }
    if let HostGate::Listed(_) = hosts
        && !hosts.admits(header("host")?)
    {
        return None;
    }
    let id = plain_request_id(envelope)?;
    let mut body = answer_head(id)?;
    let result = listing::result_json(scope);
    body.reserve(result.len() + ANSWER_TAIL.len());
    body.extend_from_slice(&result);
    body.extend_from_slice(ANSWER_TAIL);
    Some(
        (
            [(http::header::CONTENT_TYPE, "application/json")],
            Body::from(body),
        )
            .into_response(),
    )
}

// ---------------------------------------------------------------------------
// stdio

/// The protocol version rmcp agreed on, as far as the fast path cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Version {
    NotYet = 0,
    /// Its `tools/list` answer is the plain result.
    Plain = 1,
    Other = 2,
}

/// The stdio fast path: what it has seen of the session's handshake, and
/// how many `tools/list` requests it answered.
///
/// The stdio transport shows it every line: [`StdioFastPath::answer`] for
/// each client line (an answer, or `None` to pass the line on to rmcp),
/// [`StdioFastPath::client_line`] for each line that goes to rmcp, and
/// [`StdioFastPath::server_line`] for each line rmcp writes.
#[derive(Debug, Default)]
pub struct StdioFastPath {
    /// The session's scope; `None`: the fast path never answers (tests
    /// compare with rmcp's answers), but still watches.
    scope: Option<Scope>,
    /// A [`Version`].
    version: AtomicU8,
    /// The client sent `notifications/initialized`.
    initialized: AtomicBool,
    /// `tools/list` requests answered here.
    answers: AtomicU64,
}

impl StdioFastPath {
    /// A fast path answering for `scope`, or never (`None`).
    pub fn new(scope: Option<Scope>) -> Self {
        Self {
            scope,
            ..Self::default()
        }
    }

    fn ready(&self) -> bool {
        self.initialized.load(Ordering::Acquire)
            && self.version.load(Ordering::Acquire) == Version::Plain as u8
    }

    /// The answer to this client line (one message, with its newline), in
    /// pieces to write one after another (the large shared result is not
    /// copied); `None` when the line is not a plain `tools/list` or the
    /// session is not ready for one.
    pub fn answer(&self, line: &[u8]) -> Option<Vec<Bytes>> {
        let scope = self.scope.as_ref()?;
        if !(self.ready() && contains(line, b"\"tools/list\"")) {
            return None;
        }
        let envelope = serde_json::from_slice::<Value>(line).ok()?;
        let head = answer_head(plain_request_id(&envelope)?)?;
        self.answers.fetch_add(1, Ordering::Relaxed);
        Some(vec![
            Bytes::from(head),
            listing::result_json(scope),
            Bytes::from_static(ANSWER_TAIL),
            Bytes::from_static(b"\n"),
        ])
    }

    /// Notes a client line that goes to rmcp: `notifications/initialized`
    /// opens the fast path.
    pub fn client_line(&self, line: &[u8]) {
        if !self.initialized.load(Ordering::Relaxed)
            && contains(line, b"notifications/initialized")
            && serde_json::from_slice::<Value>(line).is_ok_and(|v| {
                v.get("method").and_then(Value::as_str) == Some("notifications/initialized")
            })
        {
            self.initialized.store(true, Ordering::Release);
        }
    }

    /// Notes a line rmcp writes: the answer to `initialize` tells which
    /// protocol version the session speaks.
    ///
    /// The transport calls this before queueing the line: a client sends
    /// `notifications/initialized` (which opens the fast path) only after
    /// reading that answer, so no fast answer can overtake it.
    pub fn server_line(&self, line: &[u8]) {
        if self.version.load(Ordering::Relaxed) == Version::NotYet as u8
            && contains(line, b"\"protocolVersion\"")
            && let Ok(message) = serde_json::from_slice::<Value>(line)
            && let Some(version) = message
                .pointer("/result/protocolVersion")
                .and_then(Value::as_str)
        {
            let version = if listing::PLAIN_RESULT_VERSIONS.contains(&version) {
                Version::Plain
            } else {
                Version::Other
            };
            self.version.store(version as u8, Ordering::Release);
        }
    }

    /// `tools/list` requests answered so far.
    pub fn answers(&self) -> u64 {
        self.answers.load(Ordering::Relaxed)
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
