//! Static bearer keys: operator-issued API keys for clients that can send
//! a fixed header but not `X-Twilio-Signature`.
//!
//! A client presents its key as `Authorization: Bearer <key>` or
//! `X-API-Key: <key>`. The server never holds the keys themselves, only
//! their SHA-256 digests, each with a name (the caller identity in logs)
//! and optional [`Restrictions`]. A presented key is hashed and compared
//! with every configured digest in constant time.
//!
//! # The key file
//!
//! One key a line, from `--api-key-file` and/or `TWILIO_MCP_API_KEYS`
//! (where `;` also separates entries):
//!
//! ```text
//! # name   digest                                                                  restrictions
//! ci       sha256:0b6cbc0f6e1a2c1f4bd1f73d8a7b1e8f6f0a6e4a5f0c4c3f2a1b0e9d8c7b6a5f  read-only services=Messaging
//! support  sha256:5e3f…                                                            allow=ApiV2010_*Message* deny=*Delete*
//! ```
//!
//! * `name`: 1 to 64 of `A-Z a-z 0-9 . _ - @`, starting with a letter or
//!   digit; unique.
//! * `sha256:<64 hex digits>`: the digest of the whole key (what
//!   `twilio-mcp keys new` prints); unique.
//! * restrictions, any of: `read-only`; `services=A,B` (service names as
//!   for `--services`); `allow=GLOB,…` and `deny=GLOB,…` (tool globs as for
//!   `--allow-tools`/`--deny-tools`). They narrow the server's own policy,
//!   never widen it.
//! * `#` starts a comment; blank lines are ignored.
//!
//! A bad line is an error naming the line and what is wrong; the server
//! does not start with one.
//!
//! # Revoking
//!
//! Delete the key's line. The file is checked for changes at most once a
//! second when a key is presented, and re-read when it changed; from then
//! on the key is refused. If the changed file does not parse (or cannot be
//! read), every key from the file is refused until it does (fail closed),
//! and the error is logged. Keys from `TWILIO_MCP_API_KEYS` change only
//! with a restart.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::caller::Caller;
use crate::filter::Restrictions;

/// What `keys new` keys start with, so secret scanners can spot them.
pub const KEY_PREFIX: &str = "tmcp_";
/// Random bytes in a new key (256 bits).
const KEY_BYTES: usize = 32;
/// Longer presented values are not keys (and are not hashed).
pub const MAX_KEY_BYTES: usize = 512;
/// Largest key file read.
const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// How often a key file is checked for changes, at most.
const RELOAD_INTERVAL: Duration = Duration::from_secs(1);

/// One configured key: its name, digest and restrictions.
#[derive(Clone)]
pub struct ApiKey {
    name: String,
    digest: [u8; 32],
    restrictions: Arc<Restrictions>,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The digest is not secret, but nothing gains from printing it.
        f.debug_struct("ApiKey")
            .field("name", &self.name)
            .field("restrictions", &self.restrictions.to_string())
            .finish()
    }
}

impl ApiKey {
    /// The key's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its restrictions.
    #[must_use]
    pub fn restrictions(&self) -> &Restrictions {
        &self.restrictions
    }
}

/// A key file or `TWILIO_MCP_API_KEYS` entry that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    /// Where: `keys.txt line 3`, `TWILIO_MCP_API_KEYS entry 2`.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl std::error::Error for KeyError {}

/// The SHA-256 digest of a key.
#[must_use]
pub fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// `sha256:<hex>` of a digest, as key files write it.
#[must_use]
pub fn digest_text(digest: &[u8; 32]) -> String {
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// A fresh random key: [`KEY_PREFIX`] and 32 random bytes, base64url.
///
/// # Errors
///
/// The operating system's random source failed.
pub fn generate() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; KEY_BYTES];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// The key-file line for a key with this name, digest and restrictions
/// (the parts as given; [`parse_line`] reads it back).
#[must_use]
pub fn line(
    name: &str,
    digest: &[u8; 32],
    read_only: bool,
    services: &[String],
    allow: &[String],
    deny: &[String],
) -> String {
    let mut out = format!("{name} {}", digest_text(digest));
    if read_only {
        out.push_str(" read-only");
    }
    for (option, values) in [("services", services), ("allow", allow), ("deny", deny)] {
        let values: Vec<&str> = values
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        if !values.is_empty() {
            out.push_str(&format!(" {option}={}", values.join(",")));
        }
    }
    out
}

