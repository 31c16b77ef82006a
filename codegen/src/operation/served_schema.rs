//! The input schema clients are served: one property per argument, plus
//! `fields`, on a token diet.
//!
//! A tool definition is paid for in tokens on every request, so the served
//! schema leaves out what the server checks itself (SID patterns and the
//! lengths they imply, long enums beyond a few examples) or what is said
//! elsewhere (the configured account's description, a restated "at least
//! one of" rule), and carries condensed descriptions ([`text::condense`]).
//! [`ParamDef`] keeps the full facts for the server.

use serde_json::{Map, Value};

use crate::error::OperationError;
use crate::model::{FIELDS_ARG, ParamDef};
use crate::schema::string_array;
use crate::text;

/// Characters in a Twilio SID: two letters and 32 hex digits.
const SID_LENGTH: u64 = 34;

/// Most enum values listed in a served input schema.
const MAX_SERVED_ENUM: usize = 40;

/// Enum values a shortened enum still names.
const ENUM_EXAMPLES: usize = 8;

/// The tool's input schema: one property per argument, path ones required
/// (except the account SID the server fills), plus `fields` when the tool
/// takes it.
pub(super) fn input_schema(
    params: &[ParamDef],
    schemas: Vec<Value>,
    at_least_one_of: &[Vec<String>],
    takes_fields: bool,
    default_output: &[String],
) -> Result<String, OperationError> {
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
    if takes_fields {
        properties.insert(FIELDS_ARG.into(), fields_schema(default_output));
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
    Ok(serde_json::to_string(&Value::Object(schema))?)
}

/// The [`FIELDS_ARG`] property, naming the resource's default fields.
fn fields_schema(default_output: &[String]) -> Value {
    let desc = if default_output.is_empty() {
        "Fields to return; default all.".to_string()
    } else {
        format!(
            "Fields to return; default {}; [\"*\"]: all.",
            default_output.join(",")
        )
    };
    serde_json::json!({"type": "array", "items": {"type": "string"}, "description": desc})
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
        .take(ENUM_EXAMPLES)
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{ParamLocation, ValueKind};

    fn param(name: &str) -> ParamDef {
        ParamDef {
            name: name.into(),
            wire_name: name.into(),
            location: ParamLocation::Form,
            kind: ValueKind::String,
            required: false,
            from_config: false,
            format: None,
            enum_values: Vec::new(),
            default: None,
            pattern: None,
            description: String::new(),
            file: None,
        }
    }

    fn served(params: &[ParamDef], schemas: Vec<Value>, groups: &[Vec<String>]) -> Value {
        let text = input_schema(params, schemas, groups, false, &[]).expect("serialises");
        serde_json::from_str(&text).expect("JSON")
    }

    #[test]
    fn fields_says_what_comes_back_by_default() {
        let schema = |default_output: &[String]| -> Value {
            let text =
                input_schema(&[], Vec::new(), &[], true, default_output).expect("serialises");
            serde_json::from_str(&text).expect("JSON")
        };
        assert_eq!(
            schema(&[]),
            json!({"type": "object", "properties": {FIELDS_ARG: {
                "type": "array", "items": {"type": "string"},
                "description": "Fields to return; default all."}}})
        );
        assert_eq!(
            schema(&["sid".into(), "status".into()])["properties"][FIELDS_ARG]["description"],
            "Fields to return; default sid,status; [\"*\"]: all."
        );
        assert_eq!(
            served(&[], Vec::new(), &[]),
            json!({"type": "object", "properties": {}})
        );
    }

    #[test]
    fn required_arguments_except_the_configured_account() {
        let mut account = param("AccountSid");
        account.required = true;
        account.from_config = true;
        let mut to = param("To");
        to.required = true;
        let schemas = vec![
            json!({"type": "string", "description": "The account."}),
            json!({"type": "string", "description": "The number."}),
        ];
        assert_eq!(
            served(&[account, to], schemas, &[]),
            json!({"type": "object",
                   "properties": {"AccountSid": {"type": "string"},
                                  "To": {"type": "string", "description": "Number."}},
                   "required": ["To"]})
        );
    }

    #[test]
    fn sid_shapes_are_left_to_the_server() {
        let mut sid = param("Sid");
        sid.pattern = Some("^AC[0-9a-fA-F]{32}$".into());
        let schema = json!({"type": "string", "pattern": "^AC[0-9a-fA-F]{32}$",
                            "minLength": 34, "maxLength": 40});
        assert_eq!(
            served(&[sid.clone()], vec![schema.clone()], &[])["properties"]["Sid"],
            json!({"type": "string", "maxLength": 40})
        );
        // Without a SID shape on the definition, the schema keeps its pattern.
        let mut other = schema;
        other["maxLength"] = json!(34);
        assert_eq!(
            served(&[param("Sid")], vec![other.clone()], &[])["properties"]["Sid"],
            other
        );
    }

    #[test]
    fn long_enums_become_a_count_and_examples() {
        let values: Vec<String> = (1..=MAX_SERVED_ENUM + 1).map(|n| format!("v{n}")).collect();
        let mut schema = json!({"type": "string", "enum": values, "description": "The category"});
        shorten_long_enum(&mut schema);
        assert_eq!(
            schema,
            json!({"type": "string", "description":
                "The category. One of 41 values (checked by the server), e.g. v1, v2, v3, v4, v5, v6, v7, v8."})
        );
        let mut short = json!({"enum": values[..MAX_SERVED_ENUM]});
        let before = short.clone();
        shorten_long_enum(&mut short);
        assert_eq!(short, before);
    }

    #[test]
    fn a_restated_group_rule_goes_but_the_first_sentence_stays() {
        let group = vec!["AreaCode".to_string(), "PhoneNumber".to_string()];
        let mut schema = json!({"description":
            "The area code. You must provide an AreaCode or a PhoneNumber. US only."});
        drop_group_restatement(&mut schema, &group);
        assert_eq!(schema["description"], "The area code. US only.");
        let mut first = json!({"description": "Give an AreaCode or a PhoneNumber. More."});
        let before = first.clone();
        drop_group_restatement(&mut first, &group);
        assert_eq!(first, before);
    }

    #[test]
    fn descriptions_condense_down_to_nested_fields() {
        let mut schema = json!({
            "type": "string", "enum": ["GET", "POST"], "format": "http-method",
            "description": "The HTTP method we should use to call `status_callback` when the call ends. Defaults to `POST`.",
            "items": {"description": "The item."},
            "properties": {"status_callback": {"description": "The `status_callback` field."}},
        });
        condense_descriptions(&mut schema, &["StatusCallback", "StatusCallbackMethod"]);
        assert_eq!(
            schema,
            json!({
                "type": "string", "enum": ["GET", "POST"], "default": "POST",
                "description": "HTTP method to call StatusCallback when the call ends.",
                "items": {"description": "Item."},
                // Nested descriptions name JSON fields, not arguments.
                "properties": {"status_callback": {"description": "Status_callback field."}},
            })
        );
    }
}
