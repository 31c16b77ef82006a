//! The vocabulary the generated catalog and the server share, defined once.
//!
//! The generated module (`OUT_DIR/catalog.rs`) spells these types by name
//! (`method: HttpMethod::Get`), and the server's catalog module re-exports
//! them from here, so codegen and the server cannot drift apart. Each type
//! writes itself as Rust tokens ([`ToTokens`]) in exactly the spelling the
//! generated module uses.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use serde::{Deserialize, Serialize};

/// Argument the server adds to every tool that returns a resource (see
/// [`HttpMethod::returns_resource`]): which response fields to return. A
/// Twilio parameter with this exact name is renamed (none has it in the
/// pinned specs).
pub const FIELDS_ARG: &str = "fields";

/// Index of a tool in the whole catalog (tags in name order, flattened).
///
/// codegen refuses a catalog with more tools than this type can number, so
/// the server's conversions to it cannot wrap.
pub type ToolId = u16;

/// Defines a fieldless enum and its [`ToTokens`], which writes a value as
/// `Type::Variant`: the generated code's spelling is the definition's own,
/// with no table to keep in step.
macro_rules! catalog_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident, )*
        }
    ) => {
        $(#[$meta])*
        pub enum $name {
            $( $(#[$variant_meta])* $variant, )*
        }

        impl ToTokens for $name {
            fn to_tokens(&self, tokens: &mut TokenStream) {
                let variant = match self {
                    $( Self::$variant => quote!($variant), )*
                };
                tokens.extend(quote!($name::#variant));
            }
        }
    };
}

catalog_enum! {
    /// HTTP method of an operation.
    #[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
    pub enum HttpMethod {
        /// `GET`: reads.
        Get,
        /// `POST`: creates, and Twilio's updates.
        Post,
        /// `PUT`: replaces.
        Put,
        /// `DELETE`: removes; Twilio answers 204 with no body.
        Delete,
        /// `PATCH`: changes part of a resource.
        Patch,
    }
}

impl HttpMethod {
    /// The method as HTTP spells it (`GET`).
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Delete => "DELETE",
            HttpMethod::Patch => "PATCH",
        }
    }

    /// True when the answer is a resource (or a page of them), so the tool
    /// takes the [`FIELDS_ARG`] argument: every method but DELETE, which
    /// answers with no body.
    pub fn returns_resource(self) -> bool {
        self != HttpMethod::Delete
    }
}

catalog_enum! {
    /// How the request body is encoded.
    #[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
    pub enum BodyEncoding {
        /// The operation declares no request body: none is sent.
        None,
        /// `application/x-www-form-urlencoded`.
        Form,
        /// `application/json`.
        Json,
        /// `multipart/form-data`: [`ParamLocation::Form`] arguments as text
        /// parts, [`ParamLocation::File`] arguments as file parts.
        Multipart,
    }
}

catalog_enum! {
    /// Credentials an operation needs.
    #[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
    pub enum AuthScheme {
        /// HTTP Basic: API key SID and secret (or account SID and auth token).
        Basic,
        /// OAuth 2 client credentials (Twilio's organizations API), which the
        /// server does not hold.
        OAuth2,
        /// No authentication (token endpoints).
        None,
    }
}

/// MCP tool annotations (hints for clients).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Annotations {
    /// `readOnlyHint`: the tool changes nothing.
    pub read_only: bool,
    /// `destructiveHint`: the tool may change or remove what exists.
    pub destructive: bool,
    /// `idempotentHint`: calling it again with the same arguments has no
    /// additional effect.
    pub idempotent: bool,
    /// `openWorldHint`: the tool reaches outside the server (Twilio).
    pub open_world: bool,
}

impl ToTokens for Annotations {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let Annotations {
            read_only,
            destructive,
            idempotent,
            open_world,
        } = *self;
        tokens.extend(quote! {
            Annotations {
                read_only: #read_only,
                destructive: #destructive,
                idempotent: #idempotent,
                open_world: #open_world,
            }
        });
    }
}

