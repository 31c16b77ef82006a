//! Authentication of `/mcp` beside the signature: static bearer keys and
//! OAuth access tokens, against an in-process stand-in authorization
//! server (RFC 8414 metadata, a JWKS with a fault switch, RFC 7662
//! introspection) that signs tokens with the test keys in
//! `tests/fixtures/oauth/`.
//!
//! The validation rules are checked one by one on [`OAuth::authenticate`]
//! (each negative token differs from a good one in one property), then the
//! whole HTTP router: which requests are refused with which status and
//! challenge, what a restricted caller sees and may call, and that nothing
//! refused ever reaches the stand-in for Twilio.
//!
//! The real authorization server (oidc-provider) and the official MCP
//! client's OAuth flows are in `tests/e2e/test_oauth.py`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use serde_json::{Value, json};
use tower::ServiceExt;

use twilio_mcp::auth::keys::{digest, digest_text};
use twilio_mcp::auth::oauth::TokenError;
use twilio_mcp::auth::oauth::authority::StartError;
use twilio_mcp::auth::{AuthMethod, Caller, KeyStore, OAuth, OAuthSettings};
use twilio_mcp::call::{AppState, Mode, Scope};
use twilio_mcp::filter::{Selection, ToolPolicy, ToolSet};
use twilio_mcp::secret::Secret;
use twilio_mcp::transport::http::{HttpOptions, router};
use twilio_mcp::twilio::{CredentialState, Credentials, TwilioClient};

const RESOURCE: &str = "https://mcp.example.com/mcp";
const HOST: &str = "mcp.example.com";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/oauth/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn public(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/oauth/public.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let all: Value =
        serde_json::from_slice(&std::fs::read(path).expect("public.json")).expect("json");
    all[name].clone()
}

fn jwk(name: &str, kid: &str, alg: &str) -> Value {
    let mut key = public(name);
    key["kid"] = json!(kid);
    key["alg"] = json!(alg);
    key["use"] = json!("sig");
    key
}

// ---------------------------------------------------------------------------
// The stand-in authorization server.

#[derive(Default)]
struct AsState {
    issuer: Mutex<String>,
    /// `up`, `down` (503), `garbage`, `empty`.
    jwks_mode: Mutex<&'static str>,
    /// The published keys.
    jwks: Mutex<Vec<Value>>,
    jwks_fetches: AtomicUsize,
    /// Opaque token → introspection answer.
    introspection: Mutex<HashMap<String, Value>>,
    introspections: AtomicUsize,
    /// What the metadata says its issuer is (to test a mismatch).
    claimed_issuer: Mutex<Option<String>>,
}

struct TestAs {
    issuer: String,
    state: Arc<AsState>,
}

impl TestAs {
    async fn start() -> Self {
        let state = Arc::new(AsState::default());
        *state.jwks_mode.lock().expect("lock") = "up";
        *state.jwks.lock().expect("lock") = vec![
            jwk("rsa", "rs-1", "RS256"),
            jwk("p256", "es-1", "ES256"),
            jwk("ed25519", "ed-1", "EdDSA"),
        ];
        let app = Router::new()
            .route("/.well-known/oauth-authorization-server", get(metadata))
            .route("/jwks", get(jwks))
            .route("/introspect", axum::routing::post(introspect))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let issuer = format!("http://{}", listener.local_addr().expect("address"));
        *state.issuer.lock().expect("lock") = issuer.clone();
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Self { issuer, state }
    }

    fn set_jwks_mode(&self, mode: &'static str) {
        *self.state.jwks_mode.lock().expect("lock") = mode;
    }

    fn fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }

    fn settings(&self) -> OAuthSettings {
        OAuthSettings {
            issuer: self.issuer.clone(),
            resource: RESOURCE.into(),
            introspection: Some(("rs".into(), Secret::new("rs-secret"))),
            allow_jwt_typ: false,
        }
    }

    async fn oauth(&self) -> OAuth {
        let oauth = OAuth::new(self.settings()).expect("settings");
        oauth.start().await.expect("start");
        oauth
    }

    fn claims(&self) -> Value {
        let now = get_current_timestamp();
        json!({
            "iss": self.issuer, "aud": RESOURCE, "sub": "user-1", "client_id": "app",
            "iat": now, "exp": now + 600, "scope": "twilio:read twilio:write",
        })
    }
}

