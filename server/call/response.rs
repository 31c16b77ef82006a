//! Turning Twilio's answer into a lean tool result.
//!
//! - Success: by default only the fields Twilio marks as a resource's default
//!   output (`x-twilio.defaultOutputProperties`), or those the `fields`
//!   argument asks for (`["*"]` for all), as compact JSON text plus
//!   `structuredContent`. Lists keep their paging data and gain `next_page`:
//!   the `Page`/`PageToken` arguments that fetch the next page.
//! - A result larger than the cap keeps as many list items as fit and says
//!   so (`truncated`), rather than flooding the model's context.
//! - Twilio errors (`code`, `message`, `more_info`) become tool errors.

use serde_json::{Map, Value, json};

use crate::twilio::UpstreamResponse;

/// Keys of a list response that carry paging, kept whatever `fields` says.
const PAGING_KEYS: &[&str] = &["page", "page_size", "next_page_uri", "meta"];

/// Keys of a v1-style `meta` object worth keeping.
const META_KEYS: &[&str] = &["page", "page_size", "next_page_url", "key"];

/// What a call returns: text for the model and, for JSON results,
/// structured content. `is_error` marks a result the caller should read as
/// a failure (Twilio refused, or the server could not send the call).
#[derive(Debug, Clone, PartialEq)]
pub struct CallOutput {
    /// The result is a failure (MCP's `isError`).
    pub is_error: bool,
    /// The text the model reads.
    pub text: String,
    /// The same result as JSON (MCP's `structuredContent`), when it is JSON
    /// and was not cut to fit.
    pub structured: Option<Value>,
}

impl CallOutput {
    /// A successful JSON result: its compact text and the value itself.
    pub fn json(value: Value) -> Self {
        Self {
            is_error: false,
            text: value.to_string(),
            structured: Some(value),
        }
    }

    /// A failure the caller can read and act on.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            is_error: true,
            text: message.into(),
            structured: None,
        }
    }
}

/// Shapes Twilio's answer. `fields`: `None` for the defaults.
pub fn shape(
    response: &UpstreamResponse,
    default_output: &[&str],
    fields: Option<&[String]>,
    max_bytes: usize,
) -> CallOutput {
    let parsed: Option<Value> = if response.body.is_empty() {
        None
    } else {
        serde_json::from_slice(&response.body).ok()
    };
    if !(200..300).contains(&response.status) {
        return twilio_error(response.status, parsed.as_ref(), &response.body);
    }
    let Some(value) = parsed else {
        if response.body.is_empty() {
            let value = json!({"status": response.status, "ok": true});
            return CallOutput {
                is_error: false,
                text: value.to_string(),
                structured: Some(value),
            };
        }
        let text = String::from_utf8_lossy(&response.body);
        return CallOutput {
            is_error: false,
            text: cut(&text, max_bytes),
            structured: None,
        };
    };
    let selected = select(value, default_output, fields);
    fit(selected, max_bytes)
}

fn twilio_error(status: u16, parsed: Option<&Value>, raw: &[u8]) -> CallOutput {
    let mut text = format!("Twilio returned HTTP {status}");
    let mut structured = json!({"status": status});
    match parsed {
        Some(Value::Object(obj)) if obj.contains_key("code") || obj.contains_key("message") => {
            if let Some(code) = obj.get("code").filter(|c| !c.is_null()) {
                text.push_str(&format!(", error {code}"));
                structured["code"] = code.clone();
            }
            if let Some(message) = obj.get("message").and_then(Value::as_str) {
                text.push_str(&format!(": {message}"));
                structured["message"] = json!(message);
            }
            if let Some(more) = obj.get("more_info").and_then(Value::as_str) {
                text.push_str(&format!(" (more: {more})"));
                structured["more_info"] = json!(more);
            }
        }
        _ => {
            let body = String::from_utf8_lossy(raw);
            let body = body.trim();
            if !body.is_empty() {
                text.push_str(&format!(": {}", cut(body, 500)));
            }
        }
    }
    CallOutput {
        is_error: true,
        text,
        structured: Some(structured),
    }
}

