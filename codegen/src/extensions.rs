//! Operations Twilio's specs leave out, as OpenAPI documents of our own.
//!
//! Twilio documents some endpoints that are not in its OpenAPI specs: the
//! Serverless uploads (`serverless-upload.twilio.com`, `multipart/form-data`)
//! that add code to a Function or a file to an Asset. Without them an agent
//! can create a Service, Functions and Builds, but not one byte of code.
//!
//! An extension is an OpenAPI 3 document written for this project (under
//! `codegen/extra/`, compiled into codegen, so the server's build needs no
//! other file), whose root names the Twilio spec it adds to:
//!
//! ```json
//! {"openapi": "3.0.1", "x-twilio-mcp": {"extends": "twilio_serverless_v1"}, …}
//! ```
//!
//! Its operations become tools of that spec exactly as the spec's own do:
//! the same tool-name prefix (`ServerlessV1_CreateFunctionVersion`), tags,
//! annotations, argument checks, and so the same service selection, policy
//! and call pipeline. Its `servers`, `security` and `components` are its
//! own. Each tool it adds is noted (an info-level finding, `twilio-mcp audit
//! --verbose`); a tool name that Twilio's spec already gives is an error,
//! so an extension cannot shadow Twilio's operation once Twilio publishes it.

use serde_json::Value;

use crate::error::{CodegenError, SpecError};
use crate::model::{Catalog, Finding, FindingLevel};
use crate::{add_operations, check_unique_names, parse_document};

/// The root extension naming the spec a document extends.
const EXTENDS: &str = "x-twilio-mcp";

/// The extensions codegen always adds: `(name, OpenAPI document)`.
pub const BUILT_IN: &[(&str, &str)] = &[(
    "serverless_upload",
    include_str!("../extra/serverless_upload.json"),
)];

/// Adds every [built-in](BUILT_IN) extension to `catalog` (what the server's
/// build does after loading Twilio's specs).
pub fn add_built_in_extensions(catalog: &mut Catalog) -> Result<(), CodegenError> {
    for (name, text) in BUILT_IN {
        add_extension(catalog, name, text)?;
    }
    Ok(())
}

/// Adds the operations of the extension `name` (its OpenAPI document's JSON
/// text) to the spec it extends.
///
/// A catalog without that spec (a `TWILIO_OPENAPI_DIR` of some products
/// only) gets a warning instead of the tools. A document that is not an
/// extension, and a tool name already taken, are errors.
pub fn add_extension(catalog: &mut Catalog, name: &str, text: &str) -> Result<(), CodegenError> {
    let error = |error| CodegenError::Extension {
        name: name.to_string(),
        error,
    };
    let doc = parse_document(text).map_err(error)?;
    let extends = doc
        .raw
        .get(EXTENDS)
        .and_then(|x| x.get("extends"))
        .and_then(Value::as_str)
        .ok_or_else(|| error(SpecError::NoExtends))?
        .to_string();
    let Some(spec) = catalog.specs.iter().find(|s| s.name == extends) else {
        let operations = doc
            .openapi
            .paths
            .paths
            .values()
            .filter_map(|item| item.as_item())
            .map(|item| crate::operation::operations(item).count())
            .sum::<usize>();
        catalog.findings.push(Finding {
            level: FindingLevel::Warning,
            spec: extends.clone(),
            operation: None,
            message: format!(
                "extension `{name}` adds {operations} operations to {extends}, which is not \
                 among the specs: they are left out"
            ),
        });
        return Ok(());
    };
    let prefix = spec.prefix.clone();
    let before = catalog.tools.len();
    add_operations(catalog, &extends, &prefix, &doc);
    let added: Vec<String> = catalog.tools[before..]
        .iter()
        .map(|t| t.name.clone())
        .collect();
    for tool in added {
        catalog.findings.push(Finding {
            level: FindingLevel::Info,
            spec: extends.clone(),
            operation: Some(tool),
            message: format!("added by the extension `{name}`: not in Twilio's spec"),
        });
    }
    check_unique_names(catalog)
}
