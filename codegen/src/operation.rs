//! One OpenAPI operation → one [`ToolDef`].

use std::collections::HashSet;

use openapiv3::{
    OpenAPI, Operation, Parameter, ParameterSchemaOrContent, PathItem, ReferenceOr, RequestBody,
    SecurityScheme,
};
use serde_json::{Map, Value};

use crate::model::{
    Annotations, AuthScheme, BodyEncoding, FIELDS_ARG, Finding, FindingLevel, HttpMethod, ParamDef,
    ParamLocation, ToolDef,
};
use crate::naming;
use crate::schema::{self, Resolver};
use crate::text;

/// Path parameter the server fills from its configured account SID.
const ACCOUNT_SID: &str = "AccountSid";

/// What every operation of one spec file shares.
pub struct SpecContext<'a> {
    pub stem: &'a str,
    pub prefix: &'a str,
    pub openapi: &'a OpenAPI,
    pub resolver: Resolver<'a>,
}

/// An operation, located in its spec.
pub struct OperationRef<'a> {
    pub path: &'a str,
    pub item: &'a PathItem,
    pub method: HttpMethod,
    pub op: &'a Operation,
}

/// Builds the tool for one operation. Findings (renamed or hidden
/// parameters, unmatched conditionals) are pushed to `findings`.
pub fn build_tool(
    ctx: &SpecContext<'_>,
    at: &OperationRef<'_>,
    findings: &mut Vec<Finding>,
) -> Result<ToolDef, String> {
    let operation_id = at
        .op
        .operation_id
        .clone()
        .ok_or_else(|| format!("{} {} has no operationId", at.method.as_str(), at.path))?;
    let name = naming::tool_name(ctx.prefix, &operation_id);
    let mut note = |level, message: String| {
        findings.push(Finding {
            level,
            spec: ctx.stem.to_string(),
            operation: Some(name.clone()),
            message,
        })
    };

    let mut args = Args::default();
    for param in merged_parameters(ctx, at)? {
        collect_parameter(ctx, &param, &mut args, &mut note)?;
    }
    let body = match &at.op.request_body {
        Some(body) => collect_body(ctx, body, &mut args, &mut note)?,
        None => BodyEncoding::None,
    };
    let Args {
        params, schemas, ..
    } = args;

    let at_least_one_of = conditionals(at.op, &params, &mut note);
    let default_output =
        string_array(x_twilio(&at.item.extensions).and_then(|x| x.get("defaultOutputProperties")));

    let input_schema = input_schema(
        &params,
        schemas,
        &at_least_one_of,
        at.method.returns_resource(),
        &default_output,
    )?;
    let title = title(ctx.prefix, &operation_id);
    let description = description(at.op, &operation_id, &at_least_one_of);

    Ok(ToolDef {
        name,
        title,
        description,
        spec: ctx.stem.to_string(),
        tag: at
            .op
            .tags
            .first()
            .cloned()
            // Untagged operations are grouped under the product's prefix.
            .unwrap_or_else(|| ctx.prefix.to_string()),
        annotations: annotations(&operation_id, at.method),
        operation_id,
        method: at.method,
        server: server_url(ctx.openapi, at)?,
        path: at.path.to_string(),
        params,
        body,
        auth: auth_scheme(ctx.openapi, at.op),
        at_least_one_of,
        default_output,
        input_schema,
    })
}

