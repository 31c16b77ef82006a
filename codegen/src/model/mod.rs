//! The catalog codegen builds from the specs, before it becomes Rust tokens.
//!
//! [`Catalog`], [`ToolDef`], [`ParamDef`], … mirror the runtime types the
//! generated module uses (`twilio_mcp::catalog`), but own their data and
//! serialise with serde so that `specs diff` and the snapshot tests can
//! compare catalogs. The enums and small structs both sides use
//! ([`HttpMethod`], [`ParamLocation`], [`ValueKind`], …) are defined once,
//! here, and the server re-exports them.

use serde::{Deserialize, Serialize};

mod shared;

pub use shared::{
    Annotations, AuthScheme, BodyEncoding, FIELDS_ARG, FileEncoding, FindingLevel, HttpMethod,
    ParamLocation, ToolId, ValueKind,
};

/// Every tool built from one directory of specs, plus what could not be built.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Catalog {
    /// The spec files, in file-name order.
    pub specs: Vec<SpecDef>,
    /// All tools, ordered by spec file, then path, then method.
    pub tools: Vec<ToolDef>,
    /// What codegen noticed: parameters renamed or hidden, operations left out.
    pub findings: Vec<Finding>,
}

/// One spec file (one Twilio product and API version).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SpecDef {
    /// File stem, e.g. `twilio_api_v2010`.
    pub name: String,
    /// File stem without `twilio_`, e.g. `api_v2010`.
    pub short: String,
    /// PascalCase prefix of tool names, e.g. `ApiV2010`.
    pub prefix: String,
    /// `info.title`, e.g. `Twilio - Api`.
    pub title: String,
}

/// One operation as an MCP tool.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ToolDef {
    /// Tool name: `<SpecPrefix>_<operationId>`, e.g. `ApiV2010_CreateMessage`.
    pub name: String,
    /// Display name: the operationId in words and the product.
    pub title: String,
    /// Cleaned description, with "at least one of" rules.
    pub description: String,
    /// Spec file stem, e.g. `twilio_api_v2010`.
    pub spec: String,
    /// OpenAPI tag (or the spec prefix for untagged operations).
    pub tag: String,
    /// The operation's `operationId`.
    pub operation_id: String,
    /// HTTP method.
    pub method: HttpMethod,
    /// Base URL the request goes to, e.g. `https://api.twilio.com`.
    pub server: String,
    /// Path template, e.g. `/2010-04-01/Accounts/{AccountSid}/Messages.json`.
    pub path: String,
    /// The arguments, path parameters first.
    pub params: Vec<ParamDef>,
    /// How the request body is encoded.
    pub body: BodyEncoding,
    /// Credentials the operation needs.
    pub auth: AuthScheme,
    /// MCP annotations.
    pub annotations: Annotations,
    /// Groups of argument names of which at least one must be given
    /// (from `x-twilio.conditional`).
    pub at_least_one_of: Vec<Vec<String>>,
    /// Fields Twilio shows by default (`x-twilio.defaultOutputProperties`).
    pub default_output: Vec<String>,
    /// Input JSON Schema, serialised compactly.
    pub input_schema: String,
}

/// One argument of a tool.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ParamDef {
    /// Argument name in the input schema (safe for every client).
    pub name: String,
    /// Name Twilio expects on the wire (`DateSent<` for `DateSentBefore`).
    pub wire_name: String,
    /// Where it goes in the request.
    pub location: ParamLocation,
    /// JSON type it takes.
    pub kind: ValueKind,
    /// Twilio requires it. Path parameters always are.
    pub required: bool,
    /// Filled from the server's configured account when the caller omits it
    /// (an `AccountSid` in the path, or a required one elsewhere).
    pub from_config: bool,
    /// JSON Schema `format` (`date-time`, `phone-number`, `uri`, …).
    pub format: Option<String>,
    /// Every allowed value, even when the served schema lists only examples.
    pub enum_values: Vec<String>,
    /// Default value, as JSON text.
    pub default: Option<String>,
    /// SID shape (`^AC[0-9a-fA-F]{32}$`) the server checks; left out of the
    /// served input schema to save tokens.
    pub pattern: Option<String>,
    /// The full cleaned description (the served schema has a condensed one).
    pub description: String,
    /// How a [`ParamLocation::File`] argument becomes a file part; `None`
    /// for every other argument.
    pub file: Option<FileDef>,
}

/// A file part of a `multipart/form-data` body, as one argument gives it.
///
/// OpenAPI declares a file as a `type: string, format: binary` property;
/// codegen gives it two arguments, `<Name>` (text) and `<Name>Base64`, both
/// sent under the property's name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileDef {
    /// How the argument carries the bytes.
    pub encoding: FileEncoding,
    /// The argument whose value's last `/`-separated segment names the file
    /// (`Path`: `/hello.js` → `hello.js`), from the property's
    /// `x-twilio-mcp-filename-from`.
    pub name_from: Option<String>,
    /// The part's content type, from the body's `encoding.<name>.contentType`;
    /// `None`: the file name's extension says (`.css` → `text/css`).
    pub content_type: Option<String>,
    /// The largest file, in bytes (the property's `maxLength`), checked
    /// before anything is sent.
    pub max_bytes: Option<u64>,
}

/// Something codegen noticed while building the catalog.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Finding {
    /// How much it matters.
    pub level: FindingLevel,
    /// Spec file stem.
    pub spec: String,
    /// Operation id or tool name, when the finding is about one operation.
    pub operation: Option<String>,
    /// What was noticed, as one sentence.
    pub message: String,
}
