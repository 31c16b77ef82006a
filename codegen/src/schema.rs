//! OpenAPI 3.0 schemas → self-contained JSON Schema (draft 2020-12).
//!
//! Works on the schema as JSON (`serde_json::to_value` of an `openapiv3`
//! schema round-trips): `$ref`s to `components/schemas` are resolved and
//! inlined, OpenAPI-only keywords (`nullable`, `example`, `x-*`, …) dropped,
//! OpenAPI 3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` rewritten as
//! JSON Schema numbers, `allOf` merged into one object, and descriptions
//! cleaned. The result never contains a `$ref`.

use serde_json::{Map, Value};

use crate::error::SchemaError;
use crate::model::ValueKind;
use crate::text;

/// Keywords copied as they are (after recursion where they hold schemas).
const KEPT: &[&str] = &[
    "type",
    "format",
    "enum",
    "const",
    "default",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "multipleOf",
];

/// How deep nested `$ref`s may go before a schema is cut to `{}`.
const MAX_DEPTH: usize = 24;

/// Resolves `$ref`s against one spec's `components/schemas`.
pub struct Resolver<'a> {
    components: &'a Map<String, Value>,
}

impl<'a> Resolver<'a> {
    pub fn new(components: &'a Map<String, Value>) -> Self {
        Self { components }
    }

    fn lookup(&self, reference: &str) -> Result<&'a Value, SchemaError> {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .ok_or_else(|| SchemaError::UnsupportedRef(reference.to_string()))?;
        self.components
            .get(name)
            .ok_or_else(|| SchemaError::UnresolvedRef(reference.to_string()))
    }

    /// Converts an OpenAPI schema into a self-contained JSON Schema.
    pub fn to_json_schema(&self, schema: &Value) -> Result<Value, SchemaError> {
        self.convert(schema, &mut Vec::new())
    }

    fn convert(&self, schema: &Value, stack: &mut Vec<String>) -> Result<Value, SchemaError> {
        let Value::Object(obj) = schema else {
            // `true`/`false` schemas and anything else pass through.
            return Ok(schema.clone());
        };
        if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
            if stack.iter().any(|r| r == reference) || stack.len() >= MAX_DEPTH {
                // A recursive schema: stop here with "any object".
                return Ok(serde_json::json!({"type": "object"}));
            }
            let target = self.lookup(reference)?;
            stack.push(reference.to_string());
            let mut converted = self.convert(target, stack);
            stack.pop();
            // A description next to the $ref (OpenAPI 3.1 style) wins.
            if let (Ok(Value::Object(out)), Some(desc)) = (&mut converted, description_of(obj)) {
                out.insert("description".into(), Value::String(desc));
            }
            return converted;
        }

        let mut out = Map::new();
        if let Some(parts) = obj.get("allOf").and_then(Value::as_array) {
            for part in parts {
                let part = self.convert(part, stack)?;
                merge_into(&mut out, part);
            }
        }
        for key in KEPT {
            if let Some(value) = obj.get(*key) {
                if *key == "enum" {
                    // `null` in an enum only mirrors `nullable`.
                    let values: Vec<Value> = value
                        .as_array()
                        .map(|a| a.iter().filter(|v| !v.is_null()).cloned().collect())
                        .unwrap_or_default();
                    out.insert("enum".into(), Value::Array(values));
                } else {
                    out.insert((*key).into(), value.clone());
                }
            }
        }
        drop_implied_length(&mut out);
        exclusive_bound(obj, &mut out, "exclusiveMinimum", "minimum");
        exclusive_bound(obj, &mut out, "exclusiveMaximum", "maximum");
        if let Some(desc) = description_of(obj) {
            out.insert("description".into(), Value::String(desc));
        }
        if let Some(items) = obj.get("items") {
            out.insert("items".into(), self.convert(items, stack)?);
        }
        if let Some(Value::Object(props)) = obj.get("properties") {
            let mut converted = Map::new();
            for (name, prop) in props {
                converted.insert(name.clone(), self.convert(prop, stack)?);
            }
            let existing = out
                .entry("properties")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(existing) = existing {
                existing.extend(converted);
            }
        }
        if let Some(Value::Array(required)) = obj.get("required") {
            let existing = out
                .entry("required")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(existing) = existing {
                for r in required {
                    if !existing.contains(r) {
                        existing.push(r.clone());
                    }
                }
            }
        }
        if let Some(additional) = obj.get("additionalProperties") {
            let converted = match additional {
                Value::Bool(_) => additional.clone(),
                other => self.convert(other, stack)?,
            };
            out.insert("additionalProperties".into(), converted);
        }
        for combinator in ["oneOf", "anyOf"] {
            if let Some(Value::Array(parts)) = obj.get(combinator) {
                let parts = parts
                    .iter()
                    .map(|p| self.convert(p, stack))
                    .collect::<Result<Vec<_>, _>>()?;
                out.insert(combinator.into(), Value::Array(parts));
            }
        }
        if out.get("type").and_then(Value::as_str) == Some("array") && !out.contains_key("items") {
            out.insert("items".into(), Value::Object(Map::new()));
        }
        Ok(Value::Object(out))
    }
}

