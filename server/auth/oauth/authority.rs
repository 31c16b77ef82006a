//! What the server knows about its authorization server: its metadata
//! (RFC 8414, or OpenID Connect discovery) and its signing keys (JWKS),
//! cached.
//!
//! * Metadata is discovered once (RFC 8414's well-known URL first, then
//!   OpenID Connect's) and its `issuer` must equal the configured issuer
//!   exactly.
//! * Keys are fetched from the metadata's `jwks_uri` and kept by `kid`.
//!   Only RSA (RS256), P-256 (ES256) and Ed25519 (EdDSA) signing keys are
//!   kept; secret (`oct`) keys and anything else are skipped, at most
//!   [`MAX_KEYS`] are kept.
//! * An unknown `kid` fetches the keys again (a rotation), at most once per
//!   [`MIN_INTERVAL_OK`]; keys older than [`REFRESH_AFTER`] are fetched
//!   again before use. One fetch runs at a time; the others wait for it.
//! * When the keys cannot be fetched, the ones already known stay usable
//!   until [`MAX_STALE`] after the last successful fetch; then, or when no
//!   key was ever fetched, every token is refused as unverifiable (fail
//!   closed, HTTP 503). Failed fetches are retried at most once per
//!   [`MIN_INTERVAL_FAILED`].

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde_json::Value;

use super::fetch;

/// Most signing keys kept from one JWKS.
pub const MAX_KEYS: usize = 32;
/// Keys older than this are fetched again before use.
pub const REFRESH_AFTER: Duration = Duration::from_secs(10 * 60);
/// Keys are used at most this long after the last successful fetch.
pub const MAX_STALE: Duration = Duration::from_secs(60 * 60);
/// Least time between two fetches after a successful one (an unknown
/// `kid` cannot make the server hammer the authorization server).
pub const MIN_INTERVAL_OK: Duration = Duration::from_secs(2);
/// Least time between two fetches after a failed one.
pub const MIN_INTERVAL_FAILED: Duration = Duration::from_secs(1);

/// The authorization server's metadata fields the server uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    /// Must equal the configured issuer.
    pub issuer: String,
    /// Where the signing keys are.
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// RFC 7662 token introspection.
    #[serde(default)]
    pub introspection_endpoint: Option<String>,
}

/// A key a token may be verified with, and the one algorithm it verifies.
pub struct VerifyKey {
    /// RS256, ES256 or EdDSA, from the key, never from a token.
    pub alg: Algorithm,
    /// The public key.
    pub key: DecodingKey,
}

/// Why no key is available for a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The keys are current and none has this `kid`.
    UnknownKid,
    /// The keys cannot be fetched (or are too old): nothing can be verified.
    Unavailable(String),
}

#[derive(Default)]
struct Known {
    metadata: Option<Metadata>,
    keys: HashMap<String, Arc<VerifyKey>>,
    /// When the keys were last fetched successfully.
    fetched: Option<Instant>,
}

#[derive(Default)]
struct Attempts {
    last: Option<Instant>,
    /// Why the last attempt failed; `None` when it succeeded.
    error: Option<String>,
}

