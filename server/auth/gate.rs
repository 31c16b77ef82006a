//! Authentication from the request head: which configured method a
//! request uses, and, for bearer keys and OAuth tokens, the whole check.
//!
//! The methods, each only when configured:
//!
//! | credential | method | checked |
//! |---|---|---|
//! | `X-Twilio-Signature` | signature | here: present; after the body is read: valid ([`super::require_signature`]) |
//! | `X-API-Key: <key>` | API key | here |
//! | `Authorization: Bearer <value>` | API key if it is one, else OAuth access token | here |
//!
//! Rules:
//! * Any configured method may authenticate a request; the request must
//!   carry exactly one credential of a configured method. Headers of
//!   methods that are not configured are ignored.
//! * A credential that fails is refused; the server never falls back to
//!   another method, nor to no authentication.
//! * No credential: 401 (with `WWW-Authenticate: Bearer
//!   resource_metadata="…"` when OAuth is configured, so clients can find
//!   the authorization server).
//! * Every refusal is a short JSON error (`{"error": …}`) and nothing
//!   behind this layer runs; no credential is ever logged.
//!
//! With nothing configured this layer is not installed (loopback local
//! mode, or `--dangerously-allow-unsigned`).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, StatusCode};

use super::keys::KeyStore;
use super::layer::{SignatureConfig, reject, signature_header};
use super::oauth::{OAuth, TokenError};
use super::signature::SignatureError;
use crate::http_body::error_response;

/// The header a bearer key may also come in.
pub const API_KEY_HEADER: &str = "x-api-key";

/// The configured methods.
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    /// `X-Twilio-Signature`, keyed with these auth tokens.
    pub signature: Option<Arc<SignatureConfig>>,
    /// Static bearer keys.
    pub keys: Option<Arc<KeyStore>>,
    /// OAuth access tokens.
    pub oauth: Option<Arc<OAuth>>,
}

impl AuthConfig {
    /// True when at least one method is configured.
    pub fn is_configured(&self) -> bool {
        self.signature.is_some() || self.keys.is_some() || self.oauth.is_some()
    }

    /// The configured methods' names, for the start-up log.
    pub fn methods(&self) -> Vec<&'static str> {
        let mut methods = Vec::new();
        if self.signature.is_some() {
            methods.push("X-Twilio-Signature");
        }
        if self.keys.is_some() {
            methods.push("API keys");
        }
        if self.oauth.is_some() {
            methods.push("OAuth");
        }
        methods
    }
}

/// The one credential a request carries.
#[derive(Debug, PartialEq, Eq)]
enum Presented<'a> {
    Signature,
    ApiKey(&'a str),
    Bearer(&'a str),
}

/// Why the head does not name one usable credential.
#[derive(Debug, PartialEq, Eq)]
enum HeadError {
    Missing,
    Several,
    /// `Authorization` with another scheme than Bearer, or unreadable.
    BadAuthorization,
    /// `X-API-Key` that is not visible ASCII.
    BadApiKey,
}

/// The credentials of the configured methods in these headers.
fn presented<'a>(cfg: &AuthConfig, headers: &'a HeaderMap) -> Result<Presented<'a>, HeadError> {
    let mut found = Vec::new();
    if cfg.signature.is_some() && signature_header(headers).is_some() {
        found.push(Presented::Signature);
    }
    if cfg.keys.is_some() {
        for value in headers.get_all(API_KEY_HEADER) {
            let key = value.to_str().map_err(|_| HeadError::BadApiKey)?;
            found.push(Presented::ApiKey(key.trim()));
        }
    }
    if cfg.keys.is_some() || cfg.oauth.is_some() {
        for value in headers.get_all(AUTHORIZATION) {
            let text = value.to_str().map_err(|_| HeadError::BadAuthorization)?;
            let (scheme, rest) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
            if !scheme.eq_ignore_ascii_case("bearer") {
                return Err(HeadError::BadAuthorization);
            }
            found.push(Presented::Bearer(rest.trim()));
        }
    }
    match found.len() {
        0 => Err(HeadError::Missing),
        1 => Ok(found.swap_remove(0)),
        _ => Err(HeadError::Several),
    }
}