async fn metadata(State(state): State<Arc<AsState>>) -> Response {
    let issuer = state.issuer.lock().expect("lock").clone();
    let claimed = state
        .claimed_issuer
        .lock()
        .expect("lock")
        .clone()
        .unwrap_or_else(|| issuer.clone());
    axum::Json(json!({
        "issuer": claimed,
        "jwks_uri": format!("{issuer}/jwks"),
        "introspection_endpoint": format!("{issuer}/introspect"),
    }))
    .into_response()
}

async fn jwks(State(state): State<Arc<AsState>>) -> Response {
    state.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let mode = *state.jwks_mode.lock().expect("lock");
    match mode {
        "down" => (StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response(),
        "garbage" => ([(header::CONTENT_TYPE, "application/json")], "<html>oops").into_response(),
        "empty" => axum::Json(json!({"keys": []})).into_response(),
        _ => axum::Json(json!({"keys": *state.jwks.lock().expect("lock")})).into_response(),
    }
}

async fn introspect(
    State(state): State<Arc<AsState>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    state.introspections.fetch_add(1, Ordering::SeqCst);
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("rs:rs-secret")
    );
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(&expected)
    {
        return (StatusCode::UNAUTHORIZED, "bad client").into_response();
    }
    let token = form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let answer = state
        .introspection
        .lock()
        .expect("lock")
        .get(&token)
        .cloned()
        .unwrap_or_else(|| json!({"active": false}));
    axum::Json(answer).into_response()
}

// ---------------------------------------------------------------------------
// Tokens.

fn key_of(alg: Algorithm) -> (EncodingKey, &'static str) {
    match alg {
        Algorithm::RS256 => (EncodingKey::from_rsa_der(&fixture("rsa.pkcs1.der")), "rs-1"),
        Algorithm::ES256 => (EncodingKey::from_ec_der(&fixture("p256.pkcs8.der")), "es-1"),
        Algorithm::EdDSA => (
            EncodingKey::from_ed_der(&fixture("ed25519.pkcs8.der")),
            "ed-1",
        ),
        other => panic!("no test key for {other:?}"),
    }
}

fn at_header(alg: Algorithm, kid: &str) -> Header {
    let mut header = Header::new(alg);
    header.typ = Some("at+jwt".into());
    header.kid = Some(kid.into());
    header
}

fn sign(alg: Algorithm, claims: &Value) -> String {
    let (key, kid) = key_of(alg);
    encode(&at_header(alg, kid), claims, &key).expect("sign")
}

