//! What can go wrong in codegen, as types.
//!
//! [`CodegenError`] is what the public API returns ([`load_catalog`],
//! [`render`], …); its `Display` is one sentence a user can act on, which
//! `build.rs` prints. [`SpecError`] is why one document is not a spec.
//! [`OperationError`] and [`SchemaError`] are why one operation was left
//! out: they never stop a build, but become error-level findings.
//!
//! [`load_catalog`]: crate::load_catalog
//! [`render`]: crate::render

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::model::HttpMethod;

/// Why codegen could not build or render a catalog.
#[derive(Debug)]
pub enum CodegenError {
    /// A spec directory could not be listed.
    ReadDir {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A spec directory holds no `*.json` files.
    NoSpecFiles {
        /// The directory.
        dir: PathBuf,
    },
    /// A spec file's name is not UTF-8, so it cannot name a product.
    FileName {
        /// The file.
        file: PathBuf,
    },
    /// A spec file could not be read.
    ReadFile {
        /// The file.
        file: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A spec file is not an OpenAPI 3 document.
    Spec {
        /// The file.
        file: PathBuf,
        /// What is wrong with it.
        error: SpecError,
    },
    /// An extension (see [`crate::extensions`]) is not one.
    Extension {
        /// The extension's name.
        name: String,
        /// What is wrong with it.
        error: SpecError,
    },
    /// Two operations give the same tool name (also when an extension adds
    /// an operation its spec already has).
    DuplicateToolName {
        /// The name.
        name: String,
    },
    /// More tools than a [`ToolId`](crate::model::ToolId) (the index type
    /// of the generated code) can number.
    TooManyTools {
        /// Tools in the catalog.
        count: usize,
        /// The most the index type holds.
        max: usize,
    },
    /// An OpenAPI tag whose constant name (`Api20100401Message` →
    /// `API20100401_MESSAGE`) is not a Rust identifier.
    TagName {
        /// The tag.
        tag: String,
    },
    /// Two OpenAPI tags give the same constant name.
    TagNameClash {
        /// The tags, in name order.
        tags: [String; 2],
        /// The constant both give.
        name: String,
    },
    /// A raw string literal could not be made (a codegen bug).
    RawString(proc_macro2::LexError),
    /// The generated tokens are not Rust (a codegen bug).
    GeneratedCode(syn::Error),
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodegenError::ReadDir { dir, source } => {
                write!(f, "cannot read {}: {source}", dir.display())
            }
            CodegenError::NoSpecFiles { dir } => {
                write!(f, "{} holds no *.json spec files", dir.display())
            }
            CodegenError::FileName { file } => {
                write!(f, "{}: file name is not UTF-8", file.display())
            }
            CodegenError::ReadFile { file, source } => {
                write!(f, "cannot read {}: {source}", file.display())
            }
            CodegenError::Spec { file, error } => write!(f, "{}: {error}", file.display()),
            CodegenError::Extension { name, error } => write!(f, "extension `{name}`: {error}"),
            CodegenError::DuplicateToolName { name } => {
                write!(f, "two operations give the tool name `{name}`")
            }
            CodegenError::TooManyTools { count, max } => write!(
                f,
                "the specs give {count} tools, more than the {max} the generated index can number"
            ),
            CodegenError::TagName { tag } => write!(
                f,
                "the OpenAPI tag `{tag}` gives no Rust constant name; rename the tag"
            ),
            CodegenError::TagNameClash { tags: [a, b], name } => write!(
                f,
                "the OpenAPI tags `{a}` and `{b}` both give the constant name {name}; rename one"
            ),
            CodegenError::RawString(e) => write!(f, "cannot make a raw string literal: {e}"),
            CodegenError::GeneratedCode(e) => write!(f, "generated code: {e}"),
        }
    }
}

impl std::error::Error for CodegenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CodegenError::ReadDir { source, .. } | CodegenError::ReadFile { source, .. } => {
                Some(source)
            }
            CodegenError::Spec { error, .. } | CodegenError::Extension { error, .. } => Some(error),
            CodegenError::GeneratedCode(e) => Some(e),
            _ => None,
        }
    }
}

/// Why a document is not a spec codegen can read.
#[derive(Debug)]
pub enum SpecError {
    /// The text is not JSON.
    NotJson(serde_json::Error),
    /// The JSON is not an OpenAPI 3 document.
    NotOpenApi(serde_json::Error),
    /// An extension document names no spec to extend.
    NoExtends,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecError::NotJson(e) => write!(f, "not JSON: {e}"),
            SpecError::NotOpenApi(e) => write!(f, "not an OpenAPI 3 document: {e}"),
            SpecError::NoExtends => f.write_str(
                "no `x-twilio-mcp.extends` naming the spec it adds operations to \
                 (e.g. \"twilio_serverless_v1\")",
            ),
        }
    }
}

impl std::error::Error for SpecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SpecError::NotJson(e) | SpecError::NotOpenApi(e) => Some(e),
            SpecError::NoExtends => None,
        }
    }
}

