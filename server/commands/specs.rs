//! `twilio-mcp specs diff OLD NEW`: what regenerating would change.

use std::path::Path;

use twilio_mcp_codegen::{diff, load_catalog};

pub fn diff(old: &Path, new: &Path, json: bool) -> Result<(), String> {
    let old_catalog = load_catalog(old).map_err(|e| e.to_string())?;
    let new_catalog = load_catalog(new).map_err(|e| e.to_string())?;
    let changes = diff::diff(&old_catalog, &new_catalog);
    if json {
        let text = serde_json::to_string_pretty(&changes).map_err(|e| e.to_string())?;
        outln!("{text}");
    } else {
        out!("{}", changes.to_text());
    }
    Ok(())
}
