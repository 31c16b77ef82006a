//! Turning checked arguments into the HTTP request Twilio expects.
//!
//! Pure data, no I/O, so every encoding rule is unit-tested:
//! - path parameters are filled and percent-encoded as one segment;
//!   `AccountSid` comes from configuration when the caller leaves it out;
//! - query and form values: arrays as repeated keys (`MediaUrl=a&MediaUrl=b`),
//!   booleans as `true`/`false`, objects as one JSON-encoded value, and
//!   `prefixed-collapsible-map-<Prefix>` objects flattened to
//!   `<Prefix>.<key>=<value>` (how Twilio's own SDKs send `AddOnsData`);
//! - JSON bodies as the spec's object (or the whole `RequestBody` argument);
//! - inequality filters go out under Twilio's wire names (`DateSent<`).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value};

use super::args::ArgError;
use crate::catalog::{BodyEncoding, FIELDS_ARG, ParamLocation, Tool};
use crate::twilio::{PreparedRequest, RequestBody};

/// Everything but the unreserved characters of RFC 3986 is encoded in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Builds the request for a tool call whose arguments passed [`super::args::check`].
///
/// `base_url` replaces the scheme and host of the tool's server (testing,
/// proxies); the path is kept.
pub fn prepare(
    tool: &Tool,
    args: &Map<String, Value>,
    account_sid: Option<&str>,
    base_url: Option<&str>,
) -> Result<PreparedRequest, ArgError> {
    let mut path = tool.path.to_string();
    let mut query = Vec::new();
    let mut headers = Vec::new();
    let mut form = Vec::new();
    let mut json = Map::new();
    let mut whole_json = None;

    for param in tool.params {
        let value = args.get(param.name).filter(|v| !v.is_null());
        let value = match (value, param.location) {
            (Some(v), _) => v.clone(),
            (None, _) if param.from_config => match account_sid {
                Some(sid) => Value::String(sid.to_string()),
                None => {
                    return Err(ArgError(format!(
                        "argument `{}` is missing and no account SID is configured \
                         (set ACCOUNT_SID or pass `{}`)",
                        param.name, param.name
                    )));
                }
            },
            (None, ParamLocation::Path) => {
                return Err(ArgError(format!(
                    "missing required argument `{}`",
                    param.name
                )));
            }
            (None, _) => continue,
        };
        match param.location {
            ParamLocation::Path => {
                let text = scalar_text(&value);
                if text.is_empty() {
                    return Err(ArgError(format!(
                        "argument `{}` must not be empty",
                        param.name
                    )));
                }
                // URL parsers resolve `.` and `..` segments (even encoded as
                // `%2e`), which would send the request to another endpoint
                // than this tool's, past the allow/deny lists.
                if text == "." || text == ".." {
                    return Err(ArgError(format!(
                        "argument `{}` cannot be `{text}`",
                        param.name
                    )));
                }
                let encoded = utf8_percent_encode(&text, SEGMENT).to_string();
                path = path.replace(&format!("{{{}}}", param.wire_name), &encoded);
            }
            ParamLocation::Query => encode_pairs(param.wire_name, param.format, &value, &mut query),
            ParamLocation::Form => encode_pairs(param.wire_name, param.format, &value, &mut form),
            ParamLocation::Header => {
                headers.push((param.wire_name.to_string(), scalar_text(&value)))
            }
            ParamLocation::Json => {
                json.insert(param.wire_name.to_string(), value);
            }
            ParamLocation::JsonBody => whole_json = Some(value),
        }
    }

    let body = match tool.body {
        BodyEncoding::None => RequestBody::None,
        BodyEncoding::Form => RequestBody::Form(form),
        BodyEncoding::Json => RequestBody::Json(whole_json.unwrap_or(Value::Object(json))),
    };
    Ok(PreparedRequest {
        method: tool.method,
        url: format!("{}{path}", server_base(tool.server, base_url)),
        query,
        headers,
        body,
    })
}

/// The base URL requests go to: the override when set, else the tool's server.
fn server_base<'a>(server: &'a str, base_url: Option<&'a str>) -> &'a str {
    base_url.map_or(server, |b| b.trim_end_matches('/'))
}

/// One argument as query or form pairs.
fn encode_pairs(wire: &str, format: Option<&str>, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Array(items) => {
            for item in items {
                out.push((wire.to_string(), scalar_text(item)));
            }
        }
        Value::Object(map) => {
            match format.and_then(|f| f.strip_prefix("prefixed-collapsible-map-")) {
                Some(prefix) => flatten(prefix, map, out),
                None => out.push((wire.to_string(), value.to_string())),
            }
        }
        other => out.push((wire.to_string(), scalar_text(other))),
    }
}

/// `{"a": {"b": 1}}` with prefix `AddOns` → `AddOns.a.b=1`.
fn flatten(prefix: &str, map: &Map<String, Value>, out: &mut Vec<(String, String)>) {
    for (key, value) in map {
        let name = format!("{prefix}.{key}");
        match value {
            Value::Object(inner) => flatten(&name, inner, out),
            other => encode_pairs(&name, None, other, out),
        }
    }
}

