//! What a client shows and reads about a tool: its title, its description
//! and its annotations.

use openapiv3::Operation;

use crate::model::{Annotations, HttpMethod};
use crate::text;

/// A display name from the operationId, which Twilio writes as verb and
/// resource, and the product (`CreateService` in chat_v1 → "Create Service
/// (ChatV1)"): short and uniform, where summaries run to whole sentences
/// that the description repeats, and distinct where an operationId recurs
/// across products.
pub(super) fn title(prefix: &str, operation_id: &str) -> String {
    format!("{} ({prefix})", text::split_camel(operation_id))
}

/// The operation's description, else its summary, else its operationId in
/// words; then one sentence per "at least one of" group, and one per
/// required file (given as text or as base64).
pub(super) fn description(
    op: &Operation,
    operation_id: &str,
    at_least_one_of: &[Vec<String>],
    files: &[Vec<String>],
) -> String {
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
    for group in files {
        out.push_str(&format!(" Give the file as one of: {}.", group.join(", ")));
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
pub(super) fn annotations(operation_id: &str, method: HttpMethod) -> Annotations {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn operation(value: serde_json::Value) -> Operation {
        let mut value = value;
        value["responses"] = json!({});
        serde_json::from_value(value).expect("an operation")
    }

    #[test]
    fn titles_are_the_operation_id_in_words_and_the_product() {
        assert_eq!(title("ChatV1", "CreateService"), "Create Service (ChatV1)");
    }

    #[test]
    fn descriptions_fall_back_to_the_summary_then_the_title() {
        let full = operation(
            json!({"description": "Send a <b>message</b> associated with your account",
                                    "summary": "Ignored"}),
        );
        assert_eq!(
            description(&full, "CreateMessage", &[], &[]),
            "Send a message."
        );
        let summary = operation(json!({"description": " ", "summary": "Check it is up"}));
        assert_eq!(
            description(&summary, "FetchPing", &[], &[]),
            "Check it is up."
        );
        let none = operation(json!({}));
        let groups = vec![
            vec!["Url".to_string(), "Twiml".to_string()],
            vec!["From".to_string(), "MessagingServiceSid".to_string()],
        ];
        assert_eq!(
            description(&none, "CreateCall", &groups, &[]),
            "Create Call. Give at least one of: Url, Twiml. Give at least one of: From, MessagingServiceSid."
        );
        let file = vec![vec!["Content".to_string(), "ContentBase64".to_string()]];
        assert_eq!(
            description(&none, "CreateVersion", &[], &file),
            "Create Version. Give the file as one of: Content, ContentBase64."
        );
    }

    #[test]
    fn annotations_follow_the_verb_and_the_method() {
        use HttpMethod::*;
        let hints = |id: &str, method| {
            let a = annotations(id, method);
            assert!(a.open_world, "{id}");
            (a.read_only, a.destructive, a.idempotent)
        };
        assert_eq!(hints("ListMessage", Get), (true, false, true));
        // A read is never destructive, whatever its name.
        assert_eq!(hints("UpdateReport", Get), (true, false, true));
        assert_eq!(hints("CreateMessage", Post), (false, false, false));
        assert_eq!(hints("UpdateCall", Post), (false, true, false));
        assert_eq!(hints("DeleteMessage", Delete), (false, true, true));
        assert_eq!(hints("UpdateWidget", Put), (false, true, true));
        assert_eq!(hints("CreateWidget", Put), (false, false, true));
        // Another verb: the method decides.
        assert_eq!(hints("RedactThing", Post), (false, false, false));
        assert_eq!(hints("PatchThing", Patch), (false, true, false));
        assert_eq!(hints("Fetch", Get), (true, false, true));
    }
}
