//! `twilio-mcp serve`: builds the shared state from flags and environment,
//! decides whether `/mcp` checks signatures, and runs a transport.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::keys::KeyError;
use crate::auth::oauth::SettingsError;
use crate::auth::{
    Caller, KeyStore, OAuth, OAuthSettings, PublicBase, PublicBaseError, SignatureConfig,
};
use crate::call::{AppState, Mode, Scope};
use crate::cli::ServeArgs;
use crate::config;
use crate::filter::{PatternError, Selection, ToolPolicy, ToolSet, UnknownService};
use crate::transport::{self, http::HttpOptions};
use crate::twilio::{CredentialState, TwilioClient};

/// Why `serve` cannot start with these settings. Each message is one
/// actionable sentence.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigError {
    /// `--mode` is neither `tools` nor `discover`.
    UnknownMode(String),
    /// A `--services` name matches nothing.
    UnknownService(UnknownService),
    /// An `--allow-tools` or `--deny-tools` pattern is not a glob.
    BadToolPattern(PatternError),
    /// `--upstream-timeout 0`.
    NoUpstreamTimeout,
    /// `TWILIO_API_BASE_URL` does not parse as a URL.
    BaseUrlNotAUrl(url::ParseError),
    /// `TWILIO_API_BASE_URL` is not http(s).
    BaseUrlScheme,
    /// `TWILIO_API_BASE_URL` carries a user name or password (which would be logged).
    BaseUrlUserInfo,
    /// `--public-url` is not `http[s]://host[:port]`.
    BadPublicUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        error: PublicBaseError,
    },
    /// No authentication method (auth token, API keys, OAuth) on a
    /// non-loopback address, and no `--dangerously-allow-unsigned`.
    Unsigned(SocketAddr),
    /// `TWILIO_MCP_API_KEYS` or the key file has a bad entry, or the file
    /// cannot be read.
    ApiKeys(KeyError),
    /// OAuth is configured without knowing this server's resource URL.
    OAuthNoResource,
    /// An OAuth setting without `--oauth-issuer`.
    OAuthWithoutIssuer(&'static str),
    /// `--oauth-client-id` without `TWILIO_MCP_OAUTH_CLIENT_SECRET`.
    OAuthNoClientSecret,
    /// A bad `--oauth-issuer` or `--oauth-audience`.
    OAuth(SettingsError),
    /// `--request-timeout` is not longer than `--upstream-timeout`, in seconds.
    RequestTimeout {
        /// `--request-timeout`.
        request: u64,
        /// `--upstream-timeout`.
        upstream: u64,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::UnknownMode(mode) => write!(
                f,
                "unknown mode `{mode}`: use --mode tools or --mode discover"
            ),
            ConfigError::UnknownService(e) => {
                write!(f, "{e} (from --services / TWILIO_MCP_SERVICES)")
            }
            ConfigError::BadToolPattern(e) => e.fmt(f),
            ConfigError::NoUpstreamTimeout => {
                f.write_str("--upstream-timeout must be at least 1 second")
            }
            ConfigError::BaseUrlNotAUrl(e) => write!(
                f,
                "TWILIO_API_BASE_URL is not a URL ({e}): use e.g. http://127.0.0.1:4010"
            ),
            ConfigError::BaseUrlScheme => {
                f.write_str("TWILIO_API_BASE_URL must start with http:// or https://")
            }
            ConfigError::BaseUrlUserInfo => {
                f.write_str("TWILIO_API_BASE_URL must not contain a user name or password")
            }
            ConfigError::BadPublicUrl { url, error } => {
                write!(f, "bad public URL `{url}`: {error}")
            }
            ConfigError::Unsigned(bind) => write!(
                f,
                "refusing to serve {bind} without authentication: set TWILIO_AUTH_TOKEN (and \
                 --public-url) for X-Twilio-Signature, TWILIO_MCP_API_KEYS or --api-key-file for \
                 bearer keys, or --oauth-issuer for OAuth; or bind 127.0.0.1, or pass \
                 --dangerously-allow-unsigned"
            ),
            ConfigError::ApiKeys(e) => write!(f, "bad API keys: {e}"),
            ConfigError::OAuthNoResource => f.write_str(
                "--oauth-issuer needs this server's resource URL: set --public-url (the \
                 audience is then <public URL>/mcp) or --oauth-audience",
            ),
            ConfigError::OAuthWithoutIssuer(flag) => {
                write!(f, "{flag} has no effect without --oauth-issuer")
            }
            ConfigError::OAuthNoClientSecret => f.write_str(
                "--oauth-client-id needs TWILIO_MCP_OAUTH_CLIENT_SECRET (the client's secret, \
                 for token introspection)",
            ),
            ConfigError::OAuth(e) => write!(f, "bad OAuth setting: {e}"),
            ConfigError::RequestTimeout { request, upstream } => write!(
                f,
                "--request-timeout ({request} s) must be longer than --upstream-timeout \
                 ({upstream} s)"
            ),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::UnknownService(e) => Some(e),
            ConfigError::BadToolPattern(e) => Some(e),
            ConfigError::BaseUrlNotAUrl(e) => Some(e),
            ConfigError::BadPublicUrl { error, .. } => Some(error),
            ConfigError::ApiKeys(e) => Some(e),
            ConfigError::OAuth(e) => Some(e),
            _ => None,
        }
    }
}