/// Layer: decides from the head which credential the request carries,
/// checks bearer keys and OAuth tokens, and puts the [`Caller`] in the
/// request's extensions; a signature is left for the check on the body.
///
/// [`Caller`]: super::Caller
pub async fn authenticate(
    State(cfg): State<Arc<AuthConfig>>,
    mut request: Request,
    next: Next,
) -> Response {
    let caller = match presented(&cfg, request.headers()) {
        Ok(Presented::Signature) => return next.run(request).await,
        Ok(Presented::ApiKey(key)) => match cfg.keys.as_ref().and_then(|k| k.lookup(key)) {
            Some(caller) => caller,
            None => return refuse_key(&cfg),
        },
        Ok(Presented::Bearer(value)) => {
            if let Some(caller) = cfg.keys.as_ref().and_then(|k| k.lookup(value)) {
                caller
            } else if let Some(oauth) = &cfg.oauth {
                match oauth.authenticate(value).await {
                    Ok(caller) => caller,
                    Err(error) => return refuse_token(oauth, &error),
                }
            } else {
                return refuse_key(&cfg);
            }
        }
        Err(error) => return refuse_head(&cfg, request, error),
    };
    request.extensions_mut().insert(caller);
    next.run(request).await
}

fn refuse_head(cfg: &AuthConfig, request: Request, error: HeadError) -> Response {
    let only_signature = cfg.keys.is_none() && cfg.oauth.is_none();
    if only_signature && error == HeadError::Missing {
        // Exactly as before other methods existed (`reject` counts it).
        return reject(&request.into_parts().0, SignatureError::Missing);
    }
    crate::metrics::auth_failure(match error {
        HeadError::Missing => "missing_credentials",
        HeadError::Several => "several_credentials",
        HeadError::BadAuthorization => "bad_authorization_header",
        HeadError::BadApiKey => "invalid_key",
    });
    let (status, message) = match error {
        HeadError::Missing => (StatusCode::UNAUTHORIZED, missing_message(cfg)),
        HeadError::Several => (
            StatusCode::BAD_REQUEST,
            "send one credential, not several".to_string(),
        ),
        HeadError::BadAuthorization => (
            StatusCode::UNAUTHORIZED,
            "unsupported Authorization header: use `Authorization: Bearer <credential>`"
                .to_string(),
        ),
        HeadError::BadApiKey => (StatusCode::UNAUTHORIZED, "invalid API key".to_string()),
    };
    tracing::info!(status = status.as_u16(), "mcp request rejected: {message}");
    let mut response = error_response(status, &message);
    if status == StatusCode::UNAUTHORIZED {
        let error = match error {
            HeadError::Missing => None,
            HeadError::BadApiKey => Some("invalid_token"),
            _ => Some("invalid_request"),
        };
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, challenge(cfg, error));
    }
    response
}

/// "missing credentials: send Authorization: Bearer, X-API-Key or X-Twilio-Signature".
fn missing_message(cfg: &AuthConfig) -> String {
    let mut ways = Vec::new();
    if cfg.keys.is_some() || cfg.oauth.is_some() {
        ways.push("Authorization: Bearer");
    }
    if cfg.keys.is_some() {
        ways.push("X-API-Key");
    }
    if cfg.signature.is_some() {
        ways.push("X-Twilio-Signature");
    }
    let list = match ways.split_last() {
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    format!("missing credentials: send {list}")
}

fn refuse_key(cfg: &AuthConfig) -> Response {
    crate::metrics::auth_failure("invalid_key");
    tracing::info!(status = 401, "mcp request rejected: unknown API key");
    let mut response = error_response(StatusCode::UNAUTHORIZED, "invalid API key");
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, challenge(cfg, Some("invalid_token")));
    response
}

fn refuse_token(oauth: &OAuth, error: &TokenError) -> Response {
    crate::metrics::auth_failure(match error {
        TokenError::Invalid(_) => "invalid_token",
        TokenError::NoAccess => "insufficient_scope",
        TokenError::Unavailable(_) => "token_check_unavailable",
    });
    match error {
        TokenError::Invalid(reason) => {
            tracing::info!(
                status = 401,
                reason,
                "mcp request rejected: invalid access token"
            );
        }
        TokenError::NoAccess => tracing::info!(
            status = 403,
            "mcp request rejected: the access token has no twilio:read or twilio:write scope"
        ),
        TokenError::Unavailable(why) => tracing::warn!(
            status = 503,
            error = %why,
            "mcp request rejected: access tokens cannot be checked (fail closed)"
        ),
    }
    oauth.refusal(error)
}