/// Applies the field selection to a resource or to each item of a list.
fn select(value: Value, default_output: &[&str], fields: Option<&[String]>) -> Value {
    let wanted: Option<Vec<&str>> = match fields {
        Some(f) if f.iter().any(|x| x == "*") => None,
        Some(f) if !f.is_empty() => Some(f.iter().map(String::as_str).collect()),
        _ if !default_output.is_empty() => Some(default_output.to_vec()),
        _ => None,
    };
    let Value::Object(mut obj) = value else {
        return value;
    };
    match list_key(&obj) {
        Some(key) => {
            if let (Some(Value::Array(items)), Some(wanted)) = (obj.get_mut(&key), &wanted) {
                for item in items.iter_mut() {
                    project(item, wanted);
                }
            }
            let next = obj
                .get("next_page_uri")
                .or_else(|| obj.get("meta").and_then(|m| m.get("next_page_url")))
                .and_then(Value::as_str)
                .and_then(next_page_args);
            let mut out = Map::new();
            if let Some(items) = obj.remove(&key) {
                out.insert(key, items);
            }
            for k in PAGING_KEYS {
                if let Some(v) = obj.remove(*k) {
                    let v = if *k == "meta" { trim_meta(v) } else { v };
                    if !v.is_null() {
                        out.insert((*k).to_string(), v);
                    }
                }
            }
            if let Some(next) = next {
                out.insert("next_page".into(), next);
            }
            Value::Object(out)
        }
        None => {
            let mut value = Value::Object(obj);
            if let Some(wanted) = &wanted {
                project(&mut value, wanted);
            }
            value
        }
    }
}

/// The key of a list response's items: the one array of objects beside
/// paging data (`messages`, `calls`, …).
fn list_key(obj: &Map<String, Value>) -> Option<String> {
    let paged = obj.contains_key("meta") || obj.contains_key("next_page_uri");
    if !paged {
        return None;
    }
    let mut arrays = obj.iter().filter(|(k, v)| {
        k.as_str() != "meta" && v.as_array().is_some_and(|a| a.iter().all(Value::is_object))
    });
    let first = arrays.next()?;
    arrays.next().is_none().then(|| first.0.clone())
}

fn project(item: &mut Value, wanted: &[&str]) {
    if let Value::Object(obj) = item {
        obj.retain(|k, _| wanted.contains(&k.as_str()));
    }
}

fn trim_meta(meta: Value) -> Value {
    match meta {
        Value::Object(mut m) => {
            m.retain(|k, v| META_KEYS.contains(&k.as_str()) && !v.is_null());
            Value::Object(m)
        }
        other => other,
    }
}

/// The arguments that fetch the next page, from Twilio's next-page URL.
fn next_page_args(url: &str) -> Option<Value> {
    let query = url.split_once('?')?.1;
    let mut args = Map::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "Page" | "PageSize" => {
                if let Ok(n) = v.parse::<u64>() {
                    args.insert(k.into_owned(), json!(n));
                }
            }
            "PageToken" => {
                args.insert(k.into_owned(), json!(v));
            }
            _ => {}
        }
    }
    (!args.is_empty()).then_some(Value::Object(args))
}

