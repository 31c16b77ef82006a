//! The generated catalog, built from the real pinned Twilio specs: counts,
//! names, input schemas and the Twilio quirks codegen has to get right.
//!
//! Exact counts hold for the pinned specs (`specs/pin.json`), which CI always
//! builds from; they are skipped when `TWILIO_OPENAPI_DIR` points elsewhere.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;
use twilio_mcp::catalog::{
    self, FINDINGS, FindingLevel, HttpMethod, ParamLocation, SERVICES, SPECS, TAGS, TOOL_COUNT,
    Tool,
};

/// True when the catalog was generated from the pinned specs.
fn pinned() -> bool {
    std::env::var_os("TWILIO_OPENAPI_DIR").is_none()
}

fn tools() -> impl Iterator<Item = &'static Tool> {
    catalog::all().map(|(_, t)| t)
}

fn tool(name: &str) -> &'static Tool {
    catalog::find(name)
        .unwrap_or_else(|| panic!("no tool {name}"))
        .1
}

fn schema(t: &Tool) -> Value {
    serde_json::from_str(t.input_schema)
        .unwrap_or_else(|e| panic!("{}: input schema is not JSON: {e}", t.name))
}

/// Every value of `key` anywhere in `value`, with its JSON pointer.
fn find_key<'a>(value: &'a Value, key: &str, at: String, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let here = format!("{at}/{k}");
                if k == key {
                    out.push((here.clone(), v));
                }
                find_key(v, key, here, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                find_key(v, key, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn values_of<'a>(value: &'a Value, key: &str) -> Vec<(String, &'a Value)> {
    let mut out = Vec::new();
    find_key(value, key, String::new(), &mut out);
    out
}

fn is_safe_tool_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `^[a-zA-Z0-9_.-]{1,64}$`
fn is_safe_property_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The first `AC` followed by 32 hex digits (an account SID) in `text`.
fn account_sid_in(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(33)).find_map(|i| {
        let candidate = &bytes[i..i + 34];
        (candidate.starts_with(b"AC") && candidate[2..].iter().all(u8::is_ascii_hexdigit))
            .then(|| &text[i..i + 34])
    })
}

/// The first thing in `text` that looks like an HTML tag: `<b>`, `</p>`,
/// `<br/>`, `<a href="…">`.
fn html_tag_in(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let name_start = usize::from(after.starts_with('/'));
        let name_len = after[name_start..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(after.len() - name_start);
        let next = after[name_start + name_len..].chars().next();
        let starts_with_letter = after[name_start..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic());
        if starts_with_letter
            && matches!(next, Some('>' | '/' | ' '))
            && let Some(close) = after.find('>')
        {
            let tag = &rest[open..open + close + 2];
            if !tag[1..].contains('<') {
                return Some(tag);
            }
        }
        rest = after;
    }
    None
}

/// Every description a client sees for a tool: title, description, argument
/// descriptions and every `description` in the input schema.
fn texts(t: &'static Tool) -> Vec<(String, String)> {
    let mut out = vec![
        ("title".to_string(), t.title.to_string()),
        ("description".to_string(), t.description.to_string()),
    ];
    for p in t.params {
        out.push((format!("param {}", p.name), p.description.to_string()));
    }
    let s = schema(t);
    for (at, v) in values_of(&s, "description") {
        if let Some(text) = v.as_str() {
            out.push((format!("schema {at}"), text.to_string()));
        }
    }
    out
}

// ---------------------------------------------------------------- counts and names

#[test]
fn tool_count() {
    assert_eq!(tools().count(), TOOL_COUNT);
    assert_eq!(
        TAGS.iter().map(|t| t.tools.len()).sum::<usize>(),
        TOOL_COUNT
    );
    if pinned() {
        // Twilio's 1,407 operations and the two Serverless uploads codegen's
        // extension adds (codegen/extra/serverless_upload.json).
        assert_eq!(TOOL_COUNT, 1409);
        assert_eq!(
            SPECS.len(),
            50,
            "{:?}",
            SPECS.iter().map(|s| s.name).collect::<Vec<_>>()
        );
    }
}

