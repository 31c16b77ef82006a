//! Streamable HTTP at `/mcp` (stateless, JSON responses) and `/healthz`.
//!
//! Requests to `/mcp` pass, outermost first: a timeout (408), a concurrency
//! limit, the `X-Twilio-Signature` check when configured (401/403/413), and
//! the scope layer, which reads the body once (bounded, 413), logs one line
//! per request, and resolves `?services=` / `?mode=` into a [`Scope`] for the
//! handler (400 with a JSON-RPC error for an unknown service). rmcp then
//! validates Host, Origin, `Accept`, `Content-Type` and `MCP-Protocol-Version`
//! and runs the [`TwilioMcp`] handler. Stateless: no session, so any instance
//! behind a load balancer can answer any request; `GET`/`DELETE /mcp` get 405.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{Method, StatusCode};
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::{Value, json};
use tower::ServiceBuilder;
use tower::limit::ConcurrencyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::auth::{PublicBase, SignatureConfig, require_signature};
use crate::call::{AppState, Mode, Scope};
use crate::filter::{Selection, ToolSet};
use crate::listing;
use crate::mcp::TwilioMcp;
use crate::transport::body::read_body;

/// HTTP-only settings.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub bind: SocketAddr,
    /// `None`: no signature check (loopback testing, or explicitly allowed).
    pub signature: Option<SignatureConfig>,
    /// Where clients reach the server; its host is allowed in `Host`.
    pub public_base: Option<PublicBase>,
    /// Extra Host header values accepted (`*` accepts any).
    pub allowed_hosts: Vec<String>,
    /// Extra browser origins accepted besides loopback ones.
    pub allowed_origins: Vec<String>,
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    pub max_concurrency: usize,
    /// Answer plain `tools/list` requests from pre-serialised bytes (see
    /// [`fast_tools_list`]); off only to compare with rmcp's own answer.
    pub fast_tools_list: bool,
}

/// What the scope layer needs.
#[derive(Debug)]
struct ScopeContext {
    state: Arc<AppState>,
    max_body_bytes: usize,
    /// Tool sets by canonical query, so repeated requests skip resolution.
    cache: Mutex<HashMap<Vec<String>, Arc<ToolSet>>>,
    /// The fast path's `Host` allow-list, the same list rmcp checks
    /// (inner `None`: any host); outer `None` turns the fast path off.
    fast_path_hosts: Option<Option<Vec<String>>>,
}

/// Most distinct `?services=` selections kept resolved.
const SCOPE_CACHE_LIMIT: usize = 256;

/// The router: `/mcp` and `/healthz`.
pub fn router(state: Arc<AppState>, options: &HttpOptions) -> Router {
    let mut config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_max_request_body_bytes(options.max_body_bytes)
        .with_allowed_origins(allowed_origins(&options.allowed_origins))
        .enforce_origin_validation();
    let mut fast_hosts = None;
    if options.allowed_hosts.iter().any(|h| h == "*") {
        config = config.disable_allowed_hosts();
    } else {
        let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
        hosts.extend(options.allowed_hosts.iter().cloned());
        if let Some(base) = &options.public_base {
            hosts.push(base.authority().to_string());
            if let Some((host, _port)) = base.authority().rsplit_once(':') {
                hosts.push(host.to_string());
            }
        }
        fast_hosts = Some(hosts.clone());
        config = config.with_allowed_hosts(hosts);
    }
    let handler_state = state.clone();
    let mcp_service = StreamableHttpService::new(
        move || Ok(TwilioMcp::new(handler_state.clone())),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    let scope = Arc::new(ScopeContext {
        state,
        max_body_bytes: options.max_body_bytes,
        cache: Mutex::new(HashMap::new()),
        fast_path_hosts: options.fast_tools_list.then_some(fast_hosts),
    });
    let signature = options
        .signature
        .clone()
        .map(|cfg| from_fn_with_state(Arc::new(cfg), require_signature));
    let mcp = ServiceBuilder::new()
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            options.request_timeout,
        ))
        .layer(ConcurrencyLimitLayer::new(options.max_concurrency.max(1)))
        .option_layer(signature)
        .layer(from_fn_with_state(scope, scope_layer))
        .service(mcp_service);
    Router::new()
        .route_service("/mcp", mcp)
        .route("/healthz", get(|| async { "ok" }))
}

