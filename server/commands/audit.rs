//! `twilio-mcp audit`: what each service costs a client, and what is wrong.
//!
//! For each of the 13 named services (or the given selection): tool count,
//! bytes of its `tools/list` result in both modes and an estimate of tokens,
//! then lint findings over the selected tools: input schemas that fail the
//! JSON Schema 2020-12 meta-schema or do not compile, names or property keys
//! clients reject, top-level combinators, empty or very long descriptions,
//! and what codegen reported (operations left out, parameters renamed or
//! hidden). Exits non-zero when any finding is an error.

use std::collections::BTreeSet;

use rmcp::model::ListToolsResult;
use serde::Serialize;
use serde_json::Value;

use twilio_mcp_codegen::naming::is_safe_key;

use crate::catalog::{self, FindingLevel, ToolId};
use crate::cli::AuditArgs;
use crate::discover;
use crate::filter::Selection;
use crate::listing::mcp_tool;

/// Descriptions longer than this are flagged (they cost tokens on every list).
const LONG_DESCRIPTION: usize = 1_500;

#[derive(Debug, Serialize)]
struct ServiceCost {
    service: String,
    tools: usize,
    tools_bytes: usize,
    tools_tokens_est: usize,
    discover_bytes: usize,
    discover_tokens_est: usize,
}

#[derive(Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
struct Lint {
    level: &'static str,
    tool: String,
    message: String,
}

/// tools/list bytes of a set of tools, as a client receives the result.
pub fn list_bytes(ids: &[ToolId]) -> usize {
    let tools = ids
        .iter()
        .filter_map(|&id| catalog::get(id).map(|t| mcp_tool(id, t)))
        .collect();
    serde_json::to_vec(&ListToolsResult::with_all_items(tools)).map_or(0, |v| v.len())
}

/// A rough token estimate for JSON tool definitions (≈ 4 bytes a token).
pub fn tokens_estimate(bytes: usize) -> usize {
    bytes.div_ceil(4)
}

/// The 13 named services, then the whole catalog.
fn named_selections() -> Vec<Selection> {
    let mut all: Vec<Selection> = catalog::SERVICES
        .iter()
        .filter_map(|s| Selection::parse(&[s.name]).ok())
        .collect();
    all.push(Selection::all());
    all
}

fn costs(selections: &[Selection]) -> Vec<ServiceCost> {
    let discover_bytes = serde_json::to_vec(&ListToolsResult::with_all_items(discover::tools()))
        .map_or(0, |v| v.len());
    selections
        .iter()
        .map(|s| {
            let bytes = list_bytes(&s.ids);
            ServiceCost {
                service: s.names.join(","),
                tools: s.ids.len(),
                tools_bytes: bytes,
                tools_tokens_est: tokens_estimate(bytes),
                discover_bytes,
                discover_tokens_est: tokens_estimate(discover_bytes),
            }
        })
        .collect()
}

/// The README's services table (`twilio-mcp audit --markdown`).
pub fn services_markdown() -> String {
    markdown_table(&costs(&named_selections()))
}

/// Prints the audit; `Ok(false)` when an error-level finding exists.
pub fn run(args: &AuditArgs) -> Result<bool, String> {
    let selections: Vec<Selection> = if args.selection.services.is_empty() {
        named_selections()
    } else {
        vec![Selection::parse(&args.selection.services).map_err(|e| e.to_string())?]
    };
    let costs = costs(&selections);
    let audited: BTreeSet<ToolId> = selections
        .iter()
        .flat_map(|s| s.ids.iter().copied())
        .collect();
    let mut lints = lint(&audited, args.verbose);
    lints.sort();
    let errors = lints.iter().filter(|l| l.level == "error").count();

    if args.markdown {
        out!("{}", markdown_table(&costs));
        return Ok(errors == 0);
    }
    if args.json {
        let report = serde_json::json!({"services": costs, "findings": lints, "errors": errors});
        outln!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        outln!(
            "{:<16} {:>6} {:>12} {:>12} {:>15} {:>15}",
            "service",
            "tools",
            "list bytes",
            "~tokens",
            "discover bytes",
            "~tokens"
        );
        for c in &costs {
            outln!(
                "{:<16} {:>6} {:>12} {:>12} {:>15} {:>15}",
                c.service,
                c.tools,
                c.tools_bytes,
                c.tools_tokens_est,
                c.discover_bytes,
                c.discover_tokens_est
            );
        }
        outln!("(tokens estimated as bytes/4; the benchmark counts real tokens)");
        for l in &lints {
            outln!("{:<7} {}: {}", l.level, l.tool, l.message);
        }
        outln!("{} findings, {errors} errors", lints.len());
    }
    Ok(errors == 0)
}