/// Serialises, dropping list items from the end until the text fits.
fn fit(mut value: Value, max_bytes: usize) -> CallOutput {
    let mut text = value.to_string();
    if text.len() <= max_bytes {
        return CallOutput {
            is_error: false,
            text,
            structured: Some(value),
        };
    }
    let key = value
        .as_object()
        .and_then(|o| o.iter().find(|(_, v)| v.is_array()).map(|(k, _)| k.clone()));
    if let Some(key) = key {
        let total = value[&key].as_array().map_or(0, Vec::len);
        // Following the next page now would skip the items cut here: drop the
        // paging links and say which page size fits instead.
        if let Some(obj) = value.as_object_mut() {
            obj.remove("next_page");
            obj.remove("next_page_uri");
            if let Some(Value::Object(meta)) = obj.get_mut("meta") {
                meta.remove("next_page_url");
            }
        }
        let mut keep = total;
        while keep > 0 && text.len() > max_bytes {
            // Shrink proportionally, then one by one.
            let ratio = max_bytes as f64 / text.len() as f64;
            keep = ((keep as f64 * ratio) as usize).min(keep - 1);
            if let Some(items) = value[&key].as_array_mut() {
                items.truncate(keep);
            }
            value["truncated"] = json!(format!(
                "showing {keep} of {total} items and no next page: ask again with \
                 PageSize={} or fewer fields",
                keep.max(1)
            ));
            text = value.to_string();
        }
        if text.len() <= max_bytes {
            return CallOutput {
                is_error: false,
                text,
                structured: Some(value),
            };
        }
    }
    let note =
        format!(" [truncated at {max_bytes} bytes: ask for fewer fields or a smaller PageSize]");
    CallOutput {
        is_error: false,
        text: format!("{}{note}", cut(&text, max_bytes.saturating_sub(note.len()))),
        structured: None,
    }
}

/// At most `max` bytes of `text`, cut on a character boundary.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::time::Duration;

    fn response(status: u16, body: &str) -> UpstreamResponse {
        UpstreamResponse {
            status,
            content_type: Some("application/json".into()),
            body: Bytes::from(body.to_string()),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn defaults_fields_and_star() {
        let r = response(200, r#"{"sid":"SM1","to":"+1","body":"hi","price":null}"#);
        let s = shape(&r, &["sid", "to"], None, 10_000);
        assert_eq!(s.structured, Some(json!({"sid": "SM1", "to": "+1"})));
        let all = shape(&r, &["sid", "to"], Some(&["*".to_string()]), 10_000);
        assert_eq!(all.structured.expect("json")["body"], "hi");
        let some = shape(&r, &["sid"], Some(&["body".to_string()]), 10_000);
        assert_eq!(some.structured, Some(json!({"body": "hi"})));
    }

    #[test]
    fn lists_keep_paging_and_offer_next_page() {
        let r = response(
            200,
            r#"{"messages":[{"sid":"SM1","body":"x"}],"page":0,"page_size":1,"first_page_uri":"/a","next_page_uri":"/2010-04-01/Accounts/AC1/Messages.json?PageSize=1&Page=1&PageToken=PASM1","uri":"/x"}"#,
        );
        let s = shape(&r, &["sid"], None, 10_000);
        let v = s.structured.expect("json");
        assert_eq!(v["messages"], json!([{"sid": "SM1"}]));
        assert_eq!(
            v["next_page"],
            json!({"PageSize": 1, "Page": 1, "PageToken": "PASM1"})
        );
        assert!(v.get("first_page_uri").is_none());
    }

    #[test]
    fn twilio_errors_become_tool_errors() {
        let r = response(
            400,
            r#"{"code":21211,"message":"Invalid 'To' Phone Number","more_info":"https://www.twilio.com/docs/errors/21211","status":400}"#,
        );
        let s = shape(&r, &[], None, 10_000);
        assert!(s.is_error);
        assert!(
            s.text.contains("21211") && s.text.contains("Invalid 'To'"),
            "{}",
            s.text
        );
    }

    #[test]
    fn empty_204_is_success() {
        let s = shape(&response(204, ""), &[], None, 10_000);
        assert!(!s.is_error);
        assert_eq!(s.structured, Some(json!({"status": 204, "ok": true})));
    }

    #[test]
    fn big_lists_are_truncated_with_a_note() {
        let items: Vec<Value> = (0..500)
            .map(|i| json!({"sid": format!("SM{i:032}")}))
            .collect();
        let body = json!({"messages": items, "page": 0,
                          "next_page_uri": "/2010-04-01/Accounts/AC1/Messages.json?Page=1&PageToken=PA1"})
        .to_string();
        let s = shape(&response(200, &body), &[], None, 4_000);
        assert!(s.text.len() <= 4_000, "{}", s.text.len());
        let v = s.structured.expect("json");
        assert!(v["truncated"].as_str().expect("note").contains("PageSize="));
        assert!(v.get("next_page").is_none() && v.get("next_page_uri").is_none());
    }
}
