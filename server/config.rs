//! Settings read from the environment (and `.env`, loaded by `main`).
//!
//! Credentials come in two spellings: `ACCOUNT_SID`, `API_KEY`, `API_SECRET`
//! (Twilio's Functions `mcp-server` template) and `TWILIO_ACCOUNT_SID`,
//! `TWILIO_API_KEY`, `TWILIO_API_SECRET` (Twilio's SDKs and CLI). Flags and
//! the other variables are declared with clap in `cli`.

use std::env;

use crate::secret::Secret;
use crate::twilio::{CredentialState, Credentials};

/// `(variable names, what it is)`, in the order they are reported.
const CREDENTIAL_VARS: [(&str, &str); 3] = [
    ("ACCOUNT_SID", "TWILIO_ACCOUNT_SID"),
    ("API_KEY", "TWILIO_API_KEY"),
    ("API_SECRET", "TWILIO_API_SECRET"),
];

/// The first non-empty value among these variables.
pub fn first_var(names: &[&str]) -> Option<String> {
    names
        .iter()
        .filter_map(|n| env::var(n).ok())
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
}

/// Twilio API credentials from the environment, or the variables missing.
pub fn credentials_from_env() -> CredentialState {
    let values: Vec<Option<String>> = CREDENTIAL_VARS
        .iter()
        .map(|(a, b)| first_var(&[a, b]))
        .collect();
    let missing: Vec<&'static str> = CREDENTIAL_VARS
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|((a, _), _)| *a)
        .collect();
    match (&values[0], &values[1], &values[2]) {
        (Some(account_sid), Some(api_key), Some(secret)) => CredentialState::Ready(Credentials {
            account_sid: account_sid.clone(),
            api_key: api_key.clone(),
            api_secret: Secret::new(secret.clone()),
        }),
        _ => CredentialState::Missing(missing),
    }
}

/// Auth tokens that sign `/mcp` requests: `TWILIO_AUTH_TOKEN` and, during a
/// rotation, `TWILIO_AUTH_TOKEN_SECONDARY`. Empty values are ignored.
pub fn auth_tokens_from_env() -> Vec<Secret> {
    ["TWILIO_AUTH_TOKEN", "TWILIO_AUTH_TOKEN_SECONDARY"]
        .iter()
        .filter_map(|n| first_var(&[n]))
        .map(Secret::new)
        .collect()
}

/// The public base URL from the template's variables
/// (`TWILIO_BASE_DOMAIN` / `TWILIO_DOMAIN_NAME`, https assumed).
pub fn public_url_from_template_vars() -> Option<String> {
    let domain = first_var(&["TWILIO_BASE_DOMAIN", "TWILIO_DOMAIN_NAME"])?;
    Some(if domain.contains("://") {
        domain
    } else {
        format!("https://{domain}")
    })
}

/// The server's own OAuth client secret, for token introspection
/// (`TWILIO_MCP_OAUTH_CLIENT_SECRET`; an environment variable only, so it
/// never shows in a process listing).
pub fn oauth_client_secret() -> Option<Secret> {
    first_var(&["TWILIO_MCP_OAUTH_CLIENT_SECRET"]).map(Secret::new)
}
