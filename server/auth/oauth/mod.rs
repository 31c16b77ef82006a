//! The OAuth 2.1 resource server of the MCP authorization specification
//! (protocol 2025-06-18 and later).
//!
//! Configured with an authorization server (`--oauth-issuer`) and this
//! server's resource URL (`--oauth-audience`, by default the public URL of
//! `/mcp`), the server:
//!
//! * publishes RFC 9728 protected-resource metadata
//!   ([`OAuth::resource_metadata`]) at `/.well-known/oauth-protected-resource`
//!   and at its path-suffixed form (`…/oauth-protected-resource/mcp`),
//!   naming the issuer and the scopes; nothing of this exists when OAuth is
//!   not configured (clients that see it stop sending their configured
//!   headers);
//! * answers a request without credentials `401` with
//!   `WWW-Authenticate: Bearer resource_metadata="…"`, so clients discover
//!   the authorization server from it;
//! * validates access tokens: JWTs locally ([`jwt`]) against the issuer's
//!   keys ([`authority`]), opaque tokens by RFC 7662 introspection
//!   ([`introspect`]) when configured;
//! * maps the token's scopes to [`Restrictions`](crate::filter::Restrictions)
//!   ([`scopes`]); a tool call the scopes exclude is answered `403` with
//!   `error="insufficient_scope"` and the scope that would allow it, so the
//!   client can step up (the scope layer does that, as it needs the body);
//! * names the caller after the token's `sub`.
//!
//! The client's token is never passed on: Twilio calls keep using the
//! server's own API key (the MCP specification forbids token passthrough).
//! Mapping token subjects to Twilio subaccounts would plug in at
//! [`OAuth::authenticate`], which returns the [`Caller`].

pub mod authority;
mod fetch;
pub mod introspect;
pub mod jwt;
pub mod scopes;

use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};
use serde_json::{Value, json};

use super::caller::Caller;
use crate::http_body::error_response;
use crate::secret::Secret;
use authority::{Authority, StartError};
use introspect::Introspector;
use jwt::Expectations;

/// What `serve` configures.
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    /// The authorization server's issuer identifier, exactly as it writes
    /// it (`https://tenant.auth0.com/`, trailing slash and all).
    pub issuer: String,
    /// This server's resource URL: the audience tokens must name, and the
    /// `resource` of its metadata (RFC 8707). Usually `https://host/mcp`.
    pub resource: String,
    /// The server's own client credentials for RFC 7662 introspection of
    /// opaque tokens; `None`: only JWTs are accepted.
    pub introspection: Option<(String, Secret)>,
    /// Accept JWTs with `typ: JWT` (or none), not only RFC 9068 `at+jwt`.
    pub allow_jwt_typ: bool,
}

/// A bad OAuth setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError(pub String);

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SettingsError {}

/// Why a token is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// Not a valid token for this server (401 `invalid_token`); the reason
    /// is for the log only.
    Invalid(&'static str),
    /// It cannot be checked now: the authorization server's keys or
    /// introspection endpoint are unreachable (503, fail closed).
    Unavailable(String),
    /// Valid, but with neither `twilio:read` nor `twilio:write` (403).
    NoAccess,
}

/// The resource server: settings, the authorization server's metadata and
/// keys, and introspection.
#[derive(Debug)]
pub struct OAuth {
    settings: OAuthSettings,
    expect: Expectations,
    /// `/.well-known/oauth-protected-resource` + the resource's path.
    metadata_url: String,
    metadata_paths: Vec<String>,
    authority: Authority,
    introspector: Option<Introspector>,
}