/// Twilio's SIDs carry `minLength: 34, maxLength: 34` beside a pattern such
/// as `^AC[0-9a-fA-F]{32}$` that already fixes the length; the lengths are
/// dropped when the anchored pattern implies exactly them, to save tokens.
fn drop_implied_length(out: &mut Map<String, Value>) {
    let (Some(Value::String(pattern)), Some(min), Some(max)) = (
        out.get("pattern"),
        out.get("minLength").and_then(Value::as_u64),
        out.get("maxLength").and_then(Value::as_u64),
    ) else {
        return;
    };
    if min == max && fixed_pattern_length(pattern) == Some(min) {
        out.remove("minLength");
        out.remove("maxLength");
    }
}

/// Length of every match of a pattern made of literal letters and digits
/// followed by one `[class]{n}`, anchored at both ends (`^AC[0-9a-fA-F]{32}$`).
fn fixed_pattern_length(pattern: &str) -> Option<u64> {
    let body = pattern.strip_prefix('^')?.strip_suffix('$')?;
    let (literal, rest) = body.split_once('[')?;
    if !literal.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let (class, count) = rest.split_once("]{")?;
    if class.contains(['[', ']', '\\']) {
        return None;
    }
    let count: u64 = count.strip_suffix('}')?.parse().ok()?;
    Some(literal.len() as u64 + count)
}

/// OpenAPI 3.0 writes `exclusiveMinimum: true` beside `minimum`; JSON Schema
/// 2020-12 writes `exclusiveMinimum: <number>`.
fn exclusive_bound(obj: &Map<String, Value>, out: &mut Map<String, Value>, key: &str, base: &str) {
    match obj.get(key) {
        Some(Value::Bool(true)) => {
            if let Some(bound) = out.remove(base) {
                out.insert(key.into(), bound);
            }
        }
        Some(Value::Number(n)) => {
            out.insert(key.into(), Value::Number(n.clone()));
        }
        _ => {}
    }
}

fn description_of(obj: &Map<String, Value>) -> Option<String> {
    let desc = text::clean(obj.get("description").and_then(Value::as_str)?);
    (!desc.is_empty()).then_some(desc)
}

/// Merges an `allOf` part into the schema built so far.
fn merge_into(out: &mut Map<String, Value>, part: Value) {
    let Value::Object(part) = part else { return };
    for (key, value) in part {
        match (key.as_str(), out.get_mut(&key), value) {
            ("properties", Some(Value::Object(existing)), Value::Object(more)) => {
                existing.extend(more);
            }
            ("required", Some(Value::Array(existing)), Value::Array(more)) => {
                for r in more {
                    if !existing.contains(&r) {
                        existing.push(r);
                    }
                }
            }
            (_, Some(_), _) => {}
            (_, None, value) => {
                out.insert(key, value);
            }
        }
    }
}

