//! Scope resolution: `?services=…&mode=…` → the [`Scope`] the handler sees.
//!
//! Services are resolved by [`Selection::parse`], then the server's
//! [`ToolPolicy`](crate::filter::ToolPolicy) and the caller's
//! [`Restrictions`](crate::filter::Restrictions) (an API key's, an OAuth
//! token's scopes) applied; no `services` means the server's default
//! selection, or, for a caller limited to some services, those services.
//! An unknown service or mode is a JSON-RPC error (400, `-32602`) naming
//! it, never a silent fallback. Resolved tool sets are cached by query and
//! restrictions, so repeated requests skip the work and share the
//! pre-serialised `tools/list` bytes.
//!
//! A `tools/call` (or discovery mode's `call_twilio_tool`) by an OAuth
//! caller whose scopes exclude the tool is answered here, `403` with
//! `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`: the
//! scope that would allow it, so the client can ask for it (step-up).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

use super::envelope::{Envelope, json_rpc_error};
use crate::auth::oauth::scopes;
use crate::auth::{AuthMethod, Caller, OAuth};
use crate::call::{self, AppState, CallError, Mode, Scope};
use crate::catalog;
use crate::filter::{Selection, ToolSet};

/// Most distinct `?services=` selections kept resolved.
const CACHE_LIMIT: usize = 256;

/// A cache key: the query's services and the caller's restrictions.
type CacheKey = (Vec<String>, String);

/// Resolves scopes against the server's state, with a cache.
#[derive(Debug)]
pub struct Scopes {
    state: Arc<AppState>,
    /// The OAuth resource server, for step-up challenges.
    oauth: Option<Arc<OAuth>>,
    /// Tool sets by canonical query and restrictions, so repeated requests
    /// skip resolution.
    cache: Mutex<HashMap<CacheKey, Arc<ToolSet>>>,
}

impl Scopes {
    /// Scopes over this state's default scope and policy.
    pub fn new(state: Arc<AppState>, oauth: Option<Arc<OAuth>>) -> Self {
        Self {
            state,
            oauth,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// `?services=…&mode=…` → the request's scope; an unknown name is an error.
    pub fn resolve(&self, query: &str, caller: Caller) -> Result<Scope, String> {
        let mut services: Vec<String> = Vec::new();
        let mut mode = None;
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                // `services=` with nothing selects nothing: the default applies.
                "services" | "service" if !value.trim().is_empty() => {
                    services.push(value.into_owned())
                }
                "services" | "service" => {}
                "mode" => {
                    mode = Some(Mode::parse(&value).ok_or_else(|| {
                        format!("unknown mode `{value}`: valid modes are tools, discover")
                    })?);
                }
                _ => {}
            }
        }
        let default = &self.state.default_scope;
        let mode = mode.unwrap_or(default.mode);
        let restrictions = caller.restrictions_arc().clone();
        if services.is_empty() && restrictions.is_none() {
            return Ok(Scope {
                tools: default.tools.clone(),
                mode,
                caller,
            });
        }
        let key = (services, restrictions.key());
        if let Some(tools) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(Scope {
                tools,
                mode,
                caller,
            });
        }
        let selection = if key.0.is_empty() {
            // A caller limited to some services sees those by default.
            restrictions
                .services()
                .cloned()
                .unwrap_or_else(|| default.tools.selection.clone())
        } else {
            Selection::parse(&key.0).map_err(|e| e.to_string())?
        };
        let tools = ToolSet::restricted(selection, &self.state.policy, &restrictions);
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(key, tools.clone());
        }
        Ok(Scope {
            tools,
            mode,
            caller,
        })
    }

    /// For an OAuth caller calling a tool its scopes exclude: the 403
    /// step-up answer naming the scope that would allow it.
    fn step_up(&self, scope: &Scope, envelope: &Envelope) -> Option<Response> {
        let oauth = self.oauth.as_ref()?;
        if scope.caller.method() != AuthMethod::OAuth {
            return None;
        }
        let name = called_tool(envelope, scope.mode)?;
        let error = call::resolve(&self.state, scope, name).err()?;
        let CallError::Restricted {
            tool, restriction, ..
        } = &error
        else {
            return None;
        };
        let (_, tool) = catalog::find(tool)?;
        let needed = scopes::needed(restriction, tool)?;
        crate::metrics::auth_failure("insufficient_scope");
        tracing::info!(
            status = 403,
            scope = %needed,
            "mcp request rejected: insufficient scope"
        );
        Some(oauth.insufficient_scope(&needed, &error.to_string()))
    }
}

/// The catalog tool a `tools/call` calls: its name, or in discovery mode
/// the `name` argument of `call_twilio_tool`.
fn called_tool(envelope: &Envelope, mode: Mode) -> Option<&str> {
    if envelope.method() != Some("tools/call") {
        return None;
    }
    let name = envelope.tool()?;
    match mode {
        Mode::Tools => Some(name),
        Mode::Discover if name == crate::discover::CALL => envelope
            .0
            .pointer("/params/arguments/name")
            .and_then(Value::as_str),
        Mode::Discover => None,
    }
}

/// Layer: puts the request's [`Scope`] in its extensions, or answers a
/// JSON-RPC error.
pub async fn resolve(
    State(scopes): State<Arc<Scopes>>,
    mut request: Request,
    next: Next,
) -> Response {
    // The authentication layer names the caller; with no check configured
    // (loopback testing, or explicitly allowed) nobody was authenticated.
    let caller = request
        .extensions()
        .get::<Caller>()
        .cloned()
        .unwrap_or_else(Caller::unauthenticated);
    tracing::Span::current().record("caller", tracing::field::display(&caller));
    match scopes.resolve(request.uri().query().unwrap_or(""), caller) {
        Ok(scope) => {
            if let Some(envelope) = request.extensions().get::<Envelope>()
                && let Some(refusal) = scopes.step_up(&scope, envelope)
            {
                return refusal;
            }
            request.extensions_mut().insert(scope);
            next.run(request).await
        }
        Err(message) => {
            tracing::info!(status = 400, "mcp request rejected: {message}");
            let id = request
                .extensions()
                .get::<Envelope>()
                .and_then(Envelope::id)
                .cloned()
                .unwrap_or(Value::Null);
            json_rpc_error(id, -32602, &message)
        }
    }
}
