//! Who is calling: the identity a request was authenticated as, and what
//! its credential allows.
//!
//! The authentication layer puts a [`Caller`] in the request's extensions
//! once a credential has been checked; the scope layer copies it into the
//! request's [`Scope`](crate::call::Scope), so the call pipeline, the
//! guardrails, the audit log and the logs all see the same identity. Over
//! stdio the caller is the local user who started the process.
//!
//! A caller holds the *name* of the credential that authenticated it (which
//! auth token signed the request, which API key, the OAuth token's
//! subject), never the credential itself, so it is safe to log and to
//! `Debug`-print. It also carries the credential's [`Restrictions`] (an
//! API key's, or what an OAuth token's scopes grant): the scope layer
//! narrows the request's tool set by them, and the pipeline names the
//! restriction that excludes a tool. Restrictions only narrow the server's
//! own policy, never widen it.

use std::fmt;
use std::sync::{Arc, LazyLock};

use crate::filter::{Restriction, Restrictions};

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// Nothing was checked: HTTP on loopback with no credential configured,
    /// or `--dangerously-allow-unsigned`.
    None,
    /// The local user, over stdio.
    Stdio,
    /// `X-Twilio-Signature`, keyed with one of the configured auth tokens.
    Signature,
    /// A static bearer key from the key file or `TWILIO_MCP_API_KEYS`
    /// (`Authorization: Bearer` or `X-API-Key`).
    ApiKey,
    /// An OAuth 2.1 access token from the configured authorization server.
    OAuth,
}

impl AuthMethod {
    /// A short lower-case name for logs and records: `none`, `stdio`,
    /// `signature`, `key`, `oauth`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::Stdio => "stdio",
            AuthMethod::Signature => "signature",
            AuthMethod::ApiKey => "key",
            AuthMethod::OAuth => "oauth",
        }
    }
}

/// No restrictions, shared by every caller that has none.
static UNRESTRICTED: LazyLock<Arc<Restrictions>> = LazyLock::new(|| Arc::new(Restrictions::none()));

/// The identity of a request's caller.
///
/// [`Caller::id`] is `method:name` (`signature:primary`, `key:ci`,
/// `oauth:test-user`, `stdio:local`, `none:anonymous`): stable, safe to
/// log, and what audit records carry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Caller {
    method: AuthMethod,
    /// The credential's name, or who the caller is (never a secret).
    name: Arc<str>,
    /// What the credential allows on top of the server's policy.
    restrictions: Arc<Restrictions>,
}

/// Longest caller name kept (an OAuth subject is chosen by the
/// authorization server, and ends up in every log line).
const MAX_NAME_CHARS: usize = 128;

impl Caller {
    /// A request that no credential was checked for.
    #[must_use]
    pub fn unauthenticated() -> Self {
        Self::new(AuthMethod::None, "anonymous", UNRESTRICTED.clone())
    }

    /// The local user of a stdio session.
    #[must_use]
    pub fn stdio() -> Self {
        Self::new(AuthMethod::Stdio, "local", UNRESTRICTED.clone())
    }

    /// A request signed with the configured auth token at `token_index`
    /// (0: `TWILIO_AUTH_TOKEN`, 1: `TWILIO_AUTH_TOKEN_SECONDARY`).
    #[must_use]
    pub fn signature(token_index: usize) -> Self {
        let name = match token_index {
            0 => "primary".to_string(),
            1 => "secondary".to_string(),
            n => format!("token{}", n + 1),
        };
        Self::new(AuthMethod::Signature, &name, UNRESTRICTED.clone())
    }

    /// A request with the API key named `name`, and its restrictions.
    #[must_use]
    pub fn api_key(name: &str, restrictions: Arc<Restrictions>) -> Self {
        Self::new(AuthMethod::ApiKey, name, restrictions)
    }

    /// A request with an OAuth access token for `subject`, and what its
    /// scopes grant.
    #[must_use]
    pub fn oauth(subject: &str, restrictions: Arc<Restrictions>) -> Self {
        Self::new(AuthMethod::OAuth, subject, restrictions)
    }

    fn new(method: AuthMethod, name: &str, restrictions: Arc<Restrictions>) -> Self {
        Self {
            method,
            name: Arc::from(loggable(name).as_str()),
            restrictions,
        }
    }

    /// How the request was authenticated.
    #[must_use]
    pub fn method(&self) -> AuthMethod {
        self.method
    }

    /// The credential's (or the caller's) name, without the method.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `method:name`, e.g. `signature:primary`.
    #[must_use]
    pub fn id(&self) -> String {
        self.to_string()
    }

    /// What the credential allows on top of the server's policy.
    #[must_use]
    pub fn restrictions(&self) -> &Restrictions {
        &self.restrictions
    }

