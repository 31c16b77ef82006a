//! Streamable HTTP at `/mcp` (stateless, JSON responses) and `/healthz`.
//!
//! A request to `/mcp` passes these layers, outermost first, each with one
//! job (a layer that refuses answers at once, and nothing inside it runs):
//!
//! | layer | job | refuses with |
//! |---|---|---|
//! | [`trace`] | request id and span; one log line per POST | |
//! | timeout | the whole request's time limit | 408 |
//! | concurrency limit | requests handled at once; more wait | |
//! | [`authenticate`] (any method on) | one credential of a configured method, from the head; API keys and OAuth tokens checked here | 401, 400, 403, 503 |
//! | [`read_once`] | a POST's body, read once, bounded | 413, 400 |
//! | [`require_signature`] (signature on) | `X-Twilio-Signature` over the URL (and body), on those bytes | 403 |
//! | [`observe`] (POST) | metrics and the OpenTelemetry span of the message | |
//! | [`envelope`] (POST) | one JSON-RPC 2.0 object | 400 `-32700`/`-32600` |
//! | [`scope`] (POST) | `?services=`/`?mode=` → the request's [`Scope`], narrowed by the caller's restrictions; an OAuth token whose scopes exclude the called tool | 400 `-32602`, 403 |
//! | fast path (POST) | a plain `tools/list`, answered from bytes ([`fast_path`]) | |
//! | rmcp | Host, Origin, `Accept`, `Content-Type`, `MCP-Protocol-Version`; then [`TwilioMcp`] | 403, 406, 415, 400 |
//!
//! `/healthz` (liveness), `/readyz` (readiness, 503 while draining) and
//! `/metrics` (unless `--metrics-bind` moves it) sit beside `/mcp`, outside
//! its layers: no signature, no limits.
//!
//! Other methods than POST carry no message: they pass the body, envelope
//! and scope layers untouched and rmcp answers them (405 for `GET` and
//! `DELETE`). Stateless: no session, so any instance behind a load balancer
//! can answer any request.
//!
//! With OAuth configured, `GET /.well-known/oauth-protected-resource` (and
//! its `/mcp` path-suffixed form) serves the RFC 9728 metadata; without it
//! those paths do not exist.
//!
//! [`authenticate`]: crate::auth::authenticate
//! [`require_signature`]: crate::auth::require_signature
//! [`read_once`]: crate::http_body::read_once
//! [`fast_path`]: super::fast_path
//! [`Scope`]: crate::call::Scope

mod envelope;
mod observe;
mod scope;
mod trace;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post_service};
use http::StatusCode;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use tower::ServiceBuilder;
use tower::limit::ConcurrencyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use super::drain::{self, Drain};
use super::fast_path::{self, HostGate};
use crate::auth::{
    AuthConfig, KeyStore, OAuth, PublicBase, SignatureConfig, authenticate, require_signature,
};
use crate::call::{AppState, Scope};
use crate::http_body::read_once;
use crate::mcp::TwilioMcp;
use crate::metrics;
use crate::telemetry::Observation;
use envelope::Envelope;
use scope::Scopes;

/// HTTP-only settings.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// `None`: no signature check (loopback testing, or explicitly allowed).
    pub signature: Option<SignatureConfig>,
    /// Static bearer keys, when configured.
    pub keys: Option<Arc<KeyStore>>,
    /// The OAuth resource server, when configured.
    pub oauth: Option<Arc<OAuth>>,
    /// Where clients reach the server; its host is allowed in `Host`.
    pub public_base: Option<PublicBase>,
    /// Extra Host header values accepted (`*` accepts any).
    pub allowed_hosts: Vec<String>,
    /// Extra browser origins accepted besides loopback ones.
    pub allowed_origins: Vec<String>,
    /// Time limit of a whole request (then 408).
    pub request_timeout: Duration,
    /// Largest request body (then 413).
    pub max_body_bytes: usize,
    /// Requests handled at once.
    pub max_concurrency: usize,
    /// After SIGTERM, how long to keep serving (with `/readyz` answering 503)
    /// before the listener closes; see [`drain`](super::drain).
    pub drain_delay: Duration,
    /// Serve `/metrics` on its own listener at this address instead of on
    /// the main one.
    pub metrics_bind: Option<SocketAddr>,
    /// Answer plain `tools/list` requests from pre-serialised bytes (see
    /// [`fast_path`]); off only to compare with rmcp's own answer.
    pub fast_tools_list: bool,
}

/// The router: `/mcp`, `/healthz`, `/readyz` and (without `--metrics-bind`)
/// `/metrics`.
pub fn router(state: Arc<AppState>, options: &HttpOptions) -> Router {
    router_with(state, options, Drain::new())
}

