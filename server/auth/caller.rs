//! Who is calling: the identity a request was authenticated as.
//!
//! The authentication layer puts a [`Caller`] in the request's extensions
//! once a credential has been checked; the scope layer copies it into the
//! request's [`Scope`](crate::call::Scope), so the call pipeline, the
//! guardrails, the audit log and the logs all see the same identity. Over
//! stdio the caller is the local user who started the process.
//!
//! A caller holds the *name* of the credential that authenticated it (which
//! auth token signed the request, say), never the credential itself, so it
//! is safe to log and to `Debug`-print.

use std::fmt;
use std::sync::Arc;

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
}

impl AuthMethod {
    /// A short lower-case name for logs and records: `none`, `stdio`, `signature`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::Stdio => "stdio",
            AuthMethod::Signature => "signature",
        }
    }
}

/// The identity of a request's caller.
///
/// [`Caller::id`] is `method:name` (`signature:primary`, `stdio:local`,
/// `none:anonymous`): stable, safe to log, and what audit records carry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Caller {
    method: AuthMethod,
    /// The credential's name, or who the caller is (never a secret).
    name: Arc<str>,
}

impl Caller {
    /// A request that no credential was checked for.
    #[must_use]
    pub fn unauthenticated() -> Self {
        Self::new(AuthMethod::None, "anonymous")
    }

    /// The local user of a stdio session.
    #[must_use]
    pub fn stdio() -> Self {
        Self::new(AuthMethod::Stdio, "local")
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
        Self::new(AuthMethod::Signature, &name)
    }

    fn new(method: AuthMethod, name: &str) -> Self {
        Self {
            method,
            name: Arc::from(name),
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
    }
}
