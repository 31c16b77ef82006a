//! axum middleware that checks `X-Twilio-Signature` before the MCP service
//! sees a request.
//!
//! Install it with [`axum::middleware::from_fn_with_state`] on the route that
//! serves MCP (the HTTP transport also puts [`super::authenticate`] in front
//! of its body layer, so requests without a credential are refused before any
//! body is read; [`reject_unsigned`] does that for the signature alone):
//!
//! ```ignore
//! let cfg = Arc::new(SignatureConfig::new(vec![Secret::new(token)]));
//! let app = Router::new()
//!     .route_service("/mcp", mcp_service)
//!     .layer(axum::middleware::from_fn_with_state(cfg, require_signature));
//! ```
//!
//! The signed URL is rebuilt from the request's path and query *as received*,
//! so install the layer where the URI still carries the full path: on the
//! outer router or on a `route_service`, not inside a `nest`/`nest_service`
//! (which strips the prefix from the URI).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::header::{CONTENT_TYPE, HOST};
use http::{HeaderMap, request::Parts};

use super::caller::{AuthMethod, Caller};
use super::signature::{self, SignatureError};
use crate::http_body::{buffer, error_response};
use crate::secret::Secret;

/// Default request body limit, the same as rmcp's Streamable HTTP default.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Settings of the signature middleware.
///
/// `Debug` is safe to log: the tokens print as `[redacted]`.
#[derive(Debug, Clone)]
pub struct SignatureConfig {
    /// Auth tokens accepted (the current one, plus the previous one during a
    /// rotation). Empty tokens are ignored; with none, every request fails.
    pub tokens: Vec<Secret>,
    /// The public scheme and host the MCP clients (and Twilio) sign, when the
    /// server sits behind a proxy or tunnel. Takes precedence over headers.
    pub public_base: Option<PublicBase>,
    /// Use `X-Forwarded-Proto` / `X-Forwarded-Host` to rebuild the public URL
    /// when `public_base` is unset. Only safe behind a proxy that overwrites
    /// those headers.
    pub trust_forwarded: bool,
    /// Strict mode: require `bodySHA256` in the URL so the body is
    /// authenticated too.
    pub require_body_hash: bool,
    /// Largest body read for the check; larger requests get 413.
    pub max_body_bytes: usize,
}

impl SignatureConfig {
    /// A configuration accepting `tokens`, rebuilding the URL from the `Host`
    /// header over `http://`, not strict, with [`DEFAULT_MAX_BODY_BYTES`].
    #[must_use]
    pub fn new(tokens: Vec<Secret>) -> Self {
        Self {
            tokens,
            public_base: None,
            trust_forwarded: false,
            require_body_hash: false,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// The scheme and authority (`host[:port]`) of the server's public URL, e.g.
/// parsed from `https://example.com`.
///
/// The authority is kept exactly as written, because the signature covers the
/// URL text; the scheme is lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBase {
    scheme: String,
    authority: String,
}

/// Why a string is not a usable [`PublicBase`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBaseError(&'static str);

impl fmt::Display for PublicBaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid public base URL: {}", self.0)
    }
}

impl std::error::Error for PublicBaseError {}

impl PublicBase {
    /// Parses `http[s]://host[:port]`, with an optional trailing `/`.
    ///
    /// Paths are rejected: the request's own path is appended as received, so
    /// a prefix here would silently never match.
    ///
    /// # Errors
    ///
    /// A [`PublicBaseError`] saying what is wrong with `input`.
    pub fn parse(input: &str) -> Result<Self, PublicBaseError> {
        let input = input.trim();
        let (scheme, rest) = input
            .split_once("://")
            .ok_or(PublicBaseError("expected http://host or https://host"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(PublicBaseError("the scheme must be http or https"));
        }
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.is_empty() {
            return Err(PublicBaseError("the host is missing"));
        }
        if authority.contains(['/', '?', '#']) {
            return Err(PublicBaseError(
                "only scheme and host[:port] are allowed, no path, query or fragment",
            ));
        }
        if authority.contains('@') {
            return Err(PublicBaseError("user information is not allowed"));
        }
        // Let the URL parser reject what it would not accept as a host or port
        // (spaces, bad ports, ...), but keep our own text for signing.
        url::Url::parse(&format!("{scheme}://{authority}/"))
            .map_err(|_| PublicBaseError("the host or port is not valid"))?;
        Ok(Self {
            scheme,
            authority: authority.to_owned(),
        })
    }

    /// `http` or `https`.
    #[must_use]
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// `host[:port]`, as configured.
    #[must_use]
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The public URL of a request with this path and query.
    #[must_use]
    pub fn url_for(&self, path_and_query: &str) -> String {
        format!("{}://{}{}", self.scheme, self.authority, path_and_query)
    }
}

impl FromStr for PublicBase {
    type Err = PublicBaseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input)
    }
}

