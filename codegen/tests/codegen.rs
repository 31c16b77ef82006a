//! Codegen over small hand-written specs (`tests/fixtures/`, plus the
//! extension `tests/fixtures-extra/acme_alpha_upload.json`, multipart
//! uploads added to acme_alpha_v1): what each OpenAPI construct becomes,
//! the input schemas, `diff`, and a snapshot of the whole rendered module
//! (`tests/output/fixtures.rs.out`; regenerate with
//! `EXPECTORATE=overwrite cargo test -p twilio-mcp-codegen`).

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use serde_json::{Value, json};
use twilio_mcp_codegen::model::{
    Annotations, AuthScheme, BodyEncoding, Catalog, FileDef, FileEncoding, FindingLevel,
    HttpMethod, ParamDef, ParamLocation, ToolDef, ValueKind,
};
use twilio_mcp_codegen::{
    CodegenError, FIELDS_ARG, add_extension, add_spec, diff, load_catalog, render,
};

fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// The extension fixture: multipart uploads added to acme_alpha_v1.
const UPLOAD_EXTENSION: &str = include_str!("fixtures-extra/acme_alpha_upload.json");

fn load_fixtures() -> Catalog {
    let mut catalog = load_catalog(&tests_dir().join("fixtures")).expect("fixtures load");
    add_extension(&mut catalog, "acme_alpha_upload", UPLOAD_EXTENSION).expect("extension adds");
    catalog
}

static FIXTURES: LazyLock<Catalog> = LazyLock::new(load_fixtures);

fn tool(name: &str) -> &'static ToolDef {
    FIXTURES
        .tools
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no tool {name}"))
}

fn param<'a>(tool: &'a ToolDef, name: &str) -> &'a ParamDef {
    tool.params
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{} has no argument {name}", tool.name))
}

fn schema(tool: &ToolDef) -> Value {
    serde_json::from_str(&tool.input_schema)
        .unwrap_or_else(|e| panic!("{}: input schema is not JSON: {e}", tool.name))
}

fn names(tool: &ToolDef) -> Vec<&str> {
    tool.params.iter().map(|p| p.name.as_str()).collect()
}

/// `(name, wire name, location, required)` of every argument.
fn shape(tool: &ToolDef) -> Vec<(&str, &str, ParamLocation, bool)> {
    tool.params
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.wire_name.as_str(),
                p.location,
                p.required,
            )
        })
        .collect()
}

fn contains_key_anywhere(value: &Value, key: &str) -> bool {
    match value {
        Value::Object(map) => {
            map.contains_key(key) || map.values().any(|v| contains_key_anywhere(v, key))
        }
        Value::Array(items) => items.iter().any(|v| contains_key_anywhere(v, key)),
        _ => false,
    }
}

// ---------------------------------------------------------------- names

#[test]
fn specs_are_listed_in_file_order() {
    let specs: Vec<_> = FIXTURES
        .specs
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.short.as_str(),
                s.prefix.as_str(),
                s.title.as_str(),
            )
        })
        .collect();
    assert_eq!(
        specs,
        [
            (
                "acme_alpha_v1",
                "acme_alpha_v1",
                "AcmeAlphaV1",
                "Twilio - Alpha"
            ),
            (
                "acme_beta_v2",
                "acme_beta_v2",
                "AcmeBetaV2",
                "Twilio - Beta"
            ),
        ]
    );
}

#[test]
fn tool_names_are_spec_prefix_and_operation_id() {
    let all: Vec<_> = FIXTURES.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        all,
        [
            "AcmeAlphaV1_ListThing",
            "AcmeAlphaV1_CreateThing",
            "AcmeAlphaV1_FetchThing",
            "AcmeAlphaV1_UpdateThing",
            "AcmeAlphaV1_DeleteThing",
            "AcmeAlphaV1_ListWidget",
            "AcmeAlphaV1_CreateWidget",
            "AcmeAlphaV1_UpdateWidget",
            "AcmeAlphaV1_CreateCancellation",
            "AcmeAlphaV1_FetchPing",
            "AcmeAlphaV1_FetchOrganization",
            "AcmeBetaV2_ListThing",
            "AcmeBetaV2_FetchThing",
            "AcmeBetaV2_UpdateThing",
            // From the extension, after every spec's own.
            "AcmeAlphaV1_CreateAttachment",
            "AcmeAlphaV1_CreateScript",
        ]
    );
    for t in &FIXTURES.tools {
        let prefix = twilio_mcp_codegen::naming::spec_prefix(&t.spec);
        assert_eq!(t.name, format!("{prefix}_{}", t.operation_id));
    }
}

#[test]
fn same_operation_id_in_two_specs_gives_distinct_tools() {
    let alpha = tool("AcmeAlphaV1_FetchThing");
    let beta = tool("AcmeBetaV2_FetchThing");
    assert_eq!(alpha.operation_id, "FetchThing");
    assert_eq!(beta.operation_id, "FetchThing");
    assert_eq!(alpha.spec, "acme_alpha_v1");
    assert_eq!(beta.spec, "acme_beta_v2");
    assert_eq!(alpha.path, "/v1/Accounts/{AccountSid}/Things/{Sid}.json");
    assert_eq!(beta.path, "/v2/Things/{Sid}");
    assert_eq!(alpha.server, "https://alpha.twilio.com");
    assert_eq!(beta.server, "https://beta.twilio.com");
}

