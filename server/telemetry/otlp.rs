//! OpenTelemetry traces over OTLP/HTTP (protobuf), following the MCP
//! semantic conventions: one SERVER span per MCP request named
//! `{mcp.method.name} {gen_ai.tool.name}`, one CLIENT child span per request
//! to Twilio. The parent comes from W3C trace context in the request's
//! `params._meta` (`traceparent`, `tracestate`), else from the HTTP headers.
//!
//! Configured by `--otlp-endpoint` (or the standard `OTEL_EXPORTER_OTLP_ENDPOINT`
//! / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); the SDK reads the other standard
//! variables itself (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,
//! `OTEL_TRACES_SAMPLER[_ARG]`, `OTEL_EXPORTER_OTLP_HEADERS`,
//! `OTEL_EXPORTER_OTLP_TIMEOUT`, `OTEL_BSP_*`). Spans are exported in batches
//! from the SDK's own thread; a slow or absent collector never delays a request.

use std::sync::OnceLock;

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use serde_json::Value;

use super::{RequestInfo, truncate};
use crate::catalog::Tool;
use crate::metrics::UpstreamOutcome;

/// The tracer, once traces are on.
pub struct Tracing {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
    pub trace_arguments: bool,
}

static TRACING: OnceLock<Tracing> = OnceLock::new();

pub fn get() -> Option<&'static Tracing> {
    TRACING.get()
}

/// Where traces go, from the flag or the standard variables; `None`: off.
pub fn configured_endpoint(flag: Option<&str>) -> Result<Option<String>, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    if var("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Ok(None);
    }
    match var("OTEL_TRACES_EXPORTER").as_deref() {
        None | Some("otlp") => {}
        Some("none") => return Ok(None),
        Some(other) => {
            return Err(format!(
                "OTEL_TRACES_EXPORTER={other} is not supported: this server exports traces over \
                 OTLP only (otlp, or none to turn them off)"
            ));
        }
    }
    for name in [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ] {
        if let Some(protocol) = var(name)
            && protocol != "http/protobuf"
        {
            return Err(format!(
                "{name}={protocol} is not supported: this server sends OTLP over HTTP with \
                 protobuf (http/protobuf, port 4318 by default)"
            ));
        }
    }
    if let Some(base) = flag.map(str::trim).filter(|s| !s.is_empty()) {
        let url = url::Url::parse(base).map_err(|e| {
            format!("--otlp-endpoint is not a URL ({e}): use e.g. http://127.0.0.1:4318")
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("--otlp-endpoint must start with http:// or https://".into());
        }
        // Like OTEL_EXPORTER_OTLP_ENDPOINT: a base URL, the signal path appended.
        return Ok(Some(format!("{}/v1/traces", base.trim_end_matches('/'))));
    }
    Ok(var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
}

/// Turns traces on, exporting to `endpoint` (a full `/v1/traces` URL).
pub fn init(endpoint: &str, trace_arguments: bool) -> Result<(), String> {
    // The exporter's HTTP client is reqwest on rustls, like the Twilio client.
    crate::twilio::install_crypto_provider();
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(endpoint)
        .build()
        .map_err(|e| format!("cannot set up the OTLP exporter for {endpoint}: {e}"))?;
    let mut resource = Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name("twilio-mcp");
    }
    let resource = resource
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build();
    let tracer = provider.tracer("twilio-mcp");
    TRACING
        .set(Tracing {
            provider,
            tracer,
            trace_arguments,
        })
        .map_err(|_| "traces were already set up".to_string())
}

/// Exports the spans still buffered; call once, at exit.
pub fn shutdown() {
    if let Some(tracing) = get()
        && let Err(e) = tracing.provider.shutdown()
    {
        tracing::warn!("exporting the last spans failed: {e}");
    }
}

/// The MCP request's span, in its context (children hang from it).
pub struct RequestSpan {
    cx: Context,
}

impl std::fmt::Debug for RequestSpan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestSpan")
    }
}

impl Tracing {
    pub(super) fn start_request(&self, request: &RequestInfo<'_>) -> RequestSpan {
        let propagator = TraceContextPropagator::new();
        let meta = request
            .envelope
            .pointer("/params/_meta")
            .and_then(Value::as_object);
        let parent = match meta {
            Some(meta) if meta.get("traceparent").is_some_and(Value::is_string) => {
                propagator.extract(&MetaExtractor(meta))
            }
            _ => propagator.extract(&HeaderExtractor(request.headers)),
        };
        let name = if request.tool.is_empty() {
            request.method.to_string()
        } else {
            format!("{} {}", request.method, request.tool)
        };
        let mut attributes = vec![
            KeyValue::new("mcp.method.name", request.method),
            KeyValue::new("network.transport", "tcp"),
            KeyValue::new("network.protocol.name", "http"),
        ];
        if !request.tool.is_empty() {
            attributes.push(KeyValue::new("gen_ai.tool.name", request.tool));
            attributes.push(KeyValue::new("gen_ai.operation.name", "execute_tool"));
        }
        match request.envelope.get("id") {
            Some(Value::String(id)) => {
                attributes.push(KeyValue::new(
                    "jsonrpc.request.id",
                    truncate(id).to_string(),
                ));
            }
            Some(Value::Number(id)) => {
                attributes.push(KeyValue::new("jsonrpc.request.id", id.to_string()));
            }
            _ => {}
        }
        if let Some(version) = request
            .headers
            .get("mcp-protocol-version")
            .and_then(|v| v.to_str().ok())
            && version.len() <= 16
        {
            attributes.push(KeyValue::new("mcp.protocol.version", version.to_string()));
        }
        if self.trace_arguments
            && let Some(arguments) = request.envelope.pointer("/params/arguments")
        {
            let text = arguments.to_string();
            attributes.push(KeyValue::new(
                "gen_ai.tool.call.arguments",
                truncate(&text).to_string(),
            ));
        }
        let span = self
            .tracer
            .span_builder(name)
            .with_kind(SpanKind::Server)
            .with_attributes(attributes)
            .start_with_context(&self.tracer, &parent);
        RequestSpan {
            cx: parent.with_span(span),
        }
    }
}

