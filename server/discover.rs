//! Discovery mode: three stable tools instead of one per operation.
//!
//! `search_twilio_tools` finds operations by keywords within the selected
//! services, `describe_twilio_tool` returns one tool's full definition and
//! `call_twilio_tool` calls it with the same checks, filters, read-only mode
//! and allow/deny lists as a direct call. The tool list never changes, so
//! clients' prompt caches keep working and the whole catalog costs a few
//! hundred tokens of definitions.
//!
//! Search is a small ranked keyword index: query words are lower-cased,
//! singularised and mapped through a few synonyms ("sms" → message,
//! "buy" → create), then scored by inverse document frequency against each
//! tool's name (strongest), title, tag and description, with a bonus when
//! the query's verb matches the operation's (`send` → `Create…`) and a mild
//! preference for current APIs over deprecated ones.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock};

use rmcp::ErrorData as McpError;
use rmcp::model::{CallToolResult, ContentBlock, Tool as McpTool, ToolAnnotations};
use serde_json::{Map, Value, json};

use twilio_mcp_codegen::text::split_camel;

use crate::catalog::{self, ToolId};
use crate::mcp::{Scope, TwilioMcp, tool_error};

pub const SEARCH: &str = "search_twilio_tools";
pub const DESCRIBE: &str = "describe_twilio_tool";
pub const CALL: &str = "call_twilio_tool";

/// Results returned by a search unless `limit` says otherwise.
const DEFAULT_LIMIT: usize = 8;
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

/// Runs one of the discovery tools.
pub async fn call(
    server: &TwilioMcp,
    scope: &Scope,
    name: &str,
    arguments: Map<String, Value>,
) -> Result<CallToolResult, McpError> {
    match name {
        SEARCH => {
            if let Some(refused) = refuse_unknown(&arguments, &["query", "limit"], None) {
                return Ok(refused);
            }
            let Some(query) = arguments.get("query").and_then(Value::as_str) else {
                return Ok(tool_error(
                    "missing required argument `query` (a string)".into(),
                ));
            };
            let limit = match arguments.get("limit") {
                None | Some(Value::Null) => DEFAULT_LIMIT,
                Some(v) => match v.as_u64() {
                    Some(n) if (1..=MAX_LIMIT as u64).contains(&n) => n as usize,
                    _ => {
                        return Ok(tool_error(format!(
                            "argument `limit` must be an integer from 1 to {MAX_LIMIT}"
                        )));
                    }
                },
            };
            let hits: Vec<Value> = search(query, |id| scope.tools.contains(id), limit)
                .into_iter()
                .filter_map(|id| catalog::get(id))
                .map(|t| {
                    json!({"name": t.name, "title": t.title, "method": t.method.as_str(),
                           "read_only": t.annotations.read_only})
                })
                .collect();
            let value = json!({"results": hits, "services": scope.tools.selection.names});
            Ok(success(value))
        }
        DESCRIBE => {
            if let Some(refused) = refuse_unknown(&arguments, &["name"], None) {
                return Ok(refused);
            }
            let Some(tool_name) = arguments.get("name").and_then(Value::as_str) else {
                return Ok(tool_error(
                    "missing required argument `name` (a string)".into(),
                ));
            };
            let (id, tool) = match server.available(scope, tool_name) {
                Ok(found) => found,
                Err(e) => return Ok(tool_error(e.message.to_string())),
            };
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
            let value = json!({
                "name": tool.name,
                "title": tool.title,
                "description": tool.description,
                "inputSchema": Value::Object((*schema).clone()),
                "notes": notes,
                "annotations": {"readOnlyHint": a.read_only, "destructiveHint": a.destructive,
                                "idempotentHint": a.idempotent, "openWorldHint": a.open_world},
                "http": format!("{} {}{}", tool.method.as_str(), tool.server, tool.path),
            });
            Ok(success(value))
        }
        CALL => {
            let Some(tool_name) = arguments.get("name").and_then(Value::as_str) else {
                return Ok(tool_error(
                    "missing required argument `name` (a string)".into(),
                ));
            };
            let inner = match arguments.get("arguments") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(m)) => m.clone(),
                Some(_) => return Ok(tool_error("argument `arguments` must be an object".into())),
            };
            let hint = "pass the tool's arguments inside `arguments`";
            if let Some(refused) = refuse_unknown(&arguments, &["name", "arguments"], Some(hint)) {
                return Ok(refused);
            }
            match server.call_catalog_tool(scope, tool_name, inner).await {
                Ok(result) => Ok(result),
                // Inside discovery, an unknown tool is the caller's mistake to fix.
                Err(e) => Ok(tool_error(e.message.to_string())),
            }
        }
        other => Err(McpError::invalid_params(
            format!(
                "unknown tool `{other}`: discovery mode offers {SEARCH}, {DESCRIBE} and {CALL}"
            ),
            None,
        )),
    }
}

