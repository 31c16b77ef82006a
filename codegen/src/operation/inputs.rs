//! An operation's inputs as OpenAPI declares them: path-item and operation
//! parameters (merged, `$ref`s resolved) and the request body, each schema
//! converted to JSON Schema and handed to [`Arguments`] to name.

use std::collections::HashSet;

use openapiv3::{OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, RequestBody};
use serde_json::{Map, Value};

use super::arguments::Arguments;
use super::{OperationRef, SpecContext};
use crate::error::OperationError;
use crate::model::{BodyEncoding, FileDef, FileEncoding, FindingLevel, ParamLocation};
use crate::schema::set_description;
use crate::text;

/// Path-item parameters, overridden by operation parameters of the same
/// name and location, with `$ref`s to `components/parameters` resolved.
pub(super) fn merged_parameters(
    ctx: &SpecContext<'_>,
    at: &OperationRef<'_>,
) -> Result<Vec<Parameter>, OperationError> {
    let mut merged: Vec<Parameter> = Vec::new();
    for p in at.item.parameters.iter().chain(&at.op.parameters) {
        let p = resolve_parameter(ctx.openapi, p)?;
        let key = (p.parameter_data_ref().name.clone(), location_word(&p));
        if let Some(existing) = merged
            .iter_mut()
            .find(|e| (e.parameter_data_ref().name.clone(), location_word(e)) == key)
        {
            *existing = p;
        } else {
            merged.push(p);
        }
    }
    // Path parameters first, in the order they appear in the path template.
    merged.sort_by_key(|p| match p {
        Parameter::Path { parameter_data, .. } => at
            .path
            .find(&format!("{{{}}}", parameter_data.name))
            .unwrap_or(usize::MAX),
        _ => usize::MAX,
    });
    Ok(merged)
}

fn resolve_parameter(
    openapi: &OpenAPI,
    p: &ReferenceOr<Parameter>,
) -> Result<Parameter, OperationError> {
    match p {
        ReferenceOr::Item(p) => Ok(p.clone()),
        ReferenceOr::Reference { reference } => {
            let name = reference
                .strip_prefix("#/components/parameters/")
                .ok_or_else(|| OperationError::UnsupportedParameterRef(reference.clone()))?;
            match openapi
                .components
                .as_ref()
                .and_then(|c| c.parameters.get(name))
            {
                Some(ReferenceOr::Item(p)) => Ok(p.clone()),
                _ => Err(OperationError::UnresolvedParameterRef(reference.clone())),
            }
        }
    }
}

fn location_word(p: &Parameter) -> &'static str {
    match p {
        Parameter::Path { .. } => "path",
        Parameter::Query { .. } => "query",
        Parameter::Header { .. } => "header",
        Parameter::Cookie { .. } => "cookie",
    }
}

/// One parameter as an argument; the `Authorization` header and cookies
/// are not arguments (noted).
pub(super) fn collect_parameter(
    ctx: &SpecContext<'_>,
    param: &Parameter,
    args: &mut Arguments,
    note: &mut impl FnMut(FindingLevel, String),
) -> Result<(), OperationError> {
    let data = param.parameter_data_ref();
    let location = match param {
        Parameter::Path { .. } => ParamLocation::Path,
        Parameter::Query { .. } => ParamLocation::Query,
        Parameter::Header { .. } if data.name.eq_ignore_ascii_case("authorization") => {
            note(
                FindingLevel::Info,
                "header parameter `Authorization` is not an argument: the server authenticates"
                    .into(),
            );
            return Ok(());
        }
        Parameter::Header { .. } => ParamLocation::Header,
        Parameter::Cookie { .. } => {
            note(
                FindingLevel::Warning,
                format!("cookie parameter `{}` is not supported", data.name),
            );
            return Ok(());
        }
    };
    let raw = match &data.format {
        ParameterSchemaOrContent::Schema(s) => serde_json::to_value(s)?,
        ParameterSchemaOrContent::Content(_) => Value::Object(Map::new()),
    };
    let mut schema =
        ctx.resolver
            .to_json_schema(&raw)
            .map_err(|error| OperationError::Parameter {
                name: data.name.clone(),
                error,
            })?;
    if let Some(desc) = data.description.as_deref().map(text::clean)
        && !desc.is_empty()
    {
        set_description(&mut schema, desc);
    }
    let required = location == ParamLocation::Path || data.required;
    args.push(note, &data.name, location, schema, required);
    Ok(())
}

/// What the request body gives besides its arguments.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct BodyInputs {
    /// How the body is encoded.
    pub encoding: BodyEncoding,
    /// For each required file of a multipart body, its two arguments (text
    /// and base64), of which a call gives one.
    pub file_groups: Vec<Vec<String>>,
}