/// The authorization server, as far as token validation needs it.
pub struct Authority {
    http: reqwest::Client,
    issuer: String,
    known: RwLock<Known>,
    /// Held while fetching, so one fetch runs at a time.
    attempts: tokio::sync::Mutex<Attempts>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl Authority {
    /// An authority for `issuer` (nothing is fetched yet).
    pub fn new(http: reqwest::Client, issuer: &str) -> Self {
        Self {
            http,
            issuer: issuer.to_string(),
            known: RwLock::new(Known::default()),
            attempts: tokio::sync::Mutex::new(Attempts::default()),
        }
    }

    /// Fetches metadata and keys now, whatever was fetched before.
    ///
    /// # Errors
    ///
    /// What failed; a metadata `issuer` that differs from the configured one
    /// is [`StartError::IssuerMismatch`].
    pub async fn fetch_now(&self) -> Result<usize, StartError> {
        let mut attempts = self.attempts.lock().await;
        let outcome = self.fetch(&mut attempts).await;
        match outcome {
            Ok(()) => Ok(self.known.read().map_or(0, |k| k.keys.len())),
            Err(e) => Err(e),
        }
    }

    /// The verification key with this `kid`.
    pub async fn key(&self, kid: &str) -> Result<Arc<VerifyKey>, KeyError> {
        if let Some(found) = self.fresh_key(kid) {
            return Ok(found);
        }
        let mut attempts = self.attempts.lock().await;
        // Another request may have fetched while this one waited.
        if let Some(found) = self.fresh_key(kid) {
            return Ok(found);
        }
        let now = Instant::now();
        let wait = if attempts.error.is_some() {
            MIN_INTERVAL_FAILED
        } else {
            MIN_INTERVAL_OK
        };
        if attempts.last.is_none_or(|t| now.duration_since(t) >= wait)
            && let Err(e) = self.fetch(&mut attempts).await
        {
            tracing::warn!(
                issuer = %self.issuer,
                error = %e,
                "cannot fetch the authorization server's signing keys"
            );
        }
        let known = self
            .known
            .read()
            .map_err(|_| KeyError::Unavailable("key cache poisoned".into()))?;
        let usable = known
            .fetched
            .is_some_and(|t| Instant::now().duration_since(t) < MAX_STALE);
        if !usable {
            let why = attempts
                .error
                .clone()
                .unwrap_or_else(|| "no signing keys fetched yet".to_string());
            return Err(KeyError::Unavailable(why));
        }
        match known.keys.get(kid) {
            Some(key) => Ok(key.clone()),
            // The keys we have may be outdated and the fetch failed: we
            // cannot tell a rotation from a forgery.
            None if attempts.error.is_some() => Err(KeyError::Unavailable(
                attempts.error.clone().unwrap_or_default(),
            )),
            None => Err(KeyError::UnknownKid),
        }
    }

    /// The introspection endpoint from the metadata (fetched if needed).
    pub async fn introspection_endpoint(&self) -> Result<String, KeyError> {
        if let Some(meta) = self.known.read().ok().and_then(|k| k.metadata.clone()) {
            return meta.introspection_endpoint.ok_or_else(|| {
                KeyError::Unavailable(
                    "the authorization server's metadata has no introspection_endpoint".into(),
                )
            });
        }
        let mut attempts = self.attempts.lock().await;
        let now = Instant::now();
        let due = attempts
            .last
            .is_none_or(|t| now.duration_since(t) >= MIN_INTERVAL_FAILED);
        if due && let Err(e) = self.fetch(&mut attempts).await {
            tracing::warn!(issuer = %self.issuer, error = %e, "cannot fetch the authorization server's metadata");
        }
        let meta = self.known.read().ok().and_then(|k| k.metadata.clone());
        match meta {
            Some(Metadata {
                introspection_endpoint: Some(url),
                ..
            }) => Ok(url),
            Some(_) => Err(KeyError::Unavailable(
                "the authorization server's metadata has no introspection_endpoint".into(),
            )),
            None => Err(KeyError::Unavailable(
                attempts.error.clone().unwrap_or_default(),
            )),
        }
    }

    fn fresh_key(&self, kid: &str) -> Option<Arc<VerifyKey>> {
        let known = self.known.read().ok()?;
        let fetched = known.fetched?;
        if Instant::now().duration_since(fetched) >= REFRESH_AFTER {
            return None;
        }
        known.keys.get(kid).cloned()
    }

    /// One attempt: metadata if not known yet, then the keys. Records the
    /// outcome in `attempts`; keeps the old keys when it fails.
    async fn fetch(&self, attempts: &mut Attempts) -> Result<(), StartError> {
        attempts.last = Some(Instant::now());
        let result = self.fetch_inner().await;
        attempts.error = result.as_ref().err().map(ToString::to_string);
        result
    }

    async fn fetch_inner(&self) -> Result<(), StartError> {
        let known_meta = self.known.read().ok().and_then(|k| k.metadata.clone());
        let metadata = match known_meta {
            Some(meta) => meta,
            None => {
                let meta = discover(&self.http, &self.issuer).await?;
                if let Ok(mut known) = self.known.write() {
                    known.metadata = Some(meta.clone());
                }
                meta
            }
        };
        let uri = metadata.jwks_uri.as_deref().ok_or_else(|| {
            StartError::Unreachable("the authorization server's metadata has no jwks_uri".into())
        })?;
        fetch::check_url(uri, "jwks_uri").map_err(StartError::Unreachable)?;
        let response = self
            .http
            .get(uri)
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| StartError::Unreachable(format!("JWKS: {}", fetch::describe(&e))))?;
        let body: Value = fetch::json(response, "JWKS")
            .await
            .map_err(StartError::Unreachable)?;
        let keys = parse_jwks(&body).map_err(StartError::Unreachable)?;
        tracing::info!(issuer = %self.issuer, keys = keys.len(), "fetched the authorization server's signing keys");
        if let Ok(mut known) = self.known.write() {
            known.keys = keys;
            known.fetched = Some(Instant::now());
        }
        Ok(())
    }
}

