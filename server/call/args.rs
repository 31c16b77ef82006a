//! Checking a tool call's arguments before anything is sent to Twilio.
//!
//! Two passes. The first, over the catalog's parameter list, gives the
//! messages a model can act on: an unknown argument, a missing required one,
//! a wrong JSON type, a value outside an enum, an "at least one of" rule
//! broken. The second validates against the tool's full input schema
//! (patterns, bounds, nested objects), with a validator compiled once per
//! tool.

use std::fmt;
use std::sync::{LazyLock, OnceLock};

use serde_json::{Map, Value};

// FIELDS_ARG: the argument that picks response fields (not sent to Twilio).
use crate::catalog::{self, FIELDS_ARG, Tool, ToolId, ValueKind};

/// Why a call's arguments were refused; names the argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError(pub String);

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ArgError {}

/// Checks `args` against the tool's parameters and input schema.
pub fn check(id: ToolId, tool: &Tool, args: &Map<String, Value>) -> Result<(), ArgError> {
    let takes_fields = tool.takes_fields();
    for (name, value) in args {
        if name == FIELDS_ARG && takes_fields {
            check_fields(value)?;
            continue;
        }
        let Some(param) = tool.param(name) else {
            return Err(ArgError(format!(
                "unknown argument `{name}` for {}; valid arguments: {}",
                tool.name,
                valid_names(tool, takes_fields)
            )));
        };
        if value.is_null() {
            continue;
        }
        if !kind_matches(param.kind, value) {
            return Err(ArgError(format!(
                "argument `{name}` must be {} {}, got {}",
                article(param.kind),
                param.kind.as_str(),
                describe(value)
            )));
        }
        if !param.enum_values.is_empty()
            && let Some(s) = value.as_str()
            && !param.enum_values.contains(&s)
        {
            return Err(ArgError(format!(
                "argument `{name}` must be one of {}, got \"{s}\"",
                enum_list(param.enum_values, s)
            )));
        }
    }
    let missing: Vec<&str> = tool
        .params
        .iter()
        .filter(|p| p.required && !p.from_config && is_absent(args.get(p.name)))
        .map(|p| p.name)
        .collect();
    if !missing.is_empty() {
        return Err(ArgError(format!(
            "missing required argument{} {} for {}",
            if missing.len() > 1 { "s" } else { "" },
            missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", "),
            tool.name
        )));
    }
    // A file is one part, given as text or as base64: never both.
    for param in tool.params.iter().filter(|p| p.file.is_some()) {
        let given: Vec<&str> = tool
            .params
            .iter()
            .filter(|p| p.file.is_some() && p.wire_name == param.wire_name)
            .filter(|p| !is_absent(args.get(p.name)))
            .map(|p| p.name)
            .collect();
        if given.len() > 1 {
            return Err(ArgError(format!(
                "give only one of {} for {}: they are the same file, as text or as base64",
                given.join(", "),
                tool.name
            )));
        }
    }
    // Twilio's `x-twilio.conditional` groups mean "at least one of": a
    // message may have both Body and MediaUrl, or From with a
    // MessagingServiceSid; Twilio decides precedence between them. (A
    // required file's two arguments are such a group too.)
    for group in tool.at_least_one_of {
        if group.iter().all(|n| is_absent(args.get(*n))) {
            return Err(ArgError(format!(
                "give at least one of {} for {}",
                group.join(", "),
                tool.name
            )));
        }
    }
    check_schema(id, args)
}

/// The allowed values for a message: all of them when few, else the count
/// and the ones that look like what was given.
fn enum_list(values: &[&str], given: &str) -> String {
    const LISTED: usize = 40;
    if values.len() <= LISTED {
        return values.join(", ");
    }
    // The first three characters (not bytes: the value may be any text).
    let stem: String = given.to_lowercase().chars().take(3).collect();
    let similar: Vec<&str> = values
        .iter()
        .copied()
        .filter(|v| !stem.is_empty() && v.to_lowercase().contains(&stem))
        .take(10)
        .collect();
    if similar.is_empty() {
        format!("{} values (e.g. {})", values.len(), values[..8].join(", "))
    } else {
        format!("{} values (similar: {})", values.len(), similar.join(", "))
    }
}

fn is_absent(value: Option<&Value>) -> bool {
    value.is_none_or(Value::is_null)
}

fn check_fields(value: &Value) -> Result<(), ArgError> {
    match value {
        Value::Array(items) if items.iter().all(Value::is_string) => Ok(()),
        Value::Null => Ok(()),
        other => Err(ArgError(format!(
            "argument `{FIELDS_ARG}` must be an array of field names, got {}",
            describe(other)
        ))),
    }
}