/// Path-item parameters, overridden by operation parameters of the same
/// name and location, with `$ref`s to `components/parameters` resolved.
fn merged_parameters(
    ctx: &SpecContext<'_>,
    at: &OperationRef<'_>,
) -> Result<Vec<Parameter>, String> {
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

fn resolve_parameter(openapi: &OpenAPI, p: &ReferenceOr<Parameter>) -> Result<Parameter, String> {
    match p {
        ReferenceOr::Item(p) => Ok(p.clone()),
        ReferenceOr::Reference { reference } => {
            let name = reference
                .strip_prefix("#/components/parameters/")
                .ok_or_else(|| format!("unsupported parameter $ref `{reference}`"))?;
            match openapi
                .components
                .as_ref()
                .and_then(|c| c.parameters.get(name))
            {
                Some(ReferenceOr::Item(p)) => Ok(p.clone()),
                _ => Err(format!("unresolved parameter $ref `{reference}`")),
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

fn collect_parameter(
    ctx: &SpecContext<'_>,
    param: &Parameter,
    args: &mut Args,
    note: &mut impl FnMut(FindingLevel, String),
) -> Result<(), String> {
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
        ParameterSchemaOrContent::Schema(s) => {
            serde_json::to_value(s).map_err(|e| e.to_string())?
        }
        ParameterSchemaOrContent::Content(_) => Value::Object(Map::new()),
    };
    let mut schema = ctx
        .resolver
        .to_json_schema(&raw)
        .map_err(|e| format!("parameter `{}`: {e}", data.name))?;
    if let Some(desc) = data.description.as_deref().map(text::clean)
        && !desc.is_empty()
    {
        set_description(&mut schema, desc);
    }
    let required = location == ParamLocation::Path || data.required;
    args.push(note, &data.name, location, schema, required);
    Ok(())
}

fn collect_body(
    ctx: &SpecContext<'_>,
    body: &ReferenceOr<RequestBody>,
    args: &mut Args,
    note: &mut impl FnMut(FindingLevel, String),
) -> Result<BodyEncoding, String> {
    let ReferenceOr::Item(body) = body else {
        return Err("requestBody $ref is not supported".into());
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
    } else {
        let types: Vec<_> = body.content.keys().cloned().collect();
        return Err(format!("unsupported request body types {types:?}"));
    };
    let raw = match &media.schema {
        Some(s) => serde_json::to_value(s).map_err(|e| e.to_string())?,
        None => Value::Object(Map::new()),
    };
    let schema = ctx
        .resolver
        .to_json_schema(&raw)
        .map_err(|e| format!("request body: {e}"))?;
    let properties = schema.get("properties").and_then(Value::as_object);
    let required: HashSet<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match properties {
        Some(props) if !props.is_empty() => {
            let location = match encoding {
                BodyEncoding::Form => ParamLocation::Form,
                _ => ParamLocation::Json,
            };
            for (name, prop) in props {
                let required = required.contains(name.as_str());
                args.push(note, name, location, prop.clone(), required);
            }
        }
        _ if encoding == BodyEncoding::Form => {}
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
    Ok(encoding)
}

/// The arguments of one tool as they are collected: definitions, their
/// converted schemas (same order) and the names taken so far.
struct Args {
    params: Vec<ParamDef>,
    schemas: Vec<Value>,
    names: HashSet<String>,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            params: Vec::new(),
            schemas: Vec::new(),
            // Reserved for the server's own argument.
            names: HashSet::from([FIELDS_ARG.to_string()]),
        }
    }
}

impl Args {
    /// Adds one argument, giving it a safe and unique name.
    fn push(
        &mut self,
        note: &mut impl FnMut(FindingLevel, String),
        wire: &str,
        location: ParamLocation,
        schema: Value,
        required: bool,
    ) {
        let mut name = naming::safe_arg_name(wire);
        let mut schema = schema;
        if name != wire {
            note(
                FindingLevel::Info,
                format!("parameter `{wire}` is exposed as `{name}`"),
            );
            if let Some(desc) = naming::inequality_description(wire) {
                // Twilio repeats the base filter's long description on the
                // `<`/`>` variants; say what this one does instead.
                set_description(&mut schema, desc);
            }
        }
        if self.names.contains(&name) {
            let renamed = format!("{}{name}", location_prefix(location));
            note(
                FindingLevel::Info,
                format!(
                    "{} parameter `{wire}` is exposed as `{renamed}`: `{name}` is taken",
                    location_prefix(location).to_lowercase()
                ),
            );
            name = renamed;
        }
        let base = name.clone();
        let mut n = 2;
        while self.names.contains(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        self.names.insert(name.clone());
        // The account SID in the path, or a required one elsewhere (IamV1
        // keys); not a renamed body field (`BodyAccountSid`, the account a
        // number is transferred to), which must stay the caller's.
        let from_config = wire == ACCOUNT_SID
            && name == ACCOUNT_SID
            && (location == ParamLocation::Path || required);
        self.params.push(ParamDef {
            kind: schema::kind_of(&schema),
            format: schema
                .get("format")
                .and_then(Value::as_str)
                .map(str::to_string),
            enum_values: schema
                .get("enum")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            default: schema.get("default").map(Value::to_string),
            pattern: schema
                .get("pattern")
                .and_then(Value::as_str)
                .filter(|p| is_sid_pattern(p))
                .map(str::to_string),
            description: schema
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            name,
            wire_name: wire.to_string(),
            location,
            required,
            from_config,
        });
        self.schemas.push(schema);
    }
}

/// `^AC[0-9a-fA-F]{32}$`, or `^(SM|MM)[0-9a-fA-F]{32}$`: two capital
/// letters (or a choice of them) and 32 hex digits.
fn is_sid_pattern(pattern: &str) -> bool {
    let two_capitals = |p: &str| p.len() == 2 && p.chars().all(|c| c.is_ascii_uppercase());
    pattern
        .strip_prefix('^')
        .and_then(|p| p.strip_suffix("[0-9a-fA-F]{32}$"))
        .is_some_and(|prefix| {
            two_capitals(prefix)
                || prefix
                    .strip_prefix('(')
                    .and_then(|p| p.strip_suffix(')'))
                    .is_some_and(|choices| choices.split('|').all(two_capitals))
        })
}

/// Characters in a Twilio SID: two letters and 32 hex digits.
const SID_LENGTH: u64 = 34;

fn location_prefix(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Path => "Path",
        ParamLocation::Query => "Query",
        ParamLocation::Header => "Header",
        ParamLocation::Form | ParamLocation::Json | ParamLocation::JsonBody => "Body",
    }
}

fn set_description(schema: &mut Value, desc: String) {
    if let Value::Object(obj) = schema {
        obj.insert("description".into(), Value::String(desc));
    }
}

/// The tool's input schema: one property per argument, path ones required
/// (except the account SID the server fills), plus `fields`.
fn input_schema(
    params: &[ParamDef],
    schemas: Vec<Value>,
    at_least_one_of: &[Vec<String>],
    returns_resource: bool,
    default_output: &[String],
) -> Result<String, String> {
    let mut properties = Map::new();
    let mut required = Vec::new();
    let arg_names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
    for (param, mut schema) in params.iter().zip(schemas) {
        let name = param.name.clone();
        condense_descriptions(&mut schema, &arg_names);
        for group in at_least_one_of.iter().filter(|g| g.contains(&name)) {
            drop_group_restatement(&mut schema, group);
        }
        shorten_long_enum(&mut schema);
        if param.pattern.is_some()
            && let Value::Object(obj) = &mut schema
        {
            // The SID's shape is checked by the server (`ParamDef::pattern`);
            // the name and description already tell a model what to pass.
            // So are the 34-character lengths the pattern implies.
            obj.remove("pattern");
            for length in ["minLength", "maxLength"] {
                if obj.get(length).and_then(Value::as_u64) == Some(SID_LENGTH) {
                    obj.remove(length);
                }
            }
        }
        if param.from_config {
            // Optional, and the server's instructions say it is filled in:
            // a description on every tool would repeat that at a cost.
            if let Value::Object(obj) = &mut schema {
                obj.remove("description");
            }
        } else if param.required {
            required.push(Value::String(name.clone()));
        }
        properties.insert(name, schema);
    }
    if returns_resource {
        let desc = if default_output.is_empty() {
            "Fields to return; default all.".to_string()
        } else {
            format!(
                "Fields to return; default {}; [\"*\"]: all.",
                default_output.join(",")
            )
        };
        properties.insert(
            FIELDS_ARG.into(),
            serde_json::json!({"type": "array", "items": {"type": "string"}, "description": desc}),
        );
    }
    let mut schema = Map::new();
    schema.insert("type".into(), "object".into());
    schema.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), Value::Array(required));
    }
    // No `additionalProperties: false`: some clients (Gemini's function
    // declarations) reject the keyword, and the server refuses unknown
    // arguments itself, naming the valid ones.
    serde_json::to_string(&Value::Object(schema)).map_err(|e| e.to_string())
}

