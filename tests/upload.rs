//! The Serverless uploads on the wire: a local stand-in for
//! `serverless-upload.twilio.com` records the raw bytes of every request, and
//! the tests read the `multipart/form-data` body themselves (field names,
//! order, file name, content type per file extension, the file's exact
//! bytes), the Basic auth and the Content-Length. Refusals send nothing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Map, Value, json};

use twilio_mcp::auth::Caller;
use twilio_mcp::call::{self, AppState, CallError, Mode, Scope};
use twilio_mcp::filter::{Refusal, Selection, ToolPolicy, ToolSet};
use twilio_mcp::secret::Secret;
use twilio_mcp::twilio::{CredentialState, Credentials, TwilioClient};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const API_KEY: &str = "SK0123456789abcdef0123456789abcdef";
const API_SECRET: &str = "the-api-secret";
const SERVICE: &str = "ZS0123456789abcdef0123456789abcdef";
const FUNCTION: &str = "ZH0123456789abcdef0123456789abcdef";
const ASSET: &str = "ZH00000000000000000000000000000abc";
const VERSION: &str = "ZN0123456789abcdef0123456789abcdef";

/// One request as it arrived.
#[derive(Debug, Clone)]
struct Received {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

/// A loopback server answering uploads as Twilio does (201, the version).
struct UploadHost {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl UploadHost {
    async fn start() -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new().fallback(answer).with_state(received.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Self {
            url: format!("http://{addr}"),
            received,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}

async fn answer(
    State(received): State<Arc<Mutex<Vec<Received>>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    received.lock().expect("lock").push(Received {
        method,
        path: path.clone(),
        headers,
        body,
    });
    let parent = if path.contains("/Functions/") {
        "function_sid"
    } else {
        "asset_sid"
    };
    let version = json!({
        "sid": VERSION, "account_sid": ACCOUNT, "service_sid": SERVICE, parent: FUNCTION,
        "path": "/hello", "visibility": "public", "date_created": "2026-01-01T00:00:00Z",
        "url": format!("https://serverless.twilio.com{path}/{VERSION}"),
    });
    (StatusCode::CREATED, axum::Json(version)).into_response()
}

fn state(base_url: &str, read_only: bool) -> AppState {
    let policy = ToolPolicy::new(read_only, &[], &[]).expect("policy");
    let selection = Selection::parse(&["Serverless"]).expect("services");
    AppState {
        client: TwilioClient::new(Duration::from_secs(10)),
        credentials: CredentialState::Ready(Credentials {
            account_sid: ACCOUNT.into(),
            api_key: API_KEY.into(),
            api_secret: Secret::new(API_SECRET),
        }),
        base_url: Some(base_url.to_string()),
        max_response_bytes: 32 * 1024,
        default_scope: Scope {
            tools: ToolSet::new(selection, &policy),
            mode: Mode::Tools,
            caller: Caller::stdio(),
        },
        policy,
    }
}

async fn call(state: &AppState, name: &str, args: Value) -> Result<call::CallOutput, CallError> {
    let args: Map<String, Value> = args.as_object().cloned().expect("an object");
    call::call(state, &state.default_scope, name, &args).await
}

/// One part of a multipart body: its header lines and its bytes.
#[derive(Debug, PartialEq)]
struct Part {
    headers: Vec<String>,
    data: Vec<u8>,
}

/// The boundary of a `multipart/form-data; boundary=…` content type.
fn boundary(headers: &HeaderMap) -> String {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .expect("a content type");
    let (kind, boundary) = content_type
        .split_once("; boundary=")
        .expect("a boundary parameter");
    assert_eq!(kind, "multipart/form-data");
    boundary.to_string()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The parts of a multipart body, read strictly: it opens with the first
/// delimiter, parts are separated by CRLF and the delimiter, and it ends with
/// the closing delimiter and CRLF (RFC 7578 / RFC 2046).
fn parts(body: &[u8], boundary: &str) -> Vec<Part> {
    let open = format!("--{boundary}\r\n");
    let next = format!("\r\n--{boundary}");
    assert!(
        body.starts_with(open.as_bytes()),
        "body opens with the boundary"
    );
    let mut rest = &body[open.len()..];
    let mut out = Vec::new();
    loop {
        let end = find(rest, next.as_bytes()).expect("a delimiter after each part");
        let part = &rest[..end];
        let split = find(part, b"\r\n\r\n").expect("headers end with an empty line");
        let headers = String::from_utf8(part[..split].to_vec())
            .expect("UTF-8 headers")
            .split("\r\n")
            .map(str::to_string)
            .collect();
        out.push(Part {
            headers,
            data: part[split + 4..].to_vec(),
        });
        rest = &rest[end + next.len()..];
        if rest == b"--\r\n" {
            return out;
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .expect("a CRLF after a delimiter");
    }
}

/// A header line as `name: value`, the name in lower case (MIME header
/// names are case-insensitive; values are compared exactly).
fn normalise(line: &str) -> String {
    let (name, value) = line.split_once(": ").expect("a header line");
    format!("{}: {value}", name.to_ascii_lowercase())
}

fn part_headers(part: &Part) -> Vec<String> {
    part.headers.iter().map(|h| normalise(h)).collect()
}

fn basic_auth() -> String {
    let pair = base64::engine::general_purpose::STANDARD.encode(format!("{API_KEY}:{API_SECRET}"));
    format!("Basic {pair}")
}

#[tokio::test]
async fn a_function_upload_is_exactly_the_multipart_twilio_documents() {
    let host = UploadHost::start().await;
    let state = state(&host.url, false);
    let code =
        "exports.handler = (context, event, callback) => {\r\n  callback(null, 'héllo');\r\n};\r\n";
    let output = call(
        &state,
        "ServerlessV1_CreateFunctionVersion",
        json!({"ServiceSid": SERVICE, "FunctionSid": FUNCTION, "Path": "/api/hello",
               "Visibility": "protected", "Content": code}),
    )
    .await
    .expect("a result");
    assert!(!output.is_error, "{}", output.text);
    // The version's default fields come back, with the SID a Build needs.
    assert_eq!(
        output.structured,
        Some(
            json!({"sid": VERSION, "path": "/hello", "visibility": "public",
                    "date_created": "2026-01-01T00:00:00Z"})
        )
    );

    let received = host.received();
    assert_eq!(received.len(), 1, "{received:?}");
    let sent = &received[0];
    assert_eq!(sent.method, Method::POST);
    assert_eq!(
        sent.path,
        format!("/v1/Services/{SERVICE}/Functions/{FUNCTION}/Versions")
    );
    assert_eq!(
        sent.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(basic_auth().as_str())
    );
    assert_eq!(
        sent.headers
            .get("content-length")
            .and_then(|v| v.to_str().ok()),
        Some(sent.body.len().to_string().as_str()),
        "a known length, not a chunked body"
    );
    assert!(
        sent.headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ua| ua.starts_with("twilio-mcp/"))
    );
    let parts = parts(&sent.body, &boundary(&sent.headers));
    assert_eq!(parts.len(), 3, "{parts:?}");
    assert_eq!(
        part_headers(&parts[0]),
        ["content-disposition: form-data; name=\"Path\""]
    );
    assert_eq!(parts[0].data, b"/api/hello");
    assert_eq!(
        part_headers(&parts[1]),
        ["content-disposition: form-data; name=\"Visibility\""]
    );
    assert_eq!(parts[1].data, b"protected");
    // A Function's code is JavaScript, named after the path's last segment;
    // its bytes are the text as UTF-8, line endings untouched.
    assert_eq!(
        part_headers(&parts[2]),
        [
            "content-disposition: form-data; name=\"Content\"; filename=\"hello\"",
            "content-type: application/javascript",
        ]
    );
    assert_eq!(parts[2].data, code.as_bytes());
}

#[tokio::test]
async fn asset_uploads_are_typed_by_their_extension_and_keep_binary_bytes() {
    let host = UploadHost::start().await;
    let state = state(&host.url, false);
    // Every byte value, so nothing is re-encoded on the way.
    let binary: Vec<u8> = (0..=255u8).rev().collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&binary);
    let cases: Vec<(&str, Value, &str, &str, Vec<u8>)> = vec![
        (
            "/img/logo.png",
            json!({"ContentBase64": encoded}),
            "logo.png",
            "image/png",
            binary.clone(),
        ),
        (
            "/index.html",
            json!({"Content": "<h1>Hi</h1>"}),
            "index.html",
            "text/html",
            b"<h1>Hi</h1>".to_vec(),
        ),
        (
            "/css/site.css",
            json!({"Content": "h1 { color: red }"}),
            "site.css",
            "text/css",
            b"h1 { color: red }".to_vec(),
        ),
        (
            "/data.json",
            json!({"Content": "{\"a\":1}"}),
            "data.json",
            "application/json",
            b"{\"a\":1}".to_vec(),
        ),
        (
            "/greeting.mp3",
            json!({"ContentBase64": encoded}),
            "greeting.mp3",
            "audio/mpeg",
            binary.clone(),
        ),
        (
            "/LICENSE",
            json!({"Content": "MIT"}),
            "LICENSE",
            "application/octet-stream",
            b"MIT".to_vec(),
        ),
    ];
    for (path, content, file_name, content_type, bytes) in &cases {
        let mut args = json!({"ServiceSid": SERVICE, "AssetSid": ASSET, "Path": path,
                              "Visibility": "public"});
        args.as_object_mut()
            .expect("object")
            .extend(content.as_object().expect("object").clone());
        let output = call(&state, "ServerlessV1_CreateAssetVersion", args)
            .await
            .expect("a result");
        assert!(!output.is_error, "{path}: {}", output.text);
        let sent = host.received().pop().expect("a request");
        assert_eq!(
            sent.path,
            format!("/v1/Services/{SERVICE}/Assets/{ASSET}/Versions")
        );
        assert_eq!(
            sent.headers
                .get("authorization")
                .and_then(|v| v.to_str().ok()),
            Some(basic_auth().as_str())
        );
        let parts = parts(&sent.body, &boundary(&sent.headers));
        let names: Vec<Vec<String>> = parts.iter().map(part_headers).collect();
        assert_eq!(
            names,
            [
                vec!["content-disposition: form-data; name=\"Path\"".to_string()],
                vec!["content-disposition: form-data; name=\"Visibility\"".to_string()],
                vec![
                    format!(
                        "content-disposition: form-data; name=\"Content\"; filename=\"{file_name}\""
                    ),
                    format!("content-type: {content_type}"),
                ],
            ],
            "{path}"
        );
        assert_eq!(parts[0].data, path.as_bytes());
        assert_eq!(&parts[2].data, bytes, "{path}");
    }
    assert_eq!(host.received().len(), cases.len());
}

#[tokio::test]
async fn refused_uploads_send_nothing() {
    let host = UploadHost::start().await;
    let open = state(&host.url, false);
    let args = |extra: Value| {
        let mut args = json!({"ServiceSid": SERVICE, "FunctionSid": FUNCTION,
                              "Path": "/x", "Visibility": "public"});
        args.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        args
    };
    let too_big = "x".repeat(25 * 1024 * 1024 + 1);
    for (extra, message) in [
        (
            json!({}),
            "give at least one of Content, ContentBase64 for ServerlessV1_CreateFunctionVersion",
        ),
        (
            json!({"Content": "a", "ContentBase64": "YQ=="}),
            "give only one of Content, ContentBase64",
        ),
        (
            json!({"ContentBase64": "%%%"}),
            "argument `ContentBase64` is not valid base64",
        ),
        (
            json!({"Content": too_big}),
            "the file in `Content` is 26214401 bytes, more than the 26214400 bytes Twilio accepts",
        ),
        (
            json!({"Content": "a", "Visibility": "everyone"}),
            "argument `Visibility` must be one of public, protected, private",
        ),
    ] {
        let error = call(&open, "ServerlessV1_CreateFunctionVersion", args(extra))
            .await
            .expect_err("refused");
        assert!(
            matches!(error, CallError::BadArguments(_)),
            "{error:?} for {message}"
        );
        assert!(error.to_string().starts_with(message), "{error}");
    }
    // Read-only mode removes the uploads like every other write.
    let read_only = state(&host.url, true);
    let error = call(
        &read_only,
        "ServerlessV1_CreateFunctionVersion",
        args(json!({"Content": "a"})),
    )
    .await
    .expect_err("read-only");
    assert!(
        matches!(
            error,
            CallError::Refused {
                reason: Refusal::ReadOnly,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        !read_only
            .default_scope
            .tools
            .tools()
            .any(|(_, t)| t.name.contains("Version") && !t.annotations.read_only)
    );
    assert!(host.received().is_empty(), "{:?}", host.received());
}
