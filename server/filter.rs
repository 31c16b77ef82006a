//! Which tools a request sees: the service selection and the tool policy.
//!
//! A [`Selection`] comes from service names (`?services=Messaging&services=Voice`,
//! `--services`); each name is one of the 13 named services, an OpenAPI tag
//! (`ConversationsV1Conversation`), a spec (`twilio_verify_v2`, `verify_v2`
//! or `VerifyV2`), or `all`. Names are case-insensitive; repeated keys and
//! comma-separated lists both work; the union is taken, without duplicates.
//! No name at all selects [`DEFAULT_SERVICE`]. An unknown name is an error,
//! never a silent fallback.
//!
//! A [`ToolPolicy`] (read-only mode, allow and deny globs) then removes
//! tools; a removed tool is neither listed nor callable.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::catalog::{self, Tool, ToolId};

/// Service selected when none is named (as in Twilio's Functions template).
pub const DEFAULT_SERVICE: &str = "Messaging";

/// A set of tools, in catalog order, with the names that selected them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Canonical names, as given after resolution (`Messaging`, `verify_v2`).
    pub names: Vec<String>,
    /// The tools, in catalog order, without duplicates.
    pub ids: Vec<ToolId>,
}

/// A service name that matches nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownService(pub String);

impl fmt::Display for UnknownService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let named: Vec<&str> = catalog::SERVICES.iter().map(|s| s.name).collect();
        let specs: Vec<&str> = catalog::SPECS.iter().map(|s| s.short).collect();
        write!(
            f,
            "unknown service `{}`: valid services are {}, `all`, any OpenAPI tag \
             (e.g. ConversationsV1Conversation; `twilio-mcp tools --tags` lists them) \
             or any product: {}",
            self.0,
            named.join(", "),
            specs.join(", ")
        )
    }
}

impl std::error::Error for UnknownService {}

impl Selection {
    /// Resolves service names. Each item may be a comma-separated list;
    /// empty items are ignored; no names at all select the default service.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self, UnknownService> {
        let names: Vec<&str> = items
            .iter()
            .flat_map(|item| item.as_ref().split(','))
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        let names = if names.is_empty() {
            vec![DEFAULT_SERVICE]
        } else {
            names
        };
        let mut ids = BTreeSet::new();
        let mut canonical = Vec::new();
        for name in names {
            let (canon, tools) = resolve(name).ok_or_else(|| UnknownService(name.to_string()))?;
            ids.extend(tools);
            if !canonical.contains(&canon) {
                canonical.push(canon);
            }
        }
        Ok(Self {
            names: canonical,
            ids: ids.into_iter().collect(),
        })
    }

    /// The whole catalog.
    pub fn all() -> Self {
        Self {
            names: vec!["all".to_string()],
            ids: catalog::all().map(|(id, _)| id).collect(),
        }
    }

    /// True when the selection includes this tool.
    pub fn contains(&self, id: ToolId) -> bool {
        self.ids.binary_search(&id).is_ok()
    }
}

/// One name → its canonical spelling and its tools.
fn resolve(name: &str) -> Option<(String, Vec<ToolId>)> {
    if name.eq_ignore_ascii_case("all") {
        return Some(("all".to_string(), Selection::all().ids));
    }
    if let Some(service) = catalog::SERVICES
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name))
    {
        let ids = service
            .tags
            .iter()
            .filter_map(|t| tag_index(t))
            .flat_map(catalog::tag_tool_ids)
            .collect();
        return Some((service.name.to_string(), ids));
    }
    // Products before tags: a product's prefix (`LookupsV2`) also names the
    // group of its untagged operations, and must select the whole product.
    if let Some(spec) = catalog::SPECS.iter().find(|s| {
        s.name.eq_ignore_ascii_case(name)
            || s.short.eq_ignore_ascii_case(name)
            || s.prefix.eq_ignore_ascii_case(name)
    }) {
        let ids = catalog::all()
            .filter(|(_, t)| t.spec == spec.name)
            .map(|(id, _)| id)
            .collect();
        return Some((spec.short.to_string(), ids));
    }
    let index = catalog::TAGS
        .iter()
        .position(|t| t.name.eq_ignore_ascii_case(name))?;
    Some((
        catalog::TAGS[index].name.to_string(),
        catalog::tag_tool_ids(index).collect(),
    ))
}