/// Why the authorization server could not be used (at start-up, or later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartError {
    /// Its metadata names another issuer: a configuration error.
    IssuerMismatch {
        /// The configured issuer.
        configured: String,
        /// What the metadata says.
        found: String,
    },
    /// It could not be reached, or answered something unusable.
    Unreachable(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::IssuerMismatch { configured, found } => write!(
                f,
                "the authorization server's metadata names the issuer `{found}`, not \
                 `{configured}`: set --oauth-issuer to exactly `{found}` (trailing slash \
                 included) if that is your authorization server"
            ),
            StartError::Unreachable(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for StartError {}

/// The well-known metadata URLs for an issuer, in the order tried:
/// RFC 8414 (path after the well-known part), then OpenID Connect
/// discovery (path before it), then OpenID Connect in RFC 8414's form.
pub fn metadata_urls(issuer: &str) -> Result<Vec<String>, String> {
    let url = fetch::check_url(issuer, "the OAuth issuer")?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "the OAuth issuer `{issuer}` must not have a query or fragment"
        ));
    }
    let origin = url.origin().ascii_serialization();
    let path = url.path().trim_end_matches('/');
    let mut urls = vec![format!(
        "{origin}/.well-known/oauth-authorization-server{path}"
    )];
    urls.push(format!("{origin}{path}/.well-known/openid-configuration"));
    if !path.is_empty() {
        urls.push(format!("{origin}/.well-known/openid-configuration{path}"));
    }
    Ok(urls)
}

/// The first metadata document that answers, with the configured issuer.
async fn discover(http: &reqwest::Client, issuer: &str) -> Result<Metadata, StartError> {
    let mut failures = Vec::new();
    for url in metadata_urls(issuer).map_err(StartError::Unreachable)? {
        let response = match http
            .get(&url)
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{url}: {}", fetch::describe(&e)));
                continue;
            }
        };
        if !response.status().is_success() {
            failures.push(format!("{url}: HTTP {}", response.status().as_u16()));
            continue;
        }
        let meta: Metadata = fetch::json(response, &url)
            .await
            .map_err(StartError::Unreachable)?;
        if meta.issuer != issuer {
            return Err(StartError::IssuerMismatch {
                configured: issuer.to_string(),
                found: meta.issuer,
            });
        }
        return Ok(meta);
    }
    Err(StartError::Unreachable(format!(
        "no authorization server metadata: {}",
        failures.join("; ")
    )))
}

/// The usable signing keys of a JWKS document, by `kid`.
pub fn parse_jwks(body: &Value) -> Result<HashMap<String, Arc<VerifyKey>>, String> {
    let list = body
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("JWKS: no `keys` array")?;
    let mut keys = HashMap::new();
    // One key at a time: an unsupported key is skipped, not fatal.
    for value in list {
        if keys.len() >= MAX_KEYS {
            break;
        }
        let Ok(jwk) = serde_json::from_value::<Jwk>(value.clone()) else {
            continue;
        };
        if let Some((kid, key)) = verify_key(&jwk) {
            keys.entry(kid).or_insert_with(|| Arc::new(key));
        }
    }
    if keys.is_empty() {
        return Err("JWKS: no usable signing key (RSA, P-256 or Ed25519, with a kid)".into());
    }
    Ok(keys)
}