/// "You must provide an AreaCode or a PhoneNumber.": the tool description
/// states each "at least one of" rule once; sentences after the first that
/// name every argument of the group say it again.
fn drop_group_restatement(schema: &mut Value, group: &[String]) {
    let Some(Value::String(desc)) = schema.get_mut("description") else {
        return;
    };
    let sentences = text::sentences(desc);
    let kept: Vec<&String> = sentences
        .iter()
        .enumerate()
        .filter(|(i, s)| *i == 0 || !group.iter().all(|name| text::contains_words(s, name)))
        .map(|(_, s)| s)
        .collect();
    if kept.len() < sentences.len() {
        *desc = kept
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ");
    }
}

/// Most enum values listed in a served input schema.
const MAX_SERVED_ENUM: usize = 40;

/// Usage categories and the like (hundreds of values, repeated on every
/// Usage tool) would cost more tokens than the rest of the tool: the served
/// schema names a few and the count, and the server still checks the whole
/// list (`ParamDef::enum_values`).
fn shorten_long_enum(schema: &mut Value) {
    let Value::Object(obj) = schema else { return };
    let Some(Value::Array(values)) = obj.get("enum") else {
        return;
    };
    if values.len() <= MAX_SERVED_ENUM {
        return;
    }
    let examples: Vec<String> = values
        .iter()
        .take(8)
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        .collect();
    let note = format!(
        "One of {} values (checked by the server), e.g. {}.",
        values.len(),
        examples.join(", ")
    );
    obj.remove("enum");
    let desc = match obj.get("description").and_then(Value::as_str) {
        Some(d) => format!("{} {note}", text::sentence(d)),
        None => note,
    };
    obj.insert("description".into(), Value::String(desc));
}

