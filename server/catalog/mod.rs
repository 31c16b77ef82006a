//! The generated tool catalog and its typed API.
//!
//! `build.rs` generates `generated` from Twilio's OpenAPI specs (see the
//! `codegen` crate): plain `static` data, one slice of [`Tool`]s per OpenAPI
//! tag. Nothing here parses a spec. Input schemas are compact JSON text:
//! `tools/list` concatenates them (`crate::listing`), and one is parsed
//! (once, cached) only when its tool is called, described, or listed
//! through rmcp's own path.

use std::sync::{Arc, LazyLock, OnceLock};

use serde_json::{Map, Value};

#[allow(clippy::all, missing_docs)]
mod generated {
    use super::*;
    include!(concat!(env!("OUT_DIR"), "/catalog.rs"));
}

pub use generated::{FINDINGS, SERVICES, SPECS, TAGS, TOOL_COUNT};
/// The enums and annotations codegen and the server share, defined once in
/// codegen's model: the generated module spells them as codegen writes them.
pub use twilio_mcp_codegen::model::{
    Annotations, AuthScheme, BodyEncoding, FIELDS_ARG, FileEncoding, FindingLevel, HttpMethod,
    ParamLocation, ToolId, ValueKind,
};

/// One Twilio operation as an MCP tool.
#[derive(Debug)]
pub struct Tool {
    /// Tool name: `<SpecPrefix>_<operationId>`, e.g. `ApiV2010_CreateMessage`.
    pub name: &'static str,
    /// Human-readable title, e.g. `Create Message (ApiV2010)`.
    pub title: &'static str,
    /// Cleaned description, with "at least one of" rules and the product.
    pub description: &'static str,
    /// Spec file stem, e.g. `twilio_api_v2010`.
    pub spec: &'static str,
    /// OpenAPI tag (or the spec prefix for untagged operations).
    pub tag: &'static str,
    /// The OpenAPI operationId, e.g. `CreateMessage`.
    pub operation_id: &'static str,
    /// HTTP method.
    pub method: HttpMethod,
    /// Base URL of the product, e.g. `https://api.twilio.com`.
    pub server: &'static str,
    /// Path template with `{Param}` placeholders.
    pub path: &'static str,
    /// Arguments, in the order requests list them.
    pub params: &'static [Param],
    /// How the request body is encoded.
    pub body: BodyEncoding,
    /// Credentials the operation needs.
    pub auth: AuthScheme,
    /// MCP hints: read-only, destructive, idempotent, open world.
    pub annotations: Annotations,
    /// Groups of argument names of which at least one must be given
    /// (from `x-twilio.conditional`).
    pub at_least_one_of: &'static [&'static [&'static str]],
    /// Response fields returned by default (`x-twilio.defaultOutputProperties`).
    pub default_output: &'static [&'static str],
    /// Input JSON Schema, compact JSON text.
    pub input_schema: &'static str,
}

/// One argument of a tool.
#[derive(Debug)]
pub struct Param {
    /// Argument name (safe for every client).
    pub name: &'static str,
    /// Name sent to Twilio (`DateSent<` for `DateSentBefore`).
    pub wire_name: &'static str,
    /// Where it goes in the request.
    pub location: ParamLocation,
    /// The JSON type it takes.
    pub kind: ValueKind,
    /// Twilio requires it (path parameters always).
    pub required: bool,
    /// Filled from the configured account SID when omitted.
    pub from_config: bool,
    /// OpenAPI `format` (`phone-number`, `uri`, `prefixed-collapsible-map-…`).
    pub format: Option<&'static str>,
    /// Every allowed value, when it is an enum (the served schema may list
    /// only examples).
    pub enum_values: &'static [&'static str],
    /// Default value as JSON text.
    pub default: Option<&'static str>,
    /// SID shape the server checks (not in the served schema, to save tokens).
    pub pattern: Option<&'static str>,
    /// Full cleaned description (the served schema carries a condensed one).
    pub description: &'static str,
    /// How a [`ParamLocation::File`] argument becomes a file part.
    pub file: Option<File>,
}

/// A file part of a `multipart/form-data` body, as one argument gives it
/// (`Content` as text, `ContentBase64` as base64; a call gives one).
#[derive(Debug, Clone, Copy)]
pub struct File {
    /// How the argument carries the bytes.
    pub encoding: FileEncoding,
    /// The argument whose value's last `/`-separated segment names the file.
    pub name_from: Option<&'static str>,
    /// The part's content type; `None`: from the file name's extension.
    pub content_type: Option<&'static str>,
    /// The largest file in bytes, checked before anything is sent.
    pub max_bytes: Option<u64>,
}

