//! What one MCP request over HTTP did, for metrics and traces.
//!
//! The HTTP layer creates an [`Observation`] per request and leaves it in
//! the request's extensions; the MCP handler reports the outcome of a tool
//! call into it (`tool_error`, a JSON-RPC code) and runs the call pipeline
//! with it as a task-local, so the pipeline's request to Twilio is timed and
//! traced as a child of the request ([`upstream`]). Once the response is
//! ready the HTTP layer observes the duration and, when traces are on, ends
//! the request's span.
//!
//! Traces (OpenTelemetry over OTLP/HTTP, the `otlp` cargo feature) are off
//! unless an endpoint is configured; then starting a span is a single load
//! of a `OnceLock`, and no span, context or attribute is built.

use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use http::HeaderMap;
use rmcp::ErrorData as McpError;
use rmcp::model::CallToolResult;
use serde_json::Value;

use crate::catalog::Tool;
use crate::metrics::{self, UpstreamOutcome};

#[cfg(feature = "otlp")]
pub(crate) mod otlp;

tokio::task_local! {
    /// The observation of the HTTP request whose tool call runs now.
    static CURRENT: Arc<Observation>;
}

/// Runs `f` (a tool call) with `observation` as the current one.
pub(crate) async fn with_observation<F: Future>(
    observation: Option<Arc<Observation>>,
    f: F,
) -> F::Output {
    match observation {
        Some(observation) => CURRENT.scope(observation, f).await,
        None => f.await,
    }
}

/// Times one request to Twilio: the metric always, a child span of the
/// current request's span when traces are on.
pub(crate) fn upstream(tool: &'static Tool, url: &str) -> UpstreamCall {
    CURRENT
        .try_with(|observation| observation.upstream(tool, url))
        .unwrap_or_else(|_| UpstreamCall {
            tool: tool.name,
            started: Instant::now(),
            #[cfg(feature = "otlp")]
            span: None,
        })
}

/// One request's outcome and, when traces are on, its span.
#[derive(Debug, Default)]
pub(crate) struct Observation {
    /// `mcp_method_name` and `gen_ai_tool_name`, once the envelope is read.
    labels: OnceLock<(&'static str, &'static str)>,
    error_type: OnceLock<&'static str>,
    /// Result text for `--trace-arguments`, only recorded when traces are on
    /// and that flag is set.
    result: OnceLock<String>,
    #[cfg(feature = "otlp")]
    span: Mutex<Option<otlp::RequestSpan>>,
    #[cfg(not(feature = "otlp"))]
    _span: Mutex<()>,
}

impl Observation {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Reports a tool call's outcome: `tool_error` for a result with
    /// `isError`, the JSON-RPC code of a protocol error; with
    /// `--trace-arguments`, the result text for the span.
    pub fn record_outcome(&self, result: &Result<CallToolResult, McpError>) {
        match result {
            Ok(r) if r.is_error == Some(true) => self.set_error_type(metrics::TOOL_ERROR),
            Ok(_) => self.set_error_type(""),
            Err(e) => self.set_error_type(metrics::jsonrpc_error_label(i64::from(e.code.0))),
        }
        if let Ok(r) = result
            && record_arguments()
        {
            let text: Vec<&str> = r
                .content
                .iter()
                .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
                .collect();
            self.set_result_text(&text.join("\n"));
        }
    }

    /// Names the request by its bounded labels (method, tool).
    pub fn set_labels(&self, method: &'static str, tool: &'static str) {
        let _ = self.labels.set((method, tool));
    }

    /// The labels, when the envelope was read.
    pub fn labels(&self) -> Option<(&'static str, &'static str)> {
        self.labels.get().copied()
    }

    /// The verdict on the request (empty: success; `tool_error`, a JSON-RPC
    /// code); the first one set counts, and the answer is not looked into.
    pub fn set_error_type(&self, error_type: &'static str) {
        let _ = self.error_type.set(error_type);
    }