/// The `WWW-Authenticate` value of a 401: OAuth's challenge (naming the
/// resource metadata) when OAuth is configured, a plain Bearer challenge
/// for keys alone.
fn challenge(cfg: &AuthConfig, error: Option<&str>) -> HeaderValue {
    match (&cfg.oauth, error) {
        (Some(oauth), error) => oauth.challenge(error, None),
        (None, Some(error)) => {
            HeaderValue::from_str(&format!("Bearer realm=\"twilio-mcp\", error=\"{error}\""))
                .unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
        }
        (None, None) => HeaderValue::from_static("Bearer realm=\"twilio-mcp\""),
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::middleware::from_fn_with_state;
    use axum::routing::any;
    use http::header::{CONTENT_TYPE, HOST};
    use tower::{ServiceBuilder, ServiceExt};

    use super::*;
    use crate::auth::keys::{digest, digest_text};
    use crate::auth::signature::{HEADER, compute};
    use crate::auth::{Caller, require_signature};
    use crate::http_body::read_once;
    use crate::secret::Secret;

    const TOKEN: &str = "12345678901234567890123456789012";

    /// The head layer, the body, the signature check, then a handler
    /// answering the caller's id: the transport's order.
    fn app(signature: bool, keys: bool) -> Router {
        let cfg = Arc::new(AuthConfig {
            signature: signature.then(|| Arc::new(SignatureConfig::new(vec![Secret::new(TOKEN)]))),
            keys: keys.then(|| {
                let text = format!("ci {}", digest_text(&digest("key-ci")));
                Arc::new(KeyStore::from_text(&text).expect("keys"))
            }),
            oauth: None,
        });
        let service = ServiceBuilder::new()
            .layer(from_fn_with_state(cfg.clone(), authenticate))
            .layer(from_fn_with_state(1024usize, read_once))
            .option_layer(
                cfg.signature
                    .clone()
                    .map(|s| from_fn_with_state(s, require_signature)),
            )
            .service(any(|request: Request| async move {
                request
                    .extensions()
                    .get::<Caller>()
                    .map_or_else(|| "none".to_string(), Caller::id)
            }));
        Router::new().route_service("/mcp", service)
    }

    async fn send(app: &Router, headers: &[(&str, &str)]) -> (StatusCode, String, Option<String>) {
        let mut request = http::Request::post("/mcp")
            .header(HOST, "localhost:3000")
            .header(CONTENT_TYPE, "application/json");
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::from("{}")).expect("request"))
            .await
            .expect("infallible");
        let status = response.status();
        let challenge = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (
            status,
            String::from_utf8_lossy(&body).into_owned(),
            challenge,
        )
    }

    #[tokio::test]
    async fn signature_alone_behaves_as_before() {
        let app = app(true, false);
        let (status, body, challenge) = send(&app, &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, r#"{"error":"missing X-Twilio-Signature header"}"#);
        assert_eq!(challenge, None);
        let signature = compute(TOKEN, "http://localhost:3000/mcp", &[]);
        let (status, body, _) = send(&app, &[(HEADER, &signature)]).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "signature:primary")
        );
        // Without keys or OAuth, bearer headers are not a credential here.
        let (status, _, _) = send(&app, &[("authorization", "Bearer key-ci")]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, body, _) =
            send(&app, &[(HEADER, &signature), ("x-api-key", "whatever")]).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "signature:primary")
        );
    }

    #[tokio::test]
    async fn any_configured_method_authenticates_and_none_is_a_fallback() {
        let app = app(true, true);
        let signature = compute(TOKEN, "http://localhost:3000/mcp", &[]);
        let (status, body, _) = send(&app, &[(HEADER, &signature)]).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "signature:primary")
        );
        let (status, body, _) = send(&app, &[("authorization", "Bearer key-ci")]).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "key:ci"));
        let (status, body, _) = send(&app, &[("x-api-key", "key-ci")]).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "key:ci"));

        // A failing credential next to a good one: refused, not retried.
        let (status, _, _) = send(
            &app,
            &[(HEADER, &signature), ("authorization", "Bearer wrong")],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // A wrong signature is not rescued by anything.
        let (status, _, _) = send(&app, &[(HEADER, "d3Jvbmc=")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // A wrong key is 401 with a Bearer challenge.
        let (status, body, challenge) = send(&app, &[("x-api-key", "wrong")]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, r#"{"error":"invalid API key"}"#);
        assert_eq!(
            challenge.as_deref(),
            Some(r#"Bearer realm="twilio-mcp", error="invalid_token""#)
        );
        let (status, body, challenge) = send(&app, &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            body,
            r#"{"error":"missing credentials: send Authorization: Bearer, X-API-Key or X-Twilio-Signature"}"#
        );
        assert_eq!(challenge.as_deref(), Some(r#"Bearer realm="twilio-mcp""#));
    }

    #[test]
    fn only_configured_methods_count_as_presented() {
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", HeaderValue::from_static("k"));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("bearer   t  "));
        let none = AuthConfig::default();
        assert_eq!(presented(&none, &headers), Err(HeadError::Missing));
        let oauth_like = AuthConfig {
            keys: Some(Arc::new(KeyStore::from_text("").expect("empty"))),
            ..AuthConfig::default()
        };
        assert_eq!(presented(&oauth_like, &headers), Err(HeadError::Several));
        headers.remove("x-api-key");
        assert_eq!(presented(&oauth_like, &headers), Ok(Presented::Bearer("t")));
    }
}
