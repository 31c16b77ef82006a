//! Argument names and definitions: every input gets a name safe for every
//! client and unique within its tool, and becomes a [`ParamDef`].
//!
//! Names are Twilio's where clients accept them; `DateSent<` becomes
//! `DateSentBefore` ([`naming::safe_arg_name`]); a name already taken gets
//! its location as a prefix (`BodyAccountSid`), then a number. `fields` is
//! reserved for the server's own argument ([`FIELDS_ARG`]).

use std::collections::HashSet;

use serde_json::Value;

use crate::model::{FIELDS_ARG, FileDef, FindingLevel, ParamDef, ParamLocation};
use crate::naming;
use crate::schema::{self, set_description};

/// Argument the server fills from its configured account SID.
const ACCOUNT_SID: &str = "AccountSid";

/// The arguments of one tool as they are collected: definitions, their
/// converted schemas (same order) and the names taken so far.
pub(super) struct Arguments {
    params: Vec<ParamDef>,
    schemas: Vec<Value>,
    names: HashSet<String>,
}

impl Default for Arguments {
    fn default() -> Self {
        Self {
            params: Vec::new(),
            schemas: Vec::new(),
            // Reserved for the server's own argument.
            names: HashSet::from([FIELDS_ARG.to_string()]),
        }
    }
}

impl Arguments {
    /// Adds one argument, giving it a safe and unique name, which it returns.
    pub(super) fn push(
        &mut self,
        note: &mut impl FnMut(FindingLevel, String),
        wire: &str,
        location: ParamLocation,
        schema: Value,
        required: bool,
    ) -> String {
        self.push_suffixed(note, wire, "", location, schema, required)
    }