#[test]
fn titles_and_descriptions() {
    let list = tool("AcmeAlphaV1_ListThing");
    // The title is the operationId split into words and the product,
    // whatever the summary.
    assert_eq!(list.title, "List Thing (AcmeAlphaV1)");
    // Markdown links are reduced to their text.
    assert_eq!(
        list.description,
        "Retrieve a list of Things belonging to the account."
    );
    assert_eq!(
        tool("AcmeAlphaV1_FetchThing").title,
        "Fetch Thing (AcmeAlphaV1)"
    );
    // No description and no summary: the title is the description.
    assert_eq!(tool("AcmeAlphaV1_FetchThing").description, "Fetch Thing.");
    // No description: the summary is the description.
    assert_eq!(
        tool("AcmeAlphaV1_FetchPing").description,
        "Check the service is up."
    );
    assert_eq!(
        tool("AcmeAlphaV1_CreateThing").description,
        "Send a new Thing. Give at least one of: Url, Twiml, ApplicationSid."
    );
    // HTML is dropped and entities decoded in argument descriptions too.
    assert_eq!(
        param(tool("AcmeAlphaV1_CreateThing"), "Body").description,
        "The text & content."
    );
}

// ---------------------------------------------------------------- parameters

#[test]
fn path_query_and_header_parameters() {
    use ParamLocation::*;
    let list = tool("AcmeAlphaV1_ListThing");
    assert_eq!(
        shape(list),
        [
            ("AccountSid", "AccountSid", Path, true),
            ("To", "To", Query, false),
            ("DateSent", "DateSent", Query, false),
            ("DateSentBefore", "DateSent<", Query, false),
            ("DateSentAfter", "DateSent>", Query, false),
            ("Status", "Status", Query, false),
            // From `#/components/parameters/PageSize`.
            ("PageSize", "PageSize", Query, false),
        ]
    );
    assert_eq!(param(list, "To").format.as_deref(), Some("phone-number"));
    assert_eq!(param(list, "PageSize").kind, ValueKind::Integer);
    assert_eq!(param(list, "PageSize").format.as_deref(), Some("int64"));

    let create = tool("AcmeAlphaV1_CreateThing");
    let header = param(create, "X-Twilio-Webhook-Enabled");
    assert_eq!(header.location, Header);
    assert_eq!(header.wire_name, "X-Twilio-Webhook-Enabled");
    assert!(!header.required);
    assert_eq!(header.enum_values, ["true", "false"]);
}

#[test]
fn authorization_header_is_hidden() {
    for t in &FIXTURES.tools {
        assert!(
            t.params
                .iter()
                .all(|p| !p.wire_name.eq_ignore_ascii_case("authorization")),
            "{} exposes Authorization",
            t.name
        );
        assert!(schema(t)["properties"].get("Authorization").is_none());
    }
    assert!(FIXTURES.findings.iter().any(|f| {
        f.level == FindingLevel::Info
            && f.operation.as_deref() == Some("AcmeAlphaV1_ListThing")
            && f.message.contains("`Authorization` is not an argument")
    }));
}

#[test]
fn inequality_filters_get_safe_names_and_keep_wire_names() {
    let list = tool("AcmeAlphaV1_ListThing");
    let before = param(list, "DateSentBefore");
    let after = param(list, "DateSentAfter");
    assert_eq!(before.wire_name, "DateSent<");
    assert_eq!(after.wire_name, "DateSent>");
    assert_eq!(before.format.as_deref(), Some("date-time"));
    assert_eq!(
        before.description,
        "Only results with DateSent on or before this value."
    );
    assert_eq!(
        after.description,
        "Only results with DateSent on or after this value."
    );
    let props = schema(list)["properties"].clone();
    assert!(props.get("DateSent<").is_none() && props.get("DateSent>").is_none());
    assert_eq!(props["DateSentBefore"]["description"], before.description);
}

#[test]
fn ref_enums_are_inlined_everywhere() {
    let values = ["queued", "sent", "failed"];
    for (t, arg, location) in [
        ("AcmeAlphaV1_ListThing", "Status", ParamLocation::Query),
        ("AcmeAlphaV1_CreateThing", "Status", ParamLocation::Form),
        ("AcmeAlphaV1_UpdateThing", "Status", ParamLocation::Form),
        ("AcmeAlphaV1_CreateWidget", "Status", ParamLocation::Json),
    ] {
        let t = tool(t);
        let p = param(t, arg);
        assert_eq!(p.location, location, "{}", t.name);
        assert_eq!(p.kind, ValueKind::String, "{}", t.name);
        assert_eq!(p.enum_values, values, "{}", t.name);
        assert_eq!(
            schema(t)["properties"][arg]["enum"],
            json!(values),
            "{}",
            t.name
        );
    }
    // The enum schema's own description is used when the property has none.
    assert_eq!(
        param(tool("AcmeAlphaV1_CreateThing"), "Status").description,
        "The status of the Thing."
    );
    // …and the parameter's description wins when it has one.
    assert_eq!(
        param(tool("AcmeAlphaV1_ListThing"), "Status").description,
        "Only Things with this status."
    );
}