impl fmt::Display for PublicBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.authority)
    }
}

/// Middleware rejecting requests without a valid `X-Twilio-Signature`.
///
/// Answers 401 when the header is missing, 403 when it is wrong (or the body
/// does not match `bodySHA256`, or strict mode wants one), 413 when the body
/// exceeds `max_body_bytes`; each with a JSON body `{"error": "..."}`. On
/// success the request is passed on with its body intact. A body an earlier
/// layer read ([`crate::http_body::BufferedBody`]) is used as it is, not
/// read again.
pub async fn require_signature(
    State(cfg): State<Arc<SignatureConfig>>,
    req: Request,
    next: Next,
) -> Response {
    // Authenticated from the head by another method (an API key, an OAuth
    // token): the signature is not this request's credential.
    if req
        .extensions()
        .get::<Caller>()
        .is_some_and(|c| c.method() != AuthMethod::Signature)
    {
        return next.run(req).await;
    }
    // Reject unsigned requests before reading (possibly large) bodies.
    let Some(signature) = signature_header(req.headers()) else {
        return reject(&req.into_parts().0, SignatureError::Missing);
    };

    let (req, bytes) = match buffer(req, cfg.max_body_bytes).await {
        Ok(read) => read,
        Err(error) => {
            crate::metrics::auth_failure("unreadable_body");
            tracing::warn!(
                reason = %error.message(),
                "rejected request to the MCP endpoint"
            );
            return error_response(error.status(), error.message());
        }
    };
    let (parts, body): (Parts, Body) = req.into_parts();

    let url = public_url(&cfg, &parts);
    // Only form bodies contribute parameters to the signed string; MCP sends
    // JSON, for which Twilio signs the URL alone.
    let params = if is_form_urlencoded(&parts.headers) {
        signature::form_params(&bytes)
    } else {
        Vec::new()
    };
    let result = signature::validate_token(
        &cfg.tokens,
        &url,
        &params,
        Some(&bytes),
        Some(&signature),
        cfg.require_body_hash,
    );
    match result {
        Ok(token_index) => {
            let mut request = Request::from_parts(parts, body);
            request
                .extensions_mut()
                .insert(Caller::signature(token_index));
            next.run(request).await
        }
        Err(error) => reject(&parts, error),
    }
}

/// Middleware answering 401 to a request without `X-Twilio-Signature`, from
/// its head alone: in front of the layer that reads bodies, it keeps an
/// unsigned request from costing a body read. [`require_signature`] does
/// the whole check after it.
pub async fn reject_unsigned(req: Request, next: Next) -> Response {
    if signature_header(req.headers()).is_none() {
        return reject(&req.into_parts().0, SignatureError::Missing);
    }
    next.run(req).await
}

/// The header value; `None` when absent or empty. A value that is not
/// visible ASCII is kept (lossily) so it fails as invalid, not as missing.
pub(super) fn signature_header(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(signature::HEADER)?;
    if value.is_empty() {
        return None;
    }
    Some(String::from_utf8_lossy(value.as_bytes()).into_owned())
}

/// Logs and answers a failed check. Only method, path and reason are logged:
/// never the body, the query (it may carry a body hash), the header or a token.
pub(super) fn reject(parts: &Parts, error: SignatureError) -> Response {
    crate::metrics::auth_failure(match error {
        SignatureError::Missing => "missing_signature",
        SignatureError::Invalid => "invalid_signature",
        SignatureError::BodyHashMismatch => "body_hash_mismatch",
        SignatureError::BodyHashRequired => "body_hash_required",
    });
    tracing::warn!(
        method = %parts.method,
        path = %parts.uri.path(),
        reason = %error,
        "rejected request to the MCP endpoint"
    );
    error_response(error.status(), &error.to_string())
}

