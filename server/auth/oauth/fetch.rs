//! The HTTP client to the authorization server: short timeouts, no
//! redirects, bounded bodies, and only `https` (or `http` on loopback).

use std::net::IpAddr;
use std::time::Duration;

use serde::de::DeserializeOwned;

/// Time limit of one request to the authorization server.
pub(super) const TIMEOUT: Duration = Duration::from_secs(3);
/// Largest answer read (metadata, JWKS, introspection).
pub(super) const MAX_BODY_BYTES: usize = 256 * 1024;

/// The client: rustls, no redirects (a redirect could send us anywhere),
/// [`TIMEOUT`].
pub(super) fn client() -> Result<reqwest::Client, String> {
    crate::twilio::install_crypto_provider();
    reqwest::Client::builder()
        .user_agent(concat!("twilio-mcp/", env!("CARGO_PKG_VERSION")))
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot build the HTTP client for OAuth: {e}"))
}

/// `url` parsed, when it is `https`, or `http` to a loopback host (tests,
/// a local authorization server); `what` names it in the error.
pub(super) fn check_url(url: &str, what: &str) -> Result<url::Url, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{what} `{url}` is not a URL: {e}"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!("{what} must not contain a user name or password"));
    }
    match parsed.scheme() {
        "https" => {}
        "http" if is_loopback(&parsed) => {}
        _ => {
            return Err(format!(
                "{what} `{url}` must use https (http only on a loopback address)"
            ));
        }
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("{what} `{url}` has no host"));
    }
    Ok(parsed)
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// A 2xx answer's JSON body, read up to [`MAX_BODY_BYTES`].
pub(super) async fn json<T: DeserializeOwned>(
    mut response: reqwest::Response,
    what: &str,
) -> Result<T, String> {
    let status = response.status();
    if !status.is_success() {
        return Err(format!("{what}: HTTP {}", status.as_u16()));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(format!("{what}: answer larger than {MAX_BODY_BYTES} bytes"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("{what}: {}", describe(&e)))?
    {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(format!("{what}: answer larger than {MAX_BODY_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| format!("{what}: not the expected JSON ({e})"))
}

/// A request error in a few words (never a URL with credentials: ours have none).
pub(super) fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        "connection failed".to_string()
    } else if e.is_redirect() {
        "redirects are not followed".to_string()
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        for good in [
            "https://auth.example.com",
            "https://tenant.auth0.com/",
            "http://127.0.0.1:4444",
            "http://localhost:8080/realms/x",
            "http://[::1]:9000",
        ] {
            assert!(check_url(good, "issuer").is_ok(), "{good}");
        }
        for bad in [
            "http://auth.example.com",
            "ftp://127.0.0.1",
            "not a url",
            "https://user:pw@auth.example.com",
            "http://10.0.0.1",
        ] {
            let err = check_url(bad, "issuer").expect_err(bad);
            assert!(!err.contains("pw@"), "{err}");
        }
    }
}
