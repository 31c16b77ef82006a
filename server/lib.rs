//! twilio-mcp: Twilio's whole REST API as MCP tools.
//!
//! ```text
//!  build.rs + codegen ──▶ catalog: static tools, one slice per OpenAPI tag
//!
//!   POST /mcp                                               stdin/stdout
//!     │  transport::http, outermost first:                       │
//!     │  trace ▸ timeout ▸ concurrency limit                     │  transport::stdio
//!     │  ▸ auth::authenticate ▸ http_body::read_once             │
//!     │  ▸ auth::require_signature ▸ envelope ▸ scope            │
//!     │                                                          │
//!     ├── plain tools/list ──▶ transport::fast_path ◀────────────┤
//!     │                        (listing's bytes)                 │
//!     ▼                                                          ▼
//!   mcp::TwilioMcp, the rmcp handler:  tools/list ──▶ listing
//!     │ tools/call
//!     ├── tools mode ─────────────────────────────┐
//!     └── discovery mode ──▶ discover: search,    │
//!                            describe, call ──────┤
//!                                                 ▼
//!   call::call: resolve ▸ args ▸ credentials ▸ request ▸ (guardrails) ▸ twilio ▸ response
//!               (catalog, filter)                        send to Twilio   shape → CallOutput
//! ```
//!
//! Dependencies run one way: [`catalog`] ← [`filter`] ← [`call`] ←
//! {`discover`, [`listing`], [`prompts`] ← [`resources`]} ← `mcp` ←
//! [`transport`] ← [`commands`].
//!
//! - [`catalog`]: the generated tools and their typed API.
//! - [`filter`]: service selection (`?services=`), tool policy (read-only,
//!   allow/deny) and a caller's restrictions, which only narrow it.
//! - [`call`]: the call pipeline, one entry point for every tool call, and
//!   the state it runs on; argument checks, request building and response
//!   shaping live inside it.
//! - [`twilio`]: the pooled HTTP client to Twilio and its vocabulary.
//! - `discover`: discovery mode's three tools and its search index.
//! - [`listing`]: `tools/list` results, typed and as pre-serialised bytes.
//! - [`prompts`]: MCP prompts, recipes naming the tools in order (a table);
//!   [`resources`]: `twilio://account` and `twilio://tools`.
//! - `mcp`: the rmcp `ServerHandler`, mapping pipeline outcomes to MCP.
//! - [`transport`]: Streamable HTTP (its layers) and stdio, and the
//!   `tools/list` fast path both share; [`auth`]: who may call `/mcp`
//!   (signature, bearer keys, OAuth) and with what restrictions;
//!   `http_body`: the request body, read once.
//! - [`cli`], [`commands`], `config`, `logging`, [`secret`]: the binary's plumbing.
//!
//! Public are the modules the binary, the integration tests and the
//! benchmarks use; the rest is private to the crate.

pub mod auth;
pub mod call;
pub mod catalog;
pub mod cli;
pub mod commands;
mod config;
mod discover;
pub mod filter;
mod http_body;
pub mod listing;
mod logging;
mod mcp;
pub mod metrics;
pub mod prompts;
pub mod resources;
pub mod secret;
mod telemetry;
pub mod transport;
pub mod twilio;