/// Builds the state every request shares from the flags and the environment.
pub fn build_state(args: &ServeArgs) -> Result<Arc<AppState>, ConfigError> {
    let mode =
        Mode::parse(&args.mode).ok_or_else(|| ConfigError::UnknownMode(args.mode.clone()))?;
    let selection =
        Selection::parse(&args.selection.services).map_err(ConfigError::UnknownService)?;
    let policy = ToolPolicy::new(args.read_only, &args.allow_tools, &args.deny_tools)
        .map_err(ConfigError::BadToolPattern)?;
    let tools = ToolSet::new(selection, &policy);
    if args.upstream_timeout == 0 {
        return Err(ConfigError::NoUpstreamTimeout);
    }
    let client = TwilioClient::new(Duration::from_secs(args.upstream_timeout));
    let base_url = args
        .api_base_url
        .as_deref()
        .map(check_base_url)
        .transpose()?;
    Ok(Arc::new(AppState {
        client,
        credentials: config::credentials_from_env(),
        base_url,
        max_response_bytes: args.max_response_bytes.max(1024),
        policy,
        // What stdio sessions see; over HTTP each request's scope carries
        // the caller its authentication named.
        default_scope: Scope {
            tools,
            mode,
            caller: Caller::stdio(),
        },
    }))
}

/// A base-URL override must be http(s) and carry no user info, which would
/// otherwise be logged at start-up.
fn check_base_url(url: &str) -> Result<String, ConfigError> {
    let parsed = url::Url::parse(url).map_err(ConfigError::BaseUrlNotAUrl)?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ConfigError::BaseUrlScheme);
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ConfigError::BaseUrlUserInfo);
    }
    Ok(url.to_string())
}

/// Runs the server on the transport the flags choose, until it is stopped.
pub async fn run(args: ServeArgs) -> Result<(), String> {
    let state = build_state(&args).map_err(|e| e.to_string())?;
    if let CredentialState::Missing(vars) = &state.credentials {
        tracing::warn!(
            missing = %vars.join(", "),
            "Twilio credentials are not set: tools are listed, but tool calls fail until {} are set",
            vars.join(", ")
        );
    }
    if let Some(base) = &state.base_url {
        tracing::info!(base_url = %base, "all Twilio requests go to the base-URL override");
    }
    if args.stdio {
        return transport::stdio::serve(state).await;
    }
    let options = http_options(&args).map_err(|e| e.to_string())?;
    if let Some(oauth) = &options.oauth {
        oauth.start().await.map_err(|e| format!("OAuth: {e}"))?;
    }
    let traces = start_traces(&args)?;
    let result = transport::http::serve(state, options).await;
    if traces {
        stop_traces().await;
    }
    result
}

