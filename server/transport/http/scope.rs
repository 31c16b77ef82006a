//! Scope resolution: `?services=…&mode=…` → the [`Scope`] the handler sees.
//!
//! Services are resolved by [`Selection::parse`] and the server's
//! [`ToolPolicy`](crate::filter::ToolPolicy) applied; no `services` means
//! the server's default selection. An unknown service or mode is a JSON-RPC
//! error (400, `-32602`) naming it, never a silent fallback. Resolved tool
//! sets are cached by query, so repeated requests skip the work and share
//! the pre-serialised `tools/list` bytes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

use super::envelope::{Envelope, json_rpc_error};
use crate::auth::Caller;
use crate::call::{AppState, Mode, Scope};
use crate::filter::{Selection, ToolSet};

/// Most distinct `?services=` selections kept resolved.
const CACHE_LIMIT: usize = 256;

/// Resolves scopes against the server's state, with a cache.
#[derive(Debug)]
pub struct Scopes {
    state: Arc<AppState>,
    /// Tool sets by canonical query, so repeated requests skip resolution.
    cache: Mutex<HashMap<Vec<String>, Arc<ToolSet>>>,
}

impl Scopes {
    /// Scopes over this state's default scope and policy.
    pub fn new(state: Arc<AppState>) -> Self {
        Self {
            state,
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
        if services.is_empty() {
            return Ok(Scope {
                tools: default.tools.clone(),
                mode,
                caller,
            });
        }
        let key = services;
        if let Some(tools) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(Scope {
                tools,
                mode,
                caller,
            });
        }
        let selection = Selection::parse(&key).map_err(|e| e.to_string())?;
        let tools = ToolSet::new(selection, &self.state.policy);
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
