//! OAuth scopes → what a token may do, as [`Restrictions`] on the
//! server's own policy.
//!
//! | scope | grants |
//! |---|---|
//! | `twilio:read` | read-only tools (List, Fetch) |
//! | `twilio:write` | every tool (read and write) |
//! | `twilio:services:<Name>` | optional: only the tools of these services (repeatable; a union) |
//!
//! A token with neither `twilio:read` nor `twilio:write` may do nothing
//! (403 `insufficient_scope`, asking for `twilio:read`). `<Name>` is any
//! service name `?services=` accepts (`Messaging`, `verify_v2`, an OpenAPI
//! tag); unknown names grant nothing. Scopes only narrow what the server's
//! `--read-only`, `--allow-tools` and `--deny-tools` allow; they never widen it.

use crate::catalog::{self, Tool};
use crate::filter::{Restriction, Restrictions, Selection};

/// Read-only tools.
pub const READ: &str = "twilio:read";
/// Every tool.
pub const WRITE: &str = "twilio:write";
/// Prefix of the service-narrowing scopes.
pub const SERVICES_PREFIX: &str = "twilio:services:";
/// What the protected-resource metadata lists (service scopes are
/// optional narrowing, so they are not advertised: a client requesting
/// every advertised scope would narrow itself).
pub const SUPPORTED: [&str; 2] = [READ, WRITE];

/// What a token with these scopes may do; `None`: nothing at all.
pub fn restrictions<'a>(scopes: impl IntoIterator<Item = &'a str>) -> Option<Restrictions> {
    let (mut read, mut write) = (false, false);
    let mut services: Option<Vec<&str>> = None;
    for scope in scopes {
        match scope {
            READ => read = true,
            WRITE => write = true,
            _ => {
                if let Some(name) = scope.strip_prefix(SERVICES_PREFIX) {
                    services.get_or_insert_with(Vec::new).push(name);
                }
            }
        }
    }
    if !read && !write {
        return None;
    }
    let Some(names) = services else {
        return Some(Restrictions::granted(!write, None));
    };
    // Each name alone: an unknown one grants nothing, the others still count.
    let known: Vec<&str> = names
        .into_iter()
        .filter(|n| !n.trim().is_empty() && Selection::parse(&[*n]).is_ok())
        .collect();
    let selection = if known.is_empty() {
        Selection {
            names: Vec::new(),
            ids: Vec::new(),
        }
    } else {
        // Every name parsed alone, so the union parses too.
        Selection::parse(&known).unwrap_or(Selection {
            names: Vec::new(),
            ids: Vec::new(),
        })
    };
    Some(Restrictions::granted(!write, Some(selection)))
}

/// The scope that would lift this restriction for this tool (for a
/// step-up challenge); `None` when no scope can.
pub fn needed(restriction: &Restriction, tool: &Tool) -> Option<String> {
    match restriction {
        Restriction::ReadOnly => Some(WRITE.to_string()),
        Restriction::Services(_) => Some(format!("{SERVICES_PREFIX}{}", service_of(tool))),
        Restriction::AllowDeny => None,
    }
}

/// The service name to ask for: the first named service holding the
/// tool's tag, else its product (`verify_v2`).
fn service_of(tool: &Tool) -> &'static str {
    catalog::SERVICES
        .iter()
        .find(|s| s.tags.contains(&tool.tag))
        .map(|s| s.name)
        .or_else(|| {
            catalog::SPECS
                .iter()
                .find(|s| s.name == tool.spec)
                .map(|s| s.short)
        })
        .unwrap_or(tool.tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(name: &str) -> (crate::catalog::ToolId, &'static Tool) {
        catalog::find(name).expect(name)
    }

    #[test]
    fn read_write_and_nothing() {
        assert!(restrictions(["openid", "profile"]).is_none());
        assert!(restrictions([]).is_none());
        assert!(restrictions(["twilio:services:Messaging"]).is_none());
        let read = restrictions([READ]).expect("read");
        assert!(read.read_only() && read.services().is_none());
        let write = restrictions([WRITE]).expect("write");
        assert!(write.is_none());
        let both = restrictions([READ, WRITE]).expect("both");
        assert!(both.is_none());
        // Scope names are case-sensitive (RFC 6749 3.3).
        assert!(restrictions(["TWILIO:WRITE"]).is_none());
    }

    #[test]
    fn service_scopes_narrow_and_unknown_names_grant_nothing() {
        let r = restrictions([WRITE, "twilio:services:Messaging", "twilio:services:Nope"])
            .expect("write");
        let names = r.services().map(|s| s.names.clone());
        assert_eq!(names, Some(vec!["Messaging".to_string()]));
        let (create, create_tool) = tool("ApiV2010_CreateMessage");
        let (call, call_tool) = tool("ApiV2010_CreateCall");
        assert!(r.permits(create, create_tool));
        assert_eq!(
            r.refusal(call, call_tool),
            Some(Restriction::Services(vec!["Messaging".into()]))
        );
        let nothing = restrictions([READ, "twilio:services:Nope"]).expect("read");
        let (list, list_tool) = tool("ApiV2010_ListMessage");
        assert!(!nothing.permits(list, list_tool));
    }

    #[test]
    fn the_needed_scope_lifts_the_restriction() {
        let (_, create) = tool("ApiV2010_CreateMessage");
        assert_eq!(
            needed(&Restriction::ReadOnly, create).as_deref(),
            Some("twilio:write")
        );
        let (_, call) = tool("ApiV2010_CreateCall");
        assert_eq!(
            needed(&Restriction::Services(vec![]), call).as_deref(),
            Some("twilio:services:Voice")
        );
        let (_, verify) = tool("VerifyV2_CreateVerification");
        let scope = needed(&Restriction::Services(vec![]), verify).expect("scope");
        let name = scope.strip_prefix(SERVICES_PREFIX).expect("prefix");
        assert!(
            Selection::parse(&[name]).expect("a service name").contains(
                catalog::find("VerifyV2_CreateVerification")
                    .expect("tool")
                    .0
            )
        );
        assert_eq!(needed(&Restriction::AllowDeny, verify), None);
    }
}