/// A tool error for the first argument not in `valid`, ending with `hint`
/// or the valid names. The schemas carry no `additionalProperties: false`
/// (some clients reject it), so this is where unknown arguments stop.
fn refuse_unknown(
    arguments: &Map<String, Value>,
    valid: &[&str],
    hint: Option<&str>,
) -> Option<CallToolResult> {
    let extra = arguments.keys().find(|k| !valid.contains(&k.as_str()))?;
    let hint = hint.map_or_else(
        || format!("valid arguments: {}", valid.join(", ")),
        str::to_string,
    );
    Some(tool_error(format!("unknown argument `{extra}`; {hint}")))
}

fn success(value: Value) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(value.to_string())]);
    result.structured_content = Some(value);
    result
}

/// A tool's terms with their weights.
struct Doc {
    id: ToolId,
    terms: HashMap<String, f32>,
    verb: String,
    /// Words of the operation's resource (`ListCallRecording` → call, recording).
    resource: Vec<String>,
    prior: f32,
}

struct Index {
    docs: Vec<Doc>,
    idf: HashMap<String, f32>,
}

static INDEX: LazyLock<Index> = LazyLock::new(build_index);

fn build_index() -> Index {
    let mut docs = Vec::with_capacity(catalog::TOOL_COUNT);
    for (id, tool) in catalog::all() {
        let mut terms: HashMap<String, f32> = HashMap::new();
        let mut add = |text: &str, weight: f32| {
            for word in words(text) {
                let w = terms.entry(word).or_insert(0.0);
                *w = w.max(weight);
            }
        };
        add(&split_camel(tool.operation_id), 3.0);
        add(tool.title, 2.0);
        add(&split_camel(tool.tag), 3.0);
        add(tool.description, 1.0);
        for p in tool.params {
            add(&split_camel(p.name), 0.3);
        }
        let op_words = split_camel(tool.operation_id);
        let mut op_words = op_words.split(' ');
        let verb = op_words.next().unwrap_or_default().to_lowercase();
        let resource = words(&op_words.collect::<Vec<_>>().join(" "));
        docs.push(Doc {
            id,
            terms,
            verb,
            resource,
            prior: prior(tool.spec),
        });
    }
    let n = docs.len() as f32;
    let mut df: HashMap<String, f32> = HashMap::new();
    for doc in &docs {
        for term in doc.terms.keys() {
            *df.entry(term.clone()).or_insert(0.0) += 1.0;
        }
    }
    let idf = df
        .into_iter()
        .map(|(t, d)| (t, ((n - d + 0.5) / (d + 0.5) + 1.0).ln()))
        .collect();
    Index { docs, idf }
}

/// Current, general-purpose APIs first; superseded ones last.
fn prior(spec: &str) -> f32 {
    match spec {
        "twilio_api_v2010" => 1.0,
        "twilio_ip_messaging_v1"
        | "twilio_ip_messaging_v2"
        | "twilio_chat_v1"
        | "twilio_preview"
        | "twilio_studio_v1" => -1.5,
        _ => 0.0,
    }
}