fn tag_index(name: &str) -> Option<usize> {
    catalog::TAGS.iter().position(|t| t.name == name)
}

/// Which tools may be listed and called at all, whatever the selection.
#[derive(Debug, Clone, Default)]
pub struct ToolPolicy {
    /// Only tools annotated read-only.
    pub read_only: bool,
    /// When set, only tools whose name matches one of these globs.
    allow: Option<GlobSet>,
    /// Tools whose name matches one of these globs are removed.
    deny: Option<GlobSet>,
    /// The allow patterns as given (for `twilio://tools`).
    allow_patterns: Vec<String>,
    /// The deny patterns as given.
    deny_patterns: Vec<String>,
}

impl ToolPolicy {
    /// Builds a policy; a bad glob is an error naming it.
    pub fn new(read_only: bool, allow: &[String], deny: &[String]) -> Result<Self, PatternError> {
        let given = |patterns: &[String]| -> Vec<String> {
            patterns
                .iter()
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect()
        };
        Ok(Self {
            read_only,
            allow: globs(allow)?,
            deny: globs(deny)?,
            allow_patterns: given(allow),
            deny_patterns: given(deny),
        })
    }

    /// The allow-list patterns (empty: every tool is allowed).
    pub fn allow_patterns(&self) -> &[String] {
        &self.allow_patterns
    }

    /// The deny-list patterns.
    pub fn deny_patterns(&self) -> &[String] {
        &self.deny_patterns
    }

    /// True when the tool may be listed and called.
    pub fn permits(&self, tool: &Tool) -> bool {
        if self.read_only && !tool.annotations.read_only {
            return false;
        }
        if let Some(allow) = &self.allow
            && !allow.is_match(tool.name)
        {
            return false;
        }
        !self.deny.as_ref().is_some_and(|d| d.is_match(tool.name))
    }

    /// Why a tool is not permitted; `None` when it is.
    pub fn refusal(&self, tool: &Tool) -> Option<Refusal> {
        if self.permits(tool) {
            return None;
        }
        Some(if self.read_only && !tool.annotations.read_only {
            Refusal::ReadOnly
        } else {
            Refusal::AllowDeny
        })
    }
}

/// Why the [`ToolPolicy`] excludes a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The server runs read-only and the tool writes.
    ReadOnly,
    /// The allow list leaves it out, or the deny list names it.
    AllowDeny,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::ReadOnly => "the server runs in read-only mode",
            Refusal::AllowDeny => "the server's tool allow/deny lists exclude it",
        })
    }
}

/// An allow or deny pattern that is not a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternError {
    /// This pattern does not parse.
    Glob {
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it.
        error: globset::Error,
    },
    /// The patterns do not build into one matcher.
    Set(globset::Error),
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatternError::Glob { pattern, error } => {
                write!(f, "bad tool pattern `{pattern}`: {error}")
            }
            PatternError::Set(error) => write!(f, "bad tool patterns: {error}"),
        }
    }
}

impl std::error::Error for PatternError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PatternError::Glob { error, .. } | PatternError::Set(error) => Some(error),
        }
    }
}

fn globs(patterns: &[String]) -> Result<Option<GlobSet>, PatternError> {
    let patterns: Vec<&String> = patterns.iter().filter(|p| !p.trim().is_empty()).collect();
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        let glob = Glob::new(p.trim()).map_err(|error| PatternError::Glob {
            pattern: p.clone(),
            error,
        })?;
        builder.add(glob);
    }
    builder.build().map(Some).map_err(PatternError::Set)
}

