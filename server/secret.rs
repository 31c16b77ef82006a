//! A string that must never reach logs, error messages or serialised output.
//!
//! Twilio auth tokens (and API key secrets) live in configuration structs that
//! derive `Debug` and get logged at start-up or printed in panics. Wrapping them
//! in [`Secret`] makes that safe by construction: `Debug` and `Display` print
//! `[redacted]`, there is deliberately no `Serialize` implementation, and the
//! only way to read the value is the explicit [`Secret::expose`] call, which is
//! easy to grep for in review.

use std::fmt;

/// The placeholder printed instead of a secret's value.
const REDACTED: &str = "[redacted]";

/// A secret string (for example a Twilio auth token) that redacts itself when
/// formatted.
///
/// ```
/// use twilio_mcp::secret::Secret;
///
/// let token = Secret::new("s3cr3t");
/// assert_eq!(format!("{token:?}"), "[redacted]");
/// assert_eq!(token.to_string(), "[redacted]");
/// assert_eq!(token.expose(), "s3cr3t");
/// ```
// No `PartialEq`: comparing secrets with `==` is not constant-time, and nothing
// needs it. No `Serialize`: a secret must not end up in JSON by accident.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Returns the secret value. Call this only where the value is actually
    /// used (HMAC keys, HTTP basic auth), never to log or display it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string (an unset or blank setting).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn formatting_never_shows_the_value() {
        #[derive(Debug)]
        #[allow(dead_code)] // only read through Debug
        struct Config {
            token: Secret,
        }

        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{secret:#?}"), "[redacted]");
        assert_eq!(format!("{secret}"), "[redacted]");

        let shown = format!(
            "{:?}",
            Config {
                token: secret.clone()
            }
        );
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn expose_returns_the_value() {
        assert_eq!(Secret::new("hunter2").expose(), "hunter2");
        assert_eq!(Secret::from("a").expose(), "a");
        assert_eq!(Secret::from(String::from("b")).expose(), "b");
        assert!(Secret::new("").is_empty());
        assert!(!Secret::new("x").is_empty());
    }
}
