//! The `X-Twilio-Signature` algorithm, free of any HTTP framework types.
//!
//! This reproduces what Twilio's official validators do (twilio-python's
//! `RequestValidator.validate`, twilio-node's `validateRequest` /
//! `validateRequestWithBody`):
//!
//! 1. The string to sign is the full URL Twilio requested, byte for byte
//!    (scheme, host, optional port, path, raw query string — never decoded or
//!    re-ordered; query parameters are not added to the parameter list).
//! 2. For `application/x-www-form-urlencoded` bodies, the decoded parameters
//!    are appended: names sorted by code point, each name followed by its
//!    value; a repeated name contributes all its values, sorted and
//!    de-duplicated. JSON bodies contribute nothing.
//! 3. The signature is the standard (padded) base64 of HMAC-SHA1 keyed with the
//!    auth token over that string.
//! 4. Because Twilio's back end is inconsistent about ports, a signature is
//!    accepted for the URL as given or for its *port variant*: with any
//!    explicit port removed, or — when there is none — with the scheme's
//!    default port (`:443` for https, `:80` otherwise) added.
//! 5. When the query carries `bodySHA256`, the lower-case hex SHA-256 of the
//!    raw body must equal it (case-sensitive), and the form parameters are
//!    not part of the signed string.
//!
//! Everything here is a pure function, so it can be property-tested without a
//! server.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use http::StatusCode;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::secret::Secret;

/// The request header carrying Twilio's signature (lower case, as `http`
/// stores header names).
pub const HEADER: &str = "x-twilio-signature";

/// The query parameter carrying the SHA-256 of a JSON body.
pub const BODY_SHA256_PARAM: &str = "bodySHA256";

type HmacSha1 = Hmac<Sha1>;

/// Why a request failed the signature check.
///
/// The `Display` text is short and safe to return to the caller: it never
/// contains the token, the expected signature or the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// The `X-Twilio-Signature` header is absent or empty.
    Missing,
    /// The signature does not match any configured token for the URL (or its
    /// port variant), or is not valid base64.
    Invalid,
    /// The signature is valid but the body does not hash to the URL's
    /// `bodySHA256`.
    BodyHashMismatch,
    /// Strict mode is on and the URL has no `bodySHA256`, so the body would
    /// not be authenticated.
    BodyHashRequired,
}

impl SignatureError {
    /// The HTTP status to answer with: 401 when no credentials were presented,
    /// 403 when the presented ones were rejected.
    #[must_use]
    pub fn status(self) -> StatusCode {
        match self {
            Self::Missing => StatusCode::UNAUTHORIZED,
            Self::Invalid | Self::BodyHashMismatch | Self::BodyHashRequired => {
                StatusCode::FORBIDDEN
            }
        }
    }
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Missing => "missing X-Twilio-Signature header",
            Self::Invalid => "invalid X-Twilio-Signature",
            Self::BodyHashMismatch => "request body does not match bodySHA256",
            Self::BodyHashRequired => "bodySHA256 query parameter is required",
        })
    }
}

impl std::error::Error for SignatureError {}

/// Computes the `X-Twilio-Signature` value for `url` (used exactly as given)
/// and the decoded form parameters of an `application/x-www-form-urlencoded`
/// body (pass `&[]` for JSON bodies).
///
/// ```
/// use twilio_mcp::auth::signature::compute;
///
/// let params = [
///     ("CallSid", "CA1234567890ABCDE"),
///     ("Caller", "+14158675310"),
///     ("Digits", "1234"),
///     ("From", "+14158675310"),
///     ("To", "+18005551212"),
/// ]
/// .map(|(k, v)| (k.to_owned(), v.to_owned()));
/// assert_eq!(
///     compute("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", &params),
///     "GvWf1cFY/Q7PnoempGyD5oXAezc="
/// );
/// ```
#[must_use]
pub fn compute(auth_token: &str, url: &str, form_params: &[(String, String)]) -> String {
    let params = canonical_params(form_params);
    let tag = signed_mac(keyed_mac(auth_token), url, &params)
        .finalize()
        .into_bytes();
    STANDARD.encode(tag)
}