/// What a caller's credential allows on top of the server's [`ToolPolicy`]:
/// an API key's restrictions, or what an OAuth token's scopes grant.
///
/// Restrictions only ever remove tools. Each part is optional: read-only,
/// a set of services (a tool outside them is excluded), allow and deny
/// globs. [`Restrictions::none`] removes nothing.
#[derive(Debug, Clone, Default)]
pub struct Restrictions {
    read_only: bool,
    /// The services the caller may use (resolved), when limited.
    services: Option<Selection>,
    /// Allow and deny globs (never read-only: that is `read_only`).
    tools: ToolPolicy,
    /// The glob texts, for equality and the cache key.
    allow: Vec<String>,
    deny: Vec<String>,
}

/// Which of a caller's [`Restrictions`] excludes a tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restriction {
    /// The caller may only read, and the tool writes.
    ReadOnly,
    /// The tool is outside the caller's services (their canonical names).
    Services(Vec<String>),
    /// The caller's allow list leaves it out, or its deny list names it.
    AllowDeny,
}

impl Restrictions {
    /// No restriction at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// Restrictions from their parts: `services` are service names as
    /// [`Selection::parse`] reads them (none: not limited), `allow` and
    /// `deny` tool globs.
    pub fn new(
        read_only: bool,
        services: &[String],
        allow: &[String],
        deny: &[String],
    ) -> Result<Self, RestrictionError> {
        let services = if services.iter().all(|s| s.trim().is_empty()) {
            None
        } else {
            Some(Selection::parse(services).map_err(RestrictionError::Service)?)
        };
        let clean = |patterns: &[String]| -> Vec<String> {
            patterns
                .iter()
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect()
        };
        let (allow, deny) = (clean(allow), clean(deny));
        let tools = ToolPolicy::new(false, &allow, &deny).map_err(RestrictionError::Pattern)?;
        Ok(Self {
            read_only,
            services,
            tools,
            allow,
            deny,
        })
    }

    /// Read-only or not, and limited to an already resolved selection or
    /// not (OAuth scopes, where unknown service names are dropped rather
    /// than refused). An empty selection allows no tool at all.
    pub fn granted(read_only: bool, services: Option<Selection>) -> Self {
        Self {
            read_only,
            services,
            ..Self::default()
        }
    }

    /// True when nothing is restricted.
    pub fn is_none(&self) -> bool {
        !self.read_only && self.services.is_none() && self.allow.is_empty() && self.deny.is_empty()
    }

    /// Only read-only tools.
    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// The services the caller is limited to, if any.
    pub fn services(&self) -> Option<&Selection> {
        self.services.as_ref()
    }

    /// The allow and deny globs, as given.
    pub fn globs(&self) -> (&[String], &[String]) {
        (&self.allow, &self.deny)
    }

    /// Which restriction excludes the tool; `None` when it is allowed.
    pub fn refusal(&self, id: ToolId, tool: &Tool) -> Option<Restriction> {
        if self.read_only && !tool.annotations.read_only {
            return Some(Restriction::ReadOnly);
        }
        if let Some(services) = &self.services
            && !services.contains(id)
        {
            return Some(Restriction::Services(services.names.clone()));
        }
        if !self.tools.permits(tool) {
            return Some(Restriction::AllowDeny);
        }
        None
    }

    /// True when the restrictions allow the tool.
    pub fn permits(&self, id: ToolId, tool: &Tool) -> bool {
        self.refusal(id, tool).is_none()
    }

    /// A canonical text of these restrictions: equal restrictions, equal
    /// keys (what resolved tool sets are cached by).
    pub fn key(&self) -> String {
        let services = self
            .services
            .as_ref()
            .map_or_else(|| "*".to_string(), |s| s.names.join(","));
        format!(
            "ro={} services={} allow={} deny={}",
            self.read_only,
            services,
            self.allow.join(","),
            self.deny.join(",")
        )
    }
}

impl PartialEq for Restrictions {
    fn eq(&self, other: &Self) -> bool {
        self.read_only == other.read_only
            && self.services.as_ref().map(|s| &s.ids) == other.services.as_ref().map(|s| &s.ids)
            && self.allow == other.allow
            && self.deny == other.deny
    }
}

impl Eq for Restrictions {}