    /// [`Arguments::push`] for an argument whose name is the wire name's
    /// plus `suffix` (`Content` → `ContentBase64`): the second argument of a
    /// file, sent under the same wire name.
    pub(super) fn push_suffixed(
        &mut self,
        note: &mut impl FnMut(FindingLevel, String),
        wire: &str,
        suffix: &str,
        location: ParamLocation,
        schema: Value,
        required: bool,
    ) -> String {
        let mut name = naming::safe_arg_name(wire);
        let mut schema = schema;
        if !suffix.is_empty() {
            name.push_str(suffix);
        } else if name != wire {
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
            file: None,
        });
        self.schemas.push(schema);
        self.params
            .last()
            .map(|p| p.name.clone())
            .unwrap_or_default()
    }

    /// Marks the argument called `name` as carrying a file part.
    pub(super) fn set_file(&mut self, name: &str, file: FileDef) {
        if let Some(param) = self.params.iter_mut().find(|p| p.name == name) {
            param.file = Some(file);
        }
    }

    /// The argument name of the body field sent as `wire`, if there is one.
    pub(super) fn body_field(&self, wire: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.wire_name == wire && p.location == ParamLocation::Form)
            .map(|p| p.name.as_str())
    }

    /// The definitions and their converted schemas, in the same order.
    pub(super) fn into_parts(self) -> (Vec<ParamDef>, Vec<Value>) {
        (self.params, self.schemas)
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

fn location_prefix(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Path => "Path",
        ParamLocation::Query => "Query",
        ParamLocation::Header => "Header",
        ParamLocation::Form
        | ParamLocation::Json
        | ParamLocation::JsonBody
        | ParamLocation::File => "Body",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::ValueKind;

    /// Pushes `(wire name, location, required)` with a string schema; the
    /// definitions and the notes.
    fn push_all(inputs: &[(&str, ParamLocation, bool)]) -> (Vec<ParamDef>, Vec<String>) {
        let mut notes = Vec::new();
        let mut args = Arguments::default();
        for &(wire, location, required) in inputs {
            let mut note = |_, message| notes.push(message);
            args.push(
                &mut note,
                wire,
                location,
                json!({"type": "string"}),
                required,
            );
        }
        (args.into_parts().0, notes)
    }

    fn names(params: &[ParamDef]) -> Vec<&str> {
        params.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn unsafe_names_are_renamed_and_described() {
        let (params, notes) = push_all(&[("DateSent<", ParamLocation::Query, false)]);
        assert_eq!(names(&params), ["DateSentBefore"]);
        assert_eq!(params[0].wire_name, "DateSent<");
        assert_eq!(
            params[0].description,
            "Only results with DateSent on or before this value."
        );
        assert_eq!(
            notes,
            ["parameter `DateSent<` is exposed as `DateSentBefore`"]
        );
    }

    #[test]
    fn taken_names_get_their_location_then_a_number() {
        use ParamLocation::*;
        let (params, notes) = push_all(&[
            ("Sid", Path, true),
            ("Sid", Query, false),
            ("Sid", Query, false),
            ("Sid", Json, false),
            // Reserved for the server's argument.
            (FIELDS_ARG, Query, false),
        ]);
        assert_eq!(
            names(&params),
            ["Sid", "QuerySid", "QuerySid2", "BodySid", "Queryfields"]
        );
        assert_eq!(
            notes[0],
            "query parameter `Sid` is exposed as `QuerySid`: `Sid` is taken"
        );
        assert!(
            params
                .iter()
                .all(|p| p.wire_name == "Sid" || p.wire_name == FIELDS_ARG)
        );
    }

    #[test]
    fn only_the_callers_own_account_comes_from_configuration() {
        use ParamLocation::*;
        let (params, _) = push_all(&[
            ("AccountSid", Path, true),
            // The account a number is transferred to: the caller's choice.
            ("AccountSid", Form, false),
        ]);
        let from_config: Vec<_> = params
            .iter()
            .map(|p| (p.name.as_str(), p.from_config))
            .collect();
        assert_eq!(
            from_config,
            [("AccountSid", true), ("BodyAccountSid", false)]
        );
        // Outside the path, only a required one.
        let (optional, _) = push_all(&[("AccountSid", Query, false)]);
        let (required, _) = push_all(&[("AccountSid", Json, true)]);
        assert!(!optional[0].from_config && required[0].from_config);
    }

    #[test]
    fn definitions_carry_the_schemas_facts() {
        let mut args = Arguments::default();
        let schema = json!({"type": "string", "format": "uri", "enum": ["a", 2, null],
                            "default": "a", "pattern": "^AC[0-9a-fA-F]{32}$", "description": "Where."});
        args.push(
            &mut |_, _| {},
            "Url",
            ParamLocation::Form,
            schema.clone(),
            false,
        );
        args.push(
            &mut |_, _| {},
            "Code",
            ParamLocation::Form,
            json!({"pattern": "^[0-9]{6}$"}),
            false,
        );
        let (params, schemas) = args.into_parts();
        let url = &params[0];
        assert_eq!(url.kind, ValueKind::String);
        assert_eq!(url.format.as_deref(), Some("uri"));
        assert_eq!(url.enum_values, ["a", "2", "null"]);
        assert_eq!(url.default.as_deref(), Some("\"a\""));
        assert_eq!(url.pattern.as_deref(), Some("^AC[0-9a-fA-F]{32}$"));
        assert_eq!(url.description, "Where.");
        // Only SID shapes are kept for the server's check.
        assert_eq!(
            (params[1].kind, params[1].pattern.as_deref()),
            (ValueKind::Any, None)
        );
        assert_eq!(schemas[0], schema);
    }

    #[test]
    fn sid_patterns() {
        assert!(is_sid_pattern("^AC[0-9a-fA-F]{32}$"));
        assert!(is_sid_pattern("^(SM|MM)[0-9a-fA-F]{32}$"));
        assert!(!is_sid_pattern("^ACC[0-9a-fA-F]{32}$"));
        assert!(!is_sid_pattern("^ac[0-9a-fA-F]{32}$"));
        assert!(!is_sid_pattern("^AC[0-9a-fA-F]{32}"));
        assert!(!is_sid_pattern("^(SM|M)[0-9a-fA-F]{32}$"));
    }
}
