//! Command-line interface (clap). Every `serve` flag can also be set by
//! environment variable (shown in `--help`), and `.env` is read first.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Twilio's whole REST API as MCP tools, generated from Twilio's OpenAPI specs.
#[derive(Debug, Parser)]
#[command(name = "twilio-mcp", version, about, long_about = None)]
pub struct Cli {
    /// Log format.
    #[arg(
        long,
        global = true,
        value_enum,
        env = "TWILIO_MCP_LOG_FORMAT",
        default_value = "human"
    )]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written on stderr: `human` text, or `json` objects,
/// one a line.
// Doc comments on the variants would become `--help` text.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the MCP server: Streamable HTTP at /mcp (default) or stdio.
    Serve(Box<ServeArgs>),
    /// List the tools a selection of services yields (name, method, path, annotations).
    Tools(ToolsArgs),
    /// Per service: tool count, tools/list bytes and tokens in each mode, lint findings.
    /// Exits non-zero when an error-level finding exists.
    Audit(AuditArgs),
    /// Print the X-Twilio-Signature for a URL, signed with TWILIO_AUTH_TOKEN.
    Sign(SignArgs),
    /// Work with spec directories.
    #[command(subcommand)]
    Specs(SpecsCommand),
    /// Static bearer keys for /mcp.
    #[command(subcommand)]
    Keys(KeysCommand),
}

/// `keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a fresh random key (shown only this once) and the line for the
    /// key file or TWILIO_MCP_API_KEYS, which holds only its SHA-256 digest.
    New(KeysNewArgs),
}

/// `keys new`'s flags: the key's name and restrictions.
#[derive(Debug, Clone, Args)]
pub struct KeysNewArgs {
    /// The key's name: who is calling, in logs (letters, digits, `.`, `_`, `-`, `@`).
    #[arg(long)]
    pub name: String,
    /// The key may only call read-only tools.
    #[arg(long)]
    pub read_only: bool,
    /// The key may only use these services (repeatable or comma-separated).
    #[arg(long = "services", value_delimiter = ',')]
    pub services: Vec<String>,
    /// The key may only call tools matching these names or globs.
    #[arg(long = "allow-tools", value_delimiter = ',')]
    pub allow_tools: Vec<String>,
    /// The key may never call tools matching these names or globs.
    #[arg(long = "deny-tools", value_delimiter = ',')]
    pub deny_tools: Vec<String>,
}

/// Tool selection and mode, shared by `serve`, `tools` and `audit`.
#[derive(Debug, Clone, Args)]
pub struct SelectionArgs {
    /// Services to expose (repeatable or comma-separated): a named service
    /// (Messaging, Voice, …), an OpenAPI tag, a product (verify_v2) or `all`.
    /// Default: Messaging. Over HTTP, `?services=` overrides it per request.
    #[arg(long = "services", env = "TWILIO_MCP_SERVICES", value_delimiter = ',')]
    pub services: Vec<String>,
}

