//! The catalog codegen builds from the specs, before it becomes Rust tokens.
//!
//! These types mirror the runtime types the generated module uses
//! (`twilio_mcp::catalog`), but own their data and serialise with serde so
//! that `specs diff` and the snapshot tests can compare catalogs.

use serde::{Deserialize, Serialize};

/// Every tool built from one directory of specs, plus what could not be built.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Catalog {
    pub specs: Vec<SpecDef>,
    /// All tools, ordered by spec file, then path, then method.
    pub tools: Vec<ToolDef>,
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
    pub name: String,
    pub title: String,
    pub description: String,
    pub spec: String,
    pub tag: String,
    pub operation_id: String,
    pub method: Method,
    /// Base URL the request goes to, e.g. `https://api.twilio.com`.
    pub server: String,
    /// Path template, e.g. `/2010-04-01/Accounts/{AccountSid}/Messages.json`.
    pub path: String,
    pub params: Vec<ParamDef>,
    pub body: BodyEncoding,
    pub auth: AuthScheme,
    pub annotations: Annotations,
    /// Groups of argument names of which at least one must be given
    /// (from `x-twilio.conditional`).
    pub at_least_one_of: Vec<Vec<String>>,
    /// Fields Twilio shows by default (`x-twilio.defaultOutputProperties`).
    pub default_output: Vec<String>,
    /// Input JSON Schema, serialised compactly.
    pub input_schema: String,
}

/// HTTP method of an operation.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
    Patch,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
        }
    }
}

/// How the request body is encoded.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum BodyEncoding {
    /// The operation declares no request body: none is sent.
    None,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `application/json`.
    Json,
}

/// Credentials an operation needs.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum AuthScheme {
    /// HTTP Basic (API key SID + secret).
    Basic,
    /// OAuth 2 client credentials (Twilio's organizations API).
    OAuth2,
    /// No authentication (token endpoints).
    None,
}

/// MCP tool annotations (hints for clients).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Annotations {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    pub open_world: bool,
}

/// Where an argument goes in the HTTP request.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub enum ParamLocation {
    Path,
    Query,
    Header,
    /// A field of an `application/x-www-form-urlencoded` body.
    Form,
    /// A top-level property of a JSON body.
    Json,
    /// The whole JSON body (the body schema is not an object with properties).
    JsonBody,
}

/// JSON type an argument takes.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub enum ValueKind {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
    /// The spec gives no type: any JSON value.
    Any,
}

/// One argument of a tool.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ParamDef {
    /// Argument name in the input schema (safe for every client).
    pub name: String,
    /// Name Twilio expects on the wire (`DateSent<` for `DateSentBefore`).
    pub wire_name: String,
    pub location: ParamLocation,
    pub kind: ValueKind,
    /// Twilio requires it. Path parameters always are.
    pub required: bool,
    /// Filled from the server's configured account when the caller omits it
    /// (an `AccountSid` in the path, or a required one elsewhere).
    pub from_config: bool,
    pub format: Option<String>,
    pub enum_values: Vec<String>,
    /// Default value, as JSON text.
    pub default: Option<String>,
    /// SID shape (`^AC[0-9a-fA-F]{32}$`) the server checks; left out of the
    /// served input schema to save tokens.
    pub pattern: Option<String>,
    pub description: String,
}

/// Something codegen noticed while building the catalog.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    /// Spec file stem.
    pub spec: String,
    /// Operation id or tool name, when the finding is about one operation.
    pub operation: Option<String>,
    pub message: String,
}

/// Severity of a [`Finding`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// A deliberate choice worth knowing (a parameter renamed or hidden).
    Info,
    /// Something a user may want to look at.
    Warning,
    /// An operation could not be turned into a tool.
    Error,
}