/// The JSON type a converted schema accepts.
pub fn kind_of(schema: &Value) -> ValueKind {
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => ValueKind::String,
        Some("integer") => ValueKind::Integer,
        Some("number") => ValueKind::Number,
        Some("boolean") => ValueKind::Boolean,
        Some("array") => ValueKind::Array,
        Some("object") => ValueKind::Object,
        _ if schema.get("properties").is_some() => ValueKind::Object,
        _ => ValueKind::Any,
    }
}

/// Sets (or replaces) a schema's description.
pub fn set_description(schema: &mut Value, desc: String) {
    if let Value::Object(obj) = schema {
        obj.insert("description".into(), Value::String(desc));
    }
}

/// The strings of a JSON array (other items skipped); empty when absent.
pub fn string_array(value: Option<&Value>) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn components() -> Map<String, Value> {
        json!({
            "status": {"type": "string", "enum": ["queued", "sent", null], "nullable": true},
            "node": {"type": "object", "properties": {"child": {"$ref": "#/components/schemas/node"}}},
            "base": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
        })
        .as_object()
        .cloned()
        .unwrap_or_default()
    }

    #[test]
    fn refs_are_inlined_and_openapi_keywords_dropped() {
        let c = components();
        let r = Resolver::new(&c);
        let out = r
            .to_json_schema(&json!({"$ref": "#/components/schemas/status"}))
            .expect("convert");
        assert_eq!(out, json!({"type": "string", "enum": ["queued", "sent"]}));
    }

    #[test]
    fn recursion_is_cut() {
        let c = components();
        let r = Resolver::new(&c);
        let out = r
            .to_json_schema(&json!({"$ref": "#/components/schemas/node"}))
            .expect("convert");
        assert_eq!(
            out,
            json!({"type": "object", "properties": {"child": {"type": "object"}}})
        );
    }

    #[test]
    fn all_of_merges_and_bounds_are_rewritten() {
        let c = components();
        let r = Resolver::new(&c);
        let out = r
            .to_json_schema(&json!({"allOf": [
                {"$ref": "#/components/schemas/base"},
                {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0, "exclusiveMinimum": true}}, "required": ["n"]}
            ]}))
            .expect("convert");
        assert_eq!(
            out,
            json!({"type": "object",
                   "properties": {"a": {"type": "string"}, "n": {"type": "integer", "exclusiveMinimum": 0}},
                   "required": ["a", "n"]})
        );
    }

    #[test]
    fn sid_lengths_implied_by_the_pattern_are_dropped() {
        let c = components();
        let r = Resolver::new(&c);
        let sid = json!({"type": "string", "minLength": 34, "maxLength": 34, "pattern": "^AC[0-9a-fA-F]{32}$"});
        assert_eq!(
            r.to_json_schema(&sid).expect("convert"),
            json!({"type": "string", "pattern": "^AC[0-9a-fA-F]{32}$"})
        );
        let other = json!({"type": "string", "minLength": 10, "maxLength": 34, "pattern": "^AC[0-9a-fA-F]{32}$"});
        assert_eq!(r.to_json_schema(&other).expect("convert"), other);
    }

    #[test]
    fn helpers_on_converted_schemas() {
        let mut s = json!({"type": "string", "description": "Old."});
        set_description(&mut s, "New.".into());
        assert_eq!(s, json!({"type": "string", "description": "New."}));
        let mut not_an_object = json!(true);
        set_description(&mut not_an_object, "New.".into());
        assert_eq!(not_an_object, json!(true));
        assert_eq!(string_array(Some(&json!(["a", 1, "b"]))), ["a", "b"]);
        assert!(string_array(Some(&json!("a"))).is_empty());
        assert!(string_array(None).is_empty());
    }

    #[test]
    fn unresolved_ref_is_an_error() {
        let c = components();
        let r = Resolver::new(&c);
        assert!(
            r.to_json_schema(&json!({"$ref": "#/components/schemas/missing"}))
                .is_err()
        );
        assert_eq!(
            r.to_json_schema(&json!({"items": {"$ref": "other.json#/x"}})),
            Err(SchemaError::UnsupportedRef("other.json#/x".into()))
        );
    }
}
