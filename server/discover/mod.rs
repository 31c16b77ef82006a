//! Discovery mode: three stable tools instead of one per operation.
//!
//! `search_twilio_tools` finds operations by keywords within the selected
//! services ([`search`]), `describe_twilio_tool` returns one tool's full
//! definition and `call_twilio_tool` calls it through the same pipeline as a
//! direct call ([`crate::call`]: the same checks, filters, read-only mode and
//! allow/deny lists). The tool list never changes, so clients' prompt caches
//! keep working and the whole catalog costs a few hundred tokens of
//! definitions.
//!
//! A call is parsed, then applied: [`Request::parse`] turns a tool name and
//! its arguments into one typed request ([`Search`], [`Describe`],
//! [`CallTool`]), refusing unknown or ill-typed arguments, and
//! [`Request::apply`] runs it. Nothing is looked up before the arguments are
//! known to be right.

pub mod search;

use std::fmt;
use std::sync::{Arc, LazyLock};

use rmcp::model::{Tool as McpTool, ToolAnnotations};
use serde_json::{Map, Value, json};

use crate::call::{self, AppState, CallError, CallOutput, Scope};
use crate::catalog;

/// Name of the search tool.
pub const SEARCH: &str = "search_twilio_tools";
/// Name of the describe tool.
pub const DESCRIBE: &str = "describe_twilio_tool";
/// Name of the call tool.
pub const CALL: &str = "call_twilio_tool";

/// Results returned by a search unless `limit` says otherwise.
const DEFAULT_LIMIT: usize = 8;
/// Most results a search returns.
const MAX_LIMIT: usize = 25;

/// The three discovery tools.
pub fn tools() -> Vec<McpTool> {
    DEFINITIONS.clone()
}

static DEFINITIONS: LazyLock<Vec<McpTool>> = LazyLock::new(|| {
    let schema = |v: Value| Arc::new(v.as_object().cloned().unwrap_or_default());
    vec![
        McpTool::new(
            SEARCH,
            "Search Twilio's API operations by what you want to do (e.g. \"send an SMS\", \
             \"list calls\"). Returns tool names to describe or call.",
            schema(json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "What you want to do, in words."},
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "description": "Results to return (default 8)."}
                },
                "required": ["query"]
            })),
        )
        .with_title("Search Twilio tools")
        .with_annotations(hint(true)),
        McpTool::new(
            DESCRIBE,
            "Describe one Twilio tool: its input schema, rules and annotations.",
            schema(json!({
                "type": "object",
                "properties": {"name": {"type": "string", "description": "Tool name from search."}},
                "required": ["name"]
            })),
        )
        .with_title("Describe a Twilio tool")
        .with_annotations(hint(true)),
        McpTool::new(
            CALL,
            "Call a Twilio tool by name with its arguments (see describe_twilio_tool).",
            schema(json!({
                "type": "object",
                "properties": {
                    "name": {"type": "string", "description": "Tool name."},
                    "arguments": {"type": "object", "description": "The tool's arguments."}
                },
                "required": ["name"]
            })),
        )
        .with_title("Call a Twilio tool")
        .with_annotations(
            ToolAnnotations::new()
                .read_only(false)
                .destructive(true)
                .idempotent(false)
                .open_world(true),
        ),
    ]
});

fn hint(read_only: bool) -> ToolAnnotations {
    ToolAnnotations::new()
        .read_only(read_only)
        .destructive(false)
        .idempotent(true)
        .open_world(false)
}

/// Why a discovery tool call has no result.
#[derive(Debug, Clone, PartialEq)]
pub enum DiscoverError {
    /// Not one of the three discovery tools.
    UnknownTool(String),
    /// The discovery tool's own arguments are wrong.
    BadArguments(String),
    /// The operation named in the arguments cannot be described or called.
    Call(CallError),
}

impl fmt::Display for DiscoverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiscoverError::UnknownTool(name) => write!(
                f,
                "unknown tool `{name}`: discovery mode offers {SEARCH}, {DESCRIBE} and {CALL}"
            ),
            DiscoverError::BadArguments(message) => f.write_str(message),
            DiscoverError::Call(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for DiscoverError {}

impl From<CallError> for DiscoverError {
    fn from(e: CallError) -> Self {
        DiscoverError::Call(e)
    }
}

/// One discovery tool call, its arguments checked.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// `search_twilio_tools`.
    Search(Search),
    /// `describe_twilio_tool`.
    Describe(Describe),
    /// `call_twilio_tool`.
    Call(CallTool),
}

/// `search_twilio_tools {query, limit?}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// What the caller wants to do, in words.
    pub query: String,
    /// Results to return, 1 to 25.
    pub limit: usize,
}

/// `describe_twilio_tool {name}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Describe {
    /// The tool to describe.
    pub name: String,
}

/// `call_twilio_tool {name, arguments?}`.
#[derive(Debug, Clone, PartialEq)]
pub struct CallTool {
    /// The tool to call.
    pub name: String,
    /// Its arguments (none given: empty).
    pub arguments: Map<String, Value>,
}

/// Runs one of the discovery tools: parse, then apply.
pub async fn call(
    state: &AppState,
    scope: &Scope,
    name: &str,
    arguments: Map<String, Value>,
) -> Result<CallOutput, DiscoverError> {
    Request::parse(name, arguments)?.apply(state, scope).await
}

