//! Generates the tool catalog from Twilio's OpenAPI specs.
//!
//! Specs come from `TWILIO_OPENAPI_DIR` when it is set, else from
//! `specs/twilio-oai/`, fetched with npm and verified against
//! `specs/pin.json` when missing; codegen's built-in extensions (the
//! Serverless uploads, which Twilio's specs leave out) are added to them.
//! All the logic is in the `codegen` crate.

use std::env;
use std::error::Error;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, exit};

use twilio_mcp_codegen::fetch::{self, SpecPin};

fn main() {
    if let Err(message) = run() {
        eprintln!("error: {message}");
        exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    link_relocations_packed();
    println!("cargo:rerun-if-env-changed=TWILIO_OPENAPI_DIR");
    println!("cargo:rerun-if-changed=specs/pin.json");
    let (dir, spec_pin) = match env::var_os("TWILIO_OPENAPI_DIR") {
        Some(dir) => (PathBuf::from(dir), "custom".to_string()),
        None => pinned_specs()?,
    };
    // For the `twilio_mcp_build_info` metric.
    println!("cargo:rustc-env=TWILIO_MCP_SPEC_PIN={spec_pin}");
    println!("cargo:rerun-if-changed={}", dir.display());
    for file in twilio_mcp_codegen::spec_files(&dir)? {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let mut catalog = twilio_mcp_codegen::load_catalog(&dir)?;
    twilio_mcp_codegen::add_built_in_extensions(&mut catalog)?;
    let (_, warnings, errors) = twilio_mcp_codegen::finding_counts(&catalog);
    if errors > 0 || warnings > 0 {
        println!(
            "cargo:warning=codegen: {} tools, {errors} operations left out, {warnings} warnings \
             (run `twilio-mcp audit` for the list)",
            catalog.tools.len()
        );
    }
    let source = twilio_mcp_codegen::render(&catalog)?;
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    fs::write(out.join("catalog.rs"), source)
        .map_err(|e| format!("cannot write catalog.rs: {e}"))?;
    Ok(())
}

/// The catalog's static tables hold tens of thousands of pointers, each one
/// a load-time relocation in a position-independent executable. Packed
/// relative relocations (DT_RELR) store them in a few kilobytes instead of
/// 24 bytes each, so the loader reads far less. The binary then needs glibc
/// 2.36+ to start (and GNU ld 2.38+ or lld to link), so this is only for
/// native builds on GNU/Linux whose glibc has it, unless turned off;
/// elsewhere nothing changes.
fn link_relocations_packed() {
    // `TWILIO_MCP_PACK_RELOCS=0` builds a binary for older glibc systems.
    println!("cargo:rerun-if-env-changed=TWILIO_MCP_PACK_RELOCS");
    if env::var("TWILIO_MCP_PACK_RELOCS").is_ok_and(|v| v == "0") {
        return;
    }
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let native = env::var("HOST").ok() == env::var("TARGET").ok();
    if os == "linux" && target_env == "gnu" && native && glibc_at_least(2, 36) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// This machine's glibc (`getconf GNU_LIBC_VERSION`: "glibc 2.36").
fn glibc_at_least(major: u32, minor: u32) -> bool {
    let Ok(output) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let mut numbers = text
        .trim()
        .trim_start_matches("glibc ")
        .split('.')
        .map(|n| n.parse::<u32>().ok());
    match (numbers.next().flatten(), numbers.next().flatten()) {
        (Some(a), Some(b)) => (a, b) >= (major, minor),
        _ => false,
    }
}

/// `specs/twilio-oai/`, fetched first if it does not match the pin, and
/// the pin as `package@version`.
fn pinned_specs() -> Result<(PathBuf, String), Box<dyn Error>> {
    let pin = SpecPin::read("specs/pin.json".as_ref())?;
    let dir = PathBuf::from("specs/twilio-oai");
    if !fetch::is_current(&pin, &dir) {
        println!(
            "cargo:warning=fetching Twilio's OpenAPI specs ({}) with npm",
            pin.spec()
        );
        fetch::ensure_specs(&pin, &dir).map_err(|e| {
            format!(
                "Twilio's OpenAPI specs are missing from specs/twilio-oai and could not be \
                 fetched: {e}; then run `cargo build` again"
            )
        })?;
    }
    Ok((dir, pin.spec()))
}