#[test]
fn tool_names_are_unique_short_and_safe() {
    let mut seen = HashSet::new();
    for t in tools() {
        assert!(seen.insert(t.name), "duplicate tool name {}", t.name);
        assert!(t.name.len() <= 64, "{} is {} chars", t.name, t.name.len());
        assert!(
            is_safe_tool_name(t.name),
            "{} has unsafe characters",
            t.name
        );
    }
}

#[test]
fn lookups_agree() {
    for (id, t) in catalog::all() {
        let (found_id, found) = catalog::find(t.name).expect("find");
        assert_eq!(found_id, id, "{}", t.name);
        assert!(std::ptr::eq(found, t), "{}", t.name);
        assert!(
            std::ptr::eq(catalog::get(id).expect("get"), t),
            "{}",
            t.name
        );
        let parsed = catalog::input_schema(id);
        assert_eq!(Value::Object((*parsed).clone()), schema(t), "{}", t.name);
    }
    assert!(catalog::find("NoSuchTool").is_none());
    assert!(catalog::get(TOOL_COUNT as catalog::ToolId).is_none());
}

#[test]
fn tags_are_sorted_and_tools_carry_their_tag() {
    for pair in TAGS.windows(2) {
        assert!(
            pair[0].name < pair[1].name,
            "{} !< {}",
            pair[0].name,
            pair[1].name
        );
    }
    for (i, tag) in TAGS.iter().enumerate() {
        assert!(!tag.tools.is_empty(), "{}", tag.name);
        for t in tag.tools {
            assert_eq!(t.tag, tag.name, "{}", t.name);
        }
        let ids: Vec<_> = catalog::tag_tool_ids(i)
            .map(|id| catalog::get(id).expect("get").name)
            .collect();
        let names: Vec<_> = tag.tools.iter().map(|t| t.name).collect();
        assert_eq!(ids, names, "{}", tag.name);
    }
}

#[test]
fn no_error_findings() {
    let errors: Vec<_> = FINDINGS
        .iter()
        .filter(|f| f.level == FindingLevel::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

// ---------------------------------------------------------------- input schemas

#[test]
fn input_schemas_are_valid_self_contained_objects() {
    let meta = jsonschema::draft202012::meta::validator();
    for t in tools() {
        let s = schema(t);
        let obj = s.as_object().expect("object");
        assert_eq!(s["type"], "object", "{}", t.name);
        assert!(s.get("additionalProperties").is_none(), "{}", t.name);
        let refs = values_of(&s, "$ref");
        assert!(refs.is_empty(), "{}: $ref at {:?}", t.name, refs);
        for combinator in ["oneOf", "anyOf", "allOf"] {
            assert!(
                !obj.contains_key(combinator),
                "{}: top-level {combinator}",
                t.name
            );
        }

        let props = s["properties"].as_object().expect("properties");
        for key in props.keys() {
            assert!(is_safe_property_key(key), "{}: argument `{key}`", t.name);
        }
        let mut expected: Vec<&str> = t.params.iter().map(|p| p.name).collect();
        if t.method != HttpMethod::Delete {
            expected.push(twilio_mcp_codegen::FIELDS_ARG);
        }
        let keys: Vec<&str> = props.keys().map(String::as_str).collect();
        assert_eq!(keys, expected, "{}", t.name);

        if let Err(e) = meta.validate(&s) {
            panic!("{}: not a valid draft 2020-12 schema: {e}", t.name);
        }
        if let Err(e) = jsonschema::draft202012::new(&s) {
            panic!("{}: does not compile as a validator: {e}", t.name);
        }
    }
}

#[test]
fn path_parameters_are_required_unless_filled_from_config() {
    for t in tools() {
        let s = schema(t);
        let required: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut placeholders: Vec<&str> = t
            .path
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(name, _)| name))
            .collect();
        let mut path_params: Vec<&str> = Vec::new();
        for p in t.params {
            if p.from_config {
                // The account SID: in the path, or required elsewhere (IamV1 keys).
                assert_eq!(
                    (p.name, p.wire_name),
                    ("AccountSid", "AccountSid"),
                    "{}",
                    t.name
                );
                assert!(
                    p.location == ParamLocation::Path || p.required,
                    "{}.{}",
                    t.name,
                    p.name
                );
            }
            if p.location == ParamLocation::Path {
                path_params.push(p.wire_name);
                assert!(p.required, "{}.{}", t.name, p.name);
                assert_eq!(
                    required.contains(&p.name),
                    !p.from_config,
                    "{}.{}: required in the schema",
                    t.name,
                    p.name
                );
            } else {
                assert_eq!(
                    required.contains(&p.name),
                    p.required && !p.from_config,
                    "{}.{}",
                    t.name,
                    p.name
                );
            }
        }
        // Every placeholder has exactly one argument that fills it.
        placeholders.sort_unstable();
        path_params.sort_unstable();
        assert_eq!(placeholders, path_params, "{} {}", t.name, t.path);
    }
}

