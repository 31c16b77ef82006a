//! The MCP handler: lists the selected tools and runs tool calls.
//!
//! One [`TwilioMcp`] serves both transports. Over HTTP, what a request may
//! see (its [`Scope`]: tool set and mode) is decided per request by the
//! service filter in front of rmcp and reaches the handler through the
//! request's extensions; over stdio it is fixed at start-up.

use std::sync::Arc;
use std::time::Instant;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool as McpTool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::{Map, Value};

use crate::args;
use crate::catalog::{self, AuthScheme, Tool, ToolId};
use crate::discover;
use crate::filter::{ToolPolicy, ToolSet};
use crate::request;
use crate::response;
use crate::twilio::{Credentials, TwilioClient};

/// How tools are exposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// One MCP tool per Twilio operation.
    #[default]
    Tools,
    /// Three stable tools: search, describe, call.
    Discover,
}

impl Mode {
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "tools" => Some(Mode::Tools),
            "discover" | "discovery" => Some(Mode::Discover),
            _ => None,
        }
    }
}

/// What one request may see and call.
#[derive(Debug, Clone)]
pub struct Scope {
    pub tools: Arc<ToolSet>,
    pub mode: Mode,
    /// The HTTP request's id in the logs (none over stdio).
    pub request_id: Option<u64>,
}

/// Credentials, or the environment variables that are missing.
#[derive(Debug, Clone)]
pub enum CredentialState {
    Ready(Credentials),
    Missing(Vec<&'static str>),
}

/// Everything the handler needs, shared by all requests.
#[derive(Debug)]
pub struct AppState {
    pub client: TwilioClient,
    pub credentials: CredentialState,
    /// Sends every product's requests to this base URL instead (tests, proxies).
    pub base_url: Option<String>,
    pub max_response_bytes: usize,
    pub policy: ToolPolicy,
    /// Scope when the transport gives none (stdio).
    pub default_scope: Scope,
}

/// The MCP server handler.
#[derive(Debug, Clone)]
pub struct TwilioMcp {
    state: Arc<AppState>,
}

impl TwilioMcp {
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    fn scope(&self, context: &RequestContext<RoleServer>) -> Scope {
        context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Scope>())
            .cloned()
            .unwrap_or_else(|| self.state.default_scope.clone())
    }

    /// Runs a call to the catalog tool `name`, after every check.
    ///
    /// `Err` is a protocol error (unknown or unavailable tool); everything
    /// the caller can fix is an `Ok` tool error with `isError: true`.
    pub async fn call_catalog_tool(
        &self,
        scope: &Scope,
        name: &str,
        arguments: Map<String, Value>,
    ) -> Result<CallToolResult, McpError> {
        let (id, tool) = self.available(scope, name)?;
        if let Err(e) = args::check(id, tool, &arguments) {
            return Ok(tool_error(e.to_string()));
        }
        let credentials = match (tool.auth, &self.state.credentials) {
            (AuthScheme::None, _) => None,
            (AuthScheme::OAuth2, _) => {
                return Ok(tool_error(format!(
                    "{} needs OAuth 2 client credentials (Twilio's organizations API), \
                     which this server does not hold; nothing was sent",
                    tool.name
                )));
            }
            (AuthScheme::Basic, CredentialState::Ready(c)) => Some(c),
            (AuthScheme::Basic, CredentialState::Missing(vars)) => {
                return Ok(tool_error(format!(
                    "the server has no Twilio credentials: set {} and restart; nothing was sent",
                    vars.join(", ")
                )));
            }
        };
        let account_sid = match &self.state.credentials {
            CredentialState::Ready(c) => Some(c.account_sid.as_str()),
            CredentialState::Missing(_) => None,
        };
        let prepared = match request::prepare(
            tool,
            &arguments,
            account_sid,
            self.state.base_url.as_deref(),
        ) {
            Ok(p) => p,
            Err(e) => return Ok(tool_error(e.to_string())),
        };
        let started = Instant::now();
        let sent = self.state.client.send(&prepared, credentials).await;
        match sent {
            Err(e) => {
                tracing::warn!(
                    request_id = scope.request_id,
                    tool = tool.name,
                    method = tool.method.as_str(),
                    latency_ms = started.elapsed().as_millis() as u64,
                    error = %e,
                    "upstream call failed"
                );
                Ok(tool_error(format!("{e}")))
            }
            Ok(upstream) => {
                tracing::info!(
                    request_id = scope.request_id,
                    tool = tool.name,
                    method = tool.method.as_str(),
                    status = upstream.status,
                    latency_ms = upstream.elapsed.as_millis() as u64,
                    "upstream call"
                );
                let fields = request::requested_fields(&arguments);
                let shaped = response::shape(
                    &upstream,
                    tool.default_output,
                    fields.as_deref(),
                    self.state.max_response_bytes,
                );
                let mut result = if shaped.is_error {
                    CallToolResult::error(vec![ContentBlock::text(shaped.text)])
                } else {
                    CallToolResult::success(vec![ContentBlock::text(shaped.text)])
                };
                result.structured_content = shaped.structured;
                Ok(result)
            }
        }
    }

    /// The tool, if it exists and this scope may call it.
    pub fn available(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<(ToolId, &'static Tool), McpError> {
        let Some((id, tool)) = catalog::find(name) else {
            return Err(McpError::invalid_params(
                format!("unknown tool `{name}`"),
                None,
            ));
        };
        if let Some(refusal) = self.state.policy.refusal(tool) {
            return Err(McpError::invalid_params(refusal, None));
        }
        if !scope.tools.contains(id) {
            return Err(McpError::invalid_params(
                format!(
                    "tool `{name}` is not in the selected services ({}); add \
                     `services={}` to the MCP URL (or --services) to use it",
                    scope.tools.selection.names.join(", "),
                    tool.tag
                ),
                None,
            ));
        }
        Ok((id, tool))
    }
}

/// The `tools/list` result for a scope.
pub fn list_tools_result(scope: &Scope) -> ListToolsResult {
    let tools = match scope.mode {
        Mode::Tools => scope.tools.tools().map(|(id, t)| mcp_tool(id, t)).collect(),
        Mode::Discover => discover::tools(),
    };
    ListToolsResult::with_all_items(tools)
}

/// A tool error the caller sees (`isError: true`).
pub fn tool_error(message: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message)])
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

const INSTRUCTIONS: &str = "Tools call Twilio's REST API with the server's credentials. \
AccountSid is filled in for you. Results show each resource's default fields; \
pass `fields` for others ([\"*\"] for all). List results carry `next_page` arguments \
for the following page.";

impl ServerHandler for TwilioMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("twilio-mcp", env!("CARGO_PKG_VERSION"))
                    .with_title("Twilio MCP server"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    // No resources or prompts: answer their lists empty rather than
    // "method not found", as clients and the conformance suite expect.
    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult::default())
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::default())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        Ok(ListPromptsResult::default())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(list_tools_result(&self.scope(&context)))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let scope = self.scope(&context);
        let arguments = request.arguments.unwrap_or_default();
        let result = match scope.mode {
            Mode::Tools => {
                self.call_catalog_tool(&scope, &request.name, arguments)
                    .await?
            }
            Mode::Discover => discover::call(self, &scope, &request.name, arguments).await?,
        };
        Ok(result.into())
    }
}
