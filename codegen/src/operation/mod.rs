//! One OpenAPI operation → one [`ToolDef`].
//!
//! [`build_tool`] runs the steps in order, each in its own module:
//!
//! 1. [`inputs`]: the operation's parameters and request body, `$ref`s
//!    resolved, each schema converted to JSON Schema;
//! 2. [`arguments`]: each becomes an argument with a safe, unique name
//!    (the account SID marked as filled from configuration);
//! 3. `x-twilio` rules ("at least one of" groups, default output fields),
//!    read here;
//! 4. [`served_schema`]: the input schema clients are served, condensed to
//!    save tokens;
//! 5. [`describe`]: title, description and annotations;
//! 6. the endpoint (server URL, auth scheme), read here.

mod arguments;
mod describe;
mod inputs;
mod served_schema;

use openapiv3::{OpenAPI, Operation, PathItem, ReferenceOr, SecurityScheme};
use serde_json::Value;

use crate::error::OperationError;
use crate::model::{
    AuthScheme, BodyEncoding, Finding, FindingLevel, HttpMethod, ParamDef, ToolDef,
};
use crate::naming;
use crate::schema::{Resolver, string_array};

use arguments::Arguments;

/// What every operation of one spec file shares.
pub struct SpecContext<'a> {
    /// Spec file stem, e.g. `twilio_api_v2010`.
    pub stem: &'a str,
    /// Tool-name prefix, e.g. `ApiV2010`.
    pub prefix: &'a str,
    /// The whole document.
    pub openapi: &'a OpenAPI,
    /// Its `components/schemas`, for `$ref`s.
    pub resolver: Resolver<'a>,
}

/// An operation, located in its spec.
pub struct OperationRef<'a> {
    /// Path template.
    pub path: &'a str,
    /// The path item the operation belongs to.
    pub item: &'a PathItem,
    /// Its method.
    pub method: HttpMethod,
    /// The operation.
    pub op: &'a Operation,
}

/// The operations of a path item, in the order their tools are listed.
pub fn operations(item: &PathItem) -> impl Iterator<Item = (HttpMethod, &Operation)> {
    [
        (HttpMethod::Get, &item.get),
        (HttpMethod::Post, &item.post),
        (HttpMethod::Put, &item.put),
        (HttpMethod::Patch, &item.patch),
        (HttpMethod::Delete, &item.delete),
    ]
    .into_iter()
    .filter_map(|(method, op)| Some((method, op.as_ref()?)))
}

/// Builds the tool for one operation. Findings (renamed or hidden
/// parameters, unmatched conditionals) are pushed to `findings`.
pub fn build_tool(
    ctx: &SpecContext<'_>,
    at: &OperationRef<'_>,
    findings: &mut Vec<Finding>,
) -> Result<ToolDef, OperationError> {
    let operation_id = at
        .op
        .operation_id
        .clone()
        .ok_or_else(|| OperationError::NoOperationId {
            method: at.method,
            path: at.path.to_string(),
        })?;
    let name = naming::tool_name(ctx.prefix, &operation_id);
    let mut note = |level, message: String| {
        findings.push(Finding {
            level,
            spec: ctx.stem.to_string(),
            operation: Some(name.clone()),
            message,
        })
    };

    let mut args = Arguments::default();
    for param in inputs::merged_parameters(ctx, at)? {
        inputs::collect_parameter(ctx, &param, &mut args, &mut note)?;
    }
    let body = match &at.op.request_body {
        Some(body) => inputs::collect_body(ctx, body, &mut args, &mut note)?,
        None => inputs::BodyInputs {
            encoding: BodyEncoding::None,
            file_groups: Vec::new(),
        },
    };
    let (params, schemas) = args.into_parts();

    let conditional = conditionals(at.op, &params, &mut note);
    // A required file is given as one of its two arguments (text or base64).
    let at_least_one_of: Vec<Vec<String>> = conditional
        .iter()
        .chain(&body.file_groups)
        .cloned()
        .collect();
    let default_output =
        string_array(x_twilio(&at.item.extensions).and_then(|x| x.get("defaultOutputProperties")));

    let input_schema = served_schema::input_schema(
        &params,
        schemas,
        &at_least_one_of,
        at.method.returns_resource(),
        &default_output,
    )?;
    let title = describe::title(ctx.prefix, &operation_id);
    let description = describe::description(at.op, &operation_id, &conditional, &body.file_groups);

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
        annotations: describe::annotations(&operation_id, at.method),
        operation_id,
        method: at.method,
        server: server_url(ctx.openapi, at)?,
        path: at.path.to_string(),
        params,
        body: body.encoding,
        auth: auth_scheme(ctx.openapi, at.op),
        at_least_one_of,
        default_output,
        input_schema,
    })
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

