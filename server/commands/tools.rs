//! `twilio-mcp tools`: the tools a selection yields, for humans and scripts.

use serde_json::json;

use crate::catalog::{self, Tool};
use crate::cli::ToolsArgs;
use crate::filter::Selection;

pub fn run(args: &ToolsArgs) -> Result<(), String> {
    if args.tags {
        return list_tags(args.json);
    }
    let selection = Selection::parse(&args.selection.services).map_err(|e| e.to_string())?;
    let tools: Vec<&Tool> = selection
        .ids
        .iter()
        .filter_map(|&id| catalog::get(id))
        .collect();
    if args.json {
        let rows: Vec<_> = tools
            .iter()
            .map(|t| {
                json!({
                    "name": t.name, "title": t.title, "method": t.method.as_str(),
                    "url": format!("{}{}", t.server, t.path), "tag": t.tag, "spec": t.spec,
                    "readOnly": t.annotations.read_only, "destructive": t.annotations.destructive,
                    "idempotent": t.annotations.idempotent,
                })
            })
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    for t in &tools {
        outln!(
            "{:<64} {:<6} {:<3} {}{}",
            t.name,
            t.method.as_str(),
            flags(t),
            t.server,
            t.path
        );
    }
    eprintln!(
        "{} tools (services: {}); flags: R read-only, D destructive, I idempotent",
        tools.len(),
        selection.names.join(", ")
    );
    Ok(())
}

/// `R`, `D`, `I` for read-only, destructive, idempotent.
fn flags(t: &Tool) -> String {
    let a = t.annotations;
    [
        (a.read_only, 'R'),
        (a.destructive, 'D'),
        (a.idempotent, 'I'),
    ]
    .iter()
    .map(|&(on, c)| if on { c } else { '-' })
    .collect()
}

fn list_tags(json_out: bool) -> Result<(), String> {
    if json_out {
        let rows: Vec<_> = catalog::TAGS
            .iter()
            .map(|t| {
                json!({"tag": t.name, "tools": t.tools.len(),
                            "spec": t.tools.first().map(|x| x.spec)})
            })
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?
        );
    } else {
        for t in catalog::TAGS {
            outln!(
                "{:<48} {:>3}  {}",
                t.name,
                t.tools.len(),
                t.tools.first().map_or("", |x| x.spec)
            );
        }
    }
    Ok(())
}
