//! twilio-mcp: Twilio's whole REST API as MCP tools.
//!
//! ```text
//! build.rs + codegen ─▶ catalog (static tools, per tag)
//!                              │
//!   transport::http (/mcp) ──┐ ▼
//!   transport::stdio ────────┴▶ mcp::TwilioMcp ─▶ filter ─▶ args ─▶ request ─▶ twilio ─▶ response
//!   auth (X-Twilio-Signature) guards /mcp
//! ```
//!
//! - [`catalog`]: the generated tools and their typed API.
//! - [`filter`]: service selection (`?services=`) and tool policy (read-only, allow/deny).
//! - [`args`]: argument checks before any request.
//! - [`request`]: arguments → HTTP request (paths, query, form, JSON).
//! - [`twilio`]: the pooled HTTP client.
//! - [`response`]: Twilio's answer → lean tool result.
//! - [`mcp`]: the rmcp `ServerHandler`; [`discover`]: discovery mode;
//!   [`listing`]: `tools/list` answers concatenated from the static schemas.
//! - [`transport`]: Streamable HTTP and stdio; [`auth`]: signature layer.
//! - [`cli`], [`commands`], [`config`], [`logging`]: the binary's plumbing.

pub mod auth;
pub mod call;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod discover;
pub mod filter;
pub mod http_body;
pub mod listing;
pub mod logging;
pub mod mcp;
pub mod secret;
pub mod transport;
pub mod twilio;