/// Checks a key name.
///
/// # Errors
///
/// What is wrong with it.
pub fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if first_ok && rest_ok && name.len() <= 64 {
        Ok(())
    } else {
        Err(format!(
            "bad key name `{name}`: use 1 to 64 letters, digits, `.`, `_`, `-` or `@`, \
             starting with a letter or digit"
        ))
    }
}

/// One entry: `NAME sha256:HEX [restrictions]`, without comments.
///
/// # Errors
///
/// What is wrong with the entry.
pub fn parse_line(text: &str) -> Result<ApiKey, String> {
    let mut words = text.split_whitespace();
    let name = words.next().ok_or("empty entry")?;
    check_name(name)?;
    let digest_word = words
        .next()
        .ok_or_else(|| format!("key `{name}` has no digest: expected `sha256:<64 hex digits>`"))?;
    let digest = parse_digest(digest_word)
        .ok_or_else(|| format!("key `{name}`: expected `sha256:<64 hex digits>` after the name"))?;
    let (mut read_only, mut services, mut allow, mut deny) = (false, vec![], vec![], vec![]);
    for word in words {
        let list = |v: &str| -> Vec<String> {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        };
        match word.split_once('=') {
            None if word == "read-only" => read_only = true,
            Some(("services", v)) => services.extend(list(v)),
            Some(("allow", v)) => allow.extend(list(v)),
            Some(("deny", v)) => deny.extend(list(v)),
            _ => {
                return Err(format!(
                    "key `{name}`: unknown restriction `{word}` (use read-only, services=…, \
                     allow=…, deny=…)"
                ));
            }
        }
    }
    let restrictions = Restrictions::new(read_only, &services, &allow, &deny)
        .map_err(|e| format!("key `{name}`: {e}"))?;
    Ok(ApiKey {
        name: name.to_string(),
        digest,
        restrictions: Arc::new(restrictions),
    })
}

fn parse_digest(word: &str) -> Option<[u8; 32]> {
    let hex = word.strip_prefix("sha256:")?;
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Entries of a key file (`location` names it in errors), or of
/// `TWILIO_MCP_API_KEYS` (`;` also separates entries there).
fn parse_entries(text: &str, location: &str, semicolons: bool) -> Result<Vec<ApiKey>, KeyError> {
    let mut keys: Vec<ApiKey> = Vec::new();
    let unit = if semicolons { "entry" } else { "line" };
    let entries: Vec<&str> = if semicolons {
        text.split(['\n', ';']).collect()
    } else {
        text.lines().collect()
    };
    for (index, raw) in entries.into_iter().enumerate() {
        let entry = strip_comment(raw).trim();
        if entry.is_empty() {
            continue;
        }
        let at = || format!("{location} {unit} {}", index + 1);
        let key = parse_line(entry).map_err(|message| KeyError {
            location: at(),
            message,
        })?;
        check_unique(&keys, &key).map_err(|message| KeyError {
            location: at(),
            message,
        })?;
        keys.push(key);
    }
    Ok(keys)
}

fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    match line.find(" #").or_else(|| line.find("\t#")) {
        Some(i) => &line[..i],
        None => line,
    }
}

fn check_unique(existing: &[ApiKey], key: &ApiKey) -> Result<(), String> {
    if existing.iter().any(|k| k.name == key.name) {
        return Err(format!("key name `{}` is used twice", key.name));
    }
    if existing.iter().any(|k| k.digest == key.digest) {
        return Err(format!(
            "key `{}` has the same digest as another key: issue a new key for each client",
            key.name
        ));
    }
    Ok(())
}

/// A key file's identity on disk, to notice edits.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

#[derive(Debug)]
struct FileState {
    stamp: Option<Stamp>,
    /// The file's keys, or why there are none (then every file key is refused).
    keys: Result<Vec<ApiKey>, String>,
}

#[derive(Debug)]
struct KeyFile {
    path: PathBuf,
    state: RwLock<FileState>,
    next_check: Mutex<Instant>,
}

/// The configured keys: from `TWILIO_MCP_API_KEYS` (fixed) and a key file
/// (re-read when it changes).
#[derive(Debug)]
pub struct KeyStore {
    inline: Vec<ApiKey>,
    file: Option<KeyFile>,
}