    pub fn error_type(&self) -> Option<&'static str> {
        self.error_type.get().copied()
    }

    /// Keeps the result text for the span (only with `--trace-arguments`).
    pub fn set_result_text(&self, text: &str) {
        if record_arguments() {
            let _ = self.result.set(truncate(text).to_string());
        }
    }

    /// Starts the request's span (a no-op when traces are off).
    #[cfg_attr(not(feature = "otlp"), allow(unused_variables))]
    pub fn start_span(&self, request: &RequestInfo<'_>) {
        #[cfg(feature = "otlp")]
        if let Some(tracing) = otlp::get()
            && let Ok(mut span) = self.span.lock()
        {
            *span = Some(tracing.start_request(request));
        }
    }

    /// Ends the request's span with its outcome (a no-op when traces are off).
    #[cfg_attr(not(feature = "otlp"), allow(unused_variables))]
    pub fn end_span(&self, error_type: &str) {
        #[cfg(feature = "otlp")]
        if let Ok(mut span) = self.span.lock()
            && let Some(span) = span.take()
        {
            span.end(error_type, self.result.get().map(String::as_str));
        }
    }

    /// Times one request to Twilio: the metric always, a child span of the
    /// request's span when traces are on.
    #[cfg_attr(not(feature = "otlp"), allow(unused_variables))]
    fn upstream(&self, tool: &'static Tool, url: &str) -> UpstreamCall {
        UpstreamCall {
            tool: tool.name,
            started: Instant::now(),
            #[cfg(feature = "otlp")]
            span: self
                .span
                .lock()
                .ok()
                .and_then(|s| s.as_ref().map(|s| s.upstream(tool, url))),
        }
    }
}

/// What the request's span is made of, read from the JSON-RPC envelope and
/// the HTTP head. Labels are already bounded ([`metrics::method_label`],
/// [`metrics::tool_label`]).
#[cfg_attr(not(feature = "otlp"), allow(dead_code))]
pub(crate) struct RequestInfo<'a> {
    pub method: &'static str,
    pub tool: &'static str,
    pub envelope: &'a Value,
    pub headers: &'a HeaderMap,
}

/// A request to Twilio being timed.
pub(crate) struct UpstreamCall {
    tool: &'static str,
    started: Instant,
    #[cfg(feature = "otlp")]
    span: Option<otlp::UpstreamSpan>,
}

impl UpstreamCall {
    /// Records the outcome: the metric, and the span's status and end.
    pub fn finish(self, outcome: UpstreamOutcome) {
        let elapsed: Duration = self.started.elapsed();
        metrics::observe_upstream(self.tool, outcome, elapsed);
        #[cfg(feature = "otlp")]
        if let Some(span) = self.span {
            span.end(outcome);
        }
    }
}

/// Whether spans carry tool arguments and results (`--trace-arguments`).
pub(crate) fn record_arguments() -> bool {
    #[cfg(feature = "otlp")]
    {
        otlp::get().is_some_and(|t| t.trace_arguments)
    }
    #[cfg(not(feature = "otlp"))]
    {
        false
    }
}

/// Longest argument or result text put in a span.
pub(crate) const MAX_RECORDED_BYTES: usize = 8 * 1024;

fn truncate(text: &str) -> &str {
    if text.len() <= MAX_RECORDED_BYTES {
        return text;
    }
    let mut end = MAX_RECORDED_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_on_a_char_boundary() {
        let long = "é".repeat(MAX_RECORDED_BYTES);
        let cut = truncate(&long);
        assert!(cut.len() <= MAX_RECORDED_BYTES);
        assert!(cut.len() >= MAX_RECORDED_BYTES - 1);
        assert_eq!(truncate("short"), "short");
    }

    #[test]
    fn first_error_type_wins() {
        let obs = Observation::new();
        assert_eq!(obs.error_type(), None);
        obs.set_error_type("tool_error");
        obs.set_error_type("-32602");
        assert_eq!(obs.error_type(), Some("tool_error"));
    }
}
