//! MCP resources: what a client is connected to, without a tool call.
//!
//! - `twilio://account`: the configured account's SID, friendly name,
//!   status and type, from Twilio's Account fetch (`ApiV2010_FetchAccount`,
//!   through the call pipeline, so the server's policy applies; the
//!   request's selection does not), kept for [`ACCOUNT_TTL`]. Only those
//!   fields: the Account resource also carries the account's auth token.
//! - `twilio://tools`: what this request may use: the selected services,
//!   the mode, how many tools, the policy in force and the prompts offered.
//!
//! Errors (no credentials, Twilio refusing, the policy excluding the fetch)
//! are JSON-RPC errors that say what to do; nothing is cached from them.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::call::{self, AppState, CallError, Mode, Scope};
use crate::catalog;
use crate::filter::{Selection, ToolSet};
use crate::prompts;
use crate::twilio::CredentialState;

/// The configured account.
pub const ACCOUNT_URI: &str = "twilio://account";
/// The tools this request may use.
pub const TOOLS_URI: &str = "twilio://tools";

/// The tool `twilio://account` reads with.
pub const ACCOUNT_TOOL: &str = "ApiV2010_FetchAccount";
/// The Account fields it shows (never `auth_token`).
const ACCOUNT_FIELDS: &[&str] = &["sid", "friendly_name", "status", "type", "date_created"];
/// How long a fetched account is shown before it is fetched again.
pub const ACCOUNT_TTL: Duration = Duration::from_secs(60);

/// One resource the server lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceDef {
    /// Its URI.
    pub uri: &'static str,
    /// Its name.
    pub name: &'static str,
    /// Its display name.
    pub title: &'static str,
    /// What it holds.
    pub description: &'static str,
}

/// `twilio://account`.
pub const ACCOUNT: ResourceDef = ResourceDef {
    uri: ACCOUNT_URI,
    name: "account",
    title: "Twilio account",
    description: "The account the server's credentials act on: SID, friendly name, status \
                  (active, suspended, closed) and type (Trial, Full).",
};

/// `twilio://tools`.
pub const TOOLS: ResourceDef = ResourceDef {
    uri: TOOLS_URI,
    name: "tools",
    title: "Tools in use",
    description: "What this connection may use: the selected services, the mode, the number of \
                  tools, the server's policy (read-only, allow/deny lists) and the prompts.",
};

/// Why a resource cannot be read. Each message says what to do.
#[derive(Debug, Clone, PartialEq)]
pub enum ResourceError {
    /// No resource has this URI.
    Unknown(String),
    /// The account fetch was not made or got no answer.
    Call(CallError),
    /// Twilio answered the account fetch with an error.
    Twilio(String),
}

impl fmt::Display for ResourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceError::Unknown(uri) => write!(
                f,
                "unknown resource `{uri}`: this server has {ACCOUNT_URI} and {TOOLS_URI}"
            ),
            ResourceError::Call(e) => write!(f, "cannot read {ACCOUNT_URI}: {e}"),
            ResourceError::Twilio(text) => write!(f, "cannot read {ACCOUNT_URI}: {text}"),
        }
    }
}

impl std::error::Error for ResourceError {}

/// The resources' state shared by every request: the account, once fetched.
#[derive(Debug, Default)]
pub struct Resources {
    account: Mutex<Option<(Instant, Value)>>,
    account_tools: OnceLock<Arc<ToolSet>>,
}

impl Resources {
    /// The resources this server lists: `twilio://account` unless the
    /// server's policy excludes the Account fetch.
    pub fn list(&self, state: &AppState) -> Vec<ResourceDef> {
        let account_allowed =
            catalog::find(ACCOUNT_TOOL).is_some_and(|(_, t)| state.policy.permits(t));
        let mut out = Vec::new();
        if account_allowed {
            out.push(ACCOUNT);
        }
        out.push(TOOLS);
        out
    }

    /// The resource's JSON.
    pub async fn read(
        &self,
        state: &AppState,
        scope: &Scope,
        uri: &str,
    ) -> Result<Value, ResourceError> {
        match uri {
            ACCOUNT_URI => self.account(state, scope).await,
            TOOLS_URI => Ok(tools(state, scope)),
            other => Err(ResourceError::Unknown(other.to_string())),
        }
    }

    async fn account(&self, state: &AppState, scope: &Scope) -> Result<Value, ResourceError> {
        let sid = match &state.credentials {
            CredentialState::Ready(c) => c.account_sid.clone(),
            CredentialState::Missing(vars) => {
                return Err(ResourceError::Call(CallError::NoCredentials(vars.clone())));
            }
        };
        // Only the Account fetch, under the server's policy, as the caller.
        let tools = self
            .account_tools
            .get_or_init(|| {
                let ids = catalog::find(ACCOUNT_TOOL)
                    .map(|(id, _)| vec![id])
                    .unwrap_or_default();
                let selection = Selection {
                    names: vec![ACCOUNT_URI.to_string()],
                    ids,
                };
                ToolSet::new(selection, &state.policy)
            })
            .clone();
        let fetch_scope = Scope {
            tools,
            mode: Mode::Tools,
            caller: scope.caller.clone(),
        };
        // The cached answer only for a caller who may make the fetch (an
        // API key or token limited to other services may not).
        call::resolve(state, &fetch_scope, ACCOUNT_TOOL).map_err(ResourceError::Call)?;
        if let Some(fresh) = self.cached() {
            return Ok(fresh);
        }
        let mut arguments = Map::new();
        arguments.insert("Sid".into(), Value::String(sid));
        arguments.insert("fields".into(), json!(ACCOUNT_FIELDS));
        let output = call::call(state, &fetch_scope, ACCOUNT_TOOL, &arguments)
            .await
            .map_err(ResourceError::Call)?;
        if output.is_error {
            return Err(ResourceError::Twilio(output.text));
        }
        let Some(Value::Object(mut account)) = output.structured else {
            return Err(ResourceError::Twilio(format!(
                "Twilio's answer is not an account: {}",
                output.text
            )));
        };
        // The fields asked for, whatever came back.
        account.retain(|k, _| ACCOUNT_FIELDS.contains(&k.as_str()));
        let account = Value::Object(account);
        if let Ok(mut slot) = self.account.lock() {
            *slot = Some((Instant::now(), account.clone()));
        }
        Ok(account)
    }

    fn cached(&self) -> Option<Value> {
        let slot = self.account.lock().ok()?;
        let (at, value) = slot.as_ref()?;
        (at.elapsed() < ACCOUNT_TTL).then(|| value.clone())
    }
}

/// `twilio://tools`: the selection, the policy and the prompts of a request.
fn tools(state: &AppState, scope: &Scope) -> Value {
    let set = &scope.tools;
    let callable = set.ids.len();
    let prompts: Vec<&str> = prompts::list(state, scope).map(|p| p.name).collect();
    json!({
        "services": set.selection.names,
        "mode": match scope.mode {
            Mode::Tools => "tools",
            Mode::Discover => "discover",
        },
        "tools": callable,
        "excluded_by_policy": set.selection.ids.len().saturating_sub(callable),
        "policy": {
            "read_only": state.policy.read_only,
            "allow_tools": state.policy.allow_patterns(),
            "deny_tools": state.policy.deny_patterns(),
        },
        "credentials": match &state.credentials {
            CredentialState::Ready(_) => Value::String("configured".into()),
            CredentialState::Missing(vars) => json!({"missing": vars}),
        },
        "prompts": prompts,
    })
}