impl KeyStore {
    /// Keys from `inline` (`TWILIO_MCP_API_KEYS`) and the file at `path`.
    /// `None` when neither is given: the method is not configured.
    ///
    /// # Errors
    ///
    /// A bad entry, a name or digest used twice, or a file that cannot be
    /// read: the server must not start.
    pub fn load(inline: Option<&str>, path: Option<&Path>) -> Result<Option<Self>, KeyError> {
        let inline_text = inline.map(str::trim).filter(|t| !t.is_empty());
        if inline_text.is_none() && path.is_none() {
            return Ok(None);
        }
        let inline = match inline_text {
            Some(text) => parse_entries(text, "TWILIO_MCP_API_KEYS", true)?,
            None => Vec::new(),
        };
        let file = match path {
            None => None,
            Some(path) => {
                let (stamp, keys) = read_file(path, &inline)?;
                Some(KeyFile {
                    path: path.to_path_buf(),
                    state: RwLock::new(FileState {
                        stamp: Some(stamp),
                        keys: Ok(keys),
                    }),
                    next_check: Mutex::new(Instant::now() + RELOAD_INTERVAL),
                })
            }
        };
        Ok(Some(Self { inline, file }))
    }

    /// Keys from a text (tests, benchmarks): `;` or newlines between entries.
    ///
    /// # Errors
    ///
    /// A bad entry.
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        Ok(Self {
            inline: parse_entries(text, "keys", true)?,
            file: None,
        })
    }

    /// How many keys are usable now.
    pub fn len(&self) -> usize {
        let from_file = self.file.as_ref().map_or(0, |f| {
            f.state
                .read()
                .map_or(0, |s| s.keys.as_ref().map_or(0, Vec::len))
        });
        self.inline.len() + from_file
    }

    /// True when no key is usable now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The caller a presented key authenticates, if it is one of ours.
    ///
    /// The value is hashed and compared with every configured digest in
    /// constant time; nothing about a failed lookup is returned or logged.
    pub fn lookup(&self, presented: &str) -> Option<Caller> {
        if presented.is_empty() || presented.len() > MAX_KEY_BYTES {
            return None;
        }
        let wanted = digest(presented);
        if let Some(key) = find(&self.inline, &wanted) {
            return Some(Caller::api_key(&key.name, key.restrictions.clone()));
        }
        let file = self.file.as_ref()?;
        self.reload_if_changed(file);
        let state = file.state.read().ok()?;
        let keys = state.keys.as_ref().ok()?;
        find(keys, &wanted).map(|key| Caller::api_key(&key.name, key.restrictions.clone()))
    }

    /// Re-reads the key file when it changed (checked at most once a second).
    fn reload_if_changed(&self, file: &KeyFile) {
        {
            let Ok(mut next) = file.next_check.lock() else {
                return;
            };
            let now = Instant::now();
            if now < *next {
                return;
            }
            *next = now + RELOAD_INTERVAL;
        }
        let current = stamp(&file.path).ok();
        let unchanged = file
            .state
            .read()
            .is_ok_and(|s| s.stamp.is_some() && s.stamp == current);
        if unchanged {
            return;
        }
        let loaded = read_file(&file.path, &self.inline);
        let Ok(mut state) = file.state.write() else {
            return;
        };
        match loaded {
            Ok((stamp, keys)) => {
                tracing::info!(
                    file = %file.path.display(),
                    keys = keys.len(),
                    "API key file changed: keys reloaded"
                );
                state.stamp = Some(stamp);
                state.keys = Ok(keys);
            }
            Err(e) => {
                tracing::error!(
                    error = %e,
                    "API key file changed but cannot be used: every key from it is refused \
                     until it is fixed"
                );
                state.stamp = current;
                state.keys = Err(e.to_string());
            }
        }
    }
}

/// The key whose digest equals `wanted`. Every digest is compared, in
/// constant time, whatever matches.
fn find<'a>(keys: &'a [ApiKey], wanted: &[u8; 32]) -> Option<&'a ApiKey> {
    let mut found = None;
    for key in keys {
        if bool::from(key.digest.ct_eq(wanted)) {
            found = Some(key);
        }
    }
    found
}

fn stamp(path: &Path) -> std::io::Result<Stamp> {
    let meta = std::fs::metadata(path)?;
    Ok(Stamp {
        modified: meta.modified().ok(),
        len: meta.len(),
    })
}