#[test]
fn no_authorization_argument() {
    for t in tools() {
        for p in t.params {
            assert!(
                !p.name.eq_ignore_ascii_case("authorization")
                    && !p.wire_name.eq_ignore_ascii_case("authorization"),
                "{}.{}",
                t.name,
                p.name
            );
        }
        assert!(
            schema(t)["properties"].get("Authorization").is_none(),
            "{}",
            t.name
        );
    }
}

// ---------------------------------------------------------------- descriptions

#[test]
fn no_account_sid_anywhere() {
    for t in tools() {
        if let Some(sid) = account_sid_in(t.input_schema) {
            panic!("{}: input schema contains {sid}", t.name);
        }
        for (at, text) in texts(t) {
            if let Some(sid) = account_sid_in(&text) {
                panic!("{} {at}: contains {sid}", t.name);
            }
        }
        for p in t.params {
            if let Some(sid) = p.default.and_then(account_sid_in) {
                panic!("{}.{}: default contains {sid}", t.name, p.name);
            }
        }
    }
}

#[test]
fn descriptions_have_no_markdown_links_or_html() {
    let mut bad = Vec::new();
    for t in tools() {
        for (at, text) in texts(t) {
            if text.contains("](http") {
                bad.push(format!("{} {at}: markdown link in {text:?}", t.name));
            }
            if let Some(tag) = html_tag_in(&text) {
                bad.push(format!("{} {at}: HTML tag {tag} in {text:?}", t.name));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} descriptions:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn helpers_detect_what_they_should() {
    assert_eq!(
        account_sid_in(&format!("x AC{} y", "a1".repeat(16))),
        Some(format!("AC{}", "a1".repeat(16)).as_str())
    );
    assert_eq!(account_sid_in("^AC[0-9a-fA-F]{32}$"), None);
    assert_eq!(html_tag_in("a <b>bold</b>"), Some("<b>"));
    assert_eq!(
        html_tag_in("see <a href=\"x\">x</a>"),
        Some("<a href=\"x\">")
    );
    assert_eq!(html_tag_in("line<br/>break"), Some("<br/>"));
    assert_eq!(html_tag_in("x < 5 and y > 2"), None);
    assert_eq!(html_tag_in("`<=YYYY-MM-DD`"), None);
}

// ---------------------------------------------------------------- services

#[test]
fn services_resolve_to_the_spec_tool_counts() {
    let counts: BTreeMap<&str, usize> = SERVICES
        .iter()
        .map(|s| (s.name, tools().filter(|t| s.tags.contains(&t.tag)).count()))
        .collect();
    for s in SERVICES {
        for tag in s.tags {
            assert!(
                TAGS.iter().any(|t| t.name == *tag),
                "service {} names tag {tag}, which has no tools",
                s.name
            );
        }
    }
    let names: Vec<&str> = SERVICES.iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "Messaging",
            "Voice",
            "VoiceAddOns",
            "Conversations",
            "Studio",
            "TaskRouter",
            "Serverless",
            "Account",
            "PhoneNumbers",
            "Applications",
            "Auth",
            "AddOns",
            "Usage"
        ]
    );
    if pinned() {
        let expected = BTreeMap::from([
            ("Messaging", 10),
            ("Voice", 5),
            ("VoiceAddOns", 9),
            ("Conversations", 44),
            ("Studio", 16),
            ("TaskRouter", 47),
            ("Serverless", 38),
            ("Account", 4),
            ("PhoneNumbers", 11),
            ("Applications", 5),
            ("Auth", 1),
            ("AddOns", 3),
            ("Usage", 14),
        ]);
        assert_eq!(counts, expected);
    }
    // IncomingPhoneNumber tools are in both Messaging and PhoneNumbers.
    let service = |name| SERVICES.iter().find(|s| s.name == name).expect("service");
    for name in ["Messaging", "PhoneNumbers"] {
        assert!(
            service(name)
                .tags
                .contains(&"Api20100401IncomingPhoneNumber")
        );
    }
    assert_eq!(
        tool("ApiV2010_CreateIncomingPhoneNumber").tag,
        "Api20100401IncomingPhoneNumber"
    );
}

// ---------------------------------------------------------------- Twilio quirks

#[test]
fn inequality_filters_have_safe_names_and_keep_wire_names() {
    let mut found = Vec::new();
    for t in tools() {
        for p in t.params {
            let Some((stem, suffix)) = p
                .wire_name
                .strip_suffix('<')
                .map(|s| (s, "Before"))
                .or_else(|| p.wire_name.strip_suffix('>').map(|s| (s, "After")))
            else {
                assert!(!p.name.contains(['<', '>']), "{}.{}", t.name, p.name);
                continue;
            };
            assert_eq!(p.name, format!("{stem}{suffix}"), "{}", t.name);
            assert!(is_safe_property_key(p.name), "{}.{}", t.name, p.name);
            assert_eq!(p.location, ParamLocation::Query, "{}.{}", t.name, p.name);
            found.push(format!("{}.{}", t.name, p.wire_name));
        }
    }
    if pinned() {
        assert_eq!(found.len(), 24, "{found:#?}");
    }
    let list = tool("ApiV2010_ListMessage");
    let before = list.param("DateSentBefore").expect("DateSentBefore");
    let after = list.param("DateSentAfter").expect("DateSentAfter");
    assert_eq!(
        (before.wire_name, after.wire_name),
        ("DateSent<", "DateSent>")
    );
    assert_eq!(
        list.param("DateSent").expect("DateSent").wire_name,
        "DateSent"
    );
}

#[test]
fn update_incoming_phone_number_has_path_and_body_account_sid() {
    let t = tool("ApiV2010_UpdateIncomingPhoneNumber");
    let account: Vec<_> = t
        .params
        .iter()
        .filter(|p| p.wire_name == "AccountSid")
        .collect();
    assert_eq!(account.len(), 2, "{account:#?}");
    let path = account
        .iter()
        .find(|p| p.location == ParamLocation::Path)
        .expect("path AccountSid");
    let body = account
        .iter()
        .find(|p| p.location == ParamLocation::Form)
        .expect("body AccountSid");
    assert_ne!(path.name, body.name);
    assert!(path.from_config);
    assert!(!body.from_config);
    let props = schema(t)["properties"].clone();
    assert!(props.get(path.name).is_some() && props.get(body.name).is_some());
}

#[test]
fn create_call_needs_at_least_one_of_url_twiml_application_sid() {
    let t = tool("ApiV2010_CreateCall");
    assert_eq!(t.at_least_one_of, [&["Url", "Twiml", "ApplicationSid"][..]]);
    for name in ["Url", "Twiml", "ApplicationSid", "To", "From"] {
        assert!(t.param(name).is_some(), "CreateCall has no {name}");
    }
    assert!(
        t.description
            .contains("Give at least one of: Url, Twiml, ApplicationSid.")
    );
}

#[test]
fn well_known_tools() {
    let create = tool("ApiV2010_CreateMessage");
    assert_eq!(create.method, HttpMethod::Post);
    assert_eq!(create.server, "https://api.twilio.com");
    assert_eq!(
        create.path,
        "/2010-04-01/Accounts/{AccountSid}/Messages.json"
    );
    assert_eq!(create.body, catalog::BodyEncoding::Form);
    assert_eq!(create.auth, catalog::AuthScheme::Basic);
    assert!(!create.annotations.read_only && !create.annotations.destructive);
    assert!(tool("ApiV2010_ListMessage").annotations.read_only);
    assert!(tool("ApiV2010_DeleteMessage").annotations.destructive);
}

#[test]
fn serverless_uploads_are_catalog_tools() {
    for (name, tag, sid, fixed_type) in [
        (
            "ServerlessV1_CreateFunctionVersion",
            "ServerlessV1FunctionVersion",
            "FunctionSid",
            Some("application/javascript"),
        ),
        (
            "ServerlessV1_CreateAssetVersion",
            "ServerlessV1AssetVersion",
            "AssetSid",
            None,
        ),
    ] {
        let t = tool(name);
        assert_eq!(
            (t.spec, t.tag, t.method, t.body, t.auth),
            (
                "twilio_serverless_v1",
                tag,
                HttpMethod::Post,
                catalog::BodyEncoding::Multipart,
                catalog::AuthScheme::Basic
            ),
            "{name}"
        );
        assert_eq!(t.server, "https://serverless-upload.twilio.com", "{name}");
        assert!(t.path.starts_with("/v1/Services/{ServiceSid}/"), "{name}");
        // A create: not read-only (so --read-only removes it), not destructive.
        assert!(!t.annotations.read_only && !t.annotations.destructive);
        let names: Vec<&str> = t.params.iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                "ServiceSid",
                sid,
                "Path",
                "Visibility",
                "Content",
                "ContentBase64"
            ]
        );
        assert_eq!(t.at_least_one_of, [&["Content", "ContentBase64"][..]]);
        for p in &t.params[4..] {
            assert_eq!(p.location, ParamLocation::File, "{name}.{}", p.name);
            assert_eq!(p.wire_name, "Content");
            let file = p.file.expect("a file argument");
            assert_eq!(file.content_type, fixed_type, "{name}");
            assert_eq!(file.name_from, Some("Path"));
            assert_eq!(file.max_bytes, Some(25 * 1024 * 1024));
        }
        let visibility = t.param("Visibility").expect("Visibility");
        assert_eq!(visibility.enum_values, ["public", "protected", "private"]);
        let serverless = SERVICES
            .iter()
            .find(|s| s.name == "Serverless")
            .expect("Serverless");
        assert!(serverless.tags.contains(&tag), "{name}");
    }
    // Twilio's own read tools of the same resources stay on Twilio's host.
    assert_eq!(
        tool("ServerlessV1_ListFunctionVersion").server,
        "https://serverless.twilio.com"
    );
    assert!(FINDINGS.iter().any(|f| {
        f.operation == Some("ServerlessV1_CreateFunctionVersion")
            && f.message == "added by the extension `serverless_upload`: not in Twilio's spec"
    }));
}

