//! Turns Twilio's OpenAPI specs into static MCP tool definitions.
//!
//! This is the library behind twilio-mcp's `build.rs`. It knows OpenAPI and
//! emits Rust tokens; it knows nothing of HTTP or MCP transports.
//!
//! ```text
//! specs/*.json ──load_catalog──▶ Catalog (ToolDef per operation) ──render──▶ catalog.rs
//! ```
//!
//! * [`fetch`]: the spec pin and fetching the pinned specs with npm.
//! * [`load_catalog`]: parse every spec file and build one [`model::ToolDef`]
//!   per operation. `operation` does one operation, a module per step
//!   (inputs, arguments, served schema, title/description/annotations);
//!   `schema` converts OpenAPI schemas to JSON Schema; [`naming`] names
//!   tools and arguments; [`text`] cleans and condenses Twilio's prose.
//! * [`model`]: the catalog as data, and the types the server shares with
//!   the generated code (defined once there).
//! * [`render`]: format the catalog as Rust source (quote + prettyplease).
//! * [`diff`]: what changed between two catalogs (`twilio-mcp specs diff`).
//! * [`services`]: the named services and their tags.
//! * [`extensions`]: operations Twilio's specs leave out (the Serverless
//!   uploads), as our own OpenAPI documents, added to the spec they extend.
//!
//! Failures are [`CodegenError`]s, each one sentence a user can act on.
//! An operation that cannot become a tool is no failure: it is left out
//! with an error-level [`model::Finding`].

#![warn(missing_docs)]

pub mod diff;
mod emit;
mod error;
pub mod extensions;
pub mod fetch;
pub mod model;
pub mod naming;
mod operation;
mod schema;
pub mod services;
pub mod text;

use std::fs;
use std::path::{Path, PathBuf};

use openapiv3::{OpenAPI, ReferenceOr};
use serde_json::Value;

pub use emit::render;
pub use error::{CodegenError, SpecError};
pub use extensions::{add_built_in_extensions, add_extension};
pub use model::FIELDS_ARG;
use model::{Catalog, Finding, FindingLevel, SpecDef};

/// The `*.json` spec files of a directory, sorted by name.
pub fn spec_files(dir: &Path) -> Result<Vec<PathBuf>, CodegenError> {
    let entries = fs::read_dir(dir).map_err(|source| CodegenError::ReadDir {
        dir: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(CodegenError::NoSpecFiles {
            dir: dir.to_path_buf(),
        });
    }
    Ok(files)
}

/// Builds the catalog from every `*.json` spec in `dir`.
///
/// Operations that cannot become tools are left out and reported as
/// error-level findings; a file that is not an OpenAPI document is an error.
pub fn load_catalog(dir: &Path) -> Result<Catalog, CodegenError> {
    let mut catalog = Catalog::default();
    for file in spec_files(dir)? {
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| CodegenError::FileName { file: file.clone() })?
            .to_string();
        let text = match fs::read_to_string(&file) {
            Ok(text) => text,
            Err(source) => return Err(CodegenError::ReadFile { file, source }),
        };
        if let Err(error) = add_spec(&mut catalog, &stem, &text) {
            return Err(CodegenError::Spec { file, error });
        }
    }
    check_unique_names(&catalog)?;
    Ok(catalog)
}

/// Every tool name is given once.
fn check_unique_names(catalog: &Catalog) -> Result<(), CodegenError> {
    let mut seen = std::collections::HashSet::new();
    for tool in &catalog.tools {
        if !seen.insert(tool.name.as_str()) {
            return Err(CodegenError::DuplicateToolName {
                name: tool.name.clone(),
            });
        }
    }
    Ok(())
}

/// A spec document, parsed: the typed document and its raw JSON.
struct Document {
    openapi: OpenAPI,
    raw: Value,
}

fn parse_document(text: &str) -> Result<Document, SpecError> {
    let raw: Value = serde_json::from_str(text).map_err(SpecError::NotJson)?;
    let openapi: OpenAPI = serde_json::from_value(raw.clone()).map_err(SpecError::NotOpenApi)?;
    Ok(Document { openapi, raw })
}

/// Adds the operations of one spec document (its JSON text) to `catalog`.
pub fn add_spec(catalog: &mut Catalog, stem: &str, text: &str) -> Result<(), SpecError> {
    let doc = parse_document(text)?;
    let prefix = naming::spec_prefix(stem);
    catalog.specs.push(SpecDef {
        name: stem.to_string(),
        short: naming::spec_short(stem),
        prefix: prefix.clone(),
        title: doc.openapi.info.title.clone(),
    });
    add_operations(catalog, stem, &prefix, &doc);
    Ok(())
}

/// Builds a tool for every operation of `doc`, as operations of the spec
/// `stem` (tool-name prefix `prefix`), and adds them to `catalog`; the
/// operations that cannot become tools are error-level findings.
fn add_operations(catalog: &mut Catalog, stem: &str, prefix: &str, doc: &Document) {
    let components = doc
        .raw
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let openapi = &doc.openapi;
    let ctx = operation::SpecContext {
        stem,
        prefix,
        openapi,
        resolver: schema::Resolver::new(&components),
    };
    for (path, item) in &openapi.paths.paths {
        let ReferenceOr::Item(item) = item else {
            catalog.findings.push(Finding {
                level: FindingLevel::Error,
                spec: stem.to_string(),
                operation: None,
                message: format!("path `{path}` is a $ref, which is not supported"),
            });
            continue;
        };
        for (method, op) in operation::operations(item) {
            let at = operation::OperationRef {
                path,
                item,
                method,
                op,
            };
            match operation::build_tool(&ctx, &at, &mut catalog.findings) {
                Ok(tool) => catalog.tools.push(tool),
                Err(error) => catalog.findings.push(Finding {
                    level: FindingLevel::Error,
                    spec: stem.to_string(),
                    operation: op.operation_id.clone(),
                    message: format!("{} {path} left out: {error}", method.as_str()),
                }),
            }
        }
    }
}

/// Counts of findings by level, for build output.
pub fn finding_counts(catalog: &Catalog) -> (usize, usize, usize) {
    let count = |l| catalog.findings.iter().filter(|f| f.level == l).count();
    (
        count(FindingLevel::Info),
        count(FindingLevel::Warning),
        count(FindingLevel::Error),
    )
}
