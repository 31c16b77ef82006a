//! The call pipeline (`twilio_mcp::call`) against an in-process stand-in
//! for Twilio's REST API: what is sent for a call, how the answer comes
//! back, what is refused before anything is sent, and how the MCP handler
//! maps each outcome (through the HTTP router, in both modes).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use twilio_mcp::auth::Caller;
use twilio_mcp::call::{self, AppState, CallError, Mode, Scope};
use twilio_mcp::catalog::{self, AuthScheme};
use twilio_mcp::filter::{Refusal, Selection, ToolPolicy, ToolSet};
use twilio_mcp::secret::Secret;
use twilio_mcp::transport::http::{HttpOptions, router};
use twilio_mcp::twilio::{CredentialState, Credentials, TwilioClient, UpstreamError};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const API_KEY: &str = "SK0123456789abcdef0123456789abcdef";
const API_SECRET: &str = "the-api-secret";
const MESSAGE_SID: &str = "SM0123456789abcdef0123456789abcdef";
/// A `To` the stand-in refuses as Twilio does (error 21211).
const INVALID_TO: &str = "+15005550001";

/// One request the stand-in received.
#[derive(Debug, Clone)]
struct Received {
    method: Method,
    path: String,
    query: Option<String>,
    authorization: Option<String>,
    content_type: Option<String>,
    body: String,
}

