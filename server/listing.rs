//! The `tools/list` result of a scope, two ways.
//!
//! - Typed, as rmcp serialises it ([`list_tools_result`], [`mcp_tool`]):
//!   rmcp's own path for unusual requests, and `audit`'s byte counts.
//! - As bytes written straight from the catalog's static text
//!   ([`result_json`]): every tool's input schema is already compact JSON in
//!   the binary, so the answer is concatenation: no schema is parsed and no
//!   `serde_json::Value` is built. That keeps the first `tools/list` of a
//!   cold start (stdio) and every HTTP `tools/list` cheap, whatever the
//!   selection, and the server's heap small. The bytes are exactly what
//!   rmcp writes for the same result (`tests/http_fast_path.rs` and
//!   `tests/stdio_fast_path.rs` compare them), so the transports' fast
//!   paths (`crate::transport::fast_path`) serve them in place of rmcp's
//!   answer.

use std::sync::LazyLock;

use bytes::Bytes;
use rmcp::model::{ListToolsResult, Tool as McpTool, ToolAnnotations};
use serde::Serialize;

use crate::call::{Mode, Scope};
use crate::catalog::{self, Tool, ToolId};
use crate::discover;

/// Protocol versions whose `tools/list` answer is the plain result (the
/// handshake era), so [`result_json`]'s bytes are the answer's result; a
/// newer version's answer comes from rmcp.
pub const PLAIN_RESULT_VERSIONS: &[&str] =
    &["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

/// The `tools/list` result for a scope, as rmcp types.
pub fn list_tools_result(scope: &Scope) -> ListToolsResult {
    let tools = match scope.mode {
        Mode::Tools => scope.tools.tools().map(|(id, t)| mcp_tool(id, t)).collect(),
        Mode::Discover => discover::tools(),
    };
    ListToolsResult::with_all_items(tools)
}

/// The MCP definition of a catalog tool.
pub fn mcp_tool(id: ToolId, tool: &'static Tool) -> McpTool {
    McpTool::new(tool.name, tool.description, catalog::input_schema(id))
        .with_title(tool.title)
        .with_annotations(annotations(tool.annotations))
}

/// MCP annotations, leaving out hints equal to the protocol's defaults
/// (readOnly false, destructive true, idempotent false, openWorld true):
/// a client reads the same meaning from fewer bytes on every tools/list.
/// Every tool still carries the object, empty when every hint is the default.
pub fn annotations(a: catalog::Annotations) -> ToolAnnotations {
    let mut out = ToolAnnotations::new();
    if a.read_only {
        out = out.read_only(true);
    } else if !a.destructive {
        // destructiveHint only means something when readOnlyHint is false.
        out = out.destructive(false);
    }
    if a.idempotent && !a.read_only {
        // A read-only tool is idempotent by definition; say it for writes only.
        out = out.idempotent(true);
    }
    if !a.open_world {
        out = out.open_world(false);
    }
    out
}

/// The serialised `tools/list` result (`{"tools":[…]}`) of a scope, built
/// once per tool set and shared.
pub fn result_json(scope: &Scope) -> Bytes {
    static DISCOVER: LazyLock<Bytes> = LazyLock::new(|| {
        // Three hand-written tools: rmcp's own serialisation is cheap here.
        let mut result = ListToolsResult::with_all_items(discover::tools());
        result.result_type = None;
        Bytes::from(to_vec(&result))
    });
    match scope.mode {
        Mode::Discover => DISCOVER.clone(),
        Mode::Tools => scope
            .tools
            .list_json
            .get_or_init(|| {
                let tools: Vec<&Tool> = scope.tools.tools().map(|(_, t)| t).collect();
                Bytes::from(write_result(&tools))
            })
            .clone(),
    }
}

/// `{"tools":[…]}` for these tools, field for field as rmcp serialises
/// [`mcp_tool`]: name, title, description, inputSchema, annotations.
fn write_result(tools: &[&Tool]) -> Vec<u8> {
    let size: usize = tools
        .iter()
        .map(|t| t.input_schema.len() + t.description.len() + 160)
        .sum();
    let mut out = Vec::with_capacity(size + 16);
    out.extend_from_slice(br#"{"tools":["#);
    for (i, tool) in tools.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(br#"{"name":"#);
        write_json(&mut out, tool.name);
        out.extend_from_slice(br#","title":"#);
        write_json(&mut out, tool.title);
        out.extend_from_slice(br#","description":"#);
        write_json(&mut out, tool.description);
        out.extend_from_slice(br#","inputSchema":"#);
        out.extend_from_slice(tool.input_schema.as_bytes());
        out.extend_from_slice(br#","annotations":"#);
        write_json(&mut out, &annotations(tool.annotations));
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    out
}

fn write_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Serialising strings and plain structs into a Vec cannot fail.
    if let Err(e) = serde_json::to_writer(&mut *out, value) {
        tracing::error!("serialising a tool definition failed: {e}");
    }
}

fn to_vec<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    write_json(&mut out, value);
    out
}