#[test]
fn form_body_fields() {
    use ParamLocation::*;
    let create = tool("AcmeAlphaV1_CreateThing");
    assert_eq!(create.body, BodyEncoding::Form);
    assert_eq!(
        shape(create),
        [
            ("AccountSid", "AccountSid", Path, true),
            (
                "X-Twilio-Webhook-Enabled",
                "X-Twilio-Webhook-Enabled",
                Header,
                false
            ),
            ("To", "To", Form, true),
            ("Body", "Body", Form, false),
            ("Url", "Url", Form, false),
            ("Twiml", "Twiml", Form, false),
            ("ApplicationSid", "ApplicationSid", Form, false),
            ("Status", "Status", Form, false),
            ("StatusCallbackEvent", "StatusCallbackEvent", Form, false),
            ("MaxPrice", "MaxPrice", Form, false),
            ("Attempt", "Attempt", Form, false),
            ("SendAsMms", "SendAsMms", Form, false),
        ]
    );
    let kinds: Vec<_> = create.params.iter().map(|p| p.kind).collect();
    use ValueKind::*;
    assert_eq!(
        kinds,
        [
            String, String, String, String, String, String, String, String, Array, Number, Integer,
            Boolean
        ]
    );
    assert_eq!(param(create, "Attempt").default.as_deref(), Some("1"));
    let s = schema(create);
    assert_eq!(
        s["properties"]["StatusCallbackEvent"],
        json!({"type": "array", "description": "Events to call back on.", "items": {"type": "string"}})
    );
    // A SID's shape moves out of the served schema into `Param::pattern`,
    // which the server checks; the lengths it implies are dropped.
    assert_eq!(
        s["properties"]["ApplicationSid"],
        json!({"type": "string", "description": "Application to run."})
    );
    assert_eq!(
        param(create, "ApplicationSid").pattern.as_deref(),
        Some("^AP[0-9a-fA-F]{32}$")
    );
}

#[test]
fn json_body_with_nested_objects() {
    let create = tool("AcmeAlphaV1_CreateWidget");
    assert_eq!(create.body, BodyEncoding::Json);
    assert_eq!(names(create), ["Name", "Config", "Tags", "Status"]);
    assert!(
        create
            .params
            .iter()
            .all(|p| p.location == ParamLocation::Json)
    );
    assert!(param(create, "Name").required);
    assert_eq!(param(create, "Config").kind, ValueKind::Object);
    assert_eq!(param(create, "Tags").kind, ValueKind::Array);
    let s = schema(create);
    assert_eq!(
        s["properties"]["Config"],
        json!({
            "type": "object",
            "description": "How the widget looks.",
            "properties": {
                // `nullable` and `example` are OpenAPI-only: dropped.
                "Color": {"type": "string"},
                "Size": {
                    "type": "object",
                    "description": "Size of the widget, in pixels.",
                    "properties": {
                        // OpenAPI 3.0's boolean exclusiveMinimum becomes a number.
                        "Width": {"type": "integer", "exclusiveMinimum": 0},
                        "Height": {"type": "integer", "minimum": 0}
                    },
                    "required": ["Width"]
                }
            }
        })
    );
    assert_eq!(s["required"], json!(["Name"]));
}

#[test]
fn free_form_json_body_is_one_argument() {
    let update = tool("AcmeAlphaV1_UpdateWidget");
    assert_eq!(update.method, HttpMethod::Put);
    assert_eq!(update.body, BodyEncoding::Json);
    assert_eq!(names(update), ["Sid", "RequestBody"]);
    let body = param(update, "RequestBody");
    assert_eq!(body.location, ParamLocation::JsonBody);
    assert_eq!(body.kind, ValueKind::Object);
    assert!(body.required);
    assert_eq!(
        schema(update)["properties"]["RequestBody"],
        json!({"type": "object", "description": "JSON request body."})
    );
}

#[test]
fn all_of_is_merged_and_recursion_cut() {
    let update = tool("AcmeBetaV2_UpdateThing");
    assert_eq!(update.method, HttpMethod::Patch);
    assert_eq!(names(update), ["Sid", "Enabled", "Tree"]);
    assert!(param(update, "Enabled").required);
    assert!(!param(update, "Tree").required);
    assert_eq!(
        schema(update)["properties"]["Tree"],
        json!({"type": "object", "properties": {"Label": {"type": "string"}, "Child": {"type": "object"}}})
    );
}

#[test]
fn body_parameter_named_like_a_path_parameter_is_a_distinct_argument() {
    let update = tool("AcmeAlphaV1_UpdateThing");
    let path = param(update, "AccountSid");
    let body = param(update, "BodyAccountSid");
    assert_eq!(
        (path.location, path.wire_name.as_str()),
        (ParamLocation::Path, "AccountSid")
    );
    assert_eq!(
        (body.location, body.wire_name.as_str()),
        (ParamLocation::Form, "AccountSid")
    );
    assert!(path.from_config);
    assert!(!body.from_config);
    assert!(!body.required);
    assert_eq!(
        body.description,
        "The SID of the Account to move the Thing to."
    );
    // Path parameters come first, in path-template order, whatever the spec's order.
    assert_eq!(
        names(update),
        ["AccountSid", "Sid", "BodyAccountSid", "Status"]
    );
    assert!(FIXTURES.findings.iter().any(|f| {
        f.operation.as_deref() == Some("AcmeAlphaV1_UpdateThing")
            && f.message == "body parameter `AccountSid` is exposed as `BodyAccountSid`: `AccountSid` is taken"
    }));
}

