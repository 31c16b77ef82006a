//! Prometheus metrics, served at `GET /metrics` (text format 0.0.4).
//!
//! Names follow OpenTelemetry's MCP semantic conventions where they exist,
//! translated as Prometheus exporters do (dots become underscores, the unit
//! becomes a suffix): `mcp.server.operation.duration` (seconds) is
//! `mcp_server_operation_duration_seconds`, its attributes `mcp.method.name`,
//! `gen_ai.tool.name` and `error.type` are the labels `mcp_method_name`,
//! `gen_ai_tool_name` and `error_type`. The rest are this server's own,
//! prefixed `twilio_mcp_`.
//!
//! Every label value comes from a bounded set this server defines: MCP method
//! names from the protocol (anything else is `_other`), tool names from the
//! catalog and the discovery tools (anything else is `_unknown`), HTTP status
//! codes, JSON-RPC error codes, and fixed reason and rule names. Nothing a
//! client sends becomes a label as such.
//!
//! The registry is process-wide, so any module can count without plumbing
//! (the guardrails call [`guardrail_refused`]).

use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::catalog;
use crate::discover;

/// Label for a tool name that is not in the catalog.
pub const UNKNOWN_TOOL: &str = "_unknown";
/// Label for an MCP method this server does not know.
pub const OTHER_METHOD: &str = "_other";
/// Label of a request whose method could not be read (not JSON, not
/// JSON-RPC, body too large).
pub const INVALID_METHOD: &str = "_invalid";
/// Label when a request carries no tool (every method but `tools/call`).
pub const NO_TOOL: &str = "";

/// MCP methods counted under their own name (all of the protocol's requests
/// and notifications up to 2026-07-28); others count as [`OTHER_METHOD`].
const METHODS: &[&str] = &[
    "initialize",
    "ping",
    "server/discover",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
    "notifications/initialized",
    "notifications/cancelled",
    "notifications/progress",
    "notifications/roots/list_changed",
];

/// Seconds. Finer than OpenTelemetry's suggested buckets at the low end: a
/// `tools/list` answer takes tens of microseconds, a Twilio call hundreds of
/// milliseconds.
const DURATION_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0, 120.0,
];

/// The process-wide metrics.
struct Metrics {
    registry: Registry,
    operation_duration: HistogramVec,
    upstream_duration: HistogramVec,
    auth_failures: IntCounterVec,
    guardrail_refusals: IntCounterVec,
    in_flight: IntGauge,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

impl Metrics {
    fn new() -> Self {
        let registry = Registry::new();
        let operation_duration = HistogramVec::new(
            HistogramOpts::new(
                "mcp_server_operation_duration_seconds",
                "MCP requests handled over HTTP, by method, tool and error type (empty: success; \
                 tool_error: a result with isError; a JSON-RPC error code; an HTTP status for \
                 requests refused before MCP). The _count series counts requests.",
            )
            .buckets(DURATION_BUCKETS.to_vec()),
            &["mcp_method_name", "gen_ai_tool_name", "error_type"],
        )
        .expect("static metric definition");
        let upstream_duration = HistogramVec::new(
            HistogramOpts::new(
                "twilio_mcp_upstream_request_duration_seconds",
                "Requests to Twilio's API, by tool and HTTP status (timeout, connection or error \
                 when no answer came). The _count series counts requests.",
            )
            .buckets(DURATION_BUCKETS.to_vec()),
            &["gen_ai_tool_name", "http_response_status_code"],
        )
        .expect("static metric definition");
        let auth_failures = IntCounterVec::new(
            Opts::new(
                "twilio_mcp_auth_failures_total",
                "Requests to /mcp refused by authentication, by reason.",
            ),
            &["reason"],
        )
        .expect("static metric definition");
        let guardrail_refusals = IntCounterVec::new(
            Opts::new(
                "twilio_mcp_guardrail_refusals_total",
                "Tool calls refused by a guardrail, by rule.",
            ),
            &["rule"],
        )
        .expect("static metric definition");
        let in_flight = IntGauge::new(
            "twilio_mcp_requests_in_flight",
            "MCP requests over HTTP being handled now.",
        )
        .expect("static metric definition");
        let build_info = IntGaugeVec::new(
            Opts::new(
                "twilio_mcp_build_info",
                "Always 1: the server's version, the Twilio spec pin it was generated from, and \
                 its tool count.",
            ),
            &["version", "spec_pin", "tools"],
        )
        .expect("static metric definition");
        build_info
            .with_label_values(&[
                env!("CARGO_PKG_VERSION"),
                SPEC_PIN,
                &catalog::TOOL_COUNT.to_string(),
            ])
            .set(1);
        // Known reasons start at 0, so rate() has a series from the start.
        for reason in AUTH_FAILURE_REASONS {
            auth_failures.with_label_values(&[*reason]);
        }
        for collector in [
            Box::new(operation_duration.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(upstream_duration.clone()),
            Box::new(auth_failures.clone()),
            Box::new(guardrail_refusals.clone()),
            Box::new(in_flight.clone()),
            Box::new(build_info),
        ] {
            registry
                .register(collector)
                .expect("metric names are unique");
        }
        Self {
            registry,
            operation_duration,
            upstream_duration,
            auth_failures,
            guardrail_refusals,
            in_flight,
        }
    }
}

/// Where the tools come from: the pinned npm package and version, or
/// `custom` when built from `TWILIO_OPENAPI_DIR` (set by build.rs).
pub const SPEC_PIN: &str = env!("TWILIO_MCP_SPEC_PIN");

/// Creates the metrics now, so `/metrics` lists every family from the start.
pub fn init() {
    LazyLock::force(&METRICS);
}

/// The bounded label for an MCP method name.
pub fn method_label(method: &str) -> &'static str {
    METHODS
        .iter()
        .find(|m| **m == method)
        .copied()
        .unwrap_or(OTHER_METHOD)
}

/// The bounded label for a tool name: the catalog's or a discovery tool's
/// own name, else [`UNKNOWN_TOOL`].
pub fn tool_label(name: &str) -> &'static str {
    if let Some((_, tool)) = catalog::find(name) {
        return tool.name;
    }
    [discover::SEARCH, discover::DESCRIBE, discover::CALL]
        .into_iter()
        .find(|d| *d == name)
        .unwrap_or(UNKNOWN_TOOL)
}