/// Base URL: the operation's `servers` win over the path item's, which win
/// over the root's (OpenAPI 3.0, Operation Object `servers`).
fn server_url(openapi: &OpenAPI, at: &OperationRef<'_>) -> Result<String, OperationError> {
    at.op
        .servers
        .first()
        .or_else(|| at.item.servers.first())
        .or_else(|| openapi.servers.first())
        .map(|s| s.url.trim_end_matches('/').to_string())
        .ok_or(OperationError::NoServer)
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

/// A one-operation spec document for the unit tests of this module and its
/// children: `op` at `method path` (with empty `responses`), and `extra`
/// merged into the root.
#[cfg(test)]
fn spec(path: &str, method: &str, mut op: Value, extra: Value) -> Value {
    op["responses"] = serde_json::json!({});
    let mut doc = serde_json::json!({
        "openapi": "3.0.1",
        "info": {"title": "Twilio - X", "version": "1"},
        "servers": [{"url": "https://x.twilio.com/"}],
        "paths": {path: {method: op}},
    });
    if let (Value::Object(doc), Value::Object(extra)) = (&mut doc, extra) {
        doc.extend(extra);
    }
    doc
}

/// Runs `f` on the first operation of the first path of `doc`.
#[cfg(test)]
fn with_operation<T>(doc: &Value, f: impl FnOnce(&SpecContext<'_>, &OperationRef<'_>) -> T) -> T {
    let openapi: OpenAPI = serde_json::from_value(doc.clone()).expect("an OpenAPI document");
    let components = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let ctx = SpecContext {
        stem: "twilio_x_v1",
        prefix: "XV1",
        openapi: &openapi,
        resolver: Resolver::new(&components),
    };
    let (path, item) = openapi.paths.paths.iter().next().expect("a path");
    let ReferenceOr::Item(item) = item else {
        panic!("the path is a $ref")
    };
    let (method, op) = operations(item).next().expect("an operation");
    f(
        &ctx,
        &OperationRef {
            path,
            item,
            method,
            op,
        },
    )
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::model::FIELDS_ARG;

    /// The tool (or why not, as the finding says it) and the findings.
    fn build(doc: &Value) -> (Result<ToolDef, String>, Vec<Finding>) {
        let mut findings = Vec::new();
        let tool = with_operation(doc, |ctx, at| build_tool(ctx, at, &mut findings));
        (tool.map_err(|e| e.to_string()), findings)
    }

    fn ok(op: Value) -> ToolDef {
        build(&spec("/v1/Things", "get", op, json!({})))
            .0
            .expect("a tool")
    }

    #[test]
    fn operations_come_in_method_order() {
        let op = |id: &str| json!({"operationId": id, "responses": {}});
        let doc = json!({"get": op("A"), "delete": op("D"), "post": op("B"), "patch": op("C")});
        let item: PathItem = serde_json::from_value(doc).expect("path item");
        let ids: Vec<_> = operations(&item)
            .map(|(m, op)| (m, op.operation_id.as_deref().unwrap_or_default()))
            .collect();
        use HttpMethod::*;
        assert_eq!(ids, [(Get, "A"), (Post, "B"), (Patch, "C"), (Delete, "D")]);
    }

    #[test]
    fn a_tool_without_operation_id_is_an_error() {
        let doc = spec("/v1/Things", "get", json!({}), json!({}));
        assert_eq!(
            build(&doc).0.expect_err("no operationId"),
            "GET /v1/Things has no operationId"
        );
    }

    #[test]
    fn an_untagged_operation_is_grouped_under_the_prefix() {
        let tool = ok(json!({"operationId": "ListThing"}));
        assert_eq!(
            (tool.name.as_str(), tool.tag.as_str()),
            ("XV1_ListThing", "XV1")
        );
        let tagged = ok(json!({"operationId": "ListThing", "tags": ["XV1Thing", "Other"]}));
        assert_eq!(tagged.tag, "XV1Thing");
    }

    #[test]
    fn fields_only_where_a_resource_comes_back() {
        let schema = |method: &str| {
            let doc = spec(
                "/v1/Things/{Sid}",
                method,
                json!({"operationId": "DoThing",
                "parameters": [{"name": "Sid", "in": "path", "required": true, "schema": {"type": "string"}}]}),
                json!({}),
            );
            let tool = build(&doc).0.expect("a tool");
            serde_json::from_str::<Value>(&tool.input_schema).expect("JSON")
        };
        assert!(schema("get")["properties"].get(FIELDS_ARG).is_some());
        assert!(schema("post")["properties"].get(FIELDS_ARG).is_some());
        assert!(schema("delete")["properties"].get(FIELDS_ARG).is_none());
        assert_eq!(schema("delete")["required"], json!(["Sid"]));
    }

    #[test]
    fn servers_nearest_the_operation_win() {
        let op = |servers: Value| json!({"operationId": "FetchThing", "servers": servers});
        assert_eq!(ok(op(json!([]))).server, "https://x.twilio.com");
        assert_eq!(
            ok(op(json!([{"url": "https://op.twilio.com"}]))).server,
            "https://op.twilio.com"
        );
        let mut doc = spec("/v1/Things", "get", op(json!([])), json!({}));
        doc["paths"]["/v1/Things"]["servers"] = json!([{"url": "https://item.twilio.com"}]);
        assert_eq!(
            build(&doc).0.expect("a tool").server,
            "https://item.twilio.com"
        );
        let none = spec("/v1/Things", "get", op(json!([])), json!({"servers": []}));
        assert_eq!(
            build(&none).0.expect_err("no server"),
            "no server URL in the spec"
        );
    }

    #[test]
    fn auth_schemes_from_security_requirements() {
        let schemes = json!({"components": {"securitySchemes": {
            "basic": {"type": "http", "scheme": "basic"},
            "oauth": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "https://x/token", "scopes": {}}}},
        }}});
        let auth = |security: Value, root: Value| {
            let mut extra = schemes.clone();
            extra["security"] = root;
            let doc = spec(
                "/v1/Things",
                "get",
                json!({"operationId": "FetchThing", "security": security}),
                extra,
            );
            build(&doc).0.expect("a tool").auth
        };
        assert_eq!(auth(json!([{"basic": []}]), json!([])), AuthScheme::Basic);
        assert_eq!(auth(json!([{"oauth": []}]), json!([])), AuthScheme::OAuth2);
        // Basic wins wherever it is offered.
        assert_eq!(
            auth(json!([{"oauth": []}, {"basic": []}]), json!([])),
            AuthScheme::Basic
        );
        assert_eq!(auth(json!([{"unknown": []}]), json!([])), AuthScheme::None);
        // An empty requirement list means no authentication.
        assert_eq!(auth(json!([]), json!([{"basic": []}])), AuthScheme::None);
        // No requirement on the operation: the root's apply.
        let mut doc = spec(
            "/v1/Things",
            "get",
            json!({"operationId": "FetchThing"}),
            schemes,
        );
        doc["security"] = json!([{"basic": []}]);
        assert_eq!(build(&doc).0.expect("a tool").auth, AuthScheme::Basic);
    }

    #[test]
    fn conditional_groups_name_arguments() {
        let doc = spec(
            "/v1/Calls",
            "post",
            json!({"operationId": "CreateCall",
                   "x-twilio": {"conditional": [["url", "twiml", "application_sid"], ["from", "nope"]]},
                   "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
                       "type": "object",
                       "properties": {"Url": {"type": "string"}, "Twiml": {"type": "string"},
                                      "ApplicationSid": {"type": "string"}, "From": {"type": "string"}}}}}}}),
            json!({}),
        );
        let (tool, findings) = build(&doc);
        let tool = tool.expect("a tool");
        // A group that names one argument is no rule.
        assert_eq!(tool.at_least_one_of, [["Url", "Twiml", "ApplicationSid"]]);
        assert!(
            tool.description
                .ends_with("Give at least one of: Url, Twiml, ApplicationSid.")
        );
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].level, FindingLevel::Warning);
        assert_eq!(
            findings[0].message,
            "x-twilio.conditional names `nope`, which is not a parameter"
        );
    }

    #[test]
    fn default_output_comes_from_the_path_item() {
        let mut doc = spec(
            "/v1/Things",
            "get",
            json!({"operationId": "ListThing"}),
            json!({}),
        );
        doc["paths"]["/v1/Things"]["x-twilio"] =
            json!({"defaultOutputProperties": ["sid", 7, "status"]});
        let tool = build(&doc).0.expect("a tool");
        assert_eq!(tool.default_output, ["sid", "status"]);
        let schema: Value = serde_json::from_str(&tool.input_schema).expect("JSON");
        assert_eq!(
            schema["properties"][FIELDS_ARG]["description"],
            "Fields to return; default sid,status; [\"*\"]: all."
        );
    }
}