    /// The shared restrictions (for building tool sets).
    #[must_use]
    pub fn restrictions_arc(&self) -> &Arc<Restrictions> {
        &self.restrictions
    }

    /// Why `restriction` excludes a tool for this caller, as the end of
    /// "tool `X` is not available: …".
    #[must_use]
    pub fn explain(&self, restriction: &Restriction) -> String {
        match (self.method, restriction) {
            (AuthMethod::OAuth, Restriction::ReadOnly) => {
                "the access token is read-only (it has no `twilio:write` scope)".to_string()
            }
            (AuthMethod::OAuth, Restriction::Services(names)) if names.is_empty() => {
                "the access token's `twilio:services:` scopes name no known service".to_string()
            }
            (AuthMethod::OAuth, Restriction::Services(names)) => format!(
                "the access token's `twilio:services:` scopes grant only {}",
                names.join(", ")
            ),
            (AuthMethod::OAuth, Restriction::AllowDeny) => {
                "the access token's scopes exclude it".to_string()
            }
            (AuthMethod::ApiKey, Restriction::ReadOnly) => {
                format!("API key `{}` is read-only", self.name)
            }
            (AuthMethod::ApiKey, Restriction::Services(names)) => format!(
                "API key `{}` is limited to the services {}",
                self.name,
                list_or_none(names)
            ),
            (AuthMethod::ApiKey, Restriction::AllowDeny) => {
                format!("API key `{}`'s tool allow/deny lists exclude it", self.name)
            }
            (_, restriction) => format!("caller `{self}` is restricted ({restriction:?})"),
        }
    }
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "no service".to_string()
    } else {
        names.join(", ")
    }
}

/// A name safe for one log line: control characters become `?`, and at
/// most [`MAX_NAME_CHARS`] characters are kept.
fn loggable(name: &str) -> String {
    let mut out: String = name
        .chars()
        .take(MAX_NAME_CHARS)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if out.is_empty() {
        out.push('?');
    }
    out
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.method.as_str(), self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_the_method_and_the_credential() {
        assert_eq!(Caller::unauthenticated().id(), "none:anonymous");
        assert_eq!(Caller::stdio().id(), "stdio:local");
        assert_eq!(Caller::signature(0).id(), "signature:primary");
        assert_eq!(Caller::signature(1).id(), "signature:secondary");
        assert_eq!(Caller::signature(2).id(), "signature:token3");
        assert_eq!(Caller::signature(0).method(), AuthMethod::Signature);
        assert_eq!(Caller::signature(1).name(), "secondary");
        let none = Arc::new(Restrictions::none());
        assert_eq!(Caller::api_key("ci", none.clone()).id(), "key:ci");
        assert_eq!(Caller::oauth("user-1", none).id(), "oauth:user-1");
    }

    #[test]
    fn only_credentials_with_restrictions_have_any() {
        assert!(Caller::stdio().restrictions().is_none());
        assert!(Caller::signature(0).restrictions().is_none());
        assert!(Caller::unauthenticated().restrictions().is_none());
        let ro = Arc::new(Restrictions::new(true, &[], &[], &[]).expect("restrictions"));
        assert!(Caller::api_key("ci", ro).restrictions().read_only());
    }

    #[test]
    fn subjects_are_made_safe_to_log() {
        let none = Arc::new(Restrictions::none());
        let caller = Caller::oauth("evil\nINFO forged line", none.clone());
        assert_eq!(caller.name(), "evil?INFO forged line");
        let long = "x".repeat(1000);
        assert_eq!(
            Caller::oauth(&long, none.clone()).name().len(),
            MAX_NAME_CHARS
        );
        assert_eq!(Caller::oauth("", none).name(), "?");
    }

    #[test]
    fn explanations_name_the_restriction_and_the_credential() {
        let none = Arc::new(Restrictions::none());
        let key = Caller::api_key("ci", none.clone());
        assert_eq!(
            key.explain(&Restriction::ReadOnly),
            "API key `ci` is read-only"
        );
        assert_eq!(
            key.explain(&Restriction::Services(vec![
                "Messaging".into(),
                "Voice".into()
            ])),
            "API key `ci` is limited to the services Messaging, Voice"
        );
        assert_eq!(
            key.explain(&Restriction::AllowDeny),
            "API key `ci`'s tool allow/deny lists exclude it"
        );
        let token = Caller::oauth("u", none);
        assert!(
            token
                .explain(&Restriction::ReadOnly)
                .contains("no `twilio:write` scope")
        );
        assert!(
            token
                .explain(&Restriction::Services(vec![]))
                .ends_with("name no known service")
        );
    }
}
