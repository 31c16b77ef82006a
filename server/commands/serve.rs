//! `twilio-mcp serve`: builds the shared state from flags and environment,
//! decides whether `/mcp` checks signatures, and runs a transport.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::{PublicBase, SignatureConfig};
use crate::call::{AppState, Mode, Scope};
use crate::cli::ServeArgs;
use crate::config;
use crate::filter::{Selection, ToolPolicy, ToolSet};
use crate::transport::{self, http::HttpOptions};
use crate::twilio::{CredentialState, TwilioClient};

/// Builds the state every request shares; every error is one actionable sentence.
pub fn build_state(args: &ServeArgs) -> Result<Arc<AppState>, String> {
    let mode = Mode::parse(&args.mode).ok_or_else(|| {
        format!(
            "unknown mode `{}`: use --mode tools or --mode discover",
            args.mode
        )
    })?;
    let selection = Selection::parse(&args.selection.services)
        .map_err(|e| format!("{e} (from --services / TWILIO_MCP_SERVICES)"))?;
    let policy = ToolPolicy::new(args.read_only, &args.allow_tools, &args.deny_tools)?;
    let tools = ToolSet::new(selection, &policy);
    if args.upstream_timeout == 0 {
        return Err("--upstream-timeout must be at least 1 second".into());
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
        default_scope: Scope { tools, mode },
    }))
}

/// A base-URL override must be http(s) and carry no user info, which would
/// otherwise be logged at start-up.
fn check_base_url(url: &str) -> Result<String, String> {
    let parsed = url::Url::parse(url).map_err(|e| {
        format!("TWILIO_API_BASE_URL is not a URL ({e}): use e.g. http://127.0.0.1:4010")
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("TWILIO_API_BASE_URL must start with http:// or https://".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("TWILIO_API_BASE_URL must not contain a user name or password".into());
    }
    Ok(url.to_string())
}

pub async fn run(args: ServeArgs) -> Result<(), String> {
    let state = build_state(&args)?;
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
    let options = http_options(&args)?;
    transport::http::serve(state, options).await
}

/// HTTP options, including the decision to check signatures.
pub fn http_options(args: &ServeArgs) -> Result<HttpOptions, String> {
    let tokens = config::auth_tokens_from_env();
    let public_url = args
        .public_url
        .clone()
        .or_else(config::public_url_from_template_vars);
    let public_base = public_url
        .as_deref()
        .map(|u| PublicBase::parse(u).map_err(|e| format!("bad public URL `{u}`: {e}")))
        .transpose()?;
    let loopback = args.bind.ip().is_loopback();
    let signature = if tokens.is_empty() {
        if loopback {
            tracing::warn!(
                "X-Twilio-Signature is NOT checked: no TWILIO_AUTH_TOKEN is set and the server \
                 listens on loopback only (local testing)"
            );
            None
        } else if args.dangerously_allow_unsigned {
            tracing::warn!(
                bind = %args.bind,
                "X-Twilio-Signature is NOT checked on a non-loopback address \
                 (--dangerously-allow-unsigned): anyone who reaches this port can use your Twilio account"
            );
            None
        } else {
            return Err(format!(
                "refusing to serve {} without signature checks: set TWILIO_AUTH_TOKEN (and \
                 --public-url), bind 127.0.0.1, or pass --dangerously-allow-unsigned",
                args.bind
            ));
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
        return Err(format!(
            "--request-timeout ({} s) must be longer than --upstream-timeout ({} s)",
            args.request_timeout, args.upstream_timeout
        ));
    }
    Ok(HttpOptions {
        bind: args.bind,
        signature,
        public_base,
        allowed_hosts: args.allowed_hosts.clone(),
        allowed_origins: args.allowed_origins.clone(),
        request_timeout: Duration::from_secs(args.request_timeout),
        max_body_bytes: args.max_body_bytes,
        max_concurrency: args.max_concurrency,
        fast_tools_list: true,
    })
}