impl RequestSpan {
    /// Ends the span; `error_type` empty means success.
    pub(super) fn end(self, error_type: &str, result: Option<&str>) {
        let span = self.cx.span();
        if !error_type.is_empty() {
            span.set_attribute(KeyValue::new("error.type", error_type.to_string()));
            if error_type.starts_with('-') {
                span.set_attribute(KeyValue::new(
                    "rpc.response.status_code",
                    error_type.to_string(),
                ));
            }
            span.set_status(Status::error(error_type.to_string()));
        }
        if let Some(result) = result {
            span.set_attribute(KeyValue::new("gen_ai.tool.call.result", result.to_string()));
        }
        span.end();
    }

    /// A CLIENT span for a request to Twilio, child of this one.
    pub(super) fn upstream(&self, tool: &'static Tool, url: &str) -> UpstreamSpan {
        let Some(tracing) = get() else {
            return UpstreamSpan { cx: None };
        };
        let method = tool.method.as_str();
        let mut attributes = vec![
            KeyValue::new("http.request.method", method),
            KeyValue::new("url.template", tool.path),
            KeyValue::new("gen_ai.tool.name", tool.name),
        ];
        if let Ok(parsed) = url::Url::parse(url) {
            if let Some(host) = parsed.host_str() {
                attributes.push(KeyValue::new("server.address", host.to_string()));
            }
            if let Some(port) = parsed.port_or_known_default() {
                attributes.push(KeyValue::new("server.port", i64::from(port)));
            }
        }
        let span = tracing
            .tracer
            .span_builder(method)
            .with_kind(SpanKind::Client)
            .with_attributes(attributes)
            .start_with_context(&tracing.tracer, &self.cx);
        UpstreamSpan {
            cx: Some(self.cx.with_span(span)),
        }
    }
}

/// The span of one request to Twilio.
pub struct UpstreamSpan {
    cx: Option<Context>,
}

impl UpstreamSpan {
    pub(super) fn end(self, outcome: UpstreamOutcome) {
        let Some(cx) = self.cx else { return };
        let span = cx.span();
        match outcome {
            UpstreamOutcome::Status(code) => {
                span.set_attribute(KeyValue::new(
                    "http.response.status_code",
                    i64::from(code.as_u16()),
                ));
                if code.as_u16() >= 400 {
                    span.set_attribute(KeyValue::new("error.type", code.as_str().to_string()));
                    span.set_status(Status::error(code.as_str().to_string()));
                }
            }
            UpstreamOutcome::Timeout | UpstreamOutcome::Connection | UpstreamOutcome::Error => {
                let kind = match outcome {
                    UpstreamOutcome::Timeout => "timeout",
                    UpstreamOutcome::Connection => "connection",
                    _ => "error",
                };
                span.set_attribute(KeyValue::new("error.type", kind));
                span.set_status(Status::error(kind));
            }
        }
        span.end();
    }
}

/// W3C trace context from `params._meta`.
struct MetaExtractor<'a>(&'a serde_json::Map<String, Value>);

impl Extractor for MetaExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

/// W3C trace context from the HTTP headers.
struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_trace_context_is_read() {
        let meta = serde_json::json!({
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        });
        let cx = TraceContextPropagator::new()
            .extract(&MetaExtractor(meta.as_object().expect("object")));
        let sc = cx.span().span_context().clone();
        assert!(sc.is_valid());
        assert_eq!(
            sc.trace_id().to_string(),
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert_eq!(sc.span_id().to_string(), "b7ad6b7169203331");
    }

    #[test]
    fn a_malformed_traceparent_starts_a_new_trace() {
        let meta = serde_json::json!({"traceparent": "garbage"});
        let cx = TraceContextPropagator::new()
            .extract(&MetaExtractor(meta.as_object().expect("object")));
        assert!(!cx.span().span_context().is_valid());
    }

    #[test]
    fn endpoint_from_the_flag_gets_the_signal_path() {
        assert_eq!(
            configured_endpoint(Some("http://127.0.0.1:4318/")).expect("ok"),
            Some("http://127.0.0.1:4318/v1/traces".to_string())
        );
        assert!(configured_endpoint(Some("ftp://x")).is_err());
        assert!(configured_endpoint(Some("not a url")).is_err());
    }
}