impl Request {
    /// The request a discovery tool call makes, or why it makes none.
    pub fn parse(name: &str, arguments: Map<String, Value>) -> Result<Self, DiscoverError> {
        match name {
            SEARCH => Search::parse(&arguments).map(Request::Search),
            DESCRIBE => Describe::parse(&arguments).map(Request::Describe),
            CALL => CallTool::parse(arguments).map(Request::Call),
            other => Err(DiscoverError::UnknownTool(other.to_string())),
        }
    }

    /// Runs the request within `scope`.
    pub async fn apply(self, state: &AppState, scope: &Scope) -> Result<CallOutput, DiscoverError> {
        match self {
            Request::Search(search) => Ok(search.apply(scope)),
            Request::Describe(describe) => Ok(describe.apply(state, scope)?),
            Request::Call(call) => Ok(call.apply(state, scope).await?),
        }
    }
}

impl Search {
    fn parse(arguments: &Map<String, Value>) -> Result<Self, DiscoverError> {
        refuse_unknown(arguments, &["query", "limit"], None)?;
        let query = required_string(arguments, "query")?;
        let limit = match arguments.get("limit") {
            None | Some(Value::Null) => DEFAULT_LIMIT,
            Some(v) => match v.as_u64() {
                Some(n) if (1..=MAX_LIMIT as u64).contains(&n) => n as usize,
                _ => {
                    return Err(DiscoverError::BadArguments(format!(
                        "argument `limit` must be an integer from 1 to {MAX_LIMIT}"
                    )));
                }
            },
        };
        Ok(Self { query, limit })
    }

    /// The best matches among the scope's tools.
    pub fn apply(self, scope: &Scope) -> CallOutput {
        let hits: Vec<Value> =
            search::search(&self.query, |id| scope.tools.contains(id), self.limit)
                .into_iter()
                .filter_map(catalog::get)
                .map(|t| {
                    json!({"name": t.name, "title": t.title, "method": t.method.as_str(),
                       "read_only": t.annotations.read_only})
                })
                .collect();
        CallOutput::json(json!({"results": hits, "services": scope.tools.selection.names}))
    }
}

impl Describe {
    fn parse(arguments: &Map<String, Value>) -> Result<Self, DiscoverError> {
        refuse_unknown(arguments, &["name"], None)?;
        Ok(Self {
            name: required_string(arguments, "name")?,
        })
    }

    /// The tool's whole definition, if this scope may call it.
    pub fn apply(self, state: &AppState, scope: &Scope) -> Result<CallOutput, CallError> {
        let (id, tool) = call::resolve(state, scope, &self.name)?;
        let a = tool.annotations;
        let schema = catalog::input_schema(id);
        // Full descriptions where the tool definition carries a condensed one.
        let notes: Map<String, Value> = tool
            .params
            .iter()
            .filter(|p| {
                !p.description.is_empty()
                    && schema
                        .get("properties")
                        .and_then(|props| props.get(p.name))
                        .and_then(|prop| prop.get("description"))
                        .and_then(Value::as_str)
                        != Some(p.description)
            })
            .map(|p| (p.name.to_string(), Value::String(p.description.to_string())))
            .collect();
        Ok(CallOutput::json(json!({
            "name": tool.name,
            "title": tool.title,
            "description": tool.description,
            "inputSchema": Value::Object((*schema).clone()),
            "notes": notes,
            "annotations": {"readOnlyHint": a.read_only, "destructiveHint": a.destructive,
                            "idempotentHint": a.idempotent, "openWorldHint": a.open_world},
            "http": format!("{} {}{}", tool.method.as_str(), tool.server, tool.path),
        })))
    }
}

impl CallTool {
    fn parse(mut arguments: Map<String, Value>) -> Result<Self, DiscoverError> {
        let name = required_string(&arguments, "name")?;
        if !matches!(
            arguments.get("arguments"),
            None | Some(Value::Null) | Some(Value::Object(_))
        ) {
            return Err(DiscoverError::BadArguments(
                "argument `arguments` must be an object".into(),
            ));
        }
        let hint = "pass the tool's arguments inside `arguments`";
        refuse_unknown(&arguments, &["name", "arguments"], Some(hint))?;
        let arguments = match arguments.remove("arguments") {
            Some(Value::Object(inner)) => inner,
            _ => Map::new(),
        };
        Ok(Self { name, arguments })
    }

    /// The call, through the same pipeline as a direct call.
    pub async fn apply(self, state: &AppState, scope: &Scope) -> Result<CallOutput, CallError> {
        call::call(state, scope, &self.name, &self.arguments).await
    }
}

/// The string argument `name`, which must be given.
fn required_string(arguments: &Map<String, Value>, name: &str) -> Result<String, DiscoverError> {
    arguments
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            DiscoverError::BadArguments(format!("missing required argument `{name}` (a string)"))
        })
}

/// Refuses the first argument not in `valid`, ending with `hint` or the
/// valid names. The schemas carry no `additionalProperties: false` (some
/// clients reject it), so this is where unknown arguments stop.
fn refuse_unknown(
    arguments: &Map<String, Value>,
    valid: &[&str],
    hint: Option<&str>,
) -> Result<(), DiscoverError> {
    let Some(extra) = arguments.keys().find(|k| !valid.contains(&k.as_str())) else {
        return Ok(());
    };
    let hint = hint.map_or_else(
        || format!("valid arguments: {}", valid.join(", ")),
        str::to_string,
    );
    Err(DiscoverError::BadArguments(format!(
        "unknown argument `{extra}`; {hint}"
    )))
}