/// `serve`'s flags.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Serve MCP over stdin/stdout (for desktop clients) instead of HTTP.
    #[arg(long)]
    pub stdio: bool,
    /// Address to listen on for HTTP.
    #[arg(long, env = "TWILIO_MCP_BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,
    /// The services exposed.
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// `tools`: one MCP tool per operation. `discover`: three tools to search,
    /// describe and call the selected operations. Over HTTP, `?mode=` overrides it.
    #[arg(long, env = "TWILIO_MCP_MODE", default_value = "tools")]
    pub mode: String,
    /// Only list and allow tools annotated read-only (List/Fetch).
    #[arg(long, env = "TWILIO_MCP_READ_ONLY")]
    pub read_only: bool,
    /// Only these tools (names or globs, e.g. `ApiV2010_*Message*`); repeatable.
    #[arg(
        long = "allow-tools",
        env = "TWILIO_MCP_ALLOW_TOOLS",
        value_delimiter = ','
    )]
    pub allow_tools: Vec<String>,
    /// Never these tools (names or globs, e.g. `*_Delete*`); repeatable.
    #[arg(
        long = "deny-tools",
        env = "TWILIO_MCP_DENY_TOOLS",
        value_delimiter = ','
    )]
    pub deny_tools: Vec<String>,
    /// Public base URL clients use (e.g. https://mcp.example.com), for
    /// X-Twilio-Signature. Default: https://$TWILIO_BASE_DOMAIN if set.
    #[arg(long, env = "TWILIO_MCP_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Rebuild the public URL from X-Forwarded-Proto/X-Forwarded-Host (only
    /// behind your own proxy that overwrites them).
    #[arg(long, env = "TWILIO_MCP_TRUST_FORWARDED")]
    pub trust_forwarded: bool,
    /// Reject signed requests whose URL lacks bodySHA256 (authenticates bodies).
    #[arg(long, env = "TWILIO_MCP_REQUIRE_BODY_HASH")]
    pub require_body_hash: bool,
    /// Static bearer keys accepted on /mcp (`Authorization: Bearer` or
    /// `X-API-Key`): `NAME sha256:HEX [restrictions]` entries separated by
    /// `;` or newlines, as `twilio-mcp keys new` prints them.
    #[arg(long = "api-keys", env = "TWILIO_MCP_API_KEYS", hide_env_values = true)]
    pub api_keys: Option<String>,
    /// A file of static bearer keys, one entry a line (as for --api-keys);
    /// re-read when it changes, so deleting a line revokes a key.
    #[arg(long = "api-key-file", env = "TWILIO_MCP_API_KEY_FILE")]
    pub api_key_file: Option<PathBuf>,
    /// OAuth 2.1 authorization server (its issuer, exactly as its metadata
    /// writes it): /mcp then also accepts its access tokens, and serves
    /// /.well-known/oauth-protected-resource.
    #[arg(long, env = "TWILIO_MCP_OAUTH_ISSUER")]
    pub oauth_issuer: Option<String>,
    /// The resource URL access tokens must be issued for (their `aud`).
    /// Default: the public URL + /mcp.
    #[arg(long, env = "TWILIO_MCP_OAUTH_AUDIENCE")]
    pub oauth_audience: Option<String>,
    /// This server's client id at the authorization server, to introspect
    /// opaque access tokens (RFC 7662); the secret comes from
    /// TWILIO_MCP_OAUTH_CLIENT_SECRET.
    #[arg(long, env = "TWILIO_MCP_OAUTH_CLIENT_ID")]
    pub oauth_client_id: Option<String>,
    /// Also accept JWT access tokens with `typ: JWT` or no `typ` (Auth0's
    /// default token profile, Entra ID), not only RFC 9068 `at+jwt`.
    #[arg(long, env = "TWILIO_MCP_OAUTH_ALLOW_JWT_TYP")]
    pub oauth_allow_jwt_typ: bool,
    /// Serve /mcp on a non-loopback address WITHOUT any authentication
    /// (no signature, key or OAuth configured). Anyone who can reach the
    /// port can then use your Twilio account.
    #[arg(long, env = "TWILIO_MCP_DANGEROUSLY_ALLOW_UNSIGNED")]
    pub dangerously_allow_unsigned: bool,
    /// Browser origins allowed on /mcp (e.g. https://app.example.com); loopback
    /// origins are always allowed. Others get 403.
    #[arg(
        long = "allowed-origins",
        env = "TWILIO_MCP_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,
    /// Host header values accepted on /mcp besides loopback and the public
    /// URL's host; `*` accepts any.
    #[arg(
        long = "allowed-hosts",
        env = "TWILIO_MCP_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,
    /// Seconds to wait for Twilio before a tool call fails.
    #[arg(long, env = "TWILIO_MCP_UPSTREAM_TIMEOUT", default_value_t = 30)]
    pub upstream_timeout: u64,
    /// Seconds an HTTP request to /mcp may take in all (then 408).
    #[arg(long, env = "TWILIO_MCP_REQUEST_TIMEOUT", default_value_t = 60)]
    pub request_timeout: u64,
    /// Largest accepted /mcp request body in bytes (then 413).
    #[arg(long, env = "TWILIO_MCP_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Requests handled at once; more wait their turn.
    #[arg(long, env = "TWILIO_MCP_MAX_CONCURRENCY", default_value_t = 256)]
    pub max_concurrency: usize,
    /// Largest tool result text in bytes; longer lists are cut with a note.
    #[arg(long, env = "TWILIO_MCP_MAX_RESPONSE_BYTES", default_value_t = 32 * 1024)]
    pub max_response_bytes: usize,
    /// Seconds to keep serving after SIGTERM, with /readyz answering 503, so
    /// load balancers stop sending before the listener closes (SIGINT: none).
    #[arg(long, env = "TWILIO_MCP_DRAIN_DELAY", default_value_t = 5)]
    pub drain_delay: u64,
    /// Serve /metrics (Prometheus) on this address only, e.g. 127.0.0.1:9090
    /// or a pod's metrics port; default: on the main port.
    #[arg(long, env = "TWILIO_MCP_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
    /// Export OpenTelemetry traces over OTLP/HTTP to this base URL (e.g.
    /// http://127.0.0.1:4318; `/v1/traces` is appended). Off when unset.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// Put tool-call arguments and results in the spans (off: never).
    #[arg(long, env = "TWILIO_MCP_TRACE_ARGUMENTS")]
    pub trace_arguments: bool,
    /// Send every Twilio request to this base URL instead (path kept), e.g. a
    /// mock at http://127.0.0.1:4010.
    #[arg(long, env = "TWILIO_API_BASE_URL")]
    pub api_base_url: Option<String>,
}

/// `tools`' flags.
#[derive(Debug, Clone, Args)]
pub struct ToolsArgs {
    /// The services listed.
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// List the OpenAPI tags (usable as services) instead of tools.
    #[arg(long)]
    pub tags: bool,
}

/// `audit`'s flags.
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// The services audited.
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Also list info-level findings (parameters renamed or hidden).
    #[arg(long)]
    pub verbose: bool,
    /// Print only the services table, as Markdown (the README's table).
    #[arg(long, conflicts_with = "json")]
    pub markdown: bool,
}

/// `sign`'s flags.
#[derive(Debug, Clone, Args)]
pub struct SignArgs {
    /// The full URL the client calls, query string included.
    #[arg(long)]
    pub url: String,
    /// A form parameter `name=value` (only for form-encoded bodies); repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE", allow_hyphen_values = true)]
    pub params: Vec<String>,
    /// Print a ready MCP client configuration (URL + header) instead.
    #[arg(long)]
    pub client_config: bool,
}

/// `specs` subcommands.
#[derive(Debug, Subcommand)]
pub enum SpecsCommand {
    /// List tools added, removed and changed between two spec directories.
    Diff {
        /// Directory of the old spec files.
        old: PathBuf,
        /// Directory of the new spec files.
        new: PathBuf,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}
