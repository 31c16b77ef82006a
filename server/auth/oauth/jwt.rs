//! JWT access tokens (RFC 9068), validated locally.
//!
//! In this order, each failure a refusal:
//! 1. at most [`MAX_TOKEN_BYTES`]; a JWS in compact form (three parts);
//! 2. header: `typ` is `at+jwt` (or `application/at+jwt`; also `JWT` and
//!    none with `--oauth-allow-jwt-typ`), no `crit`, a `kid`; `jwk`, `jku`,
//!    `x5u`, `x5c` are never used;
//! 3. the key with that `kid` from the issuer's JWKS (fetched again once
//!    for an unknown `kid`); its type decides the one algorithm (RSA:
//!    RS256, P-256: ES256, Ed25519: EdDSA), and the header's `alg` must be
//!    that one (`none` and HMAC never are);
//! 4. the signature, then the claims: `iss` is exactly the issuer (one
//!    string), `aud` is or contains this server's resource URL, `exp` and
//!    `sub` present, `exp`/`nbf` checked with [`LEEWAY_SECS`] of leeway.
//!
//! [`jsonwebtoken`] does the signature and claim checks; this module picks
//! what it is told to accept.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Validation, decode, decode_header};
use serde::Deserialize;
use serde_json::Value;

use super::TokenError;
use super::authority::{Authority, KeyError};

/// Longest token accepted (checked before anything is parsed).
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Clock skew allowed on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: u64 = 30;

/// The claims the server reads from a valid token.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    /// One string: `jsonwebtoken` also accepts an array containing the
    /// issuer, which RFC 7519 does not allow; a `String` here refuses it.
    #[allow(dead_code)]
    iss: String,
    /// Who the token was issued to: the caller identity (required; an
    /// `Option` so that a missing one is reported as missing).
    #[serde(default)]
    sub: Option<String>,
    /// Space-separated scopes (RFC 9068, RFC 8693).
    #[serde(default)]
    scope: Option<Value>,
    /// Some servers (Entra, Okta) name it `scp`, as a string or a list.
    #[serde(default)]
    scp: Option<Value>,
    /// The OAuth client the token was issued to.
    #[serde(default)]
    pub client_id: Option<String>,
}

impl Claims {
    /// The token's subject.
    pub fn subject(&self) -> &str {
        self.sub.as_deref().unwrap_or_default()
    }

    /// The token's scopes.
    pub fn scopes(&self) -> Vec<String> {
        scope_list(self.scope.as_ref().or(self.scp.as_ref()))
    }
}

/// Scopes from a `scope`/`scp` value: a space-separated string or a list
/// of strings; anything else grants nothing.
pub fn scope_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => s.split_whitespace().map(String::from).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .flat_map(str::split_whitespace)
            .map(String::from)
            .collect(),
        _ => Vec::new(),
    }
}

/// True when the token has the shape of a JWS (three base64url parts):
/// such tokens are validated here, others may be introspected.
pub fn looks_like_jwt(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && parts[..2].iter().all(|p| !p.is_empty())
        && parts.iter().all(|p| {
            p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// What a JWT must satisfy.
#[derive(Debug, Clone)]
pub struct Expectations {
    /// `iss`, exactly.
    pub issuer: String,
    /// This server's resource URL, in `aud`.
    pub audience: String,
    /// Also accept `typ: JWT` or no `typ`.
    pub allow_jwt_typ: bool,
}

/// Validates a JWT access token against the authority's keys.
pub async fn validate(
    token: &str,
    expect: &Expectations,
    authority: &Authority,
) -> Result<Claims, TokenError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(TokenError::Invalid("token too large"));
    }
    if !looks_like_jwt(token) {
        return Err(TokenError::Invalid("not a JWT"));
    }
    let header = decode_header(token).map_err(|_| TokenError::Invalid("malformed header"))?;
    let typ_ok = match header
        .typ
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("at+jwt" | "application/at+jwt") => true,
        Some("jwt") | None => expect.allow_jwt_typ,
        Some(_) => false,
    };
    if !typ_ok {
        return Err(TokenError::Invalid("typ is not at+jwt"));
    }
    if header.crit.is_some() {
        return Err(TokenError::Invalid("crit header"));
    }
    let kid = header.kid.as_deref().ok_or(TokenError::Invalid("no kid"))?;
    let key = authority.key(kid).await.map_err(|e| match e {
        KeyError::UnknownKid => TokenError::Invalid("unknown kid"),
        KeyError::Unavailable(why) => TokenError::Unavailable(why),
    })?;
    if header.alg != key.alg {
        return Err(TokenError::Invalid("alg does not match the key"));
    }
    // Exactly one algorithm, the key's.
    let mut validation = Validation::new(key.alg);
    validation.set_issuer(&[&expect.issuer]);
    validation.set_audience(&[&expect.audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = LEEWAY_SECS;
    let claims = decode::<Claims>(token, &key.key, &validation)
        .map(|data| data.claims)
        .map_err(|e| TokenError::Invalid(reason(e.kind())))?;
    if claims.sub.as_deref().is_none_or(str::is_empty) {
        return Err(TokenError::Invalid("a required claim is missing"));
    }
    Ok(claims)
}

fn reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ExpiredSignature => "expired",
        ErrorKind::ImmatureSignature => "not yet valid (nbf)",
        ErrorKind::InvalidAudience => "wrong audience",
        ErrorKind::InvalidIssuer => "wrong issuer",
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::InvalidAlgorithm => "wrong algorithm",
        ErrorKind::MissingRequiredClaim(_) => "a required claim is missing",
        ErrorKind::InvalidClaimFormat(_) | ErrorKind::Json(_) => "malformed claims",
        _ => "invalid token",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jwt_shape() {
        assert!(looks_like_jwt("eyJh.eyJz.c2ln"));
        assert!(looks_like_jwt("eyJh.eyJz."));
        assert!(!looks_like_jwt("abc.def"));
        assert!(!looks_like_jwt("a.b.c.d.e"));
        assert!(!looks_like_jwt("opaque-token-value"));
        assert!(!looks_like_jwt("a b.c.d"));
        assert!(!looks_like_jwt(".b.c"));
    }

    #[test]
    fn scopes_from_strings_or_lists() {
        assert_eq!(
            scope_list(Some(&json!("twilio:read  twilio:write"))),
            ["twilio:read", "twilio:write"]
        );
        assert_eq!(
            scope_list(Some(&json!(["twilio:read", 3, "twilio:write"]))),
            ["twilio:read", "twilio:write"]
        );
        assert!(scope_list(Some(&json!(7))).is_empty());
        assert!(scope_list(None).is_empty());
    }
}