impl OAuth {
    /// Checks the settings; nothing is fetched yet ([`OAuth::start`] does).
    ///
    /// # Errors
    ///
    /// An issuer or resource URL that is not `https` (or `http` on
    /// loopback), a resource URL with a query or fragment.
    pub fn new(settings: OAuthSettings) -> Result<Self, SettingsError> {
        authority::metadata_urls(&settings.issuer).map_err(SettingsError)?;
        let resource = fetch::check_url(&settings.resource, "the OAuth audience (resource URL)")
            .map_err(SettingsError)?;
        if resource.query().is_some() || resource.fragment().is_some() {
            return Err(SettingsError(format!(
                "the OAuth audience `{}` must not have a query or fragment",
                settings.resource
            )));
        }
        let origin = resource.origin().ascii_serialization();
        let path = resource.path().trim_end_matches('/');
        let root = "/.well-known/oauth-protected-resource".to_string();
        let suffixed = format!("{root}{path}");
        let metadata_url = format!("{origin}{suffixed}");
        let mut metadata_paths = vec![root];
        if !path.is_empty() {
            metadata_paths.push(suffixed);
        }
        let http = fetch::client().map_err(SettingsError)?;
        let introspector = settings
            .introspection
            .as_ref()
            .map(|(id, secret)| Introspector::new(http.clone(), id.clone(), secret.clone()));
        Ok(Self {
            expect: Expectations {
                issuer: settings.issuer.clone(),
                audience: settings.resource.clone(),
                allow_jwt_typ: settings.allow_jwt_typ,
            },
            authority: Authority::new(http, &settings.issuer),
            settings,
            metadata_url,
            metadata_paths,
            introspector,
        })
    }

    /// Fetches the authorization server's metadata and keys, at start-up.
    ///
    /// # Errors
    ///
    /// Only when the metadata names another issuer (a configuration
    /// error). An unreachable server is logged and retried per request;
    /// until it answers, tokens are refused (503).
    pub async fn start(&self) -> Result<(), StartError> {
        match self.authority.fetch_now().await {
            Ok(keys) => {
                tracing::info!(
                    issuer = %self.settings.issuer,
                    resource = %self.settings.resource,
                    keys,
                    "OAuth: tokens of this issuer for this resource are accepted"
                );
                Ok(())
            }
            Err(e @ StartError::IssuerMismatch { .. }) => Err(e),
            Err(StartError::Unreachable(why)) => {
                tracing::warn!(
                    issuer = %self.settings.issuer,
                    error = %why,
                    "OAuth: the authorization server cannot be used yet; access tokens are \
                     refused until it can"
                );
                Ok(())
            }
        }
    }

    /// The settings.
    pub fn settings(&self) -> &OAuthSettings {
        &self.settings
    }

    /// The caller a token authenticates, or why it is refused.
    pub async fn authenticate(&self, token: &str) -> Result<Caller, TokenError> {
        let (subject, scopes) = match &self.introspector {
            Some(introspector) if !jwt::looks_like_jwt(token) => {
                if token.len() > jwt::MAX_TOKEN_BYTES {
                    return Err(TokenError::Invalid("token too large"));
                }
                let found = introspector
                    .introspect(
                        token,
                        &self.settings.issuer,
                        &self.settings.resource,
                        &self.authority,
                    )
                    .await?;
                (found.subject, found.scopes)
            }
            _ => {
                let claims = jwt::validate(token, &self.expect, &self.authority).await?;
                (claims.subject().to_string(), claims.scopes())
            }
        };
        let restrictions =
            scopes::restrictions(scopes.iter().map(String::as_str)).ok_or(TokenError::NoAccess)?;
        Ok(Caller::oauth(&subject, Arc::new(restrictions)))
    }

    /// The RFC 9728 protected-resource metadata document.
    pub fn resource_metadata(&self) -> Value {
        json!({
            "resource": self.settings.resource,
            "authorization_servers": [self.settings.issuer],
            "scopes_supported": scopes::SUPPORTED,
            "bearer_methods_supported": ["header"],
            "resource_name": "Twilio MCP server",
        })
    }

    /// Where the metadata is served (paths on this server).
    pub fn metadata_paths(&self) -> &[String] {
        &self.metadata_paths
    }

    /// The metadata's full URL, as `WWW-Authenticate` names it.
    pub fn metadata_url(&self) -> &str {
        &self.metadata_url
    }