/// The tools of one OpenAPI tag.
#[derive(Debug)]
pub struct Tag {
    /// Tag name, e.g. `AccountsV1AuthTokenPromotion`.
    pub name: &'static str,
    /// Its tools, in spec path order.
    pub tools: &'static [Tool],
}

/// A named service: a group of tags.
#[derive(Debug)]
pub struct Service {
    /// Service name, e.g. `Messaging`.
    pub name: &'static str,
    /// The tags it selects.
    pub tags: &'static [&'static str],
}

/// A spec file the catalog was built from.
#[derive(Debug)]
pub struct Spec {
    /// File stem, e.g. `twilio_api_v2010`.
    pub name: &'static str,
    /// Stem without `twilio_`, e.g. `api_v2010`.
    pub short: &'static str,
    /// Tool-name prefix, e.g. `ApiV2010`.
    pub prefix: &'static str,
    /// The spec's `info.title`, e.g. `Twilio - Api`.
    pub title: &'static str,
}

/// Something codegen noticed (see `twilio-mcp audit`).
#[derive(Debug)]
pub struct Finding {
    /// How serious.
    pub level: FindingLevel,
    /// The spec file stem it is about.
    pub spec: &'static str,
    /// The tool it is about, if one.
    pub operation: Option<&'static str>,
    /// What codegen did or left out, and why.
    pub message: &'static str,
}

/// First [`ToolId`] of each tag in [`TAGS`].
static TAG_OFFSETS: LazyLock<Vec<usize>> = LazyLock::new(|| {
    let mut offset = 0;
    TAGS.iter()
        .map(|tag| {
            let start = offset;
            offset += tag.tools.len();
            start
        })
        .collect()
});

/// A parsed input schema, shared by every `tools/list` that includes it.
type SchemaObject = Arc<Map<String, Value>>;

/// Input schemas, parsed on first use.
static PARSED_SCHEMAS: LazyLock<Vec<OnceLock<SchemaObject>>> =
    LazyLock::new(|| (0..TOOL_COUNT).map(|_| OnceLock::new()).collect());

/// Every tool with its id, in id order.
pub fn all() -> impl Iterator<Item = (ToolId, &'static Tool)> {
    TAGS.iter()
        .flat_map(|tag| tag.tools.iter())
        .enumerate()
        .map(|(id, tool)| (id as ToolId, tool))
}

/// The ids of a tag's tools.
pub fn tag_tool_ids(tag_index: usize) -> std::ops::Range<ToolId> {
    let start = TAG_OFFSETS.get(tag_index).copied().unwrap_or(0);
    let len = TAGS.get(tag_index).map_or(0, |t| t.tools.len());
    start as ToolId..(start + len) as ToolId
}

/// The tool with this id.
pub fn get(id: ToolId) -> Option<&'static Tool> {
    let id = usize::from(id);
    let tag = TAG_OFFSETS
        .partition_point(|&start| start <= id)
        .checked_sub(1)?;
    TAGS.get(tag)?.tools.get(id - TAG_OFFSETS[tag])
}

/// Looks a tool up by name.
pub fn find(name: &str) -> Option<(ToolId, &'static Tool)> {
    let pos = generated::TOOL_INDEX
        .binary_search_by(|(n, _, _)| (*n).cmp(name))
        .ok()?;
    let (_, tag, index) = generated::TOOL_INDEX[pos];
    let tag = usize::from(tag);
    let tool = TAGS.get(tag)?.tools.get(usize::from(index))?;
    Some(((TAG_OFFSETS[tag] + usize::from(index)) as ToolId, tool))
}

/// The input schema of a tool as a JSON object, parsed once.
pub fn input_schema(id: ToolId) -> Arc<Map<String, Value>> {
    let Some(slot) = PARSED_SCHEMAS.get(usize::from(id)) else {
        return Arc::new(Map::new());
    };
    slot.get_or_init(|| {
        let text = get(id).map_or("{}", |t| t.input_schema);
        // Generated from serde_json output at build time, so this parses;
        // an empty object is the safe fallback all the same.
        Arc::new(serde_json::from_str(text).unwrap_or_default())
    })
    .clone()
}

impl Tool {
    /// True when the tool takes the [`FIELDS_ARG`] argument (it returns a
    /// resource); the input schema codegen built lists it exactly then.
    pub fn takes_fields(&self) -> bool {
        self.method.returns_resource()
    }

    /// The argument with this name.
    pub fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }
}
