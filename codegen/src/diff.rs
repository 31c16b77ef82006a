//! What changed between two catalogs (`twilio-mcp specs diff OLD NEW`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::model::{Catalog, ParamDef, ToolDef};

/// Tools added, removed and changed between two catalogs.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct CatalogDiff {
    /// Tools only the new catalog has, by name.
    pub added: Vec<String>,
    /// Tools only the old catalog has, by name.
    pub removed: Vec<String>,
    /// Tools both have that differ, by name.
    pub changed: Vec<ToolChange>,
}

/// How one tool present on both sides changed.
#[derive(Debug, Serialize, PartialEq)]
pub struct ToolChange {
    /// The tool's name.
    pub tool: String,
    /// One line per change (endpoint, server, parameters).
    pub changes: Vec<String>,
}

impl CatalogDiff {
    /// True when the two catalogs have the same tools, unchanged.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// A readable report, one line per change.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for name in &self.added {
            let _ = writeln!(out, "+ {name}");
        }
        for name in &self.removed {
            let _ = writeln!(out, "- {name}");
        }
        for change in &self.changed {
            let _ = writeln!(out, "~ {}", change.tool);
            for line in &change.changes {
                let _ = writeln!(out, "    {line}");
            }
        }
        let _ = writeln!(
            out,
            "{} added, {} removed, {} changed",
            self.added.len(),
            self.removed.len(),
            self.changed.len()
        );
        out
    }
}

/// Compares two catalogs tool by tool.
pub fn diff(old: &Catalog, new: &Catalog) -> CatalogDiff {
    let old_tools: BTreeMap<&str, &ToolDef> =
        old.tools.iter().map(|t| (t.name.as_str(), t)).collect();
    let new_tools: BTreeMap<&str, &ToolDef> =
        new.tools.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut out = CatalogDiff::default();
    for (name, new_tool) in &new_tools {
        match old_tools.get(name) {
            None => out.added.push((*name).to_string()),
            Some(old_tool) => {
                let changes = tool_changes(old_tool, new_tool);
                if !changes.is_empty() {
                    out.changed.push(ToolChange {
                        tool: (*name).to_string(),
                        changes,
                    });
                }
            }
        }
    }
    out.removed = old_tools
        .keys()
        .filter(|name| !new_tools.contains_key(*name))
        .map(|name| (*name).to_string())
        .collect();
    out
}

fn tool_changes(old: &ToolDef, new: &ToolDef) -> Vec<String> {
    let mut changes = Vec::new();
    if old.method != new.method || old.path != new.path {
        changes.push(format!(
            "endpoint: {} {} → {} {}",
            old.method.as_str(),
            old.path,
            new.method.as_str(),
            new.path
        ));
    }
    if old.server != new.server {
        changes.push(format!("server: {} → {}", old.server, new.server));
    }
    let old_params: BTreeMap<&str, &ParamDef> =
        old.params.iter().map(|p| (p.name.as_str(), p)).collect();
    let new_params: BTreeMap<&str, &ParamDef> =
        new.params.iter().map(|p| (p.name.as_str(), p)).collect();
    for (name, p) in &new_params {
        match old_params.get(name) {
            None => changes.push(format!(
                "parameter added: {name} ({}{})",
                p.kind.as_str(),
                if p.required { ", required" } else { "" }
            )),
            Some(o) => {
                if o.kind != p.kind {
                    changes.push(format!(
                        "parameter retyped: {name} {} → {}",
                        o.kind.as_str(),
                        p.kind.as_str()
                    ));
                }
                if o.required != p.required {
                    changes.push(format!(
                        "parameter {name} is now {}",
                        if p.required { "required" } else { "optional" }
                    ));
                }
                if o.enum_values != p.enum_values {
                    changes.push(format!("parameter {name}: allowed values changed"));
                }
                if o.location != p.location {
                    changes.push(format!(
                        "parameter {name} moved: {:?} → {:?}",
                        o.location, p.location
                    ));
                }
            }
        }
    }
    for name in old_params.keys().filter(|n| !new_params.contains_key(*n)) {
        changes.push(format!("parameter removed: {name}"));
    }
    changes
}
