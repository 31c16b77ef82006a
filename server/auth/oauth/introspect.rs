//! RFC 7662 token introspection, for opaque (non-JWT) access tokens.
//!
//! Only when configured with the server's own client credentials at the
//! authorization server. The endpoint comes from the authorization
//! server's metadata. A token is accepted when the answer says `active`,
//! its `iss` (when given) is the issuer, its `aud` names this server's
//! resource URL (required: an opaque token without an audience could be
//! meant for any resource), and `exp`/`nbf` (when given) hold, with the
//! same leeway as JWTs. Answers are cached for at most
//! [`CACHE_SECS`] (never past the token's `exp`), by the token's SHA-256,
//! at most [`CACHE_LIMIT`] entries.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::authority::{Authority, KeyError};
use super::jwt::{LEEWAY_SECS, scope_list};
use super::{TokenError, fetch};
use crate::secret::Secret;

/// Longest an introspection answer is reused.
pub const CACHE_SECS: u64 = 30;
/// Most answers kept.
pub const CACHE_LIMIT: usize = 1024;

/// What an accepted opaque token says.
#[derive(Debug, Clone)]
pub struct Introspected {
    /// `sub`, else `client_id`.
    pub subject: String,
    /// Its scopes.
    pub scopes: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    active: bool,
    #[serde(default)]
    scope: Option<Value>,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    aud: Option<Value>,
    #[serde(default)]
    exp: Option<u64>,
    #[serde(default)]
    nbf: Option<u64>,
}

type Cached = (Instant, Result<Introspected, &'static str>);

/// Introspects tokens with the server's client credentials.
pub struct Introspector {
    http: reqwest::Client,
    client_id: String,
    client_secret: Secret,
    cache: Mutex<HashMap<[u8; 32], Cached>>,
}

impl std::fmt::Debug for Introspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Introspector")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .finish_non_exhaustive()
    }
}

impl Introspector {
    /// An introspector authenticating as `client_id` (HTTP Basic).
    pub fn new(http: reqwest::Client, client_id: String, client_secret: Secret) -> Self {
        Self {
            http,
            client_id,
            client_secret,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Asks the authorization server about `token` (or reuses a recent answer).
    pub async fn introspect(
        &self,
        token: &str,
        issuer: &str,
        audience: &str,
        authority: &Authority,
    ) -> Result<Introspected, TokenError> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = Instant::now();
        if let Some((until, outcome)) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned())
            && now < until
        {
            return outcome.map_err(TokenError::Invalid);
        }
        let endpoint = authority
            .introspection_endpoint()
            .await
            .map_err(|e| TokenError::Unavailable(unavailable(e)))?;
        fetch::check_url(&endpoint, "introspection_endpoint").map_err(TokenError::Unavailable)?;
        let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let response = self
            .http
            .post(&endpoint)
            .basic_auth(
                encode(&self.client_id),
                Some(encode(self.client_secret.expose())),
            )
            .header(http::header::ACCEPT, "application/json")
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await
            .map_err(|e| {
                TokenError::Unavailable(format!("introspection: {}", fetch::describe(&e)))
            })?;
        let answer: Answer = fetch::json(response, "introspection")
            .await
            .map_err(TokenError::Unavailable)?;
        let outcome = judge(&answer, issuer, audience, unix_now());
        let ttl = Duration::from_secs(CACHE_SECS).min(match (&outcome, answer.exp) {
            (Ok(_), Some(exp)) => Duration::from_secs(exp.saturating_sub(unix_now())),
            _ => Duration::from_secs(CACHE_SECS),
        });
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(key, (now + ttl, outcome.clone()));
        }
        outcome.map_err(TokenError::Invalid)
    }
}

fn unavailable(e: KeyError) -> String {
    match e {
        KeyError::Unavailable(why) if !why.is_empty() => why,
        _ => "the authorization server cannot be reached".to_string(),
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The rules of an introspection answer.
fn judge(
    answer: &Answer,
    issuer: &str,
    audience: &str,
    now: u64,
) -> Result<Introspected, &'static str> {
    if !answer.active {
        return Err("inactive (introspection)");
    }
    if answer.iss.as_deref().is_some_and(|iss| iss != issuer) {
        return Err("wrong issuer (introspection)");
    }
    let audience_ok = match &answer.aud {
        Some(Value::String(aud)) => aud == audience,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    };
    if !audience_ok {
        return Err("wrong or missing audience (introspection)");
    }
    if answer
        .exp
        .is_some_and(|exp| exp.saturating_add(LEEWAY_SECS) <= now)
    {
        return Err("expired (introspection)");
    }
    if answer
        .nbf
        .is_some_and(|nbf| nbf > now.saturating_add(LEEWAY_SECS))
    {
        return Err("not yet valid (introspection)");
    }
    let subject = answer
        .sub
        .clone()
        .or_else(|| answer.client_id.clone())
        .ok_or("no sub or client_id (introspection)")?;
    Ok(Introspected {
        subject,
        scopes: scope_list(answer.scope.as_ref()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ISS: &str = "https://auth.example.com";
    const AUD: &str = "https://mcp.example.com/mcp";

    fn answer(value: Value) -> Answer {
        serde_json::from_value(value).expect("answer")
    }

    #[test]
    fn active_tokens_for_this_resource_only() {
        let now = 1_000_000;
        let good = json!({"active": true, "iss": ISS, "aud": AUD, "exp": now + 60,
                          "client_id": "mcp-cc", "scope": "twilio:read"});
        let ok = judge(&answer(good.clone()), ISS, AUD, now).expect("accepted");
        assert_eq!(ok.subject, "mcp-cc");
        assert_eq!(ok.scopes, ["twilio:read"]);
        let mut with_sub = good.clone();
        with_sub["sub"] = json!("user-1");
        with_sub["aud"] = json!(["other", AUD]);
        assert_eq!(
            judge(&answer(with_sub), ISS, AUD, now).expect("ok").subject,
            "user-1"
        );

        let cases = [
            (json!({"active": false}), "inactive"),
            (
                json!({"active": true, "iss": "https://evil", "aud": AUD, "sub": "x"}),
                "wrong issuer",
            ),
            (json!({"active": true, "iss": ISS, "sub": "x"}), "audience"),
            (
                json!({"active": true, "aud": "https://mcp.example.com", "sub": "x"}),
                "audience",
            ),
            (
                json!({"active": true, "aud": AUD, "sub": "x", "exp": now - 31}),
                "expired",
            ),
            (
                json!({"active": true, "aud": AUD, "sub": "x", "nbf": now + 31}),
                "not yet valid",
            ),
            (json!({"active": true, "aud": AUD}), "no sub"),
            (json!({"active": "yes", "aud": AUD, "sub": "x"}), "parse"),
        ];
        for (value, expected) in cases {
            match serde_json::from_value::<Answer>(value.clone()) {
                Ok(a) => {
                    let err = judge(&a, ISS, AUD, now).expect_err(&value.to_string());
                    assert!(err.contains(expected), "{value}: {err}");
                }
                Err(_) => assert_eq!(expected, "parse", "{value}"),
            }
        }
        // Inside the leeway.
        let late = json!({"active": true, "aud": AUD, "sub": "x", "exp": now - 5});
        assert!(judge(&answer(late), ISS, AUD, now).is_ok());
    }
}