/// Condenses every description in a converted schema (see
/// [`text::condense`]); a default stated only in prose moves to `default`.
/// `arg_names` are the tool's arguments, for the top level; nested
/// descriptions refer to JSON fields and get none.
fn condense_descriptions(schema: &mut Value, arg_names: &[&str]) {
    let Value::Object(obj) = schema else { return };
    if let Some(desc) = obj.get("description").and_then(Value::as_str) {
        let enum_values = string_array(obj.get("enum"));
        let known = text::Known {
            enum_values: &enum_values,
            is_boolean: obj.get("type").and_then(Value::as_str) == Some("boolean"),
            is_integer: obj.get("type").and_then(Value::as_str) == Some("integer"),
            has_default: obj.contains_key("default"),
            is_date: matches!(
                obj.get("format").and_then(Value::as_str),
                Some("date-time" | "date")
            ),
        };
        let condensed = text::condense(desc, arg_names, known);
        if let Some(default) = condensed
            .default
            .and_then(|d| serde_json::from_str(&d).ok())
        {
            obj.insert("default".into(), default);
        }
        if condensed.text.is_empty() {
            obj.remove("description");
        } else {
            obj.insert("description".into(), Value::String(condensed.text));
        }
    }
    // An enum already says what `format: http-method` would.
    if obj.contains_key("enum") && obj.get("format").and_then(Value::as_str) == Some("http-method")
    {
        obj.remove("format");
    }
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        for prop in props.values_mut() {
            condense_descriptions(prop, &[]);
        }
    }
    if let Some(items) = obj.get_mut("items") {
        condense_descriptions(items, &[]);
    }
}

