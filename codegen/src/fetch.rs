//! The spec pin (`specs/pin.json`) and fetching the pinned specs with npm.
//!
//! Twilio's spec files are never committed. `specs/pin.json` names the npm
//! package that ships them, its version, its npm integrity hash and the folder
//! inside the package; [`ensure_specs`] runs `npm pack`, checks the tarball's
//! SHA-512 against the pin *before* reading it, and extracts the JSON files.

use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha512};

/// What `specs/pin.json` holds.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct SpecPin {
    /// npm package that ships twilio-oai's JSON specs.
    pub package: String,
    /// Exact package version.
    pub version: String,
    /// npm integrity string (`sha512-<base64>`) of the package tarball.
    pub integrity: String,
    /// Folder inside the tarball that holds the `twilio_*.json` files.
    pub path: String,
}

impl SpecPin {
    /// Reads and parses a pin file.
    pub fn read(path: &Path) -> Result<Self, FetchError> {
        let text = fs::read_to_string(path)
            .map_err(|e| FetchError(format!("cannot read the spec pin {}: {e}", path.display())))?;
        serde_json::from_str(&text)
            .map_err(|e| FetchError(format!("the spec pin {} is not valid: {e}", path.display())))
    }

    /// `package@version`, as npm spells it.
    pub fn spec(&self) -> String {
        format!("{}@{}", self.package, self.version)
    }
}

/// A fetch failure, as one sentence a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError(pub String);

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FetchError {}

/// Name of the stamp file that records which pin the extracted files match.
const STAMP: &str = ".pin-integrity";

/// True when `dir` holds spec files extracted for exactly this pin.
pub fn is_current(pin: &SpecPin, dir: &Path) -> bool {
    fs::read_to_string(dir.join(STAMP)).is_ok_and(|s| s.trim() == pin.integrity)
}

/// Makes sure `dir` holds the pinned spec files, fetching them if needed.
///
/// Returns `Ok(false)` when they were already there, `Ok(true)` after a fetch.
pub fn ensure_specs(pin: &SpecPin, dir: &Path) -> Result<bool, FetchError> {
    if is_current(pin, dir) {
        return Ok(false);
    }
    let work = dir.with_extension("download");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work)
        .map_err(|e| FetchError(format!("cannot create {}: {e}", work.display())))?;
    let result = fetch_into(pin, &work, dir);
    let _ = fs::remove_dir_all(&work);
    result.map(|()| true)
}

fn fetch_into(pin: &SpecPin, work: &Path, dir: &Path) -> Result<(), FetchError> {
    let tarball = npm_pack(pin, work)?;
    let bytes = fs::read(&tarball)
        .map_err(|e| FetchError(format!("cannot read {}: {e}", tarball.display())))?;
    verify_integrity(&bytes, &pin.integrity)?;
    let files = extract_json(&bytes, &pin.path)?;
    if files.is_empty() {
        return Err(FetchError(format!(
            "{} has no JSON files under {}: check `path` in specs/pin.json",
            pin.spec(),
            pin.path
        )));
    }
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir)
        .map_err(|e| FetchError(format!("cannot create {}: {e}", dir.display())))?;
    for (name, content) in files {
        fs::write(dir.join(&name), content)
            .map_err(|e| FetchError(format!("cannot write {name}: {e}")))?;
    }
    fs::write(dir.join(STAMP), &pin.integrity)
        .map_err(|e| FetchError(format!("cannot write the pin stamp: {e}")))?;
    Ok(())
}

/// Runs `npm pack <package>@<version>` into `work` and returns the tarball path.
fn npm_pack(pin: &SpecPin, work: &Path) -> Result<PathBuf, FetchError> {
    let output = Command::new("npm")
        .args(["pack", &pin.spec(), "--silent", "--pack-destination"])
        .arg(work)
        .output()
        .map_err(|e| {
            FetchError(format!(
                "cannot run npm to fetch {} ({e}): install Node.js and npm, or set \
                 TWILIO_OPENAPI_DIR to a folder of twilio-oai JSON specs",
                pin.spec()
            ))
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(FetchError(format!(
            "`npm pack {}` failed ({first}): check network access to the npm registry, \
             or set TWILIO_OPENAPI_DIR to a folder of twilio-oai JSON specs",
            pin.spec()
        )));
    }
    let entries = fs::read_dir(work)
        .map_err(|e| FetchError(format!("cannot list {}: {e}", work.display())))?;
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "tgz"))
        .ok_or_else(|| FetchError(format!("`npm pack {}` produced no tarball", pin.spec())))
}

/// Checks `bytes` against an npm integrity string (`sha512-<base64>`).
pub fn verify_integrity(bytes: &[u8], integrity: &str) -> Result<(), FetchError> {
    let expected = integrity.strip_prefix("sha512-").ok_or_else(|| {
        FetchError(format!(
            "unsupported integrity `{integrity}` in specs/pin.json: expected sha512-<base64>"
        ))
    })?;
    let actual = base64::engine::general_purpose::STANDARD.encode(Sha512::digest(bytes));
    if actual != expected {
        return Err(FetchError(format!(
            "the fetched package does not match the pinned integrity (got sha512-{actual}); \
             refusing to use it"
        )));
    }
    Ok(())
}

/// Extracts the `*.json` files directly under `inner` from a gzipped tarball.
fn extract_json(tgz: &[u8], inner: &str) -> Result<Vec<(String, Vec<u8>)>, FetchError> {
    let prefix = format!("{}/", inner.trim_end_matches('/'));
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tgz));
    let entries = archive
        .entries()
        .map_err(|e| FetchError(format!("cannot read the package tarball: {e}")))?;
    let mut files = Vec::new();
    for entry in entries {
        let mut entry =
            entry.map_err(|e| FetchError(format!("cannot read the package tarball: {e}")))?;
        let path = entry
            .path()
            .map_err(|e| FetchError(format!("bad path in the package tarball: {e}")))?
            .to_string_lossy()
            .into_owned();
        let Some(name) = path.strip_prefix(&prefix) else {
            continue;
        };
        // Only plain file names: no sub-folders, no `..`.
        if name.contains('/') || !name.ends_with(".json") || name.starts_with('.') {
            continue;
        }
        let mut content = Vec::new();
        entry
            .read_to_end(&mut content)
            .map_err(|e| FetchError(format!("cannot extract {name}: {e}")))?;
        files.push((name.to_string(), content));
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrity_matches_and_mismatches() {
        let bytes = b"hello";
        let good = format!(
            "sha512-{}",
            base64::engine::general_purpose::STANDARD.encode(Sha512::digest(bytes))
        );
        assert!(verify_integrity(bytes, &good).is_ok());
        assert!(verify_integrity(b"hellO", &good).is_err());
        assert!(verify_integrity(bytes, "sha1-abc").is_err());
    }

    #[test]
    fn extracts_only_json_files_of_the_folder() {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, body) in [
            ("package/spec/json/twilio_a.json", "{}"),
            ("package/spec/json/readme.md", "x"),
            ("package/spec/json/nested/twilio_b.json", "{}"),
            ("package/other/twilio_c.json", "{}"),
        ] {
            let mut header = tar::Header::new_gnu();
            header.set_size(body.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, path, body.as_bytes())
                .expect("append");
        }
        let tar_bytes = builder.into_inner().expect("tar");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar_bytes).expect("gzip");
        let tgz = gz.finish().expect("gzip");
        let files = extract_json(&tgz, "package/spec/json").expect("extract");
        let names: Vec<_> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["twilio_a.json"]);
    }
}
