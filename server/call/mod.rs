//! The call pipeline: one tool call, from a name and arguments to a result,
//! with every check in one order.
//!
//! Both ways of calling a Twilio operation go through [`call`]: a tool per
//! operation (the MCP handler, `crate::mcp`) and `call_twilio_tool` in
//! discovery mode (`crate::discover`). Each maps a [`CallError`] its own
//! way: the handler answers an unavailable tool with a JSON-RPC error,
//! discovery mode with a tool error.
//!
//! ```text
//! call(state, scope, name, arguments)
//!   1. resolve      catalog, the server's ToolPolicy, the caller's Restrictions,
//!                   then the scope's ToolSet
//!                   → UnknownTool, Refused, Restricted, NotSelected
//!   2. arguments    args::check                       → BadArguments
//!   3. credentials  the tool's auth scheme             → NeedsOAuth, NoCredentials
//!   4. request      request::prepare                   → BadArguments
//!   5. guardrails   none yet (see below)
//!   6. send         TwilioClient::send                 → Upstream (no HTTP answer)
//!   7. shape        response::shape                    → CallOutput (any HTTP status)
//! ```
//!
//! Nothing reaches Twilio unless steps 1 to 5 pass. Where later features
//! plug in:
//! - **guardrails** (destination rules, rate and spend limits, confirmation,
//!   dry runs) between steps 4 and 6, on the [`PreparedRequest`] and the
//!   [`Scope`], refusing with a new `CallError` variant or answering with a
//!   preview [`CallOutput`] instead of sending;
//! - **who is calling**: [`Scope::caller`], set by the transport (over HTTP
//!   from the [`Caller`] the authentication layer put in the request's
//!   extensions; over stdio the local user);
//! - **audit records, metrics and a span per call**: around [`call`], whose
//!   outcome (`Ok`, or which `CallError`) is what they count.
//!
//! [`PreparedRequest`]: crate::twilio::PreparedRequest

mod args;
mod request;
mod response;

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value};

use crate::auth::Caller;
use crate::catalog::{self, AuthScheme, Tool, ToolId};
use crate::filter::{Refusal, Restriction, ToolPolicy, ToolSet};
use crate::metrics::UpstreamOutcome;
use crate::telemetry;
use crate::twilio::{CredentialState, TwilioClient, UpstreamError};

pub use args::ArgError;
pub use response::CallOutput;

/// How tools are exposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// One MCP tool per Twilio operation.
    #[default]
    Tools,
    /// Three stable tools: search, describe, call.
    Discover,
}

impl Mode {
    /// `tools`, or `discover` (also `discovery`), in any case.
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "tools" => Some(Mode::Tools),
            "discover" | "discovery" => Some(Mode::Discover),
            _ => None,
        }
    }
}

/// What one request may see and call: the per-request context of a call.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The selected services' tools, the server's policy applied.
    pub tools: Arc<ToolSet>,
    /// How they are exposed.
    pub mode: Mode,
    /// Who is calling (from the authentication layer; the local user over stdio).
    pub caller: Caller,
}

/// Everything a call needs, shared by all requests.
#[derive(Debug)]
pub struct AppState {
    /// The pooled HTTP client to Twilio.
    pub client: TwilioClient,
    /// The API key requests are signed with, or what is missing.
    pub credentials: CredentialState,
    /// Sends every product's requests to this base URL instead (tests, proxies).
    pub base_url: Option<String>,
    /// Largest result text; longer lists are cut with a note.
    pub max_response_bytes: usize,
    /// Which tools may be listed and called at all (read-only, allow/deny).
    pub policy: ToolPolicy,
    /// Scope when the transport gives none (stdio).
    pub default_scope: Scope,
}

/// Why a call did not produce a result. Each message says what to do; the
/// first four mean the name does not designate a tool this request may
/// call ([`CallError::is_unavailable`]), and nothing was sent for any.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// No tool has this name.
    UnknownTool(String),
    /// The server's policy excludes the tool.
    Refused {
        /// The tool's name.
        tool: &'static str,
        /// Which part of the policy.
        reason: Refusal,
    },
    /// The caller's credential excludes the tool (an API key's
    /// restrictions, an OAuth token's scopes).
    Restricted {
        /// The tool's name.
        tool: &'static str,
        /// Which restriction.
        restriction: Restriction,
        /// Whose: the caller of the request.
        caller: Caller,
    },
    /// The tool exists but is outside the request's selected services.
    NotSelected {
        /// The tool's name.
        tool: &'static str,
        /// The services the request selected.
        selected: Vec<String>,
        /// A service that holds the tool (its OpenAPI tag).
        service: &'static str,
    },
    /// The arguments fail a check, or cannot make a request.
    BadArguments(ArgError),
    /// The operation needs OAuth 2 client credentials, which the server does not hold.
    NeedsOAuth {
        /// The tool's name.
        tool: &'static str,
    },
    /// The server has no Twilio credentials: these variables are missing.
    NoCredentials(Vec<&'static str>),
    /// The request got no HTTP answer (timeout, connection failure).
    Upstream(UpstreamError),
}