/// The ids of the best matches among the tools `allowed` accepts.
pub fn search(query: &str, allowed: impl Fn(ToolId) -> bool, limit: usize) -> Vec<ToolId> {
    let index = &*INDEX;
    let mut query_terms: Vec<String> = Vec::new();
    let mut verb: Option<&'static str> = None;
    for word in words(query) {
        if verb.is_none() {
            verb = verb_of(&word);
        }
        for term in expand(&word) {
            if !query_terms.contains(&term) {
                query_terms.push(term);
            }
        }
    }
    let mut scored: Vec<(f32, ToolId)> = index
        .docs
        .iter()
        .filter(|d| allowed(d.id))
        .filter_map(|d| {
            let mut score = 0.0;
            let mut matched = 0;
            for term in &query_terms {
                if let Some(w) = d.terms.get(term) {
                    score += w * index.idf.get(term).copied().unwrap_or(0.0);
                    matched += 1;
                }
            }
            if matched == 0 {
                return None;
            }
            // How much of the operation's resource the query names: "calls"
            // is ListCall's whole resource, one word of ListUsageRecordYesterday's.
            if !d.resource.is_empty() {
                let covered = d
                    .resource
                    .iter()
                    .filter(|w| query_terms.contains(w))
                    .count();
                score += 5.0 * covered as f32 / d.resource.len() as f32;
            }
            if let Some(v) = verb {
                if d.verb == v {
                    score += 4.0;
                } else if v == "list" && d.verb == "fetch" {
                    score += 1.0;
                }
            }
            Some((score + d.prior, d.id))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(limit).map(|(_, id)| id).collect()
}

/// The operation verb a query word asks for.
fn verb_of(word: &str) -> Option<&'static str> {
    Some(match word {
        "send" | "create" | "buy" | "purchase" | "provision" | "make" | "add" | "start" | "new"
        | "place" | "register" | "open" | "schedule" | "execute" | "run" | "trigger" => "create",
        "list" | "show" | "find" | "search" | "all" | "which" | "history" => "list",
        "get" | "fetch" | "read" | "lookup" | "look" | "detail" | "status" | "check" => "fetch",
        "update" | "change" | "modify" | "edit" | "set" | "rename" | "redirect" | "end"
        | "hang" | "mute" | "configure" => "update",
        "delete" | "remove" | "release" | "cancel" | "drop" | "destroy" | "erase" => "delete",
        _ => return None,
    })
}

/// A query word and the catalog words it stands for.
fn expand(word: &str) -> Vec<String> {
    let mut out = vec![word.to_string()];
    let extra: &[&str] = match word {
        "sms" | "mms" | "text" | "texts" | "whatsapp" => &["message"],
        "number" => &["incoming", "phone"],
        "buy" | "purchase" | "provision" => &["incoming"],
        "dial" | "phonecall" | "ring" => &["call"],
        "bill" | "billing" | "spend" | "cost" => &["usage", "record"],
        "otp" | "verification" | "2fa" | "verify" => &["verification", "verify"],
        "canada" | "uk" | "us" | "country" => &["country", "available"],
        "chat" => &["conversation"],
        "look" | "lookup" => &["lookup"],
        "execute" | "run" | "trigger" => &["execution"],
        "agent" => &["worker"],
        "queue" => &["task", "queue"],
        "function" | "serverless" => &["function", "serverless"],
        "subaccount" => &["account"],
        _ => &[],
    };
    for e in extra {
        if !out.iter().any(|w| w == e) {
            out.push((*e).to_string());
        }
    }
    out
}

/// Lower-cased, singular words of a text, without stop words.
fn words(text: &str) -> Vec<String> {
    const STOP: &[&str] = &[
        "a",
        "an",
        "the",
        "to",
        "of",
        "in",
        "on",
        "for",
        "from",
        "and",
        "or",
        "my",
        "me",
        "i",
        "with",
        "by",
        "this",
        "that",
        "is",
        "are",
        "be",
        "it",
        "as",
        "at",
        "can",
        "you",
        "your",
        "resource",
        "resources",
        "twilio",
        "api",
        "sid",
        "v1",
        "v2",
        "v2010",
    ];
    let mut seen = HashSet::new();
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| singular(&w.to_ascii_lowercase()))
        .filter(|w| !STOP.contains(&w.as_str()) && seen.insert(w.clone()))
        .collect()
}