catalog_enum! {
    /// Where an argument goes in the HTTP request.
    #[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
    pub enum ParamLocation {
        /// A `{placeholder}` of the path template.
        Path,
        /// A query-string parameter.
        Query,
        /// A request header.
        Header,
        /// A field of an `application/x-www-form-urlencoded` body, or a text
        /// part of a `multipart/form-data` one.
        Form,
        /// A top-level property of a JSON body.
        Json,
        /// The whole JSON body (the body schema is not an object with
        /// properties).
        JsonBody,
        /// A file part of a `multipart/form-data` body: the argument carries
        /// the file's bytes as text or base64 ([`FileEncoding`]).
        File,
    }
}

catalog_enum! {
    /// How a [`ParamLocation::File`] argument carries the file's bytes.
    /// A file gives two arguments, one of each, of which a call gives one.
    #[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
    pub enum FileEncoding {
        /// The file is the argument's text, as UTF-8 (`Content`).
        Text,
        /// The file is the argument's text decoded as standard base64, for
        /// binary files (`ContentBase64`).
        Base64,
    }
}

catalog_enum! {
    /// JSON type an argument takes.
    #[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
    pub enum ValueKind {
        /// A JSON string.
        String,
        /// A JSON number without a fraction.
        Integer,
        /// Any JSON number.
        Number,
        /// `true` or `false`.
        Boolean,
        /// A JSON array.
        Array,
        /// A JSON object.
        Object,
        /// The spec gives no type: any JSON value.
        Any,
    }
}

impl ValueKind {
    /// The JSON Schema type name (`any` for untyped arguments), for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueKind::String => "string",
            ValueKind::Integer => "integer",
            ValueKind::Number => "number",
            ValueKind::Boolean => "boolean",
            ValueKind::Array => "array",
            ValueKind::Object => "object",
            ValueKind::Any => "any",
        }
    }
}

catalog_enum! {
    /// Severity of a finding: something codegen noticed (see `twilio-mcp
    /// audit`).
    #[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
    pub enum FindingLevel {
        /// A deliberate choice worth knowing (a parameter renamed or hidden).
        Info,
        /// Something a user may want to look at.
        Warning,
        /// An operation could not be turned into a tool.
        Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: impl ToTokens) -> String {
        value.to_token_stream().to_string()
    }

    #[test]
    fn enums_write_themselves_as_the_generated_code_spells_them() {
        assert_eq!(text(HttpMethod::Delete), "HttpMethod :: Delete");
        assert_eq!(text(BodyEncoding::None), "BodyEncoding :: None");
        assert_eq!(text(AuthScheme::OAuth2), "AuthScheme :: OAuth2");
        assert_eq!(text(ParamLocation::JsonBody), "ParamLocation :: JsonBody");
        assert_eq!(text(ValueKind::Any), "ValueKind :: Any");
        assert_eq!(text(FindingLevel::Warning), "FindingLevel :: Warning");
        assert_eq!(text(BodyEncoding::Multipart), "BodyEncoding :: Multipart");
        assert_eq!(text(FileEncoding::Base64), "FileEncoding :: Base64");
    }

    #[test]
    fn annotations_write_a_struct_literal() {
        let a = Annotations {
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: true,
        };
        assert_eq!(
            text(a),
            "Annotations { read_only : true , destructive : false , idempotent : true , open_world : true , }"
        );
    }

    #[test]
    fn only_delete_returns_no_resource() {
        use HttpMethod::*;
        let takes: Vec<_> = [Get, Post, Put, Delete, Patch]
            .into_iter()
            .map(|m| (m.as_str(), m.returns_resource()))
            .collect();
        assert_eq!(
            takes,
            [
                ("GET", true),
                ("POST", true),
                ("PUT", true),
                ("DELETE", false),
                ("PATCH", true)
            ]
        );
    }

    #[test]
    fn kinds_read_as_json_schema_types() {
        assert_eq!(ValueKind::Integer.as_str(), "integer");
        assert_eq!(ValueKind::Any.as_str(), "any");
    }
}