/// The one algorithm a JWK may verify: it comes from the key type (its
/// `alg`, when present, must agree), never from a token's header.
fn verify_key(jwk: &Jwk) -> Option<(String, VerifyKey)> {
    let kid = jwk.common.key_id.clone().filter(|k| !k.is_empty())?;
    if jwk
        .common
        .public_key_use
        .as_ref()
        .is_some_and(|u| *u != PublicKeyUse::Signature)
    {
        return None;
    }
    let alg = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => Algorithm::ES256,
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        // Secret (oct) keys, other curves: never used.
        _ => return None,
    };
    let declared = match jwk.common.key_algorithm {
        None => true,
        Some(KeyAlgorithm::RS256) => alg == Algorithm::RS256,
        Some(KeyAlgorithm::ES256) => alg == Algorithm::ES256,
        Some(KeyAlgorithm::EdDSA) => alg == Algorithm::EdDSA,
        Some(_) => false,
    };
    if !declared {
        return None;
    }
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some((kid, VerifyKey { alg, key }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_urls_follow_rfc_8414_then_oidc() {
        assert_eq!(
            metadata_urls("http://127.0.0.1:4444").expect("urls"),
            [
                "http://127.0.0.1:4444/.well-known/oauth-authorization-server",
                "http://127.0.0.1:4444/.well-known/openid-configuration",
            ]
        );
        assert_eq!(
            metadata_urls("https://tenant.auth0.com/").expect("urls"),
            [
                "https://tenant.auth0.com/.well-known/oauth-authorization-server",
                "https://tenant.auth0.com/.well-known/openid-configuration",
            ]
        );
        assert_eq!(
            metadata_urls("https://sso.example.com/realms/mcp").expect("urls"),
            [
                "https://sso.example.com/.well-known/oauth-authorization-server/realms/mcp",
                "https://sso.example.com/realms/mcp/.well-known/openid-configuration",
                "https://sso.example.com/.well-known/openid-configuration/realms/mcp",
            ]
        );
        assert!(metadata_urls("https://a.example.com/?x=1").is_err());
        assert!(metadata_urls("http://a.example.com").is_err());
    }

    #[test]
    fn only_rsa_p256_and_ed25519_signing_keys_with_a_kid_are_kept() {
        let rsa = json!({"kty":"RSA","kid":"r","use":"sig","alg":"RS256",
            "n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB"});
        let ed = json!({"kty":"OKP","crv":"Ed25519","kid":"e",
            "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
        let body = json!({"keys": [
            rsa,
            ed,
            {"kty":"oct","kid":"secret","k":"c2VjcmV0"},
            {"kty":"RSA","kid":"enc","use":"enc","n":"sXch","e":"AQAB"},
            {"kty":"RSA","kid":"ps","alg":"PS256","n":"sXch","e":"AQAB"},
            {"kty":"RSA","n":"sXch","e":"AQAB"},
            {"kty":"EC","kid":"p384","crv":"P-384","x":"AA","y":"AA"},
            {"kty":"weird"},
            "not an object"
        ]});
        let keys = parse_jwks(&body).expect("two usable keys");
        let mut kids: Vec<&String> = keys.keys().collect();
        kids.sort();
        assert_eq!(kids, ["e", "r"]);
        assert_eq!(keys["r"].alg, Algorithm::RS256);
        assert_eq!(keys["e"].alg, Algorithm::EdDSA);
        assert!(parse_jwks(&json!({"keys": []})).is_err());
        assert!(parse_jwks(&json!({"keys": [{"kty":"oct","kid":"s","k":"c2VjcmV0"}]})).is_err());
        assert!(parse_jwks(&json!("<html>oops")).is_err());
    }
}