    /// `WWW-Authenticate: Bearer [error="…", ][scope="…", ]resource_metadata="…"`.
    pub fn challenge(&self, error: Option<&str>, scope: Option<&str>) -> HeaderValue {
        let mut parts = Vec::new();
        if let Some(error) = error {
            parts.push(format!("error=\"{error}\""));
        }
        if let Some(scope) = scope {
            parts.push(format!("scope=\"{}\"", scope.replace(['"', '\\'], "")));
        }
        parts.push(format!("resource_metadata=\"{}\"", self.metadata_url));
        HeaderValue::from_str(&format!("Bearer {}", parts.join(", ")))
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
    }

    /// The answer to a refused token.
    pub fn refusal(&self, error: &TokenError) -> Response {
        match error {
            TokenError::Invalid(_) => with_header(
                error_response(StatusCode::UNAUTHORIZED, "invalid access token"),
                self.challenge(Some("invalid_token"), None),
            ),
            TokenError::NoAccess => self.insufficient_scope(
                scopes::READ,
                "the access token has neither the twilio:read nor the twilio:write scope",
            ),
            TokenError::Unavailable(_) => {
                let mut response = error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "access tokens cannot be checked now: the authorization server is unreachable",
                );
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from_static("5"));
                response
            }
        }
    }

    /// 403 `insufficient_scope` asking for `scope` (step-up).
    pub fn insufficient_scope(&self, scope: &str, message: &str) -> Response {
        with_header(
            error_response(StatusCode::FORBIDDEN, message),
            self.challenge(Some("insufficient_scope"), Some(scope)),
        )
    }

    /// The metadata document as an HTTP answer (any origin may read it).
    pub fn metadata_response(&self) -> Response {
        let mut response = axum::Json(self.resource_metadata()).into_response();
        response.headers_mut().insert(
            http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        response
    }
}

fn with_header(mut response: Response, challenge: HeaderValue) -> Response {
    response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(resource: &str) -> OAuthSettings {
        OAuthSettings {
            issuer: "https://auth.example.com/".into(),
            resource: resource.into(),
            introspection: None,
            allow_jwt_typ: false,
        }
    }

    #[test]
    fn metadata_names_the_resource_issuer_and_scopes() {
        let oauth = OAuth::new(settings("https://mcp.example.com/mcp")).expect("settings");
        assert_eq!(
            oauth.resource_metadata(),
            json!({
                "resource": "https://mcp.example.com/mcp",
                "authorization_servers": ["https://auth.example.com/"],
                "scopes_supported": ["twilio:read", "twilio:write"],
                "bearer_methods_supported": ["header"],
                "resource_name": "Twilio MCP server",
            })
        );
        assert_eq!(
            oauth.metadata_paths(),
            [
                "/.well-known/oauth-protected-resource",
                "/.well-known/oauth-protected-resource/mcp"
            ]
        );
        assert_eq!(
            oauth.metadata_url(),
            "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
        );
    }

    #[test]
    fn challenges_carry_the_metadata_url() {
        let oauth = OAuth::new(settings("https://mcp.example.com/mcp")).expect("settings");
        assert_eq!(
            oauth.challenge(None, None),
            "Bearer resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource/mcp\""
        );
        assert_eq!(
            oauth.challenge(Some("insufficient_scope"), Some("twilio:write")),
            "Bearer error=\"insufficient_scope\", scope=\"twilio:write\", \
             resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource/mcp\""
        );
    }

    #[test]
    fn bad_settings_are_refused() {
        for resource in [
            "http://mcp.example.com/mcp",
            "https://mcp.example.com/mcp?x=1",
            "not a url",
        ] {
            assert!(OAuth::new(settings(resource)).is_err(), "{resource}");
        }
        let mut s = settings("https://mcp.example.com/mcp");
        s.issuer = "http://auth.example.com".into();
        assert!(OAuth::new(s).is_err());
        let root = OAuth::new(settings("https://mcp.example.com")).expect("root resource");
        assert_eq!(
            root.metadata_paths(),
            ["/.well-known/oauth-protected-resource"]
        );
    }
}