/// The `error_type` label of a JSON-RPC error code: the code itself for the
/// protocol's codes, `jsonrpc_error` for any other.
pub fn jsonrpc_error_label(code: i64) -> &'static str {
    match code {
        -32700 => "-32700",
        -32600 => "-32600",
        -32601 => "-32601",
        -32602 => "-32602",
        -32603 => "-32603",
        -32002 => "-32002",
        -32020 => "-32020",
        -32022 => "-32022",
        _ => "jsonrpc_error",
    }
}

/// `error_type` of a result with `isError: true`.
pub const TOOL_ERROR: &str = "tool_error";

/// Counts one MCP request in flight until dropped.
#[must_use = "the request counts as in flight until the guard is dropped"]
pub struct InFlight(());

impl InFlight {
    /// Counts a request in flight, until the guard is dropped.
    pub fn start() -> Self {
        METRICS.in_flight.inc();
        Self(())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        METRICS.in_flight.dec();
    }
}

/// One handled MCP request. `error_type` is empty on success.
pub fn observe_operation(method: &str, tool: &str, error_type: &str, elapsed: Duration) {
    METRICS
        .operation_duration
        .with_label_values(&[method, tool, error_type])
        .observe(elapsed.as_secs_f64());
}

/// What came back from Twilio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamOutcome {
    /// An HTTP answer with this status.
    Status(http::StatusCode),
    /// No answer within `--upstream-timeout`.
    Timeout,
    /// No connection (DNS, refused, TLS).
    Connection,
    /// Any other failure to get an answer.
    Error,
}

impl UpstreamOutcome {
    fn label(self) -> &'static str {
        match self {
            // `StatusCode::as_str` borrows from `self`; the codes Twilio
            // answers with are a small set, so the label is interned.
            Self::Status(code) => status_label(code),
            Self::Timeout => "timeout",
            Self::Connection => "connection",
            Self::Error => "error",
        }
    }
}

/// A status code's three digits as a `'static` label.
pub fn status_label(code: http::StatusCode) -> &'static str {
    static LABELS: LazyLock<Vec<String>> =
        LazyLock::new(|| (100..1000).map(|c: u16| c.to_string()).collect());
    LABELS
        .get(usize::from(code.as_u16()).saturating_sub(100))
        .map_or("error", String::as_str)
}