/// The router, sharing `drain` with the shutdown sequence.
fn router_with(state: Arc<AppState>, options: &HttpOptions, drain: Arc<Drain>) -> Router {
    let (config, hosts) = rmcp_config(options);
    // One handler, cloned for each request: what it keeps (the fetched
    // account, the instructions) is shared.
    let handler = TwilioMcp::new(state.clone());
    let rmcp = StreamableHttpService::new(
        move || Ok(handler.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    let signature = options.signature.clone().map(Arc::new);
    let auth = Arc::new(AuthConfig {
        signature: signature.clone(),
        keys: options.keys.clone(),
        oauth: options.oauth.clone(),
    });
    // A POST carries one JSON-RPC message: what it is, what it may see,
    // and whether it is a plain tools/list answered here.
    let message = ServiceBuilder::new()
        .layer(from_fn(observe::observe))
        .layer(from_fn(envelope::check))
        .layer(from_fn(observe::start))
        .layer(from_fn_with_state(
            Arc::new(Scopes::new(state, options.oauth.clone())),
            scope::resolve,
        ))
        .layer(from_fn_with_state(
            Arc::new(options.fast_tools_list.then_some(hosts)),
            fast_tools_list,
        ))
        .service(rmcp.clone());
    let mcp = ServiceBuilder::new()
        .layer(from_fn(trace::trace))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            options.request_timeout,
        ))
        .layer(ConcurrencyLimitLayer::new(options.max_concurrency.max(1)))
        .option_layer(
            auth.is_configured()
                .then(|| from_fn_with_state(auth.clone(), authenticate)),
        )
        .layer(from_fn_with_state(options.max_body_bytes, read_once))
        .option_layer(signature.map(|cfg| from_fn_with_state(cfg, require_signature)))
        .service(post_service(message).fallback_service(rmcp));
    let mut router = Router::new()
        .route_service("/mcp", mcp)
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(drain::readyz).with_state(drain.clone()));
    // RFC 9728 metadata, only when OAuth is configured: clients that find
    // it switch to OAuth and stop sending their configured headers.
    if let Some(oauth) = &options.oauth {
        for path in oauth.metadata_paths() {
            let oauth = oauth.clone();
            router = router.route(
                path,
                get(move || {
                    let oauth = oauth.clone();
                    async move { oauth.metadata_response() }
                }),
            );
        }
    }
    let router = if options.metrics_bind.is_none() {
        router.route("/metrics", get(metrics_endpoint))
    } else {
        router
    };
    router.layer(from_fn_with_state(drain, drain::close_while_draining))
}

/// `GET /metrics`: the Prometheus text format. Never behind the signature
/// check (Prometheus cannot sign); keep it private with `--metrics-bind`.
async fn metrics_endpoint() -> Response {
    (
        [(http::header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        metrics::render(),
    )
        .into_response()
}

/// The router of the `--metrics-bind` listener.
fn metrics_router() -> Router {
    Router::new()
        .route("/metrics", get(metrics_endpoint))
        .route("/healthz", get(|| async { "ok" }))
}

/// rmcp's settings, and the `Host` values it accepts (which the fast path
/// then answers).
fn rmcp_config(options: &HttpOptions) -> (StreamableHttpServerConfig, HostGate) {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_max_request_body_bytes(options.max_body_bytes)
        .with_allowed_origins(allowed_origins(&options.allowed_origins))
        .enforce_origin_validation();
    if options.allowed_hosts.iter().any(|h| h == "*") {
        return (config.disable_allowed_hosts(), HostGate::Any);
    }
    let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    hosts.extend(options.allowed_hosts.iter().cloned());
    if let Some(base) = &options.public_base {
        hosts.push(base.authority().to_string());
        if let Some((host, _port)) = base.authority().rsplit_once(':') {
            hosts.push(host.to_string());
        }
    }
    (
        config.with_allowed_hosts(hosts.clone()),
        HostGate::Listed(hosts),
    )
}

/// Layer: a plain `tools/list` answered from the scope's pre-serialised
/// bytes ([`fast_path::http_answer`]); anything else goes on to rmcp, and
/// everything when the fast path is off (`None`).
async fn fast_tools_list(
    State(hosts): State<Arc<Option<HostGate>>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(hosts) = hosts.as_ref()
        && let (Some(envelope), Some(scope)) = (
            request.extensions().get::<Envelope>(),
            request.extensions().get::<Scope>(),
        )
        && envelope.method() == Some("tools/list")
        && let Some(response) = fast_path::http_answer(request.headers(), &envelope.0, scope, hosts)
    {
        if let Some(observation) = request.extensions().get::<Arc<Observation>>() {
            observation.set_error_type("");
        }
        return response;
    }
    next.run(request).await
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

/// Serves until SIGINT/SIGTERM (after the drain for SIGTERM, see
/// [`drain`](super::drain)), then lets in-flight requests finish.
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
    metrics::init();
    let metrics_server = match options.metrics_bind {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
                format!("cannot listen on {addr} for /metrics: {e}; pick another --metrics-bind")
            })?;
            let local = listener
                .local_addr()
                .map_err(|e| format!("cannot read the metrics address: {e}"))?;
            tracing::info!(url = %format!("http://{local}/metrics"), "serving metrics");
            Some(tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, metrics_router()).await {
                    tracing::warn!("the metrics listener failed: {e}");
                }
            }))
        }
        None => {
            if !options.bind.ip().is_loopback() {
                tracing::info!(
                    "/metrics is served on the main port: keep it private with --metrics-bind \
                     (an address only Prometheus reaches) or block it at your proxy"
                );
            }
            None
        }
    };
    let drain = Drain::new();
    let listener = drain
        .listener(listener)
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    let app = router_with(state, &options, drain.clone());
    let methods = AuthConfig {
        signature: options.signature.clone().map(Arc::new),
        keys: options.keys.clone(),
        oauth: options.oauth.clone(),
    }
    .methods();
    tracing::info!(
        url = %format!("http://{local}/mcp"),
        signature = if options.signature.is_some() { "required" } else { "off" },
        authentication = %if methods.is_empty() { "none".to_string() } else { methods.join(", ") },
        "serving MCP over Streamable HTTP"
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(drain::shutdown(drain, options.drain_delay))
        .await
        .map_err(|e| format!("HTTP server failed: {e}"))?;
    if let Some(task) = metrics_server {
        task.abort();
    }
    tracing::info!("stopped: in-flight requests finished");
    Ok(())
}