#[test]
fn account_sid_path_parameter_comes_from_config() {
    let mut seen = 0;
    for t in &FIXTURES.tools {
        let s = schema(t);
        let required: Vec<&str> = s["required"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for p in &t.params {
            let is_account = p.location == ParamLocation::Path && p.wire_name == "AccountSid";
            assert_eq!(p.from_config, is_account, "{}.{}", t.name, p.name);
            if p.location == ParamLocation::Path {
                assert!(p.required, "{}.{}", t.name, p.name);
                assert_eq!(
                    required.contains(&p.name.as_str()),
                    !p.from_config,
                    "{}.{}",
                    t.name,
                    p.name
                );
            }
            if p.from_config {
                seen += 1;
                // Optional, and undescribed: the server's instructions say
                // it is filled in (never with the SID in a description).
                assert_eq!(
                    s["properties"][&p.name],
                    serde_json::json!({"type": "string"}),
                    "{}",
                    t.name
                );
            }
        }
    }
    assert_eq!(seen, 5);
}

#[test]
fn parameter_named_like_the_fields_argument_is_renamed() {
    let list = tool("AcmeBetaV2_ListThing");
    let p = param(list, "Queryfields");
    assert_eq!(p.wire_name, "fields");
    assert_eq!(p.location, ParamLocation::Query);
    let s = schema(list);
    assert_eq!(s["properties"][FIELDS_ARG]["type"], "array");
    assert_eq!(s["properties"]["Queryfields"]["type"], "string");
}

// ---------------------------------------------------------------- operations

#[test]
fn annotations_follow_the_operation_verb() {
    let get = |name| tool(name).annotations;
    let read = Annotations {
        read_only: true,
        destructive: false,
        idempotent: true,
        open_world: true,
    };
    assert_eq!(get("AcmeAlphaV1_ListThing"), read);
    assert_eq!(get("AcmeAlphaV1_FetchThing"), read);
    assert_eq!(get("AcmeAlphaV1_FetchPing"), read);
    assert_eq!(
        get("AcmeAlphaV1_CreateThing"),
        Annotations {
            read_only: false,
            destructive: false,
            idempotent: false,
            open_world: true
        }
    );
    assert_eq!(
        get("AcmeAlphaV1_UpdateThing"),
        Annotations {
            read_only: false,
            destructive: true,
            idempotent: false,
            open_world: true
        }
    );
    assert_eq!(
        get("AcmeAlphaV1_DeleteThing"),
        Annotations {
            read_only: false,
            destructive: true,
            idempotent: true,
            open_world: true
        }
    );
    // PUT is idempotent by HTTP semantics; PATCH is not.
    assert!(
        get("AcmeAlphaV1_UpdateWidget").idempotent && get("AcmeAlphaV1_UpdateWidget").destructive
    );
    assert!(!get("AcmeBetaV2_UpdateThing").idempotent && get("AcmeBetaV2_UpdateThing").destructive);
}

#[test]
fn methods_and_body_encodings() {
    let table: Vec<_> = FIXTURES
        .tools
        .iter()
        .map(|t| (t.name.as_str(), t.method, t.body))
        .collect();
    use BodyEncoding::*;
    use HttpMethod::*;
    assert_eq!(
        table,
        [
            ("AcmeAlphaV1_ListThing", Get, None),
            ("AcmeAlphaV1_CreateThing", Post, Form),
            ("AcmeAlphaV1_FetchThing", Get, None),
            ("AcmeAlphaV1_UpdateThing", Post, Form),
            ("AcmeAlphaV1_DeleteThing", Delete, None),
            ("AcmeAlphaV1_ListWidget", Get, None),
            ("AcmeAlphaV1_CreateWidget", Post, Json),
            ("AcmeAlphaV1_UpdateWidget", Put, Json),
            ("AcmeAlphaV1_CreateCancellation", Post, None),
            ("AcmeAlphaV1_FetchPing", Get, None),
            ("AcmeAlphaV1_FetchOrganization", Get, None),
            ("AcmeBetaV2_ListThing", Get, None),
            ("AcmeBetaV2_FetchThing", Get, None),
            ("AcmeBetaV2_UpdateThing", Patch, Json),
            ("AcmeAlphaV1_CreateAttachment", Post, Multipart),
            ("AcmeAlphaV1_CreateScript", Post, Multipart),
        ]
    );
}

#[test]
fn post_without_request_body_sends_none() {
    let cancel = tool("AcmeAlphaV1_CreateCancellation");
    assert_eq!(cancel.method, HttpMethod::Post);
    assert_eq!(cancel.body, BodyEncoding::None);
    assert_eq!(names(cancel), ["JobSid"]);
}

#[test]
fn untagged_operation_is_grouped_under_the_spec_prefix() {
    assert_eq!(tool("AcmeAlphaV1_CreateCancellation").tag, "AcmeAlphaV1");
    assert_eq!(tool("AcmeAlphaV1_ListThing").tag, "AlphaV1Thing");
    assert_eq!(tool("AcmeBetaV2_FetchThing").tag, "BetaV2Thing");
}

#[test]
fn server_urls() {
    // Root servers, trailing slash trimmed.
    assert_eq!(
        tool("AcmeAlphaV1_ListThing").server,
        "https://alpha.twilio.com"
    );
    assert_eq!(
        tool("AcmeAlphaV1_CreateCancellation").server,
        "https://alpha.twilio.com"
    );
    // Path-item servers override the root's.
    assert_eq!(
        tool("AcmeAlphaV1_CreateWidget").server,
        "https://widgets.alpha.twilio.com"
    );
    assert_eq!(
        tool("AcmeAlphaV1_ListWidget").server,
        "https://widgets.alpha.twilio.com"
    );
    assert_eq!(
        tool("AcmeAlphaV1_UpdateWidget").server,
        "https://widgets.alpha.twilio.com"
    );
    // Operation servers override the path item's (OpenAPI 3.0, Operation Object).
    assert_eq!(
        tool("AcmeAlphaV1_FetchOrganization").server,
        "https://organizations.alpha.twilio.com"
    );
}

#[test]
fn auth_schemes() {
    assert_eq!(tool("AcmeAlphaV1_ListThing").auth, AuthScheme::Basic);
    assert_eq!(tool("AcmeBetaV2_FetchThing").auth, AuthScheme::Basic);
    // `security: []` on the operation overrides the root requirement.
    assert_eq!(tool("AcmeAlphaV1_FetchPing").auth, AuthScheme::None);
    assert_eq!(
        tool("AcmeAlphaV1_FetchOrganization").auth,
        AuthScheme::OAuth2
    );
}

#[test]
fn conditionals_map_snake_case_to_argument_names() {
    let create = tool("AcmeAlphaV1_CreateThing");
    assert_eq!(
        create.at_least_one_of,
        [vec!["Url", "Twiml", "ApplicationSid"]]
    );
    // `["body", "media_url"]`: media_url is no parameter, so the group is
    // dropped with a warning.
    assert!(FIXTURES.findings.iter().any(|f| {
        f.level == FindingLevel::Warning
            && f.operation.as_deref() == Some("AcmeAlphaV1_CreateThing")
            && f.message == "x-twilio.conditional names `media_url`, which is not a parameter"
    }));
    // The only other group is a required file's (see the extension tests).
    for t in FIXTURES
        .tools
        .iter()
        .filter(|t| t.name != create.name && t.name != "AcmeAlphaV1_CreateAttachment")
    {
        assert!(t.at_least_one_of.is_empty(), "{}", t.name);
    }
}

#[test]
fn default_output_comes_from_the_path_item() {
    assert_eq!(
        tool("AcmeAlphaV1_ListThing").default_output,
        ["sid", "status", "date_sent"]
    );
    assert_eq!(
        tool("AcmeAlphaV1_CreateThing").default_output,
        ["sid", "status", "date_sent"]
    );
    assert_eq!(
        tool("AcmeAlphaV1_FetchThing").default_output,
        ["sid", "status"]
    );
    assert!(tool("AcmeAlphaV1_ListWidget").default_output.is_empty());
    assert_eq!(
        schema(tool("AcmeAlphaV1_ListThing"))["properties"][FIELDS_ARG]["description"],
        "Fields to return; default sid,status,date_sent; [\"*\"]: all."
    );
    assert_eq!(
        schema(tool("AcmeAlphaV1_ListWidget"))["properties"][FIELDS_ARG]["description"],
        "Fields to return; default all."
    );
}

#[test]
fn findings() {
    let all: Vec<_> = FIXTURES
        .findings
        .iter()
        .map(|f| {
            (
                f.level,
                f.spec.as_str(),
                f.operation.as_deref().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        all,
        [
            (FindingLevel::Info, "acme_alpha_v1", "AcmeAlphaV1_ListThing"),
            (FindingLevel::Info, "acme_alpha_v1", "AcmeAlphaV1_ListThing"),
            (FindingLevel::Info, "acme_alpha_v1", "AcmeAlphaV1_ListThing"),
            (
                FindingLevel::Warning,
                "acme_alpha_v1",
                "AcmeAlphaV1_CreateThing"
            ),
            (
                FindingLevel::Info,
                "acme_alpha_v1",
                "AcmeAlphaV1_UpdateThing"
            ),
            (FindingLevel::Info, "acme_beta_v2", "AcmeBetaV2_ListThing"),
            // The extension: each file's two arguments, each tool it adds.
            (
                FindingLevel::Info,
                "acme_alpha_v1",
                "AcmeAlphaV1_CreateAttachment"
            ),
            (
                FindingLevel::Info,
                "acme_alpha_v1",
                "AcmeAlphaV1_CreateScript"
            ),
            (
                FindingLevel::Info,
                "acme_alpha_v1",
                "AcmeAlphaV1_CreateAttachment"
            ),
            (
                FindingLevel::Info,
                "acme_alpha_v1",
                "AcmeAlphaV1_CreateScript"
            ),
        ]
    );
    assert_eq!(twilio_mcp_codegen::finding_counts(&FIXTURES), (9, 1, 0));
}

// ---------------------------------------------------------------- input schemas

#[test]
fn input_schemas_are_self_contained_objects() {
    for t in &FIXTURES.tools {
        let s = schema(t);
        assert_eq!(s["type"], "object", "{}", t.name);
        // Some clients reject the keyword; the server refuses unknown
        // arguments itself.
        assert!(s.get("additionalProperties").is_none(), "{}", t.name);
        assert!(!contains_key_anywhere(&s, "$ref"), "{} has a $ref", t.name);
        for key in ["oneOf", "anyOf", "allOf", "nullable", "example", "x-twilio"] {
            assert!(!contains_key_anywhere(&s, key), "{} has {key}", t.name);
        }

        let keys: Vec<&str> = s["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = names(t);
        if t.method != HttpMethod::Delete {
            expected.push(FIELDS_ARG);
        }
        assert_eq!(keys, expected, "{}", t.name);
        for key in &keys {
            assert!(
                twilio_mcp_codegen::naming::is_safe_key(key),
                "{}: {key}",
                t.name
            );
        }

        let required: Vec<&str> = t
            .params
            .iter()
            .filter(|p| p.required && !p.from_config)
            .map(|p| p.name.as_str())
            .collect();
        match s.get("required") {
            Some(list) => assert_eq!(list, &json!(required), "{}", t.name),
            None => assert!(required.is_empty(), "{}", t.name),
        }

        jsonschema::draft202012::meta::validate(&s)
            .unwrap_or_else(|e| panic!("{}: not a valid 2020-12 schema: {e}", t.name));
        jsonschema::draft202012::new(&s)
            .unwrap_or_else(|e| panic!("{}: does not compile: {e}", t.name));
    }
    assert!(
        schema(tool("AcmeAlphaV1_DeleteThing"))["properties"]
            .get(FIELDS_ARG)
            .is_none()
    );
}

#[test]
fn input_schema_validates_arguments() {
    let s = schema(tool("AcmeAlphaV1_CreateThing"));
    let v = jsonschema::draft202012::new(&s).expect("compiles");
    assert!(v.is_valid(&json!({"To": "+15551234567", "Url": "https://example.com/twiml"})));
    assert!(v.is_valid(
        &json!({"To": "+15551234567", "StatusCallbackEvent": ["initiated"], "fields": ["sid"]})
    ));
    // `To` is required; the account SID is not (the server fills it).
    assert!(!v.is_valid(&json!({"Url": "https://example.com"})));
    assert!(!v.is_valid(&json!({"To": "+1", "Status": "bogus"})));
    // Unknown arguments are the server's check (`args`), which names the
    // valid ones; the schema leaves them open for clients that reject
    // `additionalProperties`.
    assert!(v.is_valid(&json!({"To": "+1", "Unknown": 1})));
    // SID shapes are checked by the server from `Param::pattern`, not here.
    assert!(
        param(tool("AcmeAlphaV1_CreateThing"), "AccountSid")
            .pattern
            .is_some()
    );
    assert!(v.is_valid(&json!({"To": "+1", "AccountSid": format!("AC{}", "0".repeat(32))})));
}

// ---------------------------------------------------------------- loading

#[test]
fn load_catalog_rejects_a_directory_without_specs() {
    let err = load_catalog(&tests_dir().join("output")).expect_err("no specs");
    assert!(err.to_string().contains("no *.json spec files"), "{err}");
}

#[test]
fn add_spec_rejects_non_openapi_text() {
    let mut c = Catalog::default();
    assert!(add_spec(&mut c, "twilio_x_v1", "not json").is_err());
    assert!(add_spec(&mut c, "twilio_x_v1", "{\"openapi\": 3}").is_err());
}

#[test]
fn operation_without_operation_id_is_an_error_finding() {
    let spec = json!({
        "openapi": "3.0.1",
        "info": {"title": "Twilio - X", "version": "1"},
        "servers": [{"url": "https://x.twilio.com"}],
        "paths": {
            "/v1/A": {"get": {"responses": {"200": {"description": "OK"}}}},
            "/v1/B": {"get": {"operationId": "FetchB", "responses": {"200": {"description": "OK"}}}}
        }
    });
    let mut c = Catalog::default();
    add_spec(&mut c, "twilio_x_v1", &spec.to_string()).expect("loads");
    assert_eq!(c.tools.len(), 1);
    assert_eq!(c.tools[0].name, "XV1_FetchB");
    assert_eq!(c.findings.len(), 1);
    assert_eq!(c.findings[0].level, FindingLevel::Error);
    assert!(
        c.findings[0].message.contains("has no operationId"),
        "{}",
        c.findings[0].message
    );
}

// ---------------------------------------------------------------- extensions and files

#[test]
fn an_extension_adds_tools_to_the_spec_it_extends() {
    let upload = tool("AcmeAlphaV1_CreateAttachment");
    assert_eq!(
        (upload.spec.as_str(), upload.tag.as_str()),
        ("acme_alpha_v1", "AcmeAlphaV1Attachment")
    );
    // The extension's own server and security, not the spec's.
    assert_eq!(upload.server, "https://upload.alpha.twilio.com");
    assert_eq!(upload.auth, AuthScheme::Basic);
    assert_eq!(upload.path, "/v1/Things/{ThingSid}/Attachments");
    assert_eq!(upload.default_output, ["sid", "path"]);
    // No spec entry of its own.
    assert_eq!(FIXTURES.specs.len(), 2);
    let notes: Vec<_> = FIXTURES
        .findings
        .iter()
        .filter(|f| f.operation.as_deref() == Some("AcmeAlphaV1_CreateAttachment"))
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        notes,
        [
            "file `Content` is given as `Content` (text) or `ContentBase64` (base64)",
            "added by the extension `acme_alpha_upload`: not in Twilio's spec"
        ]
    );
}

#[test]
fn a_multipart_file_is_two_arguments_sent_as_one_part() {
    use ParamLocation::*;
    let upload = tool("AcmeAlphaV1_CreateAttachment");
    assert_eq!(upload.body, BodyEncoding::Multipart);
    // Text fields first, in property order, then the file's two arguments.
    assert_eq!(
        shape(upload),
        [
            ("ThingSid", "ThingSid", Path, true),
            ("Path", "Path", Form, true),
            ("Visibility", "Visibility", Form, false),
            ("Content", "Content", File, false),
            ("ContentBase64", "Content", File, false),
        ]
    );
    let file = |encoding| FileDef {
        encoding,
        name_from: Some("Path".into()),
        content_type: None,
        max_bytes: Some(2048),
    };
    assert_eq!(
        param(upload, "Content").file,
        Some(file(FileEncoding::Text))
    );
    assert_eq!(
        param(upload, "ContentBase64").file,
        Some(file(FileEncoding::Base64))
    );
    assert!(param(upload, "Path").file.is_none());
    // A required file: one of its arguments, which the description says once.
    assert_eq!(upload.at_least_one_of, [["Content", "ContentBase64"]]);
    assert_eq!(
        upload.description,
        "Upload a file to a Thing. Give the file as one of: Content, ContentBase64."
    );
    let s = schema(upload);
    assert_eq!(s["required"], json!(["ThingSid", "Path"]));
    assert_eq!(
        s["properties"]["Content"],
        json!({"type": "string", "description": "File, as text. At most 2048 bytes."})
    );
    assert_eq!(
        s["properties"]["ContentBase64"],
        json!({"type": "string", "description":
            "File, base64-encoded (for a binary file), instead of Content. At most 2048 bytes."})
    );
    for arg in ["Content", "ContentBase64"] {
        assert!(s["properties"][arg].get("format").is_none(), "{arg}");
    }
}

#[test]
fn a_file_part_may_have_a_fixed_type_and_no_name_source() {
    let script = tool("AcmeAlphaV1_CreateScript");
    let code = param(script, "Code");
    assert_eq!(
        code.file,
        Some(FileDef {
            encoding: FileEncoding::Text,
            name_from: None,
            content_type: Some("application/javascript".into()),
            max_bytes: Some(3 * 1024 * 1024),
        })
    );
    assert_eq!(
        param(script, "CodeBase64")
            .file
            .as_ref()
            .map(|f| f.encoding),
        Some(FileEncoding::Base64)
    );
    // An optional file: no group, no sentence.
    assert!(script.at_least_one_of.is_empty());
    assert_eq!(script.description, "Create Script.");
    assert_eq!(
        schema(script)["properties"]["Code"]["description"],
        "File, as text. At most 3 MiB."
    );
}

fn extension(extends: Value, paths: Value) -> String {
    json!({
        "openapi": "3.0.1",
        "info": {"title": "X", "version": "1"},
        "x-twilio-mcp": extends,
        "servers": [{"url": "https://up.twilio.com"}],
        "paths": paths,
    })
    .to_string()
}

fn post(op: Value) -> Value {
    let mut op = op;
    op["responses"] = json!({"201": {"description": "Created"}});
    json!({"post": op})
}

#[test]
fn extensions_that_cannot_be_added() {
    let mut c = load_catalog(&tests_dir().join("fixtures")).expect("fixtures load");
    let tools = c.tools.len();
    let paths = json!({"/v1/New": post(json!({"operationId": "CreateNew"}))});

    let none = add_extension(&mut c, "bad", &extension(json!({}), paths.clone()))
        .expect_err("names no spec");
    assert_eq!(
        none.to_string(),
        "extension `bad`: no `x-twilio-mcp.extends` naming the spec it adds operations to \
         (e.g. \"twilio_serverless_v1\")"
    );
    assert!(matches!(
        add_extension(&mut c, "bad", "{"),
        Err(CodegenError::Extension { .. })
    ));

    // A spec the catalog does not have: a warning, no tools.
    add_extension(
        &mut c,
        "elsewhere",
        &extension(json!({"extends": "twilio_nope_v1"}), paths.clone()),
    )
    .expect("a warning, not an error");
    assert_eq!(c.tools.len(), tools);
    let last = c.findings.last().expect("a finding");
    assert_eq!(
        (last.level, last.message.as_str()),
        (
            FindingLevel::Warning,
            "extension `elsewhere` adds 1 operations to twilio_nope_v1, which is not among \
             the specs: they are left out"
        )
    );

    // An operation the spec already has: the build fails.
    let clash = json!({"/v1/Things": post(json!({"operationId": "CreateThing"}))});
    let error = add_extension(
        &mut c,
        "clash",
        &extension(json!({"extends": "acme_alpha_v1"}), clash),
    )
    .expect_err("a duplicate");
    assert_eq!(
        error.to_string(),
        "two operations give the tool name `AcmeAlphaV1_CreateThing`"
    );
}

#[test]
fn a_file_named_after_a_missing_field_is_left_out() {
    let mut c = load_catalog(&tests_dir().join("fixtures")).expect("fixtures load");
    let body = json!({"content": {"multipart/form-data": {"schema": {"type": "object",
        "properties": {"Content": {"type": "string", "format": "binary",
                                   "x-twilio-mcp-filename-from": "Nope"}}}}}});
    let paths = json!({"/v1/Up": post(json!({"operationId": "CreateUp", "requestBody": body}))});
    add_extension(
        &mut c,
        "up",
        &extension(json!({"extends": "acme_alpha_v1"}), paths),
    )
    .expect("loads");
    assert!(c.tools.iter().all(|t| t.name != "AcmeAlphaV1_CreateUp"));
    let last = c.findings.last().expect("a finding");
    assert_eq!(last.level, FindingLevel::Error);
    assert_eq!(
        last.message,
        "POST /v1/Up left out: file `Content` takes its name from `Nope`, which is not a \
         text field of the body"
    );
}

// ---------------------------------------------------------------- diff

#[test]
fn diff_reports_added_removed_and_changed_tools() {
    let dir = tests_dir().join("fixtures-diff");
    let old = load_catalog(&dir.join("old")).expect("old");
    let new = load_catalog(&dir.join("new")).expect("new");
    let d = diff::diff(&old, &new);
    assert_eq!(d.added, ["AcmeGammaV1_FetchItem"]);
    assert_eq!(d.removed, ["AcmeGammaV1_DeleteItem"]);
    let changed: Vec<_> = d
        .changed
        .iter()
        .map(|c| (c.tool.as_str(), c.changes.clone()))
        .collect();
    assert_eq!(
        changed,
        [
            (
                "AcmeGammaV1_CreateItem",
                vec![
                    "parameter retyped: Count string → integer".to_string(),
                    "parameter Name is now required".to_string(),
                ]
            ),
            (
                "AcmeGammaV1_ListItem",
                vec![
                    "parameter added: NewFilter (boolean)".to_string(),
                    "parameter removed: OldFilter".to_string(),
                ]
            ),
        ]
    );
    assert_eq!(
        d.to_text(),
        "+ AcmeGammaV1_FetchItem\n\
         - AcmeGammaV1_DeleteItem\n\
         ~ AcmeGammaV1_CreateItem\n    parameter retyped: Count string → integer\n    parameter Name is now required\n\
         ~ AcmeGammaV1_ListItem\n    parameter added: NewFilter (boolean)\n    parameter removed: OldFilter\n\
         1 added, 1 removed, 2 changed\n"
    );
    assert!(!d.is_empty());

    let back = diff::diff(&new, &old);
    assert_eq!(back.added, ["AcmeGammaV1_DeleteItem"]);
    assert_eq!(back.removed, ["AcmeGammaV1_FetchItem"]);
}

#[test]
fn diff_of_a_catalog_with_itself_is_empty() {
    let d = diff::diff(&FIXTURES, &FIXTURES);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(d.to_text(), "0 added, 0 removed, 0 changed\n");
}

// ---------------------------------------------------------------- rendering

#[test]
fn rendered_output_snapshot() {
    let source = render(&FIXTURES).expect("renders");
    expectorate::assert_contents("tests/output/fixtures.rs.out", &source);
}

#[test]
fn rendering_is_deterministic() {
    let again = load_fixtures();
    assert_eq!(*FIXTURES, again);
    assert_eq!(
        render(&FIXTURES).expect("renders"),
        render(&again).expect("renders")
    );
}

#[test]
fn conditional_rules_are_stated_once() {
    // The tool description states the group; the argument's own sentence
    // saying it again is dropped, its other sentences kept.
    let create = tool("AcmeAlphaV1_CreateThing");
    assert!(
        create
            .description
            .contains("Give at least one of: Url, Twiml, ApplicationSid.")
    );
    assert_eq!(
        schema(create)["properties"]["Url"]["description"],
        "Where to fetch TwiML. (Public URLs only)."
    );
}

#[test]
fn sid_choices_are_checked_by_the_server() {
    // `^(TH|TX)[0-9a-fA-F]{32}$` is a SID shape too: out of the served
    // schema (with the lengths it implies), into `pattern` for the server.
    let sid = param(tool("AcmeAlphaV1_FetchThing"), "Sid");
    assert_eq!(sid.pattern.as_deref(), Some("^(TH|TX)[0-9a-fA-F]{32}$"));
    let served = &schema(tool("AcmeAlphaV1_FetchThing"))["properties"]["Sid"];
    for key in ["pattern", "minLength", "maxLength"] {
        assert!(served.get(key).is_none(), "{key}: {served}");
    }
}