/// Turns OpenTelemetry traces on when an OTLP endpoint is configured;
/// `true` when they are on.
#[cfg(feature = "otlp")]
fn start_traces(args: &ServeArgs) -> Result<bool, String> {
    use crate::telemetry::otlp;
    let Some(endpoint) = otlp::configured_endpoint(args.otlp_endpoint.as_deref())? else {
        if args.trace_arguments {
            tracing::warn!("--trace-arguments has no effect: traces are off (no OTLP endpoint)");
        }
        return Ok(false);
    };
    otlp::init(&endpoint, args.trace_arguments)?;
    tracing::info!(
        endpoint = %endpoint,
        arguments = args.trace_arguments,
        "exporting OpenTelemetry traces over OTLP/HTTP"
    );
    if args.trace_arguments {
        tracing::warn!(
            "--trace-arguments: tool arguments and results (phone numbers, message bodies) \
             go into the spans"
        );
    }
    Ok(true)
}

#[cfg(not(feature = "otlp"))]
fn start_traces(args: &ServeArgs) -> Result<bool, String> {
    let configured = args.otlp_endpoint.is_some()
        || std::env::var_os("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_some();
    if configured {
        return Err(
            "an OTLP endpoint is set, but this binary was built without the `otlp` feature: \
             rebuild with default features, or unset --otlp-endpoint / OTEL_EXPORTER_OTLP_*"
                .into(),
        );
    }
    Ok(false)
}

/// Exports the spans still buffered (blocking, so off the async threads).
async fn stop_traces() {
    #[cfg(feature = "otlp")]
    {
        let _ = tokio::task::spawn_blocking(crate::telemetry::otlp::shutdown).await;
    }
}

/// HTTP options, including the decision to check signatures.
pub fn http_options(args: &ServeArgs) -> Result<HttpOptions, ConfigError> {
    let tokens = config::auth_tokens_from_env();
    let public_url = args
        .public_url
        .clone()
        .or_else(config::public_url_from_template_vars);
    let public_base = public_url
        .as_deref()
        .map(|u| {
            PublicBase::parse(u).map_err(|error| ConfigError::BadPublicUrl {
                url: u.to_string(),
                error,
            })
        })
        .transpose()?;
    let keys = KeyStore::load(args.api_keys.as_deref(), args.api_key_file.as_deref())
        .map_err(ConfigError::ApiKeys)?
        .map(Arc::new);
    if let Some(keys) = &keys {
        if keys.is_empty() {
            tracing::warn!("API keys are on, but no key is configured yet: every key is refused");
        } else {
            tracing::info!(keys = keys.len(), "API keys accepted on /mcp");
        }
    }
    let oauth = oauth(args, public_base.as_ref())?.map(Arc::new);
    let loopback = args.bind.ip().is_loopback();
    let other_method = keys.is_some() || oauth.is_some();
    let signature = if tokens.is_empty() {
        if other_method {
            None
        } else if loopback {
            tracing::warn!(
                "/mcp is NOT authenticated: no TWILIO_AUTH_TOKEN, API key or OAuth issuer is \
                 set and the server listens on loopback only (local testing)"
            );
            None
        } else if args.dangerously_allow_unsigned {
            tracing::warn!(
                bind = %args.bind,
                "/mcp is NOT authenticated on a non-loopback address \
                 (--dangerously-allow-unsigned): anyone who reaches this port can use your Twilio account"
            );
            None
        } else {
            return Err(ConfigError::Unsigned(args.bind));
        }
    } else {
        if public_base.is_none() && !args.trust_forwarded {
            tracing::info!(
                "no --public-url: signatures are checked against http://<Host header><path>"
            );
        }
        let mut cfg = SignatureConfig::new(tokens);
        cfg.public_base = public_base.clone();
        cfg.trust_forwarded = args.trust_forwarded;
        cfg.require_body_hash = args.require_body_hash;
        cfg.max_body_bytes = args.max_body_bytes;
        Some(cfg)
    };
    if args.request_timeout <= args.upstream_timeout {
        return Err(ConfigError::RequestTimeout {
            request: args.request_timeout,
            upstream: args.upstream_timeout,
        });
    }
    Ok(HttpOptions {
        bind: args.bind,
        signature,
        keys,
        oauth,
        public_base,
        allowed_hosts: args.allowed_hosts.clone(),
        allowed_origins: args.allowed_origins.clone(),
        request_timeout: Duration::from_secs(args.request_timeout),
        max_body_bytes: args.max_body_bytes,
        max_concurrency: args.max_concurrency,
        drain_delay: Duration::from_secs(args.drain_delay),
        metrics_bind: args.metrics_bind,
        fast_tools_list: true,
    })
}

/// The OAuth resource server, when `--oauth-issuer` is set.
fn oauth(args: &ServeArgs, public_base: Option<&PublicBase>) -> Result<Option<OAuth>, ConfigError> {
    let given = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(String::from)
    };
    let Some(issuer) = given(&args.oauth_issuer) else {
        if given(&args.oauth_audience).is_some() {
            return Err(ConfigError::OAuthWithoutIssuer("--oauth-audience"));
        }
        if given(&args.oauth_client_id).is_some() {
            return Err(ConfigError::OAuthWithoutIssuer("--oauth-client-id"));
        }
        if args.oauth_allow_jwt_typ {
            return Err(ConfigError::OAuthWithoutIssuer("--oauth-allow-jwt-typ"));
        }
        return Ok(None);
    };
    let resource = given(&args.oauth_audience)
        .or_else(|| public_base.map(|base| base.url_for("/mcp")))
        .ok_or(ConfigError::OAuthNoResource)?;
    let introspection = match given(&args.oauth_client_id) {
        Some(id) => Some((
            id,
            config::oauth_client_secret().ok_or(ConfigError::OAuthNoClientSecret)?,
        )),
        None => None,
    };
    OAuth::new(OAuthSettings {
        issuer,
        resource,
        introspection,
        allow_jwt_typ: args.oauth_allow_jwt_typ,
    })
    .map(Some)
    .map_err(ConfigError::OAuth)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn serve_args(flags: &[&str]) -> ServeArgs {
        let argv = ["twilio-mcp", "serve"].iter().chain(flags);
        let Command::Serve(args) = Cli::parse_from(argv).command else {
            panic!("serve expected")
        };
        *args
    }

    fn state_error(flags: &[&str]) -> ConfigError {
        build_state(&serve_args(flags)).expect_err("bad settings")
    }

    #[test]
    fn bad_settings_are_typed_errors_with_one_sentence_each() {
        let e = state_error(&["--mode", "nope"]);
        assert_eq!(e, ConfigError::UnknownMode("nope".into()));
        assert_eq!(
            e.to_string(),
            "unknown mode `nope`: use --mode tools or --mode discover"
        );

        let e = state_error(&["--services", "Nope"]);
        assert!(matches!(e, ConfigError::UnknownService(_)), "{e:?}");
        let text = e.to_string();
        assert!(
            text.starts_with("unknown service `Nope`: ")
                && text.ends_with(" (from --services / TWILIO_MCP_SERVICES)"),
            "{text}"
        );

        let e = state_error(&["--deny-tools", "["]);
        assert!(
            matches!(&e, ConfigError::BadToolPattern(PatternError::Glob { pattern, .. }) if pattern == "["),
            "{e:?}"
        );
        assert!(e.to_string().starts_with("bad tool pattern `[`: "), "{e}");

        assert_eq!(
            state_error(&["--upstream-timeout", "0"]),
            ConfigError::NoUpstreamTimeout
        );
        assert!(matches!(
            state_error(&["--api-base-url", "not a url"]),
            ConfigError::BaseUrlNotAUrl(_)
        ));
        assert_eq!(
            state_error(&["--api-base-url", "ftp://127.0.0.1"]),
            ConfigError::BaseUrlScheme
        );
        let e = state_error(&["--api-base-url", "http://user:pw@127.0.0.1"]);
        assert_eq!(e, ConfigError::BaseUrlUserInfo);
        assert!(!e.to_string().contains("pw"), "{e}");
    }

    #[test]
    fn bad_http_settings_are_typed_errors() {
        let e = http_options(&serve_args(&["--public-url", "https://example.com/mcp"]))
            .expect_err("a path");
        assert!(
            matches!(&e, ConfigError::BadPublicUrl { url, .. } if url == "https://example.com/mcp"),
            "{e:?}"
        );
        let e = http_options(&serve_args(&[
            "--request-timeout",
            "30",
            "--upstream-timeout",
            "30",
        ]))
        .expect_err("timeouts");
        assert_eq!(
            e.to_string(),
            "--request-timeout (30 s) must be longer than --upstream-timeout (30 s)"
        );
    }

    #[test]
    fn any_of_the_three_methods_lets_a_public_address_start() {
        if !config::auth_tokens_from_env().is_empty() {
            return; // a developer's TWILIO_AUTH_TOKEN would configure the signature
        }
        let public = ["--bind", "0.0.0.0:3000"];
        let e = http_options(&serve_args(&public)).expect_err("nothing configured");
        assert_eq!(
            e,
            ConfigError::Unsigned("0.0.0.0:3000".parse().expect("addr"))
        );
        assert!(e.to_string().contains("--oauth-issuer"), "{e}");

        let digest = "sha256:".to_string() + &"ab".repeat(32);
        let entry = format!("ci {digest} read-only");
        let keys = http_options(&serve_args(
            &[&public[..], &["--api-keys", &entry]].concat(),
        ))
        .expect("keys are a method");
        assert_eq!(keys.keys.map(|k| k.len()), Some(1));
        assert!(keys.signature.is_none() && keys.oauth.is_none());

        let oauth = http_options(&serve_args(
            &[
                &public[..],
                &[
                    "--oauth-issuer",
                    "https://auth.example.com/",
                    "--public-url",
                    "https://mcp.example.com",
                ],
            ]
            .concat(),
        ))
        .expect("OAuth is a method");
        let settings = oauth
            .oauth
            .as_ref()
            .map(|o| o.settings().clone())
            .expect("oauth");
        assert_eq!(settings.resource, "https://mcp.example.com/mcp");
        assert_eq!(settings.issuer, "https://auth.example.com/");
    }

    #[test]
    fn bad_auth_settings_are_typed_errors() {
        let e = http_options(&serve_args(&["--api-keys", "ci md5:00"])).expect_err("bad key");
        assert!(matches!(e, ConfigError::ApiKeys(_)), "{e:?}");
        assert!(
            e.to_string()
                .starts_with("bad API keys: TWILIO_MCP_API_KEYS entry 1: "),
            "{e}"
        );
        assert_eq!(
            http_options(&serve_args(&["--oauth-issuer", "https://auth.example.com"]))
                .expect_err("no resource"),
            ConfigError::OAuthNoResource
        );
        assert_eq!(
            http_options(&serve_args(&[
                "--oauth-audience",
                "https://mcp.example.com/mcp"
            ]))
            .expect_err("no issuer"),
            ConfigError::OAuthWithoutIssuer("--oauth-audience")
        );
        let e = http_options(&serve_args(&[
            "--oauth-issuer",
            "http://auth.example.com",
            "--oauth-audience",
            "https://mcp.example.com/mcp",
        ]))
        .expect_err("http issuer");
        assert!(matches!(e, ConfigError::OAuth(_)), "{e:?}");
    }
}