/// The services table of the README.
fn markdown_table(costs: &[ServiceCost]) -> String {
    let mut out = String::from(
        "| service | tools | OpenAPI tags | tools/list bytes | ≈ tokens |\n|---|---:|---|---:|---:|\n",
    );
    for c in costs {
        let tags = catalog::SERVICES
            .iter()
            .find(|s| s.name == c.service)
            .map_or_else(|| "every tag".to_string(), |s| s.tags.join(", "));
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            c.service, c.tools, tags, c.tools_bytes, c.tools_tokens_est
        ));
    }
    out.push_str(&format!(
        "\nDiscovery mode (`?mode=discover`): 3 tools, {} bytes (≈ {} tokens) whatever the selection.\n",
        costs.first().map_or(0, |c| c.discover_bytes),
        costs.first().map_or(0, |c| c.discover_tokens_est)
    ));
    out
}

fn lint(ids: &BTreeSet<ToolId>, verbose: bool) -> Vec<Lint> {
    let mut out = Vec::new();
    let mut push = |level: &'static str, tool: &str, message: String| {
        out.push(Lint {
            level,
            tool: tool.to_string(),
            message,
        })
    };
    let meta = jsonschema::draft202012::meta::validator();
    for &id in ids {
        let Some(tool) = catalog::get(id) else {
            continue;
        };
        let schema = Value::Object((*catalog::input_schema(id)).clone());
        if !meta.is_valid(&schema) {
            push(
                "error",
                tool.name,
                "input schema fails the JSON Schema 2020-12 meta-schema".into(),
            );
        } else if jsonschema::validator_for(&schema).is_err() {
            push("error", tool.name, "input schema does not compile".into());
        }
        if tool.name.len() > 64
            || !tool
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            push(
                "error",
                tool.name,
                "tool name is over 64 characters or has other characters than [A-Za-z0-9_-]".into(),
            );
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            if schema.get(key).is_some() {
                push(
                    "error",
                    tool.name,
                    format!("top-level `{key}` in the input schema"),
                );
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for key in props.keys() {
                if !is_safe_key(key) {
                    push(
                        "error",
                        tool.name,
                        format!("property key `{key}` is rejected by clients"),
                    );
                }
            }
        }
        if tool.description.trim().is_empty() {
            push("warning", tool.name, "empty description".into());
        } else if tool.description.len() > LONG_DESCRIPTION {
            push(
                "warning",
                tool.name,
                format!("description is {} characters long", tool.description.len()),
            );
        }
    }
    let names: BTreeSet<&str> = ids
        .iter()
        .filter_map(|&id| catalog::get(id))
        .map(|t| t.name)
        .collect();
    for f in catalog::FINDINGS {
        let about_selected = f.operation.is_none_or(|op| names.contains(op));
        let level = match f.level {
            FindingLevel::Error => "error",
            FindingLevel::Warning => "warning",
            FindingLevel::Info if verbose => "info",
            FindingLevel::Info => continue,
        };
        if about_selected || f.level == FindingLevel::Error {
            push(level, f.operation.unwrap_or(f.spec), f.message.to_string());
        }
    }
    out
}