impl std::hash::Hash for Restrictions {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.read_only.hash(state);
        self.services.as_ref().map(|s| &s.ids).hash(state);
        self.allow.hash(state);
        self.deny.hash(state);
    }
}

impl fmt::Display for Restrictions {
    /// `read-only, services Messaging, Voice, allow ApiV2010_*, deny *Delete*`,
    /// or `none`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.read_only {
            parts.push("read-only".to_string());
        }
        if let Some(services) = &self.services {
            parts.push(format!("services {}", services.names.join(", ")));
        }
        if !self.allow.is_empty() {
            parts.push(format!("allow {}", self.allow.join(", ")));
        }
        if !self.deny.is_empty() {
            parts.push(format!("deny {}", self.deny.join(", ")));
        }
        if parts.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&parts.join("; "))
        }
    }
}

/// A restriction that names an unknown service or a bad glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestrictionError {
    /// A service name matches nothing.
    Service(UnknownService),
    /// An allow or deny pattern is not a glob.
    Pattern(PatternError),
}

impl fmt::Display for RestrictionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestrictionError::Service(e) => e.fmt(f),
            RestrictionError::Pattern(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RestrictionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RestrictionError::Service(e) => Some(e),
            RestrictionError::Pattern(e) => Some(e),
        }
    }
}

/// A selection with the policy applied: what one request can list and call.
#[derive(Debug)]
pub struct ToolSet {
    /// What the request selected.
    pub selection: Selection,
    /// Selected and permitted, in catalog order.
    pub ids: Vec<ToolId>,
    /// The `tools/list` result for these tools, written once by
    /// `crate::listing` and shared by both transports' fast paths.
    pub list_json: std::sync::OnceLock<bytes::Bytes>,
}

impl ToolSet {
    /// The selection's tools that the policy permits.
    pub fn new(selection: Selection, policy: &ToolPolicy) -> Arc<Self> {
        let ids = selection
            .ids
            .iter()
            .copied()
            .filter(|&id| catalog::get(id).is_some_and(|t| policy.permits(t)))
            .collect();
        Arc::new(Self {
            selection,
            ids,
            list_json: std::sync::OnceLock::new(),
        })
    }

    /// The selection's tools that the policy and the caller's restrictions
    /// both permit.
    pub fn restricted(
        selection: Selection,
        policy: &ToolPolicy,
        restrictions: &Restrictions,
    ) -> Arc<Self> {
        let ids = selection
            .ids
            .iter()
            .copied()
            .filter(|&id| {
                catalog::get(id).is_some_and(|t| policy.permits(t) && restrictions.permits(id, t))
            })
            .collect();
        Arc::new(Self {
            selection,
            ids,
            list_json: std::sync::OnceLock::new(),
        })
    }

    /// True when the request may list and call this tool.
    pub fn contains(&self, id: ToolId) -> bool {
        self.ids.binary_search(&id).is_ok()
    }