/// Text of a scalar as Twilio expects it; arrays and objects as JSON.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The `fields` argument, if given.
pub fn requested_fields(args: &Map<String, Value>) -> Option<Vec<String>> {
    args.get(FIELDS_ARG)?.as_array().map(|items| {
        items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{self, HttpMethod};
    use serde_json::json;

    const ACCOUNT: &str = "AC00000000000000000000000000000000";

    fn prep(name: &str, args: Value) -> PreparedRequest {
        let (_, tool) = catalog::find(name).expect("tool");
        prepare(tool, args.as_object().expect("object"), Some(ACCOUNT), None).expect("prepare")
    }

    #[test]
    fn form_post_with_array_and_account_from_config() {
        let req = prep(
            "ApiV2010_CreateMessage",
            json!({"To": "+15551234567", "From": "+15557654321", "MediaUrl": ["https://a/1.png", "https://a/2.png"], "SmartEncoded": true}),
        );
        assert_eq!(req.method, HttpMethod::Post);
        assert_eq!(
            req.url,
            format!("https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json")
        );
        let RequestBody::Form(form) = req.body else {
            panic!("form body expected")
        };
        let media: Vec<_> = form.iter().filter(|(k, _)| k == "MediaUrl").collect();
        assert_eq!(media.len(), 2);
        assert!(form.contains(&("SmartEncoded".into(), "true".into())));
        assert!(form.iter().all(|(k, _)| k != "AccountSid"));
    }

    #[test]
    fn get_sends_query_with_wire_names() {
        let req = prep(
            "ApiV2010_ListMessage",
            json!({"DateSentBefore": "2024-01-01", "PageSize": 20, "fields": ["sid"]}),
        );
        assert_eq!(req.body, RequestBody::None);
        assert_eq!(
            req.query,
            [
                ("DateSent<".to_string(), "2024-01-01".to_string()),
                ("PageSize".to_string(), "20".to_string())
            ]
        );
    }

    #[test]
    fn path_values_are_percent_encoded() {
        let req = prep("ApiV2010_FetchMessage", json!({"Sid": "SM1/../x y"}));
        assert!(
            req.url.ends_with("/Messages/SM1%2F..%2Fx%20y.json"),
            "{}",
            req.url
        );
    }

    #[test]
    fn dot_segments_are_refused() {
        let (_, tool) = catalog::find("ConversationsV1_DeleteUserConversation").expect("tool");
        for dots in [".", ".."] {
            let args =
                json!({"UserSid": dots, "ConversationSid": "CH00000000000000000000000000000000"});
            let err = prepare(tool, args.as_object().expect("object"), Some(ACCOUNT), None)
                .expect_err("dot segment");
            assert!(err.0.contains("UserSid"), "{err}");
        }
    }

    #[test]
    fn explicit_account_sid_wins_and_base_url_override_keeps_path() {
        let (_, tool) = catalog::find("ApiV2010_ListMessage").expect("tool");
        let other = "AC11111111111111111111111111111111";
        let req = prepare(
            tool,
            json!({"AccountSid": other}).as_object().expect("object"),
            Some(ACCOUNT),
            Some("http://127.0.0.1:4010/"),
        )
        .expect("prepare");
        assert_eq!(
            req.url,
            format!("http://127.0.0.1:4010/2010-04-01/Accounts/{other}/Messages.json")
        );
    }

    #[test]
    fn missing_account_sid_without_config_is_an_error() {
        let (_, tool) = catalog::find("ApiV2010_ListMessage").expect("tool");
        let err = prepare(tool, &Map::new(), None, None).expect_err("no account");
        assert!(err.0.contains("ACCOUNT_SID"), "{err}");
    }

    #[test]
    fn collapsible_maps_and_objects() {
        let mut out = Vec::new();
        encode_pairs(
            "AddOnsData",
            Some("prefixed-collapsible-map-AddOns"),
            &json!({"a": {"b": 1}, "c": "d"}),
            &mut out,
        );
        assert_eq!(
            out,
            [
                ("AddOns.a.b".to_string(), "1".to_string()),
                ("AddOns.c".to_string(), "d".to_string())
            ]
        );
        let mut out = Vec::new();
        encode_pairs("Data", None, &json!({"k": [1, 2]}), &mut out);
        assert_eq!(out, [("Data".to_string(), r#"{"k":[1,2]}"#.to_string())]);
    }

    #[test]
    fn json_body_operations_send_json() {
        let (_, tool) = catalog::all()
            .find(|(_, t)| {
                t.body == BodyEncoding::Json
                    && t.params.iter().any(|p| p.location == ParamLocation::Json)
            })
            .expect("a JSON-body tool");
        let param = tool
            .params
            .iter()
            .find(|p| p.location == ParamLocation::Json)
            .expect("json param");
        let mut args = Map::new();
        args.insert(param.name.to_string(), json!("x"));
        let mut account = Map::new();
        for p in tool
            .params
            .iter()
            .filter(|p| p.location == ParamLocation::Path)
        {
            account.insert(p.name.to_string(), json!("ID"));
        }
        args.extend(account);
        let req = prepare(tool, &args, Some(ACCOUNT), None).expect("prepare");
        let RequestBody::Json(body) = req.body else {
            panic!("json body expected")
        };
        assert_eq!(body[param.wire_name], json!("x"));
    }
}
