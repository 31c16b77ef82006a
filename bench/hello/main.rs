//! Two tiny loopback servers for `bench/run.sh`, built as the `hello` bench
//! target so they reuse the workspace's compiled axum/tokio (one small file
//! to compile, no extra dependencies):
//!
//! - `--mode hello`: a bare axum "Hello, World!" on any method at `/`: the
//!   practical ceiling for HTTP throughput on this machine.
//! - `--mode static --file PATH`: the file's bytes as `application/json` on
//!   any method at `/`: the ceiling for serving a pre-rendered answer of the
//!   same size as a real one (e.g. a `tools/list` result).
//! - `--mode mock`: a minimal stand-in for Twilio's REST API that answers any
//!   path with a canned Message resource (GET 200, POST 201, DELETE 204), and
//!   401 without an `Authorization` header. Fast enough never to be the
//!   bottleneck of a tool-call benchmark.
//!
//! It only serves when given `--listen ADDR` (a loopback address), so a plain
//! `cargo bench` or `cargo test --all-targets` runs it as a no-op.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

/// What Twilio answers for a message (abridged from the spec's example).
const MESSAGE: &str = r#"{"account_sid":"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","api_version":"2010-04-01","body":"Hello from the benchmark mock","date_created":"Thu, 24 Aug 2023 05:01:45 +0000","date_sent":"Thu, 24 Aug 2023 05:01:45 +0000","date_updated":"Thu, 24 Aug 2023 05:01:45 +0000","direction":"outbound-api","error_code":null,"error_message":null,"from":"+14155552345","num_media":"0","num_segments":"1","price":null,"price_unit":"USD","messaging_service_sid":"MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","sid":"SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","status":"delivered","subresource_uris":{"media":"/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Messages/SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Media.json"},"to":"+14155552345","uri":"/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Messages/SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json"}"#;

async fn hello() -> &'static str {
    "Hello, World!"
}

async fn mock(method: Method, headers: HeaderMap, _body: Bytes) -> Response {
    if !headers.contains_key(header::AUTHORIZATION) {
        return (StatusCode::UNAUTHORIZED, "missing Authorization").into_response();
    }
    let status = match method {
        Method::DELETE => return StatusCode::NO_CONTENT.into_response(),
        Method::POST => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        MESSAGE,
    )
        .into_response()
}

fn usage() -> ! {
    eprintln!(
        "usage: hello --listen 127.0.0.1:PORT [--mode hello|mock|static --file PATH]  (run by bench/run.sh)"
    );
    std::process::exit(2);
}

fn main() {
    let mut listen: Option<SocketAddr> = None;
    let mut mode = String::from("hello");
    let mut file: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => {
                listen = Some(
                    args.next()
                        .and_then(|a| a.parse().ok())
                        .unwrap_or_else(|| usage()),
                );
            }
            "--mode" => mode = args.next().unwrap_or_else(|| usage()),
            "--file" => file = Some(args.next().unwrap_or_else(|| usage())),
            // `cargo bench` / `cargo test --all-targets` pass their own flags.
            _ => {}
        }
    }
    let Some(addr) = listen else {
        println!("bench/hello: nothing to do without --listen (see bench/README.md)");
        return;
    };
    if !addr.ip().is_loopback() {
        eprintln!("bench/hello: refusing to listen on non-loopback {addr}");
        std::process::exit(2);
    }
    let app = match mode.as_str() {
        "hello" => Router::new().route("/", any(hello)),
        "mock" => Router::new().fallback(mock),
        "static" => {
            let path = file.unwrap_or_else(|| usage());
            let bytes = Bytes::from(std::fs::read(&path).unwrap_or_else(|e| {
                eprintln!("bench/hello: cannot read {path}: {e}");
                std::process::exit(1);
            }));
            Router::new().route(
                "/",
                any(move || {
                    let bytes = bytes.clone();
                    async move { ([(header::CONTENT_TYPE, "application/json")], bytes) }
                }),
            )
        }
        _ => usage(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .unwrap_or_else(|e| {
                eprintln!("bench/hello: cannot listen on {addr}: {e}");
                std::process::exit(1);
            });
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .expect("serve");
    });
}
