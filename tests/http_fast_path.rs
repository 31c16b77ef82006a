//! The `tools/list` fast path answers byte for byte as rmcp does, and only
//! when rmcp would accept the request.

use axum::body::{Body, to_bytes};
use clap::Parser;
use http::{Request, StatusCode};
use tower::ServiceExt;
use twilio_mcp::cli::{Cli, Command};
use twilio_mcp::commands::serve::{build_state, http_options};
use twilio_mcp::transport::http::router;

fn app(fast: bool, extra_args: &[&str]) -> axum::Router {
    let mut argv = vec!["twilio-mcp", "serve"];
    argv.extend_from_slice(extra_args);
    let Command::Serve(args) = Cli::parse_from(argv).command else {
        panic!("serve expected")
    };
    let state = build_state(&args).expect("state");
    let mut options = http_options(&args).expect("options");
    options.fast_tools_list = fast;
    router(state, &options)
}

async fn post(
    app: axum::Router,
    uri: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut request = Request::post(uri)
        .header("host", "127.0.0.1:3000")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = app
        .oneshot(request.body(Body::from(body.to_string())).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let bytes = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// `(URI, JSON-RPC body, extra headers)`.
type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

#[tokio::test]
async fn fast_path_answers_exactly_as_rmcp() {
    let cases: &[Case] = &[
        (
            "/mcp",
            r#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#,
            &[],
        ),
        (
            "/mcp?services=Voice,Usage",
            r#"{"jsonrpc":"2.0","id":"a-1","method":"tools/list","params":{}}"#,
            &[],
        ),
        (
            "/mcp?mode=discover",
            r#"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#,
            &[("mcp-protocol-version", "2025-06-18")],
        ),
        (
            "/mcp?services=all",
            r#"{"jsonrpc":"2.0","id":4,"method":"tools/list"}"#,
            &[("mcp-protocol-version", "2025-11-25")],
        ),
    ];
    for (uri, body, headers) in cases {
        let fast = post(app(true, &[]), uri, body, headers).await;
        let rmcp = post(app(false, &[]), uri, body, headers).await;
        assert_eq!(fast.0, StatusCode::OK, "{uri}");
        assert_eq!(fast, rmcp, "{uri} {body}");
    }
}

#[tokio::test]
async fn unusual_requests_still_get_rmcp_checks() {
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    // A foreign Origin, an unknown protocol version, a second Accept: the
    // fast path steps aside and the answer is rmcp's.
    for (headers, status) in [
        (
            vec![("origin", "https://evil.example")],
            Some(StatusCode::FORBIDDEN),
        ),
        (
            vec![("mcp-protocol-version", "1999-01-01")],
            Some(StatusCode::BAD_REQUEST),
        ),
        (vec![("accept", "text/plain")], None),
        (vec![("mcp-protocol-version", "2026-07-28")], None),
    ] {
        let fast = post(app(true, &[]), "/mcp", body, &headers).await;
        let rmcp = post(app(false, &[]), "/mcp", body, &headers).await;
        assert_eq!(fast, rmcp, "{headers:?}");
        if let Some(status) = status {
            assert_eq!(fast.0, status, "{headers:?}");
        }
    }
    let request = Request::post("/mcp")
        .header("host", "evil.example")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(Body::from(body))
        .expect("request");
    let response = app(true, &[]).oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn policy_applies_to_the_fast_path() {
    let (_, text) = post(
        app(true, &["--read-only"]),
        "/mcp",
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
        &[],
    )
    .await;
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
    let tools = value["result"]["tools"].as_array().expect("tools");
    assert!(!tools.is_empty());
    assert!(
        tools
            .iter()
            .all(|t| t["annotations"]["readOnlyHint"] == true),
        "{text}"
    );
}