fn singular(word: &str) -> String {
    if word.len() > 4 && word.ends_with("ies") {
        format!("{}y", &word[..word.len() - 3])
    } else if word.len() > 3
        && word.ends_with('s')
        && !word.ends_with("ss")
        && !word.ends_with("us")
    {
        word[..word.len() - 1].to_string()
    } else {
        word.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Natural-language tasks and the operation a model should find.
    const TASKS: &[(&str, &[&str])] = &[
        ("send an SMS", &["ApiV2010_CreateMessage"]),
        ("send a WhatsApp message", &["ApiV2010_CreateMessage"]),
        (
            "buy a phone number in Canada",
            &[
                "ApiV2010_CreateIncomingPhoneNumber",
                "ApiV2010_ListAvailablePhoneNumberLocal",
                "ApiV2010_ListAvailablePhoneNumberCountry",
            ],
        ),
        ("list failed calls from yesterday", &["ApiV2010_ListCall"]),
        (
            "create a TaskRouter activity",
            &["TaskrouterV1_CreateActivity"],
        ),
        ("make a phone call", &["ApiV2010_CreateCall"]),
        ("hang up a call", &["ApiV2010_UpdateCall"]),
        (
            "list my phone numbers",
            &["ApiV2010_ListIncomingPhoneNumber"],
        ),
        (
            "release a phone number",
            &["ApiV2010_DeleteIncomingPhoneNumber"],
        ),
        ("delete a recording", &["ApiV2010_DeleteRecording"]),
        (
            "list recordings of a call",
            &["ApiV2010_ListCallRecording", "ApiV2010_ListRecording"],
        ),
        ("send a verification code", &["VerifyV2_CreateVerification"]),
        (
            "check a verification code",
            &["VerifyV2_CreateVerificationCheck"],
        ),
        (
            "look up a phone number",
            &["LookupsV2_FetchPhoneNumber", "LookupsV1_FetchPhoneNumber"],
        ),
        (
            "create a conversation",
            &["ConversationsV1_CreateConversation"],
        ),
        (
            "add a participant to a conversation",
            &["ConversationsV1_CreateConversationParticipant"],
        ),
        ("create a studio flow", &["StudioV2_CreateFlow"]),
        ("execute a studio flow", &["StudioV2_CreateExecution"]),
        (
            "show this month's usage",
            &[
                "ApiV2010_ListUsageRecordThisMonth",
                "ApiV2010_ListUsageRecord",
            ],
        ),
        ("create a messaging service", &["MessagingV1_CreateService"]),
        ("create a subaccount", &["ApiV2010_CreateAccount"]),
        ("list conferences", &["ApiV2010_ListConference"]),
        ("create a TaskRouter worker", &["TaskrouterV1_CreateWorker"]),
        ("create a sync document", &["SyncV1_CreateDocument"]),
        ("cancel a scheduled message", &["ApiV2010_UpdateMessage"]),
    ];

    #[test]
    fn tasks_find_their_operation_in_the_top_three() {
        let mut failures = Vec::new();
        for (task, expected) in TASKS {
            for e in *expected {
                assert!(catalog::find(e).is_some(), "{e} is not a tool");
            }
            let hits: Vec<&str> = search(task, |_| true, 3)
                .into_iter()
                .filter_map(catalog::get)
                .map(|t| t.name)
                .collect();
            if !hits.iter().any(|h| expected.contains(h)) {
                failures.push(format!("{task:?} → {hits:?}"));
            }
        }
        assert!(
            failures.is_empty(),
            "not in the top 3:\n{}",
            failures.join("\n")
        );
    }

    #[test]
    fn search_respects_the_selection() {
        let messaging = crate::filter::Selection::parse(&["Messaging"]).expect("messaging");
        let hits = search("create a conversation", |id| messaging.contains(id), 5);
        assert!(hits.iter().all(|&id| messaging.contains(id)));
    }
}