/// Extension on a multipart file property: the body field whose value's
/// last `/`-separated segment names the file.
const FILENAME_FROM: &str = "x-twilio-mcp-filename-from";

/// The request body's arguments (one per property of a form, multipart or
/// JSON object, or one for a whole free-form JSON body) and its encoding.
pub(super) fn collect_body(
    ctx: &SpecContext<'_>,
    body: &ReferenceOr<RequestBody>,
    args: &mut Arguments,
    note: &mut impl FnMut(FindingLevel, String),
) -> Result<BodyInputs, OperationError> {
    let ReferenceOr::Item(body) = body else {
        return Err(OperationError::BodyRef);
    };
    let (encoding, media) = if let Some(m) = body.content.get("application/x-www-form-urlencoded") {
        (BodyEncoding::Form, m)
    } else if let Some(m) = body.content.get("application/json") {
        (BodyEncoding::Json, m)
    } else if let Some((ct, m)) = body.content.iter().find(|(ct, _)| ct.ends_with("+json")) {
        note(
            FindingLevel::Info,
            format!("request body `{ct}` is sent as application/json"),
        );
        (BodyEncoding::Json, m)
    } else if let Some(m) = body.content.get("multipart/form-data") {
        (BodyEncoding::Multipart, m)
    } else {
        let types = body.content.keys().cloned().collect();
        return Err(OperationError::BodyTypes(types));
    };
    let raw = match &media.schema {
        Some(s) => serde_json::to_value(s)?,
        None => Value::Object(Map::new()),
    };
    let schema = ctx
        .resolver
        .to_json_schema(&raw)
        .map_err(OperationError::Body)?;
    let properties = schema.get("properties").and_then(Value::as_object);
    let required: HashSet<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut inputs = BodyInputs {
        encoding,
        file_groups: Vec::new(),
    };
    match properties {
        Some(props) if !props.is_empty() => {
            let location = match encoding {
                BodyEncoding::Form | BodyEncoding::Multipart => ParamLocation::Form,
                _ => ParamLocation::Json,
            };
            let mut files = Vec::new();
            for (name, prop) in props {
                if encoding == BodyEncoding::Multipart && is_binary(prop) {
                    // After the text fields, whose names a file may take.
                    files.push((name, prop));
                    continue;
                }
                let required = required.contains(name.as_str());
                args.push(note, name, location, prop.clone(), required);
            }
            for (name, prop) in files {
                let raw_prop = raw.pointer(&format!("/properties/{}", pointer_escape(name)));
                let content_type = media
                    .encoding
                    .get(name.as_str())
                    .and_then(|e| e.content_type.clone());
                let group = collect_file(args, note, name, prop, raw_prop, content_type)?;
                if required.contains(name.as_str()) {
                    inputs.file_groups.push(group);
                }
            }
        }
        _ if encoding != BodyEncoding::Json => {}
        _ => {
            // A free-form or non-object JSON body: one argument carries it whole.
            let mut whole = schema.clone();
            if whole.get("description").is_none() {
                set_description(&mut whole, "The JSON request body.".into());
            }
            args.push(
                note,
                "RequestBody",
                ParamLocation::JsonBody,
                whole,
                body.required,
            );
        }
    }
    Ok(inputs)
}

/// `type: string, format: binary`: a file, in OpenAPI 3.0's words.
fn is_binary(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("string")
        && schema.get("format").and_then(Value::as_str) == Some("binary")
}