// ---------------------------------------------------------------- fixture snapshot

/// The codegen snapshot of the fixture specs compiles against the runtime
/// types, so a change to either side that breaks the other shows here.
mod fixture_snapshot {
    #![allow(dead_code, clippy::all)]
    use twilio_mcp::catalog::*;
    include!("../codegen/tests/output/fixtures.rs.out");
}

#[test]
fn fixture_snapshot_compiles_against_the_runtime_types() {
    assert_eq!(fixture_snapshot::TOOL_COUNT, 16);
    assert_eq!(fixture_snapshot::TOOL_INDEX.len(), 16);
    assert_eq!(fixture_snapshot::SPECS.len(), 2);
    let fetch = fixture_snapshot::TAGS
        .iter()
        .flat_map(|t| t.tools)
        .find(|t| t.name == "AcmeAlphaV1_FetchThing")
        .expect("fixture tool");
    assert_eq!(fetch.method, HttpMethod::Get);
    assert!(fetch.params[0].from_config);
    let upload = fixture_snapshot::TAGS
        .iter()
        .flat_map(|t| t.tools)
        .find(|t| t.name == "AcmeAlphaV1_CreateAttachment")
        .expect("fixture upload");
    assert_eq!(upload.body, catalog::BodyEncoding::Multipart);
    let file = upload
        .param("ContentBase64")
        .and_then(|p| p.file)
        .expect("a file argument");
    assert_eq!(
        (file.encoding, file.name_from, file.max_bytes),
        (catalog::FileEncoding::Base64, Some("Path"), Some(2048))
    );
}