impl CallError {
    /// The name does not designate a tool this request may call (unknown,
    /// refused by the policy or the caller's restrictions, or not
    /// selected), as opposed to a call that was tried and failed.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            CallError::UnknownTool(_)
                | CallError::Refused { .. }
                | CallError::Restricted { .. }
                | CallError::NotSelected { .. }
        )
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::UnknownTool(name) => write!(f, "unknown tool `{name}`"),
            CallError::Refused { tool, reason } => {
                write!(f, "tool `{tool}` is not available: {reason}")
            }
            CallError::Restricted {
                tool,
                restriction,
                caller,
            } => write!(
                f,
                "tool `{tool}` is not available: {}",
                caller.explain(restriction)
            ),
            CallError::NotSelected {
                tool,
                selected,
                service,
            } => write!(
                f,
                "tool `{tool}` is not in the selected services ({}); add \
                 `services={service}` to the MCP URL (or --services) to use it",
                selected.join(", ")
            ),
            CallError::BadArguments(e) => e.fmt(f),
            CallError::NeedsOAuth { tool } => write!(
                f,
                "{tool} needs OAuth 2 client credentials (Twilio's organizations API), \
                 which this server does not hold; nothing was sent"
            ),
            CallError::NoCredentials(vars) => write!(
                f,
                "the server has no Twilio credentials: set {} and restart; nothing was sent",
                vars.join(", ")
            ),
            CallError::Upstream(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for CallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CallError::BadArguments(e) => Some(e),
            CallError::Upstream(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ArgError> for CallError {
    fn from(e: ArgError) -> Self {
        CallError::BadArguments(e)
    }
}

/// The tool called `name`, if it exists and this scope may call it
/// (step 1 of [`call`]; discovery mode's describe uses it alone).
pub fn resolve(
    state: &AppState,
    scope: &Scope,
    name: &str,
) -> Result<(ToolId, &'static Tool), CallError> {
    let Some((id, tool)) = catalog::find(name) else {
        return Err(CallError::UnknownTool(name.to_string()));
    };
    if let Some(reason) = state.policy.refusal(tool) {
        return Err(CallError::Refused {
            tool: tool.name,
            reason,
        });
    }
    if let Some(restriction) = scope.caller.restrictions().refusal(id, tool) {
        return Err(CallError::Restricted {
            tool: tool.name,
            restriction,
            caller: scope.caller.clone(),
        });
    }
    if !scope.tools.contains(id) {
        return Err(CallError::NotSelected {
            tool: tool.name,
            selected: scope.tools.selection.names.clone(),
            service: tool.tag,
        });
    }
    Ok((id, tool))
}

/// Calls the catalog tool `name` with `arguments`, after every check.
///
/// `Ok` is whatever Twilio answered, shaped (an HTTP error status is an
/// `Ok` output with `is_error`); `Err` is a call that was not made, or got
/// no answer.
pub async fn call(
    state: &AppState,
    scope: &Scope,
    name: &str,
    arguments: &Map<String, Value>,
) -> Result<CallOutput, CallError> {
    // 1. resolve
    let (id, tool) = resolve(state, scope, name)?;
    // 2. arguments
    args::check(id, tool, arguments)?;
    // 3. credentials
    let credentials = match (tool.auth, &state.credentials) {
        (AuthScheme::None, _) => None,
        (AuthScheme::OAuth2, _) => return Err(CallError::NeedsOAuth { tool: tool.name }),
        (AuthScheme::Basic, CredentialState::Ready(c)) => Some(c),
        (AuthScheme::Basic, CredentialState::Missing(vars)) => {
            return Err(CallError::NoCredentials(vars.clone()));
        }
    };
    // 4. request
    let prepared = request::prepare(
        tool,
        arguments,
        state.credentials.account_sid(),
        state.base_url.as_deref(),
    )?;
    // 5. guardrails (#15) go here: nothing is sent yet.
    // 6. send
    let started = Instant::now();
    let timing = telemetry::upstream(tool, &prepared.url);
    let sent = state.client.send(&prepared, credentials).await;
    timing.finish(match &sent {
        Ok(upstream) => http::StatusCode::from_u16(upstream.status)
            .map_or(UpstreamOutcome::Error, UpstreamOutcome::Status),
        Err(UpstreamError::Timeout(_)) => UpstreamOutcome::Timeout,
        Err(UpstreamError::Connect(_)) => UpstreamOutcome::Connection,
        Err(UpstreamError::Other(_)) => UpstreamOutcome::Error,
    });
    let upstream = match sent {
        Ok(upstream) => upstream,
        Err(e) => {
            tracing::warn!(
                tool = tool.name,
                method = tool.method.as_str(),
                latency_ms = started.elapsed().as_millis() as u64,
                error = %e,
                "upstream call failed"
            );
            return Err(CallError::Upstream(e));
        }
    };
    tracing::info!(
        tool = tool.name,
        method = tool.method.as_str(),
        status = upstream.status,
        latency_ms = upstream.elapsed.as_millis() as u64,
        "upstream call"
    );
    // 7. shape
    let fields = request::requested_fields(arguments);
    Ok(response::shape(
        &upstream,
        tool.default_output,
        fields.as_deref(),
        state.max_response_bytes,
    ))
}