/// Whether the body is `application/x-www-form-urlencoded` (parameters such as
/// `; charset=utf-8` ignored).
fn is_form_urlencoded(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| {
            essence
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The URL the client signed: the configured public base, or the request's
/// scheme and host, followed by the path and query exactly as received.
fn public_url(cfg: &SignatureConfig, parts: &Parts) -> String {
    // http::Uri keeps the request target's bytes as sent (no decoding or
    // re-ordering), so repeated `services=` keys stay in order.
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |path_and_query| path_and_query.as_str());
    if let Some(base) = &cfg.public_base {
        return base.url_for(path_and_query);
    }

    // Without a Host header (HTTP/2 or absolute-form requests) the authority
    // is in the URI. With neither the URL cannot match, which is the safe
    // outcome.
    let host = header_str(&parts.headers, HOST.as_str())
        .or_else(|| parts.uri.authority().map(http::uri::Authority::as_str))
        .unwrap_or("");
    if !cfg.trust_forwarded {
        return format!("http://{host}{path_and_query}");
    }
    // Behind several proxies these are comma-separated lists; the first entry
    // is what the client-facing proxy saw.
    let scheme = first_forwarded(&parts.headers, "x-forwarded-proto")
        .map(str::to_ascii_lowercase)
        .filter(|scheme| scheme == "http" || scheme == "https")
        .unwrap_or_else(|| "http".to_owned());
    let host = first_forwarded(&parts.headers, "x-forwarded-host").unwrap_or(host);
    format!("{scheme}://{host}{path_and_query}")
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
}

fn first_forwarded<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    header_str(headers, name)
        .and_then(|value| value.split(',').next())
        .map(str::trim)
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::body::Bytes;
    use axum::middleware::from_fn_with_state;
    use axum::routing::any;
    use http::StatusCode;
    use tower::ServiceExt;

    use super::*;
    use crate::auth::signature::{BODY_SHA256_PARAM, HEADER, body_sha256_hex, compute};

    const TOKEN: &str = "test-auth-token";
    const HOST_HEADER: &str = "localhost:8080";
    const JSON_BODY: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;

    /// A router whose handler answers `reached <body>` and counts its calls.
    fn app(cfg: SignatureConfig) -> (Router, Arc<AtomicUsize>) {
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        let router = Router::new()
            .route(
                "/mcp",
                any(move |body: Bytes| {
                    let counter = Arc::clone(&counter);
                    async move {
                        counter.fetch_add(1, Ordering::SeqCst);
                        format!("reached {}", String::from_utf8_lossy(&body))
                    }
                }),
            )
            .layer(from_fn_with_state(Arc::new(cfg), require_signature));
        (router, hits)
    }

    fn config() -> SignatureConfig {
        SignatureConfig::new(vec![Secret::new(TOKEN)])
    }

    fn json_request(path_and_query: &str, signature: Option<&str>) -> http::request::Builder {
        let mut builder = Request::builder()
            .method("POST")
            .uri(path_and_query)
            .header(HOST, HOST_HEADER)
            .header(CONTENT_TYPE, "application/json");
        if let Some(signature) = signature {
            builder = builder.header(HEADER, signature);
        }
        builder
    }

    async fn send(router: Router, request: Request) -> (StatusCode, String) {
        let response = router.oneshot(request).await.expect("router is infallible");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("test response body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    fn error_of(body: &str) -> String {
        let value: serde_json::Value = serde_json::from_str(body).expect("JSON error body");
        value["error"].as_str().expect("error field").to_owned()
    }

    #[tokio::test]
    async fn good_signature_reaches_the_handler_with_the_body() {
        let (router, hits) = app(config());
        let signature = compute(TOKEN, "http://localhost:8080/mcp", &[]);
        let request = json_request("/mcp", Some(&signature))
            .body(Body::from(JSON_BODY))
            .expect("request");
        let (status, body) = send(router, request).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, format!("reached {JSON_BODY}"));
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn missing_signature_is_401_and_never_reaches_the_handler() {
        let (router, hits) = app(config());
        let request = json_request("/mcp", None)
            .body(Body::from(JSON_BODY))
            .expect("request");
        let (status, body) = send(router.clone(), request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(error_of(&body), "missing X-Twilio-Signature header");

        let empty = json_request("/mcp", Some(""))
            .body(Body::from(JSON_BODY))
            .expect("request");
        let (status, _) = send(router, empty).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(hits.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn wrong_signature_is_403() {
        let (router, hits) = app(config());
        let signature = compute("some-other-token", "http://localhost:8080/mcp", &[]);
        let request = json_request("/mcp", Some(&signature))
            .body(Body::from(JSON_BODY))
            .expect("request");
        let (status, body) = send(router, request).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(error_of(&body), "invalid X-Twilio-Signature");
        assert!(!body.contains(TOKEN));
        assert_eq!(hits.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn public_base_replaces_the_host_header() {
        let signature = compute(TOKEN, "https://mcp.example.com/mcp", &[]);
        let request = || {
            json_request("/mcp", Some(&signature))
                .body(Body::from(JSON_BODY))
                .expect("request")
        };

        // Host is localhost:8080, so without a public base the URL differs.
        let (router, _) = app(config());
        assert_eq!(send(router, request()).await.0, StatusCode::FORBIDDEN);

        let mut cfg = config();
        cfg.public_base = Some(PublicBase::parse("https://mcp.example.com").expect("base"));
        let (router, _) = app(cfg);
        assert_eq!(send(router, request()).await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn forwarded_headers_are_ignored_unless_trusted() {
        let signature = compute(TOKEN, "https://mcp.example.com/mcp", &[]);
        let request = || {
            json_request("/mcp", Some(&signature))
                .header("x-forwarded-proto", "https, http")
                .header("x-forwarded-host", "mcp.example.com")
                .body(Body::from(JSON_BODY))
                .expect("request")
        };

        let (router, hits) = app(config());
        assert_eq!(send(router, request()).await.0, StatusCode::FORBIDDEN);
        assert_eq!(hits.load(Ordering::SeqCst), 0);

        let mut cfg = config();
        cfg.trust_forwarded = true;
        let (router, hits) = app(cfg);
        assert_eq!(send(router, request()).await.0, StatusCode::OK);
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn trusted_forwarded_proto_falls_back_to_the_host_header() {
        let signature = compute(TOKEN, "https://localhost:8080/mcp", &[]);
        let mut cfg = config();
        cfg.trust_forwarded = true;
        let (router, _) = app(cfg);
        let request = json_request("/mcp", Some(&signature))
            .header("x-forwarded-proto", "https")
            .body(Body::from(JSON_BODY))
            .expect("request");
        assert_eq!(send(router, request).await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn public_base_wins_over_trusted_forwarded_headers() {
        let signature = compute(TOKEN, "https://configured.example.com/mcp", &[]);
        let mut cfg = config();
        cfg.trust_forwarded = true;
        cfg.public_base = Some(PublicBase::parse("https://configured.example.com/").expect("base"));
        let (router, _) = app(cfg);
        let request = json_request("/mcp", Some(&signature))
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-host", "attacker.example.com")
            .body(Body::from(JSON_BODY))
            .expect("request");
        assert_eq!(send(router, request).await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn repeated_query_keys_are_signed_in_order() {
        let path = "/mcp?services=messaging&services=api&services=messaging&x=%2F";
        let signature = compute(TOKEN, &format!("http://{HOST_HEADER}{path}"), &[]);
        let (router, _) = app(config());
        let request = json_request(path, Some(&signature))
            .body(Body::from(JSON_BODY))
            .expect("request");
        assert_eq!(send(router.clone(), request).await.0, StatusCode::OK);

        // The same keys in another order are a different URL.
        let reordered = "/mcp?services=api&services=messaging&services=messaging&x=%2F";
        let request = json_request(reordered, Some(&signature))
            .body(Body::from(JSON_BODY))
            .expect("request");
        assert_eq!(send(router, request).await.0, StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn json_body_with_body_sha256() {
        let path = format!(
            "/mcp?services=api&{BODY_SHA256_PARAM}={}",
            body_sha256_hex(JSON_BODY.as_bytes())
        );
        let signature = compute(TOKEN, &format!("http://{HOST_HEADER}{path}"), &[]);
        let mut cfg = config();
        cfg.require_body_hash = true;
        let (router, hits) = app(cfg);

        let good = json_request(&path, Some(&signature))
            .body(Body::from(JSON_BODY))
            .expect("request");
        let (status, body) = send(router.clone(), good).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, format!("reached {JSON_BODY}"));

        let tampered = json_request(&path, Some(&signature))
            .body(Body::from(
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call"}"#,
            ))
            .expect("request");
        let (status, body) = send(router.clone(), tampered).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(error_of(&body), "request body does not match bodySHA256");

        // Strict mode: a URL-only signature is not enough.
        let url_only = compute(TOKEN, &format!("http://{HOST_HEADER}/mcp"), &[]);
        let unhashed = json_request("/mcp", Some(&url_only))
            .body(Body::from(JSON_BODY))
            .expect("request");
        let (status, body) = send(router, unhashed).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(error_of(&body), "bodySHA256 query parameter is required");
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn form_bodies_are_signed_with_their_parameters() {
        let body = "To=%2B18005551212&From=%2B14158675310&Body=hi+there";
        let params = signature::form_params(body.as_bytes());
        let signature = compute(TOKEN, &format!("http://{HOST_HEADER}/mcp"), &params);
        let (router, _) = app(config());
        let request = Request::builder()
            .method("POST")
            .uri("/mcp")
            .header(HOST, HOST_HEADER)
            .header(
                CONTENT_TYPE,
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .header(HEADER, &signature)
            .body(Body::from(body))
            .expect("request");
        assert_eq!(send(router.clone(), request).await.0, StatusCode::OK);

        // The same body sent as JSON would be signed over the URL alone.
        let request = json_request("/mcp", Some(&signature))
            .body(Body::from(body))
            .expect("request");
        assert_eq!(send(router, request).await.0, StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn oversized_bodies_are_413() {
        let mut cfg = config();
        cfg.max_body_bytes = 16;
        let (router, hits) = app(cfg);
        let signature = compute(TOKEN, "http://localhost:8080/mcp", &[]);

        // Declared length over the limit.
        let request = json_request("/mcp", Some(&signature))
            .body(Body::from(JSON_BODY))
            .expect("request");
        let (status, body) = send(router.clone(), request).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(error_of(&body), "request body too large");

        // Streamed (no length) over the limit.
        let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
            Ok(Bytes::from_static(b"0123456789")),
            Ok(Bytes::from_static(b"0123456789")),
        ];
        let request = json_request("/mcp", Some(&signature))
            .body(Body::from_stream(futures::stream::iter(chunks)))
            .expect("request");
        assert_eq!(
            send(router.clone(), request).await.0,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(hits.load(Ordering::SeqCst), 0);

        // Streamed within the limit, in several chunks: reassembled in order.
        let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
            Ok(Bytes::from_static(b"{\"a\":")),
            Ok(Bytes::from_static(b"1}")),
        ];
        let request = json_request("/mcp", Some(&signature))
            .body(Body::from_stream(futures::stream::iter(chunks)))
            .expect("request");
        let (status, body) = send(router, request).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "reached {\"a\":1}");
    }

    #[tokio::test]
    async fn unreadable_body_is_400() {
        let (router, _) = app(config());
        let signature = compute(TOKEN, "http://localhost:8080/mcp", &[]);
        let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
            Ok(Bytes::from_static(b"{")),
            Err(std::io::Error::other("connection reset")),
        ];
        let request = json_request("/mcp", Some(&signature))
            .body(Body::from_stream(futures::stream::iter(chunks)))
            .expect("request");
        assert_eq!(send(router, request).await.0, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn public_base_parsing() {
        let base = PublicBase::parse("HTTPS://Example.com:8443/").expect("valid");
        assert_eq!(base.scheme(), "https");
        assert_eq!(base.authority(), "Example.com:8443");
        assert_eq!(base.to_string(), "https://Example.com:8443");
        assert_eq!(base.url_for("/mcp?a=1"), "https://Example.com:8443/mcp?a=1");
        assert_eq!(
            "http://[::1]:8080"
                .parse::<PublicBase>()
                .map(|b| b.to_string()),
            Ok("http://[::1]:8080".to_owned())
        );

        for bad in [
            "example.com",
            "ftp://example.com",
            "https://",
            "https:///",
            "https://example.com/mcp",
            "https://example.com?x=1",
            "https://user@example.com",
            "https://exa mple.com",
            "https://example.com:99999",
            "https://example.com:port",
        ] {
            assert!(PublicBase::parse(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn the_caller_names_the_token_that_signed() {
        let cfg = SignatureConfig::new(vec![Secret::new("old-token"), Secret::new(TOKEN)]);
        let router = Router::new()
            .route(
                "/mcp",
                any(|request: Request| async move {
                    request
                        .extensions()
                        .get::<Caller>()
                        .map_or_else(|| "none".to_string(), Caller::id)
                }),
            )
            .layer(from_fn_with_state(Arc::new(cfg), require_signature));
        for (token, expected) in [
            ("old-token", "signature:primary"),
            (TOKEN, "signature:secondary"),
        ] {
            let signature = compute(token, "http://localhost:8080/mcp", &[]);
            let request = json_request("/mcp", Some(&signature))
                .body(Body::from(JSON_BODY))
                .expect("request");
            let (status, body) = send(router.clone(), request).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(body, expected);
        }
    }

    #[test]
    fn config_debug_redacts_tokens() {
        let shown = format!("{:?}", config());
        assert!(shown.contains("[redacted]"), "{shown}");
        assert!(!shown.contains(TOKEN), "{shown}");
    }
}
