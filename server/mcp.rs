//! The MCP handler: lists the selected tools and runs tool calls.
//!
//! One [`TwilioMcp`] serves both transports. Over HTTP, what a request may
//! see (its [`Scope`]: tool set and mode) is decided per request by the
//! scope layer in front of rmcp and reaches the handler through the
//! request's extensions; over stdio it is fixed at start-up.
//!
//! The HTTP layers also leave the request's tracing span in its extensions;
//! a call runs inside it, so its log lines carry the request id.
//!
//! Calls go through the pipeline ([`crate::call`], or [`crate::discover`]
//! in discovery mode); this module only maps their outcomes to MCP. A tool
//! that is unknown, refused by the server's policy or outside the selected
//! services is a JSON-RPC error (`-32602`) in tools mode; everything else,
//! and everything in discovery mode but an unknown discovery tool, is a
//! tool error (`isError: true`).
//!
//! Prompts ([`crate::prompts`]) and resources ([`crate::resources`]) are
//! scoped like tools: a request lists the prompts whose tools it may call;
//! `prompts/get` of another is `-32602`, an unknown resource `-32002`, a
//! resource that cannot be read now `-32603`, each with a message saying why.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, GetPromptRequestParams,
    GetPromptResponse, GetPromptResult, Implementation, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    Prompt, PromptArgument, PromptMessage, ReadResourceRequestParams, ReadResourceResponse,
    ReadResourceResult, Resource, ResourceContents, Role, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use tracing::{Instrument, Span};

use crate::call::{self, AppState, CallError, CallOutput, Mode, Scope};
use crate::discover::{self, DiscoverError};
use crate::listing;
use crate::prompts::{self, PromptDef};
use crate::resources::{ResourceDef, ResourceError, Resources};
use crate::telemetry::{self, Observation};
use crate::twilio::CredentialState;

/// The MCP server handler. Cheap to clone: the HTTP transport clones one
/// per request, so what it holds (the fetched account) is shared.
#[derive(Debug, Clone)]
pub struct TwilioMcp {
    state: Arc<AppState>,
    resources: Arc<Resources>,
    instructions: Arc<str>,
}

impl TwilioMcp {
    /// A handler over the shared state.
    pub fn new(state: Arc<AppState>) -> Self {
        Self {
            instructions: instructions(&state).into(),
            state,
            resources: Arc::default(),
        }
    }

    fn scope(&self, context: &RequestContext<RoleServer>) -> Scope {
        http_extension::<Scope>(context).unwrap_or_else(|| self.state.default_scope.clone())
    }
}

/// Something the HTTP layers put in the request's extensions (none over stdio).
fn http_extension<T: Clone + Send + Sync + 'static>(
    context: &RequestContext<RoleServer>,
) -> Option<T> {
    context
        .extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<T>())
        .cloned()
}

/// A pipeline result as an MCP tool result.
fn tool_result(output: CallOutput) -> CallToolResult {
    let content = vec![ContentBlock::text(output.text)];
    let mut result = if output.is_error {
        CallToolResult::error(content)
    } else {
        CallToolResult::success(content)
    };
    result.structured_content = output.structured;
    result
}

/// A tool error the caller sees (`isError: true`).
fn tool_error(message: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message)])
}

/// Tools mode: an unavailable tool is a protocol error, the rest tool errors.
fn from_call(outcome: Result<CallOutput, CallError>) -> Result<CallToolResult, McpError> {
    match outcome {
        Ok(output) => Ok(tool_result(output)),
        Err(e) if e.is_unavailable() => Err(McpError::invalid_params(e.to_string(), None)),
        Err(e) => Ok(tool_error(e.to_string())),
    }
}

/// Discovery mode: only a name that is not a discovery tool is a protocol
/// error; inside it, an unknown or unavailable tool is the caller's mistake
/// to fix.
fn from_discover(outcome: Result<CallOutput, DiscoverError>) -> Result<CallToolResult, McpError> {
    match outcome {
        Ok(output) => Ok(tool_result(output)),
        Err(e @ DiscoverError::UnknownTool(_)) => {
            Err(McpError::invalid_params(e.to_string(), None))
        }
        Err(e) => Ok(tool_error(e.to_string())),
    }
}

/// What every session is told, first.
const INSTRUCTIONS: &str = "Tools call Twilio's REST API with the server's credentials. \
AccountSid is filled in for you. Results show each resource's default fields; \
pass `fields` for others ([\"*\"] for all). List results carry `next_page` arguments \
for the following page.";

/// Where the prompts and resources are.
const INSTRUCTIONS_EXTRAS: &str = "Prompts are step-by-step recipes for common tasks. \
Resources twilio://account and twilio://tools say which account and which tools this \
connection uses.";