fn read_file(path: &Path, inline: &[ApiKey]) -> Result<(Stamp, Vec<ApiKey>), KeyError> {
    let location = path.display().to_string();
    let fail = |message: String| KeyError {
        location: location.clone(),
        message,
    };
    let stamp = stamp(path).map_err(|e| fail(format!("cannot read the API key file: {e}")))?;
    if stamp.len > MAX_FILE_BYTES {
        return Err(fail(format!(
            "the API key file is larger than {MAX_FILE_BYTES} bytes"
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| fail(format!("cannot read the API key file: {e}")))?;
    let keys = parse_entries(&text, &location, false)?;
    for key in &keys {
        check_unique(inline, key)
            .map_err(|message| fail(format!("{message} (also in TWILIO_MCP_API_KEYS)")))?;
    }
    Ok((stamp, keys))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AuthMethod;
    use crate::filter::Restriction;

    fn entry(name: &str, key: &str, rest: &str) -> String {
        format!("{name} {} {rest}", digest_text(&digest(key)))
    }

    #[test]
    fn generated_keys_are_random_prefixed_and_long() {
        let a = generate().expect("random");
        let b = generate().expect("random");
        assert_ne!(a, b);
        assert!(a.starts_with(KEY_PREFIX), "{a}");
        assert_eq!(a.len(), KEY_PREFIX.len() + 43);
        assert!(
            a[KEY_PREFIX.len()..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn digests_are_sha256_hex() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        assert_eq!(
            digest_text(&digest("abc")),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn the_printed_line_parses_back_with_its_restrictions() {
        let text = line(
            "ci",
            &digest("k"),
            true,
            &["Messaging,Voice".into()],
            &["ApiV2010_*".into()],
            &["*Delete*".into()],
        );
        assert!(
            text.ends_with(" read-only services=Messaging,Voice allow=ApiV2010_* deny=*Delete*"),
            "{text}"
        );
        let key = parse_line(&text).expect("parses");
        assert_eq!(key.name(), "ci");
        let r = key.restrictions();
        assert!(r.read_only());
        assert_eq!(
            r.services().map(|s| s.names.clone()),
            Some(vec!["Messaging".to_string(), "Voice".to_string()])
        );
        assert_eq!(r.globs().0, ["ApiV2010_*"]);
        assert_eq!(r.globs().1, ["*Delete*"]);
        assert_eq!(
            line("plain", &digest("k"), false, &[], &[], &[])
                .split(' ')
                .count(),
            2
        );
    }

    #[test]
    fn lookup_finds_the_key_by_digest_and_names_the_caller() {
        let text = format!(
            "{}\n# a comment\n\n{}  # trailing comment",
            entry("ci", "key-one", "read-only"),
            entry("ops", "key-two", "")
        );
        let store = KeyStore::from_text(&text).expect("store");
        assert_eq!(store.len(), 2);
        let caller = store.lookup("key-one").expect("key-one");
        assert_eq!(caller.id(), "key:ci");
        assert_eq!(caller.method(), AuthMethod::ApiKey);
        assert!(caller.restrictions().read_only());
        assert!(
            !store
                .lookup("key-two")
                .expect("key-two")
                .restrictions()
                .read_only()
        );
        for wrong in [
            "key-three",
            "",
            "key-one ",
            "KEY-ONE",
            &"x".repeat(MAX_KEY_BYTES + 1),
        ] {
            assert!(store.lookup(wrong).is_none(), "{wrong}");
        }
    }

    #[test]
    fn semicolons_separate_environment_entries() {
        let text = format!("{};{}", entry("a", "1", ""), entry("b", "2", "read-only"));
        let store = KeyStore::from_text(&text).expect("store");
        assert_eq!(store.len(), 2);
        assert_eq!(store.lookup("2").expect("b").name(), "b");
    }

    #[test]
    fn bad_entries_are_errors_naming_the_line() {
        let good = entry("ci", "k", "");
        let cases = [
            ("-bad sha256:00", "bad key name"),
            ("b!d sha256:00", "bad key name"),
            ("ci", "has no digest"),
            ("ci sha256:abc", "expected `sha256:<64 hex digits>`"),
            ("ci md5:0123", "expected `sha256:"),
            (
                &format!("{good} write-only"),
                "unknown restriction `write-only`",
            ),
            (&format!("{good} services=Nope"), "unknown service `Nope`"),
            (&format!("{good} allow=["), "bad tool pattern `[`"),
            (
                &format!("{good}\n{}", entry("ci", "other", "")),
                "used twice",
            ),
            (&format!("{good}\n{}", entry("dup", "k", "")), "same digest"),
        ];
        for (text, expected) in cases {
            let err = parse_entries(text, "keys.txt", false).expect_err(text);
            assert!(err.to_string().contains(expected), "{text}: {err}");
            assert!(err.to_string().starts_with("keys.txt line "), "{err}");
        }
        let err = parse_entries(&format!("{good}\n\nnope"), "keys.txt", false).expect_err("line 3");
        assert!(err.to_string().starts_with("keys.txt line 3: "), "{err}");
    }

    #[test]
    fn restrictions_narrow_by_each_part() {
        use crate::catalog;
        let key = parse_line(&entry(
            "ci",
            "k",
            "read-only services=Messaging deny=*Fetch*",
        ))
        .expect("key");
        let r = key.restrictions();
        let (create, create_tool) = catalog::find("ApiV2010_CreateMessage").expect("tool");
        let (list, list_tool) = catalog::find("ApiV2010_ListMessage").expect("tool");
        let (fetch, fetch_tool) = catalog::find("ApiV2010_FetchMessage").expect("tool");
        let (calls, calls_tool) = catalog::find("ApiV2010_ListCall").expect("tool");
        assert_eq!(r.refusal(create, create_tool), Some(Restriction::ReadOnly));
        assert_eq!(r.refusal(list, list_tool), None);
        assert_eq!(r.refusal(fetch, fetch_tool), Some(Restriction::AllowDeny));
        assert_eq!(
            r.refusal(calls, calls_tool),
            Some(Restriction::Services(vec!["Messaging".into()]))
        );
    }

    #[test]
    fn the_key_file_is_reloaded_when_it_changes_and_fails_closed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys.txt");
        std::fs::write(
            &path,
            format!("{}\n{}\n", entry("a", "ka", ""), entry("b", "kb", "")),
        )
        .expect("write");
        let store = KeyStore::load(Some(&entry("env", "ke", "")), Some(&path))
            .expect("loads")
            .expect("configured");
        assert_eq!(store.len(), 3);
        assert!(store.lookup("kb").is_some());

        // Revoke b.
        std::fs::write(&path, format!("{}\n", entry("a", "ka", ""))).expect("write");
        force_check(&store);
        assert!(store.lookup("kb").is_none(), "revoked");
        assert_eq!(store.lookup("ka").map(|c| c.id()), Some("key:a".into()));

        // A broken file refuses every file key, but not the environment's.
        std::fs::write(&path, "a sha256:nope\n").expect("write");
        force_check(&store);
        assert!(store.lookup("ka").is_none(), "fail closed");
        assert!(store.lookup("ke").is_some());

        // Fixed again.
        std::fs::write(&path, format!("{}\n", entry("c", "kc", ""))).expect("write");
        force_check(&store);
        assert_eq!(store.lookup("kc").map(|c| c.id()), Some("key:c".into()));

        // A file key may not repeat an environment key.
        std::fs::write(&path, format!("{}\n", entry("env", "other", ""))).expect("write");
        force_check(&store);
        assert!(store.lookup("other").is_none());
    }

    fn force_check(store: &KeyStore) {
        if let Some(file) = &store.file {
            *file.next_check.lock().expect("lock") = Instant::now();
        }
    }

    #[test]
    fn nothing_configured_is_none_and_a_missing_file_is_an_error() {
        assert!(KeyStore::load(None, None).expect("ok").is_none());
        assert!(KeyStore::load(Some("  "), None).expect("ok").is_none());
        let err =
            KeyStore::load(None, Some(Path::new("/nonexistent/keys.txt"))).expect_err("missing");
        assert!(
            err.to_string().contains("cannot read the API key file"),
            "{err}"
        );
    }

    #[test]
    fn debug_shows_names_not_digests() {
        let store = KeyStore::from_text(&entry("ci", "secret-key", "read-only")).expect("store");
        let shown = format!("{store:?}");
        assert!(shown.contains("ci"), "{shown}");
        assert!(
            !shown.contains(&digest_text(&digest("secret-key"))[7..]),
            "{shown}"
        );
        assert!(!shown.contains("secret-key"), "{shown}");
    }
}