fn sign_with(header: &Header, claims: &Value, key: &EncodingKey) -> String {
    encode(header, claims, key).expect("sign")
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn with(claims: &Value, changes: Value) -> Value {
    let mut out = claims.clone();
    for (k, v) in changes.as_object().expect("object") {
        if v.is_null() {
            out.as_object_mut().expect("object").remove(k);
        } else {
            out[k] = v.clone();
        }
    }
    out
}

async fn verdict(oauth: &OAuth, token: &str) -> Result<Caller, TokenError> {
    oauth.authenticate(token).await
}

// ---------------------------------------------------------------------------
// The validation rules.

#[tokio::test]
async fn good_tokens_of_each_algorithm_name_the_subject_and_grant_their_scopes() {
    let authz = TestAs::start().await;
    let oauth = authz.oauth().await;
    for alg in [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA] {
        let caller = verdict(&oauth, &sign(alg, &authz.claims()))
            .await
            .expect("accepted");
        assert_eq!(caller.id(), "oauth:user-1", "{alg:?}");
        assert_eq!(caller.method(), AuthMethod::OAuth);
        assert!(
            caller.restrictions().is_none(),
            "read+write: no restriction"
        );
    }
    let read = with(
        &authz.claims(),
        json!({"scope": "twilio:read twilio:services:Messaging"}),
    );
    let caller = verdict(&oauth, &sign(Algorithm::RS256, &read))
        .await
        .expect("accepted");
    assert!(caller.restrictions().read_only());
    assert_eq!(
        caller.restrictions().services().map(|s| s.names.clone()),
        Some(vec!["Messaging".to_string()])
    );
    // `aud` may be a list holding this resource; `scp` is read too.
    let listed = with(
        &authz.claims(),
        json!({"aud": ["https://other.example.com", RESOURCE], "scope": null, "scp": ["twilio:read"]}),
    );
    let caller = verdict(&oauth, &sign(Algorithm::ES256, &listed))
        .await
        .expect("accepted");
    assert!(caller.restrictions().read_only());
    // Expired 5 s ago: inside the 30 s leeway.
    let now = get_current_timestamp();
    let late = with(&authz.claims(), json!({"exp": now - 5}));
    assert!(
        verdict(&oauth, &sign(Algorithm::RS256, &late))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn each_broken_property_is_refused() {
    let authz = TestAs::start().await;
    // JWTs only: a malformed token is not sent to introspection.
    let oauth = OAuth::new(OAuthSettings {
        introspection: None,
        ..authz.settings()
    })
    .expect("settings");
    oauth.start().await.expect("start");
    let good = authz.claims();
    let now = get_current_timestamp();
    let (rsa, _) = key_of(Algorithm::RS256);
    let stranger = EncodingKey::from_rsa_der(&fixture("stranger.pkcs1.der"));

    let signed = |changes: Value| sign(Algorithm::RS256, &with(&good, changes));
    let header = |f: &dyn Fn(&mut Header)| {
        let mut h = at_header(Algorithm::RS256, "rs-1");
        f(&mut h);
        h
    };
    let valid = sign(Algorithm::RS256, &good);
    let parts: Vec<&str> = valid.split('.').collect();
    let widened = b64(&with(
        &good,
        json!({"scope": "twilio:write", "sub": "admin"}),
    ));
    // HS256 keyed with the RSA public key's bytes (the classic key confusion).
    let mut hs = Header::new(Algorithm::HS256);
    hs.typ = Some("at+jwt".into());
    hs.kid = Some("rs-1".into());
    let hmac_public = sign_with(
        &hs,
        &good,
        &EncodingKey::from_secret(&fixture("rsa.pub.der")).expect("hmac key"),
    );
    let alg_none = |alg: &str| {
        format!(
            "{}.{}.",
            b64(&json!({"alg": alg, "typ": "at+jwt", "kid": "rs-1"})),
            b64(&good)
        )
    };
    let es_on_rsa_kid = {
        let (key, _) = key_of(Algorithm::ES256);
        sign_with(&at_header(Algorithm::ES256, "rs-1"), &good, &key)
    };

    let cases: Vec<(&str, String, &str)> = vec![
        (
            "expired",
            signed(json!({"iat": now - 7200, "exp": now - 3600})),
            "expired",
        ),
        (
            "not yet valid",
            signed(json!({"nbf": now + 3600})),
            "not yet valid",
        ),
        (
            "wrong audience",
            signed(json!({"aud": "https://mcp.example.com/other"})),
            "wrong audience",
        ),
        (
            "audience prefix",
            signed(json!({"aud": "https://mcp.example.com"})),
            "wrong audience",
        ),
        (
            "other resource",
            signed(json!({"aud": "https://other.example.com/mcp"})),
            "wrong audience",
        ),
        (
            "wrong issuer",
            signed(json!({"iss": "http://127.0.0.1:1"})),
            "wrong issuer",
        ),
        (
            "issuer slash",
            signed(json!({"iss": format!("{}/", authz.issuer)})),
            "wrong issuer",
        ),
        (
            "issuer array",
            signed(json!({"iss": [authz.issuer]})),
            "malformed claims",
        ),
        ("no exp", signed(json!({"exp": null})), "claim is missing"),
        ("no sub", signed(json!({"sub": null})), "claim is missing"),
        ("no aud", signed(json!({"aud": null})), "claim is missing"),
        ("exp a string", signed(json!({"exp": "tomorrow"})), "claim"),
        (
            "nbf a string",
            signed(json!({"nbf": (now + 3600).to_string()})),
            "claim",
        ),
        (
            "unknown kid",
            sign_with(&header(&|h| h.kid = Some("rs-9".into())), &good, &stranger),
            "unknown kid",
        ),
        (
            "stranger key, known kid",
            sign_with(&header(&|_| {}), &good, &stranger),
            "bad signature",
        ),
        (
            "no kid",
            sign_with(&header(&|h| h.kid = None), &good, &rsa),
            "no kid",
        ),
        (
            "typ JWT",
            sign_with(&header(&|h| h.typ = Some("JWT".into())), &good, &rsa),
            "typ",
        ),
        (
            "no typ",
            sign_with(&header(&|h| h.typ = None), &good, &rsa),
            "typ",
        ),
        (
            "crit",
            sign_with(&header(&|h| h.crit = Some(vec!["exp".into()])), &good, &rsa),
            "crit",
        ),
        ("alg none", alg_none("none"), "malformed header"),
        ("alg None", alg_none("None"), "malformed header"),
        (
            "HS256 with the public key",
            hmac_public,
            "alg does not match",
        ),
        ("ES256 on the RSA kid", es_on_rsa_kid, "alg does not match"),
        (
            "tampered payload",
            format!("{}.{widened}.{}", parts[0], parts[2]),
            "bad signature",
        ),
        (
            "tampered signature",
            format!(
                "{}.{}.{}AAAA",
                parts[0],
                parts[1],
                &parts[2][..parts[2].len() - 4]
            ),
            "bad signature",
        ),
        (
            "oversized",
            signed(json!({"pad": "x".repeat(10_000)})),
            "too large",
        ),
        ("two parts", "abc.def".to_string(), "not a JWT"),
        (
            "five parts (JWE)",
            "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d".to_string(),
            "not a JWT",
        ),
    ];
    for (name, token, reason) in cases {
        match verdict(&oauth, &token).await {
            Err(TokenError::Invalid(why)) => assert!(why.contains(reason), "{name}: {why}"),
            other => panic!("{name}: expected Invalid({reason}), got {other:?}"),
        }
    }
    // A token without any twilio scope grants nothing.
    let none = signed(json!({"scope": "openid profile"}));
    assert_eq!(
        verdict(&oauth, &none).await.err(),
        Some(TokenError::NoAccess)
    );
}

#[tokio::test]
async fn typ_jwt_is_accepted_only_when_allowed() {
    let authz = TestAs::start().await;
    let mut settings = authz.settings();
    settings.allow_jwt_typ = true;
    let oauth = OAuth::new(settings).expect("settings");
    oauth.start().await.expect("start");
    let (rsa, _) = key_of(Algorithm::RS256);
    let mut h = at_header(Algorithm::RS256, "rs-1");
    h.typ = Some("JWT".into());
    assert!(
        verdict(&oauth, &sign_with(&h, &authz.claims(), &rsa))
            .await
            .is_ok()
    );
    h.typ = Some("id+jwt".into());
    assert!(
        verdict(&oauth, &sign_with(&h, &authz.claims(), &rsa))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn an_unknown_kid_fetches_the_keys_again_at_most_every_two_seconds() {
    let authz = TestAs::start().await;
    let oauth = authz.oauth().await;
    assert_eq!(authz.fetches(), 1, "fetched at start");
    let stranger = EncodingKey::from_rsa_der(&fixture("stranger.pkcs1.der"));
    let rotated = sign_with(
        &at_header(Algorithm::RS256, "rs-2"),
        &authz.claims(),
        &stranger,
    );

    // Just fetched: an unknown kid is refused without another fetch.
    assert_eq!(
        verdict(&oauth, &rotated).await.err(),
        Some(TokenError::Invalid("unknown kid"))
    );
    assert_eq!(authz.fetches(), 1);

    // The authorization server rotates to a new key.
    authz
        .state
        .jwks
        .lock()
        .expect("lock")
        .push(jwk("stranger", "rs-2", "RS256"));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        verdict(&oauth, &rotated).await.map(|c| c.id()),
        Ok("oauth:user-1".into())
    );
    assert_eq!(authz.fetches(), 2, "one fetch for the new kid");
    // Known keys are used from the cache.
    assert!(
        verdict(&oauth, &sign(Algorithm::EdDSA, &authz.claims()))
            .await
            .is_ok()
    );
    assert_eq!(authz.fetches(), 2);
}

#[tokio::test]
async fn an_unreachable_jwks_fails_closed_and_recovers() {
    let authz = TestAs::start().await;
    let good = sign(Algorithm::RS256, &authz.claims());
    for mode in ["down", "garbage", "empty"] {
        authz.set_jwks_mode(mode);
        // A fresh server that never got keys cannot check anything.
        let oauth = authz.oauth().await;
        match verdict(&oauth, &good).await {
            Err(TokenError::Unavailable(why)) => assert!(!why.is_empty(), "{mode}"),
            other => panic!("{mode}: expected Unavailable, got {other:?}"),
        }
        authz.set_jwks_mode("up");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert!(verdict(&oauth, &good).await.is_ok(), "{mode}: recovered");
    }

    // With keys cached, an outage keeps known keys usable, but an unknown
    // kid cannot be told from a forgery: unavailable, not invalid.
    let oauth = authz.oauth().await;
    authz.set_jwks_mode("down");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let stranger = EncodingKey::from_rsa_der(&fixture("stranger.pkcs1.der"));
    let unknown = sign_with(
        &at_header(Algorithm::RS256, "rs-9"),
        &authz.claims(),
        &stranger,
    );
    assert!(matches!(
        verdict(&oauth, &unknown).await,
        Err(TokenError::Unavailable(_))
    ));
    assert!(
        verdict(&oauth, &good).await.is_ok(),
        "cached key still valid"
    );
    authz.set_jwks_mode("up");
}

#[tokio::test]
async fn a_metadata_issuer_that_differs_stops_the_start() {
    let authz = TestAs::start().await;
    *authz.state.claimed_issuer.lock().expect("lock") = Some(format!("{}/", authz.issuer));
    let oauth = OAuth::new(authz.settings()).expect("settings");
    let err = oauth.start().await.expect_err("mismatch");
    assert!(matches!(err, StartError::IssuerMismatch { .. }), "{err:?}");
    assert!(err.to_string().contains("--oauth-issuer"), "{err}");

    // An unreachable authorization server does not stop the start; its
    // tokens are refused until it answers.
    let unreachable = OAuth::new(OAuthSettings {
        issuer: "http://127.0.0.1:9".into(),
        ..authz.settings()
    })
    .expect("settings");
    unreachable.start().await.expect("starts anyway");
    let token = sign(Algorithm::RS256, &authz.claims());
    assert!(matches!(
        verdict(&unreachable, &token).await,
        Err(TokenError::Unavailable(_))
    ));
}

#[tokio::test]
async fn opaque_tokens_are_introspected_and_cached() {
    let authz = TestAs::start().await;
    let now = get_current_timestamp();
    {
        let mut answers = authz.state.introspection.lock().expect("lock");
        answers.insert(
            "opaque-good".into(),
            json!({"active": true, "iss": authz.issuer, "aud": RESOURCE, "exp": now + 600,
                   "client_id": "machine", "scope": "twilio:read"}),
        );
        answers.insert(
            "opaque-other".into(),
            json!({"active": true, "iss": authz.issuer, "aud": "https://other.example.com/mcp",
                   "exp": now + 600, "sub": "x", "scope": "twilio:write"}),
        );
    }
    let oauth = authz.oauth().await;
    let caller = verdict(&oauth, "opaque-good").await.expect("active");
    assert_eq!(caller.id(), "oauth:machine");
    assert!(caller.restrictions().read_only());
    assert!(verdict(&oauth, "opaque-good").await.is_ok());
    assert_eq!(
        authz.state.introspections.load(Ordering::SeqCst),
        1,
        "cached"
    );
    assert!(matches!(
        verdict(&oauth, "opaque-other").await,
        Err(TokenError::Invalid(_))
    ));
    assert!(matches!(
        verdict(&oauth, "opaque-unknown").await,
        Err(TokenError::Invalid(_))
    ));

    // Without introspection configured, opaque tokens are simply invalid.
    let jwt_only = OAuth::new(OAuthSettings {
        introspection: None,
        ..authz.settings()
    })
    .expect("settings");
    assert_eq!(
        verdict(&jwt_only, "opaque-good").await.err(),
        Some(TokenError::Invalid("not a JWT"))
    );
}

// ---------------------------------------------------------------------------
// The HTTP router: keys and tokens end to end, with a counting Twilio stand-in.

struct Twilio {
    url: String,
    hits: Arc<AtomicUsize>,
}

impl Twilio {
    async fn start() -> Self {
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let app = Router::new().fallback(any(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                axum::Json(json!({"messages": [], "page": 0, "page_size": 1,
                                  "sid": "SM0123456789abcdef0123456789abcdef", "status": "queued"}))
            }
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Self { url, hits }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn router_for(
    twilio: &Twilio,
    keys: Option<KeyStore>,
    oauth: Option<OAuth>,
    read_only: bool,
) -> Router {
    let policy = ToolPolicy::new(read_only, &[], &[]).expect("policy");
    let selection = Selection::parse(&["Messaging"]).expect("services");
    let state = AppState {
        client: TwilioClient::new(Duration::from_secs(10)),
        credentials: CredentialState::Ready(Credentials {
            account_sid: "AC0123456789abcdef0123456789abcdef".into(),
            api_key: "SK0123456789abcdef0123456789abcdef".into(),
            api_secret: Secret::new("the-api-secret"),
        }),
        base_url: Some(twilio.url.clone()),
        max_response_bytes: 32 * 1024,
        default_scope: Scope {
            tools: ToolSet::new(selection, &policy),
            mode: Mode::Tools,
            caller: Caller::stdio(),
        },
        policy,
    };
    let options = HttpOptions {
        bind: "127.0.0.1:0".parse().expect("address"),
        signature: None,
        keys: keys.map(Arc::new),
        oauth: oauth.map(Arc::new),
        public_base: Some("https://mcp.example.com".parse().expect("base")),
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

/// Request headers of a test.
type Headers<'a> = &'a [(&'a str, &'a str)];

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

async fn post(app: &Router, query: &str, headers: &[(&str, &str)], message: Value) -> Answer {
    let mut request = axum::http::Request::post(format!("/mcp{query}"))
        .header("host", HOST)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Body::from(message.to_string()))
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

fn list() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
}

fn call(name: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
           "params": {"name": name, "arguments": arguments}})
}

fn write_call() -> Value {
    call(
        "ApiV2010_CreateMessage",
        json!({"To": "+15558675310", "From": "+15017122661", "Body": "hi"}),
    )
}

fn read_call() -> Value {
    call("ApiV2010_ListMessage", json!({"PageSize": 1}))
}

fn tool_names(answer: &Answer) -> Vec<String> {
    answer.body["result"]["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .filter_map(|t| t["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn www_authenticate(answer: &Answer) -> String {
    answer
        .headers
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

fn key_entries() -> String {
    format!(
        "ops {}\nreader {} read-only\nvoice {} services=Voice",
        digest_text(&digest("key-ops")),
        digest_text(&digest("key-reader")),
        digest_text(&digest("key-voice")),
    )
}

#[tokio::test]
async fn bearer_keys_right_wrong_and_restricted() {
    let twilio = Twilio::start().await;
    let keys = KeyStore::from_text(&key_entries()).expect("keys");
    let app = router_for(&twilio, Some(keys), None, false);

    // Right key, either header: listed and called as the key's name.
    for header in ["authorization", "x-api-key"] {
        let value = if header == "authorization" {
            "Bearer key-ops"
        } else {
            "key-ops"
        };
        let listed = post(&app, "", &[(header, value)], list()).await;
        assert_eq!(listed.status, StatusCode::OK, "{header}");
        assert_eq!(tool_names(&listed).len(), 10, "{header}");
    }
    let called = post(
        &app,
        "",
        &[("authorization", "Bearer key-ops")],
        write_call(),
    )
    .await;
    assert_eq!(called.body["result"]["isError"], false, "{}", called.body);
    assert_eq!(twilio.hits(), 1);

    // Wrong, missing, several, another scheme: refused, nothing sent.
    let refusals: [(Headers, StatusCode, &str); 6] = [
        (
            &[("authorization", "Bearer key-nope")],
            StatusCode::UNAUTHORIZED,
            "invalid API key",
        ),
        (
            &[("x-api-key", "key-nope")],
            StatusCode::UNAUTHORIZED,
            "invalid API key",
        ),
        (
            &[],
            StatusCode::UNAUTHORIZED,
            "missing credentials: send Authorization: Bearer or X-API-Key",
        ),
        (
            &[("authorization", "Basic a2V5LW9wczo=")],
            StatusCode::UNAUTHORIZED,
            "unsupported Authorization header",
        ),
        (
            &[
                ("authorization", "Bearer key-nope"),
                ("x-api-key", "key-ops"),
            ],
            StatusCode::BAD_REQUEST,
            "send one credential",
        ),
        (
            &[
                ("authorization", "Bearer key-ops"),
                ("x-api-key", "key-ops"),
            ],
            StatusCode::BAD_REQUEST,
            "send one credential",
        ),
    ];
    for (headers, status, message) in refusals {
        let answer = post(&app, "", headers, write_call()).await;
        assert_eq!(answer.status, status, "{headers:?}");
        let text = answer.body["error"].as_str().unwrap_or("");
        assert!(text.starts_with(message), "{headers:?}: {text}");
        if status == StatusCode::UNAUTHORIZED {
            let challenge = www_authenticate(&answer);
            assert!(challenge.starts_with("Bearer"), "{challenge}");
            // Keys alone never advertise OAuth.
            assert!(!challenge.contains("resource_metadata"), "{challenge}");
        }
    }
    assert_eq!(twilio.hits(), 1);

    // A read-only key lists only read tools and is told why a write tool is refused.
    let reader = [("authorization", "Bearer key-reader")];
    let listed = post(&app, "", &reader, list()).await;
    let names = tool_names(&listed);
    assert!(
        names.contains(&"ApiV2010_ListMessage".to_string()),
        "{names:?}"
    );
    assert!(
        !names.contains(&"ApiV2010_CreateMessage".to_string()),
        "{names:?}"
    );
    let refused = post(&app, "", &reader, write_call()).await;
    assert_eq!(refused.body["error"]["code"], -32602, "{}", refused.body);
    assert_eq!(
        refused.body["error"]["message"],
        "tool `ApiV2010_CreateMessage` is not available: API key `reader` is read-only"
    );
    assert_eq!(twilio.hits(), 1);
    assert_eq!(
        post(&app, "", &reader, read_call()).await.body["result"]["isError"],
        false
    );
    assert_eq!(twilio.hits(), 2);

    // A key limited to Voice sees Voice by default, and nothing else even when asked.
    let voice = [("x-api-key", "key-voice")];
    let listed = post(&app, "", &voice, list()).await;
    let names = tool_names(&listed);
    assert!(
        names.contains(&"ApiV2010_CreateCall".to_string()),
        "{names:?}"
    );
    assert!(
        !names.contains(&"ApiV2010_CreateMessage".to_string()),
        "{names:?}"
    );
    assert!(tool_names(&post(&app, "?services=Messaging", &voice, list()).await).is_empty());
    let refused = post(&app, "?services=Messaging", &voice, write_call()).await;
    assert_eq!(
        refused.body["error"]["message"],
        "tool `ApiV2010_CreateMessage` is not available: API key `voice` is limited to the services Voice"
    );
    assert_eq!(twilio.hits(), 2);
}

#[tokio::test]
async fn key_restrictions_never_widen_the_server_policy() {
    let twilio = Twilio::start().await;
    let keys = KeyStore::from_text(&key_entries()).expect("keys");
    // The server is read-only; the unrestricted key stays read-only.
    let app = router_for(&twilio, Some(keys), None, true);
    let ops = [("authorization", "Bearer key-ops")];
    let names = tool_names(&post(&app, "", &ops, list()).await);
    assert!(!names.is_empty() && !names.contains(&"ApiV2010_CreateMessage".to_string()));
    let refused = post(&app, "", &ops, write_call()).await;
    assert_eq!(
        refused.body["error"]["message"],
        "tool `ApiV2010_CreateMessage` is not available: the server runs in read-only mode"
    );
    assert_eq!(twilio.hits(), 0);
}

#[tokio::test]
async fn oauth_over_http_challenges_validates_and_steps_up() {
    let twilio = Twilio::start().await;
    let authz = TestAs::start().await;
    let keys = KeyStore::from_text(&key_entries()).expect("keys");
    let app = router_for(&twilio, Some(keys), Some(authz.oauth().await), false);
    let metadata_url = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";

    // No credential: 401 naming the metadata.
    let missing = post(&app, "", &[], list()).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        www_authenticate(&missing),
        format!("Bearer resource_metadata=\"{metadata_url}\"")
    );

    // The metadata, at both paths.
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let request = axum::http::Request::get(path)
            .header("host", HOST)
            .body(Body::empty())
            .expect("request");
        let response = app.clone().oneshot(request).await.expect("response");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let bytes = to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let doc: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(doc["resource"], RESOURCE);
        assert_eq!(doc["authorization_servers"], json!([authz.issuer]));
        assert_eq!(
            doc["scopes_supported"],
            json!(["twilio:read", "twilio:write"])
        );
    }

    // A bad token: 401 invalid_token; nothing sent.
    let expired = sign(
        Algorithm::RS256,
        &with(
            &authz.claims(),
            json!({"exp": get_current_timestamp() - 3600}),
        ),
    );
    let bearer = format!("Bearer {expired}");
    let refused = post(&app, "", &[("authorization", &bearer)], read_call()).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(www_authenticate(&refused).starts_with("Bearer error=\"invalid_token\""));
    assert_eq!(refused.body["error"], "invalid access token");

    // Keys still work beside OAuth.
    let ops = post(
        &app,
        "",
        &[("authorization", "Bearer key-ops")],
        read_call(),
    )
    .await;
    assert_eq!(ops.body["result"]["isError"], false);
    assert_eq!(twilio.hits(), 1);

    // A read-only token: lists read tools, reads, and a write is 403 asking for twilio:write.
    let read = sign(
        Algorithm::ES256,
        &with(&authz.claims(), json!({"scope": "twilio:read"})),
    );
    let bearer = format!("Bearer {read}");
    let auth = [("authorization", bearer.as_str())];
    let names = tool_names(&post(&app, "", &auth, list()).await);
    assert!(names.contains(&"ApiV2010_ListMessage".to_string()));
    assert!(!names.contains(&"ApiV2010_CreateMessage".to_string()));
    assert_eq!(
        post(&app, "", &auth, read_call()).await.body["result"]["isError"],
        false
    );
    assert_eq!(twilio.hits(), 2);
    let step_up = post(&app, "", &auth, write_call()).await;
    assert_eq!(step_up.status, StatusCode::FORBIDDEN);
    assert_eq!(
        www_authenticate(&step_up),
        format!(
            "Bearer error=\"insufficient_scope\", scope=\"twilio:write\", resource_metadata=\"{metadata_url}\""
        )
    );
    let discover = post(
        &app,
        "?mode=discover",
        &auth,
        call(
            "call_twilio_tool",
            json!({"name": "ApiV2010_CreateMessage", "arguments": {}}),
        ),
    )
    .await;
    assert_eq!(discover.status, StatusCode::FORBIDDEN, "discovery mode too");
    assert_eq!(twilio.hits(), 2, "no write reached Twilio");

    // A token narrowed to Messaging asks for the Voice service scope.
    let messaging = sign(
        Algorithm::EdDSA,
        &with(
            &authz.claims(),
            json!({"scope": "twilio:write twilio:services:Messaging"}),
        ),
    );
    let bearer = format!("Bearer {messaging}");
    let voice_call = call(
        "ApiV2010_CreateCall",
        json!({"To": "+15558675310", "From": "+15017122661", "Url": "https://example.com/twiml"}),
    );
    let step_up = post(
        &app,
        "?services=Voice",
        &[("authorization", &bearer)],
        voice_call,
    )
    .await;
    assert_eq!(step_up.status, StatusCode::FORBIDDEN);
    assert!(www_authenticate(&step_up).contains("scope=\"twilio:services:Voice\""));

    // Without any twilio scope: 403 asking for twilio:read, from the head.
    let none = sign(
        Algorithm::RS256,
        &with(&authz.claims(), json!({"scope": "openid"})),
    );
    let bearer = format!("Bearer {none}");
    let nothing = post(&app, "", &[("authorization", &bearer)], list()).await;
    assert_eq!(nothing.status, StatusCode::FORBIDDEN);
    assert!(www_authenticate(&nothing).contains("scope=\"twilio:read\""));

    // A full token writes.
    let full = format!("Bearer {}", sign(Algorithm::RS256, &authz.claims()));
    let wrote = post(&app, "", &[("authorization", &full)], write_call()).await;
    assert_eq!(wrote.body["result"]["isError"], false, "{}", wrote.body);
    assert_eq!(twilio.hits(), 3);

    // JWKS down and no usable key: 503, nothing sent.
    authz.set_jwks_mode("down");
    let fresh = router_for(&twilio, None, Some(authz.oauth().await), false);
    let unavailable = post(&fresh, "", &[("authorization", &full)], write_call()).await;
    assert_eq!(unavailable.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(twilio.hits(), 3);
}

#[tokio::test]
async fn metadata_is_absent_without_oauth() {
    let twilio = Twilio::start().await;
    let keys = KeyStore::from_text(&key_entries()).expect("keys");
    let app = router_for(&twilio, Some(keys), None, false);
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let request = axum::http::Request::get(path)
            .header("host", HOST)
            .body(Body::empty())
            .expect("request");
        let response = app.clone().oneshot(request).await.expect("response");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn restrictions_hold_for_resources_and_their_cache() {
    let twilio = Twilio::start().await;
    let keys = KeyStore::from_text(&key_entries()).expect("keys");
    let app = router_for(&twilio, Some(keys), None, false);
    let read = json!({"jsonrpc": "2.0", "id": 3, "method": "resources/read",
                      "params": {"uri": "twilio://account"}});
    let ops = post(
        &app,
        "",
        &[("authorization", "Bearer key-ops")],
        read.clone(),
    )
    .await;
    assert!(ops.body["result"]["contents"].is_array(), "{}", ops.body);
    assert_eq!(twilio.hits(), 1);
    // The account is cached now; a key limited to Voice still may not read it.
    let voice = post(&app, "", &[("x-api-key", "key-voice")], read).await;
    let message = voice.body["error"]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("API key `voice` is limited to the services Voice"),
        "{}",
        voice.body
    );
    assert_eq!(twilio.hits(), 1);
}