/// The strings of a JSON array (other items skipped); empty when absent.
fn string_array(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn x_twilio(extensions: &indexmap::IndexMap<String, Value>) -> Option<&Value> {
    extensions.get("x-twilio")
}

/// `x-twilio.conditional` groups, mapped from Twilio's snake_case names to
/// argument names.
fn conditionals(
    op: &Operation,
    params: &[ParamDef],
    note: &mut impl FnMut(FindingLevel, String),
) -> Vec<Vec<String>> {
    let Some(groups) = x_twilio(&op.extensions)
        .and_then(|x| x.get("conditional"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for group in groups.iter().filter_map(Value::as_array) {
        let mut names = Vec::new();
        for key in group.iter().filter_map(Value::as_str) {
            let loose = naming::loose_key(key);
            match params
                .iter()
                .find(|p| naming::loose_key(&p.wire_name) == loose)
            {
                Some(p) => names.push(p.name.clone()),
                None => note(
                    FindingLevel::Warning,
                    format!("x-twilio.conditional names `{key}`, which is not a parameter"),
                ),
            }
        }
        if names.len() > 1 {
            out.push(names);
        }
    }
    out
}

/// Annotations from Twilio's operation naming: `List`/`Fetch` read,
/// `Create` adds, `Update`/`Delete` change or remove what exists.
///
/// Only reads and deletes are marked idempotent: an `Update` can have side
/// effects on repetition (re-redirecting a live call), which MCP's
/// idempotentHint ("no additional effect") rules out. PUT is idempotent by
/// HTTP semantics.
fn annotations(operation_id: &str, method: HttpMethod) -> Annotations {
    let verb = operation_id
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_uppercase())
        .map_or(operation_id, |(i, _)| &operation_id[..i]);
    let read_only = method == HttpMethod::Get;
    let destructive = match verb {
        "Create" => false,
        "Update" | "Delete" => true,
        _ => matches!(
            method,
            HttpMethod::Delete | HttpMethod::Put | HttpMethod::Patch
        ),
    };
    Annotations {
        read_only,
        destructive: destructive && !read_only,
        idempotent: matches!(
            method,
            HttpMethod::Get | HttpMethod::Delete | HttpMethod::Put
        ),
        open_world: true,
    }
}

/// A display name from the operationId, which Twilio writes as verb and
/// resource, and the product (`CreateService` in chat_v1 → "Create Service
/// (ChatV1)"): short and uniform, where summaries run to whole sentences
/// that the description repeats, and distinct where an operationId recurs
/// across products.
fn title(prefix: &str, operation_id: &str) -> String {
    format!("{} ({prefix})", text::split_camel(operation_id))
}

/// The operation's description, else its summary, else its operationId in
/// words; then one sentence per "at least one of" group.
fn description(op: &Operation, operation_id: &str, at_least_one_of: &[Vec<String>]) -> String {
    let body = op
        .description
        .as_deref()
        .map(text::clean)
        .filter(|d| !d.is_empty())
        .or_else(|| op.summary.as_deref().map(text::clean))
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| text::split_camel(operation_id));
    let mut out = text::tool_description(&body);
    for group in at_least_one_of {
        out.push_str(&format!(" Give at least one of: {}.", group.join(", ")));
    }
    out
}

/// Base URL: the operation's `servers` win over the path item's, which win
/// over the root's (OpenAPI 3.0, Operation Object `servers`).
fn server_url(openapi: &OpenAPI, at: &OperationRef<'_>) -> Result<String, String> {
    at.op
        .servers
        .first()
        .or_else(|| at.item.servers.first())
        .or_else(|| openapi.servers.first())
        .map(|s| s.url.trim_end_matches('/').to_string())
        .ok_or_else(|| "no server URL in the spec".to_string())
}

fn auth_scheme(openapi: &OpenAPI, op: &Operation) -> AuthScheme {
    let requirements = op.security.as_ref().or(openapi.security.as_ref());
    let Some(requirements) = requirements else {
        return AuthScheme::None;
    };
    let schemes = openapi.components.as_ref().map(|c| &c.security_schemes);
    let mut found = AuthScheme::None;
    for name in requirements.iter().flat_map(|r| r.keys()) {
        match schemes.and_then(|s| s.get(name)) {
            Some(ReferenceOr::Item(SecurityScheme::HTTP { scheme, .. }))
                if scheme.eq_ignore_ascii_case("basic") =>
            {
                return AuthScheme::Basic;
            }
            Some(ReferenceOr::Item(SecurityScheme::OAuth2 { .. })) => found = AuthScheme::OAuth2,
            _ => {}
        }
    }
    found
}