/// Why one operation cannot become a tool (it is left out, with an
/// error-level finding saying this).
#[derive(Debug)]
pub(crate) enum OperationError {
    /// No `operationId`, so no tool name.
    NoOperationId {
        /// The operation's method.
        method: HttpMethod,
        /// Its path.
        path: String,
    },
    /// A parameter `$ref` outside `#/components/parameters/`.
    UnsupportedParameterRef(String),
    /// A parameter `$ref` to a component that does not exist.
    UnresolvedParameterRef(String),
    /// A parameter's schema cannot be converted.
    Parameter {
        /// The parameter.
        name: String,
        /// Why.
        error: SchemaError,
    },
    /// The request body is a `$ref`.
    BodyRef,
    /// No request body type codegen can send.
    BodyTypes(Vec<String>),
    /// The request body's schema cannot be converted.
    Body(SchemaError),
    /// A multipart file's `x-twilio-mcp-filename-from` names no text field
    /// of the body (or is not a string).
    FileNameFrom {
        /// The file property.
        file: String,
        /// What the extension gives.
        field: String,
    },
    /// No `servers` entry on the operation, its path item or the document.
    NoServer,
    /// A schema could not be (de)serialised as JSON.
    Json(serde_json::Error),
}

impl fmt::Display for OperationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OperationError::NoOperationId { method, path } => {
                write!(f, "{} {path} has no operationId", method.as_str())
            }
            OperationError::UnsupportedParameterRef(r) => {
                write!(f, "unsupported parameter $ref `{r}`")
            }
            OperationError::UnresolvedParameterRef(r) => {
                write!(f, "unresolved parameter $ref `{r}`")
            }
            OperationError::Parameter { name, error } => write!(f, "parameter `{name}`: {error}"),
            OperationError::BodyRef => f.write_str("requestBody $ref is not supported"),
            OperationError::BodyTypes(types) => {
                write!(f, "unsupported request body types {types:?}")
            }
            OperationError::Body(error) => write!(f, "request body: {error}"),
            OperationError::FileNameFrom { file, field } => write!(
                f,
                "file `{file}` takes its name from `{field}`, which is not a text field of the body"
            ),
            OperationError::NoServer => f.write_str("no server URL in the spec"),
            OperationError::Json(e) => write!(f, "{e}"),
        }
    }
}

impl From<serde_json::Error> for OperationError {
    fn from(e: serde_json::Error) -> Self {
        OperationError::Json(e)
    }
}

/// Why a schema cannot be converted to JSON Schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SchemaError {
    /// A `$ref` outside `#/components/schemas/`.
    UnsupportedRef(String),
    /// A `$ref` to a component that does not exist.
    UnresolvedRef(String),
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaError::UnsupportedRef(r) => write!(f, "unsupported $ref `{r}`"),
            SchemaError::UnresolvedRef(r) => write!(f, "unresolved $ref `{r}`"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_actionable_sentence() {
        let dir = PathBuf::from("specs/x");
        assert_eq!(
            CodegenError::NoSpecFiles { dir: dir.clone() }.to_string(),
            "specs/x holds no *.json spec files"
        );
        let missing = io::Error::new(io::ErrorKind::NotFound, "gone");
        assert_eq!(
            CodegenError::ReadDir {
                dir,
                source: missing
            }
            .to_string(),
            "cannot read specs/x: gone"
        );
        assert_eq!(
            CodegenError::TooManyTools {
                count: 70_000,
                max: 65_535
            }
            .to_string(),
            "the specs give 70000 tools, more than the 65535 the generated index can number"
        );
        assert_eq!(
            CodegenError::TagNameClash {
                tags: ["Foo-Bar".into(), "FooBar".into()],
                name: "FOO_BAR".into()
            }
            .to_string(),
            "the OpenAPI tags `Foo-Bar` and `FooBar` both give the constant name FOO_BAR; rename one"
        );
    }

    #[test]
    fn operation_errors_read_as_the_findings_say() {
        let error = OperationError::Parameter {
            name: "To".into(),
            error: SchemaError::UnresolvedRef("#/components/schemas/x".into()),
        };
        assert_eq!(
            error.to_string(),
            "parameter `To`: unresolved $ref `#/components/schemas/x`"
        );
        assert_eq!(
            OperationError::NoOperationId {
                method: HttpMethod::Get,
                path: "/v1/A".into()
            }
            .to_string(),
            "GET /v1/A has no operationId"
        );
        assert_eq!(
            OperationError::BodyTypes(vec!["application/xml".into()]).to_string(),
            "unsupported request body types [\"application/xml\"]"
        );
    }

    #[test]
    fn sources_are_kept() {
        use std::error::Error as _;
        let json = serde_json::from_str::<serde_json::Value>("{").expect_err("not JSON");
        let error = CodegenError::Spec {
            file: "x.json".into(),
            error: SpecError::NotJson(json),
        };
        assert!(
            error.to_string().starts_with("x.json: not JSON: "),
            "{error}"
        );
        assert!(error.source().is_some_and(|s| s.source().is_some()));
    }
}