/// Loopback origins (any port) are always allowed: a local browser client
/// is as trusted as the local user. Others must be configured.
fn allowed_origins(extra: &[String]) -> Vec<String> {
    let mut origins: Vec<String> = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    origins.extend(extra.iter().cloned());
    origins
}

/// Serves until SIGINT/SIGTERM, then lets in-flight requests finish.
pub async fn serve(state: Arc<AppState>, options: HttpOptions) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(options.bind)
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {}: {e}; pick another address with --bind",
                options.bind
            )
        })?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    let app = router(state, &options);
    tracing::info!(
        url = %format!("http://{local}/mcp"),
        signature = if options.signature.is_some() { "required" } else { "off" },
        "serving MCP over Streamable HTTP"
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("HTTP server failed: {e}"))?;
    tracing::info!("stopped: in-flight requests finished");
    Ok(())
}

/// Resolves when SIGINT or SIGTERM arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

static REQUEST_IDS: AtomicU64 = AtomicU64::new(1);

/// Reads the body once, resolves the scope from the query, logs the request.
async fn scope_layer(State(ctx): State<Arc<ScopeContext>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = REQUEST_IDS.fetch_add(1, Ordering::Relaxed);
    let (mut parts, body) = req.into_parts();
    if parts.method != Method::POST {
        // rmcp answers GET/DELETE with 405 (no server-initiated streams).
        let response = next.run(Request::from_parts(parts, body)).await;
        return response;
    }
    let bytes = match read_body(body, &parts.headers, ctx.max_body_bytes).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(
                request_id,
                status = e.status().as_u16(),
                "mcp request rejected: {}",
                e.message()
            );
            return e.into_response();
        }
    };
    // JSON-RPC errors for what is not a request at all, before rmcp (which
    // answers such bodies with a plain-text 415).
    let envelope: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            tracing::info!(
                request_id,
                status = 400,
                "mcp request rejected: body is not JSON"
            );
            return json_rpc_error(Value::Null, -32700, &format!("parse error: {e}"));
        }
    };
    if !envelope.is_object() || envelope.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        let message = if envelope.is_array() {
            "invalid request: JSON-RPC batches are not supported"
        } else {
            "invalid request: expected a JSON-RPC 2.0 object"
        };
        tracing::info!(request_id, status = 400, "mcp request rejected: {message}");
        return json_rpc_error(Value::Null, -32600, message);
    }
    let envelope = Some(envelope);
    let rpc_id = envelope.as_ref().and_then(|v| v.get("id")).cloned();
    let rpc_method = envelope
        .as_ref()
        .and_then(|v| v.get("method"))
        .and_then(Value::as_str)
        .unwrap_or("-")
        .to_string();
    let tool = envelope
        .as_ref()
        .and_then(|v| v.pointer("/params/name"))
        .and_then(Value::as_str)
        .unwrap_or("-")
        .to_string();

    let scope = match resolve_scope(&ctx, parts.uri.query().unwrap_or(""), request_id) {
        Ok(scope) => scope,
        Err(message) => {
            tracing::info!(
                request_id,
                rpc_method,
                status = 400,
                "mcp request rejected: {message}"
            );
            return json_rpc_error(rpc_id.unwrap_or(Value::Null), -32602, &message);
        }
    };
    if rpc_method == "tools/list"
        && let Some(hosts) = &ctx.fast_path_hosts
        && let Some(response) = fast_tools_list(&parts, envelope.as_ref(), &scope, hosts.as_deref())
    {
        tracing::info!(
            request_id,
            rpc_method,
            status = 200,
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "mcp request"
        );
        return response;
    }
    parts.extensions.insert(scope);
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    tracing::info!(
        request_id,
        rpc_method,
        tool,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "mcp request"
    );
    response
}