/// An axum server on a loopback port that answers like Twilio's API for
/// messages, and records every request.
struct Upstream {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Upstream {
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

fn message(to: &str) -> Value {
    json!({
        "account_sid": ACCOUNT, "api_version": "2010-04-01", "body": "hi",
        "date_sent": "Thu, 24 Aug 2023 05:01:45 +0000", "direction": "outbound-api",
        "from": "+15017122661", "num_segments": "1", "price": null, "sid": MESSAGE_SID,
        "status": "queued", "to": to,
        "uri": format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/{MESSAGE_SID}.json")
    })
}

async fn answer(
    State(received): State<Arc<Mutex<Vec<Received>>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let body = String::from_utf8_lossy(&body).into_owned();
    received.lock().expect("lock").push(Received {
        method: method.clone(),
        path: uri.path().to_string(),
        query: uri.query().map(str::to_string),
        authorization: text(header::AUTHORIZATION),
        content_type: text(header::CONTENT_TYPE),
        body: body.clone(),
    });
    let form: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let to = form
        .iter()
        .find(|(k, _)| k == "To")
        .map_or("", |(_, v)| v.as_str());
    let json = |status: StatusCode, value: Value| (status, axum::Json(value)).into_response();
    match method {
        Method::DELETE => StatusCode::NO_CONTENT.into_response(),
        Method::POST if to == INVALID_TO => json(
            StatusCode::BAD_REQUEST,
            json!({"code": 21211, "message": "Invalid 'To' Phone Number",
                   "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}),
        ),
        Method::POST => json(StatusCode::CREATED, message(to)),
        _ if !uri.path().ends_with("/Messages.json") => {
            json(StatusCode::OK, message("+15558675310"))
        }
        _ => json(
            StatusCode::OK,
            json!({
                "messages": [message("+15558675310"), message("+15558675311")],
                "page": 0, "page_size": 2, "uri": uri.to_string(),
                "first_page_uri": uri.to_string(),
                "next_page_uri": format!(
                    "/2010-04-01/Accounts/{ACCOUNT}/Messages.json?PageSize=2&Page=1&PageToken=PASM1"
                ),
            }),
        ),
    }
}

/// Server settings for one test.
struct Setup<'a> {
    services: &'a [&'a str],
    read_only: bool,
    credentials: bool,
    mode: Mode,
}

impl Default for Setup<'_> {
    fn default() -> Self {
        Self {
            services: &["Messaging"],
            read_only: false,
            credentials: true,
            mode: Mode::Tools,
        }
    }
}

fn state(base_url: &str, setup: Setup) -> AppState {
    let policy = ToolPolicy::new(setup.read_only, &[], &[]).expect("policy");
    let selection = Selection::parse(setup.services).expect("services");
    let credentials = if setup.credentials {
        CredentialState::Ready(Credentials {
            account_sid: ACCOUNT.into(),
            api_key: API_KEY.into(),
            api_secret: Secret::new(API_SECRET),
        })
    } else {
        CredentialState::Missing(vec!["ACCOUNT_SID", "API_KEY", "API_SECRET"])
    };
    AppState {
        client: TwilioClient::new(Duration::from_secs(10)),
        credentials,
        base_url: Some(base_url.to_string()),
        max_response_bytes: 32 * 1024,
        default_scope: Scope {
            tools: ToolSet::new(selection, &policy),
            mode: setup.mode,
            caller: Caller::stdio(),
        },
        policy,
    }
}

fn arguments(value: Value) -> Map<String, Value> {
    value.as_object().cloned().expect("an object")
}

async fn call(state: &AppState, name: &str, args: Value) -> Result<call::CallOutput, CallError> {
    call::call(state, &state.default_scope, name, &arguments(args)).await
}

#[tokio::test]
async fn a_call_sends_a_signed_form_post_and_returns_the_default_fields() {
    let upstream = Upstream::start().await;
    let state = state(&upstream.url, Setup::default());
    let output = call(
        &state,
        "ApiV2010_CreateMessage",
        json!({"To": "+15558675310", "From": "+15017122661", "Body": "hi there"}),
    )
    .await
    .expect("a result");

    let received = upstream.received();
    assert_eq!(received.len(), 1, "{received:?}");
    let sent = &received[0];
    assert_eq!(sent.method, Method::POST);
    // AccountSid comes from the credentials when the caller leaves it out.
    assert_eq!(
        sent.path,
        format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json")
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{API_KEY}:{API_SECRET}"));
    assert_eq!(
        sent.authorization.as_deref(),
        Some(format!("Basic {basic}").as_str())
    );
    assert_eq!(
        sent.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    let form: Vec<(String, String)> = form_urlencoded::parse(sent.body.as_bytes())
        .into_owned()
        .collect();
    for pair in [
        ("To", "+15558675310"),
        ("From", "+15017122661"),
        ("Body", "hi there"),
    ] {
        assert!(
            form.contains(&(pair.0.to_string(), pair.1.to_string())),
            "{form:?}"
        );
    }

    assert!(!output.is_error, "{}", output.text);
    let structured = output.structured.expect("structured content");
    let (_, tool) = catalog::find("ApiV2010_CreateMessage").expect("tool");
    let keys: Vec<&str> = structured
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert!(!keys.is_empty());
    assert!(
        keys.iter().all(|k| tool.default_output.contains(k)),
        "{keys:?} beyond {:?}",
        tool.default_output
    );
    assert_eq!(structured["sid"], MESSAGE_SID);
    assert_eq!(output.text, structured.to_string());
}

#[tokio::test]
async fn lists_send_a_query_and_offer_the_next_page() {
    let upstream = Upstream::start().await;
    let state = state(&upstream.url, Setup::default());
    let output = call(
        &state,
        "ApiV2010_ListMessage",
        json!({"PageSize": 2, "DateSentBefore": "2024-01-01", "fields": ["*"]}),
    )
    .await
    .expect("a result");
    let sent = &upstream.received()[0];
    assert_eq!(sent.method, Method::GET);
    assert_eq!(
        sent.query.as_deref(),
        Some("DateSent%3C=2024-01-01&PageSize=2")
    );
    assert!(sent.body.is_empty());
    let structured = output.structured.expect("structured");
    // `fields: ["*"]`: every field of each item.
    assert_eq!(structured["messages"][0]["num_segments"], "1");
    assert_eq!(
        structured["next_page"],
        json!({"PageSize": 2, "Page": 1, "PageToken": "PASM1"})
    );
    assert!(structured.get("first_page_uri").is_none());
}

#[tokio::test]
async fn twilio_errors_and_empty_answers_are_results() {
    let upstream = Upstream::start().await;
    let state = state(&upstream.url, Setup::default());
    let refused = call(
        &state,
        "ApiV2010_CreateMessage",
        json!({"To": INVALID_TO, "From": "+15017122661", "Body": "hi"}),
    )
    .await
    .expect("an HTTP answer is a result");
    assert!(refused.is_error);
    assert_eq!(
        refused.text,
        "Twilio returned HTTP 400, error 21211: Invalid 'To' Phone Number \
         (more: https://www.twilio.com/docs/errors/21211)"
    );
    assert_eq!(refused.structured.expect("structured")["code"], 21211);

    let deleted = call(
        &state,
        "ApiV2010_DeleteMessage",
        json!({"Sid": MESSAGE_SID}),
    )
    .await
    .expect("a result");
    assert!(!deleted.is_error);
    assert_eq!(deleted.structured, Some(json!({"status": 204, "ok": true})));
    assert_eq!(upstream.received()[1].method, Method::DELETE);
}

#[tokio::test]
async fn refusals_send_nothing_and_say_why() {
    let upstream = Upstream::start().await;
    let base = upstream.url.as_str();
    let create = json!({"To": "+15558675310", "From": "+15017122661", "Body": "hi"});

    let e = call(&state(base, Setup::default()), "NoSuchTool", json!({}))
        .await
        .expect_err("unknown");
    assert_eq!(e, CallError::UnknownTool("NoSuchTool".into()));
    assert_eq!(e.to_string(), "unknown tool `NoSuchTool`");
    assert!(e.is_unavailable());

    let e = call(
        &state(base, Setup::default()),
        "ApiV2010_CreateCall",
        json!({}),
    )
    .await
    .expect_err("not selected");
    assert!(
        matches!(
            e,
            CallError::NotSelected {
                tool: "ApiV2010_CreateCall",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.is_unavailable());
    let text = e.to_string();
    assert!(
        text.starts_with(
            "tool `ApiV2010_CreateCall` is not in the selected services (Messaging); add `services="
        ) && text.ends_with("` to the MCP URL (or --services) to use it"),
        "{text}"
    );

    let read_only = state(
        base,
        Setup {
            read_only: true,
            ..Setup::default()
        },
    );
    let e = call(&read_only, "ApiV2010_CreateMessage", create.clone())
        .await
        .expect_err("read-only");
    assert_eq!(
        e,
        CallError::Refused {
            tool: "ApiV2010_CreateMessage",
            reason: Refusal::ReadOnly
        }
    );
    assert_eq!(
        e.to_string(),
        "tool `ApiV2010_CreateMessage` is not available: the server runs in read-only mode"
    );

    let e = call(
        &state(base, Setup::default()),
        "ApiV2010_CreateMessage",
        json!({"Body": "hi", "From": "+15017122661"}),
    )
    .await
    .expect_err("missing To");
    assert!(matches!(e, CallError::BadArguments(_)), "{e:?}");
    assert!(!e.is_unavailable());
    assert_eq!(
        e.to_string(),
        "missing required argument `To` for ApiV2010_CreateMessage"
    );

    let no_credentials = state(
        base,
        Setup {
            credentials: false,
            ..Setup::default()
        },
    );
    let e = call(&no_credentials, "ApiV2010_CreateMessage", create)
        .await
        .expect_err("no credentials");
    assert_eq!(
        e.to_string(),
        "the server has no Twilio credentials: set ACCOUNT_SID, API_KEY, API_SECRET and \
         restart; nothing was sent"
    );

    // One of the organizations API's tools, with arguments that pass the
    // checks, so the call gets as far as credentials.
    let oauth = "IamOrganizations_ListOrganizationAccounts";
    let (_, tool) = catalog::find(oauth).expect("tool");
    assert_eq!(tool.auth, AuthScheme::OAuth2);
    let everything = state(
        base,
        Setup {
            services: &["all"],
            ..Setup::default()
        },
    );
    let e = call(
        &everything,
        oauth,
        json!({"OrganizationSid": "OR0123456789abcdef0123456789abcdef"}),
    )
    .await
    .expect_err("OAuth");
    assert_eq!(e, CallError::NeedsOAuth { tool: oauth });
    assert!(e.to_string().ends_with(
        "needs OAuth 2 client credentials (Twilio's organizations API), which this server \
         does not hold; nothing was sent"
    ));

    assert!(upstream.received().is_empty(), "{:?}", upstream.received());
}

#[tokio::test]
async fn no_answer_is_an_upstream_error() {
    // A port nobody listens on any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("address");
    drop(listener);
    let state = state(&format!("http://{addr}"), Setup::default());
    let e = call(&state, "ApiV2010_ListMessage", json!({}))
        .await
        .expect_err("nothing answers");
    assert!(
        matches!(e, CallError::Upstream(UpstreamError::Connect(_))),
        "{e:?}"
    );
    assert!(
        e.to_string().starts_with("could not connect to Twilio: "),
        "{e}"
    );
}

// ---------------------------------------------------------------------------
// Through the MCP handler, over the HTTP router.

fn app(state: AppState) -> Router {
    let options = HttpOptions {
        bind: "127.0.0.1:0".parse().expect("address"),
        signature: None,
        keys: None,
        oauth: None,
        public_base: None,
        allowed_hosts: Vec::new(),
        allowed_origins: Vec::new(),
        request_timeout: Duration::from_secs(30),
        max_body_bytes: 1024 * 1024,
        max_concurrency: 8,
        drain_delay: Duration::ZERO,
        metrics_bind: None,
        fast_tools_list: true,
    };
    router(Arc::new(state), &options)
}

/// A `tools/call` over HTTP; the JSON-RPC answer.
async fn tools_call(app: &Router, query: &str, name: &str, args: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": name, "arguments": args}});
    let request = axum::http::Request::post(format!("/mcp{query}"))
        .header("host", "127.0.0.1:3000")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(Body::from(body.to_string()))
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    serde_json::from_slice(&bytes).expect("JSON-RPC answer")
}

#[tokio::test]
async fn the_handler_maps_outcomes_in_tools_mode() {
    let upstream = Upstream::start().await;
    let app = app(state(&upstream.url, Setup::default()));

    let ok = tools_call(
        &app,
        "",
        "ApiV2010_FetchMessage",
        json!({"Sid": MESSAGE_SID}),
    )
    .await;
    assert_eq!(ok["result"]["isError"], false, "{ok}");
    assert_eq!(ok["result"]["structuredContent"]["sid"], MESSAGE_SID);
    assert_eq!(upstream.received().len(), 1);

    // Unavailable tools are protocol errors.
    for (name, message) in [
        ("NoSuchTool", "unknown tool `NoSuchTool`"),
        (
            "ApiV2010_CreateCall",
            "tool `ApiV2010_CreateCall` is not in the selected services (Messaging)",
        ),
    ] {
        let answer = tools_call(&app, "", name, json!({})).await;
        assert_eq!(answer["error"]["code"], -32602, "{answer}");
        let text = answer["error"]["message"].as_str().expect("message");
        assert!(text.starts_with(message), "{text}");
    }
    // A call that was tried and failed is a tool error.
    let bad = tools_call(&app, "", "ApiV2010_FetchMessage", json!({"Sid": "nope"})).await;
    assert_eq!(bad["result"]["isError"], true, "{bad}");
    assert_eq!(upstream.received().len(), 1);
}

#[tokio::test]
async fn the_handler_maps_outcomes_in_discovery_mode() {
    let upstream = Upstream::start().await;
    let app = app(state(&upstream.url, Setup::default()));
    let discover = "?mode=discover";

    let ok = tools_call(
        &app,
        discover,
        "call_twilio_tool",
        json!({"name": "ApiV2010_FetchMessage", "arguments": {"Sid": MESSAGE_SID}}),
    )
    .await;
    assert_eq!(
        ok["result"]["structuredContent"]["sid"], MESSAGE_SID,
        "{ok}"
    );
    assert_eq!(upstream.received().len(), 1);

    // Inside discovery, an unavailable tool is the caller's mistake to fix.
    let unknown = tools_call(
        &app,
        discover,
        "call_twilio_tool",
        json!({"name": "NoSuchTool"}),
    )
    .await;
    assert_eq!(unknown["result"]["isError"], true, "{unknown}");
    assert_eq!(
        unknown["result"]["content"][0]["text"],
        "unknown tool `NoSuchTool`"
    );
    let misplaced = tools_call(
        &app,
        discover,
        "call_twilio_tool",
        json!({"name": "ApiV2010_FetchMessage", "Sid": MESSAGE_SID}),
    )
    .await;
    assert_eq!(
        misplaced["result"]["content"][0]["text"],
        "unknown argument `Sid`; pass the tool's arguments inside `arguments`"
    );
    let described = tools_call(
        &app,
        discover,
        "describe_twilio_tool",
        json!({"name": "ApiV2010_CreateMessage"}),
    )
    .await;
    let description = &described["result"]["structuredContent"];
    assert_eq!(
        description["http"],
        "POST https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Messages.json"
    );
    let found = tools_call(
        &app,
        discover,
        "search_twilio_tools",
        json!({"query": "send an SMS", "limit": 3}),
    )
    .await;
    let results = found["result"]["structuredContent"]["results"]
        .as_array()
        .expect("results");
    assert!(
        results
            .iter()
            .any(|r| r["name"] == "ApiV2010_CreateMessage"),
        "{found}"
    );
    // Only a name that is not a discovery tool is a protocol error.
    let outside = tools_call(&app, discover, "ApiV2010_FetchMessage", json!({})).await;
    assert_eq!(outside["error"]["code"], -32602, "{outside}");
    assert_eq!(
        outside["error"]["message"],
        "unknown tool `ApiV2010_FetchMessage`: discovery mode offers search_twilio_tools, \
         describe_twilio_tool and call_twilio_tool"
    );
    assert_eq!(upstream.received().len(), 1);
}