/// One request to Twilio by `tool` (a catalog name).
pub fn observe_upstream(tool: &'static str, outcome: UpstreamOutcome, elapsed: Duration) {
    METRICS
        .upstream_duration
        .with_label_values(&[tool, outcome.label()])
        .observe(elapsed.as_secs_f64());
}

/// The reasons [`auth_failure`] is called with.
pub const AUTH_FAILURE_REASONS: &[&str] = &[
    "missing_signature",
    "invalid_signature",
    "body_hash_mismatch",
    "body_hash_required",
    "unreadable_body",
    "missing_credentials",
    "several_credentials",
    "bad_authorization_header",
    "invalid_key",
    "invalid_token",
    "insufficient_scope",
    "token_check_unavailable",
];

/// A request refused by authentication; `reason` is one of
/// [`AUTH_FAILURE_REASONS`].
pub fn auth_failure(reason: &'static str) {
    METRICS.auth_failures.with_label_values(&[reason]).inc();
}

/// A tool call refused by the guardrail `rule` (a fixed rule name, never
/// anything from the request).
pub fn guardrail_refused(rule: &'static str) {
    METRICS.guardrail_refusals.with_label_values(&[rule]).inc();
}

/// The Prometheus text exposition of every metric.
pub fn render() -> String {
    let mut out = Vec::new();
    let encoder = TextEncoder::new();
    if let Err(e) = encoder.encode(&METRICS.registry.gather(), &mut out) {
        tracing::warn!("cannot encode metrics: {e}");
    }
    String::from_utf8(out).unwrap_or_default()
}

/// The `Content-Type` of [`render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded() {
        assert_eq!(method_label("tools/call"), "tools/call");
        assert_eq!(method_label("tools/call\n"), OTHER_METHOD);
        assert_eq!(method_label("x".repeat(1000).as_str()), OTHER_METHOD);
        assert_eq!(
            tool_label("ApiV2010_CreateMessage"),
            "ApiV2010_CreateMessage"
        );
        assert_eq!(tool_label("call_twilio_tool"), "call_twilio_tool");
        assert_eq!(tool_label("ApiV2010_CreateMessage2"), UNKNOWN_TOOL);
        assert_eq!(tool_label(""), UNKNOWN_TOOL);
        assert_eq!(jsonrpc_error_label(-32602), "-32602");
        assert_eq!(jsonrpc_error_label(42), "jsonrpc_error");
        assert_eq!(status_label(http::StatusCode::NOT_FOUND), "404");
        assert_eq!(status_label(http::StatusCode::OK), "200");
    }

    #[test]
    fn render_has_every_family_and_counts() {
        init();
        observe_operation(
            "tools/call",
            "ApiV2010_FetchMessage",
            TOOL_ERROR,
            Duration::from_millis(3),
        );
        observe_upstream(
            "ApiV2010_FetchMessage",
            UpstreamOutcome::Status(http::StatusCode::NOT_FOUND),
            Duration::from_millis(2),
        );
        auth_failure("invalid_signature");
        guardrail_refused("unit_test_rule");
        let text = render();
        for family in [
            "# TYPE mcp_server_operation_duration_seconds histogram",
            "# TYPE twilio_mcp_upstream_request_duration_seconds histogram",
            "# TYPE twilio_mcp_auth_failures_total counter",
            "# TYPE twilio_mcp_guardrail_refusals_total counter",
            "# TYPE twilio_mcp_requests_in_flight gauge",
            "# TYPE twilio_mcp_build_info gauge",
        ] {
            assert!(text.contains(family), "{family} missing from\n{text}");
        }
        assert!(text.contains(
            "mcp_server_operation_duration_seconds_count{error_type=\"tool_error\",gen_ai_tool_name=\"ApiV2010_FetchMessage\",mcp_method_name=\"tools/call\"}"
        ));
        assert!(text.contains("twilio_mcp_guardrail_refusals_total{rule=\"unit_test_rule\"} 1"));
        assert!(text.contains(&format!(
            "twilio_mcp_build_info{{spec_pin=\"{SPEC_PIN}\",tools=\"{}\",version=\"{}\"}} 1",
            catalog::TOOL_COUNT,
            env!("CARGO_PKG_VERSION")
        )));
    }

    #[test]
    fn in_flight_goes_back_down() {
        init();
        let before = METRICS.in_flight.get();
        let guard = InFlight::start();
        assert_eq!(METRICS.in_flight.get(), before + 1);
        drop(guard);
        assert_eq!(METRICS.in_flight.get(), before);
    }
}