/// `a/b~c` as one JSON pointer token (`a~1b~0c`).
fn pointer_escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// A multipart file property `name` as its two arguments: `<name>` carries
/// the file as text, `<name>Base64` as base64; both go out as the part
/// `name`. Returns their argument names.
fn collect_file(
    args: &mut Arguments,
    note: &mut impl FnMut(FindingLevel, String),
    name: &str,
    prop: &Value,
    raw_prop: Option<&Value>,
    content_type: Option<String>,
) -> Result<Vec<String>, OperationError> {
    let name_from = match raw_prop
        .and_then(|p| p.get(FILENAME_FROM))
        .map(|v| v.as_str().ok_or(v))
    {
        None => None,
        Some(Ok(field)) => Some(
            args.body_field(field)
                .ok_or_else(|| OperationError::FileNameFrom {
                    file: name.to_string(),
                    field: field.to_string(),
                })?
                .to_string(),
        ),
        Some(Err(other)) => {
            return Err(OperationError::FileNameFrom {
                file: name.to_string(),
                field: other.to_string(),
            });
        }
    };
    let max_bytes = prop.get("maxLength").and_then(Value::as_u64);
    let what = prop
        .get("description")
        .and_then(Value::as_str)
        .map(|d| d.trim().trim_end_matches('.').to_string())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "The file".to_string());
    let limit = max_bytes.map(size_sentence).unwrap_or_default();
    let text_arg = args.push(
        note,
        name,
        ParamLocation::File,
        serde_json::json!({"type": "string", "description": format!("{what}, as text.{limit}")}),
        false,
    );
    let base64_arg = args.push_suffixed(
        note,
        name,
        "Base64",
        ParamLocation::File,
        serde_json::json!({"type": "string", "description":
            format!("{what}, base64-encoded (for a binary file), instead of {text_arg}.{limit}")}),
        false,
    );
    note(
        FindingLevel::Info,
        format!("file `{name}` is given as `{text_arg}` (text) or `{base64_arg}` (base64)"),
    );
    for (arg, encoding) in [
        (&text_arg, FileEncoding::Text),
        (&base64_arg, FileEncoding::Base64),
    ] {
        args.set_file(
            arg,
            FileDef {
                encoding,
                name_from: name_from.clone(),
                content_type: content_type.clone(),
                max_bytes,
            },
        );
    }
    Ok(vec![text_arg, base64_arg])
}

