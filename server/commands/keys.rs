//! `twilio-mcp keys new`: a fresh random API key, printed once, and the
//! line to configure it with, which holds only the key's SHA-256 digest.

use crate::auth::keys;
use crate::cli::KeysNewArgs;

/// Prints a new key and its key-file line; nothing is stored anywhere.
pub fn new(args: &KeysNewArgs) -> Result<(), String> {
    keys::check_name(&args.name)?;
    let key = keys::generate().map_err(|e| format!("cannot get random bytes: {e}"))?;
    let line = keys::line(
        &args.name,
        &keys::digest(&key),
        args.read_only,
        &args.services,
        &args.allow_tools,
        &args.deny_tools,
    );
    // The server reads the line exactly as printed: check it parses, with
    // its restrictions, before showing anything.
    let parsed = keys::parse_line(&line)?;
    outln!("key:  {key}");
    outln!("line: {line}");
    eprintln!(
        "Give the key to the client (`Authorization: Bearer <key>` or `X-API-Key: <key>`); it \
         is shown only now. Add the line to the --api-key-file file (or TWILIO_MCP_API_KEYS). \
         Restrictions: {}.",
        parsed.restrictions()
    );
    Ok(())
}