    /// The tools with their ids, in catalog order.
    pub fn tools(&self) -> impl Iterator<Item = (ToolId, &'static Tool)> + '_ {
        self.ids
            .iter()
            .filter_map(|&id| catalog::get(id).map(|t| (id, t)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(sel: &Selection) -> Vec<&'static str> {
        sel.ids
            .iter()
            .filter_map(|&id| catalog::get(id))
            .map(|t| t.name)
            .collect()
    }

    #[test]
    fn default_is_messaging() {
        let sel = Selection::parse::<&str>(&[]).expect("default");
        assert_eq!(sel.names, ["Messaging"]);
        assert_eq!(sel.ids.len(), 10);
        assert!(names(&sel).contains(&"ApiV2010_CreateMessage"));
    }

    #[test]
    fn union_without_duplicates_and_commas() {
        let a = Selection::parse(&["Messaging", "PhoneNumbers"]).expect("parse");
        let b = Selection::parse(&["messaging,phonenumbers"]).expect("parse");
        assert_eq!(a.ids, b.ids);
        // IncomingPhoneNumber tools are in both services: 10 + 11 - 5.
        assert_eq!(a.ids.len(), 16);
    }

    #[test]
    fn tags_specs_and_all() {
        assert!(
            !Selection::parse(&["ConversationsV1Conversation"])
                .expect("tag")
                .ids
                .is_empty()
        );
        let spec = Selection::parse(&["twilio_verify_v2"]).expect("spec");
        assert_eq!(
            spec.ids,
            Selection::parse(&["verify_v2"]).expect("short").ids
        );
        assert_eq!(
            spec.ids,
            Selection::parse(&["VerifyV2"]).expect("prefix").ids
        );
        assert_eq!(
            Selection::parse(&["all"]).expect("all").ids.len(),
            catalog::TOOL_COUNT
        );
    }

    #[test]
    fn a_product_prefix_selects_the_whole_product() {
        // LookupsV2 is also the group of lookups_v2's untagged operations.
        let by_prefix = Selection::parse(&["LookupsV2"]).expect("prefix");
        let by_name = Selection::parse(&["twilio_lookups_v2"]).expect("name");
        assert_eq!(by_prefix.ids, by_name.ids);
        assert!(
            by_prefix
                .ids
                .iter()
                .filter_map(|&id| catalog::get(id))
                .any(|t| t.name == "LookupsV2_FetchPhoneNumber")
        );
    }

    #[test]
    fn unknown_service_is_an_error_naming_it() {
        let err = Selection::parse(&["Messaging", "Nope"]).expect_err("unknown");
        let text = err.to_string();
        assert!(text.contains("`Nope`"), "{text}");
        assert!(text.contains("Voice"), "{text}");
    }

    #[test]
    fn policy_read_only_and_globs() {
        let sel = Selection::parse(&["Messaging"]).expect("parse");
        let ro = ToolSet::new(
            sel.clone(),
            &ToolPolicy::new(true, &[], &[]).expect("policy"),
        );
        assert!(ro.tools().all(|(_, t)| t.annotations.read_only));
        assert!(!ro.ids.is_empty());
        let deny = ToolPolicy::new(false, &[], &["*Delete*".into()]).expect("policy");
        let set = ToolSet::new(sel.clone(), &deny);
        assert!(set.tools().all(|(_, t)| !t.name.contains("Delete")));
        let allow =
            ToolPolicy::new(false, &["ApiV2010_CreateMessage".into()], &[]).expect("policy");
        assert_eq!(ToolSet::new(sel, &allow).ids.len(), 1);
        assert!(ToolPolicy::new(false, &["[".into()], &[]).is_err());
    }

    #[test]
    fn restrictions_narrow_a_tool_set_and_never_widen_the_policy() {
        let sel = Selection::parse(&["Messaging", "Voice"]).expect("parse");
        let open = ToolPolicy::default();
        let all = ToolSet::new(sel.clone(), &open);
        let none = ToolSet::restricted(sel.clone(), &open, &Restrictions::none());
        assert_eq!(all.ids, none.ids);

        let ro = Restrictions::new(true, &["Messaging".into()], &[], &["*Delete*".into()])
            .expect("restrictions");
        let narrowed = ToolSet::restricted(sel.clone(), &open, &ro);
        assert!(!narrowed.ids.is_empty() && narrowed.ids.len() < all.ids.len());
        let messaging = Selection::parse(&["Messaging"]).expect("parse");
        assert!(narrowed.tools().all(|(id, t)| t.annotations.read_only
            && messaging.contains(id)
            && !t.name.contains("Delete")));

        // A server deny list still applies to an unrestricted caller.
        let deny = ToolPolicy::new(false, &[], &["*Message*".into()]).expect("policy");
        let set = ToolSet::restricted(sel, &deny, &Restrictions::none());
        assert!(set.tools().all(|(_, t)| !t.name.contains("Message")));

        assert_eq!(
            ro.to_string(),
            "read-only; services Messaging; deny *Delete*"
        );
        assert_eq!(Restrictions::none().to_string(), "none");
        assert_ne!(ro.key(), Restrictions::none().key());
        assert!(matches!(
            Restrictions::new(false, &["Nope".into()], &[], &[]),
            Err(RestrictionError::Service(_))
        ));
    }
}