/// " At most 25 MiB." for a size limit in bytes.
fn size_sentence(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!(" At most {} MiB.", bytes / MIB)
    } else {
        format!(" At most {bytes} bytes.")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{spec, with_operation};
    use super::*;
    use crate::model::ParamDef;

    type Notes = Vec<(FindingLevel, String)>;

    /// The arguments an operation's inputs give, and the notes.
    fn collect(doc: &Value) -> (Result<Vec<ParamDef>, String>, Notes) {
        let mut notes = Vec::new();
        let params = with_operation(doc, |ctx, at| {
            let mut note = |level, message| notes.push((level, message));
            let mut args = Arguments::default();
            for param in merged_parameters(ctx, at)? {
                collect_parameter(ctx, &param, &mut args, &mut note)?;
            }
            if let Some(body) = &at.op.request_body {
                collect_body(ctx, body, &mut args, &mut note)?;
            }
            Ok::<_, OperationError>(args.into_parts().0)
        });
        (params.map_err(|e| e.to_string()), notes)
    }

    fn shape(params: &[ParamDef]) -> Vec<(&str, ParamLocation, bool)> {
        params
            .iter()
            .map(|p| (p.name.as_str(), p.location, p.required))
            .collect()
    }

    fn string_param(name: &str, location: &str) -> Value {
        json!({"name": name, "in": location, "schema": {"type": "string"}})
    }

    #[test]
    fn operation_parameters_override_the_path_items_and_path_ones_come_first() {
        let mut doc = spec(
            "/v1/{Owner}/Things/{Sid}",
            "get",
            json!({"operationId": "FetchThing", "parameters": [
                {"name": "To", "in": "query", "description": "The operation's.", "schema": {"type": "string"}},
                string_param("Sid", "path"),
            ]}),
            json!({}),
        );
        doc["paths"]["/v1/{Owner}/Things/{Sid}"]["parameters"] = json!([
            {"name": "To", "in": "query", "description": "The path item's.", "schema": {"type": "string"}},
            string_param("To", "header"),
            string_param("Owner", "path"),
        ]);
        let params = collect(&doc).0.expect("arguments");
        use ParamLocation::*;
        assert_eq!(
            shape(&params),
            [
                ("Owner", Path, true),
                ("Sid", Path, true),
                ("To", Query, false),
                // Same name, other location: a second argument.
                ("HeaderTo", Header, false),
            ]
        );
        assert_eq!(params[2].description, "The operation's.");
    }

    #[test]
    fn parameter_refs_resolve_to_components() {
        let extra = json!({"components": {"parameters": {"PageSize": {
            "name": "PageSize", "in": "query", "schema": {"type": "integer"}}}}});
        let op = |reference: &str| json!({"operationId": "ListThing", "parameters": [{"$ref": reference}]});
        let doc = spec(
            "/v1/Things",
            "get",
            op("#/components/parameters/PageSize"),
            extra.clone(),
        );
        let params = collect(&doc).0.expect("arguments");
        assert_eq!(shape(&params), [("PageSize", ParamLocation::Query, false)]);
        assert_eq!(params[0].kind, crate::model::ValueKind::Integer);
        let missing = spec(
            "/v1/Things",
            "get",
            op("#/components/parameters/Nope"),
            extra.clone(),
        );
        assert_eq!(
            collect(&missing).0.expect_err("unresolved"),
            "unresolved parameter $ref `#/components/parameters/Nope`"
        );
        let elsewhere = spec("/v1/Things", "get", op("other.json#/PageSize"), extra);
        assert_eq!(
            collect(&elsewhere).0.expect_err("unsupported"),
            "unsupported parameter $ref `other.json#/PageSize`"
        );
    }

    #[test]
    fn authorization_headers_and_cookies_are_not_arguments() {
        let doc = spec(
            "/v1/Things",
            "get",
            json!({"operationId": "ListThing", "parameters": [
                string_param("authorization", "header"),
                string_param("Session", "cookie"),
                string_param("Flex-Metadata", "header"),
            ]}),
            json!({}),
        );
        let (params, notes) = collect(&doc);
        let params = params.expect("arguments");
        assert_eq!(
            shape(&params),
            [("Flex-Metadata", ParamLocation::Header, false)]
        );
        assert_eq!(
            notes,
            [
                (
                    FindingLevel::Info,
                    "header parameter `Authorization` is not an argument: the server authenticates"
                        .to_string()
                ),
                (
                    FindingLevel::Warning,
                    "cookie parameter `Session` is not supported".to_string()
                ),
            ]
        );
    }

    #[test]
    fn descriptions_are_cleaned_and_bad_schemas_named() {
        let doc = spec(
            "/v1/Things",
            "get",
            json!({"operationId": "ListThing", "parameters": [
                {"name": "To", "in": "query", "description": "The <b>number</b>.", "schema": {"type": "string"}},
            ]}),
            json!({}),
        );
        assert_eq!(
            collect(&doc).0.expect("arguments")[0].description,
            "The number."
        );
        let bad = spec(
            "/v1/Things",
            "get",
            json!({"operationId": "ListThing", "parameters": [
                {"name": "To", "in": "query", "schema": {"$ref": "#/components/schemas/missing"}},
            ]}),
            json!({}),
        );
        assert_eq!(
            collect(&bad).0.expect_err("unresolved"),
            "parameter `To`: unresolved $ref `#/components/schemas/missing`"
        );
    }

    fn with_body(content: Value) -> Value {
        spec(
            "/v1/Things",
            "post",
            json!({"operationId": "CreateThing", "requestBody": {"content": content}}),
            json!({}),
        )
    }

    #[test]
    fn form_and_json_bodies_give_one_argument_per_property() {
        let object = json!({"schema": {"type": "object", "required": ["To"],
            "properties": {"To": {"type": "string"}, "Body": {"type": "string"}}}});
        use ParamLocation::*;
        let form = with_body(json!({"application/x-www-form-urlencoded": object.clone()}));
        assert_eq!(
            shape(&collect(&form).0.expect("arguments")),
            [("To", Form, true), ("Body", Form, false)]
        );
        let json_body = with_body(json!({"application/json": object.clone()}));
        assert_eq!(
            shape(&collect(&json_body).0.expect("arguments")),
            [("To", Json, true), ("Body", Json, false)]
        );
        // Form wins when both are offered.
        let both = with_body(json!({"application/json": object.clone(),
                                    "application/x-www-form-urlencoded": object.clone()}));
        assert_eq!(collect(&both).0.expect("arguments")[0].location, Form);
        // A +json type is sent as JSON, and says so.
        let scim = with_body(json!({"application/scim+json": object}));
        let (params, notes) = collect(&scim);
        assert_eq!(params.expect("arguments")[0].location, Json);
        assert_eq!(
            notes,
            [(
                FindingLevel::Info,
                "request body `application/scim+json` is sent as application/json".to_string()
            )]
        );
    }

    #[test]
    fn a_free_form_json_body_is_one_argument() {
        let doc = with_body(json!({"application/json": {"schema": {"type": "object"}}}));
        let params = collect(&doc).0.expect("arguments");
        assert_eq!(
            shape(&params),
            [("RequestBody", ParamLocation::JsonBody, false)]
        );
        assert_eq!(params[0].description, "The JSON request body.");
        // A form body without properties has no arguments.
        let form =
            with_body(json!({"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}));
        assert!(collect(&form).0.expect("arguments").is_empty());
    }

    #[test]
    fn unsupported_bodies_are_errors() {
        let xml = with_body(json!({"application/xml": {}}));
        assert_eq!(
            collect(&xml).0.expect_err("unsupported"),
            "unsupported request body types [\"application/xml\"]"
        );
        let reference = spec(
            "/v1/Things",
            "post",
            json!({"operationId": "CreateThing",
                   "requestBody": {"$ref": "#/components/requestBodies/Thing"}}),
            json!({}),
        );
        assert_eq!(
            collect(&reference).0.expect_err("a $ref"),
            "requestBody $ref is not supported"
        );
    }
}