fn kind_matches(kind: ValueKind, value: &Value) -> bool {
    match kind {
        ValueKind::String => value.is_string(),
        ValueKind::Integer => value.is_i64() || value.is_u64(),
        ValueKind::Number => value.is_number(),
        ValueKind::Boolean => value.is_boolean(),
        ValueKind::Array => value.is_array(),
        ValueKind::Object => value.is_object(),
        ValueKind::Any => true,
    }
}

fn article(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Integer | ValueKind::Array | ValueKind::Object => "an",
        ValueKind::Any => "",
        _ => "a",
    }
}

/// A short description of a value for messages (never the whole value).
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) if s.chars().count() > 40 => "a string".into(),
        Value::String(s) => format!("string \"{s}\""),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn valid_names(tool: &Tool, takes_fields: bool) -> String {
    let mut names: Vec<&str> = tool.params.iter().map(|p| p.name).collect();
    if takes_fields {
        names.push(FIELDS_ARG);
    }
    names.join(", ")
}

/// Compiled validators, one per tool, built on first use.
static VALIDATORS: LazyLock<Vec<OnceLock<Option<jsonschema::Validator>>>> =
    LazyLock::new(|| (0..catalog::TOOL_COUNT).map(|_| OnceLock::new()).collect());

fn check_schema(id: ToolId, args: &Map<String, Value>) -> Result<(), ArgError> {
    let Some(slot) = VALIDATORS.get(usize::from(id)) else {
        return Ok(());
    };
    let validator = slot.get_or_init(|| jsonschema::validator_for(&validation_schema(id)).ok());
    let Some(validator) = validator else {
        // The catalog tests prove every schema compiles; never block a call
        // on a validator that could not be built.
        return Ok(());
    };
    // Nulls mean "not given" for the first pass; drop them for the schema.
    let instance = Value::Object(
        args.iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    );
    match validator.validate(&instance) {
        Ok(()) => Ok(()),
        Err(error) => {
            let path = error
                .instance_path()
                .as_str()
                .trim_start_matches('/')
                .to_string();
            let what = if path.is_empty() {
                "arguments".to_string()
            } else {
                format!("argument `{}`", path.replace('/', "."))
            };
            Err(ArgError(format!("{what}: {}", error.masked())))
        }
    }
}