/// Decodes an `application/x-www-form-urlencoded` body into name/value pairs,
/// in body order (`+` → space, `%xx` → bytes, invalid UTF-8 replaced).
#[must_use]
pub fn form_params(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// The lower-case hex SHA-256 of `body`, as Twilio puts it in `bodySHA256`.
#[must_use]
pub fn body_sha256_hex(body: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(body);
    let mut out = String::with_capacity(digest.len() * 2);
    for byte in &digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

/// Checks a request's `X-Twilio-Signature`.
///
/// * `tokens`: every auth token currently accepted (more than one during a
///   token rotation). Empty tokens are ignored, so a blank setting can never
///   make an HMAC with an empty key acceptable; with no usable token every
///   request is rejected.
/// * `url`: the full public URL the request was sent to, with the raw query.
/// * `form_params`: decoded form parameters (empty for non-form bodies).
/// * `body`: the raw body, checked against the URL's `bodySHA256` when there is
///   one. `None` with a `bodySHA256` in the URL fails as a mismatch: a hash we
///   cannot check is not accepted.
/// * `signature`: the header value, `None` when absent.
/// * `require_body_hash`: strict mode; reject URLs without `bodySHA256`.
///
/// The signature is checked before the body hash, so an unauthenticated caller
/// only ever learns [`SignatureError::Missing`], [`SignatureError::Invalid`]
/// or (a configuration fact) [`SignatureError::BodyHashRequired`].
///
/// # Errors
///
/// [`SignatureError::Missing`] without a header,
/// [`SignatureError::BodyHashRequired`] in strict mode without `bodySHA256`,
/// [`SignatureError::Invalid`] when no token signed the URL (or its port
/// variant) and parameters, [`SignatureError::BodyHashMismatch`] when the body
/// does not hash to `bodySHA256`.
pub fn validate(
    tokens: &[Secret],
    url: &str,
    form_params: &[(String, String)],
    body: Option<&[u8]>,
    signature: Option<&str>,
    require_body_hash: bool,
) -> Result<(), SignatureError> {
    validate_token(tokens, url, form_params, body, signature, require_body_hash).map(|_| ())
}

/// [`validate`], and which token signed: its index in `tokens`, so the
/// caller can be named after it (the primary or the secondary auth token)
/// without the token itself going anywhere.
///
/// # Errors
///
/// As [`validate`].
pub fn validate_token(
    tokens: &[Secret],
    url: &str,
    form_params: &[(String, String)],
    body: Option<&[u8]>,
    signature: Option<&str>,
    require_body_hash: bool,
) -> Result<usize, SignatureError> {
    let signature = match signature {
        Some(signature) if !signature.is_empty() => signature,
        _ => return Err(SignatureError::Missing),
    };

    let expected_body_hash = body_sha256_param(url);
    if require_body_hash && expected_body_hash.is_none() {
        return Err(SignatureError::BodyHashRequired);
    }
    // With bodySHA256 Twilio signs the URL alone: the hash in the (signed)
    // query is what authenticates the body, so form parameters must not be
    // appended even if the content type says form.
    let params = if expected_body_hash.is_some() {
        Vec::new()
    } else {
        canonical_params(form_params)
    };

    // The header is compared as decoded bytes through `Mac::verify_slice`
    // (constant time). STANDARD only accepts canonical padded base64, so this
    // accepts exactly the header strings Twilio's string comparison accepts.
    let tag = STANDARD
        .decode(signature)
        .map_err(|_| SignatureError::Invalid)?;

    let port_variant = port_variant(url);
    let candidates = std::iter::once(url).chain(port_variant.as_deref());
    let signed_by = tokens
        .iter()
        .enumerate()
        .filter(|(_, token)| !token.is_empty())
        .find(|(_, token)| {
            let mac = keyed_mac(token.expose());
            candidates.clone().any(|candidate| {
                signed_mac(mac.clone(), candidate, &params)
                    .verify_slice(&tag)
                    .is_ok()
            })
        })
        .map(|(index, _)| index);
    let Some(signed_by) = signed_by else {
        return Err(SignatureError::Invalid);
    };

    if let Some(expected) = expected_body_hash {
        // The hash is public (it is in the URL), so a plain comparison is fine.
        // Case-sensitive on purpose: Twilio sends lower-case hex, and so do
        // its validators.
        match body {
            Some(body) if body_sha256_hex(body) == expected => {}
            _ => return Err(SignatureError::BodyHashMismatch),
        }
    }
    Ok(signed_by)
}

/// An HMAC-SHA1 keyed with `token`, ready to be cloned per signed string.
fn keyed_mac(token: &str) -> HmacSha1 {
    // HMAC accepts keys of any length (long ones are hashed), so this cannot
    // fail; hmac 0.13 only keeps the `Result` for the shared `KeyInit` trait.
    <HmacSha1 as KeyInit>::new_from_slice(token.as_bytes())
        .expect("HMAC-SHA1 accepts keys of any length")
}

/// Feeds the string to sign (URL then `name value` pairs) into `mac`.
fn signed_mac(mut mac: HmacSha1, url: &str, params: &[(&str, &str)]) -> HmacSha1 {
    mac.update(url.as_bytes());
    for (name, value) in params {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// Parameters in signing order: by name, then by value, duplicates dropped.
///
/// Sorting the (name, value) pairs and removing equal pairs is the same as
/// twilio-python's "for each sorted distinct name, each sorted distinct
/// value". Rust compares `str` by UTF-8 bytes, which orders like code points
/// (as Python does).
fn canonical_params(params: &[(String, String)]) -> Vec<(&str, &str)> {
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// The first `bodySHA256` value in the URL's query, decoded; `None` when the
/// query has no such parameter.
///
/// A present but empty value counts as present (and then never matches a
/// body): failing closed is safer than silently falling back to the
/// unauthenticated-body mode.
fn body_sha256_param(url: &str) -> Option<String> {
    let without_fragment = url.split_once('#').map_or(url, |(before, _)| before);
    let (_, query) = without_fragment.split_once('?')?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == BODY_SHA256_PARAM)
        .map(|(_, value)| value.into_owned())
}

/// The other URL Twilio's validators accept besides the one given: with the
/// explicit port removed if there is one, otherwise with the scheme's default
/// port added. `None` when `url` has no `scheme://authority` part.
///
/// The URL is edited as text (only the port changes) so the path and query
/// stay byte for byte as received; re-serialising through a URL parser could
/// re-encode or normalise them and break the signature.
fn port_variant(url: &str) -> Option<String> {
    let (scheme, after_scheme) = url.split_once("://")?;
    if !is_scheme(scheme) {
        return None;
    }
    let authority_start = scheme.len() + "://".len();
    let authority_len = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let authority = &after_scheme[..authority_len];

    // Skip `user:password@`: its colon is not a port separator (the last `@`
    // ends the userinfo, as in Python's `urlsplit`).
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    let host_port = &authority[host_start..];
    // In an IPv6 literal (`[::1]:8080`) the port colon follows the `]`.
    let search_from = if host_port.starts_with('[') {
        host_port.find(']').map_or(host_port.len(), |end| end + 1)
    } else {
        0
    };
    let (host_len, port) = match host_port[search_from..].find(':') {
        Some(colon) => {
            let colon = search_from + colon;
            (colon, &host_port[colon + 1..])
        }
        None => (host_port.len(), ""),
    };

    let before_port = &url[..authority_start + host_start + host_len];
    let after_authority = &url[authority_start + authority_len..];
    if port.is_empty() {
        // Python and Node both use 443 only for exactly "https"; anything else
        // (http, ws, ...) gets 80.
        let default_port = if scheme.eq_ignore_ascii_case("https") {
            "443"
        } else {
            "80"
        };
        Some(format!("{before_port}:{default_port}{after_authority}"))
    } else {
        Some(format!("{before_port}{after_authority}"))
    }
}

/// RFC 3986 `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`; guards
/// against taking a `://` inside a path or query for the scheme separator.
fn is_scheme(scheme: &str) -> bool {
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TOKEN: &str = "12345";
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    /// Twilio's documented example (security docs).
    const DOCS_SIGNATURE: &str = "GvWf1cFY/Q7PnoempGyD5oXAezc=";
    const JSON_BODY: &[u8] = br#"{"property": "value", "boolean": true}"#;
    const JSON_BODY_SHA256: &str =
        "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";

    fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    /// The parameters of Twilio's documented example.
    fn docs_params() -> Vec<(String, String)> {
        owned(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
            ("To", "+18005551212"),
        ])
    }

    /// The parameters of twilio-python's test suite (`self.params`).
    fn python_params() -> Vec<(String, String)> {
        owned(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
            ("Caller", "+14158675309"),
        ])
    }

    fn tokens(values: &[&str]) -> Vec<Secret> {
        values.iter().map(|value| Secret::new(*value)).collect()
    }

    fn check(
        url: &str,
        params: &[(String, String)],
        signature: &str,
    ) -> Result<(), SignatureError> {
        validate(&tokens(&[TOKEN]), url, params, None, Some(signature), false)
    }

    fn check_body(url: &str, body: &[u8], signature: &str) -> Result<(), SignatureError> {
        validate(
            &tokens(&[TOKEN]),
            url,
            &[],
            Some(body),
            Some(signature),
            false,
        )
    }

    #[test]
    fn documented_vector_computes_and_validates() {
        assert_eq!(compute(TOKEN, URL, &docs_params()), DOCS_SIGNATURE);
        assert_eq!(check(URL, &docs_params(), DOCS_SIGNATURE), Ok(()));
    }

    #[test]
    fn twilio_python_vectors() {
        assert_eq!(
            compute(TOKEN, URL, &python_params()),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        assert_eq!(
            check(URL, &python_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
            Ok(())
        );
    }

    #[test]
    fn parameter_order_in_the_body_does_not_matter() {
        let mut params = docs_params();
        params.reverse();
        assert_eq!(check(URL, &params, DOCS_SIGNATURE), Ok(()));
    }

    #[test]
    fn explicit_port_is_removed() {
        // twilio-python test_validation_removes_port_on_https: a signature over
        // the port-less URL is accepted for a URL with any explicit port.
        let with_port = "https://mycompany.com:1234/myapp.php?foo=1&bar=2";
        assert_eq!(
            check(with_port, &python_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
            Ok(())
        );
        // test_validation_removes_port_on_http: the URL as given (with its port)
        // is accepted too.
        let http_with_port = "http://mycompany.com:1234/myapp.php?foo=1&bar=2";
        assert_eq!(
            check(
                http_with_port,
                &python_params(),
                "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
            ),
            Ok(())
        );
    }

    #[test]
    fn default_port_is_added() {
        // test_validation_adds_port_on_https / _on_http.
        assert_eq!(
            check(URL, &python_params(), "kvajT1Ptam85bY51eRf/AJRuM3w="),
            Ok(())
        );
        let http = "http://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            check(http, &python_params(), "0ZXoZLH/DfblKGATFgpif+LLRf4="),
            Ok(())
        );
        // And the vectors are what their comments say they are.
        assert_eq!(
            compute(
                TOKEN,
                "https://mycompany.com:443/myapp.php?foo=1&bar=2",
                &python_params()
            ),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        );
        assert_eq!(
            compute(
                TOKEN,
                "http://mycompany.com:80/myapp.php?foo=1&bar=2",
                &python_params()
            ),
            "0ZXoZLH/DfblKGATFgpif+LLRf4="
        );
    }

    #[test]
    fn port_variants_both_ways() {
        let params = docs_params();
        let plain = "https://example.com/mcp?services=api";
        let with_443 = "https://example.com:443/mcp?services=api";
        let with_8443 = "https://example.com:8443/mcp?services=api";
        // Signed without port, received with :443 (or any port): accepted.
        let sig = compute(TOKEN, plain, &params);
        assert_eq!(check(with_443, &params, &sig), Ok(()));
        assert_eq!(check(with_8443, &params, &sig), Ok(()));
        // Signed with :443, received without port: accepted.
        let sig = compute(TOKEN, with_443, &params);
        assert_eq!(check(plain, &params, &sig), Ok(()));
        // Signed with :8443, received without port: only the default port is
        // ever added, so rejected.
        let sig = compute(TOKEN, with_8443, &params);
        assert_eq!(check(plain, &params, &sig), Err(SignatureError::Invalid));
        assert_eq!(check(with_8443, &params, &sig), Ok(()));
    }

    #[test]
    fn https_url_signed_with_port_80_is_rejected() {
        let sig = compute(
            TOKEN,
            "https://mycompany.com:80/myapp.php?foo=1&bar=2",
            &docs_params(),
        );
        assert_eq!(
            check(URL, &docs_params(), &sig),
            Err(SignatureError::Invalid)
        );
    }

    #[test]
    fn scheme_host_path_and_trailing_slash_must_match() {
        let params = docs_params();
        let sig = compute(TOKEN, "https://example.com/mcp", &params);
        for url in [
            "https://example.com/mcp/",
            "http://example.com/mcp",
            "https://example.org/mcp",
            "https://example.com/MCP",
            "https://example.com/mcp?",
        ] {
            assert_eq!(
                check(url, &params, &sig),
                Err(SignatureError::Invalid),
                "{url}"
            );
        }
    }

    #[test]
    fn query_string_is_signed_as_given() {
        let params = [];
        let url = "https://example.com/mcp?services=api&services=messaging&x=%41";
        let sig = compute(TOKEN, url, &params);
        assert_eq!(check(url, &params, &sig), Ok(()));
        for other in [
            "https://example.com/mcp?services=messaging&services=api&x=%41",
            "https://example.com/mcp?services=api&services=messaging&x=A",
        ] {
            assert_eq!(
                check(other, &params, &sig),
                Err(SignatureError::Invalid),
                "{other}"
            );
        }
    }

    #[test]
    fn repeated_names_are_sorted_and_deduplicated() {
        // twilio-python test_compute_signature_duplicate_{multi,query}_dict.
        let params = form_params(b"Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234&Digits=1234");
        assert_eq!(compute(TOKEN, URL, &params), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
        assert_eq!(check(URL, &params, "IK+Dwps556ElfBT0I3Rgjkr1wJU="), Ok(()));
    }

    #[test]
    fn names_sort_by_code_point_and_empty_values_contribute_the_name() {
        // Upper case sorts before lower case; an empty value adds only the name.
        let params = owned(&[("b", ""), ("a", "2"), ("B", "1")]);
        let expected = compute(TOKEN, "https://h/pB1a2b", &[]);
        assert_eq!(compute(TOKEN, "https://h/p", &params), expected);
    }

    #[test]
    fn form_bodies_are_decoded() {
        assert_eq!(
            form_params(b"a=1+2&b=%41%20&c&d=%E2%82%AC&e=%FF"),
            owned(&[
                ("a", "1 2"),
                ("b", "A "),
                ("c", ""),
                ("d", "\u{20ac}"),
                ("e", "\u{fffd}")
            ])
        );
        assert!(form_params(b"").is_empty());
    }

    #[test]
    fn body_sha256_good() {
        assert_eq!(body_sha256_hex(JSON_BODY), JSON_BODY_SHA256);
        let url = format!("{URL}&bodySHA256={JSON_BODY_SHA256}");
        assert_eq!(
            check_body(&url, JSON_BODY, "a9nBmqA0ju/hNViExpshrM61xv4="),
            Ok(())
        );
        let only_hash = format!("https://mycompany.com/myapp.php?bodySHA256={JSON_BODY_SHA256}");
        assert_eq!(
            check_body(&only_hash, JSON_BODY, "y77kIzt2vzLz71DgmJGsen2scGs="),
            Ok(())
        );
    }

    #[test]
    fn body_sha256_ignores_form_params() {
        // Twilio signs only the URL when it sends bodySHA256, even if the
        // caller passes parameters.
        let url = format!("{URL}&bodySHA256={JSON_BODY_SHA256}");
        let result = validate(
            &tokens(&[TOKEN]),
            &url,
            &docs_params(),
            Some(JSON_BODY),
            Some("a9nBmqA0ju/hNViExpshrM61xv4="),
            false,
        );
        assert_eq!(result, Ok(()));
    }

    #[test]
    fn body_sha256_bad() {
        let url = format!("{URL}&bodySHA256={JSON_BODY_SHA256}");
        let tampered = br#"{"property": "evil", "boolean": true}"#;
        assert_eq!(
            check_body(&url, tampered, "a9nBmqA0ju/hNViExpshrM61xv4="),
            Err(SignatureError::BodyHashMismatch)
        );
        // Re-serialised JSON (same value, different bytes) fails too.
        assert_eq!(
            check_body(
                &url,
                br#"{"property":"value","boolean":true}"#,
                "a9nBmqA0ju/hNViExpshrM61xv4="
            ),
            Err(SignatureError::BodyHashMismatch)
        );
        // No body to check: fail closed.
        assert_eq!(
            validate(
                &tokens(&[TOKEN]),
                &url,
                &[],
                None,
                Some("a9nBmqA0ju/hNViExpshrM61xv4="),
                false
            ),
            Err(SignatureError::BodyHashMismatch)
        );
        // A wrong signature is reported as such, not as a body problem.
        assert_eq!(
            check_body(&url, tampered, DOCS_SIGNATURE),
            Err(SignatureError::Invalid)
        );
    }

    #[test]
    fn body_sha256_upper_case_hex_is_rejected() {
        let upper = JSON_BODY_SHA256.to_ascii_uppercase();
        let url = format!("{URL}&bodySHA256={upper}");
        let sig = compute(TOKEN, &url, &[]);
        assert_eq!(
            check_body(&url, JSON_BODY, &sig),
            Err(SignatureError::BodyHashMismatch)
        );
    }

    #[test]
    fn empty_body_sha256_fails_closed() {
        let url = format!("{URL}&bodySHA256=");
        let sig = compute(TOKEN, &url, &[]);
        assert_eq!(
            check_body(&url, b"", &sig),
            Err(SignatureError::BodyHashMismatch)
        );
    }

    #[test]
    fn second_token_is_accepted_for_rotation() {
        let sig = compute("new-token", URL, &docs_params());
        let both = tokens(&["old-token", "new-token"]);
        assert_eq!(
            validate(&both, URL, &docs_params(), None, Some(&sig), false),
            Ok(())
        );
        let old_only = tokens(&["old-token"]);
        assert_eq!(
            validate(&old_only, URL, &docs_params(), None, Some(&sig), false),
            Err(SignatureError::Invalid)
        );
    }

    #[test]
    fn no_usable_token_rejects_everything() {
        let sig = compute("", URL, &[]);
        for configured in [tokens(&[]), tokens(&[""])] {
            assert_eq!(
                validate(&configured, URL, &[], None, Some(&sig), false),
                Err(SignatureError::Invalid)
            );
        }
    }

    #[test]
    fn strict_mode_requires_body_sha256() {
        let sig = compute(TOKEN, URL, &[]);
        assert_eq!(
            validate(
                &tokens(&[TOKEN]),
                URL,
                &[],
                Some(JSON_BODY),
                Some(&sig),
                true
            ),
            Err(SignatureError::BodyHashRequired)
        );
        let url = format!("{URL}&bodySHA256={JSON_BODY_SHA256}");
        assert_eq!(
            validate(
                &tokens(&[TOKEN]),
                &url,
                &[],
                Some(JSON_BODY),
                Some("a9nBmqA0ju/hNViExpshrM61xv4="),
                true
            ),
            Ok(())
        );
        // Without strict mode a URL-only signature is accepted, as Twilio's
        // validators do.
        assert_eq!(
            validate(
                &tokens(&[TOKEN]),
                URL,
                &[],
                Some(JSON_BODY),
                Some(&sig),
                false
            ),
            Ok(())
        );
    }

    #[test]
    fn missing_empty_and_malformed_headers() {
        assert_eq!(
            validate(&tokens(&[TOKEN]), URL, &[], None, None, false),
            Err(SignatureError::Missing)
        );
        assert_eq!(check(URL, &[], ""), Err(SignatureError::Missing));
        for bad in [
            "not base64!",
            "GvWf1cFY/Q7PnoempGyD5oXAezc",
            "GvWf1cFY/Q7PnoempGyD5oXAezc==",
            "AAAA",
            // Same bytes as the documented signature but non-zero trailing bits.
            "GvWf1cFY/Q7PnoempGyD5oXAezd=",
            " GvWf1cFY/Q7PnoempGyD5oXAezc=",
        ] {
            assert_eq!(
                check(URL, &docs_params(), bad),
                Err(SignatureError::Invalid),
                "{bad}"
            );
        }
    }

    #[test]
    fn errors_map_to_status_and_short_messages() {
        assert_eq!(SignatureError::Missing.status(), StatusCode::UNAUTHORIZED);
        for error in [
            SignatureError::Invalid,
            SignatureError::BodyHashMismatch,
            SignatureError::BodyHashRequired,
        ] {
            assert_eq!(error.status(), StatusCode::FORBIDDEN);
            assert!(error.to_string().len() < 60);
        }
    }

    #[test]
    fn port_variant_edits_only_the_port() {
        let cases = [
            ("https://h/x?a=1&a=2", Some("https://h:443/x?a=1&a=2")),
            ("http://h/x", Some("http://h:80/x")),
            ("HTTPS://h/x", Some("HTTPS://h:443/x")),
            ("https://h", Some("https://h:443")),
            ("https://h?q=1", Some("https://h:443?q=1")),
            ("https://h:8443/x?q=:1", Some("https://h/x?q=:1")),
            ("https://h:/x", Some("https://h:443/x")),
            ("https://u:p@h:1/x", Some("https://u:p@h/x")),
            ("https://u:p@h/x", Some("https://u:p@h:443/x")),
            ("https://[::1]:8080/x", Some("https://[::1]/x")),
            ("https://[::1]/x", Some("https://[::1]:443/x")),
            ("/mcp?next=https://h/x", None),
            ("no scheme", None),
        ];
        for (url, expected) in cases {
            assert_eq!(port_variant(url).as_deref(), expected, "{url}");
        }
    }

    #[test]
    fn body_sha256_is_read_from_the_query_only() {
        assert_eq!(
            body_sha256_param("https://h/x?a=1&bodySHA256=ab&bodySHA256=cd").as_deref(),
            Some("ab")
        );
        assert_eq!(body_sha256_param("https://h/bodySHA256=ab"), None);
        assert_eq!(body_sha256_param("https://h/x#?bodySHA256=ab"), None);
        assert_eq!(body_sha256_param("https://h/x?bodysha256=ab"), None);
    }

    fn arbitrary_params() -> impl Strategy<Value = Vec<(String, String)>> {
        proptest::collection::vec((any::<String>(), any::<String>()), 0..8)
    }

    proptest! {
        #[test]
        fn validate_never_panics(
            url in any::<String>(),
            body in proptest::collection::vec(any::<u8>(), 0..256),
            signature in proptest::option::of(any::<String>()),
            params in arbitrary_params(),
            strict in any::<bool>(),
        ) {
            let _ = validate(&tokens(&[TOKEN, ""]), &url, &params, Some(&body), signature.as_deref(), strict);
            let _ = form_params(&body);
            let _ = port_variant(&url);
        }

        #[test]
        fn validate_never_panics_on_url_like_input(
            url in "[a-zA-Z]{1,6}://[a-z@:\\[\\]0-9.]{0,20}[/?#]?[ -~]{0,40}",
            signature in "[A-Za-z0-9+/=]{0,32}",
        ) {
            let _ = validate(&tokens(&[TOKEN]), &url, &[], Some(b"{}"), Some(&signature), false);
            let _ = port_variant(&url);
        }

        #[test]
        fn compute_then_validate_round_trips(
            path in "[ -~]{0,40}",
            params in arbitrary_params(),
            token in "[ -~]{1,40}",
        ) {
            let url = format!("https://example.com/{path}");
            prop_assume!(!url.contains(BODY_SHA256_PARAM));
            let signature = compute(&token, &url, &params);
            let configured = vec![Secret::new(token)];
            prop_assert_eq!(validate(&configured, &url, &params, None, Some(&signature), false), Ok(()));
            // Order of the body parameters never matters.
            let mut reversed = params.clone();
            reversed.reverse();
            prop_assert_eq!(validate(&configured, &url, &reversed, None, Some(&signature), false), Ok(()));
            // The default-port variant validates with the same signature.
            let with_port = format!("https://example.com:443/{path}");
            prop_assert_eq!(validate(&configured, &with_port, &params, None, Some(&signature), false), Ok(()));
        }

        #[test]
        fn body_hash_round_trips(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let url = format!("https://example.com/mcp?bodySHA256={}", body_sha256_hex(&body));
            let signature = compute(TOKEN, &url, &[]);
            prop_assert_eq!(check_body(&url, &body, &signature), Ok(()));
            let mut tampered = body.clone();
            tampered.push(b' ');
            prop_assert_eq!(check_body(&url, &tampered, &signature), Err(SignatureError::BodyHashMismatch));
        }

        #[test]
        fn form_params_round_trip_through_the_encoder(params in arbitrary_params()) {
            let body = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params.iter())
                .finish();
            prop_assert_eq!(form_params(body.as_bytes()), params);
        }
    }
}