/// The `tools/list` answer from bytes serialised once per tool set.
///
/// Building and serialising the tool definitions on every request costs far
/// more than the transport: this answers the common request exactly as rmcp
/// would (a test compares the bytes), and only when rmcp would surely accept
/// it. Anything unusual (an `Origin` header, a `Host` not literally allowed,
/// other `Accept`/`Content-Type`, a newer protocol version, a cursor or
/// `_meta`) returns `None` and goes through rmcp with all its checks.
fn fast_tools_list(
    parts: &http::request::Parts,
    envelope: Option<&Value>,
    scope: &Scope,
    allowed_hosts: Option<&[String]>,
) -> Option<Response> {
    // One value per header, or rmcp decides.
    let header = |name: &str| {
        let mut values = parts.headers.get_all(name).iter();
        let first = values.next()?;
        values
            .next()
            .is_none()
            .then(|| first.to_str().ok())
            .flatten()
    };
    if parts.headers.contains_key(http::header::ORIGIN) {
        return None;
    }
    let accept = header("accept")?;
    if !(accept.contains("application/json") && accept.contains("text/event-stream")) {
        return None;
    }
    if !header("content-type")?.starts_with("application/json") {
        return None;
    }
    if let Some(version) = parts.headers.get("mcp-protocol-version") {
        let version = version.to_str().ok()?;
        if !listing::PLAIN_RESULT_VERSIONS.contains(&version) {
            return None;
        }
    }
    if let Some(hosts) = allowed_hosts {
        let host = header("host")?;
        let bare = match host.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
            _ => host,
        };
        let bare = bare.trim_start_matches('[').trim_end_matches(']');
        if !hosts.iter().any(|h| h == host || h == bare) {
            return None;
        }
    }
    let id = listing::plain_request_id(envelope?)?;
    let body = listing::answer(id, &listing::result_json(scope));
    Some(
        (
            [(http::header::CONTENT_TYPE, "application/json")],
            Body::from(body),
        )
            .into_response(),
    )
}

/// HTTP 400 carrying a JSON-RPC error object.
fn json_rpc_error(id: Value, code: i64, message: &str) -> Response {
    let body = json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}});
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

/// `?services=…&mode=…` → the request's scope; an unknown name is an error.
fn resolve_scope(ctx: &ScopeContext, query: &str, request_id: u64) -> Result<Scope, String> {
    let mut services: Vec<String> = Vec::new();
    let mut mode = None;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            // `services=` with nothing selects nothing: the default applies.
            "services" | "service" if !value.trim().is_empty() => services.push(value.into_owned()),
            "services" | "service" => {}
            "mode" => {
                mode = Some(Mode::parse(&value).ok_or_else(|| {
                    format!("unknown mode `{value}`: valid modes are tools, discover")
                })?);
            }
            _ => {}
        }
    }
    let default = &ctx.state.default_scope;
    let mode = mode.unwrap_or(default.mode);
    if services.is_empty() {
        return Ok(Scope {
            tools: default.tools.clone(),
            mode,
            request_id: Some(request_id),
        });
    }
    let key = services;
    if let Some(tools) = ctx.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(Scope {
            tools,
            mode,
            request_id: Some(request_id),
        });
    }
    let selection = Selection::parse(&key).map_err(|e| e.to_string())?;
    let tools = ToolSet::new(selection, &ctx.state.policy);
    if let Ok(mut cache) = ctx.cache.lock() {
        if cache.len() >= SCOPE_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, tools.clone());
    }
    Ok(Scope {
        tools,
        mode,
        request_id: Some(request_id),
    })
}