/// The served input schema plus what it leaves out to save tokens (SID
/// patterns), so the server checks what the model was not told.
fn validation_schema(id: ToolId) -> Value {
    let mut schema = Value::Object((*catalog::input_schema(id)).clone());
    let Some(tool) = catalog::get(id) else {
        return schema;
    };
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        for param in tool.params {
            if let (Some(pattern), Some(Value::Object(prop))) =
                (param.pattern, props.get_mut(param.name))
            {
                prop.insert("pattern".into(), Value::String(pattern.to_string()));
            }
        }
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(name: &str, args: Value) -> Result<(), ArgError> {
        let (id, tool) = catalog::find(name).expect("tool exists");
        let args = args.as_object().cloned().unwrap_or_default();
        check(id, tool, &args)
    }

    #[test]
    fn good_arguments_pass() {
        call(
            "ApiV2010_CreateMessage",
            json!({"To": "+15551234567", "From": "+15557654321", "Body": "hi"}),
        )
        .expect("valid");
        call(
            "ApiV2010_ListMessage",
            json!({"PageSize": 20, "fields": ["sid"]}),
        )
        .expect("valid");
    }

    #[test]
    fn unknown_argument_is_named() {
        let e = call("ApiV2010_ListMessage", json!({"Bogus": 1})).expect_err("unknown");
        assert!(e.0.contains("`Bogus`"), "{e}");
    }

    #[test]
    fn missing_required_is_named() {
        let e = call(
            "ApiV2010_CreateMessage",
            json!({"Body": "hi", "From": "+1555"}),
        )
        .expect_err("missing");
        assert!(e.0.contains("`To`"), "{e}");
    }

    #[test]
    fn wrong_type_is_named() {
        let e = call("ApiV2010_ListMessage", json!({"PageSize": "20"})).expect_err("type");
        assert!(e.0.contains("`PageSize`") && e.0.contains("integer"), "{e}");
    }

    #[test]
    fn enum_is_checked() {
        let e = call(
            "ApiV2010_CreateMessage",
            json!({"To": "+1", "From": "+2", "Body": "x", "ContentRetention": "forever"}),
        )
        .expect_err("enum");
        assert!(
            e.0.contains("ContentRetention") && e.0.contains("retain"),
            "{e}"
        );
    }

    #[test]
    fn at_least_one_of_is_enforced() {
        let e = call("ApiV2010_CreateMessage", json!({"To": "+1", "Body": "x"})).expect_err("none");
        assert!(
            e.0.contains("at least one of From, MessagingServiceSid"),
            "{e}"
        );
        // Both of a group is fine: an MMS with a caption, a sender from a pool.
        call(
            "ApiV2010_CreateMessage",
            json!({"To": "+1", "From": "+2", "MessagingServiceSid": "MG00000000000000000000000000000000",
                   "Body": "x", "MediaUrl": ["https://example.com/a.png"]}),
        )
        .expect("both are allowed");
    }

    #[test]
    fn schema_pass_checks_patterns() {
        let e = call("ApiV2010_FetchMessage", json!({"Sid": "not-a-sid"})).expect_err("pattern");
        assert!(e.0.contains("`Sid`"), "{e}");
    }

    #[test]
    fn enum_messages_survive_any_text() {
        // More than 40 values: the message names similar ones; a multi-byte
        // value must not be cut inside a character.
        let e = call("ApiV2010_ListUsageRecord", json!({"Category": "éé"})).expect_err("enum");
        assert!(e.0.contains("`Category`"), "{e}");
    }

    #[test]
    fn a_file_is_given_once_as_text_or_base64() {
        let base = json!({"ServiceSid": "ZS00000000000000000000000000000000",
                          "FunctionSid": "ZH00000000000000000000000000000000",
                          "Path": "/hello", "Visibility": "public"});
        let with = |extra: Value| {
            let mut args = base.clone();
            args.as_object_mut()
                .expect("object")
                .extend(extra.as_object().expect("object").clone());
            call("ServerlessV1_CreateFunctionVersion", args)
        };
        with(json!({"Content": "exports.handler = () => {};"})).expect("text");
        with(json!({"ContentBase64": "eA=="})).expect("base64");
        let none = with(json!({})).expect_err("no file");
        assert_eq!(
            none.0,
            "give at least one of Content, ContentBase64 for ServerlessV1_CreateFunctionVersion"
        );
        let both = with(json!({"Content": "x", "ContentBase64": "eA=="})).expect_err("both");
        assert_eq!(
            both.0,
            "give only one of Content, ContentBase64 for ServerlessV1_CreateFunctionVersion: \
             they are the same file, as text or as base64"
        );
        let bad = with(json!({"Content": "x", "Visibility": "secret"})).expect_err("enum");
        assert!(bad.0.contains("public, protected, private"), "{bad}");
    }

    #[test]
    fn delete_tools_take_no_fields() {
        let e = call(
            "ApiV2010_DeleteMessage",
            json!({"Sid": "SM00000000000000000000000000000000", "fields": ["sid"]}),
        )
        .expect_err("fields");
        assert!(e.0.contains("unknown argument `fields`"), "{e}");
    }

    #[test]
    fn fields_must_be_strings() {
        let e = call("ApiV2010_ListMessage", json!({"fields": "sid"})).expect_err("fields");
        assert!(e.0.contains("`fields`"), "{e}");
    }
}

#[cfg(test)]
mod fuzz {
    //! Arbitrary arguments against arbitrary tools: checking and request
    //! building return errors, never panic.
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    use super::check;
    use crate::call::request;
    use crate::catalog;

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            ".{0,40}".prop_map(Value::String),
            "(AC|SM|MG)[0-9a-f]{32}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(".{0,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn never_panics(
            tool_index in 0..catalog::TOOL_COUNT,
            values in prop::collection::vec(json_value(), 0..8),
            extra_keys in prop::collection::vec(".{0,12}", 0..3),
        ) {
            let id = tool_index as catalog::ToolId;
            let tool = catalog::get(id).expect("every id below TOOL_COUNT exists");
            let mut args = Map::new();
            // Mostly the tool's own argument names, so checks get past "unknown".
            for (value, param) in values.into_iter().zip(tool.params.iter().cycle()) {
                args.insert(param.name.to_string(), value);
            }
            for key in extra_keys {
                args.insert(key, Value::Null);
            }
            let checked = check(id, tool, &args);
            // Whatever the checks say, building the request must not panic either.
            let _ = request::prepare(tool, &args, Some("AC00000000000000000000000000000000"), None);
            if checked.is_ok() {
                let _ = request::prepare(tool, &args, None, Some("http://127.0.0.1:9"));
            }
        }
    }
}