/// The server's `instructions`: short, and true of this server's settings.
fn instructions(state: &AppState) -> String {
    let mut lines = vec![INSTRUCTIONS.to_string()];
    if let CredentialState::Missing(vars) = &state.credentials {
        lines.push(format!(
            "The server has no Twilio credentials: tool calls fail until {} are set.",
            vars.join(", ")
        ));
    }
    if state.policy.read_only {
        lines.push(
            "Read-only mode: only List and Fetch tools exist; nothing can be created, changed \
             or deleted."
                .to_string(),
        );
    }
    // Guardrails (dry runs, confirmation) add what they mean here, when on.
    lines.push(INSTRUCTIONS_EXTRAS.to_string());
    lines.join(" ")
}

/// The MCP definition of a prompt.
fn mcp_prompt(prompt: &PromptDef) -> Prompt {
    let arguments = prompt
        .arguments
        .iter()
        .map(|a| {
            PromptArgument::new(a.name)
                .with_description(a.description)
                .with_required(a.absent.is_none())
        })
        .collect();
    Prompt::new(prompt.name, Some(prompt.description), Some(arguments)).with_title(prompt.title)
}

/// The MCP definition of a resource.
fn mcp_resource(resource: &ResourceDef) -> Resource {
    Resource::new(resource.uri, resource.name)
        .with_title(resource.title)
        .with_description(resource.description)
        .with_mime_type("application/json")
}

impl ServerHandler for TwilioMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_prompts()
                .enable_resources()
                .enable_tools()
                .build(),
        )
        .with_server_info(
            Implementation::new("twilio-mcp", env!("CARGO_PKG_VERSION"))
                .with_title("Twilio MCP server"),
        )
        .with_instructions(self.instructions.to_string())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let resources = self.resources.list(&self.state);
        Ok(ListResourcesResult::with_all_items(
            resources.iter().map(mcp_resource).collect(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let scope = self.scope(&context);
        // twilio://account calls Twilio: in the request's span, and timed
        // and traced as its upstream call, like a tool call's.
        let span = http_extension::<Span>(&context).unwrap_or_else(Span::none);
        let observation = http_extension::<Arc<Observation>>(&context);
        let read = telemetry::with_observation(
            observation,
            self.resources
                .read(&self.state, &scope, &request.uri)
                .instrument(span),
        )
        .await;
        match read {
            Ok(value) => {
                Ok(
                    ReadResourceResult::new(vec![ResourceContents::TextResourceContents {
                        uri: request.uri,
                        mime_type: Some("application/json".into()),
                        text: value.to_string(),
                        meta: None,
                    }])
                    .into(),
                )
            }
            Err(e @ ResourceError::Unknown(_)) => {
                Err(McpError::resource_not_found(e.to_string(), None))
            }
            Err(e) => Err(McpError::internal_error(e.to_string(), None)),
        }
    }

    // No templates: an empty list rather than "method not found".
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
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        let scope = self.scope(&context);
        Ok(ListPromptsResult::with_all_items(
            prompts::list(&self.state, &scope).map(mcp_prompt).collect(),
        ))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        let scope = self.scope(&context);
        let arguments = request.arguments.unwrap_or_default();
        let text = prompts::available(&self.state, &scope, &request.name)
            .and_then(|prompt| Ok((prompt, prompts::render(prompt, &arguments, scope.mode)?)));
        match text {
            Ok((prompt, text)) => Ok(GetPromptResult::new(vec![PromptMessage::new_text(
                Role::User,
                text,
            )])
            .with_description(prompt.description)
            .into()),
            Err(e) => Err(McpError::invalid_params(e.to_string(), None)),
        }
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(listing::list_tools_result(&self.scope(&context)))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let scope = self.scope(&context);
        // rmcp runs this on a task of its own: back into the HTTP request's
        // span, so the pipeline's log lines carry its request id.
        let span = http_extension::<Span>(&context).unwrap_or_else(Span::none);
        // Where the outcome and the upstream calls are reported, for
        // metrics and traces (HTTP only).
        let observation = http_extension::<Arc<Observation>>(&context);
        let arguments = request.arguments.unwrap_or_default();
        let state = &self.state;
        let call = async {
            match scope.mode {
                Mode::Tools => {
                    from_call(call::call(state, &scope, &request.name, &arguments).await)
                }
                Mode::Discover => {
                    from_discover(discover::call(state, &scope, &request.name, arguments).await)
                }
            }
        }
        .instrument(span);
        let result = telemetry::with_observation(observation.clone(), call).await;
        if let Some(observation) = &observation {
            observation.record_outcome(&result);
        }
        Ok(result?.into())
    }
}
